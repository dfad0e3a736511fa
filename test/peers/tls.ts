/**
 * A throw-away CA and one serving certificate for a test peer on loopback (SANs 127.0.0.1,
 * ::1, localhost), EC P-256, made with the openssl CLI. The CA is what a client is given
 * by reference (a CA bundle in a Secret or ConfigMap); the peer never presents it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PeerTls {
  /** The CA certificate, PEM: what clients trust. */
  readonly caPem: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** The serving certificate and key, PEM (for a Node server). */
  readonly certPem: string;
  readonly keyPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed: the test peers make their certificates with the openssl CLI');
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Writes ca.crt, ca.key, server.crt and server.key into `dir` (which must exist). */
export async function makePeerTls(dir: string, commonName: string): Promise<PeerTls> {
  await openssl(
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${commonName} test CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  await openssl(
    ['req', '-x509', '-CA', 'ca.crt', '-CAkey', 'ca.key', ...EC, '-keyout', 'server.key', '-out', 'server.crt',
      '-days', '2', '-subj', `/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext', 'extendedKeyUsage=serverAuth',
      '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'],
    dir,
  );
  const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')));
  return { caPem, caPath: join(dir, 'ca.crt'), certPath: join(dir, 'server.crt'), keyPath: join(dir, 'server.key'), certPem, keyPem };
}
