import { Construct } from 'constructs';
import { ComputePlane, type ComputeContainerProps, type PartitionProps } from './compute-plane.js';
import { ControlPlane, type ControlPlaneProps } from './control-plane.js';
import { MetricsExporter, type MetricsExporterProps } from './metrics-exporter.js';
import type { ModuleEnv } from './module-env.js';
import { PartitionMetricsExporter } from './partition-metrics-exporter.js';
import type { ModuleList } from './workload.js';

/** Props of {@link ArmoniK}: AEP 5's inputs, one `conf` list of modules per consumer. */
export interface ArmoniKProps {
  /** Namespace of every component. @default the chart's namespace */
  readonly namespace?: string;
  /** The control plane (its `conf`: queue, object and table storage). */
  readonly controlPlane: Omit<ControlPlaneProps, 'namespace'>;
  /** The compute plane: `conf` for both containers, and the partitions. */
  readonly computePlane: {
    readonly conf?: ModuleList;
    readonly partitions: Readonly<Record<string, PartitionProps>>;
    readonly moduleEnv?: ModuleEnv;
  };
  /** The polling agent of every partition (its `conf`: queue, object and table storage). @default none */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of every partition (its `conf`: e.g. shared storage). @default none */
  readonly worker?: ComputeContainerProps;
  /** The metrics exporter and partition metrics exporter (their `conf`: the table storage). */
  readonly metricsExporter: Omit<MetricsExporterProps, 'namespace'>;
}

/**
 * A whole ArmoniK: control plane, compute plane (one Deployment per partition, autoscaled), the
 * metrics exporter and the partition metrics exporter, each taking its modules from its `conf`
 * as AEP 5 describes. Swapping a module (ActiveMQ for RabbitMQ, MinIO for S3) changes only what
 * its consumers get from it.
 */
export class ArmoniK extends Construct {
  public readonly controlPlane: ControlPlane;
  public readonly computePlane: ComputePlane;
  public readonly metricsExporter: MetricsExporter;
  public readonly partitionMetricsExporter: PartitionMetricsExporter;

  constructor(scope: Construct, id: string, props: ArmoniKProps) {
    super(scope, id);
    const namespace = props.namespace;
    this.controlPlane = new ControlPlane(this, 'control-plane', { ...props.controlPlane, namespace });
    this.metricsExporter = new MetricsExporter(this, 'metrics-exporter', { ...props.metricsExporter, namespace });
    this.partitionMetricsExporter = new PartitionMetricsExporter(this, 'partition-metrics-exporter', {
      ...props.metricsExporter,
      name: undefined,
      image: undefined,
      namespace,
      metricsExporter: this.metricsExporter,
    });
    this.computePlane = new ComputePlane(this, 'compute-plane', {
      namespace,
      conf: props.computePlane.conf,
      partitions: props.computePlane.partitions,
      moduleEnv: props.computePlane.moduleEnv,
      pollingAgent: props.pollingAgent,
      worker: props.worker,
    });
  }
}
