import { WorkQueue } from '../../../runtime/kit/workqueue.js';

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

  it('addAfter keeps the earliest deadline (debounce never postpones)', async () => {
    const q = new WorkQueue<string>();
    const t0 = Date.now();
    q.addAfter('a', 30);
    q.addAfter('a', 500);
    expect(await q.get()).toBe('a');
    expect(Date.now() - t0).toBeLessThan(400);
  });

  it('backs off exponentially per key and forgets', () => {
    const q = new WorkQueue<string>({ baseDelayMs: 10, maxDelayMs: 50 });
    expect(q.addRateLimited('a')).toBe(10);
    expect(q.addRateLimited('a')).toBe(20);
    expect(q.addRateLimited('a')).toBe(40);
    expect(q.addRateLimited('a')).toBe(50);
    expect(q.numRequeues('a')).toBe(4);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(10);
    q.shutDown();
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
