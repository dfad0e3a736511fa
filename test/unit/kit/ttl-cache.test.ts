import { TtlCache } from '../../../runtime/kit/index.js';
import { FakeClock, flush } from './fake-clock.js';
import { deferred } from '../../fixtures/deferred.js';


describe('TtlCache', () => {
  it('rejects a maxEntries below 1 and a ttlMs not above 0 (NaN included)', () => {
    expect(() => new TtlCache({ maxEntries: 0, ttlMs: 1000 })).toThrow(RangeError);
    expect(() => new TtlCache({ maxEntries: NaN, ttlMs: 1000 })).toThrow(/maxEntries must be at least 1, got NaN/);
    expect(() => new TtlCache({ maxEntries: 1, ttlMs: 0 })).toThrow(RangeError);
    expect(() => new TtlCache({ maxEntries: 1, ttlMs: -5 })).toThrow(/ttlMs must be more than 0, got -5/);
    expect(() => new TtlCache({ maxEntries: 1, ttlMs: NaN })).toThrow(RangeError);
    expect(() => new TtlCache({ maxEntries: 1, ttlMs: 1 })).not.toThrow();
  });

  it('evicts the least recently used entry at maxEntries; a get makes an entry recent', () => {
    const c = new TtlCache<number>({ maxEntries: 2, ttlMs: 60_000, clock: new FakeClock() });
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent, b the least
    c.set('c', 3);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    // Recency is now a, c (c read last). Overwriting a does not grow the cache and makes it the most
    // recent, so c is the one a new key pushes out.
    c.set('a', 10);
    c.set('d', 4);
    expect(c.get('c')).toBeUndefined();
    expect(c.get('a')).toBe(10);
    expect(c.get('d')).toBe(4);
  });

  it('expires an entry ttlMs after it was set (fake clock), and a set renews it', () => {
    const clock = new FakeClock();
    const c = new TtlCache<string>({ maxEntries: 10, ttlMs: 1000, clock });
    c.set('k', 'v');
    clock.jump(999);
    expect(c.get('k')).toBe('v');
    clock.jump(1);
    expect(c.get('k')).toBeUndefined();
    expect(c.size).toBe(0); // the expired entry is dropped
    c.set('k', 'v1');
    clock.jump(600);
    c.set('k', 'v2'); // renewed: 1000 ms from now
    clock.jump(600);
    expect(c.get('k')).toBe('v2');
  });

  it('getOrCompute: concurrent callers share one computation; joiners and later callers are hits', async () => {
    const clock = new FakeClock();
    const c = new TtlCache<number>({ maxEntries: 10, ttlMs: 1000, clock });
    const d = deferred<number>();
    let calls = 0;
    const compute = () => {
      calls++;
      return d.promise;
    };
    const first = c.getOrCompute('k', compute);
    const second = c.getOrCompute('k', compute);
    const other = c.getOrCompute('other', async () => 7);
    await flush();
    expect(calls).toBe(1);
    d.resolve(42);
    await expect(first).resolves.toEqual({ value: 42, hit: false });
    await expect(second).resolves.toEqual({ value: 42, hit: true });
    await expect(other).resolves.toEqual({ value: 7, hit: false });
    await expect(c.getOrCompute('k', compute)).resolves.toEqual({ value: 42, hit: true });
    expect(calls).toBe(1);
    // Expired: computed again.
    clock.jump(1000);
    await expect(c.getOrCompute('k', async () => 43)).resolves.toEqual({ value: 43, hit: false });
  });

  it('getOrCompute: a failure reaches every waiting caller and is not cached', async () => {
    const c = new TtlCache<number>({ maxEntries: 10, ttlMs: 1000, clock: new FakeClock() });
    const d = deferred<number>();
    let calls = 0;
    const failing = () => {
      calls++;
      return d.promise;
    };
    const a = c.getOrCompute('k', failing);
    const b = c.getOrCompute('k', failing);
    d.reject(new Error('upstream down'));
    await expect(a).rejects.toThrow('upstream down');
    await expect(b).rejects.toThrow('upstream down');
    expect(calls).toBe(1);
    expect(c.size).toBe(0);
    expect(c.get('k')).toBeUndefined();
    await expect(c.getOrCompute('k', async () => 5)).resolves.toEqual({ value: 5, hit: false });
  });

  it('deletePrefix drops exactly the keys with that prefix; delete and clear', () => {
    const c = new TtlCache<number>({ maxEntries: 10, ttlMs: 1000, clock: new FakeClock() });
    c.set('ns/a/1', 1);
    c.set('ns/a/2', 2);
    c.set('ns/ab', 3);
    c.set('other/ns/a/1', 4);
    c.deletePrefix('ns/a/');
    expect(c.get('ns/a/1')).toBeUndefined();
    expect(c.get('ns/a/2')).toBeUndefined();
    expect(c.get('ns/ab')).toBe(3);
    expect(c.get('other/ns/a/1')).toBe(4);
    c.delete('ns/ab');
    expect(c.get('ns/ab')).toBeUndefined();
    expect(c.size).toBe(1);
    c.clear();
    expect(c.size).toBe(0);
  });
});
