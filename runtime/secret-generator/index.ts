import { runManager, type FlagValues } from '../kit/index.js';
import { SecretGeneratorController, apiDeps } from './controller.js';
import { SECRET_GENERATOR_FLAGS, optionsFromFlags, type SecretGeneratorFlags } from './flags.js';

export * from './controller.js';
export * from './flags.js';
export * from './generate.js';
export * from './pki.js';

/** `platform-controllers secret-generator [flags]` */
export async function runSecretGenerator(flags: FlagValues): Promise<void> {
  const options = optionsFromFlags(flags as SecretGeneratorFlags);
  await runManager('secret-generator', flags, async (ctx) => {
    const controller = new SecretGeneratorController(
      apiDeps(ctx.kubeConfig, options, {
        metrics: ctx.metrics,
        logger: ctx.logger,
        isLeader: ctx.isLeader,
        identity: ctx.identity,
        watchTimeoutSeconds: ctx.watchTimeoutSeconds,
      }),
    );
    ctx.health.addReadinessCheck('informers-synced', () => controller.notReadyReason());
    ctx.logger.info({ ...options }, 'secret-generator configured');
    controller.start();
    return {
      onStartedLeading: () => controller.onStartedLeading(),
      stop: () => controller.stop(),
    };
  });
}

export const secretGeneratorCommand = {
  description: 'Fills labelled Secrets from their generate-spec annotation: random values, certificates, keystores, templates (never overwrites).',
  flags: SECRET_GENERATOR_FLAGS,
  run: runSecretGenerator,
};
