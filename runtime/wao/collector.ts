/**
 * One collector: fetches one metric of one NodeConfig every `intervalMs`. The original started a
 * goroutine per metric on every reconcile and never stopped the old ones; here a collector is an
 * object with `start` and `stop`, owned by the NodeConfig controller, replaced (stopped, then a new
 * one started) when its configuration changes and stopped when its NodeConfig goes.
 *
 * - The first fetch is jittered over one interval, so 500 nodes at 15 s do not fire together.
 * - Each fetch has a timeout below the interval: a hung endpoint cannot stack up requests.
 * - A failure is reported (with its reason) and retried with exponential backoff from one
 *   interval up to `maxBackoffMs`; the last good value is kept by whoever receives the results.
 */
import { backoffDelay, systemClock, type Clock, type ClockTimer } from '../kit/index.js';

/** Why a fetch failed: the client's reason (`Timeout`, `NotJSON`, ...) or the collector's own. */
export interface FetchFailure {
  readonly reason: string;
  readonly message: string;
}

export type FetchOutcome =
  | { readonly ok: true; readonly value: number; readonly at: Date; readonly durationMs: number }
  | { readonly ok: false; readonly failure: FetchFailure; readonly at: Date; readonly durationMs: number; readonly consecutiveFailures: number; readonly retryInMs: number };

export interface CollectorOptions {
  readonly intervalMs: number;
  /** Fetches the value; rejects with an error whose `reason` (if any) names the failure. */
  readonly fetch: (signal: AbortSignal, timeoutMs: number) => Promise<number>;
  readonly onOutcome: (outcome: FetchOutcome) => void;
  /** Told when `onOutcome` throws (the collector goes on). @default ignored */
  readonly onHandlerError?: (err: unknown) => void;
  /** Longest wait after repeated failures. @default max(interval, 5 min) */
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** A fetch's timeout: 80 % of the interval, at most 30 s, at least 200 ms. */
export function fetchTimeoutMs(intervalMs: number): number {
  return Math.max(200, Math.min(30_000, Math.floor(intervalMs * 0.8)));
}

/** The failure an error stands for (clients' errors carry a `reason`). */
export function failureOf(err: unknown): FetchFailure {
  const reason = typeof (err as { reason?: unknown })?.reason === 'string' ? (err as { reason: string }).reason : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return { reason, message: message.length > 500 ? `${message.slice(0, 497)}...` : message };
}

export class Collector {
  private timer?: ClockTimer;
  private abort?: AbortController;
  private running?: Promise<void>;
  private stopped = true;
  private failures = 0;
  /** Bumped by every start and stop: a tick of an earlier run ends instead of scheduling. */
  private run = 0;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly options: CollectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  /** Starts fetching after a random part of one interval. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run++;
    this.schedule(Math.floor(this.random() * this.options.intervalMs));
  }

  /** Stops: no further fetch; a fetch in flight is aborted and its outcome dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.run++;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick();
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const run = this.run;
    const { intervalMs } = this.options;
    const timeoutMs = fetchTimeoutMs(intervalMs);
    const abort = (this.abort = new AbortController());
    const started = this.clock.now();
    const timeout = this.clock.setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let outcome: FetchOutcome;
    try {
      const value = await this.options.fetch(abort.signal, timeoutMs);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw Object.assign(new Error(`not a finite number: ${String(value)}`), { reason: 'MalformedResponse' });
      this.failures = 0;
      outcome = { ok: true, value, at: new Date(this.clock.now()), durationMs: this.clock.now() - started };
    } catch (err) {
      this.failures++;
      const failure = abort.signal.aborted && !this.stopped ? timeoutFailure(err, timeoutMs) : failureOf(err);
      outcome = {
        ok: false,
        failure,
        at: new Date(this.clock.now()),
        durationMs: this.clock.now() - started,
        consecutiveFailures: this.failures,
        retryInMs: this.retryDelay(),
      };
    } finally {
      this.clock.clearTimeout(timeout);
      this.abort = undefined;
    }
    if (this.stopped || run !== this.run) return;
    try {
      this.options.onOutcome(outcome);
    } catch (err) {
      // A receiver's bug must not end the process (an unhandled rejection) nor this collector.
      this.options.onHandlerError?.(err);
    }
    // Keep the cadence: the next fetch is one interval after this one started.
    const next = outcome.ok ? Math.max(0, intervalMs - (this.clock.now() - started)) : outcome.retryInMs;
    this.schedule(next);
  }

  /** After n failures in a row: interval × 2^(n-1), at most maxBackoffMs, plus up to 10 %. */
  private retryDelay(): number {
    const { intervalMs } = this.options;
    const max = this.options.maxBackoffMs ?? Math.max(intervalMs, 300_000);
    return backoffDelay(this.failures - 1, { initialMs: intervalMs, maxMs: max, jitter: 0.1 }, this.random);
  }
}

function timeoutFailure(err: unknown, timeoutMs: number): FetchFailure {
  const f = failureOf(err);
  return f.reason === 'Timeout' ? f : { reason: 'Timeout', message: `no answer within ${timeoutMs} ms` };
}
