/**
 * The optimizer's HTTP API as the original calls it: `POST <OPTUNE_URL>` with the event as JSON
 * and `Authorization: Bearer <token>` only when a token is set. One attempt per call; what to do
 * next is in the result: accepted (2xx), retry (network error, timeout, 408, 429, 5xx; with the
 * server's `Retry-After`), or rejected for good (any other status: the request itself is wrong).
 * The original retried only 502/503, three times, and lost the measurement after that.
 */
import { readFile, stat } from 'node:fs/promises';
import type { OptimizerEvent } from '../../lib/api/servo/index.js';

export type SendResult =
  | { readonly kind: 'accepted'; readonly status: number }
  | { readonly kind: 'retry'; readonly status?: number; readonly retryAfterMs?: number; readonly reason: string }
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string };

/** Most bytes of a response body read (for the message of a rejection); the rest is discarded. */
const MAX_BODY_BYTES = 4096;

/** `Retry-After` (delay-seconds or an HTTP date) in ms from `nowMs`, or undefined. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date (RFC 9110 IMF-fixdate, or the obsolete forms): it names a weekday or a month.
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** Whether a status is worth another attempt. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The Bearer token: from a file (re-read when it changes, e.g. a mounted Secret) or a fixed value. */
export class TokenSource {
  private cached?: { stamp: string; token: string | undefined };

  constructor(private readonly options: { readonly file?: string; readonly value?: string }) {}

  async token(): Promise<string | undefined> {
    if (!this.options.file) return this.options.value || undefined;
    const s = await stat(this.options.file).catch(() => undefined);
    if (!s) return undefined;
    const stamp = `${s.mtimeMs}/${s.size}/${s.ino}`;
    if (this.cached?.stamp !== stamp) this.cached = { stamp, token: (await readFile(this.options.file, 'utf8')).trim() || undefined };
    return this.cached.token;
  }
}

export interface OptimizerClientOptions {
  readonly tokens: TokenSource;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/** Reads at most MAX_BODY_BYTES of a body as text and drops the rest (the connection is reused). */
async function bodyText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size < MAX_BODY_BYTES) chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short says nothing more than its status.
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY_BYTES);
}

export class OptimizerClient {
  constructor(private readonly options: OptimizerClientOptions) {}

  /** One POST of `event` to `url`; `idempotencyKey` (the pod's uid) lets an optimizer drop a repeat. */
  async send(url: string, event: OptimizerEvent, signal?: AbortSignal, idempotencyKey?: string): Promise<SendResult> {
    const token = await this.options.tokens.token().catch(() => undefined);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(event),
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      const reason = timeout.aborted ? `no answer within ${this.options.timeoutMs} ms` : `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}`;
      return { kind: 'retry', reason };
    }
    const text = await bodyText(res);
    if (res.status >= 200 && res.status < 300) return { kind: 'accepted', status: res.status };
    if (isRetryableStatus(res.status)) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), (this.options.now ?? Date.now)());
      return { kind: 'retry', status: res.status, reason: `HTTP ${res.status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    const detail = text.trim().replace(/\s+/g, ' ').slice(0, 300);
    return { kind: 'rejected', status: res.status, reason: `HTTP ${res.status}${detail ? `: ${detail}` : ''}` };
  }
}
