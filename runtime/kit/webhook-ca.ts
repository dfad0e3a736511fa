/**
 * CA injection into a controller's own webhook configurations (what cert-manager's cainjector
 * does, for a certificate the secret generator issued): the `caBundle` of every webhook of the
 * named Mutating/ValidatingWebhookConfigurations is kept equal to `ca.crt` of the mounted
 * certificate Secret.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { webhookConfigurationResource, type WebhookConfigurationRef } from '../../lib/api/webhook.js';
import { Backoff } from './backoff.js';
import type { KubeObject, PatchType, ResourceRef } from './client.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { silentLogger, type Logger } from './log.js';
import type { Runnable } from './manager.js';
import type { JsonPatchOperation } from './webhook.js';

/** What the injector needs of a client (a `KubeClient` is one). */
export interface CaInjectorClient {
  get<T = KubeObject>(ref: ResourceRef, name: string): Promise<T | undefined>;
  patch<T = KubeObject>(ref: ResourceRef, name: string, patch: unknown, type?: PatchType): Promise<T>;
}

export interface CaInjectorOptions {
  /** Reads and patches the configurations; its field manager is the controller's. */
  readonly client: CaInjectorClient;
  /** The CA (PEM), e.g. `ca.crt` of the mounted certificate Secret; may not exist yet. */
  readonly caFile: string;
  readonly configurations: readonly WebhookConfigurationRef[];
  /** Every configuration is read again this often, even when nothing changed here (a GitOps tool or a re-apply may reset the caBundle). @default 60000 */
  readonly resyncIntervalMs?: number;
  /** How often `caFile` is checked for a change (a Secret volume updates it in place). @default 5000 */
  readonly fileCheckIntervalMs?: number;
  /** First retry after a failure (a missing configuration, an API error), doubling up to resyncIntervalMs. @default 1000 */
  readonly retryInitialMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** What one pass did. */
export interface CaSyncResult {
  /** `ca.crt` was present and a PEM certificate (otherwise nothing was read or written). */
  readonly ca: boolean;
  /** `<type>/<name>` of each configuration patched, with the webhooks whose caBundle changed. */
  readonly patched: ReadonlyArray<{ readonly configuration: string; readonly webhooks: readonly string[] }>;
  /** `<type>/<name>` of the configurations that do not exist (retried). */
  readonly missing: readonly string[];
  /** `<type>/<name>` of the configurations that could not be read or patched (retried). */
  readonly failed: readonly string[];
}

interface WebhookConfiguration extends KubeObject {
  webhooks?: Array<{ name?: string; clientConfig?: { caBundle?: string } }>;
}

/**
 * Keeps the `caBundle` of every webhook of `configurations` equal to the CA in `caFile`: a JSON
 * patch per configuration that differs (`test` of each webhook's name at its index, then `add`
 * of its caBundle, so a list reordered meanwhile fails the patch instead of being misapplied;
 * it is retried). Checks when the file changes, every `resyncIntervalMs`, and sooner after a
 * failure (backoff); a missing file or configuration is logged and waited for, never fatal.
 *
 * It runs on every replica, not only a leader: writes are idempotent (only what differs from
 * `ca.crt` is patched) and every replica mounts the same Secret, so they agree; the CA is
 * needed as soon as any replica serves, whether or not a leader is elected (and a process
 * hosting several controllers has no one lease it belongs to). The one window where replicas
 * disagree is a new CA the kubelets have not projected everywhere yet (under a minute), after
 * which every replica writes the same bundle.
 */
export class CaInjector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private timer?: ClockTimer;
  private running = false;
  private inFlight?: Promise<unknown>;
  /** Hash of the CA of the last pass (null: no pass yet; undefined: there was no CA). */
  private attempted: string | undefined | null = null;
  private nextSyncAt = 0;

  constructor(private readonly options: CaInjectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger()).child({ component: 'webhook-ca-injector' });
    this.backoff = new Backoff(options.retryInitialMs ?? 1000, this.resyncMs, 0.1);
  }

  private get resyncMs(): number {
    return this.options.resyncIntervalMs ?? 60_000;
  }

  /** For the manager: runs on every replica (see the class comment). */
  runnable(name = 'webhook-ca-injector'): Runnable {
    return { name, needLeaderElection: false, start: () => this.start(), stop: () => this.stop() };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempted = null;
    this.log.info({ configurations: this.options.configurations.map(show), caFile: this.options.caFile }, 'injecting the webhook CA');
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** One pass now: reads the CA and patches every configuration whose webhooks differ. */
  async sync(): Promise<CaSyncResult> {
    const pem = this.readCa();
    const result = { ca: pem !== undefined, patched: [] as Array<{ configuration: string; webhooks: string[] }>, missing: [] as string[], failed: [] as string[] };
    if (pem === undefined) return result;
    const want = Buffer.from(pem).toString('base64');
    for (const ref of this.options.configurations) {
      const what = show(ref);
      const resource: ResourceRef = { apiVersion: 'admissionregistration.k8s.io/v1', resource: webhookConfigurationResource(ref.type) };
      try {
        const config = await this.options.client.get<WebhookConfiguration>(resource, ref.name);
        if (!config) {
          result.missing.push(what);
          this.log.warn({ configuration: what }, 'webhook configuration not found; retrying');
          continue;
        }
        const ops: JsonPatchOperation[] = [];
        const changed: string[] = [];
        (config.webhooks ?? []).forEach((w, i) => {
          if (w.clientConfig?.caBundle === want) return;
          ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name }, { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: want });
          changed.push(w.name ?? String(i));
        });
        if (!ops.length) continue;
        await this.options.client.patch(resource, ref.name, ops, 'json');
        result.patched.push({ configuration: what, webhooks: changed });
        this.log.info({ configuration: what, webhooks: changed }, 'webhook CA injected');
      } catch (err) {
        result.failed.push(what);
        this.log.warn({ configuration: what, err: err instanceof Error ? err.message : String(err) }, 'cannot inject the webhook CA; retrying');
      }
    }
    return result;
  }

  /** Syncs when the CA changed or a pass is due, then schedules the next look. */
  private tick(): void {
    if (!this.running) return;
    const hash = this.caHash();
    const due = hash !== this.attempted || this.clock.now() >= this.nextSyncAt;
    const pass = due ? this.pass(hash) : Promise.resolve();
    this.inFlight = pass;
    void pass.then(() => {
      if (!this.running) return;
      const wait = Math.max(0, Math.min(this.options.fileCheckIntervalMs ?? 5000, this.nextSyncAt - this.clock.now()));
      this.timer = this.clock.setTimeout(() => this.tick(), wait);
      this.timer.unref?.();
    });
  }

  private async pass(hash: string | undefined): Promise<void> {
    this.attempted = hash;
    let ok = true;
    try {
      const r = await this.sync();
      ok = r.missing.length === 0 && r.failed.length === 0;
      if (!r.ca) this.log.debug({ caFile: this.options.caFile }, 'webhook CA not present yet');
    } catch (err) {
      ok = false;
      this.log.warn({ err: String(err) }, 'webhook CA injection failed; retrying');
    }
    if (ok) this.backoff.reset();
    this.nextSyncAt = this.clock.now() + (ok ? this.resyncMs : this.backoff.next());
  }

  /** The CA's PEM, or undefined when the file does not exist yet, is empty or holds no certificate. */
  private readCa(): string | undefined {
    let text: string;
    try {
      text = readFileSync(this.options.caFile, 'utf8');
    } catch {
      return undefined;
    }
    return text.includes('-----BEGIN CERTIFICATE-----') ? text : undefined;
  }

  private caHash(): string | undefined {
    const pem = this.readCa();
    return pem === undefined ? undefined : createHash('sha256').update(pem).digest('hex');
  }
}

function show(ref: WebhookConfigurationRef): string {
  return `${ref.type}/${ref.name}`;
}
