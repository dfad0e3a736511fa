import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from './client.js';
import type { FlagValues } from './flags.js';
export { MANAGER_FLAGS } from '../../lib/api/manager.js';
import { LeaderElector, apiLeaseClient } from './leader.js';
import { createLogger, type Logger } from './log.js';
import { KitMetrics } from './metrics.js';
import { HealthServer } from './server.js';
import { shutdownSignal } from './shutdown.js';


/** What a controller's setup gets from the manager. */
export interface ManagerContext {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: KitMetrics;
  readonly health: HealthServer;
  readonly namespace: string;
  readonly identity: string;
  /** True while this replica may write (holds the lease, or leader election is off). */
  isLeader(): boolean;
  /** Aborted on SIGTERM/SIGINT. */
  readonly signal: AbortSignal;
  /** `--watch-timeout` in seconds, for informers. */
  readonly watchTimeoutSeconds: number;
}

/** A started controller. */
export interface Runnable {
  /** Called whenever this replica becomes the leader (start writing, e.g. enqueue everything). */
  onStartedLeading?(): void;
  /** Called at once when the lease is lost: writes must stop. */
  onStoppedLeading?(): void;
  stop(): Promise<void>;
}

/**
 * Runs one controller the way controller-runtime's manager does: logger, metrics and the health
 * port first, then the controller's caches (every replica keeps them warm), then leader election;
 * on SIGTERM the lease is released before the caches stop.
 */
export async function runManager(
  controllerName: string,
  flags: FlagValues,
  setup: (ctx: ManagerContext) => Promise<Runnable>,
): Promise<void> {
  const logger = createLogger(controllerName);
  const { signal, dispose } = shutdownSignal(logger);
  const kubeConfig = loadKubeConfig(flags['kubeconfig'] as string | undefined);
  const metrics = new KitMetrics({ withDefaults: true });
  const health = new HealthServer({ registry: metrics.registry, port: flags['metrics-port'] as number });
  health.addLivenessCheck('ping', () => undefined);
  health.addReadinessCheck('shutdown', () => (signal.aborted ? 'shutting down' : undefined));
  const port = await health.start();
  const namespace = flags['namespace'] as string;
  const identity = (flags['pod-name'] as string | undefined) || `${controllerName}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  logger.info({ port, namespace, identity }, 'starting');

  let elector: LeaderElector | undefined;
  let runnable: Runnable | undefined;
  const leaderElect = flags['leader-elect'] !== false;
  if (leaderElect) {
    const leaseName = (flags['leader-election-id'] as string | undefined) || controllerName;
    elector = new LeaderElector({
      client: apiLeaseClient(kubeConfig, namespace, leaseName, metrics),
      name: leaseName,
      namespace,
      identity,
      leaseDurationMs: flags['lease-duration'] as number,
      renewDeadlineMs: flags['renew-deadline'] as number,
      retryPeriodMs: flags['retry-period'] as number,
      logger,
      metrics,
      onStartedLeading: () => runnable?.onStartedLeading?.(),
      onStoppedLeading: () => runnable?.onStoppedLeading?.(),
    });
  }
  const ctx: ManagerContext = {
    kubeConfig,
    logger,
    metrics,
    health,
    namespace,
    identity,
    isLeader: () => (elector ? elector.isLeader() : !signal.aborted),
    signal,
    watchTimeoutSeconds: Math.max(1, Math.round(((flags['watch-timeout'] as number | undefined) ?? 300_000) / 1000)),
  };
  runnable = await setup(ctx);
  if (elector) {
    await elector.run(signal); // returns after SIGTERM, with the lease released
  } else {
    runnable.onStartedLeading?.();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    runnable.onStoppedLeading?.();
  }
  await runnable.stop();
  await health.stop();
  logger.info('stopped');
  dispose();
}
