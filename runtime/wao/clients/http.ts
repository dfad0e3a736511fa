/**
 * The HTTP layer of the WAO clients: node:http(s) with keep-alive agents shared per TLS setting,
 * one deadline per call (connect, headers and body), a capped body that is always read to its
 * end or destroyed (so a socket goes back to the pool or is closed, never leaked), and every
 * failure turned into an EndpointError.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { EndpointError, clip, safeUrl, type EndpointFailureReason } from './errors.js';

/** TLS settings of a request (ignored for http). */
export interface TlsSettings {
  readonly insecureSkipVerify?: boolean;
  readonly caPem?: string;
}

export interface HttpCall {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly tls: TlsSettings;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** A JSON text, sent with `Content-Type: application/json`. */
  readonly json?: string;
  /** The call's deadline and cancellation (see `callDeadline`). */
  readonly signal: AbortSignal;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The URL asked, without credentials: for messages. */
  readonly shownUrl: string;
}

export interface HttpTransportOptions {
  /** @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** @default 'platform-controllers-wao' */
  readonly userAgent?: string;
  /** How many https agents (one per CA bundle and verification setting) are kept. @default 64 */
  readonly maxAgents?: number;
  /** Idle keep-alive sockets are closed after this long. @default 30000 */
  readonly idleSocketMs?: number;
}

/** Sockets of the shared agents, for metrics and the leak tests. */
export interface AgentStats {
  readonly agents: number;
  /** Sockets carrying a request now. */
  readonly activeSockets: number;
  /** Idle keep-alive sockets. */
  readonly freeSockets: number;
}

const DEFAULT_MAX_BODY = 1 << 20;
/**
 * Idle sockets kept per host. A BMC needs one, but the differential-pressure API is one service
 * polled for every node: 500 nodes at 1 s with ~100 ms answers keep ~50 requests in flight, and a
 * smaller pool turns most of them into new connections. Idle sockets close after `idleSocketMs`.
 */
const MAX_FREE_SOCKETS_PER_HOST = 64;

/** A deadline for one call (all of its requests), cancelled with the caller's signal too. */
export function callDeadline(timeoutMs: number, caller?: AbortSignal): { readonly signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new EndpointError('Timeout', `no complete answer within ${timeoutMs} ms`)), timeoutMs);
  timer.unref();
  const onCallerAbort = () => ctl.abort(new EndpointError('Timeout', 'the call was cancelled'));
  if (caller?.aborted) onCallerAbort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: ctl.signal,
    dispose() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

export class HttpTransport {
  private readonly maxBodyBytes: number;
  private readonly userAgent: string;
  private readonly maxAgents: number;
  private readonly idleSocketMs: number;
  private httpAgent: HttpAgent | undefined;
  /** LRU by insertion order: key = insecure flag + CA hash. */
  private readonly httpsAgents = new Map<string, HttpsAgent>();

  constructor(opts: HttpTransportOptions = {}) {
    const max = opts.maxBodyBytes;
    this.maxBodyBytes = typeof max === 'number' && Number.isFinite(max) && max > 0 ? Math.floor(max) : DEFAULT_MAX_BODY;
    this.userAgent = opts.userAgent || 'platform-controllers-wao';
    this.maxAgents = Math.max(1, opts.maxAgents ?? 64);
    this.idleSocketMs = opts.idleSocketMs ?? 30_000;
  }

  /** One request; resolves with any status (the caller judges it), rejects with an EndpointError. */
  request(call: HttpCall): Promise<HttpAnswer> {
    const shownUrl = safeUrl(call.url.href);
    const what = `${call.method} ${shownUrl}`;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let req: ReturnType<typeof httpRequest> | undefined;
      let res: IncomingMessage | undefined;
      const cleanup = () => call.signal.removeEventListener('abort', onAbort);
      const fail = (err: EndpointError) => {
        if (settled) return;
        settled = true;
        cleanup();
        // Destroying closes the socket instead of returning it to the pool half-read.
        res?.destroy();
        req?.destroy();
        reject(err);
      };
      const onAbort = () => {
        const why = call.signal.reason instanceof EndpointError ? call.signal.reason : new EndpointError('Timeout', 'the call was cancelled');
        fail(new EndpointError(why.reason, `${what}: ${why.message}`, { url: shownUrl }));
      };
      if (call.signal.aborted) return onAbort();
      call.signal.addEventListener('abort', onAbort, { once: true });

      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
      if (call.basicAuth) headers.authorization = `Basic ${Buffer.from(`${call.basicAuth.username}:${call.basicAuth.password}`, 'utf8').toString('base64')}`;
      if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(call.json));
      }
      try {
        const https = call.url.protocol === 'https:';
        const make = https ? httpsRequest : httpRequest;
        req = make(call.url, { method: call.method, headers, agent: https ? this.httpsAgent(call.tls) : this.plainAgent() });
      } catch (err) {
        return fail(fromNodeError(err, what, shownUrl));
      }
      req.on('error', (err) => fail(fromNodeError(err, what, shownUrl)));
      req.on('response', (r) => {
        res = r;
        const status = r.statusCode ?? 0;
        const declared = Number(r.headers['content-length']);
        if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
          return fail(tooLarge(what, shownUrl, status, this.maxBodyBytes));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        r.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBodyBytes) fail(tooLarge(what, shownUrl, status, this.maxBodyBytes));
          else chunks.push(c);
        });
        r.on('error', (err) => fail(fromNodeError(err, what, shownUrl)));
        r.on('end', () => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve({ status, headers: r.headers, body: Buffer.concat(chunks), shownUrl });
        });
        // 'close' without 'end': the peer dropped the connection mid-body.
        r.on('close', () => fail(new EndpointError('ConnectionFailed', `${what}: the connection closed before the body ended`, { url: shownUrl, status })));
      });
      req.end(call.json);
    });
  }

  /** Socket counts over all agents. */
  stats(): AgentStats {
    const agents = [...(this.httpAgent ? [this.httpAgent] : []), ...this.httpsAgents.values()];
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return {
      agents: agents.length,
      activeSockets: agents.reduce((n, a) => n + count(a.sockets), 0),
      freeSockets: agents.reduce((n, a) => n + count(a.freeSockets), 0),
    };
  }

  /** Destroys every agent and its sockets; later requests make new ones. */
  close(): void {
    this.httpAgent?.destroy();
    this.httpAgent = undefined;
    for (const a of this.httpsAgents.values()) a.destroy();
    this.httpsAgents.clear();
  }

  private plainAgent(): HttpAgent {
    this.httpAgent ??= new HttpAgent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS_PER_HOST, timeout: this.idleSocketMs, scheduling: 'lifo' });
    return this.httpAgent;
  }

  private httpsAgent(tls: TlsSettings): HttpsAgent {
    const insecure = tls.insecureSkipVerify === true;
    const ca = tls.caPem ? tls.caPem : undefined;
    const key = `${insecure ? 'insecure' : 'verify'}:${ca ? createHash('sha256').update(ca).digest('hex') : 'system'}`;
    const hit = this.httpsAgents.get(key);
    if (hit) {
      this.httpsAgents.delete(key);
      this.httpsAgents.set(key, hit);
      return hit;
    }
    const agent = new HttpsAgent({
      keepAlive: true,
      maxFreeSockets: MAX_FREE_SOCKETS_PER_HOST,
      timeout: this.idleSocketMs,
      scheduling: 'lifo',
      rejectUnauthorized: !insecure,
      ...(ca ? { ca } : {}),
    });
    this.httpsAgents.set(key, agent);
    if (this.httpsAgents.size > this.maxAgents) {
      const [oldKey, old] = this.httpsAgents.entries().next().value as [string, HttpsAgent];
      this.httpsAgents.delete(oldKey);
      retire(old);
    }
    return agent;
  }
}

/** Closes an evicted agent's idle sockets now; its busy ones close when their request ends. */
function retire(agent: HttpsAgent): void {
  for (const list of Object.values(agent.freeSockets)) for (const s of list ?? []) s.destroy();
  // Node's agent closes a released socket instead of pooling it when `keepAlive` is false.
  (agent as unknown as { keepAlive: boolean }).keepAlive = false;
}

function tooLarge(what: string, url: string, status: number, max: number): EndpointError {
  return new EndpointError('ResponseTooLarge', `${what}: the answer is larger than ${max} bytes`, { url, status });
}

/** Node's TLS verification failures (OpenSSL's X509 codes as Node names them). */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO',
]);
const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name resolution failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
};

/** A Node error (socket, TLS, parser) as an EndpointError. */
export function fromNodeError(err: unknown, what: string, url: string): EndpointError {
  if (err instanceof EndpointError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const detail = clip(typeof e?.message === 'string' ? e.message : String(err), 120);
  let reason: EndpointFailureReason = 'ConnectionFailed';
  let text = detail;
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_OSSL_')) {
    reason = 'TLSFailed';
    text = `TLS failed (${code}): ${detail}`;
  } else if (code === 'ETIMEDOUT') {
    reason = 'Timeout';
    text = CONNECTION_CODES[code];
  } else if (code in CONNECTION_CODES) {
    text = `${CONNECTION_CODES[code]} (${code})`;
  } else if (code.startsWith('HPE_')) {
    text = `not an HTTP answer (${code})`;
  } else if (code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_INVALID_CHAR' || code === 'ERR_UNESCAPED_CHARACTERS') {
    reason = 'InvalidEndpoint';
  }
  return new EndpointError(reason, `${what}: ${text}`, { url, cause: err });
}

/** 2xx passes; 401/403 are Unauthorized; any other status is HTTPStatus with a bit of the body. */
export function checkStatus(a: HttpAnswer, what: string): void {
  if (a.status >= 200 && a.status < 300) return;
  if (a.status === 401 || a.status === 403) {
    throw new EndpointError('Unauthorized', `${what}: HTTP ${a.status}: the credentials were ${a.status === 401 ? 'missing or refused' : 'not allowed'}`, { url: a.shownUrl, status: a.status });
  }
  const redirect = a.status >= 300 && a.status < 400 && typeof a.headers.location === 'string' ? ` (redirects are not followed; Location: ${safeUrl(a.headers.location)})` : '';
  throw new EndpointError('HTTPStatus', `${what}: HTTP ${a.status}${redirect}${snippet(a)}`, { url: a.shownUrl, status: a.status });
}

/** The body as JSON, or NotJSON (an HTML page, a truncated text). */
export function parseJson(a: HttpAnswer, what: string): unknown {
  const text = a.body.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch {
    const type = typeof a.headers['content-type'] === 'string' ? `, Content-Type ${clip(a.headers['content-type'], 60)}` : '';
    throw new EndpointError('NotJSON', `${what}: the answer is not JSON (HTTP ${a.status}${type})${snippet(a)}`, { url: a.shownUrl, status: a.status });
  }
}

/** `: <first characters of the body>`, or '' for an empty or binary body. */
function snippet(a: HttpAnswer): string {
  const text = a.body.subarray(0, 200).toString('utf8').replace(/<[^>]*>/g, ' ');
  const flat = clip(text, 80);
  return flat && !/[\u0000-\u0008\uFFFD]/.test(flat) ? `: ${flat}` : '';
}

/** What every request of one call shares. */
export interface CallContext {
  readonly transport: HttpTransport;
  readonly tls: TlsSettings;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly signal: AbortSignal;
}

/** GET (or POST `json`) `url`, require a 2xx and return its JSON. */
export async function fetchJson(ctx: CallContext, method: 'GET' | 'POST', url: URL, json?: string): Promise<{ readonly doc: unknown; readonly answer: HttpAnswer; readonly what: string }> {
  const answer = await send(ctx, method, url, json);
  const what = `${method} ${answer.shownUrl}`;
  checkStatus(answer, what);
  return { doc: parseJson(answer, what), answer, what };
}

/** One request with the call's settings; any status. */
export function send(ctx: CallContext, method: 'GET' | 'POST', url: URL, json?: string): Promise<HttpAnswer> {
  return ctx.transport.request({
    method,
    url,
    tls: ctx.tls,
    signal: ctx.signal,
    ...(ctx.basicAuth ? { basicAuth: ctx.basicAuth } : {}),
    ...(json !== undefined ? { json } : {}),
  });
}

/** A plain JSON object (not an array, not null), or undefined. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
