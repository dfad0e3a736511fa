import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { KitMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

/** What a reconcile asks for besides success; like controller-runtime's `reconcile.Result`. */
export interface Result {
  /** Run again after this many ms even without a change. */
  readonly requeueAfterMs?: number;
}

/** A failure that retrying cannot fix: logged, not retried (controller-runtime's TerminalError). */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/**
 * The contract of a controller: read the desired state from caches and converge. Called with a
 * key whenever something it watches changed; idempotent and safe to run at any time.
 * A thrown error is retried with backoff, unless it is a TerminalError.
 */
export interface Reconciler<K> {
  reconcile(key: K): Promise<Result | void>;
}

export interface ControllerOptions<K> {
  readonly name: string;
  readonly reconciler: Reconciler<K>;
  /** Parallel workers; a key is never reconciled twice at once. @default 1 */
  readonly workers?: number;
  readonly queue?: WorkQueue<K>;
  readonly logger?: Logger;
  readonly metrics?: KitMetrics;
  /** Render a key for logs. @default String */
  readonly keyToString?: (key: K) => string;
}

/** Runs a Reconciler over a WorkQueue with `workers` loops; `stop` drains and waits. */
export class Controller<K = string> {
  readonly queue: WorkQueue<K>;
  private workers: Promise<void>[] = [];
  private readonly log: Logger;

  constructor(private readonly options: ControllerOptions<K>) {
    this.queue =
      options.queue ??
      new WorkQueue<K>({ onDepth: (d) => options.metrics?.workqueueDepth.set({ controller: options.name }, d) });
    this.log = (options.logger ?? silentLogger()).child({ controller: options.name });
  }

  start(): void {
    const n = this.options.workers ?? 1;
    for (let i = 0; i < n; i++) this.workers.push(this.worker());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async worker(): Promise<void> {
    const name = this.options.name;
    const show = this.options.keyToString ?? String;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const end = this.options.metrics?.reconcileSeconds.startTimer({ controller: name });
      try {
        const result = await this.options.reconciler.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) {
          this.queue.addAfter(key, result.requeueAfterMs);
          this.options.metrics?.reconciles.inc({ controller: name, result: 'requeue' });
        } else {
          this.options.metrics?.reconciles.inc({ controller: name, result: 'success' });
        }
      } catch (err) {
        this.options.metrics?.reconciles.inc({ controller: name, result: 'error' });
        if (err instanceof TerminalError) {
          this.queue.forget(key);
          this.log.error({ key: show(key), err: err.message }, 'reconcile failed (terminal)');
        } else {
          const delay = this.queue.addRateLimited(key);
          this.log.warn({ key: show(key), err: String(err), retryInMs: delay }, 'reconcile failed; retrying');
        }
      } finally {
        end?.();
        this.queue.done(key);
      }
    }
  }
}
