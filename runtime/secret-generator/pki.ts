/**
 * Key pairs, X.509 certificates and PKCS#12 keystores. RSA keys come from Node's native
 * `generateKeyPairSync`, and so do the signatures; node-forge (pure JavaScript, bundled) builds
 * the certificates and keystores. Checks of existing material use Node's `X509Certificate`.
 */
import { X509Certificate, constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { PKCS12_FRIENDLY_NAME, type Certificate } from '../../lib/api/secret-generator/index.js';

/** A certificate and its private key, PEM (the key PKCS#8). */
export interface CertifiedKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A CA that signs: its certificate (first of `chainPem`), the whole `tls.crt`, and its key. */
export interface Issuer extends CertifiedKey {
  /** Every certificate of the issuer's `tls.crt`, the issuer's own first. */
  readonly chainPem: string;
}

/** Unusable certificate material (not a CA, key does not match, not PEM, wrong password...). */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** DigestInfo prefix of SHA-256 (RFC 8017 9.2 note 1): PKCS#1 v1.5 signatures sign prefix + digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
/** Back-dating of notBefore, for clocks of peers that run a little late. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The PEM blocks of `CERTIFICATE` in a text, normalized (LF line ends). */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`);
}

/** A private key PEM (PKCS#1 or PKCS#8) as PKCS#8 PEM; throws CertificateError. */
export function toPkcs8(keyPem: string, what = 'private key'): string {
  try {
    return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (err) {
    throw new CertificateError(`${what} is not a PEM private key (${(err as Error).message})`);
  }
}

function x509(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new CertificateError(`${what} is not a PEM certificate (${(err as Error).message})`);
  }
}

/** Checks that `keyPem` is the private key of the first certificate of `certPem`; returns them normalized. */
export function loadCertifiedKey(certPem: string, keyPem: string, what = 'certificate'): CertifiedKey {
  const [first] = pemCertificates(certPem);
  if (!first) throw new CertificateError(`${what} holds no PEM certificate`);
  const cert = x509(first, what);
  const pkcs8 = toPkcs8(keyPem, `${what}'s key`);
  if (!cert.checkPrivateKey(createPrivateKey(pkcs8))) throw new CertificateError(`${what}'s private key does not match its certificate`);
  return { certPem: first, keyPem: pkcs8 };
}

/** An issuer from a CA Secret's `tls.crt` and `tls.key`; throws CertificateError unless it is a CA whose key matches. */
export function loadIssuer(tlsCrt: string, tlsKey: string, name = 'issuer'): Issuer {
  const pair = loadCertifiedKey(tlsCrt, tlsKey, `issuer "${name}": tls.crt`);
  const cert = x509(pair.certPem, `issuer "${name}": tls.crt`);
  if (!cert.ca) throw new CertificateError(`issuer "${name}": tls.crt is not a CA certificate (basicConstraints CA:TRUE missing)`);
  return { ...pair, chainPem: pemCertificates(tlsCrt).join('') };
}

/** True when `certPem` is signed by the key of `issuerCertPem`. */
export function isSignedBy(certPem: string, issuerCertPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const issuer = new X509Certificate(issuerCertPem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** True when the certificate is self-signed (its own issuer). */
export function isSelfSigned(certPem: string): boolean {
  return isSignedBy(certPem, certPem);
}

/** A new RSA key of `bits` (native), PKCS#8 PEM. */
export function generateRsaKey(bits: number): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A signer forge's `certificate.sign` accepts, computing the RSA signature natively. */
function nativeSigner(keyPem: string): forge.pki.rsa.PrivateKey {
  const key = createPrivateKey(keyPem);
  return {
    sign(md: forge.md.MessageDigest) {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest])).toString('binary');
    },
  } as unknown as forge.pki.rsa.PrivateKey;
}

function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x40; // positive, minimal DER, 127 random bits
  return b.toString('hex');
}

function subjectKeyId(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  return ext?.subjectKeyIdentifier ? forge.util.hexToBytes(ext.subjectKeyIdentifier) : cert.generateSubjectKeyIdentifier().getBytes();
}

function isDnsName(s: string): boolean {
  return /^(\*\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/.test(s);
}

function isIpAddress(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));
}

/**
 * Issues a certificate for `spec` with a new key: signed by `issuer`, or self-signed when none.
 * SANs: the common name when it is a DNS name (or an IP address), the DNS names, the IP addresses.
 * CA: basicConstraints CA:TRUE, keyCertSign + cRLSign (+ digitalSignature); leaf: CA:FALSE,
 * digitalSignature + keyEncipherment, serverAuth + clientAuth. Subject and authority key
 * identifiers, SHA-256 with RSA, a random 127-bit serial, notBefore 5 minutes in the past.
 */
export function issueCertificate(spec: Certificate, issuer?: Issuer, now = new Date()): CertifiedKey {
  const keyPem = generateRsaKey(spec.keySize);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = serialNumber();
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + spec.validityDays * 86_400_000);
  const subject = [{ name: 'commonName', value: spec.commonName }];
  cert.setSubject(subject);
  const issuerCert = issuer ? forge.pki.certificateFromPem(issuer.certPem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);

  const altNames: Array<{ type: number; value?: string; ip?: string }> = [];
  const seen = new Set<string>();
  const addDns = (n: string) => !seen.has(`dns:${n.toLowerCase()}`) && (seen.add(`dns:${n.toLowerCase()}`), altNames.push({ type: 2, value: n }));
  const addIp = (ip: string) => !seen.has(`ip:${ip}`) && (seen.add(`ip:${ip}`), altNames.push({ type: 7, ip }));
  if (isIpAddress(spec.commonName)) addIp(spec.commonName);
  else if (isDnsName(spec.commonName)) addDns(spec.commonName);
  spec.dnsNames.forEach(addDns);
  spec.ipAddresses.forEach(addIp);

  const extensions: any[] = [
    { name: 'basicConstraints', critical: true, cA: spec.isCA },
    spec.isCA
      ? { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true }
      : { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    ...(spec.isCA ? [] : [{ name: 'extKeyUsage', serverAuth: true, clientAuth: true }]),
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
  ];
  cert.setExtensions(extensions);
  // After subjectKeyIdentifier exists: a self-signed certificate's authority is itself.
  const aki = issuerCert ? subjectKeyId(issuerCert) : subjectKeyId(cert);
  cert.setExtensions([...extensions, { name: 'authorityKeyIdentifier', keyIdentifier: aki }]);
  cert.sign(nativeSigner(issuer?.keyPem ?? keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'), keyPem };
}

/**
 * A PKCS#12 keystore (DER bytes): the key and certificate as one entry named `server`, followed
 * by the CA certificates; the key encrypted with AES-256-CBC (PBES2, PBKDF2 with HMAC-SHA256),
 * integrity by HMAC-SHA1 (what Java's `PKCS12` keystore and `openssl pkcs12` read).
 */
export function toPkcs12(pair: CertifiedKey, caPems: readonly string[], password: string): Buffer {
  const key = forge.pki.privateKeyFromPem(pair.keyPem);
  const certs = [pair.certPem, ...caPems].map((p) => forge.pki.certificateFromPem(p));
  // prfAlgorithm reaches forge's PBES2 (the typings omit it): PBKDF2 with HMAC-SHA256, not SHA-1.
  const options = { algorithm: 'aes256', prfAlgorithm: 'sha256', count: 10_000, friendlyName: PKCS12_FRIENDLY_NAME, generateLocalKeyId: true } as const;
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, options);
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** The key and certificates of a PKCS#12 keystore; throws CertificateError (bad password, not PKCS#12). */
export function fromPkcs12(der: Buffer, password: string): CertifiedKey & { readonly caPems: string[] } {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString('binary')), password);
  } catch (err) {
    throw new CertificateError(`not a PKCS#12 keystore this password opens (${(err as Error).message})`);
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  const key = keyBags[0]?.key;
  if (!key) throw new CertificateError('the PKCS#12 keystore holds no private key');
  const keyPem = toPkcs8(forge.pki.privateKeyToPem(key));
  const pems = certBags.flatMap((b) => (b.cert ? [forge.pki.certificateToPem(b.cert).replace(/\r\n/g, '\n')] : []));
  const own = pems.find((p) => new X509Certificate(p).checkPrivateKey(createPrivateKey(keyPem)));
  if (!own) throw new CertificateError('the PKCS#12 keystore holds no certificate of its private key');
  return { certPem: own, keyPem, caPems: pems.filter((p) => p !== own) };
}

/** SHA-256 fingerprint of a certificate, for logs. */
export function fingerprint(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex').slice(0, 16);
}
