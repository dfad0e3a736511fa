/**
 * The optimizer API of the servo tests. Opsani's service is not public, so this server speaks
 * the format the original daemon sends (opsani/servo-k8s-multijob `send()`):
 *
 *     POST {OPTUNE_URL with {acct} and {app_id}}   Authorization: Bearer <token> (when set)
 *     {"event":"HELLO"|"GOODBYE"|"MEASUREMENT","param":{...}}
 *
 * It records every request (path, headers, parsed body, the answer it gave) and answers by a
 * per-app-id script of responses, consumed one request at a time (the last one repeats):
 * `{ status: 200 }`, `{ status: 503, retryAfter: '1' }`, `{ hang: true }` (the request is held
 * until the client gives up or stop()), `{ delayMs }` before answering. `accepted()` are the
 * requests it answered with 2xx: what the optimizer would have stored.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OptimizerAnswer {
  readonly status?: number;
  readonly retryAfter?: string;
  readonly hang?: boolean;
  readonly delayMs?: number;
  readonly body?: string;
}

export interface OptimizerRequest {
  readonly path: string;
  readonly account: string;
  readonly appId: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
  readonly rawBody: string;
  /** The status answered (undefined while held, or when the client went away first). */
  status?: number;
  readonly atMs: number;
}

export class OptimizerPeer {
  readonly requests: OptimizerRequest[] = [];
  private readonly scripts = new Map<string, OptimizerAnswer[]>();
  private readonly held = new Set<ServerResponse>();
  private server?: Server;
  /** Expected token: requests without `Bearer <token>` get 401. Undefined: not checked. */
  token?: string;

  /** Starts on 127.0.0.1 (or `host`), port 0. */
  async start(host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** The `OPTUNE_URL` pattern for this server. */
  urlPattern(base: string): string {
    return `${base}/metrics/{acct}/{app_id}/servo`;
  }

  /** Answers for `appId` (or '*' for any), in order; the last repeats. */
  script(appId: string, answers: OptimizerAnswer[]): void {
    this.scripts.set(appId, [...answers]);
  }

  /** Requests for `appId` of `event`. */
  of(appId: string, event = 'MEASUREMENT'): OptimizerRequest[] {
    return this.requests.filter((r) => r.appId === appId && r.body?.event === event);
  }

  /** Requests answered 2xx (what the optimizer stored). */
  accepted(appId?: string, event = 'MEASUREMENT'): OptimizerRequest[] {
    return this.requests.filter((r) => (appId === undefined || r.appId === appId) && r.body?.event === event && r.status !== undefined && r.status < 300);
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private next(appId: string): OptimizerAnswer {
    const list = this.scripts.get(appId) ?? this.scripts.get('*');
    if (!list?.length) return { status: 200 };
    return list.length > 1 ? list.shift()! : list[0];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const m = /^\/metrics\/([^/]*)\/([^/]*)\/servo$/.exec(req.url ?? '');
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const record: OptimizerRequest = {
      path: req.url ?? '',
      account: m ? decodeURIComponent(m[1]) : '',
      appId: m ? decodeURIComponent(m[2]) : '',
      headers: req.headers,
      body,
      rawBody,
      atMs: Date.now(),
    };
    this.requests.push(record);
    const answer = (status: number, text = '{}', headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    if (req.method !== 'POST') return answer(405, '{"error":"POST only"}');
    if (!m) return answer(404, '{"error":"no such path"}');
    if (body === undefined || req.headers['content-type'] !== 'application/json') return answer(400, '{"error":"body must be JSON"}');
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) return answer(401, '{"error":"bad token"}');
    const a = this.next(record.appId);
    if (a.hang) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
    answer(a.status ?? 200, a.body ?? '{}', a.retryAfter !== undefined ? { 'retry-after': a.retryAfter } : {});
  }
}
