/** One HTTP(S) request with node:http(s) (a CA of our own is passed as `ca`), and a readiness poll. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { sleep, type ManagedProcess } from '../cluster/process.js';

export interface PeerResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface PeerRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** CA certificates (PEM) to trust for https; the system's are not used when given. */
  readonly ca?: string;
  /** Basic auth. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export function peerRequest(url: string, opts: PeerRequestOptions = {}): Promise<PeerResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      u,
      { method: opts.method ?? 'GET', headers, ...(opts.ca ? { ca: opts.ca } : {}), timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: no answer in ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls `url` until `ready(status)`; fails early with the log tail when `proc` dies. */
export async function waitForPeer(
  url: string,
  opts: PeerRequestOptions & { readonly proc?: ManagedProcess; readonly ready?: (status: number) => boolean; readonly within?: number },
): Promise<void> {
  const deadline = Date.now() + (opts.within ?? 60_000);
  const ready = opts.ready ?? ((s: number) => s === 200);
  let last = 'no answer yet';
  for (;;) {
    opts.proc?.assertRunning();
    try {
      const r = await peerRequest(url, { ...opts, timeoutMs: 2000 });
      if (ready(r.status)) return;
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} not ready after ${opts.within ?? 60_000} ms (${last})${opts.proc ? `\n${opts.proc.logTail()}` : ''}`);
    }
    await sleep(100);
  }
}
