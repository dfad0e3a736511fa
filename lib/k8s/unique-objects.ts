import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { ValidationError } from './validation.js';

/** Kinds without a namespace: two of them clash on kind and name alone. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'APIService', 'IngressClass', 'RuntimeClass',
  'CSIDriver', 'VolumeSnapshotClass', 'ClusterIssuer',
]);

/** Objects of cluster-scoped custom kinds (their chart's namespace is patched away at synth). */
const clusterScoped = new WeakSet<ApiObject>();

/**
 * Marks an object of a cluster-scoped custom kind: it clashes with another of the same kind and
 * name whatever the namespaces of their charts.
 */
export function markClusterScoped(o: ApiObject): void {
  clusterScoped.add(o);
}

/** Per construct tree (its root, usually the App): every object's identity and the object. */
const registries = new WeakMap<IConstruct, Map<string, ApiObject>>();

/** `Kind namespace/name` (or `Kind name` for cluster-scoped kinds), as messages and the registry key it. */
export function objectIdentity(o: ApiObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const kind = group ? `${o.kind}.${group}` : o.kind;
  const namespace = CLUSTER_SCOPED.has(o.kind) || clusterScoped.has(o) ? undefined : o.metadata.namespace ?? 'default';
  return namespace === undefined ? `${kind} "${o.name}"` : `${kind} "${namespace}/${o.name}"`;
}

/**
 * Claims the names of every object `scope` synthesizes, in its whole construct tree: a second
 * construct that would synthesize an object of the same kind, namespace and name (two
 * ControlPlanes, or a component named like another's object) is refused here, at construct
 * time, naming both construct paths; otherwise only the cluster or the GitOps writer would
 * notice, and one object would silently replace the other. Idempotent: claiming again (a parent
 * after its children) is fine.
 */
export function claimObjectNames(scope: IConstruct, where: string): void {
  const root = scope.node.root;
  let registry = registries.get(root);
  if (!registry) registries.set(root, (registry = new Map()));
  const objects = scope.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  // A workload's NetworkPolicy bears its name: a clash is reported on the workload itself.
  const ordered = [...objects.filter((o) => o.kind !== 'NetworkPolicy'), ...objects.filter((o) => o.kind === 'NetworkPolicy')];
  for (const child of ordered) {
    const id = objectIdentity(child);
    const owner = registry.get(id);
    if (owner === undefined) registry.set(id, child);
    else if (owner !== child) {
      throw new ValidationError(
        where,
        'name',
        `${id} would be synthesized twice: by ${child.node.path} and by ${owner.node.path}; give one of them another name or namespace`,
      );
    }
  }
}
