import type { KubeConfig } from '@kubernetes/client-node';
import { sleep } from './backoff.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { rawRequest, resourcePath, statusCodeOf } from './client.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { KitMetrics } from './metrics.js';

/** The fields of a `coordination.k8s.io/v1` Lease that leader election uses. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Reads and writes one Lease; `replace` must fail with 409 when the resourceVersion is stale. */
export interface LeaseClient {
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  replace(lease: Lease): Promise<Lease>;
}

export function apiLeaseClient(kc: KubeConfig, namespace: string, name: string, metrics?: KitMetrics): LeaseClient {
  const ref = { apiVersion: 'coordination.k8s.io/v1', resource: 'leases', namespace };
  const count = (verb: string) => metrics?.apiRequests.inc({ verb, resource: 'leases' });
  const timeoutMs = 5000;
  return {
    async get() {
      count('get');
      try {
        return await rawRequest<Lease>(kc, resourcePath(ref, name), { timeoutMs });
      } catch (err) {
        if (statusCodeOf(err) === 404) return undefined;
        throw err;
      }
    },
    create(lease) {
      count('create');
      return rawRequest<Lease>(kc, resourcePath(ref), { method: 'POST', body: lease, timeoutMs });
    },
    replace(lease) {
      count('update');
      return rawRequest<Lease>(kc, resourcePath(ref, name), { method: 'PUT', body: lease, timeoutMs });
    },
  };
}

/** RFC 3339 with microseconds, the wire format of `MicroTime`. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaderElectorOptions {
  readonly client: LeaseClient;
  /** Lease name, used in logs and metrics. */
  readonly name: string;
  readonly namespace: string;
  /** This replica's identity, usually the pod name. */
  readonly identity: string;
  /** How long a lease is valid after its last renewal, as seen by the others. @default 15000 */
  readonly leaseDurationMs?: number;
  /** The leader gives up (and stops writing) when it could not renew for this long. @default 10000 */
  readonly renewDeadlineMs?: number;
  /** Time between acquire and renew attempts. @default 2000 */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  readonly logger?: Logger;
  readonly metrics?: KitMetrics;
  /** Time and timers (tests inject a fake one). @default the system clock */
  readonly clock?: Clock;
}

/**
 * Leader election on a Lease, the algorithm of client-go's `leaderelection`:
 * - a lease held by someone else is taken over only after it was observed unchanged for a
 *   whole lease duration (local clock, no clock-sync assumption) or was released;
 * - writes use the resourceVersion (optimistic concurrency), so two candidates never both win;
 * - the leader renews every retry period; `isLeader()` turns false as soon as the last successful
 *   renewal is older than the renew deadline, even while a renew request hangs, so writes stop
 *   before anyone else can acquire (renew deadline < lease duration);
 * - on shutdown the lease is released so that another replica takes over at once.
 */
export class LeaderElector {
  private leading = false;
  /** When the request of the last successful acquire/renew was sent. */
  private lastRenewSentAt = 0;
  private observed?: { rv?: string; holder?: string; at: number };
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private current?: Lease;

  constructor(private readonly options: LeaderElectorOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error('renew deadline must be shorter than lease duration');
    if (this.retryPeriodMs >= this.renewDeadlineMs) throw new Error('retry period must be shorter than renew deadline');
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger()).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  /** True only while the lease is held and was renewed within the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.clock.now() - this.lastRenewSentAt < this.renewDeadlineMs;
  }

  /** Campaigns, leads, and campaigns again after a loss, until the signal aborts; then releases. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Acquire.
      while (!signal.aborted && !this.leading) {
        if (await this.tryAcquireOrRenew()) this.setLeading(true);
        else await sleep(this.jitter(this.retryPeriodMs), signal, this.clock);
      }
      // Renew.
      while (!signal.aborted && this.leading) {
        await sleep(this.retryPeriodMs, signal, this.clock);
        if (signal.aborted) break;
        const ok = await this.withDeadline(this.tryAcquireOrRenew());
        if (!ok && (this.clock.now() - this.lastRenewSentAt >= this.renewDeadlineMs || this.heldByOther())) {
          this.log.warn('lost the lease');
          this.setLeading(false);
        }
      }
    }
    if (this.leading) await this.release();
  }

  /** Gives the lease up (shutdown). */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    this.setLeading(false);
    if (!wasLeading || !this.current) return;
    const t = microTime(new Date(this.clock.now()));
    try {
      await this.options.client.replace({
        ...this.current,
        spec: { ...this.current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: t, acquireTime: t },
      });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err: String(err) }, 'could not release the lease');
    }
  }

  private heldByOther(): boolean {
    const h = this.observed?.holder;
    return !!h && h !== this.options.identity;
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    const lease = this.options.name;
    this.options.metrics?.leader.set({ lease }, v ? 1 : 0);
    this.options.metrics?.leaderTransitions.inc({ lease, event: v ? 'acquired' : 'lost' });
    if (v) {
      this.log.info('acquired the lease');
      this.options.onStartedLeading?.();
    } else {
      this.options.onStoppedLeading?.();
    }
  }

  private async withDeadline(p: Promise<boolean>): Promise<boolean> {
    const left = Math.max(0, this.renewDeadlineMs - (this.clock.now() - this.lastRenewSentAt));
    let timer: ClockTimer | undefined;
    const timeout = new Promise<boolean>((r) => (timer = this.clock.setTimeout(() => r(false), left)));
    try {
      return await Promise.race([p, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private jitter(ms: number): number {
    return Math.round(ms * (1 + 0.2 * Math.random()));
  }

  /** One attempt; true when this replica holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const sentAt = this.clock.now();
    const me = this.options.identity;
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    const t = microTime(new Date(sentAt));
    try {
      const existing = await this.options.client.get();
      if (!existing) {
        const created = await this.options.client.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: { holderIdentity: me, leaseDurationSeconds: durationSeconds, acquireTime: t, renewTime: t, leaseTransitions: 0 },
        });
        return this.won(created, sentAt);
      }
      const spec = existing.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const rv = existing.metadata.resourceVersion;
      if (!this.observed || this.observed.rv !== rv) this.observed = { rv, holder, at: this.clock.now() };
      if (holder && holder !== me) {
        const observedFor = this.clock.now() - this.observed.at;
        const validMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
        if (observedFor < validMs) return false;
      }
      const transitions = (spec.leaseTransitions ?? 0) + (holder === me ? 0 : 1);
      const updated = await this.options.client.replace({
        ...existing,
        spec: {
          ...spec,
          holderIdentity: me,
          leaseDurationSeconds: durationSeconds,
          renewTime: t,
          acquireTime: holder === me ? spec.acquireTime ?? t : t,
          leaseTransitions: transitions,
        },
      });
      return this.won(updated, sentAt);
    } catch (err) {
      const status = statusCodeOf(err);
      if (status !== 409) this.log.warn({ err: String(err), status }, 'lease request failed');
      return false;
    }
  }

  private won(lease: Lease, sentAt: number): boolean {
    this.current = lease;
    this.observed = { rv: lease.metadata.resourceVersion, holder: this.options.identity, at: this.clock.now() };
    this.lastRenewSentAt = sentAt;
    return true;
  }
}
