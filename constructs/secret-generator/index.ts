export * from './generated-secret.js';
export * from './secret-generator.js';
export * from './secret-value.js';
export {
  CERTIFICATE_PARTS,
  CHARSETS,
  GENERATED_AT_ANNOTATION,
  GENERATED_KEYS_ANNOTATION,
  GENERATE_LABEL,
  GENERATE_LABEL_VALUE,
  SECRET_GENERATOR_FIELD_MANAGER,
  SPEC_ANNOTATION,
  type CertificatePart,
  type CertificateSpec,
  type Charset,
  type GenerateSpec,
  type GeneratorSpec,
  type KeySize,
} from '../../lib/api/secret-generator/index.js';
