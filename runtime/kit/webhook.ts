import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { KubeObject } from './client.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { Runnable } from './manager.js';
import type { KitMetrics } from './metrics.js';

/** The `request` of an `admission.k8s.io/v1` AdmissionReview. */
export interface AdmissionRequest<T = KubeObject> {
  readonly uid: string;
  readonly kind: { group: string; version: string; kind: string };
  readonly resource: { group: string; version: string; resource: string };
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly userInfo: { username?: string; uid?: string; groups?: string[] };
  readonly object?: T;
  readonly oldObject?: T;
  readonly dryRun?: boolean;
}

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/** What a handler decides. */
export interface AdmissionResult {
  readonly allowed: boolean;
  /** Shown to the user when denied (`admission webhook "..." denied the request: <message>`). */
  readonly message?: string;
  /** HTTP-like status code of a denial. @default 403 */
  readonly code?: number;
  /** JSONPatch applied to the object (mutating webhooks only). */
  readonly patch?: readonly JsonPatchOperation[];
  /** Warnings returned to the client (kubectl prints them). */
  readonly warnings?: readonly string[];
}

export const admission = {
  allow: (warnings?: readonly string[]): AdmissionResult => ({ allowed: true, warnings }),
  deny: (message: string, code = 403): AdmissionResult => ({ allowed: false, message, code }),
  patch: (patch: readonly JsonPatchOperation[], warnings?: readonly string[]): AdmissionResult => ({ allowed: true, patch, warnings }),
};

/** Patch paths are JSON pointers: build them with the one helper (`pointer('metadata', 'labels', 'a/b')`). */
export { pointer, pointerSegment } from '../../lib/k8s/json-pointer.js';

export type AdmissionHandler<T = KubeObject> = (request: AdmissionRequest<T>, signal: AbortSignal) => AdmissionResult | Promise<AdmissionResult>;

export interface WebhookServerOptions {
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Bind address. @default all interfaces */
  readonly host?: string;
  /**
   * PEM certificate (chain) and key files, e.g. a mounted `kubernetes.io/tls` Secret. They may
   * not exist yet (or be empty) at start: the server then listens, fails TLS handshakes and
   * reports not ready until they appear.
   */
  readonly certFile: string;
  readonly keyFile: string;
  /** How often the files are checked for a change (a Secret volume updates them in place). @default 10000 */
  readonly reloadIntervalMs?: number;
  /** How often the files are looked for while they do not exist yet. @default 1000 (at most reloadIntervalMs) */
  readonly waitIntervalMs?: number;
  /** A handler slower than this answers 504 (the API server then applies the failurePolicy). @default 10000 */
  readonly timeoutMs?: number;
  /** Larger request bodies are refused with 413. @default 3 MiB (the API server's own request limit) */
  readonly maxBodyBytes?: number;
  readonly metrics?: KitMetrics;
  readonly logger?: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly result: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An admission webhook server (controller-runtime's `webhook.Server`): HTTPS with a certificate
 * and key read from files and reloaded when they change (new connections get the new
 * certificate), `admission.k8s.io/v1` AdmissionReview in and out, JSONPatch responses for
 * mutating webhooks, allowed/denied with a status message for validating ones, a per-request
 * timeout and body size limit, and `kit_webhook_*` metrics. Runs on every replica. Files that
 * do not exist yet at start (a generated Secret the kubelet has not projected its keys of) are
 * waited for: handshakes fail and {@link readiness} says so until they appear.
 */
export class WebhookServer {
  private readonly handlers = new Map<string, { handler: AdmissionHandler<any>; mutating: boolean }>();
  private server?: https.Server;
  private timer?: NodeJS.Timeout;
  private fileStamp = '';
  private certHash = '';
  /** A certificate is being served (false while the files do not exist yet). */
  private loaded = false;
  private readonly log: Logger;

  constructor(private readonly options: WebhookServerOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'webhook' });
  }

  /** A mutating webhook at `path`: its result may carry a JSONPatch. */
  mutating<T = KubeObject>(path: string, handler: AdmissionHandler<T>): this {
    return this.register(path, handler, true);
  }

  /** A validating webhook at `path`: allowed or denied, never a patch. */
  validating<T = KubeObject>(path: string, handler: AdmissionHandler<T>): this {
    return this.register(path, handler, false);
  }

  /** The port it listens on, once started. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** SHA-256 of the certificate being served (changes on reload); empty while there is none. */
  get certificateHash(): string {
    return this.certHash;
  }

  /** For a readiness check: why it cannot serve (not started, no certificate yet), or undefined. */
  readiness(): string | undefined {
    if (!this.server) return 'webhook server not started';
    return this.loaded ? undefined : 'webhook certificate not present yet';
  }

  /**
   * Listens on the port. Files that exist must hold a valid pair (an error otherwise); files
   * that do not exist yet, or are empty, are waited for (see {@link WebhookServerOptions.certFile}).
   */
  async start(): Promise<number> {
    const present = this.filesPresent();
    const pair = present ? this.readFiles() : undefined;
    this.server = https.createServer({ ...(pair ?? {}), minVersion: 'TLSv1.2' }, (req, res) => void this.handle(req, res));
    this.server.requestTimeout = (this.options.timeoutMs ?? 10_000) + 5000;
    this.server.headersTimeout = 10_000;
    this.server.keepAliveTimeout = 30_000;
    if (pair) this.useCertificate(pair.cert);
    this.loaded = pair !== undefined;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    this.schedule();
    const port = (this.server.address() as AddressInfo).port;
    this.log.info({ port, paths: [...this.handlers.keys()] }, 'webhook server listening');
    if (!pair) this.log.info({ certFile: this.options.certFile, keyFile: this.options.keyFile }, 'webhook certificate not present yet; serving once it appears');
    return port;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** For the manager: serves on every replica (admission must not wait for a leader). */
  runnable(name = 'webhook-server'): Runnable {
    return { name, needLeaderElection: false, start: async () => void (await this.start()), stop: () => this.stop() };
  }

  /**
   * Checks the files now; when they changed and hold a valid pair, new connections get it.
   * Returns true when a new certificate was loaded (the first one included). An invalid pair
   * (e.g. half-written) is logged and counted, and the current one is kept.
   */
  reload(): boolean {
    if (!this.server) return false;
    if (!this.loaded && !this.filesPresent()) return false;
    let stamp: string;
    try {
      stamp = this.stamp();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot stat certificate files; keeping the current certificate');
      return false;
    }
    if (stamp === this.fileStamp) return false;
    try {
      const { cert, key } = this.readFiles();
      tls.createSecureContext({ cert, key }); // throws on a key that does not match, or bad PEM
      const hash = createHash('sha256').update(cert).digest('hex');
      if (hash === this.certHash) return false;
      this.server.setSecureContext({ cert, key, minVersion: 'TLSv1.2' });
      this.useCertificate(cert);
      this.options.metrics?.webhookCertReloads.inc({ result: 'ok' });
      this.log.info({ certificate: hash.slice(0, 16) }, this.loaded ? 'serving certificate reloaded' : 'serving certificate loaded');
      this.loaded = true;
      return true;
    } catch (err) {
      this.options.metrics?.webhookCertReloads.inc({ result: 'invalid' });
      this.log.warn({ err: String(err) }, 'certificate files changed but are not a valid pair; keeping the current certificate');
      return false;
    }
  }

  /** The next check of the files: soon while they are awaited, every reloadIntervalMs after. */
  private schedule(): void {
    const every = this.options.reloadIntervalMs ?? 10_000;
    const ms = this.loaded ? every : Math.min(every, this.options.waitIntervalMs ?? 1000);
    this.timer = setTimeout(() => {
      if (!this.server) return;
      this.reload();
      this.schedule();
    }, ms);
    this.timer.unref();
  }

  /** Both files exist and are not empty (a `kubernetes.io/tls` placeholder is empty). */
  private filesPresent(): boolean {
    return [this.options.certFile, this.options.keyFile].every((f) => {
      try {
        return statSync(f).size > 0;
      } catch {
        return false;
      }
    });
  }

  private register(path: string, handler: AdmissionHandler<any>, mutating: boolean): this {
    if (!path.startsWith('/')) throw new Error(`webhook path "${path}" must start with /`);
    if (this.handlers.has(path)) throw new Error(`webhook path "${path}" is already registered`);
    this.handlers.set(path, { handler, mutating });
    return this;
  }

  private stamp(): string {
    return [this.options.certFile, this.options.keyFile]
      .map((f) => {
        const st = statSync(f);
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
  }

  private readFiles(): { cert: string; key: string } {
    this.fileStamp = this.stamp();
    return { cert: readFileSync(this.options.certFile, 'utf8'), key: readFileSync(this.options.keyFile, 'utf8') };
  }

  private useCertificate(cert: string): void {
    this.certHash = createHash('sha256').update(cert).digest('hex');
    try {
      this.options.metrics?.webhookCertExpiry.set(Date.parse(new X509Certificate(cert).validTo) / 1000);
    } catch {
      // not parseable here: the TLS context accepted it, the gauge stays as it was
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const entry = this.handlers.get(path);
    const end = this.options.metrics?.webhookSeconds.startTimer({ webhook: path });
    const count = (result: string) => this.options.metrics?.webhookRequests.inc({ webhook: entry ? path : 'unknown', result });
    try {
      if (!entry) throw new HttpError(404, 'not_found', `no webhook at ${path}`);
      if (req.method !== 'POST') throw new HttpError(405, 'bad_request', 'only POST');
      const review = await this.readReview(req);
      const request = review.request as AdmissionRequest;
      const result = await this.decide(entry.handler, request);
      if (!entry.mutating && result.patch?.length) throw new Error('a validating webhook returned a patch');
      const response: Record<string, unknown> = { uid: request.uid, allowed: result.allowed };
      if (!result.allowed) response.status = { code: result.code ?? 403, message: result.message ?? 'denied', reason: 'Forbidden' };
      else if (result.message) response.status = { code: 200, message: result.message };
      if (result.allowed && result.patch?.length) {
        response.patchType = 'JSONPatch';
        response.patch = Buffer.from(JSON.stringify(result.patch)).toString('base64');
      }
      if (result.warnings?.length) response.warnings = result.warnings;
      count(!result.allowed ? 'denied' : result.patch?.length ? 'patched' : 'allowed');
      const body = JSON.stringify({ apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'error', err instanceof Error ? err.message : String(err));
      count(e.result);
      if (e.status >= 500) this.log.error({ webhook: path, err: e.message }, 'admission request failed');
      else this.log.warn({ webhook: path, status: e.status, err: e.message }, 'admission request refused');
      if (!res.headersSent) {
        res.writeHead(e.status, { 'Content-Type': 'text/plain', Connection: e.status === 413 ? 'close' : 'keep-alive' });
        res.end(`${e.message}\n`);
      }
    } finally {
      end?.();
    }
  }

  private readReview(req: IncomingMessage): Promise<{ apiVersion?: string; request?: AdmissionRequest }> {
    const limit = this.options.maxBodyBytes ?? 3 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) return reject(new HttpError(413, 'too_large', `request body of ${declared} bytes is over the limit of ${limit}`));
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          req.removeAllListeners('data');
          req.resume();
          reject(new HttpError(413, 'too_large', `request body is over the limit of ${limit} bytes`));
        } else chunks.push(c);
      });
      req.on('error', reject);
      req.on('end', () => {
        if (size > limit) return;
        let review: any;
        try {
          review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reject(new HttpError(400, 'bad_request', 'body is not JSON'));
        }
        if (review?.kind !== 'AdmissionReview' || typeof review?.request?.uid !== 'string') {
          return reject(new HttpError(400, 'bad_request', 'body is not an AdmissionReview with a request'));
        }
        resolve(review);
      });
    });
  }

  private async decide(handler: AdmissionHandler<any>, request: AdmissionRequest): Promise<AdmissionResult> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new HttpError(504, 'timeout', `webhook handler did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => handler(request, abort.signal)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
