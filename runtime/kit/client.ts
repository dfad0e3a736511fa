import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

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
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) opts.headers['Content-Type'] = options.contentType ?? 'application/json';
  const lib = url.protocol === 'http:' ? http : https;
  return new Promise<T>((resolve, reject) => {
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
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
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
