import { Counter } from 'prom-client';
import { SERVO_FLAGS, SERVO_WEBHOOK_PATH, ServoEnv, servoOptionsFromFlags } from '../../lib/api/servo/index.js';
import { clientEventSink, defineController } from '../kit/index.js';
import { ServoController } from './controller.js';
import { OptimizerClient, TokenSource } from './optimizer.js';
import { servoAdmission } from './webhook.js';

export * from './controller.js';
export * from './deliveries.js';
export * from './optimizer.js';
export * from './webhook.js';

/** `platform-controllers servo [flags]`, or `platform-controllers run servo [flags] ...` */
export const servoCommand = defineController({
  description: 'Job measurement: reports the duration, CPU time and peak memory of job pods to the optimizer API; injects the monitor sidecar with a mutating webhook.',
  flags: SERVO_FLAGS,
  setup(ctx, flags) {
    const options = servoOptionsFromFlags(flags);
    const tokens = new TokenSource({ file: options.authTokenFile, value: process.env[ServoEnv.authToken] });
    const optimizer = new OptimizerClient({ tokens, timeoutMs: options.sendTimeoutMs });
    const controller = new ServoController({
      options,
      cache: ctx.cache,
      client: ctx.client,
      events: clientEventSink(ctx.client),
      identity: ctx.identity,
      metrics: ctx.metrics,
      isLeader: () => ctx.isLeader(),
      logger: ctx.logger,
      send: (url, event, signal, key) => optimizer.send(url, event, signal, key),
    });
    const injected = new Counter({ name: 'servo_webhook_pods_total', help: 'Pods seen by the webhook, by result (injected, unchanged, not-a-job).', labelNames: ['result'], registers: [ctx.metrics.registry] });
    ctx.webhooks().mutating(SERVO_WEBHOOK_PATH, servoAdmission(options, injected));
    ctx.addReadinessCheck('informers-synced', () => controller.notReadyReason());
    ctx.add(controller.runnable());
    ctx.logger.info({ namespaces: options.namespaces, url: options.url, appIdPath: options.appIdPath.text, monitor: options.monitor?.image ?? null, token: options.authTokenFile ? 'file' : process.env[ServoEnv.authToken] ? 'env' : 'none' }, 'servo configured');
  },
});
export * from './trim.js';
