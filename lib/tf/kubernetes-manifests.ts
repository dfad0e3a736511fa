import { App as Cdk8sApp, Chart as Cdk8sChart } from 'cdk8s';
import { Construct } from 'constructs';
import type { KubernetesObject } from '../k8s/object.js';
import { ValidationError } from '../k8s/validation.js';
import { AttributesResource } from './attributes-resource.js';
import type { ITerraformDependable, TerraformProvider, TerraformResource } from './core.js';
import { escapeTemplates, ManifestEngine, TerraformExpression } from './manifest-engine.js';
import type { TerraformModuleOutputs } from './terraform-module-outputs.js';

export type { KubernetesObject } from '../k8s/object.js';

/** Kinds that live outside namespaces (the built-in ones; CRDs in the input add theirs). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass',
  'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'APIService', 'Node', 'CSIDriver', 'CSINode', 'RuntimeClass', 'IngressClass',
  'VolumeAttachment', 'FlowSchema', 'PriorityLevelConfiguration',
]);

/**
 * Fields the API server fills in on create, which `kubernetes_manifest` must treat as computed or
 * it fails with "Provider produced inconsistent result after apply" (the provider's default is
 * `metadata.labels` and `metadata.annotations`): a Job gets its selector and the
 * `batch.kubernetes.io/controller-uid` / `job-name` labels on its pod template.
 */
const COMPUTED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Job: ['metadata.labels', 'metadata.annotations', 'spec.selector', 'spec.template.metadata.labels'],
};

/**
 * Fields another writer fills in after apply, per object: a webhook configuration without a
 * `caBundle` gets it from cert-manager's CA injector or from the controller itself
 * (`WebhookCertificate.generated()`), which a plan must not show as drift.
 */
function computedFieldsOf(object: { kind: string; webhooks?: unknown }): string[] | undefined {
  if (COMPUTED_FIELDS[object.kind]) return [...COMPUTED_FIELDS[object.kind]];
  if ((object.kind === 'MutatingWebhookConfiguration' || object.kind === 'ValidatingWebhookConfiguration') && Array.isArray(object.webhooks)) {
    const injected = object.webhooks.flatMap((w, i) => (w?.clientConfig && w.clientConfig.caBundle === undefined ? [`webhooks[${i}].clientConfig.caBundle`] : []));
    if (injected.length) return ['metadata.labels', 'metadata.annotations', ...injected];
  }
  return undefined;
}

/** Objects other objects may need at plan time: they are created first. */
const FOUNDATION = new Set(['CustomResourceDefinition', 'Namespace']);

/** Props of {@link KubernetesManifests}. */
export interface KubernetesManifestsProps {
  /** The cdk8s charts to deploy: a chart, several, or a whole app. */
  readonly source: Cdk8sChart | Cdk8sApp | readonly Cdk8sChart[];
  /**
   * How objects become resources: `kubectl_manifest` or `kubernetes_manifest` (see
   * {@link ManifestEngine}). @default ManifestEngine.kubectl()
   */
  readonly engine?: ManifestEngine;
  /**
   * The provider to deploy with: a {@link KubectlProvider} for the kubectl engine, a
   * hashicorp/kubernetes provider for `kubernetes_manifest`.
   * @default the stack's default provider of the engine (`kubectl` or `kubernetes`), which the stack declares
   */
  readonly provider?: TerraformProvider;
  /** Namespace given to namespaced objects that name none (Terraform needs it spelled out). @default 'default' */
  readonly defaultNamespace?: string;
  /** Server-side apply field manager. @default 'platform-constructs' */
  readonly fieldManager?: string;
  /** Resources every object waits for (e.g. a CRD stack's outputs). @default none */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Which of the source's objects become resources here; the others still tell which custom
   * kinds are cluster-scoped. Splits one source over two stacks, e.g. the CRDs in a stack
   * deployed first (the `kubernetes_manifest` engine needs a CRD at plan time):
   * `{ select: isCustomResourceDefinition }` and `{ select: (o) => !isCustomResourceDefinition(o) }`.
   * @default every object
   */
  readonly select?: (object: KubernetesObject) => boolean;
  /**
   * Modules whose outputs only Terraform knows (another state, see {@link TerraformModuleOutputs}),
   * added to the containers of workloads at plan/apply time, with the contract's checks as
   * preconditions of those workloads. @default none
   */
  readonly terraformModules?: readonly TerraformModulesBinding[];
}

/** Modules read by Terraform, for the containers of one workload of the source. */
export interface TerraformModulesBinding {
  /** Kind of the workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, ...). */
  readonly kind: string;
  readonly name: string;
  /** Namespace of the workload. @default any: the kind and name pick it */
  readonly namespace?: string;
  /** Names of the containers that consume the modules. @default every container (not init containers) */
  readonly containers?: readonly string[];
  /** In order; their env comes after the container's own. */
  readonly modules: readonly TerraformModuleOutputs[];
}

/** True for a CustomResourceDefinition (any apiextensions version). */
export function isCustomResourceDefinition(object: KubernetesObject): boolean {
  return object.kind === 'CustomResourceDefinition' && object.apiVersion.startsWith('apiextensions.k8s.io/');
}


/**
 * Turns cdk8s charts into Terraform resources, one per object (`kubectl_manifest` by default,
 * see {@link ManifestEngine}), so one description of the objects serves both `cdk8s synth` and
 * `cdktf deploy`. CRDs and Namespaces come first (every other object depends on them, and
 * destroy removes them last); resource names derive from kind, namespace and name, so they are
 * stable across synths and unaffected by construct paths. Written through the core library only:
 * works with cdktf (`platform-constructs/tf`) and CDK Terrain (`platform-constructs/tn`).
 */
export class KubernetesManifests extends Construct {
  /** Every resource created, by its Terraform-facing id. */
  public readonly manifests: ReadonlyMap<string, TerraformResource>;
  /** The engine the resources use. */
  public readonly engine: ManifestEngine;

  constructor(scope: Construct, id: string, props: KubernetesManifestsProps) {
    super(scope, id);
    const all = KubernetesManifests.objectsOf(props.source);
    const objects = props.select ? all.filter(props.select) : all;
    const namespace = props.defaultNamespace ?? 'default';
    const clusterScoped = clusterScopedKinds(all);
    const engine = props.engine ?? ManifestEngine.kubectl();
    const providerType = (props.provider as { terraformResourceType?: string } | undefined)?.terraformResourceType;
    if (providerType !== undefined && providerType !== engine.providerName) {
      throw new ValidationError(
        `KubernetesManifests ${this.node.path}`, 'provider',
        `${engine.resourceType} resources need a "${engine.providerName}" provider (${engine.providerName === 'kubectl' ? 'KubectlProvider' : 'hashicorp/kubernetes'}); got a "${providerType}" provider; set engine to match it, or pass a provider of that type`,
        providerType,
      );
    }
    const fieldManager = props.fieldManager ?? 'platform-constructs';
    if (!fieldManager.trim()) throw new ValidationError(`KubernetesManifests ${this.node.path}`, 'fieldManager', 'give a non-empty field manager name', fieldManager);
    const manifests = new Map<string, TerraformResource>();
    const foundation: TerraformResource[] = [];
    const used = new Set<TerraformModulesBinding>();
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
      const bindings = (props.terraformModules ?? []).filter(
        (b) => b.kind === object.kind && b.name === name && (scoped || b.namespace === undefined || b.namespace === manifest.metadata!.namespace),
      );
      const bound = bindings.length > 0 ? withTerraformModules(manifest, bindings, `${this.node.path}: ${object.kind} "${name}"`) : undefined;
      bindings.forEach((b) => used.add(b));
      const resource = new AttributesResource(this, rid, engine.resourceType, engine.providerName, engine.attributes(bound?.manifest ?? manifest, fieldManager, computedFieldsOf(object)), {
        ...(bound && bound.preconditions.length > 0
          ? { lifecycle: { precondition: bound.preconditions.map((p) => ({ condition: `\${${p.condition}}`, errorMessage: p.errorMessage })) } }
          : {}),
        ...(props.provider ? { provider: props.provider } : {}),
        dependsOn: [...(props.dependsOn ?? []), ...(isFoundation ? [] : foundation)],
      });
      // Addresses from kind/namespace/name, not from the construct path: stable and readable.
      resource.overrideLogicalId(`${this.node.id}_${rid}`);
      if (isFoundation) foundation.push(resource);
      manifests.set(rid, resource);
    }
    const unused = (props.terraformModules ?? []).filter((b) => !used.has(b));
    if (unused.length > 0) {
      throw new Error(`KubernetesManifests ${this.node.path}: terraformModules name no object of the source: ${unused.map((b) => `${b.kind} "${b.name}"`).join(', ')}`);
    }
    this.manifests = manifests;
    this.engine = engine;
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

/** Where a workload kind keeps its pod spec. */
function podSpecOf(manifest: any): any | undefined {
  if (manifest.kind === 'Pod') return manifest.spec;
  if (manifest.kind === 'CronJob') return manifest.spec?.jobTemplate?.spec?.template?.spec;
  return manifest.spec?.template?.spec;
}

/** HCL string literal of `text` (for `jsondecode`). */
function hclString(text: string): string {
  return `"${escapeTemplates(text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).replace(/\n/g, '\\n')}"`;
}

/** `${concat(<static list>, <module lists>...)}`: one Terraform expression for a container list field. */
function concatList(staticItems: unknown[] | undefined, parts: string[]): TerraformExpression {
  const head = staticItems && staticItems.length > 0 ? [`jsondecode(${hclString(JSON.stringify(staticItems))})`] : [];
  return new TerraformExpression(`concat(${[...head, ...parts].join(', ')})`);
}

function withTerraformModules(
  manifest: KubernetesObject,
  bindings: readonly TerraformModulesBinding[],
  what: string,
): { manifest: KubernetesObject; preconditions: { condition: string; errorMessage: string }[] } {
  const copy = structuredClone(manifest) as any;
  const pod = podSpecOf(copy);
  if (!pod?.containers) throw new Error(`KubernetesManifests ${what} has no pod template: terraformModules apply to workloads`);
  const preconditions: { condition: string; errorMessage: string }[] = [];
  const volumes: string[] = [];
  for (const binding of bindings) {
    const names = binding.containers ?? pod.containers.map((c: any) => c.name);
    for (const cname of names) {
      const container = pod.containers.find((c: any) => c.name === cname);
      if (!container) throw new Error(`KubernetesManifests ${what} has no container "${cname}" (terraformModules)`);
      const taken = (container.env ?? []).map((e: any) => e.name as string);
      container.__modules = [...(container.__modules ?? []), ...binding.modules];
      for (const m of binding.modules) preconditions.push(...m.preconditions(cname, taken));
    }
    for (const m of binding.modules) volumes.push(...m.volumes());
  }
  for (const container of pod.containers) {
    const modules = container.__modules as TerraformModuleOutputs[] | undefined;
    delete container.__modules;
    if (!modules) continue;
    container.env = concatList(container.env, modules.flatMap((m) => m.env()));
    container.envFrom = concatList(container.envFrom, modules.flatMap((m) => m.envFrom()));
    container.volumeMounts = concatList(container.volumeMounts, modules.flatMap((m) => m.volumeMounts()));
  }
  // A module bound to several containers declares its volumes once.
  pod.volumes = concatList(pod.volumes, [...new Set(volumes)]);
  // Deduplicate preconditions of a module bound to several containers with the same taken names.
  const seen = new Set<string>();
  return { manifest: copy, preconditions: preconditions.filter((p) => !seen.has(p.errorMessage + p.condition) && !!seen.add(p.errorMessage + p.condition)) };
}
