import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { ListOptions, ListerWatcher, WatchEventType, WatchOptions } from '../../../runtime/kit/index.js';

/** An in-memory API server for one resource: list pages, watch streams, failures on demand. */
export class FakeListerWatcher<T extends KubernetesObject> implements ListerWatcher<T> {
  objects = new Map<string, T>();
  rv = 1;
  lists: ListOptions[] = [];
  watches: WatchOptions[] = [];
  failLists = 0;
  /** Lists never answer (a hung API server) until aborted. */
  hangLists = false;
  failWatchStart = 0;
  private stream?: { onEvent: (t: WatchEventType, o: any) => void; onDone: (e: unknown) => void; aborted: boolean };

  private key(o: KubernetesObject) {
    return `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  }

  async list(options: ListOptions): Promise<KubernetesListObject<T>> {
    this.lists.push(options);
    if (this.hangLists) {
      await new Promise((_, reject) => options.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    if (this.failLists > 0) {
      this.failLists--;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    const all = [...this.objects.values()].sort((a, b) => this.key(a).localeCompare(this.key(b)));
    const start = options.continue ? parseInt(options.continue, 10) : 0;
    const limit = options.limit ?? all.length;
    const items = all.slice(start, start + limit).map((o) => structuredClone(o));
    const next = start + limit < all.length ? String(start + limit) : undefined;
    // The wire form (`continue`), as the API server sends it.
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.rv), continue: next } as never, items };
  }

  async watch(options: WatchOptions, onEvent: (t: WatchEventType, o: any) => void, onDone: (e: unknown) => void) {
    this.watches.push(options);
    if (this.failWatchStart > 0) {
      this.failWatchStart--;
      onDone(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return () => {};
    }
    const s = { onEvent, onDone, aborted: false };
    this.stream = s;
    return () => {
      s.aborted = true;
    };
  }

  get watching(): boolean {
    return !!this.stream && !this.stream.aborted;
  }

  /** Changes an object on the "server" and sends the event to an open watch. */
  upsert(obj: T): T {
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    const existed = this.objects.has(this.key(o));
    this.objects.set(this.key(o), o);
    this.send(existed ? 'MODIFIED' : 'ADDED', structuredClone(o));
    return o;
  }

  remove(namespace: string, name: string): void {
    const k = `${namespace}/${name}`;
    const o = this.objects.get(k);
    if (!o) return;
    this.objects.delete(k);
    this.send('DELETED', { ...structuredClone(o), metadata: { ...o.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Changes an object without telling the watch (events lost while disconnected). */
  upsertSilently(obj: T): void {
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    this.objects.set(this.key(o), o);
  }

  removeSilently(namespace: string, name: string): void {
    this.objects.delete(`${namespace}/${name}`);
    this.rv++;
  }

  send(type: WatchEventType, obj: any): void {
    if (this.stream && !this.stream.aborted) this.stream.onEvent(type, obj);
  }

  /** Ends the open watch: `null` = clean server close. */
  close(err: unknown = null): void {
    const s = this.stream;
    this.stream = undefined;
    if (s && !s.aborted) s.onDone(err);
  }
}

export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A JSON copy made in this realm (Jest's objects from structuredClone fail isPlainObject). */
const jsonCopy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/**
 * `lw` as an informer should see it: JSON copies made in this realm. FakeListerWatcher copies
 * with structuredClone, whose objects come from Jest's outer realm and fail isPlainObject.
 */
export function sameRealm<T extends KubernetesObject>(lw: ListerWatcher<T>): ListerWatcher<T> {
  return {
    list: async (options) => jsonCopy(await lw.list(options)),
    watch: (options, onEvent, onDone) => lw.watch(options, (type, obj) => onEvent(type, jsonCopy(obj)), onDone),
  };
}

/** RFC 7386 merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
