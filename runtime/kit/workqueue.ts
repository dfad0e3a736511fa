import { backoffDelay } from './backoff.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';

/**
 * A deduplicating work queue with delayed adds and per-key exponential retry backoff,
 * with the semantics of client-go's `workqueue`:
 * - a key is queued at most once however often it is added;
 * - a key is never processed by two workers at once: added while processing, it is queued
 *   again when `done` is called;
 * - `addAfter` keeps the earliest pending deadline (a debounce that never postpones);
 * - `addRateLimited` waits `baseDelay * 2^failures` (capped), `forget` resets the count.
 */
export interface WorkQueueOptions {
  /** First retry delay in ms. @default 100 */
  readonly baseDelayMs?: number;
  /** Largest retry delay in ms. @default 60000 */
  readonly maxDelayMs?: number;
  /** Called on every change of the number of queued keys (for a depth gauge). */
  readonly onDepth?: (depth: number) => void;
  /** Time and timers of delayed adds (tests inject a fake one). @default the system clock */
  readonly clock?: Clock;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly timers = new Map<K, { at: number; timer: ClockTimer }>();
  private readonly failures = new Map<K, number>();
  private waiters: Array<(k: K | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly clock: Clock;

  constructor(private readonly options: WorkQueueOptions = {}) {
    this.baseDelay = options.baseDelayMs ?? 100;
    this.maxDelay = options.maxDelayMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Number of keys waiting to be processed (not counting delayed ones). */
  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending deadline for the same key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Re-adds a failed key after its backoff; returns the delay used. */
  addRateLimited(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = backoffDelay(n, { initialMs: this.baseDelay, maxMs: this.maxDelay });
    this.addAfter(key, delay);
    return delay;
  }

  /** Failures recorded for a key since the last `forget`. */
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  /** Waits for the next key; `undefined` once the queue shuts down. */
  get(): Promise<K | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key as processed; if it was added meanwhile it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.options.onDepth?.(this.queue.length);
  }

  private take(): K {
    const key = this.queue.shift() as K;
    this.options.onDepth?.(this.queue.length);
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
