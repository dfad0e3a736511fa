import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { checkInteger, isHttpUrl, urlCredentialsReason } from '../../lib/k8s/validators.js';
import { resourceTriggers, scaleDownBehavior, scaledObject, type ResourceTriggerOptions, type ScaleDownBehavior } from './keda.js';
import { describeValue, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkObject } from '../../lib/k8s/props.js';
import { armonikPrometheusAddress } from './workload.js';

/** Options of {@link PartitionScaling.keda}, with ArmoniK's defaults (its localhost `parameters.tfvars`, `hpa`). */
export interface KedaScalingOptions extends ResourceTriggerOptions {
  /** Prometheus that scrapes the metrics exporter. @default `http://prometheus.<namespace>.svc.cluster.local:9090` (ArmoniK.Infra's Service `prometheus`) */
  readonly prometheusAddress?: string;
  /** The Prometheus job the metrics exporter is scraped under (the `job` label of the query). @default 'metrics-exporter' */
  readonly metricsJob?: string;
  /** @default 0 (KEDA scales the Deployment to zero when the queue is empty) */
  readonly minReplicas?: number;
  /** @default 5 */
  readonly maxReplicas?: number;
  /** Queued tasks per pod (the trigger's `threshold`). @default 2 */
  readonly tasksPerPod?: number;
  /** Seconds between queries. @default 15 */
  readonly pollingInterval?: number;
  /** Seconds after the last activity before scaling to zero. @default 300 */
  readonly cooldownPeriod?: number;
  /** Scale-down behaviour of the HPA KEDA creates. @default 300 s window, 100 % per 15 s */
  readonly scaleDown?: ScaleDownBehavior;
  /** Give the Deployment its original replica count back when the ScaledObject is deleted. @default true */
  readonly restoreToOriginalReplicaCount?: boolean;
}

/** Options of {@link PartitionScaling.hpa}. */
export interface HpaScalingOptions {
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default 5 */
  readonly maxReplicas?: number;
  /** Queued tasks per pod the autoscaler aims at. @default 2 */
  readonly tasksPerPod?: number;
  /** External metric name, `{partition}` replaced by the partition as Core spells it (`-` as `_`). @default 'armonik_{partition}_tasks_queued' */
  readonly metricName?: string;
}

const HPA_OPTIONS: ReadonlyArray<keyof HpaScalingOptions> = ['minReplicas', 'maxReplicas', 'tasksPerPod', 'metricName'];
const KEDA_OPTIONS: ReadonlyArray<keyof KedaScalingOptions> = [
  'prometheusAddress', 'metricsJob', 'minReplicas', 'maxReplicas', 'tasksPerPod', 'pollingInterval', 'cooldownPeriod', 'scaleDown',
  'restoreToOriginalReplicaCount', 'cpuUtilization', 'memoryUtilization',
];

type Spec =
  | { kind: 'fixed'; replicas: number }
  | { kind: 'hpa'; options: HpaScalingOptions }
  | { kind: 'keda'; options: KedaScalingOptions };

/** What a partition's autoscaler needs to know. @internal */
export interface ScalingTarget {
  /** The Deployment. */
  readonly name: string;
  readonly namespace: string;
  readonly partition: string;
  readonly labels: Record<string, string>;
}

/**
 * The queue metric of a partition as ArmoniK's metrics exporter names it: ArmoniK.Core
 * `Control/Metrics/src/ArmoniKMeter.cs` lower-cases the names and turns every `-` into `_`
 * (ArmoniK.Infra uses the partition name raw, which misses partitions with a `-`).
 */
export function queuedTasksMetric(partition: string): string {
  if (typeof partition !== 'string') throw new ValidationError('queuedTasksMetric()', 'partition', `must be a partition name, not ${describeValue(partition)}`, partition);
  return `armonik_${partition.toLowerCase().replace(/-/g, '_')}_tasks_queued`;
}

/**
 * How a partition's compute plane scales. The default, as ArmoniK deploys it, is a KEDA
 * `ScaledObject` `<partition>-compute-plane` with a Prometheus trigger on the partition's queued
 * tasks (ArmoniK.Infra `armonik/compute-plane-hpa.tf`, `locals.tf`, `charts/keda-hpa`), optionally
 * cpu and memory triggers; it needs KEDA and a Prometheus scraping the metrics exporter.
 * `hpa()` is a plain `autoscaling/v2` HorizontalPodAutoscaler on the External metric instead: it
 * needs an external-metrics adapter (e.g. prometheus-adapter) serving that metric, which ArmoniK
 * does not deploy. `fixed(n)` sets `replicas`.
 */
export class PartitionScaling {
  public static keda(options: KedaScalingOptions = {}): PartitionScaling {
    return new PartitionScaling({ kind: 'keda', options });
  }
  public static hpa(options: HpaScalingOptions = {}): PartitionScaling {
    return new PartitionScaling({ kind: 'hpa', options });
  }
  public static fixed(replicas: number): PartitionScaling {
    return new PartitionScaling({ kind: 'fixed', replicas });
  }

  private constructor(private readonly spec: Spec) {}

  /** The Deployment's `replicas`, checked: absent when an autoscaler owns it. @internal */
  public _replicas(where: string): number | undefined {
    return this.spec.kind === 'fixed' ? checkInteger(`${where}: scaling`, 'replicas', this.spec.replicas, 0) : undefined;
  }

  /** Checks the options and creates the autoscaler of the partition's Deployment. @internal */
  public _bind(scope: Construct, where: string, target: ScalingTarget): ApiObject | undefined {
    const s = this.spec;
    const w = `${where}: scaling`;
    if (s.kind === 'fixed') return undefined; // replicas checked by _replicas()
    const o = s.kind === 'hpa'
      ? checkObject<HpaScalingOptions>(where, 'scaling', s.options, HPA_OPTIONS)
      : checkObject<KedaScalingOptions>(where, 'scaling', s.options, KEDA_OPTIONS);
    const min = checkInteger(w, 'minReplicas', o.minReplicas ?? (s.kind === 'hpa' ? 1 : 0), s.kind === 'hpa' ? 1 : 0);
    const max = checkInteger(w, 'maxReplicas', o.maxReplicas ?? 5, 1);
    if (max < min) throw new ValidationError(where, 'scaling', `maxReplicas (${max}) is below minReplicas (${min})`);
    const perPod = checkInteger(w, 'tasksPerPod', o.tasksPerPod ?? 2, 1);
    if (s.kind === 'hpa') {
      const pattern = (o as HpaScalingOptions).metricName ?? 'armonik_{partition}_tasks_queued';
      if (typeof pattern !== 'string') throw new ValidationError(where, 'scaling.metricName', `must be a string, not ${describeValue(pattern)}`, pattern);
      const metricName = pattern.replace(/\{partition\}/g, target.partition.toLowerCase().replace(/-/g, '_'));
      if (!/^[^/%\s]+$/.test(metricName)) throw new ValidationError(where, 'scaling.metricName', `${quote(metricName)} is not a metric name`, metricName);
      return new ApiObject(scope, 'hpa', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: target.name, namespace: target.namespace, labels: target.labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
          minReplicas: min,
          maxReplicas: max,
          metrics: [{ type: 'External', external: { metric: { name: metricName }, target: { type: 'AverageValue', averageValue: String(perPod) } } }],
        },
      });
    }
    const k = o as KedaScalingOptions;
    const address = k.prometheusAddress ?? armonikPrometheusAddress(target.namespace);
    // The address is KEDA's trigger `serverAddress`, written in the ScaledObject as it is.
    // The error keeps no value: it would be the password.
    const credentials = urlCredentialsReason(address, "a Secret read by a KEDA TriggerAuthentication that the trigger names in its authenticationRef");
    if (credentials) throw new ValidationError(where, 'scaling.prometheusAddress', credentials);
    if (!isHttpUrl(address)) throw new ValidationError(where, 'scaling.prometheusAddress', `${showValue(address)} is not an http(s) URL`, address);
    const job = k.metricsJob ?? 'metrics-exporter';
    if (typeof job !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_:.-]*$/.test(job)) {
      throw new ValidationError(where, 'scaling.metricsJob', `${showValue(job)} is not a Prometheus job name`, job);
    }
    const restore = k.restoreToOriginalReplicaCount ?? true;
    if (typeof restore !== 'boolean') throw new ValidationError(where, 'scaling.restoreToOriginalReplicaCount', `must be true or false, not ${describeValue(restore)}`, restore);
    const metric = queuedTasksMetric(target.partition);
    return scaledObject(scope, 'scaled-object', {
      name: `${target.partition}-compute-plane`,
      namespace: target.namespace,
      labels: target.labels,
      deployment: target.name,
      envSourceContainerName: 'polling-agent',
      pollingInterval: checkInteger(w, 'pollingInterval', k.pollingInterval ?? 15, 1),
      cooldownPeriod: checkInteger(w, 'cooldownPeriod', k.cooldownPeriod ?? 300, 0),
      minReplicas: min,
      maxReplicas: max,
      restoreToOriginalReplicaCount: restore,
      scaleDown: scaleDownBehavior(w, 'scaleDown', k.scaleDown),
      triggers: [
        {
          type: 'prometheus',
          metadata: {
            serverAddress: address,
            metricName: metric,
            threshold: String(perPod),
            namespace: target.namespace,
            query: `${metric}{job="${job}"}`,
          },
        },
        ...resourceTriggers(w, k),
      ],
    });
  }
}
