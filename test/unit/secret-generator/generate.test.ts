/**
 * What the generator adds to a Secret, as a pure function: never a key that exists, templates
 * from current values, certificate keys derived from a certificate already present.
 */
import { X509Certificate } from 'node:crypto';
import { CHARSETS, validateGenerateSpec, type Charset } from '../../../lib/api/secret-generator/index.js';
import { ExistingDataError, fillSecret, missingKeys, randomString, type OtherSecret } from '../../../runtime/secret-generator/generate.js';
import { fromPkcs12, issueCertificate } from '../../../runtime/secret-generator/pki.js';

const text = (added: Readonly<Record<string, Buffer>>) => Object.fromEntries(Object.entries(added).map(([k, v]) => [k, v.toString('utf8')]));
const buf = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));

describe('random values', () => {
  it.each(Object.keys(CHARSETS) as Charset[])('%s: exact length, only the charset, every symbol used, no repeats', (charset) => {
    const symbols = CHARSETS[charset];
    const values = Array.from({ length: 200 }, () => randomString(64, charset));
    const seen = new Set<string>();
    for (const v of values) {
      expect(v).toHaveLength(64);
      for (const ch of v) {
        expect(symbols).toContain(ch);
        seen.add(ch);
      }
    }
    // 12,800 draws from at most 64 symbols: every symbol shows up (a missed one has odds below 1e-80).
    expect(seen.size).toBe(symbols.length);
    expect(new Set(values).size).toBe(values.length);
  });

  it('is close to uniform (chi-square over 64,000 alphanumeric draws)', () => {
    const symbols = CHARSETS.alphanumeric;
    const counts = new Map<string, number>();
    const draws = Array.from({ length: 250 }, () => randomString(256, 'alphanumeric')).join('');
    for (const ch of draws) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const expected = draws.length / symbols.length;
    const chi2 = [...symbols].reduce((s, ch) => s + ((counts.get(ch) ?? 0) - expected) ** 2 / expected, 0);
    // 61 degrees of freedom: p = 1e-6 at about 130. A modulo bias (256 % 62) would give thousands.
    expect(chi2).toBeLessThan(130);
  });

  it('honours length 1 and 256', () => {
    expect(randomString(1, 'hex')).toMatch(/^[0-9a-f]$/);
    expect(randomString(256, 'base64url')).toMatch(/^[A-Za-z0-9_-]{256}$/);
  });
});

describe('fillSecret: never overwrite', () => {
  const spec = validateGenerateSpec({
    keys: {
      username: { value: 'admin' },
      password: { random: { length: 20 } },
      uri: { template: 'mongodb://{{key:username}}:{{key:password}}@db/?t={{secret:other/token}}' },
    },
  });
  const other = (data: Record<string, string>, generating = false): ((n: string) => OtherSecret | undefined) => (n) => (n === 'other' ? { data: buf(data), generating } : undefined);

  it('generates every key of an empty Secret, dependencies first', () => {
    const r = fillSecret({ spec, data: {}, secrets: other({ token: 'T' }) });
    const a = text(r.added);
    expect(Object.keys(a).sort()).toEqual(['password', 'uri', 'username']);
    expect(a.username).toBe('admin');
    expect(a.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(a.uri).toBe(`mongodb://admin:${a.password}@db/?t=T`);
    expect(r.waiting.size).toBe(0);
    expect(r.kinds).toEqual({ username: 'value', password: 'random', uri: 'template' });
  });

  it('keeps existing keys and builds missing ones from their current values', () => {
    const r = fillSecret({ spec, data: buf({ password: 'user-chosen', extra: 'x' }), secrets: other({ token: 'T' }) });
    expect(text(r.added)).toEqual({ username: 'admin', uri: 'mongodb://admin:user-chosen@db/?t=T' });
  });

  it('adds nothing to a complete Secret', () => {
    const data = buf({ username: 'root', password: 'p', uri: 'u' });
    expect(missingKeys(spec, data)).toEqual([]);
    expect(fillSecret({ spec, data, secrets: () => undefined }).added).toEqual({});
  });

  it('waits for another Secret, generating what does not depend on it', () => {
    const missing = fillSecret({ spec, data: {}, secrets: () => undefined });
    expect(Object.keys(missing.added).sort()).toEqual(['password', 'username']);
    expect([...missing.waiting]).toEqual([['uri', 'Secret "other" does not exist']]);
    expect(missing.waitingOn).toEqual(['other']);
    const lacking = fillSecret({ spec, data: {}, secrets: other({}, true) });
    expect([...lacking.waiting]).toEqual([['uri', 'Secret "other" has no key "token" yet']]);
  });

  it('a key waiting for a waiting key waits too', () => {
    const s = validateGenerateSpec({ keys: { a: { template: '{{secret:other/x}}' }, b: { template: '[{{key:a}}]' }, c: { random: {} } } });
    const r = fillSecret({ spec: s, data: {}, secrets: () => undefined });
    expect(Object.keys(r.added)).toEqual(['c']);
    expect(r.waiting.get('b')).toBe('waits for key "a"');
  });

  it('treats the empty placeholders of kubernetes.io/tls and basic-auth as missing, and only those', () => {
    const s = validateGenerateSpec({ keys: { username: { value: 'u' }, password: { random: {} }, note: { value: 'n' } } });
    expect(missingKeys(s, { username: '', password: '', note: '' }, 'kubernetes.io/basic-auth')).toEqual(['password', 'username']);
    expect(missingKeys(s, { username: '', password: '', note: '' }, 'Opaque')).toEqual([]);
    const r = fillSecret({ spec: s, type: 'kubernetes.io/basic-auth', data: buf({ username: '', note: '' }) });
    expect(Object.keys(r.added).sort()).toEqual(['password', 'username']);
  });
});

describe('fillSecret: certificates', () => {
  const leafSpec = (extra: object = {}) =>
    validateGenerateSpec({
      keys: {
        'tls.crt': { certificate: 'cert' },
        'tls.key': { certificate: 'key' },
        'ca.crt': { certificate: 'ca' },
        chain: { certificate: 'chain' },
        both: { certificate: 'certAndKey' },
        'keystore.p12': { pkcs12: { passwordKey: 'pw' } },
        pw: { random: {} },
      },
      certificate: { commonName: 'svc.ns', issuer: 'ca', ...extra },
    });
  const ca = issueCertificate({ commonName: 'test-ca', dnsNames: [], ipAddresses: [], isCA: true, validityDays: 30, keySize: 2048 });
  const caSecret = (n: string): OtherSecret | undefined => (n === 'ca' ? { data: buf({ 'tls.crt': ca.certPem, 'tls.key': ca.keyPem }), generating: true } : undefined);

  it('issues one pair from the issuer and derives every certificate key from it', () => {
    const r = fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret });
    const a = text(r.added);
    expect(r.issued).toBe(true);
    expect(a['ca.crt']).toBe(ca.certPem);
    expect(a.chain).toBe(a['tls.crt'] + ca.certPem);
    expect(a.both).toBe(a['tls.crt'] + a['tls.key']);
    const ks = fromPkcs12(r.added['keystore.p12'], a.pw);
    expect(ks.certPem).toBe(a['tls.crt']);
    expect(ks.caPems).toEqual([ca.certPem]);
    expect(new X509Certificate(a['tls.crt']).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it('derives missing certificate keys from the certificate present, issuing nothing', () => {
    const first = text(fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added);
    const kept = { 'tls.crt': first['tls.crt'], 'tls.key': first['tls.key'], pw: 'keep-me' };
    const r = fillSecret({ spec: leafSpec(), data: buf(kept), secrets: caSecret });
    expect(r.issued).toBe(false);
    expect(Object.keys(r.added).sort()).toEqual(['both', 'ca.crt', 'chain', 'keystore.p12']);
    expect(text(r.added).both).toBe(first['tls.crt'] + first['tls.key']);
    expect(fromPkcs12(r.added['keystore.p12'], 'keep-me').certPem).toBe(first['tls.crt']);
  });

  it('recovers the pair from a certAndKey key or from the keystore and its password', () => {
    const first = text(fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added);
    const fromBoth = fillSecret({ spec: leafSpec(), data: buf({ both: first.both }), secrets: caSecret });
    expect(text(fromBoth.added)['tls.crt']).toBe(first['tls.crt']);
    const ks = fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added;
    const pw = ks.pw.toString();
    const fromKeystore = fillSecret({ spec: leafSpec(), data: { 'keystore.p12': ks['keystore.p12'], pw: ks.pw }, secrets: caSecret });
    expect(fromKeystore.issued).toBe(false);
    expect(text(fromKeystore.added)['tls.crt']).toBe(fromPkcs12(ks['keystore.p12'], pw).certPem);
  });

  it('refuses to issue a new pair beside half of an old one', () => {
    const first = text(fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added);
    expect(() => fillSecret({ spec: leafSpec(), data: buf({ 'tls.crt': first['tls.crt'] }), secrets: caSecret })).toThrow(ExistingDataError);
    expect(() => fillSecret({ spec: leafSpec(), data: buf({ 'tls.crt': first['tls.crt'] }), secrets: caSecret })).toThrow(
      /key "both": cannot be derived: "tls.crt" holds a certificate whose private key is no longer in this Secret; delete "tls.crt" too/,
    );
  });

  it('refuses a cert and key that do not match', () => {
    const a = text(fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added);
    const b = text(fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added);
    expect(() => fillSecret({ spec: leafSpec(), data: buf({ 'tls.crt': a['tls.crt'], 'tls.key': b['tls.key'] }), secrets: caSecret })).toThrow(/private key does not match its certificate/);
  });

  it('waits for an issuer that does not exist or has no key pair yet; refuses one that is not a CA', () => {
    const none = fillSecret({ spec: leafSpec(), data: {}, secrets: () => undefined });
    expect(Object.keys(none.added)).toEqual(['pw']);
    expect(none.waiting.get('tls.crt')).toBe('issuer Secret "ca" does not exist');
    expect(none.waitingOn).toEqual(['ca']);
    const pending = fillSecret({ spec: leafSpec(), data: {}, secrets: (n) => (n === 'ca' ? { data: buf({ 'tls.crt': '', 'tls.key': '' }), generating: true } : undefined) });
    expect(pending.waiting.get('keystore.p12')).toMatch(/issuer Secret "ca" has no tls.crt and tls.key yet/);
    const leaf = issueCertificate({ commonName: 'not-a-ca', dnsNames: [], ipAddresses: [], isCA: false, validityDays: 1, keySize: 2048 });
    const notCa = fillSecret({ spec: leafSpec(), data: {}, secrets: (n) => (n === 'ca' ? { data: buf({ 'tls.crt': leaf.certPem, 'tls.key': leaf.keyPem }), generating: false } : undefined) });
    expect(notCa.waiting.get('tls.crt')).toMatch(/issuer "ca": tls.crt is not a CA certificate/);
  });

  it('refuses to derive the CA of a certificate another issuer signed', () => {
    const first = text(fillSecret({ spec: leafSpec(), data: {}, secrets: caSecret }).added);
    const otherCa = issueCertificate({ commonName: 'other-ca', dnsNames: [], ipAddresses: [], isCA: true, validityDays: 30, keySize: 2048 });
    const rotated = (n: string) => (n === 'ca' ? { data: buf({ 'tls.crt': otherCa.certPem, 'tls.key': otherCa.keyPem }), generating: false } : undefined);
    expect(() => fillSecret({ spec: leafSpec(), data: buf({ 'tls.crt': first['tls.crt'], 'tls.key': first['tls.key'] }), secrets: rotated })).toThrow(
      /not issued by the current certificate of issuer "ca"/,
    );
  });

  it('self-signed: the CA is the certificate itself, the chain just the certificate', () => {
    const s = validateGenerateSpec({ keys: { crt: { certificate: 'cert' }, ca: { certificate: 'ca' }, chain: { certificate: 'chain' } }, certificate: { commonName: 'self' } });
    const a = text(fillSecret({ spec: s, data: {} }).added);
    expect(a.ca).toBe(a.crt);
    expect(a.chain).toBe(a.crt);
  });
});
