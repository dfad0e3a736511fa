import type { Clock, ClockTimer } from '../../../runtime/kit/index.js';

interface Pending {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Lets every promise callback and I/O callback that is ready run (one turn of the event loop). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock whose time moves only when the test says so. `advance` fires the due timers in time
 * order and lets the code they wake run before the next one; `jump` moves time without firing
 * anything, like an event loop blocked for that long.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Pending>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return { id } as ClockTimer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer) this.timers.delete((timer as { id: number }).id);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time by `ms` without firing timers. */
  jump(ms: number): void {
    this.t += ms;
  }

  /** Moves time by `ms`, firing each timer when its time comes. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      const next = [...this.timers.values()].filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }

  /** Advances in steps of `stepMs` until `cond` holds; returns the time that took. */
  async until(cond: () => boolean, limitMs: number, stepMs = 10, what = 'condition'): Promise<number> {
    const t0 = this.t;
    while (!cond()) {
      if (this.t - t0 >= limitMs) throw new Error(`${what} not reached within ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
    return this.t - t0;
  }
}
