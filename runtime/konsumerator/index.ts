import { KONSUMERATOR_FLAGS, konsumeratorOptionsFromFlags } from '../../lib/api/konsumerator/index.js';
import { clientEventSink, defineController } from '../kit/index.js';
import { KonsumeratorController } from './controller.js';

export * from './buckets.js';
export * from './controller.js';
export * from './instance.js';
export * from './predictor.js';
export * from './prometheus.js';
export * from './scaling.js';
export * from './source.js';

/** `platform-controllers konsumerator [flags]`, or `platform-controllers run konsumerator [flags] ...` */
export const konsumeratorCommand = defineController({
  description: 'Konsumerator: one Deployment per bucket of Kafka partitions for each Consumer, sized from the lag in Prometheus (guest mode: ConfigMaps in one namespace).',
  flags: KONSUMERATOR_FLAGS,
  setup(ctx, flags) {
    const options = konsumeratorOptionsFromFlags(flags);
    const controller = new KonsumeratorController({
      options,
      cache: ctx.cache,
      client: ctx.client,
      events: clientEventSink(ctx.client),
      identity: ctx.identity,
      metrics: ctx.metrics,
      isLeader: () => ctx.isLeader(),
      logger: ctx.logger,
    });
    ctx.addReadinessCheck('informers-synced', () => controller.notReadyReason());
    ctx.add(controller.runnable());
    ctx.logger.info({ ...options }, 'konsumerator configured');
  },
});
