/**
 * Local node:http(s) servers for the WAO client unit tests: a handler per test, the requests
 * each saw (method, URL, headers, body) and the TCP connections opened, so that tests can prove
 * keep-alive reuse and closed sockets.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { makePeerTls, type PeerTls } from '../../../peers/tls.js';
import { EndpointError } from '../../../../runtime/wao/clients/index.js';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface TestServer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly url: string;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  readonly connections: () => number;
  /** Connections open now. */
  readonly open: () => number;
  handler: Handler;
  close(): Promise<void>;
}

export async function serve(handler: Handler, tls?: PeerTls, host = '127.0.0.1'): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let accepted = 0;
  const sockets = new Set<Socket>();
  const state: { handler: Handler } = { handler };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      state.handler(req, res, body);
    });
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, onRequest) : createHttpServer(onRequest);
  server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    connections: () => accepted,
    open: () => sockets.size,
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers `body` as JSON with `status`. */
export function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A CA and a loopback serving certificate in a temp dir, removed by `dispose`. */
export async function testTls(name: string): Promise<PeerTls & { dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'wao-clients-tls-'));
  const tls = await makePeerTls(dir, name);
  return { ...tls, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Waits until `check()` holds (socket closes are asynchronous). */
export async function until(check: () => boolean, within = 2000): Promise<void> {
  const end = Date.now() + within;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${within} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The EndpointError `p` rejects with (fails the test when it resolves or throws anything else). */
export async function failure(p: Promise<unknown>): Promise<EndpointError> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    if (err instanceof EndpointError) return err;
    throw new Error(`rejected with something else than an EndpointError: ${String(err)}`);
  }
  throw new Error(`resolved with ${JSON.stringify(value)} instead of failing`);
}
