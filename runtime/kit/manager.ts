import type { KubeConfig } from '@kubernetes/client-node';
import { InformerCache } from './cache.js';
import { KubeClient, loadKubeConfig } from './client.js';
import type { FlagSpec, FlagValues, FlagValuesOf } from './flags.js';
import { join } from 'node:path';
import { MANAGER_FLAGS, WEBHOOK_CERT_DIR } from '../../lib/api/manager.js';
import { WEBHOOK_CA_KEY, parseWebhookConfigurationRefs } from '../../lib/api/webhook.js';
import { WebhookServer } from './webhook.js';
import { CaInjector } from './webhook-ca.js';
import { LeaderElector, apiLeaseClient, type LeaseClient } from './leader.js';
import { createLogger, type Logger } from './log.js';
import { KitMetrics } from './metrics.js';
import { HealthServer, type Check } from './server.js';
import { shutdownSignal } from './shutdown.js';

export { MANAGER_FLAGS };

/** The manager's flags that belong to the process: given once, shared by every controller it hosts. */
export const PROCESS_FLAG_NAMES = ['kubeconfig', 'namespace', 'pod-name', 'metrics-port', 'watch-timeout', 'webhook-port', 'webhook-cert-dir', 'webhook-ca-inject'] as const;
/** The manager's flags that belong to each controller: its own leader election and Lease. */
export const ELECTION_FLAG_NAMES = ['leader-elect', 'leader-election-id', 'lease-duration', 'renew-deadline', 'retry-period'] as const;

type ManagerFlag = (typeof MANAGER_FLAGS)[number];
export const PROCESS_FLAGS = MANAGER_FLAGS.filter((f) => (PROCESS_FLAG_NAMES as readonly string[]).includes(f.name)) as Extract<
  ManagerFlag,
  { name: (typeof PROCESS_FLAG_NAMES)[number] }
>[];
export type ManagerFlagValues = FlagValuesOf<typeof MANAGER_FLAGS>;
export type ProcessFlagValues = Pick<ManagerFlagValues, (typeof PROCESS_FLAG_NAMES)[number]>;
export type ElectionFlagValues = Pick<ManagerFlagValues, (typeof ELECTION_FLAG_NAMES)[number]>;

/**
 * Something the manager starts and stops, like controller-runtime's `Runnable` +
 * `LeaderElectionRunnable`. A reconciler needs leadership: it is started each time its
 * controller's replica acquires the lease and stopped the moment it is lost. Caches, webhook
 * servers and per-node collectors do not: they run on every replica for the life of the process.
 */
export interface Runnable {
  readonly name: string;
  readonly needLeaderElection: boolean;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** What a controller's setup gets from the manager. */
export interface ControllerContext {
  /** The controller's name (`config-aggregator`): field manager, Lease name by default, log field. */
  readonly name: string;
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** The process's metrics (one registry, one port for every controller). */
  readonly metrics: KitMetrics;
  /** The process's shared informers: the same (resource, namespace, selectors) is watched once. */
  readonly cache: InformerCache;
  /** A typed client whose writes are refused (NotLeaderError, nothing sent) while this controller is not the leader. */
  readonly client: KubeClient;
  readonly namespace: string;
  readonly identity: string;
  /** True while this controller may write (holds its lease, or leader election is off). */
  isLeader(): boolean;
  /** Aborted on SIGTERM/SIGINT. */
  readonly signal: AbortSignal;
  /** `--watch-timeout` in seconds, for informers. */
  readonly watchTimeoutSeconds: number;
  /**
   * The process's admission webhook server (`--webhook-port`, certificate and key `tls.crt` and
   * `tls.key` in `--webhook-cert-dir`, reloaded when they change), created on first use and run
   * on every replica; register handlers with `.mutating(path, ...)` / `.validating(path, ...)`.
   */
  webhooks(): WebhookServer;
  /** Registers a runnable (see `Runnable.needLeaderElection`). */
  add(runnable: Runnable): void;
  /** A readiness check on the process's `/readyz` (prefixed with the controller name when the process hosts several). */
  addReadinessCheck(name: string, check: Check): void;
}

/** One controller to host: its name, its own flag values (election flags included) and its setup. */
export interface HostedController {
  readonly name: string;
  readonly flags: ElectionFlagValues;
  setup(ctx: ControllerContext): void | Promise<void>;
}

/** What tests replace in `runControllers`. */
export interface RunOverrides {
  /** Stops the process instead of SIGTERM/SIGINT. */
  readonly signal?: AbortSignal;
  readonly kubeConfig?: KubeConfig;
  readonly leaseClient?: (namespace: string, name: string) => LeaseClient;
  readonly logger?: Logger;
  /** Called once the health port listens. */
  readonly onListening?: (port: number, metrics: KitMetrics) => void;
}

/** Starts and stops a group of runnables in order, one transition at a time. */
class RunnableGroup {
  readonly runnables: Runnable[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;
  constructor(private readonly log: Logger) {}

  start(): Promise<unknown> {
    return (this.chain = this.chain.then(async () => {
      if (this.running) return;
      this.running = true;
      for (const r of this.runnables) {
        this.log.debug({ runnable: r.name }, 'starting runnable');
        await r.start();
      }
    }));
  }

  stop(): Promise<unknown> {
    return (this.chain = this.chain.then(async () => {
      if (!this.running) return;
      this.running = false;
      await Promise.all(
        [...this.runnables].reverse().map((r) => r.stop().catch((err) => this.log.error({ err, runnable: r.name }, 'runnable stop failed'))),
      );
    }));
  }
}

/**
 * Runs one or several controllers in one process, the way controller-runtime's manager does:
 * logger, metrics and one health port first; then each controller's setup registers its
 * runnables; the shared cache and every runnable that does not need leadership start on every
 * replica; each controller campaigns for its own Lease, and its leader-only runnables run only
 * while it holds it. A lost lease stops them, and the controller's client refuses writes from
 * the same instant (the elector's `isLeader()` turns false at the renew deadline, even while a
 * renew hangs). On SIGTERM every lease is released, then the runnables and caches stop.
 */
export async function runControllers(
  processName: string,
  flags: ProcessFlagValues,
  controllers: readonly HostedController[],
  overrides: RunOverrides = {},
): Promise<void> {
  // A bad flag fails before anything starts.
  const caInjection = parseWebhookConfigurationRefs(flags['webhook-ca-inject'] ?? '');
  const logger = overrides.logger ?? createLogger(processName);
  const { signal, dispose } = overrides.signal ? { signal: overrides.signal, dispose: () => undefined } : shutdownSignal(logger);
  const kubeConfig = overrides.kubeConfig ?? loadKubeConfig(flags.kubeconfig);
  const metrics = new KitMetrics({ withDefaults: true });
  const health = new HealthServer({ registry: metrics.registry, port: flags['metrics-port'] });
  health.addLivenessCheck('ping', () => undefined);
  health.addReadinessCheck('shutdown', () => (signal.aborted ? 'shutting down' : undefined));
  const port = await health.start();
  const namespace = flags.namespace;
  const identity = flags['pod-name'] || `${processName}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const watchTimeoutSeconds = Math.max(1, Math.round((flags['watch-timeout'] ?? 300_000) / 1000));
  logger.info({ port, namespace, identity, controllers: controllers.map((c) => c.name) }, 'starting');
  overrides.onListening?.(port, metrics);

  const cache = new InformerCache({ kubeConfig, logger, metrics, watchTimeoutSeconds });
  const everyReplica = new RunnableGroup(logger);
  let webhookServer: WebhookServer | undefined;
  const certDir = flags['webhook-cert-dir'] ?? WEBHOOK_CERT_DIR;
  // One server per process, shared by the controllers it hosts (like controller-runtime's manager).
  const webhooks = (): WebhookServer => {
    if (!webhookServer) {
      const dir = certDir;
      const server = new WebhookServer({
        port: flags['webhook-port'] ?? 9443,
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
        metrics,
        logger,
      });
      webhookServer = server;
      everyReplica.runnables.push({ name: 'webhook-server', needLeaderElection: false, start: async () => void (await server.start()), stop: () => server.stop() });
      health.addReadinessCheck('webhook', () => server.readiness());
    }
    return webhookServer;
  };
  if (caInjection.length) {
    // The process's own writes (not a controller's: no write guard), under its name.
    const client = new KubeClient(kubeConfig, { fieldManager: processName, metrics });
    everyReplica.runnables.push(new CaInjector({ client, caFile: join(certDir, WEBHOOK_CA_KEY), configurations: caInjection, logger }).runnable());
  }
  const several = controllers.length > 1;
  const elections: Array<{ name: string; elector?: LeaderElector; group: RunnableGroup }> = [];

  for (const c of controllers) {
    const log = several ? logger.child({ controller: c.name }) : logger;
    const group = new RunnableGroup(log);
    let elector: LeaderElector | undefined;
    if (c.flags['leader-elect'] !== false) {
      const leaseName = c.flags['leader-election-id'] || c.name;
      elector = new LeaderElector({
        client: overrides.leaseClient?.(namespace, leaseName) ?? apiLeaseClient(kubeConfig, namespace, leaseName, metrics),
        name: leaseName,
        namespace,
        identity,
        leaseDurationMs: c.flags['lease-duration'],
        renewDeadlineMs: c.flags['renew-deadline'],
        retryPeriodMs: c.flags['retry-period'],
        logger: log,
        metrics,
        onStartedLeading: () => void group.start(),
        onStoppedLeading: () => void group.stop(),
      });
    }
    const isLeader = elector ? () => elector.isLeader() : () => !signal.aborted;
    await c.setup({
      name: c.name,
      kubeConfig,
      logger: log,
      metrics,
      cache,
      client: new KubeClient(kubeConfig, { fieldManager: c.name, metrics, writeGuard: isLeader }),
      namespace,
      identity,
      isLeader,
      signal,
      watchTimeoutSeconds,
      webhooks,
      add: (r) => (r.needLeaderElection ? group : everyReplica).runnables.push(r),
      addReadinessCheck: (name, check) => health.addReadinessCheck(several ? `${c.name}/${name}` : name, check),
    });
    elections.push({ name: c.name, elector, group });
  }

  // Every replica: caches warm, webhooks and collectors serving.
  cache.start();
  await everyReplica.start();
  await Promise.all(
    elections.map(async ({ elector, group }) => {
      if (elector) {
        await elector.run(signal); // returns after SIGTERM, with the lease released (which stops the group)
      } else {
        await group.start();
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      }
      await group.stop();
    }),
  );
  await everyReplica.stop();
  await cache.stop();
  await health.stop();
  logger.info('stopped');
  dispose();
}

/**
 * A controller of the `platform-controllers` image: `platform-controllers <name> [flags]`, or one
 * of `run`. Declare it with `defineController` so that `setup` gets values typed from `flags`.
 */
export interface ControllerCommand<S extends readonly FlagSpec[] = readonly FlagSpec[]> {
  /** One line for `--help`. */
  readonly description: string;
  /** Its flags (from `lib/api/<controller>`), followed by MANAGER_FLAGS. */
  readonly flags: S;
  /** Builds the controller from its flag values (parsed with `flags`) and registers its runnables and checks on `ctx`. */
  setup(ctx: ControllerContext, flags: FlagValuesOf<S>): void | Promise<void>;
}

/** A ControllerCommand whose `setup` sees the values `parseFlags(command.flags, ...)` returns, typed from the spec. */
export function defineController<const S extends readonly FlagSpec[]>(command: ControllerCommand<S>): ControllerCommand<S> {
  return command;
}

/**
 * The values of `specs` out of values parsed with a larger spec (e.g. a controller's flags, which
 * end with MANAGER_FLAGS), typed from `specs` and checked at run time: each value has its flag's type.
 */
export function selectFlags<const S extends readonly FlagSpec[]>(specs: S, values: FlagValues): FlagValuesOf<S> {
  const out: Record<string, FlagValues[string]> = {};
  for (const spec of specs) {
    const v = values[spec.name];
    const expected = spec.type === 'string' ? 'string' : spec.type === 'bool' ? 'boolean' : 'number';
    const always = spec.required || spec.default !== undefined;
    if (v === undefined ? always : typeof v !== expected) {
      throw new Error(`--${spec.name}: expected a ${spec.type}${always ? '' : ' or nothing'}, got ${JSON.stringify(v)}`);
    }
    out[spec.name] = v;
  }
  return out as FlagValuesOf<S>;
}
