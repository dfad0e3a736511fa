/**
 * What the collectors learned, per NodeConfig: the last good value of each metric with its time,
 * and the last failure. One entry per NodeConfig and one field per metric, so the inlet
 * temperature and the differential pressure of a node never overwrite each other (the original
 * kept one value per node and the two collectors raced for it). The status of a NodeConfig and
 * its gauges are made from here.
 */
import type { Condition } from '../../lib/api/crd/index.js';
import { NodeConfigConditions, type NodeConfigStatus } from '../../lib/api/wao/index.js';
import type { FetchFailure, FetchOutcome } from './collector.js';
import { rfc3339 } from '../kit/index.js';

export const METRICS = ['inletTemp', 'deltaP'] as const;
export type MetricName = (typeof METRICS)[number];

export interface MetricState {
  /** The last good reading, kept when later fetches fail. */
  value?: number;
  time?: Date;
  /** Set while the latest fetch failed. */
  failure?: FetchFailure & { readonly at: Date; readonly consecutive: number };
}

export interface PredictorState {
  readonly ok: boolean;
  readonly reason: string;
  readonly message: string;
}

export interface NodeConfigState {
  readonly key: string;
  nodeName: string;
  generation?: number;
  readonly metrics: Partial<Record<MetricName, MetricState>>;
  predictor?: PredictorState;
}

const CONDITION_OF: Record<MetricName, string> = {
  inletTemp: NodeConfigConditions.InletTempAvailable,
  deltaP: NodeConfigConditions.DeltaPAvailable,
};
const LABEL_OF: Record<MetricName, string> = { inletTemp: 'inlet temperature', deltaP: 'differential pressure' };

/** Applies a collector's outcome to the metric's state. */
export function record(state: MetricState, outcome: FetchOutcome): void {
  if (outcome.ok) {
    state.value = outcome.value;
    state.time = outcome.at;
    state.failure = undefined;
  } else {
    state.failure = { ...outcome.failure, at: outcome.at, consecutive: outcome.consecutiveFailures };
  }
}

export { rfc3339 } from '../kit/index.js';

/**
 * The status of a NodeConfig from its state: conditions per metric (True with the reading, or
 * False with the failure's reason), Ready, the predictor's when it was used, the last good
 * readings. `lastTransitionTime` is kept from `previous` while a condition's status is unchanged.
 */
export function statusOf(state: NodeConfigState, previous: NodeConfigStatus | undefined, now: Date): NodeConfigStatus {
  const prev = new Map((previous?.conditions ?? []).map((c) => [c.type, c]));
  const conditions: Condition[] = [];
  const put = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => {
    const p = prev.get(type);
    const lastTransitionTime = p && p.status === status ? p.lastTransitionTime : rfc3339(now);
    conditions.push({ type, status, reason, message: message.slice(0, 32768), lastTransitionTime, ...(state.generation !== undefined ? { observedGeneration: state.generation } : {}) });
  };
  const notReady: string[] = [];
  for (const m of METRICS) {
    const s = state.metrics[m];
    if (!s || (s.value === undefined && !s.failure)) {
      put(CONDITION_OF[m], 'Unknown', 'Pending', `no ${LABEL_OF[m]} fetched yet`);
      notReady.push(`${LABEL_OF[m]} pending`);
    } else if (s.failure) {
      const kept = s.value !== undefined && s.time ? `; keeping ${s.value} read at ${rfc3339(s.time)}` : '';
      put(CONDITION_OF[m], 'False', s.failure.reason, `${s.failure.message} (${s.failure.consecutive} failure${s.failure.consecutive === 1 ? '' : 's'} in a row, retrying with backoff)${kept}`);
      notReady.push(`${LABEL_OF[m]}: ${s.failure.reason}`);
    } else {
      put(CONDITION_OF[m], 'True', 'Fetched', `${s.value} read at ${rfc3339(s.time!)}`);
    }
  }
  if (notReady.length) put(NodeConfigConditions.Ready, 'False', 'MetricsUnavailable', notReady.join('; '));
  else put(NodeConfigConditions.Ready, 'True', 'MetricsAvailable', 'every metric has a current reading');
  if (state.predictor) put(NodeConfigConditions.PredictorAvailable, state.predictor.ok ? 'True' : 'False', state.predictor.reason, state.predictor.message);
  else if (prev.has(NodeConfigConditions.PredictorAvailable)) conditions.push(prev.get(NodeConfigConditions.PredictorAvailable)!);

  const readings: NonNullable<NodeConfigStatus['readings']> = { ...(previous?.readings ?? {}) };
  for (const m of METRICS) {
    const s = state.metrics[m];
    if (s?.value !== undefined && s.time) readings[m] = { value: s.value, time: rfc3339(s.time) };
  }
  return {
    ...(state.generation !== undefined ? { observedGeneration: state.generation } : {}),
    conditions,
    ...(Object.keys(readings).length ? { readings } : {}),
  };
}
