import { runManager, type FlagValues } from '../kit/index.js';
import { ConfigAggregatorController, apiDeps } from './controller.js';
import { CONFIG_AGGREGATOR_FLAGS, optionsFromFlags, type ConfigAggregatorFlags } from './flags.js';

export * from './aggregate.js';
export * from './controller.js';
export * from './flags.js';

/** `platform-controllers config-aggregator [flags]` */
export async function runConfigAggregator(flags: FlagValues): Promise<void> {
  const options = optionsFromFlags(flags as ConfigAggregatorFlags);
  await runManager('config-aggregator', flags, async (ctx) => {
    const controller = new ConfigAggregatorController(
      apiDeps(ctx.kubeConfig, options, {
        metrics: ctx.metrics,
        logger: ctx.logger,
        isLeader: ctx.isLeader,
        identity: ctx.identity,
        watchTimeoutSeconds: ctx.watchTimeoutSeconds,
      }),
    );
    ctx.health.addReadinessCheck('informers-synced', () => controller.notReadyReason());
    ctx.logger.info({ ...options }, 'config-aggregator configured');
    controller.start();
    return {
      onStartedLeading: () => controller.onStartedLeading(),
      stop: () => controller.stop(),
    };
  });
}

export const configAggregatorCommand = {
  description: 'Aggregates labelled application ConfigMaps from all namespaces into one ConfigMap (event-driven, validated).',
  flags: CONFIG_AGGREGATOR_FLAGS,
  run: runConfigAggregator,
};
