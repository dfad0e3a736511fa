import { createHash } from 'node:crypto';
import http from 'node:http';
import type { ObjectMeta } from '../../lib/k8s/object.js';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';

/**
 * Loads client configuration: an explicit kubeconfig path, else `$KUBECONFIG`, else the
 * in-cluster ServiceAccount (token, CA and API server address mounted into the pod).
 */
export function loadKubeConfig(path?: string, env: Record<string, string | undefined> = process.env): KubeConfig {
  const kc = new KubeConfig();
  const file = path || env.KUBECONFIG;
  if (file) kc.loadFromFile(file);
  else kc.loadFromCluster();
  return kc;
}

/** An error response of the API server, with the HTTP status and the `Status.reason`. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The HTTP status of an error from this module, from client-node's generated APIs, or from its Watch. */
export function statusCodeOf(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

export interface RawRequestOptions {
  readonly method?: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Whole-request timeout. @default 60000 */
  readonly timeoutMs?: number;
}

/** Keep-alive agents by TLS identity (CA, client certificate, key, verification, server name). */
const agents = new Map<string, https.Agent>();
/** More than a process's few kubeconfigs (a rotated client certificate makes a new key). */
const MAX_AGENTS = 16;

function keepAliveAgent(opts: https.RequestOptions): https.Agent {
  const h = createHash('sha256');
  for (const part of [opts.ca, opts.cert, opts.key, opts.pfx, opts.passphrase, opts.servername, String(opts.rejectUnauthorized)]) {
    const items = Array.isArray(part) ? part : [part];
    for (const x of items) h.update(x === undefined ? '\u0000' : typeof x === 'string' || Buffer.isBuffer(x) ? x : JSON.stringify(x)).update('\u0001');
  }
  const id = h.digest('hex');
  let agent = agents.get(id);
  if (agent) {
    agents.delete(id);
    agents.set(id, agent);
    return agent;
  }
  agent = new https.Agent({
    keepAlive: true,
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    pfx: opts.pfx,
    passphrase: opts.passphrase,
    servername: opts.servername,
    ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
  });
  agents.set(id, agent);
  if (agents.size > MAX_AGENTS) {
    const [oldest, old] = agents.entries().next().value as [string, https.Agent];
    agents.delete(oldest);
    // Requests in flight (a watch) finish; their sockets close instead of going back to the pool.
    (old as unknown as { keepAlive: boolean }).keepAlive = false;
    for (const list of Object.values(old.freeSockets)) for (const socket of list ?? []) socket.destroy();
  }
  return agent;
}

/**
 * One JSON request to the API server with the kubeconfig's credentials, without client-node's
 * typed (de)serialization: generic over any resource path and cheap for large lists.
 */
export async function rawRequest<T = unknown>(kc: KubeConfig, path: string, options: RawRequestOptions = {}): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const opts: https.RequestOptions & { headers: Record<string, string> } = {
    method: options.method ?? 'GET',
    headers: { Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(opts);
  // client-node makes a new https.Agent per call: every request would pay a TCP and TLS handshake.
  if (url.protocol === 'https:' && !kc.getCurrentCluster()?.proxyUrl) opts.agent = keepAliveAgent(opts);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) opts.headers['Content-Type'] = options.contentType ?? 'application/json';
  const lib = url.protocol === 'http:' ? http : https;
  const send = (retried: boolean): Promise<T> => new Promise<T>((resolve, reject) => {
    const req = lib.request(url, { ...opts, signal: options.signal, timeout: options.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        if (status >= 200 && status < 300) return resolve(parsed as T);
        const st = (parsed ?? {}) as { reason?: string; message?: string };
        reject(new ApiError(status, st.reason ?? '', `${opts.method} ${path}: ${status} ${st.message ?? text.slice(0, 200)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${opts.method} ${path}: timed out`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed as this request left: nothing was processed;
      // send it once more on a fresh connection (not a POST: a create is not idempotent).
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET' && opts.method !== 'POST' && !options.signal?.aborted) return resolve(send(true));
      reject(err);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
  return send(false);
}

/** Where a resource lives: `/api/v1` or `/apis/<group>/<version>`, plural, optional namespace. */
export interface ResourceRef {
  /** `v1`, `apps/v1`, `coordination.k8s.io/v1`, ... */
  readonly apiVersion: string;
  /** Plural resource name, e.g. `configmaps`. */
  readonly resource: string;
  /** Namespace; omitted for cluster-scoped resources or all namespaces. */
  readonly namespace?: string;
}

export function resourcePath(ref: ResourceRef, name?: string): string {
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${base}${ns}/${ref.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Any Kubernetes object as plain JSON (as read: `kind` and `apiVersion` are absent from list items). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list response as plain JSON. */
export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A write refused by the client because this replica does not hold the lease (nothing was sent). */
export class NotLeaderError extends Error {
  constructor(what: string) {
    super(`${what}: not the leader; write not sent`);
    this.name = 'NotLeaderError';
  }
}

export interface KubeClientOptions {
  /** Field manager of server-side applies and other writes. */
  readonly fieldManager: string;
  readonly metrics?: KitMetricsLike;
  /**
   * Checked immediately before every write (create, apply, patch, update, delete): when false the
   * write is not sent and `NotLeaderError` is thrown. Reads are always allowed.
   * @default always true
   */
  readonly writeGuard?: () => boolean;
  /** Per-request timeout. @default 20000 */
  readonly timeoutMs?: number;
}

/** The part of KitMetrics the client counts requests with (kept structural to avoid an import cycle). */
export interface KitMetricsLike {
  readonly apiRequests: { inc(labels: { verb: string; resource: string }): void };
}

export interface ApplyOptions {
  /** Take over fields owned by other managers (`force=true`). @default false */
  readonly force?: boolean;
  /** @default the client's */
  readonly fieldManager?: string;
}

export interface DeleteOptions {
  /** Delete only if the object still has this uid / resourceVersion (409 otherwise). */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

export type PatchType = 'merge' | 'json' | 'strategic';
const PATCH_CONTENT_TYPES: Record<PatchType | 'apply', string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/**
 * A typed client over `rawRequest`, like controller-runtime's `client.Client`: get/list, create,
 * server-side apply with a field manager (and force), patch (merge, JSON, strategic), status
 * apply/patch on the `/status` subresource, update with the resourceVersion (optimistic
 * concurrency), delete with preconditions. Every request is counted in `kit_api_requests_total`.
 * `withWriteGuard(isLeader)` gives a client whose writes stop the instant the lease is lost.
 */
export class KubeClient {
  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly options: KubeClientOptions,
  ) {}

  /** The same client with another write guard (e.g. a controller's leader election). */
  withWriteGuard(guard: () => boolean): KubeClient {
    return new KubeClient(this.kubeConfig, { ...this.options, writeGuard: guard });
  }

  get fieldManager(): string {
    return this.options.fieldManager;
  }

  /** GET; `undefined` on 404. */
  async get<T = KubeObject>(ref: ResourceRef, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>('get', ref, resourcePath(ref, name), {});
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** One page of a list (pass `continue` for the next). */
  list<T = KubeObject>(
    ref: ResourceRef,
    options: { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string } = {},
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('list', ref, resourcePath(ref), { query: options });
  }

  create<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.write<T>('create', ref, resourcePath(this.nsOf(ref, obj)), {
      method: 'POST',
      body: obj,
      query: { fieldManager: this.options.fieldManager },
    });
  }

  /** PUT with the object's resourceVersion: 409 when it changed since it was read. */
  update<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.write<T>('update', ref, resourcePath(this.nsOf(ref, obj), obj.metadata?.name), {
      method: 'PUT',
      body: obj,
      query: { fieldManager: this.options.fieldManager },
    });
  }

  /**
   * Server-side apply of `obj` (its apiVersion, kind, name and the fields this manager owns).
   * A `metadata.resourceVersion` in `obj` makes the apply fail with 409 if the object changed.
   */
  apply<T extends KubeObject>(ref: ResourceRef, obj: T, options: ApplyOptions = {}): Promise<T> {
    return this.applyTo<T>(ref, obj, '', options);
  }

  /** Server-side apply on the `/status` subresource. */
  applyStatus<T extends KubeObject>(ref: ResourceRef, obj: T, options: ApplyOptions = {}): Promise<T> {
    return this.applyTo<T>(ref, obj, '/status', options);
  }

  patch<T = KubeObject>(ref: ResourceRef, name: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.write<T>('patch', ref, resourcePath(ref, name), {
      method: 'PATCH',
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { fieldManager: this.options.fieldManager },
    });
  }

  /** A merge (or JSON) patch of the `/status` subresource. */
  patchStatus<T = KubeObject>(ref: ResourceRef, name: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.write<T>('patch', ref, `${resourcePath(ref, name)}/status`, {
      method: 'PATCH',
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { fieldManager: this.options.fieldManager },
    });
  }

  /** DELETE; `false` when it was already gone (404). Preconditions that no longer hold give 409. */
  async delete(ref: ResourceRef, name: string, options: DeleteOptions = {}): Promise<boolean> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(options.preconditions ? { preconditions: options.preconditions } : {}),
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
    };
    try {
      await this.write('delete', ref, resourcePath(ref, name), { method: 'DELETE', body });
      return true;
    } catch (err) {
      if (statusCodeOf(err) === 404) return false;
      throw err;
    }
  }

  private applyTo<T>(ref: ResourceRef, obj: KubeObject, sub: string, options: ApplyOptions): Promise<T> {
    return this.write<T>('patch', ref, `${resourcePath(this.nsOf(ref, obj), obj.metadata?.name)}${sub}`, {
      method: 'PATCH',
      body: obj,
      contentType: PATCH_CONTENT_TYPES.apply,
      query: { fieldManager: options.fieldManager ?? this.options.fieldManager, force: options.force || undefined },
    });
  }

  private nsOf(ref: ResourceRef, obj: KubeObject): ResourceRef {
    return ref.namespace || !obj.metadata?.namespace ? ref : { ...ref, namespace: obj.metadata.namespace };
  }

  private write<T>(verb: string, ref: ResourceRef, path: string, options: RawRequestOptions): Promise<T> {
    if (this.options.writeGuard && !this.options.writeGuard()) {
      return Promise.reject(new NotLeaderError(`${verb} ${ref.resource}`));
    }
    return this.request<T>(verb, ref, path, options);
  }

  private request<T>(verb: string, ref: ResourceRef, path: string, options: RawRequestOptions): Promise<T> {
    this.options.metrics?.apiRequests.inc({ verb, resource: ref.resource });
    return rawRequest<T>(this.kubeConfig, path, { timeoutMs: this.options.timeoutMs ?? 20_000, ...options });
  }
}

export interface RetryOnConflictOptions {
  /** Attempts in all (the first included). @default 5 */
  readonly attempts?: number;
  /** Wait before attempt n+1: `backoffDelay(n, ...)`. @default 10 ms doubling to 1 s, jittered */
  readonly backoff?: BackoffOptions;
}

/**
 * client-go's `retry.RetryOnConflict`: runs `fn` (which must read fresh state, compute, and
 * write with the resourceVersion it read) again when the write fails with 409 Conflict.
 * Any other error, and the last conflict, are thrown.
 */
export async function retryOnConflict<T>(fn: (attempt: number) => Promise<T>, options: RetryOnConflictOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoff ?? { initialMs: 10, maxMs: 1000, jitter: 0.1 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (statusCodeOf(err) !== 409 || attempt + 1 >= attempts) throw err;
      await sleep(backoffDelay(attempt, backoff));
    }
  }
}

/**
 * Wraps an object's write methods so that each checks `isLeader()` immediately before it runs
 * and throws `NotLeaderError` (nothing sent) when false: the write guard of a leader-elected
 * controller, for writers that are not a `KubeClient` (e.g. test fakes).
 */
export function guardWrites<T extends object>(target: T, isLeader: () => boolean, methods: readonly (keyof T & string)[]): T {
  const guarded = Object.create(target) as T;
  for (const m of methods) {
    // Looked up at each call: the target's method may be replaced later.
    (guarded as Record<string, unknown>)[m] = (...args: unknown[]) =>
      isLeader()
        ? (target[m] as unknown as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        : Promise.reject(new NotLeaderError(m));
  }
  return guarded;
}
