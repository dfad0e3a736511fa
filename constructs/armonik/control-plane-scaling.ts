import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { checkInteger } from '../../lib/k8s/validators.js';
import { resourceTriggers, scaleDownBehavior, scaledObject, type ResourceTriggerOptions, type ScaleDownBehavior } from './keda.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { checkObject } from '../../lib/k8s/props.js';

/** Options of {@link ControlPlaneScaling.keda}. */
export interface ControlPlaneKedaOptions extends ResourceTriggerOptions {
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default 3 */
  readonly maxReplicas?: number;
  /** Seconds between checks. @default 30 (ArmoniK.Infra's) */
  readonly pollingInterval?: number;
  /** @default 300 */
  readonly cooldownPeriod?: number;
  /** Scale-down behaviour. @default 300 s window, 100 % per 15 s (ArmoniK.Infra's) */
  readonly scaleDown?: ScaleDownBehavior;
}

const CONTROL_PLANE_KEDA_OPTIONS: ReadonlyArray<keyof ControlPlaneKedaOptions> = [
  'cpuUtilization', 'memoryUtilization', 'minReplicas', 'maxReplicas', 'pollingInterval', 'cooldownPeriod', 'scaleDown',
];

/**
 * How the control plane scales beyond a fixed replica count: a KEDA ScaledObject named after the
 * control plane with cpu and/or memory triggers, as ArmoniK.Infra's `control-plane-hpa.tf`
 * (`control_plane.hpa`). Needs KEDA; the triggers measure against the container's requests.
 */
export class ControlPlaneScaling {
  public static keda(options: ControlPlaneKedaOptions): ControlPlaneScaling {
    return new ControlPlaneScaling(options);
  }

  private constructor(private readonly options: ControlPlaneKedaOptions) {}

  /** Checks the options and creates the ScaledObject. @internal */
  public _bind(scope: Construct, where: string, target: { name: string; namespace: string; labels: Record<string, string> }): ApiObject {
    const o = checkObject<ControlPlaneKedaOptions>(where, 'scaling', this.options, CONTROL_PLANE_KEDA_OPTIONS);
    const w = `${where}: scaling`;
    const triggers = resourceTriggers(w, o);
    if (triggers.length === 0) throw new ValidationError(where, 'scaling', `give cpuUtilization and/or memoryUtilization (the control plane has no queue metric)`);
    const min = checkInteger(w, 'minReplicas', o.minReplicas ?? 1, 1);
    const max = checkInteger(w, 'maxReplicas', o.maxReplicas ?? 3, 1);
    if (max < min) throw new ValidationError(where, 'scaling', `maxReplicas (${max}) is below minReplicas (${min})`);
    return scaledObject(scope, 'scaled-object', {
      name: target.name,
      namespace: target.namespace,
      labels: target.labels,
      deployment: target.name,
      pollingInterval: checkInteger(w, 'pollingInterval', o.pollingInterval ?? 30, 1),
      cooldownPeriod: checkInteger(w, 'cooldownPeriod', o.cooldownPeriod ?? 300, 0),
      minReplicas: min,
      maxReplicas: max,
      restoreToOriginalReplicaCount: true,
      scaleDown: scaleDownBehavior(w, 'scaleDown', o.scaleDown),
      triggers,
    });
  }
}
