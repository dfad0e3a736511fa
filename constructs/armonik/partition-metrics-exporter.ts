import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkDns1035Label, checkImage } from '../../lib/k8s/validators.js';
import { MetricsExporter, exporterWorkload, type MetricsExporterProps } from './metrics-exporter.js';
import { METRICS_EXPORTER_PROPS, refuseDerivedEnv } from './props.js';
import { checkInstance, checkObject } from '../../lib/k8s/props.js';
import { ARMONIK_IMAGES } from './versions.js';
import { buildService, coreVersionOf, type Workload } from './workload.js';

/** Props of {@link PartitionMetricsExporter}. */
export interface PartitionMetricsExporterProps extends MetricsExporterProps {
  /** The metrics exporter it reads. */
  readonly metricsExporter: MetricsExporter;
}

/**
 * ArmoniK's partition metrics exporter (ArmoniK.Infra
 * `monitoring/onpremise/exporters/partition-metrics-exporter`): per-partition metrics derived from
 * the metrics exporter's and the table storage, on a Service (port 9420) annotated for Prometheus
 * scraping. Defaults as {@link MetricsExporter}, name `partition-metrics-exporter`, image
 * `dockerhubaneo/armonik_control_partition_metrics`.
 *
 * @deprecated ArmoniK.Core removed the component in 0.37.1 (no image exists for later releases);
 * it is refused for those unless an `image` is given.
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
    props = checkObject(where, 'props', props, [...METRICS_EXPORTER_PROPS, 'metricsExporter'], true);
    const source = checkInstance(where, 'metricsExporter', props.metricsExporter, MetricsExporter, 'new MetricsExporter(...)');
    if (source === undefined) throw new ValidationError(where, 'metricsExporter', 'is required: the MetricsExporter it reads');
    this.namespace = resolveNamespace(this, where, props.namespace);
    // The name is the Deployment's and the Service's (a DNS-1035 label).
    this.name = checkDns1035Label(where, 'name', props.name ?? 'partition-metrics-exporter');
    refuseDerivedEnv(where, 'env', props.env, (name) => (/^MetricsExporter__(Host|Port|Path)$/.test(name) ? 'metricsExporter' : undefined));
    const core = coreVersionOf(where, props.coreVersion);
    if (core.atLeast('0.37.1') && props.image === undefined) {
      throw new ValidationError(where, 'coreVersion', `ArmoniK Core ${core.version} has no partition metrics exporter (removed in 0.37.1); drop it, or give coreVersion 0.37.0 or older, or an image`);
    }
    this.workload = exporterWorkload(this, where, {
      name: this.name,
      namespace: this.namespace,
      component: 'partition-metrics-exporter',
      core,
      image: checkImage(where, 'image', props.image ?? `${ARMONIK_IMAGES.partitionMetricsExporter}:${core.version}`),
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
    claimObjectNames(this, where);
  }
}
