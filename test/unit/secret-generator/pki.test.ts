/**
 * Certificates and keystores, checked by three independent readers: node-forge, Node's
 * X509Certificate and the openssl command line (and Java's keytool when the machine has one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import type { Certificate } from '../../../lib/api/secret-generator/index.js';
import { CertificateError, fromPkcs12, issueCertificate, loadIssuer, toPkcs12 } from '../../../runtime/secret-generator/pki.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (s: Partial<Certificate>): Certificate => ({ commonName: 'x', dnsNames: [], ipAddresses: [], isCA: false, validityDays: 365, keySize: 2048, ...s });
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const ca = issueCertificate(spec({ commonName: 'armonik-ca', isCA: true, validityDays: 3650 }));
const issuer = loadIssuer(ca.certPem, ca.keyPem, 'armonik-ca');
const now = new Date();
const leaf = issueCertificate(spec({ commonName: 'activemq.armonik.svc.cluster.local', dnsNames: ['activemq', 'activemq.armonik.svc'], ipAddresses: ['127.0.0.1', '::1'] }), issuer, now);

describe('certificates', () => {
  it('the CA: CA:TRUE, keyCertSign and cRLSign, self-signed, SHA-256, subject = issuer, key identifiers equal', () => {
    const c = forge.pki.certificateFromPem(ca.certPem);
    expect(c.getExtension('basicConstraints')).toMatchObject({ critical: true, cA: true });
    expect(c.getExtension('keyUsage')).toMatchObject({ critical: true, keyCertSign: true, cRLSign: true });
    expect(c.verify(c)).toBe(true);
    expect(forge.pki.oids[c.siginfo.algorithmOid]).toBe('sha256WithRSAEncryption');
    const text = openssl(['x509', '-in', file('ca.pem', ca.certPem), '-noout', '-text']);
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)![1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s*\\n\\s*(keyid:)?${ski}`));
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
  });

  it('a leaf: verified against its CA by node-forge and by `openssl verify -CAfile`', () => {
    const caStore = forge.pki.createCaStore([ca.certPem]);
    expect(forge.pki.verifyCertificateChain(caStore, [forge.pki.certificateFromPem(leaf.certPem)])).toBe(true);
    const out = spawnSync('openssl', ['verify', '-CAfile', file('ca.pem', ca.certPem), file('leaf.pem', leaf.certPem)], { encoding: 'utf8' });
    expect(out.stdout.trim()).toBe(`${join(dir, 'leaf.pem')}: OK`);
    expect(out.status).toBe(0);
    // And not against another CA.
    const other = issueCertificate(spec({ commonName: 'other-ca', isCA: true }));
    const bad = spawnSync('openssl', ['verify', '-CAfile', file('other.pem', other.certPem), file('leaf.pem', leaf.certPem)], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });

  it('a leaf: SANs (common name first), CA:FALSE, server and client auth, key identifiers, random serial, validity', () => {
    const x = new X509Certificate(leaf.certPem);
    expect(x.subjectAltName).toBe('DNS:activemq.armonik.svc.cluster.local, DNS:activemq, DNS:activemq.armonik.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x.issuer).toBe('CN=armonik-ca');
    expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    const text = openssl(['x509', '-in', file('leaf.pem', leaf.certPem), '-noout', '-text']);
    expect(text).toMatch(/Key Usage: critical\s*\n\s*Digital Signature, Key Encipherment/);
    const caSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(openssl(['x509', '-in', file('ca.pem', ca.certPem), '-noout', '-text']))![1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s*\\n\\s*(keyid:)?${caSki}`));
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(365);
    expect(Date.parse(x.validFrom)).toBeLessThan(now.getTime());
    const serials = new Set(Array.from({ length: 3 }, () => new X509Certificate(issueCertificate(spec({ keySize: 2048 }), issuer).certPem).serialNumber));
    expect(serials.size).toBe(3);
    expect(x.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('an IP address as common name becomes an IP SAN; a free-text name no SAN', () => {
    expect(new X509Certificate(issueCertificate(spec({ commonName: '10.0.0.1' })).certPem).subjectAltName).toBe('IP Address:10.0.0.1');
    expect(new X509Certificate(issueCertificate(spec({ commonName: 'My Service' })).certPem).subjectAltName).toBeUndefined();
  });

  it('key sizes: 3072 bits when asked', () => {
    const c = issueCertificate(spec({ keySize: 3072 }));
    expect(createPrivateKey(c.keyPem).asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(c.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
  });

  it('an issuer must be a CA whose key matches', () => {
    expect(() => loadIssuer(leaf.certPem, leaf.keyPem, 'leaf')).toThrow(/issuer "leaf": tls.crt is not a CA certificate/);
    expect(() => loadIssuer(ca.certPem, leaf.keyPem, 'mixed')).toThrow(/private key does not match its certificate/);
    expect(() => loadIssuer('garbage', ca.keyPem, 'g')).toThrow(CertificateError);
  });
});

describe('PKCS#12 keystores', () => {
  const password = 'Zq8rK2vT0pLm4nB7';
  const p12 = toPkcs12(leaf, [ca.certPem], password);

  it('is read by `openssl pkcs12 -info -nokeys` with the password, and refused without it', () => {
    const path = file('ks.p12', p12);
    const info = execFileSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', path, '-passin', `pass:${password}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(info).toContain('friendlyName: server');
    expect(info).toContain('subject=CN = activemq.armonik.svc.cluster.local');
    expect(info).toContain('subject=CN = armonik-ca');
    const key = execFileSync('openssl', ['pkcs12', '-in', path, '-nocerts', '-nodes', '-passin', `pass:${password}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(createPrivateKey(key.slice(key.indexOf('-----BEGIN'))).export({ type: 'pkcs8', format: 'pem' })).toBe(leaf.keyPem);
    expect(spawnSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', path, '-passin', 'pass:wrong']).status).not.toBe(0);
  });

  it('round-trips through node-forge', () => {
    const back = fromPkcs12(p12, password);
    expect(back.certPem).toBe(leaf.certPem);
    expect(back.keyPem).toBe(leaf.keyPem);
    expect(back.caPems).toEqual([ca.certPem]);
    expect(() => fromPkcs12(p12, 'nope')).toThrow(CertificateError);
  });

  const keytool = spawnSync('keytool', ['-help']).error ? undefined : 'keytool';
  (keytool ? it : it.skip)('is read by Java (keytool, store type PKCS12): one PrivateKeyEntry "server" with a chain of 2', () => {
    const out = execFileSync('keytool', ['-list', '-v', '-storetype', 'PKCS12', '-keystore', file('java.p12', p12), '-storepass', password], { encoding: 'utf8' });
    expect(out).toContain('Alias name: server');
    expect(out).toContain('Entry type: PrivateKeyEntry');
    expect(out).toContain('Certificate chain length: 2');
  });
});
