import type { NodeConfigStatus } from '../../../../lib/api/wao/index.js';
import type { FetchOutcome } from '../../../../runtime/wao/collector.js';
import { record, rfc3339, statusOf, type MetricState, type NodeConfigState } from '../../../../runtime/wao/readings.js';

const T1 = new Date('2026-03-01T10:00:00.250Z');
const T2 = new Date('2026-03-01T10:00:15.000Z');
const T3 = new Date('2026-03-01T10:01:00.000Z');

const ok = (value: number, at: Date): FetchOutcome => ({ ok: true, value, at, durationMs: 12 });
const fail = (reason: string, at: Date, consecutiveFailures = 1, message = `${reason} happened`): FetchOutcome => ({
  ok: false,
  failure: { reason, message },
  at,
  durationMs: 800,
  consecutiveFailures,
  retryInMs: 1000,
});

function state(metrics: NodeConfigState['metrics'] = {}, generation?: number): NodeConfigState {
  return { key: 'wao-system/nc', nodeName: 'worker-0', generation, metrics };
}

const cond = (s: NodeConfigStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('rfc3339', () => {
  it('drops the milliseconds', () => {
    expect(rfc3339(T1)).toBe('2026-03-01T10:00:00Z');
  });
});

describe('record', () => {
  it('a success sets value and time and clears the failure; a failure keeps the last good reading', () => {
    const m: MetricState = {};
    record(m, fail('Timeout', T1));
    expect(m).toEqual({ failure: { reason: 'Timeout', message: 'Timeout happened', at: T1, consecutive: 1 } });
    record(m, ok(21.5, T2));
    expect(m).toEqual({ value: 21.5, time: T2, failure: undefined });
    record(m, fail('HTTPStatus', T3, 3));
    expect(m.value).toBe(21.5);
    expect(m.time).toBe(T2);
    expect(m.failure).toEqual({ reason: 'HTTPStatus', message: 'HTTPStatus happened', at: T3, consecutive: 3 });
  });
});

describe('statusOf', () => {
  it('nothing fetched yet: both metrics Unknown/Pending, Ready False, no readings', () => {
    const s = statusOf(state(), undefined, T1);
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['InletTempAvailable', 'Unknown', 'Pending'],
      ['DeltaPAvailable', 'Unknown', 'Pending'],
      ['Ready', 'False', 'MetricsUnavailable'],
    ]);
    expect(cond(s, 'Ready')!.message).toBe('inlet temperature pending; differential pressure pending');
    expect(s.readings).toBeUndefined();
    expect(s.observedGeneration).toBeUndefined();
    expect(s.conditions!.every((c) => c.lastTransitionTime === '2026-03-01T10:00:00Z')).toBe(true);
    expect(s.conditions!.every((c) => !('observedGeneration' in c))).toBe(true);
  });

  it('a metric that was configured anew but never fetched (empty state) is Pending too', () => {
    const s = statusOf(state({ inletTemp: {} }), undefined, T1);
    expect(cond(s, 'InletTempAvailable')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
  });

  it('True/Fetched with the reading; Ready True once both metrics have one; readings per metric', () => {
    const inlet: MetricState = {};
    const dp: MetricState = {};
    record(inlet, ok(21.5, T1));
    let s = statusOf(state({ inletTemp: inlet, deltaP: dp }), undefined, T2);
    expect(cond(s, 'InletTempAvailable')).toMatchObject({ status: 'True', reason: 'Fetched', message: '21.5 read at 2026-03-01T10:00:00Z' });
    expect(cond(s, 'DeltaPAvailable')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', message: 'differential pressure pending' });
    record(dp, ok(-3, T2));
    s = statusOf(state({ inletTemp: inlet, deltaP: dp }), s, T2);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'MetricsAvailable' });
    expect(s.readings).toEqual({
      inletTemp: { value: 21.5, time: '2026-03-01T10:00:00Z' },
      deltaP: { value: -3, time: '2026-03-01T10:00:15Z' },
    });
  });

  it('a failure: False with its reason, the message keeps the last good reading, readings keep value and time', () => {
    const inlet: MetricState = {};
    record(inlet, ok(22, T1));
    record(inlet, fail('Timeout', T3, 2, 'no answer within 800 ms'));
    const dp: MetricState = {};
    record(dp, ok(4, T1));
    const s = statusOf(state({ inletTemp: inlet, deltaP: dp }), undefined, T3);
    const c = cond(s, 'InletTempAvailable')!;
    expect(c.status).toBe('False');
    expect(c.reason).toBe('Timeout');
    expect(c.message).toContain('no answer within 800 ms');
    expect(c.message).toContain('2 failures in a row');
    expect(c.message).toContain('keeping 22 read at 2026-03-01T10:00:00Z');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable', message: 'inlet temperature: Timeout' });
    expect(s.readings?.inletTemp).toEqual({ value: 22, time: '2026-03-01T10:00:00Z' });
  });

  it('a failure before any good reading says nothing is kept and "1 failure"', () => {
    const inlet: MetricState = {};
    record(inlet, fail('SecretNotFound', T1));
    const c = cond(statusOf(state({ inletTemp: inlet }), undefined, T1), 'InletTempAvailable')!;
    expect(c).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(c.message).toContain('1 failure in a row');
    expect(c.message).not.toContain('keeping');
  });

  it('lastTransitionTime is kept while a condition keeps its status and moves when it changes', () => {
    const inlet: MetricState = {};
    const dp: MetricState = {};
    record(inlet, ok(20, T1));
    record(dp, ok(1, T1));
    const first = statusOf(state({ inletTemp: inlet, deltaP: dp }), undefined, T1);
    record(inlet, ok(21, T2)); // still True, new message
    const second = statusOf(state({ inletTemp: inlet, deltaP: dp }), first, T2);
    expect(cond(second, 'InletTempAvailable')).toMatchObject({ status: 'True', message: '21 read at 2026-03-01T10:00:15Z', lastTransitionTime: '2026-03-01T10:00:00Z' });
    expect(cond(second, 'Ready')!.lastTransitionTime).toBe('2026-03-01T10:00:00Z');
    record(inlet, fail('ConnectionFailed', T3));
    const third = statusOf(state({ inletTemp: inlet, deltaP: dp }), second, T3);
    expect(cond(third, 'InletTempAvailable')!.lastTransitionTime).toBe('2026-03-01T10:01:00Z');
    expect(cond(third, 'Ready')!.lastTransitionTime).toBe('2026-03-01T10:01:00Z');
    expect(cond(third, 'DeltaPAvailable')!.lastTransitionTime).toBe('2026-03-01T10:00:00Z');
  });

  it('observedGeneration on the status and on every condition', () => {
    const s = statusOf(state({}, 7), undefined, T1);
    expect(s.observedGeneration).toBe(7);
    expect(s.conditions!.map((c) => c.observedGeneration)).toEqual([7, 7, 7]);
  });

  it('readings of the previous status are kept for a metric without a reading in memory', () => {
    const previous: NodeConfigStatus = {
      conditions: [],
      readings: { inletTemp: { value: 19, time: '2026-03-01T09:00:00Z' }, deltaP: { value: 2, time: '2026-03-01T09:00:00Z' } },
    } as NodeConfigStatus;
    const inlet: MetricState = {};
    record(inlet, ok(23, T2));
    const s = statusOf(state({ inletTemp: inlet, deltaP: {} }), previous, T2);
    expect(s.readings).toEqual({ inletTemp: { value: 23, time: '2026-03-01T10:00:15Z' }, deltaP: { value: 2, time: '2026-03-01T09:00:00Z' } });
  });

  it('the inlet temperature and the differential pressure never overwrite each other', () => {
    const inlet: MetricState = {};
    const dp: MetricState = {};
    // Interleaved outcomes of the two collectors, as they arrive.
    record(inlet, ok(21, T1));
    record(dp, ok(5, T2));
    record(inlet, ok(22, T3));
    record(dp, fail('Timeout', T3));
    const s = statusOf(state({ inletTemp: inlet, deltaP: dp }), undefined, T3);
    expect(s.readings).toEqual({
      inletTemp: { value: 22, time: '2026-03-01T10:01:00Z' },
      deltaP: { value: 5, time: '2026-03-01T10:00:15Z' },
    });
    expect(cond(s, 'InletTempAvailable')!.status).toBe('True');
    expect(cond(s, 'DeltaPAvailable')).toMatchObject({ status: 'False', reason: 'Timeout' });
  });

  it('PredictorAvailable: from the state when a prediction was made, else kept from the previous status', () => {
    const st = state();
    st.predictor = { ok: false, reason: 'HTTPStatus', message: 'predictor answered 500' };
    const s = statusOf(st, undefined, T1);
    expect(cond(s, 'PredictorAvailable')).toMatchObject({ status: 'False', reason: 'HTTPStatus', message: 'predictor answered 500' });
    const kept = statusOf(state(), s, T2);
    expect(cond(kept, 'PredictorAvailable')).toEqual(cond(s, 'PredictorAvailable'));
    expect(cond(statusOf(state(), undefined, T1), 'PredictorAvailable')).toBeUndefined();
  });

  it('a long failure message is cut to the condition limit of 32768 characters', () => {
    const inlet: MetricState = {};
    record(inlet, fail('HTTPStatus', T1, 1, 'x'.repeat(40_000)));
    const c = cond(statusOf(state({ inletTemp: inlet }), undefined, T1), 'InletTempAvailable')!;
    expect(c.message.length).toBeLessThanOrEqual(32768);
  });
});
