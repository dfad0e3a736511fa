/** The generator's flags live in lib/api/secret-generator, shared with its construct. */
export {
  SECRET_GENERATOR_FLAGS,
  optionsFromFlags,
  type SecretGeneratorFlags,
  type SecretGeneratorOptions,
} from '../../lib/api/secret-generator/flags.js';
