import { measurementEvent, type OptimizerEvent } from '../../../../lib/api/servo/index.js';
import { Deliveries, type DeliveriesOptions, type Outcome } from '../../../../runtime/servo/deliveries.js';
import type { SendResult } from '../../../../runtime/servo/optimizer.js';
import { deferred } from '../../../fixtures/deferred.js';
import { FakeClock } from '../../kit/fake-clock.js';
import { settle } from './fakes.js';

const URL = 'http://optimizer.test/metrics/acme/app-1/servo';
const EVENT: OptimizerEvent = measurementEvent({ metrics: { duration: { value: 5, unit: 's' } }, annotations: { resources: '{}', exitcode: 0 } });
const ACCEPTED: SendResult = { kind: 'accepted', status: 200 };
const UNAVAILABLE: SendResult = { kind: 'retry', status: 503, reason: 'HTTP 503' };

interface Attempt {
  readonly id: string;
  readonly url: string;
  readonly event: OptimizerEvent;
  readonly signal: AbortSignal;
  readonly key: string;
  readonly at: number;
}

/** Deliveries on a fake clock with a scripted sender that counts attempts in flight. */
function setup(over: Partial<DeliveriesOptions> & { answer?: (a: Attempt, n: number) => SendResult | Promise<SendResult> } = {}) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const attempts: Attempt[] = [];
  const settled: Array<{ key: string; id: string; outcome: Outcome }> = [];
  const onAttempt: Array<{ id: string; result: SendResult; attempt: number }> = [];
  const flight = { now: 0, max: 0 };
  let answer = over.answer ?? (() => ACCEPTED);
  const d = new Deliveries({
    concurrency: 4,
    maxBackoffMs: 60_000,
    clock,
    random: () => 0,
    onSettled: (key, id, outcome) => settled.push({ key, id, outcome }),
    onAttempt: (id, result, attempt) => onAttempt.push({ id, result, attempt }),
    ...over,
    send: async (url, event, signal, key) => {
      const a = { id: key, url, event, signal, key, at: clock.now() - t0 };
      attempts.push(a);
      flight.now++;
      flight.max = Math.max(flight.max, flight.now);
      try {
        return await answer(a, attempts.filter((x) => x.id === key).length);
      } finally {
        flight.now--;
      }
    },
  });
  return {
    d,
    clock,
    attempts,
    settled,
    onAttempt,
    flight,
    setAnswer(f: (a: Attempt, n: number) => SendResult | Promise<SendResult>) {
      answer = f;
    },
    times: (id = 'uid-1') => attempts.filter((a) => a.id === id).map((a) => a.at),
  };
}

describe('Deliveries', () => {
  it('delivers once: the URL, the event and the id as idempotency key; the outcome is kept until forget', async () => {
    const s = setup();
    expect(s.d.submit('uid-1', 'jobs/job-1', URL, EVENT)).toEqual({ state: 'pending', attempts: 0 });
    await settle();
    expect(s.attempts).toHaveLength(1);
    expect(s.attempts[0]).toMatchObject({ url: URL, event: EVENT, key: 'uid-1' });
    expect(s.settled).toEqual([{ key: 'jobs/job-1', id: 'uid-1', outcome: { state: 'accepted', status: 200, attempts: 1, atMs: s.clock.now() } }]);
    expect(s.d.outcome('uid-1')).toEqual({ state: 'accepted', status: 200, attempts: 1, atMs: s.clock.now() });
    expect(s.d.pending).toBe(0);
    s.d.forget('uid-1');
    expect(s.d.outcome('uid-1')).toBeUndefined();
  });

  it('exactly one accepted POST per id however often it is submitted (in flight, waiting for a retry, settled)', async () => {
    const gate = deferred<SendResult>();
    const s = setup({ answer: (_a, n) => (n === 1 ? gate.promise : ACCEPTED) });
    for (let i = 0; i < 5; i++) s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
    await settle();
    expect(s.attempts).toHaveLength(1);
    gate.resolve(UNAVAILABLE);
    await settle();
    // Waiting for the retry timer: submitting again starts nothing.
    for (let i = 0; i < 5; i++) expect(s.d.submit('uid-1', 'jobs/job-1', URL, EVENT)).toMatchObject({ state: 'pending', attempts: 1 });
    await settle();
    expect(s.attempts).toHaveLength(1);
    await s.clock.advance(1000);
    expect(s.attempts).toHaveLength(2);
    for (let i = 0; i < 5; i++) expect(s.d.submit('uid-1', 'jobs/job-1', URL, EVENT)).toMatchObject({ state: 'accepted', attempts: 2 });
    await s.clock.advance(600_000);
    expect(s.attempts).toHaveLength(2);
    expect(s.settled).toHaveLength(1);
  });

  it('503 three times then 200: exactly 4 attempts and one onSettled', async () => {
    const s = setup({ answer: (_a, n) => (n <= 3 ? UNAVAILABLE : ACCEPTED) });
    s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
    await s.clock.advance(600_000);
    expect(s.attempts).toHaveLength(4);
    expect(s.settled).toEqual([{ key: 'jobs/job-1', id: 'uid-1', outcome: expect.objectContaining({ state: 'accepted', status: 200, attempts: 4 }) }]);
    expect(s.onAttempt.map((a) => [a.result.kind, a.attempt])).toEqual([
      ['retry', 1],
      ['retry', 2],
      ['retry', 3],
      ['accepted', 4],
    ]);
  });

  it('while retrying the outcome is pending with the attempts and the last error', async () => {
    const s = setup({ answer: () => UNAVAILABLE });
    s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
    await settle();
    expect(s.d.outcome('uid-1')).toEqual({ state: 'pending', attempts: 1, lastError: 'HTTP 503' });
    expect(s.d.pending).toBe(1);
    expect(s.settled).toEqual([]);
  });

  it('a 4xx is one attempt, rejected for good', async () => {
    const s = setup({ answer: () => ({ kind: 'rejected', status: 400, reason: 'HTTP 400: bad metrics' }) });
    s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
    await s.clock.advance(600_000);
    expect(s.attempts).toHaveLength(1);
    expect(s.settled).toEqual([{ key: 'jobs/job-1', id: 'uid-1', outcome: { state: 'rejected', status: 400, reason: 'HTTP 400: bad metrics', attempts: 1, atMs: s.clock.now() - 600_000 } }]);
    expect(s.d.pending).toBe(0);
    expect(s.clock.pending).toBe(0);
  });

  it('a sender that throws is retried like a network error', async () => {
    let n = 0;
    const s = setup({
      answer: () => {
        if (++n === 1) throw new Error('socket hang up');
        return ACCEPTED;
      },
    });
    s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
    await settle();
    expect(s.d.outcome('uid-1')).toEqual({ state: 'pending', attempts: 1, lastError: 'socket hang up' });
    await s.clock.advance(1000);
    expect(s.settled.map((x) => x.outcome.state)).toEqual(['accepted']);
  });

  describe('backoff', () => {
    it('grows exponentially from initialBackoffMs and is capped by maxBackoffMs (random 0: no jitter)', async () => {
      const s = setup({ maxBackoffMs: 20_000, answer: () => UNAVAILABLE });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await settle();
      // Each delay: not one ms early.
      for (const delay of [1000, 2000, 4000, 8000, 16_000, 20_000, 20_000]) {
        const before = s.attempts.length;
        await s.clock.advance(delay - 1);
        expect(s.attempts).toHaveLength(before);
        await s.clock.advance(1);
        expect(s.attempts).toHaveLength(before + 1);
      }
      const t = s.times();
      expect(t.slice(1).map((x, i) => x - t[i])).toEqual([1000, 2000, 4000, 8000, 16_000, 20_000, 20_000]);
    });

    it('initialBackoffMs sets the first delay', async () => {
      const s = setup({ initialBackoffMs: 250, answer: () => UNAVAILABLE });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await s.clock.advance(250 + 500 + 1000);
      expect(s.times()).toEqual([0, 250, 750, 1750]);
    });

    it('jitter adds up to 20%: random 1 gives 1.2 × each delay, still capped by maxBackoffMs', async () => {
      const s = setup({ maxBackoffMs: 9000, random: () => 1, answer: () => UNAVAILABLE });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await s.clock.advance(100_000);
      const t = s.times();
      const gaps = t.slice(1).map((x, i) => x - t[i]);
      expect(gaps.slice(0, 4)).toEqual([1200, 2400, 4800, 9000]);
      for (const g of gaps) expect(g).toBeLessThanOrEqual(9000);
    });

    it('jitter differs between deliveries (random per retry), within [delay, 1.2 × delay]', async () => {
      const r = [0.1, 0.9, 0.5];
      let i = 0;
      const s = setup({ random: () => r[i++ % r.length], answer: () => UNAVAILABLE });
      s.d.submit('a', 'ns/a', URL, EVENT);
      s.d.submit('b', 'ns/b', URL, EVENT);
      s.d.submit('c', 'ns/c', URL, EVENT);
      await settle();
      await s.clock.advance(1300);
      const second = ['a', 'b', 'c'].map((id) => s.times(id)[1]);
      expect(second).toEqual([1020, 1180, 1100]);
    });

    it('Retry-After wins over the backoff, in both directions', async () => {
      const after = [30_000, 200];
      const s = setup({ answer: (_a, n) => (n <= 2 ? { ...UNAVAILABLE, retryAfterMs: after[n - 1] } : ACCEPTED) });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await s.clock.advance(29_999);
      expect(s.attempts).toHaveLength(1);
      await s.clock.advance(1);
      expect(s.attempts).toHaveLength(2);
      // 200 ms although the backoff would say 2 s.
      await s.clock.advance(200);
      expect(s.times()).toEqual([0, 30_000, 30_200]);
      expect(s.settled).toHaveLength(1);
    });

    it('Retry-After is capped by maxBackoffMs, and "0" waits at least 100 ms', async () => {
      const s = setup({ maxBackoffMs: 10_000, answer: (_a, n) => (n === 1 ? { ...UNAVAILABLE, retryAfterMs: 3_600_000 } : n === 2 ? { ...UNAVAILABLE, retryAfterMs: 0 } : ACCEPTED) });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await s.clock.advance(10_000);
      expect(s.times()).toEqual([0, 10_000]);
      await s.clock.advance(99);
      expect(s.attempts).toHaveLength(2);
      await s.clock.advance(1);
      expect(s.times()).toEqual([0, 10_000, 10_100]);
    });
  });

  describe('concurrency', () => {
    it('never more than `concurrency` POSTs at a time; the others wait and all are delivered', async () => {
      const gates: Array<ReturnType<typeof deferred<SendResult>>> = [];
      const s = setup({
        concurrency: 3,
        answer: () => {
          const g = deferred<SendResult>();
          gates.push(g);
          return g.promise;
        },
      });
      for (let i = 0; i < 10; i++) s.d.submit(`uid-${i}`, `ns/p${i}`, URL, EVENT);
      await settle();
      expect(s.flight.now).toBe(3);
      // Release them one at a time (the first ones answered "retry"), letting retries come due: the limit holds throughout.
      let released = 0;
      while (released < gates.length) {
        gates[released].resolve(released % 3 === 0 && released < 9 ? UNAVAILABLE : ACCEPTED);
        released++;
        await settle();
        expect(s.flight.now).toBeLessThanOrEqual(3);
        if (released % 4 === 0 || released === gates.length) await s.clock.advance(2000);
        expect(s.flight.now).toBeLessThanOrEqual(3);
      }
      expect(s.flight.max).toBe(3);
      expect(s.attempts).toHaveLength(13);
      expect(new Set(s.settled.map((x) => x.id)).size).toBe(10);
      expect(s.settled.every((x) => x.outcome.state === 'accepted')).toBe(true);
      expect(s.d.pending).toBe(0);
    });

    it('a retry waits for a free slot like a new submission', async () => {
      const gate = deferred<SendResult>();
      const s = setup({ concurrency: 1, answer: (a, n) => (a.id === 'a' && n === 1 ? UNAVAILABLE : a.id === 'b' ? gate.promise : ACCEPTED) });
      s.d.submit('a', 'ns/a', URL, EVENT);
      await settle();
      s.d.submit('b', 'ns/b', URL, EVENT);
      await settle();
      // a's retry is due while b holds the only slot.
      await s.clock.advance(5000);
      expect(s.times('a')).toEqual([0]);
      expect(s.flight.max).toBe(1);
      gate.resolve(ACCEPTED);
      await settle();
      expect(s.times('a')).toEqual([0, 5000]);
      expect(s.flight.max).toBe(1);
    });
  });

  describe('stop and forget', () => {
    it('stop() aborts the attempts in flight, cancels the retry timers, and nothing settles afterwards', async () => {
      const gate = deferred<SendResult>();
      const s = setup({ answer: (a) => (a.id === 'flying' ? gate.promise : UNAVAILABLE) });
      s.d.submit('flying', 'ns/flying', URL, EVENT);
      s.d.submit('waiting', 'ns/waiting', URL, EVENT);
      await settle();
      expect(s.clock.pending).toBe(1);
      const signal = s.attempts.find((a) => a.id === 'flying')!.signal;
      expect(signal.aborted).toBe(false);
      s.d.stop();
      expect(signal.aborted).toBe(true);
      expect(s.clock.pending).toBe(0);
      expect(s.d.pending).toBe(0);
      expect(s.d.outcome('flying')).toBeUndefined();
      gate.resolve(ACCEPTED);
      await s.clock.advance(600_000);
      expect(s.attempts).toHaveLength(2);
      expect(s.settled).toEqual([]);
      expect(s.onAttempt.map((a) => a.id)).toEqual(['waiting']);
    });

    it('after stop() a new submission is delivered on a fresh signal', async () => {
      const s = setup({ concurrency: 1, answer: (a) => (a.id === 'old' ? new Promise<SendResult>((_r, reject) => a.signal.addEventListener('abort', () => reject(new Error('aborted')))) : ACCEPTED) });
      s.d.submit('old', 'ns/old', URL, EVENT);
      await settle();
      s.d.stop();
      await settle();
      s.d.submit('new', 'ns/new', URL, EVENT);
      await settle();
      const fresh = s.attempts.find((a) => a.id === 'new');
      expect(fresh?.signal.aborted).toBe(false);
      expect(s.settled.map((x) => x.id)).toEqual(['new']);
    });

    it('forget during a pending retry cancels it', async () => {
      const s = setup({ answer: () => UNAVAILABLE });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await settle();
      expect(s.clock.pending).toBe(1);
      s.d.forget('uid-1');
      expect(s.clock.pending).toBe(0);
      expect(s.d.pending).toBe(0);
      await s.clock.advance(600_000);
      expect(s.attempts).toHaveLength(1);
      expect(s.settled).toEqual([]);
    });

    it('forget of a delivery waiting for a slot: it is never sent', async () => {
      const gate = deferred<SendResult>();
      const s = setup({ concurrency: 1, answer: (a) => (a.id === 'first' ? gate.promise : ACCEPTED) });
      s.d.submit('first', 'ns/first', URL, EVENT);
      s.d.submit('second', 'ns/second', URL, EVENT);
      await settle();
      s.d.forget('second');
      gate.resolve(ACCEPTED);
      await s.clock.advance(10_000);
      expect(s.attempts.map((a) => a.id)).toEqual(['first']);
      expect(s.settled.map((x) => x.id)).toEqual(['first']);
    });

    it('forget while in flight: the answer is dropped (no onSettled), a later submit starts afresh', async () => {
      const gate = deferred<SendResult>();
      const s = setup({ answer: (_a, n) => (n === 1 ? gate.promise : ACCEPTED) });
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await settle();
      s.d.forget('uid-1');
      gate.resolve(ACCEPTED);
      await settle();
      expect(s.settled).toEqual([]);
      expect(s.d.outcome('uid-1')).toBeUndefined();
      s.d.submit('uid-1', 'jobs/job-1', URL, EVENT);
      await settle();
      expect(s.attempts).toHaveLength(2);
      expect(s.settled).toHaveLength(1);
    });
  });
});
