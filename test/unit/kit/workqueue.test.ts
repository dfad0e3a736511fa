import { WorkQueue } from '../../../runtime/kit/workqueue.js';
import { FakeClock } from './fake-clock.js';

describe('WorkQueue', () => {
  it('deduplicates keys that wait', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.length).toBe(0);
  });

  it('does not hand out a key being processed; re-queues it on done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const k = await q.get();
    q.add('a'); // changed while processing
    expect(q.length).toBe(0);
    q.done(k!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting worker', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
  });

  it('addAfter keeps the earliest deadline (debounce never postpones), and adds once', async () => {
    const clock = new FakeClock();
    const depths: number[] = [];
    const q = new WorkQueue<string>({ clock, onDepth: (d) => depths.push(d) });
    q.addAfter('a', 30);
    q.addAfter('a', 500); // later: ignored
    q.addAfter('b', 500);
    q.addAfter('b', 40); // earlier: replaces the pending one
    await clock.advance(29);
    expect(q.length).toBe(0);
    await clock.advance(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    await clock.advance(9);
    expect(q.length).toBe(0);
    await clock.advance(1);
    expect(await q.get()).toBe('b');
    q.done('b');
    await clock.advance(1000);
    expect(q.length).toBe(0); // neither the dropped nor the replaced deadline fires
    expect(clock.pending).toBe(0);
    expect(depths).toEqual([1, 0, 1, 0]);
  });

  it('addAfter with no delay adds at once; after shutdown it adds nothing', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.length).toBe(2);
    expect(clock.pending).toBe(0);
    q.addAfter('c', 10);
    q.shutDown();
    expect(clock.pending).toBe(0); // pending delays are cancelled
    q.addAfter('d', 10);
    expect(clock.pending).toBe(0);
    await clock.advance(100);
    expect(q.isShuttingDown).toBe(true);
  });

  it('backs off exponentially per key, capped, and forgets', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ baseDelayMs: 10, maxDelayMs: 50, clock });
    expect(q.addRateLimited('a')).toBe(10);
    // The key comes back after its delay, not before.
    await clock.advance(9);
    expect(q.length).toBe(0);
    await clock.advance(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.addRateLimited('a')).toBe(20);
    expect(q.addRateLimited('a')).toBe(40);
    expect(q.addRateLimited('a')).toBe(50);
    expect(q.addRateLimited('a')).toBe(50);
    expect(q.numRequeues('a')).toBe(5);
    expect(q.numRequeues('b')).toBe(0);
    expect(q.addRateLimited('b')).toBe(10); // per key
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(10);
    q.shutDown();
  });

  it('uses 100 ms doubling to 60 s by default', () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const delays = Array.from({ length: 12 }, () => q.addRateLimited('a'));
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);
    expect(delays[9]).toBe(51_200);
    expect(delays[10]).toBe(60_000);
    q.shutDown();
  });

  it('a key handed to a waiting worker is being processed: added again, it waits for done', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
    q.add('x');
    expect(q.length).toBe(0);
    q.done('x');
    expect(q.length).toBe(1);
  });

  it('after shutdown, done does not queue a key that was added while processing', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.shutDown();
    q.done('a');
    expect(q.length).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('shutdown releases waiters with undefined', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.shutDown();
    expect(await p).toBeUndefined();
    q.add('a');
    expect(q.length).toBe(0);
  });
});
