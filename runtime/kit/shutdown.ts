import type { Logger } from './log.js';

/**
 * Graceful shutdown on SIGTERM / SIGINT: aborts the returned signal, then the caller's `run`
 * promise finishes its cleanup (release the lease, stop informers, close the port). A second
 * signal, or cleanup longer than `graceMs`, exits at once.
 */
export function shutdownSignal(logger: Logger, graceMs = 25_000): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let forced: NodeJS.Timeout | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ signal: sig }, 'second signal; exiting now');
      process.exit(1);
    }
    logger.info({ signal: sig }, 'shutting down');
    controller.abort();
    forced = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    forced.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(forced);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
