import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/** Options of {@link PartitionScaling.hpa}. */
export interface HpaScalingOptions {
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default 10 */
  readonly maxReplicas?: number;
  /** Queued tasks per pod the autoscaler aims at. @default 2 */
  readonly tasksPerPod?: number;
  /** External metric name, `{partition}` replaced by the partition. @default 'armonik_{partition}_tasks_queued' */
  readonly metricName?: string;
}

/** Options of {@link PartitionScaling.keda}. */
export interface KedaScalingOptions {
  /** Prometheus that scrapes the metrics exporter, e.g. `http://prometheus.monitoring:9090`. */
  readonly prometheusAddress: string;
  /** @default 0 */
  readonly minReplicas?: number;
  /** @default 10 */
  readonly maxReplicas?: number;
  /** Queued tasks per pod. @default 2 */
  readonly tasksPerPod?: number;
  /** Seconds between queries. @default 15 */
  readonly pollingInterval?: number;
  /** Seconds before scaling to zero. @default 300 */
  readonly cooldownPeriod?: number;
}

type Spec =
  | { kind: 'fixed'; replicas: number }
  | { kind: 'hpa'; options: HpaScalingOptions }
  | { kind: 'keda'; options: KedaScalingOptions };

/**
 * How a partition's compute plane scales: a fixed replica count, an `autoscaling/v2`
 * HorizontalPodAutoscaler on the partition's queue metric (the default, needs an external
 * metrics adapter serving Prometheus metrics), or a KEDA `ScaledObject` querying Prometheus
 * (needs KEDA's CRDs, as ArmoniK.Infra does).
 */
export class PartitionScaling {
  public static fixed(replicas: number): PartitionScaling {
    return new PartitionScaling({ kind: 'fixed', replicas });
  }
  public static hpa(options: HpaScalingOptions = {}): PartitionScaling {
    return new PartitionScaling({ kind: 'hpa', options });
  }
  public static keda(options: KedaScalingOptions): PartitionScaling {
    return new PartitionScaling({ kind: 'keda', options });
  }

  private constructor(private readonly spec: Spec) {}

  /** The Deployment's `replicas`: absent when an autoscaler owns it. @internal */
  public _replicas(): number | undefined {
    return this.spec.kind === 'fixed' ? this.spec.replicas : undefined;
  }

  /** The fewest pods the partition runs. @internal */
  public _minReplicas(): number {
    const s = this.spec;
    return s.kind === 'fixed' ? s.replicas : (s.options.minReplicas ?? (s.kind === 'hpa' ? 1 : 0));
  }

  /** The most pods the partition may run. @internal */
  public _maxReplicas(): number {
    return this.spec.kind === 'fixed' ? this.spec.replicas : (this.spec.options.maxReplicas ?? 10);
  }

  /** Checks the options and creates the autoscaler of `deployment`. @internal */
  public _bind(scope: Construct, where: string, target: { name: string; namespace: string; partition: string; labels: Record<string, string> }): ApiObject | undefined {
    const int = (field: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min) throw new Error(`${where}: scaling.${field}: ${v} is not an integer >= ${min}`);
      return v;
    };
    const s = this.spec;
    if (s.kind === 'fixed') {
      int('replicas', s.replicas, 0);
      return undefined;
    }
    const min = int('minReplicas', s.options.minReplicas ?? (s.kind === 'hpa' ? 1 : 0), s.kind === 'hpa' ? 1 : 0);
    const max = int('maxReplicas', s.options.maxReplicas ?? 10, 1);
    if (max < min) throw new Error(`${where}: scaling: maxReplicas (${max}) is below minReplicas (${min})`);
    const perPod = int('tasksPerPod', s.options.tasksPerPod ?? 2, 1);
    const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name };
    const metadata = { name: target.name, namespace: target.namespace, labels: target.labels };
    if (s.kind === 'hpa') {
      const metricName = (s.options.metricName ?? 'armonik_{partition}_tasks_queued').replace(/\{partition\}/g, target.partition);
      if (!/^[^/%\s]+$/.test(metricName)) throw new Error(`${where}: scaling.metricName: "${metricName}" is not a metric name`);
      return new ApiObject(scope, 'hpa', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata,
        spec: {
          scaleTargetRef,
          minReplicas: min,
          maxReplicas: max,
          metrics: [{ type: 'External', external: { metric: { name: metricName }, target: { type: 'AverageValue', averageValue: String(perPod) } } }],
        },
      });
    }
    if (!/^https?:\/\/[^\s/]+/.test(s.options.prometheusAddress)) throw new Error(`${where}: scaling.prometheusAddress: "${s.options.prometheusAddress}" is not an http(s) URL`);
    return new ApiObject(scope, 'scaled-object', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata,
      spec: {
        scaleTargetRef: { name: target.name },
        pollingInterval: int('pollingInterval', s.options.pollingInterval ?? 15, 1),
        cooldownPeriod: int('cooldownPeriod', s.options.cooldownPeriod ?? 300, 0),
        minReplicaCount: min,
        maxReplicaCount: max,
        triggers: [
          {
            type: 'prometheus',
            metadata: {
              serverAddress: s.options.prometheusAddress,
              metricName: `armonik_${target.partition}_tasks_queued`,
              query: `armonik_${target.partition}_tasks_queued{job="metrics-exporter"}`,
              threshold: String(perPod),
            },
          },
        ],
      },
    });
  }
}
