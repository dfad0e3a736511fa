/**
 * Measurements on their way to the optimizer: each one is attempted until it is accepted (2xx)
 * or rejected for good (4xx other than 408/429), with exponential backoff and jitter between
 * attempts (1 s doubling to `maxBackoffMs`) or the server's `Retry-After` when it says one, at
 * most `concurrency` POSTs at a time. The outcome is kept until the reconciler has recorded it on
 * the pod (`forget`), so the pod's annotation, not this memory, is what survives a restart.
 */
import { backoffDelay, systemClock, type Clock, type ClockTimer } from '../kit/index.js';
import type { OptimizerEvent } from '../../lib/api/servo/index.js';
import type { SendResult } from './optimizer.js';

export type Outcome =
  | { readonly state: 'pending'; readonly attempts: number; readonly lastError?: string }
  | { readonly state: 'accepted'; readonly status: number; readonly attempts: number; readonly atMs: number }
  | { readonly state: 'rejected'; readonly status: number; readonly reason: string; readonly attempts: number; readonly atMs: number };

export type Sender = (url: string, event: OptimizerEvent, signal: AbortSignal, idempotencyKey: string) => Promise<SendResult>;

export interface DeliveriesOptions {
  readonly send: Sender;
  readonly concurrency: number;
  readonly maxBackoffMs: number;
  /** @default 1000 */
  readonly initialBackoffMs?: number;
  /** Called when a delivery settles (accepted or rejected), with the key given to `submit`. */
  readonly onSettled: (key: string, id: string, outcome: Outcome) => void;
  /** Called after each attempt (metrics, logs). */
  readonly onAttempt?: (id: string, result: SendResult, attempt: number) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
}

interface Delivery {
  readonly id: string;
  readonly key: string;
  readonly url: string;
  readonly event: OptimizerEvent;
  outcome: Outcome;
  timer?: ClockTimer;
  inFlight: boolean;
}

export class Deliveries {
  private readonly items = new Map<string, Delivery>();
  private readonly waiting: Delivery[] = [];
  private running = 0;
  private abort = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly options: DeliveriesOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Starts delivering `event` under `id` unless it is already known (idempotent). */
  submit(id: string, key: string, url: string, event: OptimizerEvent): Outcome {
    const known = this.items.get(id);
    if (known) return known.outcome;
    const d: Delivery = { id, key, url, event, outcome: { state: 'pending', attempts: 0 }, inFlight: false };
    this.items.set(id, d);
    this.enqueue(d);
    return d.outcome;
  }

  outcome(id: string): Outcome | undefined {
    return this.items.get(id)?.outcome;
  }

  /** Drops what is known of `id` (after its outcome was recorded on the pod, or the pod is gone). */
  forget(id: string): void {
    const d = this.items.get(id);
    if (!d) return;
    this.clock.clearTimeout(d.timer);
    this.items.delete(id);
    const i = this.waiting.indexOf(d);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Deliveries not yet accepted or rejected. */
  get pending(): number {
    let n = 0;
    for (const d of this.items.values()) if (d.outcome.state === 'pending') n++;
    return n;
  }

  /** Stops every attempt and timer; pending deliveries are dropped (the pods still say they are unreported). */
  stop(): void {
    this.abort.abort();
    this.abort = new AbortController();
    for (const d of this.items.values()) this.clock.clearTimeout(d.timer);
    this.items.clear();
    this.waiting.length = 0;
  }

  private enqueue(d: Delivery): void {
    this.waiting.push(d);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length) {
      const d = this.waiting.shift()!;
      if (this.items.get(d.id) !== d) continue;
      this.running++;
      void this.attempt(d).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    const signal = this.abort.signal;
    const attempts = (d.outcome.state === 'pending' ? d.outcome.attempts : 0) + 1;
    d.inFlight = true;
    let result: SendResult;
    try {
      result = await this.options.send(d.url, d.event, signal, d.id);
    } catch (err) {
      result = { kind: 'retry', reason: String((err as Error)?.message ?? err) };
    } finally {
      d.inFlight = false;
    }
    if (signal.aborted || this.items.get(d.id) !== d) return;
    this.options.onAttempt?.(d.id, result, attempts);
    if (result.kind === 'accepted') {
      d.outcome = { state: 'accepted', status: result.status, attempts, atMs: this.clock.now() };
      this.options.onSettled(d.key, d.id, d.outcome);
    } else if (result.kind === 'rejected') {
      d.outcome = { state: 'rejected', status: result.status, reason: result.reason, attempts, atMs: this.clock.now() };
      this.options.onSettled(d.key, d.id, d.outcome);
    } else {
      d.outcome = { state: 'pending', attempts, lastError: result.reason };
      const backoff = backoffDelay(attempts - 1, { initialMs: this.options.initialBackoffMs ?? 1000, maxMs: this.options.maxBackoffMs, jitter: 0.2 }, this.options.random);
      // The server's Retry-After wins (capped; at least 100 ms, so "0" cannot become a busy loop).
      const delay = Math.min(this.options.maxBackoffMs, result.retryAfterMs !== undefined ? Math.max(100, result.retryAfterMs) : backoff);
      d.timer = this.clock.setTimeout(() => {
        d.timer = undefined;
        if (this.items.get(d.id) === d) this.enqueue(d);
      }, delay);
      d.timer.unref?.();
    }
  }
}
