import { defineController } from '../kit/index.js';
import { ConfigAggregatorController, apiDeps } from './controller.js';
import { CONFIG_AGGREGATOR_FLAGS, optionsFromFlags } from './flags.js';

export * from './aggregate.js';
export * from './controller.js';
export * from './flags.js';

/** `platform-controllers config-aggregator [flags]`, or `platform-controllers run config-aggregator [flags] ...` */
export const configAggregatorCommand = defineController({
  description: 'Aggregates labelled application ConfigMaps from all namespaces into one ConfigMap (event-driven, validated).',
  flags: CONFIG_AGGREGATOR_FLAGS,
  setup(ctx, flags) {
    const options = optionsFromFlags(flags);
    const controller = new ConfigAggregatorController(apiDeps(ctx, options));
    ctx.addReadinessCheck('informers-synced', () => controller.notReadyReason());
    ctx.logger.info({ ...options }, 'config-aggregator configured');
    for (const r of controller.runnables()) ctx.add(r);
  },
});
