import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MetricsExporter, exporterWorkload, type MetricsExporterProps } from './metrics-exporter.js';
import { ARMONIK_CORE_VERSION, buildService, checkImage, resolveNamespace, type Workload } from './workload.js';

/** Props of {@link PartitionMetricsExporter}. */
export interface PartitionMetricsExporterProps extends MetricsExporterProps {
  /** The metrics exporter it reads. */
  readonly metricsExporter: MetricsExporter;
}

/**
 * ArmoniK's partition metrics exporter: per-partition metrics (pods reserved, max, queued)
 * derived from the metrics exporter's and the table storage, on a Service (port 9420) annotated
 * for Prometheus scraping. Defaults as {@link MetricsExporter}, name `partition-metrics-exporter`,
 * image `dockerhubaneo/armonik_control_partition_metrics`.
 */
export class PartitionMetricsExporter extends Construct {
  public static readonly SERVICE_PORT = 9420;
  public readonly name: string;
  public readonly namespace: string;
  public readonly workload: Workload;
  public readonly service: ApiObject;

  constructor(scope: Construct, id: string, props: PartitionMetricsExporterProps) {
    super(scope, id);
    const where = `PartitionMetricsExporter ${this.node.path}`;
    this.namespace = resolveNamespace(this, where, props.namespace);
    this.name = props.name ?? 'partition-metrics-exporter';
    const source = props.metricsExporter;
    this.workload = exporterWorkload(this, where, {
      name: this.name,
      namespace: this.namespace,
      component: 'partition-metrics-exporter',
      image: checkImage(where, 'image', props.image ?? `dockerhubaneo/armonik_control_partition_metrics:${ARMONIK_CORE_VERSION}`),
      env: {
        MetricsExporter__Host: source.host,
        MetricsExporter__Port: String(MetricsExporter.SERVICE_PORT),
        MetricsExporter__Path: '/metrics',
      },
      props,
    });
    this.service = buildService(this, {
      name: this.name,
      namespace: this.namespace,
      labels: this.workload.labels,
      selector: this.workload.selector,
      ports: [{ name: 'metrics', port: PartitionMetricsExporter.SERVICE_PORT, targetPort: MetricsExporter.CONTAINER_PORT }],
      scrape: { port: PartitionMetricsExporter.SERVICE_PORT, path: '/metrics' },
    });
  }
}
