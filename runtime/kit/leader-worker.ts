/**
 * The leader-only part of a reconciler: its controller's workers and a periodic resync,
 * started each time the replica acquires the lease and stopped the moment it is lost (the
 * informers stay warm in the manager's cache on every replica). What every controller of the
 * image needs once, so none of them writes its own start/stop/timer glue.
 */
import type { Runnable } from './manager.js';

export interface LeaderWorkerOptions {
  /** The runnable's name (the controller's). */
  readonly name: string;
  /** What runs the workers: a kit `Controller`. */
  readonly controller: { start(): void; stop(): Promise<void> };
  /** Period of `resync`; 0 for none. */
  readonly resyncIntervalMs: number;
  /** Enqueues everything again (level-triggered: a missed event is repaired by the next resync). */
  readonly resync: () => void;
  /** Called after the workers started on a newly acquired lease (e.g. enqueue everything at once). */
  readonly onStartedLeading?: () => void;
}

export class LeaderWorker {
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: LeaderWorkerOptions) {}

  /** For the manager: started on leadership, stopped when it is lost. */
  runnable(): Runnable {
    return {
      name: this.options.name,
      needLeaderElection: true,
      start: () => {
        this.start();
        this.options.onStartedLeading?.();
      },
      stop: () => this.stop(),
    };
  }

  /** Starts the workers and the resync timer (idempotent: a second start restarts the timer). */
  start(): void {
    this.options.controller.start();
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.resyncIntervalMs > 0) {
      this.timer = setInterval(this.options.resync, this.options.resyncIntervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer, then the workers (resolves once in-flight reconciles finished). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.options.controller.stop();
  }

  /** True while the resync timer runs. */
  get resyncing(): boolean {
    return this.timer !== undefined;
  }
}
