/**
 * The differential-pressure API of the WAO tests. It has no public implementation, so this
 * server speaks the documented format itself:
 *
 *     GET {endpoint}/api/sensor/by_nodename/{node}
 *     → 200 {"code":200,"sensor":[{"pressure":0.01,"sensorid":"101037B","temperature":26.02}]}
 *
 * with a per-node table (changeable while it runs), optional basic auth, optional TLS (a CA
 * of its own, as the other peers), an optional path prefix (the endpoint `https://h/dp`
 * serves `/dp/api/sensor/...`), a log of the requests, and faults per node (or for all with
 * '*') for the error-handling tests:
 * - timeout: the request is held without an answer (until `delayMs`, else until stop());
 * - status500: 500 with a JSON error body;
 * - html: 200 with an HTML page (Content-Type text/html), as a proxy's login page;
 * - malformed-json: 200, Content-Type application/json, a truncated JSON body;
 * - empty-sensors: 200 {"code":200,"sensor":[]};
 * - code-error: 200 with {"code":500,"sensor":[]} (the body's own code says failure).
 * A node not in the table: 404 {"code":404,"sensor":[]} (our choice: the format's owner
 * documents none). Other paths: 404; other methods: 405.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { removeOnExit } from '../cluster/process.js';
import { makePeerTls } from './tls.js';

export interface DpSensor {
  readonly pressure: number;
  readonly sensorid?: string;
  readonly temperature?: number;
}

export type DpFault = 'timeout' | 'status500' | 'html' | 'malformed-json' | 'empty-sensors' | 'code-error';

export interface DpServerOptions {
  /** node name → its sensor(s); a number is the pressure of one sensor. */
  readonly table?: Record<string, number | DpSensor | readonly DpSensor[]>;
  readonly auth?: { readonly username: string; readonly password: string };
  /** @default false */
  readonly tls?: boolean;
  /** e.g. '/dp': the endpoint is `${origin}/dp`. @default '' */
  readonly pathPrefix?: string;
}

export interface DpRequest {
  readonly method: string;
  readonly path: string;
  readonly node?: string;
  readonly authorized: boolean;
  readonly at: number;
}

export interface DpServer {
  /** The endpoint to configure: origin plus path prefix, no trailing slash. */
  readonly url: string;
  readonly caPem: string;
  readonly username?: string;
  readonly password?: string;
  readonly requests: readonly DpRequest[];
  set(node: string, sensors: number | DpSensor | readonly DpSensor[]): void;
  remove(node: string): void;
  /** Sets (or with undefined clears) the fault of `node`, '*' for every node. */
  fault(node: string, fault: DpFault | undefined, opts?: { readonly delayMs?: number }): void;
  stop(): Promise<void>;
}

const PATH = /^\/api\/sensor\/by_nodename\/([^/?#]+)\/?$/;

function sensorsOf(v: number | DpSensor | readonly DpSensor[]): DpSensor[] {
  if (typeof v === 'number') return [{ pressure: v, sensorid: '101037B', temperature: 26.02 }];
  return Array.isArray(v) ? [...(v as readonly DpSensor[])] : [v as DpSensor];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startDifferentialPressure(opts: DpServerOptions = {}): Promise<DpServer> {
  const table = new Map<string, DpSensor[]>(Object.entries(opts.table ?? {}).map(([n, v]) => [n, sensorsOf(v)]));
  const faults = new Map<string, { fault: DpFault; delayMs?: number }>();
  const requests: DpRequest[] = [];
  const prefix = (opts.pathPrefix ?? '').replace(/\/+$/, '');
  const held = new Set<ServerResponse>();

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const rel = prefix && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : prefix ? '' : path;
    const m = PATH.exec(rel);
    const node = m ? decodeURIComponent(m[1]) : undefined;
    let authorized = true;
    if (opts.auth) {
      const h = req.headers.authorization ?? '';
      const want = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
      authorized = same(h, want);
    }
    requests.push({ method: req.method ?? 'GET', path, ...(node !== undefined ? { node } : {}), authorized, at: Date.now() });
    if (!authorized) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="differential-pressure"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 401, message: 'unauthorized' }));
      return;
    }
    if (!m || node === undefined) return json(res, 404, { code: 404, message: `no such path: ${path}` });
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' });
      res.end();
      return;
    }
    const f = faults.get(node) ?? faults.get('*');
    switch (f?.fault) {
      case 'timeout':
        held.add(res);
        res.on('close', () => held.delete(res));
        if (f.delayMs !== undefined) {
          setTimeout(() => {
            held.delete(res);
            if (!res.writableEnded) respond(res, node);
          }, f.delayMs).unref();
        }
        return;
      case 'status500':
        return json(res, 500, { code: 500, message: 'internal server error' });
      case 'html': {
        const html = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in</h1></body></html>';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
        res.end(html);
        return;
      }
      case 'malformed-json': {
        const text = '{"code":200,"sensor":[{"pressure":0.0';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case 'empty-sensors':
        return json(res, 200, { code: 200, sensor: [] });
      case 'code-error':
        return json(res, 200, { code: 500, sensor: [] });
      default:
        return respond(res, node);
    }
  };

  const respond = (res: ServerResponse, node: string) => {
    const sensors = table.get(node);
    if (!sensors) return json(res, 404, { code: 404, sensor: [] });
    return json(res, 200, { code: 200, sensor: sensors });
  };

  let dir: string | undefined;
  let server: Server;
  let caPem = '';
  if (opts.tls) {
    dir = mkdtempSync(join(tmpdir(), 'wao-dp-'));
    removeOnExit(dir);
    const tls = await makePeerTls(dir, 'differential-pressure');
    caPem = tls.caPem;
    server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handle);
  } else {
    server = createHttpServer(handle);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}${prefix}`,
    caPem,
    ...(opts.auth ? { username: opts.auth.username, password: opts.auth.password } : {}),
    requests,
    set: (node, v) => void table.set(node, sensorsOf(v)),
    remove: (node) => void table.delete(node),
    fault: (node, fault, o) => {
      if (fault) faults.set(node, { fault, ...(o?.delayMs !== undefined ? { delayMs: o.delayMs } : {}) });
      else faults.delete(node);
    },
    async stop() {
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) {
        rmSync(dir, { recursive: true, force: true });
        removeOnExit(dir, false);
      }
    },
  };
}
