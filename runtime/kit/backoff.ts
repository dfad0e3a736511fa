import { systemClock, type Clock } from './clock.js';

/** Exponential backoff with jitter (client-go's reflector uses 800ms doubling up to 30s). */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs = 800,
    private readonly maxMs = 30_000,
    private readonly jitter = 0.2,
  ) {}

  /** The next delay; grows with every call until `reset`. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 + this.jitter * Math.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms` on the clock, or early (without rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
