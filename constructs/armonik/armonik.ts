import { Construct } from 'constructs';
import { ValidationError } from '../../lib/k8s/validation.js';
import { ComputePlane, type ComputeContainerProps, type InitOptions, type PartitionProps } from './compute-plane.js';
import { ControlPlane, type ControlPlaneProps } from './control-plane.js';
import { CoreSettings } from './core-settings.js';
import { MetricsExporter, type MetricsExporterProps } from './metrics-exporter.js';
import type { ModuleEnv } from './module-env.js';
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
    readonly serviceAccountName?: string;
  };
  /** The polling agent of every partition (its `conf`: queue, object and table storage). @default none */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of every partition (its `conf`: e.g. shared storage). @default none */
  readonly worker?: ComputeContainerProps;
  /** The metrics exporter (its `conf`: the table storage). */
  readonly metricsExporter: Omit<MetricsExporterProps, 'namespace' | 'coreVersion' | 'core'>;
}

/**
 * A whole ArmoniK as ArmoniK.Infra's `armonik` module deploys it: the Core settings ConfigMap,
 * the control plane, the compute plane (one Deployment per partition, scaled by KEDA, and the
 * init Job that creates the storage and the partitions) and the metrics exporter, each taking
 * its modules from its `conf` as AEP 5 describes. Swapping a module (ActiveMQ for RabbitMQ, MinIO
 * for S3) changes only what its consumers get from it.
 */
export class ArmoniK extends Construct {
  public readonly coreSettings: CoreSettings;
  public readonly controlPlane: ControlPlane;
  public readonly computePlane: ComputePlane;
  public readonly metricsExporter: MetricsExporter;

  constructor(scope: Construct, id: string, props: ArmoniKProps) {
    super(scope, id);
    const where = `ArmoniK ${this.node.path}`;
    const { namespace, coreVersion } = props;
    const partitions = Object.keys(props.computePlane?.partitions ?? {}).sort();
    const defaultPartition = props.controlPlane.defaultPartition ?? props.controlPlane.env?.Submitter__DefaultPartition ?? (partitions.includes('default') ? 'default' : partitions[0]);
    if (defaultPartition !== undefined && !partitions.includes(defaultPartition)) {
      throw new ValidationError(where, 'controlPlane.defaultPartition', `"${defaultPartition}" is not a partition of the compute plane (${partitions.join(', ')}); Core refuses sessions on an unknown partition`);
    }
    this.coreSettings = new CoreSettings(this, 'core', { namespace, env: props.coreSettings });
    const core = this.coreSettings;
    const controlEnv = { ...props.controlPlane.env };
    delete controlEnv.Submitter__DefaultPartition;
    this.controlPlane = new ControlPlane(this, 'control-plane', { ...props.controlPlane, env: controlEnv, defaultPartition, namespace, coreVersion, core });
    this.metricsExporter = new MetricsExporter(this, 'metrics-exporter', { ...props.metricsExporter, namespace, coreVersion, core });
    this.computePlane = new ComputePlane(this, 'compute-plane', {
      ...props.computePlane,
      namespace,
      coreVersion,
      core,
      pollingAgent: props.pollingAgent,
      worker: props.worker,
    });
  }
}
