/**
 * The scaling decision of one instance: whether its sized containers get the new estimate now,
 * later, or never, from the instance's annotations (its scaling status and when it changed), its
 * lag and the clock. Pure: the operator writes what it returns.
 *
 * - more resources estimated and the lag over `tolerableLag`: `pendingScaleUp`, applied once it
 *   has held for `pendingScaleUpDuration`;
 * - fewer resources estimated: `pendingScaleDown`, applied once it has held for
 *   `pendingScaleDownDuration` (the original never completed it);
 * - the lag at `criticalLag`: the target (the policy's maxAllowed) at once;
 * - equal, or more without lag: `running`, nothing changes.
 */
import { ScalingStatus, type ScalingStatusValue } from '../../lib/api/konsumerator/index.js';

export interface ScalingInput {
  /** Compare target with current: >0 more is estimated, <0 less, 0 the same. */
  readonly direction: number;
  readonly lagSeconds: number;
  readonly tolerableLagSeconds: number;
  readonly critical: boolean;
  readonly status?: string;
  /** When `status` was set (ms since the epoch), from the annotation. */
  readonly since?: number;
  readonly now: number;
  readonly pendingScaleUpMs: number;
  readonly pendingScaleDownMs: number;
}

export interface ScalingDecision {
  /** Apply the target resources now. */
  readonly apply: boolean;
  readonly status: ScalingStatusValue;
  /** When the (new) status was set. */
  readonly since: number;
  /** When to look again for a pending change (ms from now), if one is pending. */
  readonly recheckInMs?: number;
}

export function decideScaling(i: ScalingInput): ScalingDecision {
  const keep = (status: ScalingStatusValue): ScalingDecision => ({ apply: false, status, since: i.status === status && i.since !== undefined ? i.since : i.now });
  const running: ScalingDecision = { apply: false, status: ScalingStatus.running, since: i.status === ScalingStatus.running && i.since !== undefined ? i.since : i.now };
  if (i.direction === 0) return running;
  if (i.critical) return { apply: true, status: ScalingStatus.running, since: i.now };
  if (i.direction > 0) {
    if (i.lagSeconds <= i.tolerableLagSeconds) return running;
    const k = keep(ScalingStatus.pendingScaleUp);
    const waited = i.now - k.since;
    if (waited >= i.pendingScaleUpMs) return { apply: true, status: ScalingStatus.running, since: i.now };
    return { ...k, recheckInMs: i.pendingScaleUpMs - waited };
  }
  const k = keep(ScalingStatus.pendingScaleDown);
  const waited = i.now - k.since;
  if (waited >= i.pendingScaleDownMs) return { apply: true, status: ScalingStatus.running, since: i.now };
  return { ...k, recheckInMs: i.pendingScaleDownMs - waited };
}
