/**
 * The test cluster's PKI: one CA, a serving certificate for kube-apiserver, client
 * certificates for the admin and kube-controller-manager, and the service-account
 * signing key. EC P-256 keys made with the openssl CLI: a dozen fast processes.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly controllerManagerCert: string;
  readonly controllerManagerKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'openssl is not installed: the test cluster makes its certificates with the openssl CLI. ' +
          'Install it (e.g. `apt-get install -y openssl`) and run the tests again.',
      );
    }
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function leaf(
  dir: string,
  name: string,
  subject: string,
  extensions: string[],
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(
    [
      'req', '-x509', '-CA', 'ca.crt', '-CAkey', 'ca.key', ...EC,
      '-keyout', key, '-out', cert, '-days', '30', '-subj', subject,
      '-addext', 'basicConstraints=critical,CA:FALSE',
      ...extensions.flatMap((e) => ['-addext', e]),
    ],
    dir,
  );
  return { cert, key };
}

/** A client certificate signed by the cluster's CA (a node component's: `/O=system:nodes/CN=system:node:x`). */
export function clientCertificate(pki: Pki, name: string, subject: string): Promise<{ cert: string; key: string }> {
  return leaf(pki.dir, name, subject, ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth']);
}

/** Creates the PKI in `dir` (which must exist); `servingIps` are more addresses of kube-apiserver's certificate. */
export async function createPki(dir: string, servingIps: readonly string[] = []): Promise<Pki> {
  await openssl(
    [
      'req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30',
      '-subj', '/CN=platform-constructs-test-ca',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const clientExt = ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
  const [serving, admin, kcm] = await Promise.all([
    leaf(dir, 'apiserver', '/CN=kube-apiserver', [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=IP:127.0.0.1,IP:10.0.0.1,${servingIps.map((ip) => `IP:${ip},`).join('')}DNS:localhost,` +
        'DNS:kubernetes,DNS:kubernetes.default,' +
        'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
    ]),
    leaf(dir, 'admin', '/O=system:masters/CN=platform-constructs-admin', clientExt),
    leaf(dir, 'controller-manager', '/CN=system:kube-controller-manager', clientExt),
    (async () => {
      await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key'], dir);
      await openssl(['ec', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    })(),
  ]);
  const pki: Pki = {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: serving.cert,
    servingKey: serving.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    controllerManagerCert: kcm.cert,
    controllerManagerKey: kcm.key,
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  await writeFile(join(dir, 'README'), 'Throw-away PKI of a platform-constructs test cluster.\n');
  return pki;
}
