/**
 * What to add to a Secret, as a function of its spec, its current data and the other Secrets it
 * names: never an existing key, always dependencies first. No I/O; the controller fetches the
 * other Secrets beforehand and writes the result.
 */
import { randomInt } from 'node:crypto';
import {
  CHARSETS,
  ISSUER_CERT_KEY,
  ISSUER_KEY_KEY,
  isPlaceholder,
  keyDependencies,
  type CertificatePart,
  type Charset,
  type Generator,
  type ParsedSpec,
} from '../../lib/api/secret-generator/index.js';
import {
  CertificateError,
  fromPkcs12,
  isSelfSigned,
  isSignedBy,
  issueCertificate,
  loadCertifiedKey,
  loadIssuer,
  pemCertificates,
  toPkcs12,
  type CertifiedKey,
  type Issuer,
} from './pki.js';

/** Another Secret of the same namespace, as the generator sees it. */
export interface OtherSecret {
  readonly data: Readonly<Record<string, Buffer>>;
  /** It carries the generate label: missing keys may still come. */
  readonly generating: boolean;
}

export interface FillInput {
  readonly spec: ParsedSpec;
  /** The Secret's `type`. @default 'Opaque' */
  readonly type?: string;
  /** Its current data, decoded. */
  readonly data: Readonly<Record<string, Buffer>>;
  /** Other Secrets of the namespace by name; undefined when it does not exist (or cannot be read). */
  readonly secrets?: (name: string) => OtherSecret | undefined;
  readonly now?: Date;
}

/** A state of the Secret's existing data that the generator must not paper over (nothing is written). */
export class ExistingDataError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`key "${key}": ${reason}`);
    this.name = 'ExistingDataError';
  }
}

export interface FillResult {
  /** New keys and their values (never a key that exists). */
  readonly added: Readonly<Record<string, Buffer>>;
  /** Keys that cannot be generated yet, each with why (a missing Secret, key or issuer). */
  readonly waiting: ReadonlyMap<string, string>;
  /** Other Secrets whose change may unblock a waiting key. */
  readonly waitingOn: readonly string[];
  /** Generator kind of each added key. */
  readonly kinds: Readonly<Record<string, Generator['kind']>>;
  /** A new key pair was issued (not reused from the Secret). */
  readonly issued: boolean;
}

/** Keys of the spec the Secret lacks (absent, or an empty placeholder its type requires). */
export function missingKeys(spec: ParsedSpec, data: Readonly<Record<string, Buffer | string>>, type?: string): string[] {
  return spec.order.filter((k) => !present(data, k, type));
}

function present(data: Readonly<Record<string, Buffer | string>>, key: string, type?: string): boolean {
  const v = data[key];
  if (v === undefined) return false;
  return !isPlaceholder(type, key, typeof v === 'string' ? v : v.toString('utf8'));
}

/** Crypto-random text of `length` symbols of `charset`, each uniformly chosen (no modulo bias). */
export function randomString(length: number, charset: Charset): string {
  const symbols = CHARSETS[charset];
  let out = '';
  for (let i = 0; i < length; i++) out += symbols[randomInt(symbols.length)];
  return out;
}

/** Keys whose value holds the issuer's certificate. */
function needsIssuerKey(g: Generator): boolean {
  return g.kind === 'pkcs12' || (g.kind === 'certificate' && (g.part === 'ca' || g.part === 'chain'));
}

/** Keys whose value depends on the key pair (so they must come from one pair). */
function pairBound(g: Generator, selfSigned: boolean): boolean {
  if (g.kind === 'pkcs12') return true;
  return g.kind === 'certificate' && (g.part !== 'ca' || selfSigned);
}

/**
 * Computes the keys to add. Existing keys are kept as they are and feed templates and derived
 * keys; a certificate already in the Secret (`cert` + `key` keys, a `certAndKey` key, or a
 * keystore and its password) is reused, never replaced. Throws ExistingDataError when the data
 * present contradicts the spec (half a key pair, a certificate the issuer did not sign).
 */
export function fillSecret(input: FillInput): FillResult {
  const { spec, type } = input;
  const lookup = input.secrets ?? (() => undefined);
  const have = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(input.data)) if (present(input.data, k, type)) have.set(k, v);
  const missing = new Set(spec.order.filter((k) => !have.has(k)));
  const result = {
    added: {} as Record<string, Buffer>,
    waitingOn: new Set<string>(),
    kinds: {} as Record<string, Generator['kind']>,
    issued: false,
  };
  if (missing.size === 0) return { ...result, waiting: new Map(), waitingOn: [] };

  const cert = spec.certificate;
  const selfSigned = !cert?.issuer;
  const partKeys = (part: CertificatePart) =>
    spec.order.filter((k) => {
      const g = spec.keys.get(k)!;
      return g.kind === 'certificate' && g.part === part;
    });
  const needsCert = [...missing].some((k) => ['certificate', 'pkcs12'].includes(spec.keys.get(k)!.kind));

  // The issuer, when a missing key needs it (a new pair, the CA, the chain, a keystore's chain).
  let issuer: Issuer | undefined;
  let certBlocked: string | undefined;
  const getIssuer = (): Issuer | undefined => {
    if (!cert?.issuer || issuer || certBlocked) return issuer;
    const name = cert.issuer;
    const other = lookup(name);
    const tlsCrt = other?.data[ISSUER_CERT_KEY];
    const tlsKey = other?.data[ISSUER_KEY_KEY];
    if (!other) certBlocked = `issuer Secret "${name}" does not exist`;
    else if (!tlsCrt?.length || !tlsKey?.length) {
      certBlocked = other.generating
        ? `issuer Secret "${name}" has no ${ISSUER_CERT_KEY} and ${ISSUER_KEY_KEY} yet (it is being generated)`
        : `issuer Secret "${name}" has no ${ISSUER_CERT_KEY} and ${ISSUER_KEY_KEY}`;
    } else {
      try {
        issuer = loadIssuer(tlsCrt.toString('utf8'), tlsKey.toString('utf8'), name);
      } catch (err) {
        if (!(err instanceof CertificateError)) throw err;
        certBlocked = err.message;
      }
    }
    if (certBlocked) result.waitingOn.add(name);
    return issuer;
  };

  // The key pair: reused from the Secret when it holds one, else issued when a missing key needs it.
  let pair: CertifiedKey | undefined;
  if (cert && needsCert) {
    pair = existingPair(spec, have, partKeys);
    if (!pair) {
      const kept = spec.order.filter((k) => have.has(k) && pairBound(spec.keys.get(k)!, selfSigned));
      if (kept.length) {
        const lost = [...missing].filter((k) => pairBound(spec.keys.get(k)!, selfSigned));
        if (lost.length) {
          throw new ExistingDataError(
            lost[0],
            `cannot be derived: "${kept[0]}" holds a certificate whose private key is no longer in this Secret; ` +
              `delete ${kept.map((k) => `"${k}"`).join(', ')} too, to issue a new certificate`,
          );
        }
      } else if (!cert.issuer || getIssuer()) {
        pair = issueCertificate(cert, issuer, input.now);
        result.issued = true;
      }
    }
    if (pair && cert.issuer && !result.issued) {
      const needsIssuer = [...missing].some((k) => needsIssuerKey(spec.keys.get(k)!));
      if (needsIssuer && getIssuer() && !isSignedBy(pair.certPem, issuer!.certPem)) {
        throw new ExistingDataError(
          [...missing][0],
          `the certificate in this Secret was not issued by the current certificate of issuer "${cert.issuer}"; delete the certificate keys to issue a new one`,
        );
      }
    }
    if (pair && !cert.issuer && !result.issued && !isSelfSigned(pair.certPem)) {
      const ca = [...missing].find((k) => needsIssuerKey(spec.keys.get(k)!));
      if (ca) throw new ExistingDataError(ca, 'the certificate in this Secret is not self-signed and the spec names no issuer: its CA is unknown');
    }
  }
  const caPems = issuer ? pemCertificates(issuer.chainPem) : [];

  const blocked = new Map<string, string>();
  const values = new Map(have);
  for (const key of spec.order) {
    if (!missing.has(key)) continue;
    const g = spec.keys.get(key)!;
    const dep = keyDependencies(g).find((d) => blocked.has(d));
    if (dep) {
      blocked.set(key, `waits for key "${dep}"`);
      continue;
    }
    if ((g.kind === 'certificate' || g.kind === 'pkcs12') && (!pair || (needsIssuerKey(g) && cert?.issuer && !issuer))) {
      blocked.set(key, certBlocked ?? 'no certificate');
      continue;
    }
    let value: Buffer | undefined;
    switch (g.kind) {
      case 'random':
        value = Buffer.from(randomString(g.length, g.charset), 'utf8');
        break;
      case 'value':
        value = Buffer.from(g.value, 'utf8');
        break;
      case 'template': {
        let text = '';
        let why: string | undefined;
        for (const p of g.parts) {
          if ('text' in p) text += p.text;
          else if ('secret' in p) {
            const other = lookup(p.secret);
            const v = other?.data[p.key];
            if (v === undefined || (v.length === 0 && other?.generating)) {
              why = other ? `Secret "${p.secret}" has no key "${p.key}"${other.generating ? ' yet' : ''}` : `Secret "${p.secret}" does not exist`;
              result.waitingOn.add(p.secret);
              break;
            }
            text += v.toString('utf8');
          } else text += values.get(p.key)!.toString('utf8');
        }
        if (why) {
          blocked.set(key, why);
          continue;
        }
        value = Buffer.from(text, 'utf8');
        break;
      }
      case 'certificate':
        value = Buffer.from(certificatePart(g.part, pair!, selfSigned ? [pair!.certPem] : caPems), 'utf8');
        break;
      case 'pkcs12':
        value = toPkcs12(pair!, selfSigned ? [] : caPems, values.get(g.passwordKey)!.toString('utf8'));
        break;
    }
    values.set(key, value);
    result.added[key] = value;
    result.kinds[key] = g.kind;
  }
  return { ...result, waiting: blocked, waitingOn: [...result.waitingOn].sort() };
}

function certificatePart(part: CertificatePart, pair: CertifiedKey, caPems: readonly string[]): string {
  switch (part) {
    case 'cert':
      return pair.certPem;
    case 'key':
      return pair.keyPem;
    case 'ca':
      return caPems.join('');
    case 'chain':
      return [pair.certPem, ...caPems.filter((p) => p !== pair.certPem)].join('');
    case 'certAndKey':
      return pair.certPem + pair.keyPem;
  }
}

/** The key pair the Secret already holds, if any: `cert` + `key`, `certAndKey`, or a keystore + its password. */
function existingPair(spec: ParsedSpec, have: ReadonlyMap<string, Buffer>, partKeys: (p: CertificatePart) => string[]): CertifiedKey | undefined {
  const text = (k: string) => have.get(k)!.toString('utf8');
  const certKey = partKeys('cert').find((k) => have.has(k));
  const keyKey = partKeys('key').find((k) => have.has(k));
  const wrap = <T>(key: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof CertificateError) throw new ExistingDataError(key, err.message);
      throw err;
    }
  };
  if (certKey && keyKey) return wrap(certKey, () => loadCertifiedKey(text(certKey), text(keyKey), `"${certKey}"`));
  const both = partKeys('certAndKey').find((k) => have.has(k));
  if (both) return wrap(both, () => loadCertifiedKey(text(both), text(both), `"${both}"`));
  for (const k of spec.order) {
    const g = spec.keys.get(k)!;
    if (g.kind === 'pkcs12' && have.has(k) && have.has(g.passwordKey)) {
      const p = wrap(k, () => fromPkcs12(have.get(k)!, text(g.passwordKey)));
      return { certPem: p.certPem, keyPem: p.keyPem };
    }
  }
  return undefined;
}
