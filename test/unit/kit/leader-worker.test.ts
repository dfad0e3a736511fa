import { jest } from '@jest/globals';
import { LeaderWorker } from '../../../runtime/kit/leader-worker.js';

function fixture(resyncIntervalMs: number) {
  const calls: string[] = [];
  const worker = new LeaderWorker({
    name: 'demo',
    controller: { start: () => void calls.push('start'), stop: async () => void calls.push('stop') },
    resyncIntervalMs,
    resync: () => void calls.push('resync'),
    onStartedLeading: () => void calls.push('leading'),
  });
  return { calls, worker };
}

describe('LeaderWorker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('as a runnable: needs the lease, starts the workers then tells the reconciler, resyncs on its period, stops it all', async () => {
    const { calls, worker } = fixture(1000);
    const r = worker.runnable();
    expect([r.name, r.needLeaderElection]).toEqual(['demo', true]);
    await r.start();
    expect(calls).toEqual(['start', 'leading']);
    jest.advanceTimersByTime(2500);
    expect(calls).toEqual(['start', 'leading', 'resync', 'resync']);
    await r.stop();
    jest.advanceTimersByTime(5000);
    expect(calls).toEqual(['start', 'leading', 'resync', 'resync', 'stop']);
    expect(worker.resyncing).toBe(false);
  });

  it('a second start restarts the timer instead of adding one; no period, no timer', async () => {
    const { calls, worker } = fixture(1000);
    worker.start();
    jest.advanceTimersByTime(600);
    worker.start();
    jest.advanceTimersByTime(600);
    expect(calls.filter((c) => c === 'resync')).toHaveLength(0);
    jest.advanceTimersByTime(400);
    expect(calls.filter((c) => c === 'resync')).toHaveLength(1);
    await worker.stop();
    const none = fixture(0);
    none.worker.start();
    expect(none.worker.resyncing).toBe(false);
    jest.advanceTimersByTime(10_000);
    expect(none.calls).toEqual(['start']);
  });
});
