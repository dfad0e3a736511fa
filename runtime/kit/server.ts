import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named readiness or liveness check; returns an error text when failing. */
export type Check = () => string | undefined | Promise<string | undefined>;

export interface HealthServerOptions {
  readonly registry: Registry;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Bind address. @default all interfaces */
  readonly host?: string;
}

/**
 * One HTTP port for `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text).
 * Failing checks answer 503 with one line per failing check, like the API server's own /readyz.
 */
export class HealthServer {
  private readonly readiness = new Map<string, Check>();
  private readonly liveness = new Map<string, Check>();
  private server?: http.Server;

  constructor(private readonly options: HealthServerOptions) {}

  addReadinessCheck(name: string, check: Check): void {
    this.readiness.set(name, check);
  }

  addLivenessCheck(name: string, check: Check): void {
    this.liveness.set(name, check);
  }

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      const body = await this.options.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.options.registry.contentType });
      res.end(body);
      return;
    }
    const checks = path === '/healthz' || path === '/livez' ? this.liveness : path === '/readyz' ? this.readiness : undefined;
    if (!checks) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const lines: string[] = [];
    let ok = true;
    for (const [name, check] of checks) {
      let failure: string | undefined;
      try {
        failure = await check();
      } catch (err) {
        failure = String(err);
      }
      if (failure) ok = false;
      lines.push(failure ? `[-]${name} failed: ${failure}` : `[+]${name} ok`);
    }
    lines.push(ok ? `${path.slice(1)} check passed` : `${path.slice(1)} check failed`);
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
    res.end(lines.join('\n') + '\n');
  }
}
