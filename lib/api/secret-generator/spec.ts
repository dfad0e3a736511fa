/**
 * Parsing and validation of the generation spec, shared by the constructs (at synth) and the
 * controller (on every change of a Secret): one set of rules, one set of messages.
 */
import { isIP } from 'node:net';
import { isDns1123Subdomain } from '../../k8s/names.js';
import { ValidationError } from '../../k8s/validation.js';
import { configKeyReason, integerReason, isConfigKey } from '../../k8s/validators.js';
import {
  CERTIFICATE_PARTS,
  CHARSETS,
  DEFAULT_CHARSET,
  DEFAULT_KEY_SIZE,
  DEFAULT_RANDOM_LENGTH,
  DEFAULT_VALIDITY_DAYS,
  KEY_SIZES,
  MAX_COMMON_NAME,
  MAX_RANDOM_LENGTH,
  MAX_VALIDITY_DAYS,
  SPEC_ANNOTATION,
  type CertificatePart,
  type Charset,
  type GenerateSpec,
  type KeySize,
} from './wire.js';

/**
 * An invalid spec. `key` is the data key whose generator is wrong, or undefined when the
 * problem is elsewhere (`field` then says where: `certificate.keySize`, `keys`, the JSON).
 * The message names the annotation, the key (or field) and the reason.
 */
export class GenerateSpecError extends ValidationError {
  /** The data key whose generator is wrong; undefined for the spec's other fields. */
  readonly key?: string;

  /** `field` names the spec field when no `key` is given (`certificate.keySize`); `spec` by default. */
  constructor(reason: string, key?: string, field?: string) {
    super(`annotation ${SPEC_ANNOTATION}`, key !== undefined ? `key "${key}"` : (field ?? 'spec'), reason);
    this.name = 'GenerateSpecError';
    this.key = key;
  }
}

/** A piece of a template: literal text, a key of this Secret, or a key of another Secret. */
export type TemplatePart =
  | { readonly text: string }
  | { readonly key: string }
  | { readonly secret: string; readonly key: string };

/** A generator after validation, with defaults filled in. */
export type Generator =
  | { readonly kind: 'random'; readonly length: number; readonly charset: Charset }
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'template'; readonly template: string; readonly parts: readonly TemplatePart[] }
  | { readonly kind: 'certificate'; readonly part: CertificatePart }
  | { readonly kind: 'pkcs12'; readonly passwordKey: string };

export interface Certificate {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly isCA: boolean;
  readonly issuer?: string;
  readonly validityDays: number;
  readonly keySize: KeySize;
}

/** A valid spec: generators by key (sorted), and an order in which each key's dependencies come first. */
export interface ParsedSpec {
  readonly keys: ReadonlyMap<string, Generator>;
  /** Every key, dependencies first (a template after the keys it names, pkcs12 after its password). */
  readonly order: readonly string[];
  readonly certificate?: Certificate;
  /** Other Secrets (same namespace) named by templates, sorted. */
  readonly secretRefs: readonly { readonly secret: string; readonly key: string }[];
}

export interface ValidateOptions {
  /** Name of the Secret the spec is on: a `{{secret:...}}` of itself is refused. */
  readonly selfName?: string;
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/y;
const DNS_NAME = /^(\*\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/;
const GENERATOR_FORMS = ['random', 'value', 'template', 'certificate', 'pkcs12'] as const;

/** Parses the annotation's text; throws {@link GenerateSpecError}. */
export function parseGenerateSpec(text: string | undefined, options: ValidateOptions = {}): ParsedSpec {
  if (text === undefined) throw new GenerateSpecError('the annotation is missing', undefined, 'spec');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GenerateSpecError(`not valid JSON (${(err as Error).message})`, undefined, 'spec');
  }
  return validateGenerateSpec(json, options);
}

/** Validates a spec object (the annotation's JSON); throws {@link GenerateSpecError}. */
export function validateGenerateSpec(json: unknown, options: ValidateOptions = {}): ParsedSpec {
  if (!isObject(json)) throw new GenerateSpecError('must be a JSON object with "keys"', undefined, 'spec');
  unknownFields(json, ['keys', 'certificate'], undefined, 'spec');
  const rawKeys = json.keys;
  if (!isObject(rawKeys)) throw new GenerateSpecError('must be an object of data keys to generators', undefined, 'keys');
  const names = Object.keys(rawKeys).sort();
  if (names.length === 0) throw new GenerateSpecError('names no key', undefined, 'keys');
  const keys = new Map<string, Generator>();
  for (const key of names) {
    const bad = configKeyReason(key);
    if (bad) throw new GenerateSpecError(bad, key);
    keys.set(key, parseGenerator(rawKeys[key], key, options));
  }
  const certificate = json.certificate === undefined ? undefined : parseCertificate(json.certificate);

  // Cross-key rules.
  const usesCertificate = [...keys.values()].some((g) => g.kind === 'certificate' || g.kind === 'pkcs12');
  for (const [key, g] of keys) {
    if ((g.kind === 'certificate' || g.kind === 'pkcs12') && !certificate) {
      throw new GenerateSpecError(`${g.kind} needs the "certificate" block of the spec, which is missing`, key);
    }
    if (g.kind === 'pkcs12') {
      const pw = keys.get(g.passwordKey);
      if (!pw) throw new GenerateSpecError(`pkcs12.passwordKey "${g.passwordKey}" is not a key of this Secret`, key);
      if (pw.kind === 'pkcs12') throw new GenerateSpecError(`pkcs12.passwordKey "${g.passwordKey}" is a binary (pkcs12) key`, key);
    }
    if (g.kind === 'template') {
      for (const p of g.parts) {
        if (!('key' in p) || 'secret' in p) continue;
        const ref = keys.get(p.key);
        if (!ref) throw new GenerateSpecError(`template refers to {{key:${p.key}}}, which is not a key of this Secret`, key);
        if (ref.kind === 'pkcs12') throw new GenerateSpecError(`template refers to {{key:${p.key}}}, a binary (pkcs12) key`, key);
      }
    }
  }
  if (certificate && !usesCertificate) {
    throw new GenerateSpecError('no key uses it: add a {"certificate": ...} or {"pkcs12": ...} key, or remove the block', undefined, 'certificate');
  }
  const order = dependencyOrder(keys);
  const refs = new Map<string, { secret: string; key: string }>();
  for (const g of keys.values()) {
    if (g.kind !== 'template') continue;
    for (const p of g.parts) if ('secret' in p) refs.set(`${p.secret}/${p.key}`, { secret: p.secret, key: p.key });
  }
  const secretRefs = [...refs.keys()].sort().map((k) => refs.get(k)!);
  return { keys, order, ...(certificate ? { certificate } : {}), secretRefs };
}

/** The dependencies of one generator among the keys of its Secret. */
export function keyDependencies(g: Generator): string[] {
  if (g.kind === 'pkcs12') return [g.passwordKey];
  if (g.kind === 'template') return [...new Set(g.parts.flatMap((p) => ('key' in p && !('secret' in p) ? [p.key] : [])))];
  return [];
}

/** Topological order (sorted among equals); a cycle is an error naming it. */
function dependencyOrder(keys: ReadonlyMap<string, Generator>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, path: string[]) => {
    const s = state.get(key);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(key)), key];
      throw new GenerateSpecError(`dependency cycle ${cycle.join(' -> ')}`, cycle[0]);
    }
    state.set(key, 'visiting');
    for (const dep of keyDependencies(keys.get(key)!).sort()) visit(dep, [...path, key]);
    state.set(key, 'done');
    order.push(key);
  };
  for (const key of [...keys.keys()].sort()) visit(key, []);
  return order;
}

function parseGenerator(raw: unknown, key: string, options: ValidateOptions): Generator {
  const forms = `exactly one of ${GENERATOR_FORMS.map((f) => `"${f}"`).join(', ')}`;
  if (!isObject(raw)) throw new GenerateSpecError(`the generator must be an object with ${forms}`, key);
  const given = Object.keys(raw);
  const unknown = given.filter((f) => !(GENERATOR_FORMS as readonly string[]).includes(f));
  if (unknown.length) throw new GenerateSpecError(`unknown generator "${unknown[0]}" (expected ${forms})`, key);
  if (given.length !== 1) throw new GenerateSpecError(`the generator must have ${forms}, not ${given.length === 0 ? 'none' : given.join(' and ')}`, key);
  const form = given[0] as (typeof GENERATOR_FORMS)[number];
  const v = raw[form];
  switch (form) {
    case 'random': {
      if (!isObject(v)) throw new GenerateSpecError('random must be an object such as {"length": 16, "charset": "alphanumeric"}', key);
      unknownFields(v, ['length', 'charset'], key, 'random');
      const length = v.length ?? DEFAULT_RANDOM_LENGTH;
      const badLength = integerReason(length, 1, MAX_RANDOM_LENGTH);
      if (badLength) throw new GenerateSpecError(`random.length: ${badLength}`, key);
      const charset = v.charset ?? DEFAULT_CHARSET;
      if (typeof charset !== 'string' || !Object.hasOwn(CHARSETS, charset)) {
        throw new GenerateSpecError(`random.charset: ${JSON.stringify(charset)} is not one of ${Object.keys(CHARSETS).map((c) => `"${c}"`).join(', ')}`, key);
      }
      return { kind: 'random', length, charset: charset as Charset };
    }
    case 'value':
      if (typeof v !== 'string') throw new GenerateSpecError('value must be a string', key);
      return { kind: 'value', value: v };
    case 'template': {
      if (typeof v !== 'string') throw new GenerateSpecError('template must be a string', key);
      const parts = parseTemplate(v, key, options);
      return { kind: 'template', template: v, parts };
    }
    case 'certificate':
      if (typeof v !== 'string' || !(CERTIFICATE_PARTS as readonly string[]).includes(v)) {
        throw new GenerateSpecError(`certificate: ${JSON.stringify(v)} is not one of ${CERTIFICATE_PARTS.map((p) => `"${p}"`).join(', ')}`, key);
      }
      return { kind: 'certificate', part: v as CertificatePart };
    case 'pkcs12': {
      if (!isObject(v)) throw new GenerateSpecError('pkcs12 must be an object such as {"passwordKey": "keystore-password"}', key);
      unknownFields(v, ['passwordKey'], key, 'pkcs12');
      if (typeof v.passwordKey !== 'string' || v.passwordKey === '') throw new GenerateSpecError('pkcs12.passwordKey must name a key of this Secret', key);
      if (v.passwordKey === key) throw new GenerateSpecError(`dependency cycle ${key} -> ${key} (pkcs12.passwordKey is the keystore itself)`, key);
      return { kind: 'pkcs12', passwordKey: v.passwordKey };
    }
  }
}

/**
 * Splits a template into literal text and placeholders: `{{key:K}}` (a key of this Secret) and
 * `{{secret:NAME/K}}` (key K of Secret NAME in the same namespace). Any other `{{...}}` is an
 * error; `key` names the data key in the message.
 */
export function parseTemplate(template: string, key = '', options: ValidateOptions = {}): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, open);
    PLACEHOLDER.lastIndex = open;
    const m = PLACEHOLDER.exec(template);
    const shown = m ? m[0] : template.slice(open, open + 24);
    const fail = (why: string) => {
      throw new GenerateSpecError(`template: "${shown}" at offset ${open} ${why} (placeholders are {{key:K}} and {{secret:NAME/K}})`, key);
    };
    if (!m) fail('is not closed by "}}"');
    const body = m![1];
    let part: TemplatePart | undefined;
    let ref: string | undefined;
    if (body.startsWith('key:')) {
      ref = body.slice(4);
      part = { key: ref };
    } else if (body.startsWith('secret:')) {
      const slash = body.indexOf('/', 7);
      if (slash < 0) fail('names no key: write {{secret:NAME/K}}');
      const secret = body.slice(7, slash);
      ref = body.slice(slash + 1);
      if (!isDns1123Subdomain(secret)) fail(`names "${secret}", which is not a Secret name (DNS-1123 subdomain)`);
      if (options.selfName !== undefined && secret === options.selfName) fail(`names this Secret itself: use {{key:${ref}}}`);
      part = { secret, key: ref };
    } else {
      fail('is not a placeholder');
    }
    if (!isConfigKey(ref!)) fail(`names "${ref}", which is not a valid Secret key`);
    if (text) parts.push({ text });
    text = '';
    parts.push(part!);
    i = open + m![0].length;
  }
  if (text) parts.push({ text });
  return parts;
}

function parseCertificate(raw: unknown): Certificate {
  const field = (f: string) => `certificate.${f}`;
  const fail = (f: string, why: string): never => {
    throw new GenerateSpecError(why, undefined, field(f));
  };
  if (!isObject(raw)) throw new GenerateSpecError('must be an object with "commonName"', undefined, 'certificate');
  unknownFields(raw, ['commonName', 'dnsNames', 'ipAddresses', 'isCA', 'issuer', 'validityDays', 'keySize'], undefined, 'certificate');
  const cn = raw.commonName;
  if (typeof cn !== 'string' || cn.trim() === '' || cn.length > MAX_COMMON_NAME) fail('commonName', `${JSON.stringify(cn)} is not a string of 1 to ${MAX_COMMON_NAME} characters`);
  const list = (f: string, check: (s: string) => boolean, what: string): string[] => {
    const v = raw[f];
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(f, 'must be a list of strings');
    for (const s of v) if (typeof s !== 'string' || !check(s)) fail(f, `${JSON.stringify(s)} is not ${what}`);
    return [...new Set(v as string[])];
  };
  const dnsNames = list('dnsNames', (s) => s.length <= 253 && DNS_NAME.test(s), 'a DNS name');
  const ipAddresses = list('ipAddresses', (s) => isIP(s) !== 0, 'an IPv4 or IPv6 address');
  const isCA = raw.isCA ?? false;
  if (typeof isCA !== 'boolean') fail('isCA', 'must be true or false');
  const issuer = raw.issuer;
  if (issuer !== undefined && (typeof issuer !== 'string' || !isDns1123Subdomain(issuer))) {
    fail('issuer', `${JSON.stringify(issuer)} is not a Secret name (DNS-1123 subdomain)`);
  }
  const validityDays = raw.validityDays ?? DEFAULT_VALIDITY_DAYS;
  const badValidity = integerReason(validityDays, 1, MAX_VALIDITY_DAYS);
  if (badValidity) fail('validityDays', badValidity);
  const keySize = raw.keySize ?? DEFAULT_KEY_SIZE;
  if (!(KEY_SIZES as readonly unknown[]).includes(keySize)) fail('keySize', `${JSON.stringify(keySize)} is not one of ${KEY_SIZES.join(', ')} (RSA bits)`);
  return {
    commonName: cn as string,
    dnsNames,
    ipAddresses,
    isCA: isCA as boolean,
    ...(issuer !== undefined ? { issuer: issuer as string } : {}),
    validityDays: validityDays as number,
    keySize: keySize as KeySize,
  };
}

/** The spec as the annotation holds it: JSON with sorted keys, no whitespace (deterministic). */
export function renderGenerateSpec(spec: GenerateSpec): string {
  return JSON.stringify(sortDeep(spec));
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (isObject(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, sortDeep(v[k])]),
    );
  }
  return v;
}

function unknownFields(obj: Record<string, unknown>, allowed: readonly string[], key: string | undefined, where: string): void {
  for (const f of Object.keys(obj)) {
    if (!allowed.includes(f)) {
      const reason = `unknown field "${f}" (expected ${allowed.map((a) => `"${a}"`).join(', ')})`;
      throw key === undefined ? new GenerateSpecError(reason, undefined, where) : new GenerateSpecError(`${where}: ${reason}`, key);
    }
  }
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
