/**
 * KEDA ScaledObjects as ArmoniK.Infra renders them with its `charts/keda-hpa` chart
 * (`templates/scale-object.yaml`): the Deployment as target, polling and cooldown periods,
 * replica bounds, `advanced.restoreToOriginalReplicaCount` and a scale-down behaviour, then
 * the triggers. KEDA creates and owns the HorizontalPodAutoscaler.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { checkInteger } from '../../lib/k8s/validators.js';
import { checkObject } from '../../lib/k8s/props.js';

/** A trigger of a ScaledObject, as KEDA spells it. */
export interface KedaTrigger {
  readonly type: string;
  readonly metricType?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Scale-down behaviour of the HPA KEDA creates (ArmoniK.Infra `hpa.behavior`). */
export interface ScaleDownBehavior {
  /** @default 300 */
  readonly stabilizationWindowSeconds?: number;
  /** Percentage of pods removed per period. @default 100 */
  readonly percent?: number;
  /** @default 15 */
  readonly periodSeconds?: number;
}

export interface ScaledObjectSpec {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly deployment: string;
  /** Container whose env KEDA may read for trigger parameters. */
  readonly envSourceContainerName?: string;
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly restoreToOriginalReplicaCount: boolean;
  readonly scaleDown: Required<ScaleDownBehavior>;
  readonly triggers: readonly KedaTrigger[];
}

/** The scale-down behaviour with ArmoniK's defaults, checked. */
export function scaleDownBehavior(where: string, field: string, behavior?: ScaleDownBehavior): Required<ScaleDownBehavior> {
  const b = checkObject<ScaleDownBehavior>(where, field, behavior, ['stabilizationWindowSeconds', 'percent', 'periodSeconds']);
  return {
    stabilizationWindowSeconds: checkInteger(where, `${field}.stabilizationWindowSeconds`, b.stabilizationWindowSeconds ?? 300, 0, 3600),
    percent: checkInteger(where, `${field}.percent`, b.percent ?? 100, 1, 100),
    periodSeconds: checkInteger(where, `${field}.periodSeconds`, b.periodSeconds ?? 15, 1, 1800),
  };
}

export function scaledObject(scope: Construct, id: string, spec: ScaledObjectSpec): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    spec: {
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: spec.deployment,
        ...(spec.envSourceContainerName ? { envSourceContainerName: spec.envSourceContainerName } : {}),
      },
      pollingInterval: spec.pollingInterval,
      cooldownPeriod: spec.cooldownPeriod,
      minReplicaCount: spec.minReplicas,
      maxReplicaCount: spec.maxReplicas,
      advanced: {
        restoreToOriginalReplicaCount: spec.restoreToOriginalReplicaCount,
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: spec.scaleDown.stabilizationWindowSeconds,
              policies: [{ type: 'Percent', value: spec.scaleDown.percent, periodSeconds: spec.scaleDown.periodSeconds }],
            },
          },
        },
      },
      triggers: spec.triggers.map((t) => ({ type: t.type, ...(t.metricType ? { metricType: t.metricType } : {}), metadata: { ...t.metadata } })),
    },
  });
}

/** Options of the cpu and memory triggers (ArmoniK.Infra `armonik/locals.tf`: type cpu|memory, metric_type, value). */
export interface ResourceTriggerOptions {
  /** Target average CPU utilization of the pods' requests, in percent. @default none */
  readonly cpuUtilization?: number;
  /** Target average memory utilization of the pods' requests, in percent. @default none */
  readonly memoryUtilization?: number;
}

export function resourceTriggers(where: string, o: ResourceTriggerOptions): KedaTrigger[] {
  const trigger = (type: 'cpu' | 'memory', v: number | undefined): KedaTrigger[] =>
    v === undefined ? [] : [{ type, metricType: 'Utilization', metadata: { value: String(checkInteger(where, `${type}Utilization`, v, 1, 1000)) } }];
  return [...trigger('cpu', o.cpuUtilization), ...trigger('memory', o.memoryUtilization)];
}
