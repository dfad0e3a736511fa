/**
 * A bounded cache whose entries expire: at most `maxEntries` (the least recently used go first)
 * and each at most `ttlMs` old. Concurrent `getOrCompute` calls for one key share one computation,
 * so a burst of identical requests costs one upstream call. Failed computations are not cached.
 */
import { systemClock, type Clock } from './clock.js';

export interface TtlCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly clock?: Clock;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class TtlCache<V> {
  /** Map order is recency order: a hit moves the entry to the end. */
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<V>>();
  private readonly clock: Clock;

  constructor(private readonly options: TtlCacheOptions) {
    if (!(options.maxEntries >= 1)) throw new RangeError(`TtlCache: maxEntries must be at least 1, got ${options.maxEntries}`);
    if (!(options.ttlMs > 0)) throw new RangeError(`TtlCache: ttlMs must be more than 0, got ${options.ttlMs}`);
    this.clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live value of `key`, or undefined (an expired entry is dropped). */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose key starts with `prefix` (e.g. everything of one object). */
  deletePrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * The cached value, or `compute()`'s (cached when it resolves). `hit` tells which; callers that
   * arrive while a computation runs wait for it and count as hits.
   */
  async getOrCompute(key: string, compute: () => Promise<V>): Promise<{ value: V; hit: boolean }> {
    const cached = this.get(key);
    if (cached !== undefined) return { value: cached, hit: true };
    const running = this.inFlight.get(key);
    if (running) return { value: await running, hit: true };
    const p = compute();
    this.inFlight.set(key, p);
    try {
      const value = await p;
      this.set(key, value);
      return { value, hit: false };
    } finally {
      this.inFlight.delete(key);
    }
  }
}
