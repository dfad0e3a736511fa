/**
 * The wire format of the secret generator: what a declared Secret carries (label, spec
 * annotation) and what the controller writes back (data, status annotations). Shared by the
 * constructs (`constructs/secret-generator`) and the controller (`runtime/secret-generator`).
 * Pure TypeScript: no cdk8s, no Kubernetes client.
 */

/** Label that marks a Secret for the generator (the controller watches only these). */
export const GENERATE_LABEL = 'platform-constructs.io/generate';
/** The only value of {@link GENERATE_LABEL} the controller acts on. */
export const GENERATE_LABEL_VALUE = 'true';
/** Annotation holding the generation spec (JSON). */
export const SPEC_ANNOTATION = 'platform-constructs.io/generate-spec';
/** Annotation the controller writes with the data: when it last added keys (RFC 3339). */
export const GENERATED_AT_ANNOTATION = 'platform-constructs.io/generated-at';
/** Annotation the controller writes with the data: the keys it generated, sorted, comma-separated. */
export const GENERATED_KEYS_ANNOTATION = 'platform-constructs.io/generated-keys';
/** Server-side apply field manager of the controller's writes. */
export const SECRET_GENERATOR_FIELD_MANAGER = 'platform-controllers-secret-generator';

/** Character sets of `random` values. */
export const CHARSETS = {
  /** `A-Z a-z 0-9` (62 symbols, 5.95 bits each). */
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  /** `a-z 0-9` (36 symbols, 5.17 bits each): safe in DNS names and case-insensitive systems. */
  lowercase: 'abcdefghijklmnopqrstuvwxyz0123456789',
  /** `0-9 a-f` (16 symbols, 4 bits each). */
  hex: '0123456789abcdef',
  /** `A-Z a-z 0-9 - _` (64 symbols, 6 bits each): the URL-safe base64 alphabet, no padding. */
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
} as const;

export type Charset = keyof typeof CHARSETS;
export const DEFAULT_RANDOM_LENGTH = 16;
export const MAX_RANDOM_LENGTH = 256;
export const DEFAULT_CHARSET: Charset = 'alphanumeric';

/** Parts of a Secret's certificate a key can hold (PEM). */
export const CERTIFICATE_PARTS = ['cert', 'key', 'ca', 'chain', 'certAndKey'] as const;
export type CertificatePart = (typeof CERTIFICATE_PARTS)[number];

export const KEY_SIZES = [2048, 3072, 4096] as const;
export type KeySize = (typeof KEY_SIZES)[number];
export const DEFAULT_KEY_SIZE: KeySize = 2048;
export const DEFAULT_VALIDITY_DAYS = 3650;
export const MAX_VALIDITY_DAYS = 36500;
/** X.509's upper bound of a common name (`ub-common-name`). */
export const MAX_COMMON_NAME = 64;
/** Friendly name (Java alias) of the key entry of a PKCS#12 keystore. */
export const PKCS12_FRIENDLY_NAME = 'server';

/** One generator, exactly one form (the JSON of the spec annotation). */
export type GeneratorSpec =
  | { readonly random: { readonly length?: number; readonly charset?: Charset } }
  | { readonly value: string }
  | { readonly template: string }
  | { readonly certificate: CertificatePart }
  | { readonly pkcs12: { readonly passwordKey: string } };

/** The `certificate` block of the spec. */
export interface CertificateSpec {
  /** Subject common name (1 to 64 characters); also a SAN when it is a DNS name or an IP address. */
  readonly commonName: string;
  /** More DNS SANs. @default none */
  readonly dnsNames?: readonly string[];
  /** IP address SANs. @default none */
  readonly ipAddresses?: readonly string[];
  /** A CA certificate. @default false */
  readonly isCA?: boolean;
  /** Secret in the same namespace holding `tls.crt` and `tls.key` of a CA. @default self-signed */
  readonly issuer?: string;
  /** Validity in days. @default 3650 */
  readonly validityDays?: number;
  /** RSA key size. @default 2048 */
  readonly keySize?: KeySize;
}

/** The JSON of the `platform-constructs.io/generate-spec` annotation. */
export interface GenerateSpec {
  /** Data keys and the generator of each. */
  readonly keys: Readonly<Record<string, GeneratorSpec>>;
  /** The Secret's key pair and certificate, read by `certificate` and `pkcs12` generators. @default none */
  readonly certificate?: CertificateSpec;
}

/** Keys of an issuer Secret: the CA's certificate and private key (PEM). */
export const ISSUER_CERT_KEY = 'tls.crt';
export const ISSUER_KEY_KEY = 'tls.key';

/**
 * Secret types whose API validation needs data keys to exist (values may be empty), and those
 * keys. A Secret of such a type cannot be created without them, so its declared manifest
 * carries them as empty placeholders, which the controller treats as missing.
 * - `kubernetes.io/tls`: both `tls.crt` and `tls.key`;
 * - `kubernetes.io/basic-auth`: at least one of `username`, `password`.
 */
export const PLACEHOLDER_TYPES: Readonly<Record<string, { readonly keys: readonly string[]; readonly all: boolean }>> = {
  'kubernetes.io/tls': { keys: ['tls.crt', 'tls.key'], all: true },
  'kubernetes.io/basic-auth': { keys: ['username', 'password'], all: false },
};

/**
 * Secret types the API server validates to need non-empty data (or a ServiceAccount): these
 * cannot be declared without data, so they cannot be generated.
 */
export const UNSUPPORTED_TYPES: readonly string[] = [
  'kubernetes.io/ssh-auth',
  'kubernetes.io/dockercfg',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/service-account-token',
];

/** Keys of `data` that count as missing although present: empty placeholders of the type. */
export function isPlaceholder(type: string | undefined, key: string, value: string | undefined): boolean {
  return value === '' && (PLACEHOLDER_TYPES[type ?? '']?.keys.includes(key) ?? false);
}
