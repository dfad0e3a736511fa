import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { App as Cdk8sApp, Chart as Cdk8sChart } from 'cdk8s';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

/** Kinds that live outside namespaces (the built-in ones; CRDs in the input add theirs). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass',
  'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'APIService', 'Node', 'CSIDriver', 'CSINode', 'RuntimeClass', 'IngressClass',
  'VolumeAttachment', 'FlowSchema', 'PriorityLevelConfiguration',
]);

/** Objects other objects may need at plan time: they are created first. */
const FOUNDATION = new Set(['CustomResourceDefinition', 'Namespace']);

/** Props of {@link KubernetesManifests}. */
export interface KubernetesManifestsProps {
  /** The cdk8s charts to deploy: a chart, several, or a whole app. */
  readonly source: Cdk8sChart | Cdk8sApp | readonly Cdk8sChart[];
  /** The provider to deploy with. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /** Namespace given to namespaced objects that name none (Terraform needs it spelled out). @default 'default' */
  readonly defaultNamespace?: string;
  /** Server-side apply field manager. @default 'platform-constructs' */
  readonly fieldManager?: string;
  /** Resources every object waits for (e.g. a CRD stack's outputs). @default none */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Which of the source's objects become resources here; the others still tell which custom
   * kinds are cluster-scoped. Splits one source over two stacks, e.g. the CRDs in a stack
   * deployed first (`kubernetes_manifest` needs a CRD at plan time):
   * `{ select: isCustomResourceDefinition }` and `{ select: (o) => !isCustomResourceDefinition(o) }`.
   * @default every object
   */
  readonly select?: (object: KubernetesObject) => boolean;
}

/** True for a CustomResourceDefinition (any apiextensions version). */
export function isCustomResourceDefinition(object: KubernetesObject): boolean {
  return object.kind === 'CustomResourceDefinition' && object.apiVersion.startsWith('apiextensions.k8s.io/');
}

/** A Kubernetes object as cdk8s synthesizes it. */
export type KubernetesObject = { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string }; [k: string]: unknown };

/**
 * Turns cdk8s charts into `kubernetes_manifest` resources, so one description of the objects
 * serves both `cdk8s synth` and `cdktf deploy`. CRDs and Namespaces come first (every other
 * object depends on them); resource names derive from kind, namespace and name, so they are
 * stable across synths and unaffected by construct paths.
 */
export class KubernetesManifests extends Construct {
  /** Every resource created, by its Terraform-facing id. */
  public readonly manifests: ReadonlyMap<string, Manifest>;

  constructor(scope: Construct, id: string, props: KubernetesManifestsProps) {
    super(scope, id);
    const all = KubernetesManifests.objectsOf(props.source);
    const objects = props.select ? all.filter(props.select) : all;
    const namespace = props.defaultNamespace ?? 'default';
    const clusterScoped = clusterScopedKinds(all);
    const fieldManager = { name: props.fieldManager ?? 'platform-constructs' };
    const manifests = new Map<string, Manifest>();
    const foundation: Manifest[] = [];
    const ordered = [...objects.filter((o) => FOUNDATION.has(o.kind)), ...objects.filter((o) => !FOUNDATION.has(o.kind))];
    for (const object of ordered) {
      const name = object.metadata?.name;
      if (!name) throw new Error(`KubernetesManifests ${this.node.path}: a ${object.kind} has no metadata.name`);
      const scoped = clusterScoped.has(object.kind);
      const manifest = scoped || object.metadata?.namespace ? object : { ...object, metadata: { ...object.metadata, namespace } };
      const rid = resourceId(object.kind, scoped ? undefined : manifest.metadata!.namespace, name);
      if (manifests.has(rid)) {
        throw new Error(`KubernetesManifests ${this.node.path}: two objects are ${object.kind} "${name}"${scoped ? '' : ` in namespace "${manifest.metadata!.namespace}"`}`);
      }
      const isFoundation = FOUNDATION.has(object.kind);
      const resource = new Manifest(this, rid, {
        manifest,
        fieldManager,
        ...(props.provider ? { provider: props.provider } : {}),
        dependsOn: [...(props.dependsOn ?? []), ...(isFoundation ? [] : foundation)],
      });
      // Addresses from kind/namespace/name, not from the construct path: stable and readable.
      resource.overrideLogicalId(`${this.node.id}_${rid}`);
      if (isFoundation) foundation.push(resource);
      manifests.set(rid, resource);
    }
    this.manifests = manifests;
  }

  /** The objects of a chart, charts or app, in synthesis order. */
  public static objectsOf(source: KubernetesManifestsProps['source']): KubernetesObject[] {
    const charts = source instanceof Cdk8sApp ? source.charts : source instanceof Cdk8sChart ? [source] : source;
    return charts.flatMap((c) => c.toJson() as KubernetesObject[]);
  }
}

function clusterScopedKinds(objects: readonly KubernetesObject[]): Set<string> {
  const kinds = new Set(CLUSTER_SCOPED);
  for (const o of objects) {
    const spec = o.spec as { scope?: string; names?: { kind?: string } } | undefined;
    if (o.kind === 'CustomResourceDefinition' && spec?.scope === 'Cluster' && spec.names?.kind) kinds.add(spec.names.kind);
  }
  return kinds;
}

/** `deployment_armonik_control-plane`: lower case, safe for Terraform addresses. */
function resourceId(kind: string, namespace: string | undefined, name: string): string {
  return [kind, namespace, name].filter(Boolean).join('_').toLowerCase().replace(/[^a-z0-9_-]/g, '-');
}
