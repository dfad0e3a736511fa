/**
 * `POST /predict` for schedulers: `{"node": "worker-0", "cpuUsage": 42.5}` →
 * `{"node", "nodeConfig", "watts", "inputs": {cpuUsage, inletTemp, deltaP}, "cached"}`.
 * Errors are JSON `{"reason", "message"}` with 400 (bad body, naming the field), 404 (no
 * NodeConfig or predictor for the node), 405, 413, 415, 502 (the predictor failed), 503 (no
 * reading yet, or the caches are not synced), 504 (the predictor timed out).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDns1123Subdomain } from '../../lib/k8s/names.js';
import type { Logger, Runnable } from '../kit/index.js';
import { PredictionError, type PredictRequest, type Prediction } from './predictor.js';

/** Largest request body. */
export const MAX_PREDICT_BODY = 16 * 1024;

export interface PredictServerOptions {
  readonly port: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  readonly predict: (req: PredictRequest) => Promise<Prediction>;
  /** Why predictions cannot be answered yet (caches not synced). */
  readonly notReadyReason?: () => string | undefined;
  readonly logger?: Logger;
}

export class PredictServer {
  private server?: Server;

  constructor(private readonly options: PredictServerOptions) {}

  /** The bound port (after start; the given one unless it was 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  runnable(): Runnable {
    return { name: 'wao-predict', needLeaderElection: false, start: () => this.start(), stop: () => this.stop() };
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.options.logger?.info({ port: this.port }, 'prediction endpoint listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/predict') return send(res, 404, { reason: 'NotFound', message: `no such path ${path}: POST /predict` });
    if (req.method !== 'POST') return send(res, 405, { reason: 'MethodNotAllowed', message: 'use POST' }, { allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return send(res, 415, { reason: 'UnsupportedMediaType', message: `Content-Type must be application/json, not ${JSON.stringify(type)}` });
    let text: string;
    try {
      text = await readBody(req, MAX_PREDICT_BODY);
    } catch (err) {
      return send(res, 413, { reason: 'BodyTooLarge', message: (err as Error).message }, { connection: 'close' });
    }
    const parsed = parseRequest(text);
    if ('error' in parsed) return send(res, 400, { reason: 'BadRequest', message: parsed.error });
    const notReady = this.options.notReadyReason?.();
    if (notReady) return send(res, 503, { reason: 'NotReady', message: notReady });
    try {
      send(res, 200, await this.options.predict(parsed));
    } catch (err) {
      if (err instanceof PredictionError) return send(res, err.status, { reason: err.reason, message: err.message });
      this.options.logger?.error({ err: String(err) }, 'prediction failed');
      send(res, 500, { reason: 'InternalError', message: 'the prediction failed; see the controller log' });
    }
  }
}

/** The request body checked: a JSON object with `node` (a node name) and `cpuUsage` (a number >= 0). */
export function parseRequest(text: string): PredictRequest | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { error: `body is not JSON: ${(err as Error).message}` };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: 'body must be a JSON object {"node": ..., "cpuUsage": ...}' };
  const { node, cpuUsage } = body as Record<string, unknown>;
  if (typeof node !== 'string' || !isDns1123Subdomain(node)) return { error: `node: must be a node name, got ${JSON.stringify(node)?.slice(0, 80)}` };
  if (typeof cpuUsage !== 'number' || !Number.isFinite(cpuUsage) || cpuUsage < 0) return { error: `cpuUsage: must be a number >= 0, got ${JSON.stringify(cpuUsage)?.slice(0, 80)}` };
  return { node, cpuUsage };
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new Error(`body over ${max} bytes`));
        // Drain the rest so that the 413 can be sent; the connection closes after it.
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
