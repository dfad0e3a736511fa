import type { KubernetesObject } from '@kubernetes/client-node';
import { NotLeaderError } from './client.js';
import type { InformerHandler } from './informer.js';
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
  /**
   * The leader gate: while it returns false, keys are taken off the queue without a reconcile
   * (the manager enqueues everything again when this replica becomes the leader).
   * @default always open
   */
  readonly isLeader?: () => boolean;
}

/** Runs a Reconciler over a WorkQueue with `workers` loops; `stop` drains and waits. */
export class Controller<K = string> {
  private q: WorkQueue<K>;
  private workers: Promise<void>[] = [];
  private readonly log: Logger;

  constructor(private readonly options: ControllerOptions<K>) {
    this.q = options.queue ?? this.newQueue();
    this.log = (options.logger ?? silentLogger()).child({ controller: options.name });
  }

  get name(): string {
    return this.options.name;
  }

  /** The current queue; a new one after every stop + start (keys added while stopped are dropped). */
  get queue(): WorkQueue<K> {
    return this.q;
  }

  get running(): boolean {
    return this.workers.length > 0;
  }

  /** Starts the workers; after a `stop`, on a fresh queue. */
  start(): void {
    if (this.workers.length) return;
    if (this.q.isShuttingDown) this.q = this.newQueue();
    const n = this.options.workers ?? 1;
    for (let i = 0; i < n; i++) this.workers.push(this.worker());
  }

  /** Shuts the queue down and waits for reconciles in flight. */
  async stop(): Promise<void> {
    this.q.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  /**
   * Enqueues the keys of every change `source` reports that passes all `predicates`
   * (controller-runtime's `Watches(source, handler, predicates...)`). `toKeys` maps an object to
   * the keys to reconcile: itself (`keyOf`), its owner (`enqueueOwner`), or anything else.
   * A relist (`onSync`) enqueues nothing by itself: the differences arrive as add/update/delete.
   */
  watches<T extends KubernetesObject>(
    source: { addHandler(handler: InformerHandler<T>): void },
    toKeys: (obj: T) => K | readonly K[] | undefined,
    ...predicates: Predicate<T>[]
  ): this {
    const enqueue = (obj: T) => {
      const keys = toKeys(obj);
      if (keys === undefined) return;
      for (const k of Array.isArray(keys) ? (keys as readonly K[]) : [keys as K]) this.q.add(k);
    };
    const pass = (e: WatchEvent<T>) => predicates.every((p) => p(e));
    source.addHandler({
      onAdd: (obj) => pass({ type: 'add', obj }) && enqueue(obj),
      onUpdate: (obj, old) => pass({ type: 'update', obj, old }) && enqueue(obj),
      onDelete: (obj) => pass({ type: 'delete', obj }) && enqueue(obj),
    });
    return this;
  }

  private newQueue(): WorkQueue<K> {
    return new WorkQueue<K>({ onDepth: (d) => this.options.metrics?.workqueueDepth.set({ controller: this.options.name }, d) });
  }

  private async worker(): Promise<void> {
    const name = this.options.name;
    const show = this.options.keyToString ?? String;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (this.options.isLeader && !this.options.isLeader()) {
        // Not the leader: no reconcile; everything is enqueued again on becoming the leader.
        this.queue.forget(key);
        this.queue.done(key);
        continue;
      }
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
        const notLeader = err instanceof NotLeaderError;
        this.options.metrics?.reconciles.inc({ controller: name, result: notLeader ? 'not_leader' : 'error' });
        if (notLeader) {
          // The lease was lost during the reconcile: the write was not sent; the next leader converges.
          this.queue.forget(key);
          this.log.info({ key: show(key) }, 'lease lost during reconcile; write not sent');
        } else if (err instanceof TerminalError) {
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

/** One change an informer reported, for predicates. */
export type WatchEvent<T> = { type: 'add'; obj: T } | { type: 'update'; obj: T; old: T } | { type: 'delete'; obj: T };

/** Filters the changes that enqueue (controller-runtime's predicates). */
export type Predicate<T> = (event: WatchEvent<T>) => boolean;

/** Updates pass only when `changed(old, new)`; adds and deletes always pass. */
export function onUpdateOnly<T>(changed: (obj: T, old: T) => boolean): Predicate<T> {
  return (e) => e.type !== 'update' || changed(e.obj, e.old);
}

/** Updates pass when `metadata.generation` changed (the spec, not status or metadata). */
export function generationChanged<T extends KubernetesObject>(): Predicate<T> {
  return onUpdateOnly((o, old) => o.metadata?.generation !== old.metadata?.generation);
}

/** Updates pass when the labels changed. */
export function labelsChanged<T extends KubernetesObject>(): Predicate<T> {
  return onUpdateOnly((o, old) => !sameRecord(o.metadata?.labels, old.metadata?.labels));
}

/** Updates pass when the annotations changed. */
export function annotationsChanged<T extends KubernetesObject>(): Predicate<T> {
  return onUpdateOnly((o, old) => !sameRecord(o.metadata?.annotations, old.metadata?.annotations));
}

/** Updates pass when the resourceVersion changed (drops re-deliveries of the same version). */
export function resourceVersionChanged<T extends KubernetesObject>(): Predicate<T> {
  return onUpdateOnly((o, old) => o.metadata?.resourceVersion !== old.metadata?.resourceVersion);
}

/** Passes when any of `predicates` passes. */
export function anyOf<T>(...predicates: Predicate<T>[]): Predicate<T> {
  return (e) => predicates.some((p) => p(e));
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => b?.[k] === a?.[k]);
}

/** `namespace/name` (or `name` when cluster-scoped): the usual reconcile key of an object. */
export function keyOf(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : (obj.metadata?.name ?? '');
}

/**
 * Maps an owned object to the keys of its owners of `kind` (and `apiVersion`'s group, when given),
 * from its ownerReferences: controller-runtime's `EnqueueRequestForOwner`. Owners live in the
 * owned object's namespace (or are cluster-scoped when `clusterScoped`).
 */
export function enqueueOwner<T extends KubernetesObject>(
  kind: string,
  options: { apiVersion?: string; onlyController?: boolean; clusterScoped?: boolean } = {},
): (obj: T) => string[] {
  const group = options.apiVersion ? groupOf(options.apiVersion) : undefined;
  return (obj) => {
    const ns = options.clusterScoped ? undefined : obj.metadata?.namespace;
    return (obj.metadata?.ownerReferences ?? [])
      .filter((r) => r.kind === kind && (group === undefined || groupOf(r.apiVersion) === group))
      .filter((r) => !options.onlyController || r.controller === true)
      .map((r) => (ns ? `${ns}/${r.name}` : r.name));
  };
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}
