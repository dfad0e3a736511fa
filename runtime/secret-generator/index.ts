import { defineController } from '../kit/index.js';
import { SecretGeneratorController, apiDeps } from './controller.js';
import { SECRET_GENERATOR_FLAGS, optionsFromFlags } from './flags.js';

export * from './controller.js';
export * from './flags.js';
export * from './generate.js';
export * from './pki.js';

/** `platform-controllers secret-generator [flags]`, or `platform-controllers run secret-generator [flags] ...` */
export const secretGeneratorCommand = defineController({
  description: 'Fills labelled Secrets from their generate-spec annotation: random values, certificates, keystores, templates (never overwrites).',
  flags: SECRET_GENERATOR_FLAGS,
  setup(ctx, flags) {
    const options = optionsFromFlags(flags);
    const controller = new SecretGeneratorController(apiDeps(ctx, options));
    ctx.addReadinessCheck('informers-synced', () => controller.notReadyReason());
    ctx.logger.info({ ...options }, 'secret-generator configured');
    for (const r of controller.runnables()) ctx.add(r);
  },
});
