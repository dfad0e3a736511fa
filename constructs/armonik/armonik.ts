import { Construct } from 'constructs';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, isPlainObject, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { ensure } from '../../lib/k8s/validators.js';
import { ComputePlane, type CacheConfig, type ComputeContainerProps, type InitOptions, type NodeCache, type PartitionProps, type WorkerProps } from './compute-plane.js';
import { ControlPlane, type ControlPlaneProps } from './control-plane.js';
import { CoreSettings } from './core-settings.js';
import { MetricsExporter, type MetricsExporterProps } from './metrics-exporter.js';
import type { ModuleEnv } from './module-env.js';
import { LogSettings, type LogSettingsProps } from './log-settings.js';
import { AdminGui, type AdminGuiProps } from './admin-gui.js';
import { ArmoniKAuthentication, type AuthenticationProps } from './authentication.js';
import { ArmoniKIngress, type ArmoniKIngressProps } from './ingress.js';
import { armonikMonitorTargets, checkPrometheusDuration, PrometheusMonitors } from './prometheus-monitors.js';
import { checkMetadataMap } from '../../lib/k8s/props.js';
import { POD_DELETION_COST_OPTIONS, PodDeletionCost, type PodDeletionCostOptions } from './pod-deletion-cost.js';
import { checkModuleList, partitionNameReason, POD_SETTINGS_PROPS, type PodSettingsProps } from './props.js';
import { checkObject, checkOptionalEnv } from '../../lib/k8s/props.js';
import type { ModuleList } from './workload.js';

/** Props of {@link ArmoniK}: AEP 5's inputs, one `conf` list of modules per consumer. */
export interface ArmoniKProps {
  /** Namespace of every component. @default the chart's namespace */
  readonly namespace?: string;
  /** ArmoniK Core release of every Core image. @default ARMONIK_VERSIONS.core ('0.37.2') */
  readonly coreVersion?: string;
  /** Site-wide Core settings on top of ArmoniK's, in the `core-configmap` every Core component loads. @default ARMONIK_CORE_SETTINGS */
  readonly coreSettings?: Readonly<Record<string, string>>;
  /** The control plane (its `conf`: queue, object and table storage). `defaultPartition` defaults to `default` if there is one, else the first partition. */
  readonly controlPlane: Omit<ControlPlaneProps, 'namespace' | 'coreVersion' | 'core'>;
  /** The compute plane: `conf` for both containers, the partitions and the init. */
  readonly computePlane: {
    readonly conf?: ModuleList;
    readonly partitions: Readonly<Record<string, PartitionProps>>;
    readonly moduleEnv?: ModuleEnv;
    readonly init?: InitOptions;
    readonly cacheConfig?: CacheConfig;
    readonly nodeCache?: NodeCache;
  } & PodSettingsProps;
  /** The polling agent of every partition (its `conf`: queue, object and table storage). @default none */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of every partition (its `conf`: e.g. shared storage). @default none */
  readonly worker?: WorkerProps;
  /** The metrics exporter (its `conf`: the table storage). */
  readonly metricsExporter: Omit<MetricsExporterProps, 'namespace' | 'coreVersion' | 'core'>;
  /**
   * The pod-deletion-cost updater, on as in ArmoniK (its quick-deploys' `pod_deletion_cost` defaults to `{}`), so that a
   * scale-down removes idle compute-plane pods first; `false` for none.
   * @default {} (PodDeletionCost's defaults: Prometheus `http://prometheus.<namespace>.svc.cluster.local:9090/`)
   */
  readonly podDeletionCost?: PodDeletionCostOptions | false;
  /**
   * Log levels of every ArmoniK container (Infra's `logging_level` and `log-configmap`): the `Serilog__*`
   * settings, first of each component's modules.
   * @default { level: 'Information' } (the request loggers at Warning, as Infra)
   */
  readonly logging?: LogSettingsProps;
  /**
   * Authentication and authorization (Infra's `authentication`): the `Authenticator__*` Core
   * settings, and the users, roles and certificates (the ingress's generated client certificates
   * too) that the init stores in Core's database.
   * @default none: off, as Infra's `core-configmap` without it
   */
  readonly authentication?: AuthenticationProps;
  /** The admin GUI (Infra's `gui`), e.g. `{}` for its defaults; behind the ingress at `/admin/` when there is one. @default none */
  readonly adminGui?: Omit<AdminGuiProps, 'namespace'>;
  /**
   * The ingress in front of the control plane and the GUI (Infra's `ingress`), e.g.
   * `{ mtls: { clientCertificates: { submitter: {} } } }`. Its generated client certificates are
   * stored for their users when `authentication` is on.
   * @default none
   */
  readonly ingress?: Omit<ArmoniKIngressProps, 'namespace' | 'controlPlane' | 'adminGui'>;
  /**
   * ServiceMonitors and PodMonitors for a Prometheus Operator (control plane, polling agents,
   * metrics exporter: Infra's scrape jobs), labelled so its Prometheus selects them.
   * @default none: Infra's Prometheus finds the pods by their labels and ports
   */
  readonly prometheusMonitors?: { readonly labels?: Readonly<Record<string, string>>; readonly interval?: string };
}

/**
 * A whole ArmoniK as ArmoniK.Infra's `armonik` module deploys it: the Core settings ConfigMap,
 * the control plane, the compute plane (one Deployment per partition, scaled by KEDA, and the
 * init Job that creates the storage and the partitions), the metrics exporter, each taking
 * its modules from its `conf` as AEP 5 describes, and the pod-deletion-cost updater (unless
 * `podDeletionCost: false`). Swapping a module (ActiveMQ for RabbitMQ, MinIO
 * for S3) changes only what its consumers get from it.
 */
export class ArmoniK extends Construct {
  public readonly coreSettings: CoreSettings;
  public readonly controlPlane: ControlPlane;
  public readonly computePlane: ComputePlane;
  public readonly metricsExporter: MetricsExporter;
  /** The pod-deletion-cost updater, unless `podDeletionCost: false`. */
  public readonly podDeletionCost?: PodDeletionCost;
  /** The authentication, when `authentication` is given. */
  public readonly authentication?: ArmoniKAuthentication;
  /** The admin GUI, when `adminGui` is given. */
  public readonly adminGui?: AdminGui;
  /** The ingress, when `ingress` is given. */
  public readonly ingress?: ArmoniKIngress;
  /** The Prometheus Operator monitors, when `prometheusMonitors` is given. */
  public readonly prometheusMonitors?: PrometheusMonitors;

  constructor(scope: Construct, id: string, props: ArmoniKProps) {
    super(scope, id);
    const where = `ArmoniK ${this.node.path}`;
    props = checkObject(where, 'props', props, ARMONIK_PROPS, true);
    const { namespace, coreVersion } = props;
    // What ArmoniK reads itself is checked here; the rest by the component it goes to.
    const controlPlane = checkObject<ArmoniKProps['controlPlane']>(where, 'controlPlane', props.controlPlane, CONTROL_PLANE_FIELDS, true);
    const computePlane = checkObject<ArmoniKProps['computePlane']>(where, 'computePlane', props.computePlane, COMPUTE_PLANE_FIELDS, true);
    const metricsExporter = checkObject<ArmoniKProps['metricsExporter']>(where, 'metricsExporter', props.metricsExporter, METRICS_EXPORTER_FIELDS, true);
    if (props.podDeletionCost !== false && props.podDeletionCost !== undefined && (typeof props.podDeletionCost !== 'object' || props.podDeletionCost === null)) {
      throw new ValidationError(where, 'podDeletionCost', `must be its options ({} for the defaults) or false for none, not ${describeValue(props.podDeletionCost)}`, props.podDeletionCost);
    }
    const podDeletionCost = props.podDeletionCost === false ? undefined : checkObject<PodDeletionCostOptions>(where, 'podDeletionCost', props.podDeletionCost, POD_DELETION_COST_OPTIONS);
    if (!isPlainObject(computePlane.partitions)) {
      throw new ValidationError(where, 'computePlane.partitions', `must be an object of partitions by name (such as { default: {} }), not ${describeValue(computePlane.partitions)}`, computePlane.partitions);
    }
    const partitions = Object.keys(computePlane.partitions).sort();
    if (partitions.length === 0) throw new ValidationError(where, 'computePlane.partitions', `give at least one partition`);
    // The default partition is one of them: a bad name is reported as a partition, not as the control plane's default.
    for (const partition of partitions) ensure(where, `computePlane.partitions.${partition}`, partition, partitionNameReason(partition));
    const controlEnv = checkOptionalEnv(where, 'controlPlane.env', controlPlane.env) ?? {};
    if (controlPlane.defaultPartition !== undefined && controlEnv.Submitter__DefaultPartition !== undefined) {
      throw new ValidationError(where, 'controlPlane.env', `Submitter__DefaultPartition is set by controlPlane.defaultPartition; give one of them`);
    }
    const defaultPartition = controlPlane.defaultPartition ?? controlEnv.Submitter__DefaultPartition ?? (partitions.includes('default') ? 'default' : partitions[0]);
    if (!partitions.includes(defaultPartition)) {
      const shown = showValue(defaultPartition);
      throw new ValidationError(where, 'controlPlane.defaultPartition', `${shown} is not a partition of the compute plane (${partitions.join(', ')}); Core refuses sessions on an unknown partition`, defaultPartition);
    }
    const log = LogSettings.of(props.logging ?? {}, where, 'logging');
    const withLog = (field: string, conf: ModuleList | undefined) => [log, ...checkModuleList(where, field, conf)];
    this.authentication = props.authentication === undefined ? undefined : ArmoniKAuthentication.of(props.authentication, where, 'authentication');
    if (this.authentication && computePlane.init?.authentication !== undefined) {
      throw new ValidationError(where, 'computePlane.init.authentication', `is set from authentication; give one of them`);
    }
    this.coreSettings = new CoreSettings(this, 'core', { namespace, env: props.coreSettings, authentication: this.authentication });
    const core = this.coreSettings;
    delete controlEnv.Submitter__DefaultPartition;
    this.controlPlane = new ControlPlane(this, 'control-plane', {
      ...controlPlane, conf: withLog('controlPlane.conf', controlPlane.conf), env: controlEnv, defaultPartition, namespace, coreVersion, core,
    });
    if (props.adminGui !== undefined) this.adminGui = new AdminGui(this, 'admin-gui', { ...checkObject<Omit<AdminGuiProps, 'namespace'>>(where, 'adminGui', props.adminGui, ADMIN_GUI_FIELDS, true), namespace });
    if (props.ingress !== undefined) {
      const ingress = checkObject<Omit<ArmoniKIngressProps, 'namespace' | 'controlPlane' | 'adminGui'>>(where, 'ingress', props.ingress, INGRESS_FIELDS, true);
      if (this.authentication?.requireAuthentication && ingress.mtls === undefined) {
        // Without mTLS the ingress passes no certificate name, and drops a client's own: nobody would authenticate.
        throw new ValidationError(where, 'ingress.mtls', `authentication is required, so the ingress needs mTLS: Core identifies callers by the client certificate the ingress verifies`);
      }
      this.ingress = new ArmoniKIngress(this, 'ingress', { ...ingress, namespace, controlPlane: this.controlPlane, adminGui: this.adminGui });
    }
    this.metricsExporter = new MetricsExporter(this, 'metrics-exporter', { ...metricsExporter, conf: withLog('metricsExporter.conf', metricsExporter.conf), namespace, coreVersion, core });
    this.computePlane = new ComputePlane(this, 'compute-plane', {
      ...computePlane,
      conf: withLog('computePlane.conf', computePlane.conf),
      init: this.authentication ? { ...computePlane.init, authentication: this.authentication, clientCertificates: this.ingress?.clientCertificates } : computePlane.init,
      namespace,
      coreVersion,
      core,
      pollingAgent: props.pollingAgent,
      worker: props.worker,
    });
    if (props.prometheusMonitors !== undefined) {
      const m = checkObject<NonNullable<ArmoniKProps['prometheusMonitors']>>(where, 'prometheusMonitors', props.prometheusMonitors, ['labels', 'interval']);
      checkMetadataMap(where, 'prometheusMonitors.labels', m.labels as Record<string, string> | undefined, 'label');
      if (m.interval !== undefined) checkPrometheusDuration(where, 'prometheusMonitors.interval', m.interval);
      this.prometheusMonitors = new PrometheusMonitors(this, 'prometheus-monitors', {
        namespace, labels: m.labels, interval: m.interval, targets: armonikMonitorTargets(undefined, this.metricsExporter.name),
      });
    }
    if (podDeletionCost) this.podDeletionCost = new PodDeletionCost(this, 'pod-deletion-cost', { ...podDeletionCost, namespace });
    claimObjectNames(this, where);
  }
}

const ARMONIK_PROPS: ReadonlyArray<keyof ArmoniKProps> = [
  'namespace', 'coreVersion', 'coreSettings', 'controlPlane', 'computePlane', 'pollingAgent', 'worker', 'metricsExporter', 'podDeletionCost', 'logging',
  'authentication', 'adminGui', 'ingress', 'prometheusMonitors',
];
const INGRESS_FIELDS: ReadonlyArray<keyof ArmoniKIngressProps> = [
  'name', 'grafana', 'seq', 'tls', 'mtls', 'cors', 'service', 'httpPort', 'grpcPort', 'langs', 'resolver', 'image', 'replicas', 'resources', ...POD_SETTINGS_PROPS,
];
const ADMIN_GUI_FIELDS: ReadonlyArray<keyof AdminGuiProps> = ['name', 'image', 'replicas', 'resources', 'serviceType', 'port', ...POD_SETTINGS_PROPS];
/** ControlPlaneProps but those ArmoniK sets: `namespace`, `coreVersion`, `core`. */
const CONTROL_PLANE_FIELDS: ReadonlyArray<keyof ArmoniKProps['controlPlane']> = [
  'conf', 'name', 'image', 'replicas', 'scaling', 'resources', 'servicePort', 'defaultPartition', 'moduleEnv', 'env', ...POD_SETTINGS_PROPS,
];
const COMPUTE_PLANE_FIELDS: ReadonlyArray<keyof ArmoniKProps['computePlane']> = ['conf', 'partitions', 'moduleEnv', 'init', 'cacheConfig', 'nodeCache', ...POD_SETTINGS_PROPS];
/** MetricsExporterProps but those ArmoniK sets. */
const METRICS_EXPORTER_FIELDS: ReadonlyArray<keyof ArmoniKProps['metricsExporter']> = ['conf', 'name', 'image', 'resources', 'moduleEnv', 'env', ...POD_SETTINGS_PROPS];
