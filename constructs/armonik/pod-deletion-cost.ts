import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs } from '../../lib/contract/index.js';
import { urlPort } from '../../lib/network/index.js';
import { appLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { checkMetadataMap, checkObject, checkOptionalEnv } from '../../lib/k8s/props.js';
import { plainResources, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, checkImage, checkInteger, ensure, isHttpUrl, labelValueReason, urlHasCredentials } from '../../lib/k8s/validators.js';
import { ModuleEnv } from './module-env.js';
import { checkImagePullPolicy, checkImagePullSecrets, checkNodeSelector, checkTolerations, nodeSelectorTolerations, refuseDerivedEnv, type Toleration } from './props.js';
import { ARMONIK_IMAGES, ARMONIK_VERSIONS } from './versions.js';
import { armonikPrometheusAddress, buildWorkload, type Workload } from './workload.js';

const COMPONENT = 'pod-deletion-cost';

/** Props of {@link PodDeletionCost}: ArmoniK.Infra's `pod_deletion_cost` (`armonik/variables.tf`), in camelCase. */
export interface PodDeletionCostProps {
  /** Namespace: the ArmoniK whose compute-plane pods it annotates. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the ServiceAccount, Role, RoleBinding, Deployment and container. @default 'pdc-update' */
  readonly name?: string;
  /** The pods' `app` label (Infra's `label_app`). @default 'armonik' */
  readonly labelApp?: string;
  /** Image. @default `dockerhubaneo/armonik_pdc_update:<ARMONIK_VERSIONS.infraPlugins>` ('0.3.0') */
  readonly image?: string;
  /**
   * Base URL of the Prometheus that scrapes the polling agents (`PrometheusUrl`); the updater
   * queries `<url>api/v1/query`, so a path must end with `/`.
   * @default `http://prometheus.<namespace>.svc.cluster.local:9090/` (the Prometheus the KEDA triggers query)
   */
  readonly prometheusUrl?: string;
  /**
   * The PromQL query (`MetricsName`): one series per polling-agent pod, valued with the start time
   * (Unix seconds) of its oldest running task and labelled `kubernetes_namespace` and
   * `kubernetes_pod_name`.
   * @default `TaskStartTime_Seconds{kubernetes_namespace="<namespace>"}`
   */
  readonly metricsName?: string;
  /** Seconds between two updates (`Period`), at least 0.001 and at most 86400. @default 10 */
  readonly period?: number;
  /** Seconds: a task younger than this counts as just started, whatever its age (`IgnoreYoungerThan`). @default 10 */
  readonly ignoreYoungerThan?: number;
  /** Pods patched at once (`Concurrency`), 1 to 4294967295. @default 10 */
  readonly concurrency?: number;
  /** Seconds per step of the cost (`Granularity`), at least 1. @default 2 */
  readonly granularity?: number;
  /** More env of the updater (Infra's `extra_conf`), e.g. `{ RUST_LOG: 'info' }`; not the variables above. @default none */
  readonly extraConf?: Readonly<Record<string, string>>;
  /** Requests and limits (Infra's `requests` and `limits`). @default 10m/32Mi requests, 100m/128Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Labels of the nodes it may run on; each is also tolerated as a `NoSchedule` taint, as Infra does. @default none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Secrets to pull the image with (Infra's `image_pull_secrets`, one name there). @default none */
  readonly imagePullSecrets?: readonly string[];
  /** When the kubelet pulls the image (Infra's `image_pull_policy`). @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Tolerations of the pod, after those of `nodeSelector`. @default none */
  readonly tolerations?: readonly Toleration[];
  /** Annotations of the pod. @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** {@link PodDeletionCostProps} but the namespace, which `ArmoniK` sets. */
export type PodDeletionCostOptions = Omit<PodDeletionCostProps, 'namespace'>;

const PROPS: ReadonlyArray<keyof PodDeletionCostProps> = [
  'namespace', 'name', 'labelApp', 'image', 'prometheusUrl', 'metricsName', 'period', 'ignoreYoungerThan', 'concurrency', 'granularity',
  'extraConf', 'resources', 'nodeSelector', 'imagePullSecrets', 'imagePullPolicy', 'tolerations', 'annotations',
];

/** The fields of {@link PodDeletionCostOptions}. @internal */
export const POD_DELETION_COST_OPTIONS: ReadonlyArray<keyof PodDeletionCostOptions> = PROPS.filter((p) => p !== 'namespace') as Array<keyof PodDeletionCostOptions>;

/**
 * The env the updater reads, each from its prop: ArmoniK.Infra.Plugins `pdc-update/src/main.rs`
 * (`Cli`, clap `env = ...`), the names Infra's `armonik/pdc.tf` passes too.
 */
const TYPED_ENV: Readonly<Record<string, keyof PodDeletionCostProps>> = {
  PrometheusUrl: 'prometheusUrl',
  MetricsName: 'metricsName',
  Period: 'period',
  IgnoreYoungerThan: 'ignoreYoungerThan',
  Concurrency: 'concurrency',
  Granularity: 'granularity',
};

/**
 * ArmoniK's pod-deletion-cost updater (ArmoniK.Infra `armonik/pdc.tf`; the binary is
 * ArmoniK.Infra.Plugins `pdc-update`), so that a scale-down removes idle compute-plane pods first.
 * Every `period` it runs the instant query `metricsName` against Prometheus
 * (`src/metrics/prometheus.rs`: `GET <prometheusUrl>api/v1/query?query=<metricsName>`), turns each
 * series (`kubernetes_namespace`, `kubernetes_pod_name`, the start time of the pod's oldest running
 * task, which ArmoniK.Core's polling agent exports as `TaskStartTime_Seconds`) into a cost
 * (`src/cost/age.rs`: -1 for an idle pod, the same small cost for tasks younger than
 * `ignoreYoungerThan`, higher for older tasks) and, for each cost that changed, JSON-patches the pod
 * (`src/updater/pod.rs`: `add /metadata/annotations` with `controller.kubernetes.io/pod-deletion-cost`),
 * which the ReplicaSet controller reads when it picks the pods to delete.
 *
 * Its Role allows `patch` on pods in its namespace, nothing else: the binary makes no other API
 * call (Infra also grants `get`, which it never uses). It serves nothing, so it has no port and no
 * probe. The image is a static binary in `scratch` running as 65534:65534 (`pdc-update/Dockerfile`),
 * so the pod is PodSecurity `restricted` with a read-only root filesystem and no volume.
 */
export class PodDeletionCost extends Construct {
  /** uid and gid of the image (`pdc-update/Dockerfile`: `USER 65534:65534`). */
  public static readonly UID = 65534;
  public readonly name: string;
  public readonly namespace: string;
  public readonly serviceAccount: ApiObject;
  public readonly role: ApiObject;
  public readonly roleBinding: ApiObject;
  public readonly workload: Workload;
  /** The env of the container: the typed variables and `extraConf`. */
  public readonly env: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PodDeletionCostProps = {}) {
    super(scope, id);
    const where = `PodDeletionCost ${this.node.path}`;
    props = checkObject(where, 'props', props, PROPS);
    this.namespace = resolveNamespace(this, where, props.namespace);
    // The container's name too: a DNS-1123 label.
    this.name = checkDns1123Label(where, 'name', props.name ?? 'pdc-update');
    const labelApp = ensure(where, 'labelApp', props.labelApp ?? 'armonik', labelAppReason(props.labelApp ?? 'armonik'));
    const image = checkImage(where, 'image', props.image ?? `${ARMONIK_IMAGES.podDeletionCost}:${ARMONIK_VERSIONS.infraPlugins}`);
    const extraConf = checkOptionalEnv(where, 'extraConf', props.extraConf) ?? {};
    refuseDerivedEnv(where, 'extraConf', extraConf, (name) => (Object.prototype.hasOwnProperty.call(TYPED_ENV, name) ? TYPED_ENV[name] : undefined));
    const nodeSelector = checkNodeSelector(where, 'nodeSelector', props.nodeSelector);
    const imagePullSecrets = checkImagePullSecrets(where, 'imagePullSecrets', props.imagePullSecrets);
    const imagePullPolicy = checkImagePullPolicy(where, 'imagePullPolicy', props.imagePullPolicy ?? 'IfNotPresent');
    const tolerations = checkTolerations(where, 'tolerations', props.tolerations);
    checkMetadataMap(where, 'annotations', props.annotations as Record<string, string> | undefined, 'annotation');

    // Defaults: the binary's own (`main.rs`, `Cli`), which Infra leaves to it; written out here.
    this.env = {
      PrometheusUrl: checkPrometheusUrl(where, props.prometheusUrl ?? `${armonikPrometheusAddress(this.namespace)}/`),
      MetricsName: checkQuery(where, props.metricsName ?? `TaskStartTime_Seconds{kubernetes_namespace="${this.namespace}"}`),
      // `Duration::from_secs_f64` and tokio's `interval`, which panics on a zero period (below 1 ns).
      Period: String(checkSeconds(where, 'period', props.period ?? 10, 0.001, 86_400)),
      IgnoreYoungerThan: String(checkSeconds(where, 'ignoreYoungerThan', props.ignoreYoungerThan ?? 10, 0)),
      // A u32 given to futures' `buffer_unordered` (`src/updater/mod.rs`), which takes 0 as no bound at all: refused.
      Concurrency: String(checkInteger(where, 'concurrency', props.concurrency ?? 10, 1, 4_294_967_295)),
      // `src/cost/age.rs`: a busy pod costs i32::MAX - start / granularity; below 1 s that is negative for
      // today's Unix times and every busy pod gets the floor cost 1, as if all were equal.
      Granularity: String(checkSeconds(where, 'granularity', props.granularity ?? 2, 1)),
      ...extraConf,
    };

    // The labels buildWorkload gives the Deployment and its pods, on the RBAC objects too.
    const labels = { ...appLabels({ name: COMPONENT, instance: this.name, component: COMPONENT, partOf: 'armonik' }), app: labelApp, service: COMPONENT };
    const metadata = { name: this.name, namespace: this.namespace, labels };
    this.serviceAccount = new ApiObject(this, 'service-account', { apiVersion: 'v1', kind: 'ServiceAccount', metadata });
    this.role = new ApiObject(this, 'role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      // `src/updater/pod.rs`: `Api::<Pod>::patch` (JSON patch) and nothing else; no get, list or watch.
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['patch'] }],
    });
    this.roleBinding = new ApiObject(this, 'role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.name },
      subjects: [{ kind: 'ServiceAccount', name: this.name, namespace: this.namespace }],
    });
    this.workload = buildWorkload(this, {
      where,
      name: this.name,
      namespace: this.namespace,
      component: COMPONENT,
      instance: this.name,
      replicas: 1,
      moduleEnv: ModuleEnv.INLINE,
      // ArmoniK.Infra `pdc.tf`: `app = label_app`, `service = "pod-deletion-cost"`.
      podLabels: { app: labelApp, service: COMPONENT },
      podAnnotations: props.annotations,
      uid: PodDeletionCost.UID,
      // The token is mounted: `kube::Client::try_default()` reads the in-cluster config.
      serviceAccountName: this.name,
      nodeSelector,
      // ArmoniK.Infra `pdc.tf`: one `NoSchedule` toleration per node-selector label.
      tolerations: [...nodeSelectorTolerations(nodeSelector), ...tolerations],
      imagePullSecrets,
      imagePullPolicy,
      network: { apiServer: true, queriesScraper: [urlPort(this.env.PrometheusUrl)] },
      containers: [
        {
          name: this.name,
          image,
          env: this.env,
          resources: plainResources(props.resources, { cpuRequest: '10m', memoryRequest: '32Mi', cpuLimit: '100m', memoryLimit: '128Mi' }, where, 'resources'),
          conf: ModuleOutputs.empty(),
          confField: 'none',
        },
      ],
    });
    claimObjectNames(this, where);
  }
}

function labelAppReason(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return labelValueReason(value);
  return `must be a non-empty label value, not ${describeValue(value)}`;
}

/** A number of seconds from `min` to `max`, as Rust's `f64` parses it from the env. */
function checkSeconds(where: string, field: string, value: unknown, min: number, max = Number.MAX_VALUE): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
  const shown = typeof value === 'number' ? String(value) : describeValue(value);
  const range = max === Number.MAX_VALUE ? `of at least ${min}` : `from ${min} to ${max}`;
  throw new ValidationError(where, field, `${shown} is not a number of seconds ${range}`, value);
}

/**
 * `PrometheusUrl`: an http(s) URL the updater joins `api/v1/query` to (`src/metrics/prometheus.rs`,
 * `Url::join`), which replaces the last path segment unless the path ends with `/`, and drops a
 * query or fragment.
 */
function checkPrometheusUrl(where: string, url: unknown): string {
  const field = 'prometheusUrl';
  // The value is written into the Deployment as it is; the error keeps no value: it would be the password.
  if (urlHasCredentials(url as string)) {
    const redacted = (url as string).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/i, '$1***@');
    throw new ValidationError(where, field, `${quote(redacted)} carries credentials, which would be written in plain text into the Deployment; the updater reads no Secret, so let it reach Prometheus without credentials (e.g. through the Service inside the cluster)`);
  }
  let parsed: URL | undefined;
  try {
    parsed = isHttpUrl(url as string) ? new URL(url as string) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) throw new ValidationError(where, field, `${showValue(url)} is not an http(s) URL`, url);
  const s = url as string;
  if (parsed.search || parsed.hash || /[?#]/.test(s)) {
    throw new ValidationError(where, field, `${quote(s)} has a query or fragment, which the updater drops when it appends "api/v1/query" (Url::join)`, s);
  }
  if (!parsed.pathname.endsWith('/')) {
    const joined = new URL('api/v1/query', s).toString();
    throw new ValidationError(where, field, `${quote(s)} would be queried at ${quote(joined)}: the updater joins "api/v1/query" to it (Url::join), which replaces the last path segment; end the path with "/"`, s);
  }
  return s;
}

/** `MetricsName`: the PromQL query, sent as it is. */
function checkQuery(where: string, query: unknown): string {
  if (typeof query !== 'string' || query.trim().length === 0) {
    throw new ValidationError(where, 'metricsName', `must be a PromQL query (such as "TaskStartTime_Seconds"), not ${describeValue(query)}`, query);
  }
  return query;
}

