import { CERTIFICATE_PARTS, type CertificatePart, type Charset, type GeneratorSpec } from '../../lib/api/secret-generator/index.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkConfigKey, checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { checkPropsObject } from '../../lib/k8s/props.js';
import type { GeneratedSecret } from './generated-secret.js';

/** Options of {@link SecretValue.random}. */
export interface RandomSecretValueOptions {
  /** Number of characters, 1 to 256. @default 16 */
  readonly length?: number;
  /** Characters to draw from: `alphanumeric`, `lowercase` (a-z0-9), `hex` or `base64url`. @default 'alphanumeric' */
  readonly charset?: Charset;
}

/** Another Secret a value reads, for the checks of the Secret that holds the value. */
export interface SecretValueReference {
  /** The Secret: a construct of this app, or the name of a Secret in the same namespace. */
  readonly secret: GeneratedSecret | string;
  /** Its key. */
  readonly key: string;
}

/**
 * How the secret generator fills one key of a {@link GeneratedSecret}, in the cluster: nothing
 * secret is ever in the manifest. Create one with a static factory; the Secret that holds it
 * checks it against its other keys when it is constructed.
 */
export abstract class SecretValue {
  /** Crypto-random text, e.g. a password: `SecretValue.random({ length: 32 })`. */
  static random(options: RandomSecretValueOptions = {}): SecretValue {
    // length and charset are checked by the Secret that holds the value, which names its key.
    checkPropsObject('SecretValue.random', options);
    const random: { length?: number; charset?: Charset } = {};
    if (options.length !== undefined) random.length = options.length;
    if (options.charset !== undefined) random.charset = options.charset;
    return new GeneratorValue({ random });
  }

  /** A fixed, non-secret value, e.g. a user name. */
  static value(text: string): SecretValue {
    checkText('SecretValue.value', 'text', text);
    return new GeneratorValue({ value: text });
  }

  /**
   * Text with placeholders: `{{key:K}}` is key K of the same Secret (generated first),
   * `{{secret:NAME/K}}` is key K of Secret NAME in the same namespace (the generator waits for it).
   */
  static template(text: string): SecretValue {
    checkText('SecretValue.template', 'text', text);
    return new GeneratorValue({ template: text });
  }

  /** A copy of key `key` of another Secret of the same namespace (the template `{{secret:NAME/KEY}}`). */
  static fromSecret(secret: GeneratedSecret | string, key: string): SecretValue {
    const where = 'SecretValue.fromSecret';
    if (typeof secret !== 'string' && typeof (secret as GeneratedSecret | undefined)?.name !== 'string') {
      throw new ValidationError(where, 'secret', `must be a GeneratedSecret or a Secret name, not ${describeValue(secret)}`, secret);
    }
    const name = typeof secret === 'string' ? checkDns1123Subdomain(where, 'secret', secret, 'Secret') : secret.name;
    checkConfigKey(where, 'key', key);
    return new GeneratorValue({ template: `{{secret:${name}/${key}}}` }, [{ secret, key }]);
  }

  /**
   * PEM of the Secret's certificate (`cert`), its private key (`key`, PKCS#8), the issuer's
   * certificate (`ca`; a self-signed certificate's own), the certificate followed by the
   * issuer's (`chain`), or certificate and key (`certAndKey`). Needs the Secret's `certificate`.
   */
  static certificate(part: CertificatePart): SecretValue {
    if (!(CERTIFICATE_PARTS as readonly unknown[]).includes(part)) {
      throw new ValidationError('SecretValue.certificate', 'part', `${describeValue(part)} is not one of ${CERTIFICATE_PARTS.map((x) => `'${x}'`).join(', ')}`, part);
    }
    return new GeneratorValue({ certificate: part });
  }

  /**
   * A PKCS#12 keystore (binary) of the Secret's certificate, key and CA chain, entry `server`,
   * encrypted with the value of key `passwordKey` of the same Secret (usually a `random` one).
   */
  static pkcs12(passwordKey: string): SecretValue {
    checkConfigKey('SecretValue.pkcs12', 'passwordKey', passwordKey);
    return new GeneratorValue({ pkcs12: { passwordKey } });
  }

  /** Other Secrets this value reads. */
  abstract readonly references: readonly SecretValueReference[];

  /** The generator as the spec annotation holds it. */
  abstract toJson(): GeneratorSpec;
}

class GeneratorValue extends SecretValue {
  constructor(
    private readonly json: GeneratorSpec,
    readonly references: readonly SecretValueReference[] = [],
  ) {
    super();
  }

  toJson(): GeneratorSpec {
    return this.json;
  }
}

/** A text argument: a string (it may be empty). */
function checkText(where: string, field: string, text: unknown): void {
  if (typeof text !== 'string') throw new ValidationError(where, field, `must be a string, not ${describeValue(text)}`, text);
}
