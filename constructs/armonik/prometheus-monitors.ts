/**
 * Prometheus Operator `ServiceMonitor`s and `PodMonitor`s (`monitoring.coreos.com/v1`) for a
 * Prometheus the operator runs, in place of the scrape jobs of the Prometheus ArmoniK.Infra deploys
 * (`monitoring/onpremise/prometheus/prometheus-configmap.tf`). Field names are the operator's API
 * (`Documentation/api-reference/api.md`: ServiceMonitorSpec `selector`, `namespaceSelector.matchNames`,
 * `endpoints[].port|path|interval|relabelings`; PodMonitorSpec `podMetricsEndpoints[]`).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { checkMetadataMap, checkObject } from '../../lib/k8s/props.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, checkDns1123Subdomain, checkPortName } from '../../lib/k8s/validators.js';

/** What one monitor scrapes. */
export interface MonitorTarget {
  /** Name of the ServiceMonitor or PodMonitor. */
  readonly name: string;
  /** Namespace of the monitor and of the Services or pods it selects. @default the construct's `namespace` */
  readonly namespace?: string;
  /** A ServiceMonitor (the endpoints of Services) or a PodMonitor (pods). */
  readonly kind: 'service' | 'pod';
  /** Labels of the Services or pods (`selector.matchLabels`); at least one. */
  readonly selector: Readonly<Record<string, string>>;
  /** Name of the Service port, or of the container port for a PodMonitor. */
  readonly port: string;
  /** HTTP path of the metrics. @default '/metrics' */
  readonly path?: string;
  /** Scrape interval, a Prometheus duration such as '30s'. @default the construct's `interval`, else the Prometheus' own */
  readonly interval?: string;
  /**
   * Add the target labels ArmoniK.Infra's Prometheus sets (`kubernetes_namespace`, `kubernetes_pod_name`,
   * `kubernetes_pod_node_name`), which ArmoniK's queries use: the pod-deletion-cost updater's
   * `TaskStartTime_Seconds{kubernetes_namespace=...}` needs them on the polling agents' series.
   * @default false
   */
  readonly infraLabels?: boolean;
}

/** Props of {@link PrometheusMonitors}. */
export interface PrometheusMonitorsProps {
  /** The monitors; at least one. */
  readonly targets: readonly MonitorTarget[];
  /**
   * Labels of every monitor: those the operator's Prometheus selects monitors by
   * (its `serviceMonitorSelector` and `podMonitorSelector`), e.g. `{ release: 'prometheus' }`
   * for kube-prometheus-stack.
   * @default none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** Scrape interval of targets that give none. @default the Prometheus' own (its `scrapeInterval`) */
  readonly interval?: string;
  /** Namespace of targets that give none. @default the chart's namespace */
  readonly namespace?: string;
}

const PROPS: ReadonlyArray<keyof PrometheusMonitorsProps> = ['targets', 'labels', 'interval', 'namespace'];
const TARGET_FIELDS: ReadonlyArray<keyof MonitorTarget> = ['name', 'namespace', 'kind', 'selector', 'port', 'path', 'interval', 'infraLabels'];

/**
 * The operator's `Duration` (`monitoring/v1/types.go`): units y, w, d, h, m, s, ms from the largest,
 * each at most once. An empty or zero interval is refused too: Prometheus needs a positive one.
 */
const DURATION = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;

/** A scrape interval: a non-zero Prometheus duration. */
export function checkPrometheusDuration(where: string, field: string, value: unknown): string {
  if (typeof value === 'string' && value !== '' && DURATION.test(value) && /[1-9]/.test(value)) return value;
  throw new ValidationError(where, field, `${showValue(value)} is not a non-zero Prometheus duration (such as "30s", "1m30s" or "500ms")`, value);
}

/** Infra's relabelings of its pod jobs (`metrics-control-plane`, `metrics-polling-agent`), as the operator spells them. */
const INFRA_RELABELINGS = [
  { sourceLabels: ['__meta_kubernetes_namespace'], action: 'replace', targetLabel: 'kubernetes_namespace' },
  { sourceLabels: ['__meta_kubernetes_pod_node_name'], action: 'replace', targetLabel: 'kubernetes_pod_node_name' },
  { sourceLabels: ['__meta_kubernetes_pod_name'], action: 'replace', targetLabel: 'kubernetes_pod_name' },
];

/** A ServiceMonitor or PodMonitor, as plain JSON. */
export interface MonitorObject {
  readonly apiVersion: 'monitoring.coreos.com/v1';
  readonly kind: 'ServiceMonitor' | 'PodMonitor';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

/** The monitor of one target, checked; the error names `field` (e.g. `targets[0]`). */
export function monitorObject(where: string, field: string, target: MonitorTarget, defaults: { namespace: string; interval?: string; labels?: Readonly<Record<string, string>> }): MonitorObject {
  const t = checkObject<MonitorTarget>(where, field, target, TARGET_FIELDS, true);
  const name = checkDns1123Subdomain(where, `${field}.name`, t.name, t.kind === 'pod' ? 'PodMonitor' : 'ServiceMonitor');
  const namespace = t.namespace === undefined ? defaults.namespace : checkDns1123Label(where, `${field}.namespace`, t.namespace);
  if (t.kind !== 'service' && t.kind !== 'pod') throw new ValidationError(where, `${field}.kind`, `${showValue(t.kind)} is not 'service' or 'pod'`, t.kind);
  if (t.selector === undefined || typeof t.selector !== 'object' || t.selector === null || Object.keys(t.selector).length === 0) {
    // An empty selector selects every Service or pod of the namespace.
    throw new ValidationError(where, `${field}.selector`, `must hold at least one label, not ${describeValue(t.selector)}`, t.selector);
  }
  checkMetadataMap(where, `${field}.selector`, t.selector as Record<string, string>, 'label');
  // A Service port name is a DNS-1123 label; a container port name an IANA service name (15 characters).
  const port = t.kind === 'service' ? checkDns1123Label(where, `${field}.port`, t.port) : checkPortName(where, `${field}.port`, t.port);
  const path = t.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s?#]/.test(path)) {
    throw new ValidationError(where, `${field}.path`, `${showValue(path)} is not an HTTP path (starting with "/", no space, query or fragment)`, path);
  }
  const interval = t.interval === undefined ? defaults.interval : checkPrometheusDuration(where, `${field}.interval`, t.interval);
  if (t.infraLabels !== undefined && typeof t.infraLabels !== 'boolean') {
    throw new ValidationError(where, `${field}.infraLabels`, `must be true or false, not ${describeValue(t.infraLabels)}`, t.infraLabels);
  }
  const endpoint = {
    port,
    path,
    ...(interval === undefined ? {} : { interval }),
    ...(t.infraLabels ? { relabelings: INFRA_RELABELINGS.map((r) => ({ ...r, sourceLabels: [...r.sourceLabels] })) } : {}),
  };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: t.kind === 'pod' ? 'PodMonitor' : 'ServiceMonitor',
    metadata: { name, namespace, ...(defaults.labels && Object.keys(defaults.labels).length ? { labels: { ...defaults.labels } } : {}) },
    spec: {
      selector: { matchLabels: { ...t.selector } },
      namespaceSelector: { matchNames: [namespace] },
      ...(t.kind === 'pod' ? { podMetricsEndpoints: [endpoint] } : { endpoints: [endpoint] }),
    },
  };
}

/**
 * ServiceMonitors and PodMonitors for the Prometheus Operator, one per target, each labelled so
 * the operator's Prometheus selects it. The CRDs must be installed (the operator's chart does).
 */
export class PrometheusMonitors extends Construct {
  /** The ServiceMonitors and PodMonitors, in the order of the targets. */
  public readonly monitors: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: PrometheusMonitorsProps) {
    super(scope, id);
    const where = `PrometheusMonitors ${this.node.path}`;
    props = checkObject(where, 'props', props, PROPS, true);
    const namespace = resolveNamespace(this, where, props.namespace);
    checkMetadataMap(where, 'labels', props.labels as Record<string, string> | undefined, 'label');
    const interval = props.interval === undefined ? undefined : checkPrometheusDuration(where, 'interval', props.interval);
    if (!Array.isArray(props.targets) || props.targets.length === 0) {
      throw new ValidationError(where, 'targets', `must be a non-empty list of targets, not ${describeValue(props.targets)}`, props.targets);
    }
    const seen = new Map<string, number>();
    this.monitors = props.targets.map((target, i) => {
      const spec = monitorObject(where, `targets[${i}]`, target, { namespace, interval, labels: props.labels });
      const meta = spec.metadata;
      const key = `${spec.kind} ${meta.namespace}/${meta.name}`;
      if (seen.has(key)) throw new ValidationError(where, `targets[${i}].name`, `${key} is also targets[${seen.get(key)}]`, meta.name);
      seen.set(key, i);
      return new ApiObject(this, `${i}-${meta.name}`, spec);
    });
    claimObjectNames(this, where);
  }
}

/**
 * The targets of ArmoniK.Infra's ArmoniK scrape jobs, as monitors of the objects the ArmoniK
 * constructs create in `namespace` (labels `app=armonik`, `service=<component>`, `workload.ts`
 * `armonikPodLabels`):
 * - `metrics-control-plane`: control-plane pods, container port `metrics-port` (1081);
 * - `metrics-polling-agent`: compute-plane pods, container port `poll-agent-port` (1080);
 * - `metrics-exporter`: the metrics exporter's Service, port `metrics`. A ServiceMonitor's `job`
 *   is the Service's name, `metrics-exporter`, the job the partitions' KEDA triggers query.
 * The pod monitors carry Infra's `kubernetes_*` labels (`infraLabels`).
 */
export function armonikMonitorTargets(namespace?: string, metricsExporterService = 'metrics-exporter'): MonitorTarget[] {
  const ns = namespace === undefined ? {} : { namespace };
  return [
    { name: 'armonik-control-plane', ...ns, kind: 'pod', selector: { app: 'armonik', service: 'control-plane' }, port: 'metrics-port', infraLabels: true },
    { name: 'armonik-polling-agent', ...ns, kind: 'pod', selector: { app: 'armonik', service: 'compute-plane' }, port: 'poll-agent-port', infraLabels: true },
    { name: 'armonik-metrics-exporter', ...ns, kind: 'service', selector: { app: 'armonik', service: 'metrics-exporter', 'app.kubernetes.io/instance': metricsExporterService }, port: 'metrics' },
  ];
}
