/**
 * The example ArmoniK stack is self-contained on a real API server: applied (with the CRDs of
 * the operators it expects, KEDA and Percona, installed as on a cluster running them), then the
 * stack's own secret generator runs as its synthesized ServiceAccount, and every Secret and
 * ConfigMap that a pod of the stack references exists with the keys it reads. The generated
 * material is real: the certificates verify against their CAs with openssl for the names the
 * consumers connect to (the servo's webhook certificate for its Service), the ActiveMQ keystore opens with its password, the MongoDB connection
 * string carries the application user's password.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleApp, EXAMPLE_NAMESPACE, EXAMPLE_SERVO_NAMESPACE } from '../../examples/cdk8s/app.js';
import { appObjects, connectToTestCluster, thirdPartyCrds, type KubeObject } from '../cluster/index.js';
import { declaredKeys, podReferences, unresolved } from '../fixtures/references.js';
import { ControllerProcess, serviceAccountKubeconfig, waitFor } from './config-aggregator.support.js';
import { decodeData } from './secret-generator.support.js';

const cluster = connectToTestCluster();
const ns = EXAMPLE_NAMESPACE;
let generator: ControllerProcess | undefined;
let work: string;

afterAll(async () => {
  await generator?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function secret(name: string, namespace = ns): Promise<any> {
  return cluster.get({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } });
}

test('with the secret generator running, every Secret and ConfigMap a pod of the stack references exists, with the keys it reads', async () => {
  work = mkdtempSync(join(tmpdir(), 'armonik-stack-'));
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  const objects = appObjects(buildExampleApp());
  // Warnings fail the apply: an unknown field of a custom resource (ScaledObject, PerconaServerMongoDB) would warn.
  // The field manager of examples-apply.test.ts, which applies the same stack to the same namespace.
  const applied = await cluster.applyObjects(objects, { fieldManager: 'platform-constructs-examples', namespace: ns, warnings: 'error' });
  expect(applied.length).toBe(objects.length);

  // Before the generator: the declared Secrets exist but the keys pods read are missing.
  const refs = podReferences(objects as any);
  const inCluster = async () => {
    const keys = new Map<string, string[] | undefined>();
    for (const r of refs) {
      const id = `${r.kind}/${r.namespace}/${r.name}`;
      if (keys.has(id)) continue;
      const o = await cluster.get({ apiVersion: 'v1', kind: r.kind, metadata: { name: r.name, namespace: r.namespace } });
      keys.set(id, o ? Object.keys({ ...(o as any).data, ...(o as any).binaryData }) : undefined);
    }
    return unresolved(refs, (kind, n, name) => keys.get(`${kind}/${n}/${name}`));
  };
  expect((await inCluster()).length).toBeGreaterThan(0);

  // The stack's own generator, with the args of its Deployment, as its ServiceAccount.
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata!.name === 'secret-generator') as any;
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port='));
  const kubeconfig = await serviceAccountKubeconfig(cluster, ns, deployment.spec.template.spec.serviceAccountName);
  generator = await ControllerProcess.start({ controller: 'secret-generator', kubeconfig, namespace: ns, podName: 'secret-generator-0', args });

  const generated = objects.filter((o) => o.kind === 'Secret');
  await waitFor('every declared Secret filled', async () => {
    for (const s of generated) {
      const stored = await secret(s.metadata!.name!, s.metadata!.namespace);
      const have = Object.keys({ ...stored?.data });
      if (!declaredKeys(s as any).every((k) => have.includes(k))) return false;
    }
    return true;
  }, 120_000, 500);
  expect(await inCluster()).toEqual([]);

  // The material is real: chains verify for the names consumers use; the keystore opens.
  const file = (name: string, text: string) => {
    const path = join(work, name);
    writeFileSync(path, text);
    return path;
  };
  const verify = (ca: string, cert: string, host: string) =>
    execFileSync('openssl', ['verify', '-CAfile', file('ca.pem', ca), '-verify_hostname', host, file('cert.pem', cert)], { encoding: 'utf8' });
  const activemq = decodeData(await secret('activemq-server-certificates'));
  const clientCa = decodeData(await secret('activemq'))['ca.pem'];
  expect(verify(clientCa, activemq['cert.pem'], 'activemq.armonik.svc.cluster.local')).toContain('OK');
  const pfx = Buffer.from((await secret('activemq-server-certificates')).data['certificate.pfx'], 'base64');
  writeFileSync(join(work, 'broker.pfx'), pfx);
  execFileSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', join(work, 'broker.pfx'), '-passin', `pass:${activemq['keystore-password']}`], { stdio: 'pipe' });
  expect(activemq['credentials.properties']).toMatch(/^guest.password=\w{24}$/m);
  const mongoTls = decodeData(await secret('mongodb-db-ps-ssl'));
  expect(verify(mongoTls['ca.crt'], mongoTls['tls.crt'], 'mongodb-db-ps-rs0-0.mongodb-db-ps-rs0.armonik.svc.cluster.local')).toContain('OK');
  const password = decodeData(await secret('mongodb-application-user-password')).password;
  expect(decodeData(await secret('mongodb-connection-string')).uri).toBe(
    `mongodb://application_user:${password}@mongodb-db-ps-rs0.armonik.svc.cluster.local:27017/database?replicaSet=rs0&tls=true`,
  );
  // The servo's webhook certificate, for the name the API server calls, signed by the CA it injects.
  const webhook = decodeData(await secret('servo-webhook-cert', EXAMPLE_SERVO_NAMESPACE));
  expect(verify(webhook['ca.crt'], webhook['tls.crt'], 'servo-webhook.servo-system.svc')).toContain('OK');
  // The ingress: its server certificate for the Service's names, signed by the CA every client Secret
  // carries (what clients trust it with); each client certificate signed by the client CA nginx verifies.
  const serverTls = decodeData(await secret('ingress-server-tls'));
  const serverCa = decodeData(await secret('ingress-server-ca'))['tls.crt'];
  expect(verify(serverCa, serverTls['tls.crt'], 'ingress.armonik.svc.cluster.local')).toContain('OK');
  const ingressClientCa = decodeData(await secret('ingress-client-ca'))['tls.crt'];
  for (const user of ['submitter', 'monitoring']) {
    const client = decodeData(await secret(`ingress-client-${user}`));
    expect(client['ca.crt']).toBe(serverCa);
    expect(execFileSync('openssl', ['verify', '-CAfile', file('client-ca.pem', ingressClientCa), '-purpose', 'sslclient', file('client.pem', client['tls.crt'])], { encoding: 'utf8' })).toContain('OK');
    expect(execFileSync('openssl', ['x509', '-noout', '-subject', '-in', file('client.pem', client['tls.crt'])], { encoding: 'utf8' })).toContain(`CN = armonik-${user}`);
  }
  // The consumers' credentials are the broker's and MinIO's own.
  const users = decodeData(await secret('activemq-user-credentials'));
  expect(activemq['credentials.properties']).toContain(`guest.username=${users.Amqp__User}\n`);
}, 300_000);

test('the custom resources of the stack are stored as the operators\' CRDs define them', async () => {
  const objects = appObjects(buildExampleApp()) as KubeObject[];
  for (const o of objects.filter((x) => x.kind === 'ScaledObject' || x.kind === 'PerconaServerMongoDB')) {
    const stored = (await cluster.get(o)) as any;
    expect(stored).toBeDefined();
    // Structural schemas prune unknown fields: all we wrote is stored (beside the CRDs' defaults).
    expect(stored.spec).toMatchObject((o as any).spec);
  }
}, 60_000);
