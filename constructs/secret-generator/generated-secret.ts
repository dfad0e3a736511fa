import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  GENERATED_AT_ANNOTATION,
  GENERATED_KEYS_ANNOTATION,
  GENERATE_LABEL,
  GENERATE_LABEL_VALUE,
  GenerateSpecError,
  ISSUER_CERT_KEY,
  ISSUER_KEY_KEY,
  PLACEHOLDER_TYPES,
  SPEC_ANNOTATION,
  UNSUPPORTED_TYPES,
  renderGenerateSpec,
  validateGenerateSpec,
  type CertificateSpec,
  type GenerateSpec,
  type GeneratorSpec,
  type KeySize,
} from '../../lib/api/secret-generator/index.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { dns1123SubdomainReason, labelKeyReason, labelValueReason } from '../../lib/k8s/validators.js';
import { checkOptionalObject, checkPropsObject } from '../../lib/k8s/props.js';
import type { SecretValue } from './secret-value.js';

/** The key pair and X.509 certificate of a {@link GeneratedSecret}. */
export interface CertificateProps {
  /** Subject common name; also a DNS SAN when it is a DNS name. */
  readonly commonName: string;
  /** More DNS names (subject alternative names). @default none */
  readonly dnsNames?: string[];
  /** IP addresses (subject alternative names). @default none */
  readonly ipAddresses?: string[];
  /** A CA certificate (basicConstraints CA:TRUE, keyCertSign, cRLSign) that can issue others. @default false */
  readonly isCA?: boolean;
  /**
   * The CA that signs it: a GeneratedSecret with an `isCA` certificate whose `tls.crt` and
   * `tls.key` keys hold it, or the name of any Secret of the namespace holding them.
   * @default self-signed
   */
  readonly issuer?: GeneratedSecret | string;
  /** Validity from issuance, in days. @default 3650 */
  readonly validityDays?: number;
  /** RSA key size in bits: 2048, 3072 or 4096. @default 2048 */
  readonly keySize?: KeySize;
}

export interface GeneratedSecretProps {
  /** Name of the Secret. @default the construct id (which must then be a DNS-1123 subdomain) */
  readonly name?: string;
  /** Namespace of the Secret. @default the chart's namespace */
  readonly namespace?: string;
  /** Secret type. `kubernetes.io/tls` and `kubernetes.io/basic-auth` get empty placeholder keys (see README). @default 'Opaque' */
  readonly type?: string;
  /** The keys and how the generator fills each. */
  readonly data: Record<string, SecretValue>;
  /** A key pair and certificate that `SecretValue.certificate` and `SecretValue.pkcs12` keys read. @default none */
  readonly certificate?: CertificateProps;
  /** Extra labels. @default none */
  readonly labels?: Record<string, string>;
  /** Extra annotations. @default none */
  readonly annotations?: Record<string, string>;
}

const RESERVED_ANNOTATIONS = [SPEC_ANNOTATION, GENERATED_AT_ANNOTATION, GENERATED_KEYS_ANNOTATION];

/**
 * A Secret the secret generator fills in the cluster: the manifest has no data, only the label
 * `platform-constructs.io/generate: "true"` and the spec annotation
 * `platform-constructs.io/generate-spec` (JSON, keys sorted). The controller adds each missing
 * key once and never changes a key that exists. Deploy a {@link SecretGenerator} watching its namespace.
 *
 * ```ts
 * const creds = new GeneratedSecret(chart, 'mongodb-user', {
 *   data: { username: SecretValue.value('admin'), password: SecretValue.random({ length: 32 }) },
 * });
 * ```
 */
export class GeneratedSecret extends Construct {
  /** Name of the Secret. */
  readonly name: string;
  /** Namespace of the Secret. */
  readonly namespace: string;
  /** Its type. */
  readonly type: string;
  /** Its keys, sorted. */
  readonly keys: readonly string[];
  /** The certificate, when it has one. */
  readonly certificate?: CertificateProps;
  /** The spec as the annotation holds it. */
  readonly spec: GenerateSpec;
  /** The synthesized Secret. */
  readonly apiObject: k8s.KubeSecret;

  constructor(scope: Construct, id: string, props: GeneratedSecretProps) {
    super(scope, id);
    const where = this.node.path;
    const fail = (prop: string, why: string): never => {
      throw new ValidationError(where, prop, why);
    };
    checkPropsObject(where, props, ['data']);
    const name = props.name ?? id;
    const badName = dns1123SubdomainReason(name, 'Secret');
    if (badName) {
      fail('name', props.name === undefined ? `not given, and the construct id ${quote(id)} is not a DNS-1123 subdomain: give a name` : badName);
    }
    const namespace = resolveNamespace(this, where, props.namespace);
    const type = props.type ?? 'Opaque';
    if (typeof type !== 'string' || !type || /\s/.test(type)) fail('type', `${showValue(type)} is not a Secret type (such as "Opaque" or "kubernetes.io/tls")`);
    if (UNSUPPORTED_TYPES.includes(type)) {
      fail('type', `"${type}" needs non-empty data when it is created, so it cannot be declared without data and generated`);
    }
    checkOptionalObject(where, 'data', props.data, 'an object of key: SecretValue');
    checkOptionalObject(where, 'labels', props.labels, 'an object of label key: value strings');
    checkOptionalObject(where, 'annotations', props.annotations, 'an object of annotation key: value strings');
    checkOptionalObject(where, 'certificate', props.certificate, 'an object { commonName, dnsNames?, ... }');
    const keys = Object.keys(props.data ?? {}).sort();
    if (keys.length === 0) fail('data', 'names no key');
    const placeholders = PLACEHOLDER_TYPES[type];
    if (placeholders?.all) {
      const lacking = placeholders.keys.filter((k) => !keys.includes(k));
      if (lacking.length) fail('data', `type "${type}" requires the keys ${placeholders.keys.map((k) => `"${k}"`).join(' and ')}; missing ${lacking.map((k) => `"${k}"`).join(', ')}`);
    } else if (placeholders && !placeholders.keys.some((k) => keys.includes(k))) {
      fail('data', `type "${type}" requires at least one of the keys ${placeholders.keys.map((k) => `"${k}"`).join(', ')}`);
    }
    for (const [k, v] of Object.entries(props.labels ?? {})) {
      const badKey = labelKeyReason(k);
      if (badKey) fail('labels', badKey);
      const badValue = labelValueReason(v);
      if (badValue) fail('labels', `${badValue} (of "${k}")`);
      if (k === GENERATE_LABEL) fail('labels', `"${k}" is set by GeneratedSecret`);
    }
    for (const k of Object.keys(props.annotations ?? {})) {
      const bad = labelKeyReason(k, 'annotation');
      if (bad) fail('annotations', bad);
      if (RESERVED_ANNOTATIONS.includes(k)) fail('annotations', `"${k}" belongs to the secret generator`);
      const v = props.annotations![k];
      if (typeof v !== 'string') fail(`annotations.${k}`, `must be a string, not ${describeValue(v)}`);
    }

    // The certificate block, with the issuer as a name.
    let certificate: CertificateSpec | undefined;
    const c = props.certificate;
    if (c) {
      let issuer: string | undefined;
      if (c.issuer instanceof GeneratedSecret) {
        const ca = c.issuer;
        issuer = ca.name;
        if (ca.namespace !== namespace) fail('certificate.issuer', `${ca.node.path} is in namespace "${ca.namespace}", not "${namespace}"`);
        if (!ca.certificate?.isCA) fail('certificate.issuer', `${ca.node.path} has no CA certificate (certificate.isCA)`);
        const part = (k: string) => (ca.spec.keys[k] as { certificate?: string } | undefined)?.certificate;
        if (part(ISSUER_CERT_KEY) !== 'cert' || part(ISSUER_KEY_KEY) !== 'key') {
          fail('certificate.issuer', `${ca.node.path} must hold its certificate in "${ISSUER_CERT_KEY}" (SecretValue.certificate('cert')) and its key in "${ISSUER_KEY_KEY}" (SecretValue.certificate('key'))`);
        }
      } else {
        if (c.issuer !== undefined && typeof c.issuer !== 'string') fail('certificate.issuer', `must be a GeneratedSecret with a CA certificate or a Secret name, not ${describeValue(c.issuer)}`);
        issuer = c.issuer;
      }
      certificate = {
        commonName: c.commonName,
        ...(c.dnsNames !== undefined ? { dnsNames: c.dnsNames } : {}),
        ...(c.ipAddresses !== undefined ? { ipAddresses: c.ipAddresses } : {}),
        ...(c.isCA !== undefined ? { isCA: c.isCA } : {}),
        ...(issuer !== undefined ? { issuer } : {}),
        ...(c.validityDays !== undefined ? { validityDays: c.validityDays } : {}),
        ...(c.keySize !== undefined ? { keySize: c.keySize } : {}),
      };
    }
    const specKeys: Record<string, GeneratorSpec> = {};
    for (const k of keys) {
      const value = props.data[k];
      if (!value || typeof value.toJson !== 'function') fail(`data["${k}"]`, 'is not a SecretValue (use SecretValue.random(), .value(), ...)');
      specKeys[k] = value.toJson();
      for (const ref of value.references) {
        if (typeof ref.secret === 'string') continue;
        const other = ref.secret;
        if (other === this) fail(`data["${k}"]`, `reads this Secret itself: use SecretValue.template('{{key:${ref.key}}}')`);
        if (other.namespace !== namespace) fail(`data["${k}"]`, `reads ${other.node.path} in namespace "${other.namespace}"; a Secret can only read Secrets of its own namespace ("${namespace}")`);
        if (!other.keys.includes(ref.key)) fail(`data["${k}"]`, `reads key "${ref.key}" of ${other.node.path}, which has only ${other.keys.map((x) => `"${x}"`).join(', ')}`);
      }
    }
    const spec: GenerateSpec = { keys: specKeys, ...(certificate ? { certificate } : {}) };
    try {
      validateGenerateSpec(JSON.parse(JSON.stringify(spec)), { selfName: name });
    } catch (err) {
      if (!(err instanceof GenerateSpecError)) throw err;
      const prop = err.key !== undefined ? `data["${err.key}"]` : err.field === 'keys' || err.field === 'spec' ? 'data' : (err.field ?? 'data');
      fail(prop, err.reason);
    }

    this.name = name;
    this.namespace = namespace!;
    this.type = type;
    this.keys = keys;
    this.certificate = c;
    this.spec = spec;

    // Types whose API validation needs keys get them as empty placeholders (the generator fills
    // them); a basic-auth `value` username or password is written as is (it is not secret).
    let data: Record<string, string> | undefined;
    if (placeholders) {
      data = {};
      const literal = placeholders.keys.find((k) => 'value' in (specKeys[k] ?? {}));
      const needed = placeholders.all ? placeholders.keys : [literal ?? placeholders.keys.find((k) => keys.includes(k))!];
      for (const k of needed) {
        const v = specKeys[k] as { value?: string };
        data[k] = k === literal && v.value !== undefined ? Buffer.from(v.value, 'utf8').toString('base64') : '';
      }
    }
    this.apiObject = new k8s.KubeSecret(this, 'resource', {
      metadata: {
        name,
        namespace,
        labels: sortKeys({ ...props.labels, [GENERATE_LABEL]: GENERATE_LABEL_VALUE }),
        annotations: sortKeys({ ...props.annotations, [SPEC_ANNOTATION]: renderGenerateSpec(spec) }),
      },
      type,
      ...(data ? { data } : {}),
    });
    claimObjectNames(this, where);
  }
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
