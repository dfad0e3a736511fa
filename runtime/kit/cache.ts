import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Backoff } from './backoff.js';
import type { ResourceRef } from './client.js';
import {
  stripManagedFields,
  Informer,
  apiListerWatcher,
  objectKey,
  type InformerHandler,
  type ListerWatcher,
  type SelectorOptions,
} from './informer.js';
import type { Logger } from './log.js';
import type { KitMetrics } from './metrics.js';

/** Values an object is indexed under (e.g. a pod's `spec.nodeName`); none: not indexed. */
export type IndexFunc<T> = (obj: T) => readonly string[] | string | undefined;

/**
 * An informer shared by every consumer of the same (resource, namespace, selectors), with
 * indexers, like client-go's SharedIndexInformer. The indexes are kept by one handler registered
 * before any consumer's, so a consumer's handler already sees the object in `byIndex`.
 */
export class SharedInformer<T extends KubernetesObject> {
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name -> value -> object keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /** object key -> index name -> values it is filed under */
  private readonly filed = new Map<string, Map<string, string[]>>();

  constructor(readonly informer: Informer<T>) {
    informer.addHandler({
      onAdd: (o) => this.reindex(o),
      onUpdate: (o) => this.reindex(o),
      onDelete: (o) => this.unindex(objectKey(o)),
    });
  }

  get name(): string {
    return this.informer.name;
  }

  addHandler(handler: InformerHandler<T>): void {
    this.informer.addHandler(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.informer.get(namespace, name);
  }

  list(): T[] {
    return this.informer.list();
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }

  waitForSync(): Promise<void> {
    return this.informer.waitForSync();
  }

  /** Adds an index; objects already in the cache are indexed at once. Names are unique. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`informer ${this.name}: indexer "${name}" already exists`);
    this.indexers.set(name, fn);
    this.indices.set(name, new Map());
    for (const obj of this.informer.list()) this.fileUnder(name, fn, obj);
  }

  /** The cached objects whose index `name` has `value`, in no particular order. */
  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`informer ${this.name}: no indexer "${name}"`);
    const out: T[] = [];
    for (const key of index.get(value) ?? []) {
      const [ns, n] = splitKey(key);
      const obj = this.informer.get(ns, n);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** The values index `name` currently holds. */
  indexValues(name: string): string[] {
    return [...(this.indices.get(name)?.keys() ?? [])];
  }

  private reindex(obj: T): void {
    this.unindex(objectKey(obj));
    for (const [name, fn] of this.indexers) this.fileUnder(name, fn, obj);
  }

  private fileUnder(name: string, fn: IndexFunc<T>, obj: T): void {
    const raw = fn(obj);
    const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : [...raw];
    if (!values.length) return;
    const key = objectKey(obj);
    const index = this.indices.get(name)!;
    for (const v of values) {
      if (!index.has(v)) index.set(v, new Set());
      index.get(v)!.add(key);
    }
    if (!this.filed.has(key)) this.filed.set(key, new Map());
    this.filed.get(key)!.set(name, values);
  }

  private unindex(key: string): void {
    const filed = this.filed.get(key);
    if (!filed) return;
    for (const [name, values] of filed) {
      const index = this.indices.get(name)!;
      for (const v of values) {
        const keys = index.get(v);
        keys?.delete(key);
        if (keys && keys.size === 0) index.delete(v);
      }
    }
    this.filed.delete(key);
  }
}

function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf('/');
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

export interface InformerCacheOptions {
  /** For informers of the API server; without it every informer needs its own `listerWatcher`. */
  readonly kubeConfig?: KubeConfig;
  readonly logger?: Logger;
  readonly metrics?: KitMetrics;
  /** Server-side watch timeout of every informer. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /** Backoff of each informer after a failed list or watch. @default 800 ms doubling to 30 s */
  readonly backoff?: () => Backoff | undefined;
}

export interface SharedInformerOptions<T extends KubernetesObject> {
  /** Name in logs and metrics; the first consumer's wins. @default resource[/namespace][?selectors] */
  readonly name?: string;
  /** Reach the objects some other way (tests inject fakes). @default the API server */
  readonly listerWatcher?: ListerWatcher<T>;
  /**
   * What the cache keeps of each object (after managedFields are dropped), to save memory: an
   * informer with a transform is shared only with consumers asking for the same `name`d one.
   * @default the object without its managedFields
   */
  readonly transform?: { readonly name: string; readonly fn: (obj: T) => T };
}

/**
 * The shared informer factory of a process (client-go's SharedInformerFactory, controller-runtime's
 * cache): one list + watch per (resource, namespace, label selector, field selector), handed to
 * every consumer that asks for the same. Informers asked for after `start()` start at once.
 */
export class InformerCache {
  private readonly informers = new Map<string, SharedInformer<any>>();
  private started = false;

  constructor(private readonly options: InformerCacheOptions = {}) {}

  /** The shared informer of `resource` (with its `namespace`, or all) and the selectors. */
  informer<T extends KubernetesObject>(
    resource: ResourceRef,
    selectors: SelectorOptions = {},
    options: SharedInformerOptions<T> = {},
  ): SharedInformer<T> {
    const id = cacheKey(resource, selectors) + (options.transform ? `#${options.transform.name}` : '');
    const existing = this.informers.get(id);
    if (existing) return existing as SharedInformer<T>;
    const lw = options.listerWatcher ?? this.apiListerWatcher<T>(resource, selectors);
    const informer = new Informer<T>({
      name: options.name ?? id,
      listerWatcher: lw,
      backoff: this.options.backoff?.(),
      logger: this.options.logger,
      metrics: this.options.metrics,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds,
      ...(options.transform ? { transform: (obj: T) => options.transform!.fn(stripManagedFields(obj)) } : {}),
    });
    const shared = new SharedInformer<T>(informer);
    this.informers.set(id, shared);
    if (this.started) informer.start();
    return shared;
  }

  /** Every informer, in creation order. */
  all(): SharedInformer<KubernetesObject>[] {
    return [...this.informers.values()];
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.informer.start();
  }

  /** Names of the informers that have not completed their first list. */
  notSynced(): string[] {
    return this.all().filter((i) => !i.hasSynced()).map((i) => i.name);
  }

  hasSynced(): boolean {
    return this.notSynced().length === 0;
  }

  /** Resolves when every informer has synced (or the cache stops). */
  async waitForSync(): Promise<void> {
    await Promise.all(this.all().map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.all().map((i) => i.informer.stop()));
  }

  private apiListerWatcher<T extends KubernetesObject>(resource: ResourceRef, selectors: SelectorOptions): ListerWatcher<T> {
    if (!this.options.kubeConfig) throw new Error(`informer cache has no kubeconfig: give ${resource.resource} a listerWatcher`);
    return apiListerWatcher<T>(this.options.kubeConfig, resource, selectors, this.options.metrics);
  }
}

/** `apiVersion/resource[/namespace][?labelSelector][&fieldSelector]`: what makes two informers the same. */
export function cacheKey(resource: ResourceRef, selectors: SelectorOptions = {}): string {
  const q = [
    selectors.labelSelector ? `labelSelector=${selectors.labelSelector}` : '',
    selectors.fieldSelector ? `fieldSelector=${selectors.fieldSelector}` : '',
  ].filter(Boolean);
  return `${resource.apiVersion}/${resource.resource}${resource.namespace ? `/${resource.namespace}` : ''}${q.length ? `?${q.join('&')}` : ''}`;
}
