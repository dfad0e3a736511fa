import { systemClock, type Clock } from './clock.js';

/**
 * The one exponential backoff of the kit: `initial * 2^attempt`, capped, optionally jittered.
 * Used by the informers (after a failed list or watch: client-go's reflector uses 800 ms doubling
 * to 30 s), the work queue (per-key retry: 100 ms doubling to 60 s) and controllers that requeue
 * a key while it waits for something (`Result.requeueAfterMs`).
 */
export interface BackoffOptions {
  /** First delay in ms. */
  readonly initialMs: number;
  /** Largest delay in ms (before jitter). */
  readonly maxMs: number;
  /** Up to this fraction is added at random. @default 0 */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (0-based): `min(max, initial * 2^attempt)`, plus jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt));
  const jitter = options.jitter ?? 0;
  return jitter > 0 ? Math.round(base * (1 + jitter * random())) : base;
}

/** A stateful `backoffDelay`: each `next()` is the following attempt until `reset()`. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs = 800,
    private readonly maxMs = 30_000,
    private readonly jitter = 0.2,
  ) {}

  /** The next delay; grows with every call until `reset`. */
  next(): number {
    return backoffDelay(this.attempt++, { initialMs: this.initialMs, maxMs: this.maxMs, jitter: this.jitter });
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
