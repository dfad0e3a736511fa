import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { Backoff, sleep } from './backoff.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { rawRequest, resourcePath, statusCodeOf, type ResourceRef } from './client.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { KitMetrics } from './metrics.js';

/** One event of a watch stream. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface ListOptions {
  readonly limit?: number;
  readonly continue?: string;
  /** Aborts the request (the informer stops). */
  readonly signal?: AbortSignal;
}

export interface WatchOptions {
  readonly resourceVersion: string;
  readonly timeoutSeconds: number;
}

/**
 * How an informer reaches the API server. `watch` returns a function that aborts the stream;
 * `onDone` is called once, with `null` when the server closed the stream cleanly.
 */
export interface ListerWatcher<T extends KubernetesObject> {
  list(options: ListOptions): Promise<KubernetesListObject<T>>;
  watch(
    options: WatchOptions,
    onEvent: (type: WatchEventType, obj: any) => void,
    onDone: (err: unknown) => void,
  ): Promise<() => void>;
}

export interface SelectorOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/**
 * The ListerWatcher of a resource through the API server: paged lists as plain JSON (no typed
 * deserialization), watches through client-node's `Watch` with bookmarks and a server timeout.
 */
export function apiListerWatcher<T extends KubernetesObject>(
  kc: KubeConfig,
  resource: ResourceRef,
  selectors: SelectorOptions = {},
  metrics?: KitMetrics,
): ListerWatcher<T> {
  const path = resourcePath(resource);
  const watch = new Watch(kc);
  return {
    list(options) {
      metrics?.apiRequests.inc({ verb: 'list', resource: resource.resource });
      return rawRequest<KubernetesListObject<T>>(kc, path, {
        query: { ...selectors, limit: options.limit, continue: options.continue },
        signal: options.signal,
      });
    },
    async watch(options, onEvent, onDone) {
      metrics?.apiRequests.inc({ verb: 'watch', resource: resource.resource });
      const controller = await watch.watch(
        path,
        {
          ...selectors,
          resourceVersion: options.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: options.timeoutSeconds,
        },
        (type, obj) => onEvent(type as WatchEventType, obj),
        onDone,
      );
      return () => controller.abort();
    },
  };
}

/** What an informer tells its users, like client-go's ResourceEventHandler. */
export interface InformerHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
  /** After each successful full list (the first one, and every relist). */
  onSync?(): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** Name in logs and metrics. */
  readonly name: string;
  readonly listerWatcher: ListerWatcher<T>;
  /** Applied to every object before it is stored. @default drops `metadata.managedFields` */
  readonly transform?: (obj: T) => T;
  /** Page size of lists. @default 500 */
  readonly pageSize?: number;
  /** Server-side watch timeout; a random value in [t, 2t) like client-go. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /**
   * A watch that delivers nothing (not even a bookmark) for this long is considered dead and
   * restarted: client-node's Watch has no idle detection of its own.
   * @default watch timeout + 30 s
   */
  readonly idleTimeoutMs?: number;
  /** Backoff after a failed list or watch. @default 800 ms doubling to 30 s */
  readonly backoff?: Backoff;
  readonly logger?: Logger;
  readonly metrics?: KitMetrics;
  /** Time and timers of backoff sleeps and the idle timeout (tests inject a fake one). @default the system clock */
  readonly clock?: Clock;
}

export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : (obj.metadata?.name ?? '');
}

export function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

type WatchEnd = { kind: 'closed' } | { kind: 'expired' } | { kind: 'error'; err: unknown; reason: string };

/**
 * A list + watch cache of one resource, the reflector + store of client-go:
 * - paged initial list, then a watch from its resourceVersion with bookmarks;
 * - a watch closed by the server (timeout) resumes from the last resourceVersion;
 * - `410 Gone` (compacted history) relists at once; a lost or failed watch relists after backoff;
 * - a failed list leaves the cache as it was: nothing is deleted until a list succeeds;
 * - a relist emits only the differences (adds, updates, deletes) to handlers;
 * - a watch that goes silent for `idleTimeoutMs` is aborted and restarted.
 */
export class Informer<T extends KubernetesObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private stopController?: AbortController;
  private running?: Promise<void>;
  private readonly log: Logger;
  private readonly transform: (obj: T) => T;
  private readonly backoff: Backoff;
  private readonly clock: Clock;

  constructor(private readonly options: InformerOptions<T>) {
    this.log = (options.logger ?? silentLogger()).child({ informer: options.name });
    this.transform = options.transform ?? stripManagedFields;
    this.backoff = options.backoff ?? new Backoff();
    this.clock = options.clock ?? systemClock;
  }

  get name(): string {
    return this.options.name;
  }

  addHandler(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first full list is in the cache (or the informer stops). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopController?.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.run(this.stopController.signal).catch((err) => this.log.error({ err }, 'informer loop crashed'));
  }

  async stop(): Promise<void> {
    this.stopController?.abort();
    const w = this.syncWaiters;
    this.syncWaiters = [];
    w.forEach((r) => r());
    await this.running;
    this.running = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let reason = 'initial';
    while (!signal.aborted) {
      try {
        await this.listAndReplace(reason, signal);
      } catch (err) {
        if (signal.aborted) return;
        const delay = this.backoff.next();
        this.log.warn({ err: String(err), status: statusCodeOf(err), retryInMs: delay, reason }, 'list failed; cache kept');
        this.options.metrics?.informerWatchErrors.inc({ informer: this.name, reason: 'list_failed' });
        await sleep(delay, signal, this.clock);
        continue;
      }
      this.backoff.reset();
      for (;;) {
        if (signal.aborted) return;
        const end = await this.watchOnce(signal);
        if (signal.aborted) return;
        if (end.kind === 'closed') continue;
        if (end.kind === 'expired') {
          this.log.info({ resourceVersion: this.resourceVersion }, 'watch expired (410 Gone); relisting');
          this.options.metrics?.informerWatchErrors.inc({ informer: this.name, reason: 'expired' });
          reason = 'expired';
          break;
        }
        const delay = this.backoff.next();
        this.log.warn({ err: String(end.err), reason: end.reason, retryInMs: delay }, 'watch lost; relisting after backoff');
        this.options.metrics?.informerWatchErrors.inc({ informer: this.name, reason: end.reason });
        reason = end.reason;
        await sleep(delay, signal, this.clock);
        break;
      }
    }
  }

  private async listAndReplace(reason: string, signal: AbortSignal): Promise<void> {
    const started = this.clock.now();
    this.options.metrics?.informerLists.inc({ informer: this.name, reason });
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      let page: KubernetesListObject<T>;
      try {
        page = await this.options.listerWatcher.list({ limit: this.options.pageSize ?? 500, continue: cont, signal });
      } catch (err) {
        if (cont && statusCodeOf(err) === 410) {
          // The continue token expired between pages: start the list over for a consistent snapshot.
          items.length = 0;
          cont = undefined;
          continue;
        }
        throw err;
      }
      if (signal.aborted) return;
      for (const item of page.items ?? []) items.push(this.transform(item));
      if (!cont) rv = page.metadata?.resourceVersion ?? '';
      // Raw JSON says `continue`; client-node's typed models rename it `_continue`.
      const meta = page.metadata as { continue?: string; _continue?: string } | undefined;
      cont = meta?.continue || meta?._continue || undefined;
    } while (cont);
    this.replace(items, rv);
    this.log.info({ objects: items.length, resourceVersion: rv, reason, ms: this.clock.now() - started }, 'listed');
  }

  private replace(items: T[], rv: string): void {
    const next = new Map<string, T>();
    for (const item of items) next.set(objectKey(item), item);
    const old = new Map(this.store);
    this.store.clear();
    for (const [k, v] of next) this.store.set(k, v);
    this.resourceVersion = rv;
    for (const [k, obj] of next) {
      const prev = old.get(k);
      if (!prev) this.emit((h) => h.onAdd?.(obj));
      else if (prev.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit((h) => h.onUpdate?.(obj, prev));
    }
    for (const [k, prev] of old) if (!next.has(k)) this.emit((h) => h.onDelete?.(prev));
    this.options.metrics?.informerObjects.set({ informer: this.name }, this.store.size);
    if (!this.synced) {
      this.synced = true;
      this.options.metrics?.informerSynced.set({ informer: this.name }, 1);
      const w = this.syncWaiters;
      this.syncWaiters = [];
      w.forEach((r) => r());
    }
    this.emit((h) => h.onSync?.());
  }

  private watchOnce(signal: AbortSignal): Promise<WatchEnd> {
    const timeout = Math.floor((this.options.watchTimeoutSeconds ?? 300) * (1 + Math.random()));
    const idleMs = this.options.idleTimeoutMs ?? (timeout + 30) * 1000;
    this.options.metrics?.informerWatches.inc({ informer: this.name });
    return new Promise<WatchEnd>((resolve) => {
      let finished = false;
      let abort: (() => void) | undefined;
      let idle: ClockTimer | undefined;
      let expired = false;
      let errorEvent: unknown;
      const finish = (end: WatchEnd) => {
        if (finished) return;
        finished = true;
        this.clock.clearTimeout(idle);
        signal.removeEventListener('abort', onStop);
        abort?.();
        resolve(end);
      };
      const onStop = () => finish({ kind: 'closed' });
      const armIdle = () => {
        this.clock.clearTimeout(idle);
        idle = this.clock.setTimeout(
          () => finish({ kind: 'error', err: new Error(`no data for ${idleMs} ms`), reason: 'idle' }),
          idleMs,
        );
      };
      signal.addEventListener('abort', onStop, { once: true });
      armIdle();
      const onEvent = (type: WatchEventType, obj: any) => {
        if (finished) return;
        armIdle();
        switch (type) {
          case 'ERROR': {
            if (obj?.code === 410) expired = true;
            else errorEvent = new Error(`watch error event: ${obj?.code} ${obj?.message}`);
            // The server ends the stream after an ERROR event; do not wait for it.
            if (expired) finish({ kind: 'expired' });
            else finish({ kind: 'error', err: errorEvent, reason: 'error_event' });
            return;
          }
          case 'BOOKMARK':
            if (obj?.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
            return;
          case 'ADDED':
          case 'MODIFIED': {
            const item = this.transform(obj as T);
            const key = objectKey(item);
            const prev = this.store.get(key);
            this.store.set(key, item);
            this.resourceVersion = item.metadata?.resourceVersion ?? this.resourceVersion;
            if (prev) this.emit((h) => h.onUpdate?.(item, prev));
            else this.emit((h) => h.onAdd?.(item));
            break;
          }
          case 'DELETED': {
            const item = this.transform(obj as T);
            const key = objectKey(item);
            const prev = this.store.get(key);
            this.store.delete(key);
            this.resourceVersion = item.metadata?.resourceVersion ?? this.resourceVersion;
            if (prev) this.emit((h) => h.onDelete?.(prev));
            break;
          }
        }
        this.options.metrics?.informerObjects.set({ informer: this.name }, this.store.size);
      };
      const onDone = (err: unknown) => {
        if (finished) return;
        if (!err) return finish({ kind: 'closed' });
        if (statusCodeOf(err) === 410) return finish({ kind: 'expired' });
        const status = statusCodeOf(err);
        finish({ kind: 'error', err, reason: status ? `http_${status}` : 'connection' });
      };
      this.options.listerWatcher
        .watch({ resourceVersion: this.resourceVersion, timeoutSeconds: timeout }, onEvent, onDone)
        .then((a) => {
          abort = a;
          if (finished) a();
        })
        .catch((err) => onDone(err ?? new Error('watch failed')));
    });
  }

  private emit(fn: (h: InformerHandler<T>) => void): void {
    for (const h of this.handlers) {
      try {
        fn(h);
      } catch (err) {
        this.log.error({ err }, 'informer handler threw');
      }
    }
  }
}

/**
 * An informer of one resource through the API server, e.g.
 * `informerFor<V1Pod>(kc, { apiVersion: 'v1', resource: 'pods' }, { name: 'pods', labelSelector: 'app=x' })`.
 */
export function informerFor<T extends KubernetesObject>(
  kc: KubeConfig,
  resource: ResourceRef,
  options: SelectorOptions & Omit<InformerOptions<T>, 'listerWatcher'>,
): Informer<T> {
  const { labelSelector, fieldSelector, ...rest } = options;
  return new Informer<T>({ ...rest, listerWatcher: apiListerWatcher<T>(kc, resource, { labelSelector, fieldSelector }, rest.metrics) });
}
