/**
 * Rate-limited status writes: a NodeConfig's status is written at most once per `minIntervalMs`
 * (the readings of 500 nodes at a 1 s interval would otherwise be 1000 writes a second), the
 * first time at once; marks in between coalesce into one write with the newest state. At most
 * `concurrency` writes are in flight; a failed write is retried at the next interval.
 */
import { systemClock, type Clock, type ClockTimer, type Logger } from '../kit/index.js';

export interface StatusWriterOptions {
  readonly minIntervalMs: number;
  /** Writes the status of `key` (reads the newest state itself); resolves when done. */
  readonly write: (key: string) => Promise<void>;
  /** @default 8 */
  readonly concurrency?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export class StatusWriter {
  private readonly lastWrite = new Map<string, number>();
  private readonly timers = new Map<string, ClockTimer>();
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  /** Keys being written; a mark meanwhile waits for the write to end (never two writes of one key at once). */
  private readonly inFlight = new Set<string>();
  /** Keys marked while in flight: written again after. */
  private readonly dirty = new Set<string>();
  /** Keys forgotten while in flight: neither retried nor written again. */
  private readonly forgotten = new Set<string>();
  private active = 0;
  private stopped = false;
  private idle?: () => void;
  private readonly clock: Clock;

  constructor(private readonly options: StatusWriterOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Asks for a write of `key`: now if none was made within the interval, else when it ends. */
  mark(key: string): void {
    if (this.stopped) return;
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.timers.has(key) || this.queued.has(key)) return;
    const last = this.lastWrite.get(key);
    const wait = last === undefined ? 0 : Math.max(0, last + this.options.minIntervalMs - this.clock.now());
    if (wait === 0) return this.enqueue(key);
    const t = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.enqueue(key);
    }, wait);
    t.unref?.();
    this.timers.set(key, t);
  }

  /** Drops `key` (its object is gone): no pending write, no memory of it. */
  forget(key: string): void {
    this.clock.clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.lastWrite.delete(key);
    this.dirty.delete(key);
    if (this.inFlight.has(key)) this.forgotten.add(key);
    if (this.queued.delete(key)) this.ready.splice(this.ready.indexOf(key), 1);
  }

  /** Stops writing; resolves when the writes in flight are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.dirty.clear();
    if (this.active) await new Promise<void>((r) => (this.idle = r));
  }

  /** Starts again after `stop` (a new leadership term): nothing pending, intervals reset. */
  restart(): void {
    this.stopped = false;
    this.lastWrite.clear();
  }

  get pending(): number {
    return this.timers.size + this.ready.length;
  }

  private enqueue(key: string): void {
    if (this.stopped) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  private pump(): void {
    const max = this.options.concurrency ?? 8;
    while (!this.stopped && this.active < max && this.ready.length) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.lastWrite.set(key, this.clock.now());
      this.active++;
      this.inFlight.add(key);
      let failed = false;
      void this.options
        .write(key)
        .catch((err) => {
          failed = true;
          this.options.logger?.warn({ key, err: String(err) }, 'status write failed; retrying at the next interval');
        })
        .finally(() => {
          this.active--;
          this.inFlight.delete(key);
          const again = !this.forgotten.delete(key) && (failed || this.dirty.has(key));
          this.dirty.delete(key);
          if (again && !this.stopped) this.mark(key);
          if (this.active === 0 && this.idle) {
            this.idle();
            this.idle = undefined;
          }
          this.pump();
        });
    }
  }
}
