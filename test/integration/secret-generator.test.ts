/**
 * The secret generator against the real API server (the shared test cluster), running as a child
 * process with the token of the ServiceAccount its construct synthesizes: RBAC is exactly what ships.
 * The declared Secrets are synthesized by GeneratedSecret and applied with server-side apply as a
 * GitOps tool would (field manager `platform-constructs`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { jest } from '@jest/globals';
import { Chart, Testing } from 'cdk8s';
import {
  GENERATED_AT_ANNOTATION,
  GENERATED_KEYS_ANNOTATION,
  GENERATE_LABEL,
  GeneratedSecret,
  SECRET_GENERATOR_FIELD_MANAGER,
  SPEC_ANNOTATION,
  SecretGenerator,
  SecretValue,
} from '../../constructs/secret-generator/index.js';
import { connectToTestCluster, proveApply, randomSuffix, type KubeObject } from '../cluster/index.js';
import { removeKubeconfigs, sleep, waitFor, type ControllerProcess } from './config-aggregator.support.js';
import { decodeData, deployGenerator, type DeployedGenerator } from './secret-generator.support.js';

jest.setTimeout(180_000);

const cluster = connectToTestCluster();
const work = mkdtempSync(join(tmpdir(), 'secret-generator-it-'));

afterAll(() => {
  removeKubeconfigs();
  rmSync(work, { recursive: true, force: true });
});

const GITOPS = 'platform-constructs';

async function getSecret(namespace: string, name: string): Promise<any | undefined> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`, undefined, { allowStatus: [404] });
  return res.statusCode === 404 ? undefined : res.body;
}

async function events(namespace: string, name: string): Promise<any[]> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${namespace}/events?fieldSelector=involvedObject.name=${name}`);
  return res.body.items;
}

/**
 * Server-side apply as the GitOps tool (no force: a conflict is an error, as with `kubectl apply
 * --server-side`). The API server warns about the empty placeholders of a `kubernetes.io/tls`
 * Secret (documented); any other warning fails.
 */
async function gitopsApply(objects: KubeObject[]): Promise<void> {
  const problems: string[] = [];
  await cluster.applyObjects(objects, {
    fieldManager: GITOPS,
    warnings: (w, o) => {
      if (!(o.type === 'kubernetes.io/tls' && /failed to find any PEM data in certificate input/.test(w))) problems.push(`${o.metadata?.name}: ${w}`);
    },
  });
  expect(problems).toEqual([]);
}

function declared(namespace: string): { objects: Record<string, KubeObject>; chart: Chart } {
  const chart = new Chart(Testing.app(), 'stack', { namespace });
  const ca = new GeneratedSecret(chart, 'armonik-ca', {
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': SecretValue.certificate('cert'), 'tls.key': SecretValue.certificate('key') },
    certificate: { commonName: 'armonik-ca', isCA: true },
  });
  new GeneratedSecret(chart, 'activemq', {
    data: {
      'keystore.p12': SecretValue.pkcs12('keystore-password'),
      'keystore-password': SecretValue.random({ length: 24 }),
      'ca.crt': SecretValue.certificate('ca'),
      'tls.crt': SecretValue.certificate('cert'),
      'tls.key': SecretValue.certificate('key'),
      chain: SecretValue.certificate('chain'),
    },
    certificate: { commonName: 'activemq.armonik.svc.cluster.local', dnsNames: ['activemq', 'activemq.armonik.svc'], ipAddresses: ['127.0.0.1'], issuer: ca },
  });
  new GeneratedSecret(chart, 'app-creds', {
    data: {
      username: SecretValue.value('admin'),
      password: SecretValue.random({ length: 32 }),
      uri: SecretValue.template('mongodb://{{key:username}}:{{key:password}}@mongodb.armonik.svc:27017/?token={{secret:late/token}}'),
    },
  });
  // Declared (and applied) after the Secret whose template reads it.
  new GeneratedSecret(chart, 'late', { data: { token: SecretValue.random({ length: 40, charset: 'hex' }) } });
  const objects: Record<string, KubeObject> = {};
  for (const o of chart.toJson() as KubeObject[]) objects[o.metadata!.name!] = o;
  return { objects, chart };
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('secret generator on a real API server', () => {
  let ns: string;
  let otherNs: string;
  let gen: DeployedGenerator;
  let ctrl: ControllerProcess;
  let objects: Record<string, KubeObject>;
  let filled: Record<string, any> = {};
  const names = ['armonik-ca', 'activemq', 'app-creds', 'late'];

  beforeAll(async () => {
    ns = await cluster.createNamespace('secgen');
    otherNs = await cluster.createNamespace('secgen-other');
    gen = await deployGenerator(cluster, ns);
    ctrl = await gen.start('generator-0');
    await ctrl.waitReady();
    await waitFor('leadership', () => ctrl.isLeader(), 30_000);
    objects = declared(ns).objects;
  });

  afterAll(async () => {
    await ctrl?.stop();
    expect(ctrl.exited?.code).toBe(0);
  });

  it('fills declared Secrets: credentials, a CA and a leaf it issues, a keystore, a template that waits for a Secret declared after it', async () => {
    await gitopsApply([objects['armonik-ca'], objects.activemq, objects['app-creds']]);
    // app-creds reads `late`, which does not exist yet: it waits, and says so.
    const waiting = await waitFor('waiting event', async () => (await events(ns, 'app-creds')).some((e) => e.reason === 'WaitingForDependency'), 20_000)
      .then(() => events(ns, 'app-creds'));
    const ev = waiting.find((e) => e.reason === 'WaitingForDependency');
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Secret', name: 'app-creds' } });
    expect(ev.message).toMatch(/key "uri": Secret "late" does not exist/);
    // The keys that do not wait are there already.
    const partial = decodeData(await getSecret(ns, 'app-creds'));
    expect(Object.keys(partial).sort()).toEqual(['password', 'username']);
    expect(await ctrl.metric('secret_generator_secrets', { state: 'waiting' })).toBe(1);

    await gitopsApply([objects.late]);
    await waitFor('all filled', async () => {
      for (const n of names) filled[n] = await getSecret(ns, n);
      return decodeData(filled['app-creds']).uri !== undefined && Object.keys(filled.activemq.data ?? {}).length === 6 && filled['armonik-ca'].data['tls.crt'] !== '';
    }, 30_000);

    const creds = decodeData(filled['app-creds']);
    const late = decodeData(filled.late);
    expect(creds.username).toBe('admin');
    expect(creds.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(late.token).toMatch(/^[0-9a-f]{40}$/);
    expect(creds.uri).toBe(`mongodb://admin:${creds.password}@mongodb.armonik.svc:27017/?token=${late.token}`);
    for (const n of names) {
      const meta = filled[n].metadata;
      expect(meta.annotations[GENERATED_AT_ANNOTATION]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(meta.annotations[GENERATED_KEYS_ANNOTATION]).toBe(Object.keys(filled[n].data).sort().join(','));
      // Nothing else of the declared metadata changed.
      expect(meta.labels).toEqual(objects[n].metadata!.labels);
      expect(meta.annotations[SPEC_ANNOTATION]).toBe(objects[n].metadata!.annotations![SPEC_ANNOTATION]);
      expect(Object.keys(meta.annotations).sort()).toEqual([GENERATED_AT_ANNOTATION, GENERATED_KEYS_ANNOTATION, SPEC_ANNOTATION].sort());
      expect(meta.managedFields.map((f: any) => f.manager).sort()).toEqual([GITOPS, SECRET_GENERATOR_FIELD_MANAGER].sort());
    }

    // The CA and the leaf: chain verified by openssl, SANs, usages; the keystore opens with its password.
    const ca = decodeData(filled['armonik-ca']);
    const mq = decodeData(filled.activemq);
    expect(filled['armonik-ca'].type).toBe('kubernetes.io/tls');
    expect(new X509Certificate(ca['tls.crt']).ca).toBe(true);
    expect(mq['ca.crt']).toBe(ca['tls.crt']);
    expect(mq.chain).toBe(mq['tls.crt'] + ca['tls.crt']);
    writeFileSync(join(work, 'ca.pem'), ca['tls.crt']);
    writeFileSync(join(work, 'leaf.pem'), mq['tls.crt']);
    expect(openssl(['verify', '-CAfile', join(work, 'ca.pem'), join(work, 'leaf.pem')])).toContain('leaf.pem: OK');
    const leaf = new X509Certificate(mq['tls.crt']);
    expect(leaf.subjectAltName).toBe('DNS:activemq.armonik.svc.cluster.local, DNS:activemq, DNS:activemq.armonik.svc, IP Address:127.0.0.1');
    expect(leaf.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(mq['tls.key'])))).toBe(true);
    const p12 = join(work, 'ks.p12');
    writeFileSync(p12, Buffer.from(filled.activemq.data['keystore.p12'], 'base64'));
    const info = openssl(['pkcs12', '-info', '-nokeys', '-in', p12, '-passin', `pass:${mq['keystore-password']}`]);
    expect(info).toContain('friendlyName: server');
    expect(info).toContain('subject=CN = activemq.armonik.svc.cluster.local');
    expect(info).toContain('subject=CN = armonik-ca');
    expect(() => openssl(['pkcs12', '-info', '-nokeys', '-in', p12, '-passin', 'pass:wrong'])).toThrow();
    expect(await ctrl.metric('secret_generator_secrets', { state: 'complete' })).toBe(4);
    expect(await ctrl.metric('secret_generator_certificates_issued_total')).toBe(2);
  });

  it('a restarted controller changes nothing', async () => {
    const before = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await getSecret(ns, n)] as const)));
    await ctrl.stop();
    ctrl = await gen.start('generator-1');
    await ctrl.waitReady();
    await waitFor('leadership', () => ctrl.isLeader(), 30_000);
    // Becoming leader reconciles every labelled Secret: wait until each was looked at.
    await waitFor('every Secret reconciled', async () => (await ctrl.metric('secret_generator_secrets', { state: 'complete' })) === 4, 20_000);
    expect(await ctrl.metric('secret_generator_writes_total')).toBe(0);
    for (const n of names) {
      const after = await getSecret(ns, n);
      expect([n, after.metadata.resourceVersion]).toEqual([n, before[n].metadata.resourceVersion]);
      expect(after.data).toEqual(before[n].data);
    }
  });

  it('keeps a key the user edited and regenerates only a deleted one (a template from current values, a keystore from the certificate present)', async () => {
    const path = (n: string) => `/api/v1/namespaces/${ns}/secrets/${n}`;
    await cluster.request('PATCH', path('app-creds'), { data: { password: Buffer.from('user-chosen').toString('base64') } }, { contentType: 'application/merge-patch+json' });
    await cluster.request('PATCH', path('app-creds'), [{ op: 'remove', path: '/data/uri' }], { contentType: 'application/json-patch+json' });
    await cluster.request('PATCH', path('activemq'), [{ op: 'remove', path: '/data/keystore.p12' }], { contentType: 'application/json-patch+json' });
    const creds = await waitFor('uri regenerated', async () => decodeData(await getSecret(ns, 'app-creds')).uri !== undefined, 20_000).then(async () => decodeData(await getSecret(ns, 'app-creds')));
    expect(creds.password).toBe('user-chosen');
    expect(creds.uri).toBe(`mongodb://admin:user-chosen@mongodb.armonik.svc:27017/?token=${decodeData(filled.late).token}`);
    const mq = await waitFor('keystore regenerated', async () => (await getSecret(ns, 'activemq')).data['keystore.p12'] !== undefined, 20_000).then(() => getSecret(ns, 'activemq'));
    const text = decodeData(mq);
    for (const k of ['tls.crt', 'tls.key', 'ca.crt', 'chain', 'keystore-password']) expect([k, text[k]]).toEqual([k, decodeData(filled.activemq)[k]]);
    writeFileSync(join(work, 'ks2.p12'), Buffer.from(mq.data['keystore.p12'], 'base64'));
    const certs = openssl(['pkcs12', '-in', join(work, 'ks2.p12'), '-nokeys', '-clcerts', '-passin', `pass:${text['keystore-password']}`]);
    expect(new X509Certificate(certs).fingerprint256).toBe(new X509Certificate(text['tls.crt']).fingerprint256);
    expect(mq.metadata.annotations[GENERATED_KEYS_ANNOTATION]).toBe('ca.crt,chain,keystore-password,keystore.p12,tls.crt,tls.key');
  });

  it('a GitOps re-apply of the declared manifests (server-side apply, no data) keeps the generated data', async () => {
    const opaque = ['activemq', 'app-creds', 'late'];
    const before = Object.fromEntries(await Promise.all(opaque.map(async (n) => [n, await getSecret(ns, n)] as const)));
    // The same manifests, and then a changed one (a new label), as a GitOps sync would apply them.
    await gitopsApply(opaque.map((n) => objects[n]));
    const relabelled = opaque.map((n) => ({ ...objects[n], metadata: { ...objects[n].metadata, labels: { ...objects[n].metadata!.labels, team: 'a' } } }));
    await gitopsApply(relabelled);
    await sleep(1000); // give the controller every chance to (wrongly) act on the change
    for (const n of opaque) {
      const after = await getSecret(ns, n);
      expect(after.metadata.labels.team).toBe('a');
      expect([n, after.data]).toEqual([n, before[n].data]);
      expect(after.metadata.annotations[GENERATED_KEYS_ANNOTATION]).toBe(before[n].metadata.annotations[GENERATED_KEYS_ANNOTATION]);
    }
  });

  it('a placeholder the type requires (kubernetes.io/tls) is taken over: a re-apply without force conflicts instead of clearing it', async () => {
    const before = await getSecret(ns, 'armonik-ca');
    await expect(gitopsApply([objects['armonik-ca']])).rejects.toThrow(/409|conflict/i);
    expect((await getSecret(ns, 'armonik-ca')).data).toEqual(before.data);
  });

  it('never touches a Secret without the label', async () => {
    const spec = objects.late.metadata!.annotations![SPEC_ANNOTATION];
    await cluster.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'unlabelled', annotations: { [SPEC_ANNOTATION]: spec } },
    });
    // A labelled Secret created after it is filled: the controller has seen everything before it.
    await gitopsApply([{ ...objects.late, metadata: { ...objects.late.metadata, name: 'marker' } }]);
    await waitFor('marker filled', async () => (await getSecret(ns, 'marker')).data?.token !== undefined, 20_000);
    const s = await getSecret(ns, 'unlabelled');
    expect(s.data).toBeUndefined();
    expect(s.metadata.managedFields.map((f: any) => f.manager)).not.toContain(SECRET_GENERATOR_FIELD_MANAGER);
    expect(s.metadata.labels?.[GENERATE_LABEL]).toBeUndefined();
    expect(await events(ns, 'unlabelled')).toEqual([]);
  });

  it('an invalid spec writes nothing and yields a Warning Event naming the annotation, the key and the reason', async () => {
    const bad = (name: string, spec: unknown): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns, labels: { [GENERATE_LABEL]: 'true' }, annotations: { [SPEC_ANNOTATION]: typeof spec === 'string' ? spec : JSON.stringify(spec) } },
    });
    await gitopsApply([
      bad('bad-length', { keys: { password: { random: { length: 0 } } } }),
      bad('bad-cycle', { keys: { a: { template: '{{key:b}}' }, b: { template: '{{key:a}}' } } }),
      bad('bad-json', '{"keys": {'),
    ]);
    const expected: Array<[string, RegExp]> = [
      ['bad-length', /annotation platform-constructs\.io\/generate-spec: key "password": random\.length: 0 is not an integer from 1 to 256/],
      ['bad-cycle', /annotation platform-constructs\.io\/generate-spec: key "a": dependency cycle a -> b -> a/],
      ['bad-json', /annotation platform-constructs\.io\/generate-spec: spec: not valid JSON/],
    ];
    for (const [name, text] of expected) {
      const evs = await waitFor(`event on ${name}`, async () => (await events(ns, name)).some((e) => e.reason === 'InvalidGenerateSpec'), 20_000).then(() => events(ns, name));
      const ev = evs.find((e) => e.reason === 'InvalidGenerateSpec');
      expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Secret', name } });
      expect(ev.message).toMatch(text);
      expect((await getSecret(ns, name)).data).toBeUndefined();
    }
    expect(await ctrl.metric('secret_generator_invalid_total')).toBeGreaterThanOrEqual(3);
    expect(await ctrl.metric('secret_generator_secrets', { state: 'invalid' })).toBe(3);
  });

  it('RBAC: a Secret in a namespace it does not watch is not touched, and it has no permission there', async () => {
    await gitopsApply([{ ...objects.late, metadata: { ...objects.late.metadata, namespace: otherNs } }]);
    await gitopsApply([{ ...objects.late, metadata: { ...objects.late.metadata, name: 'marker2' } }]);
    await waitFor('marker2 filled', async () => (await getSecret(ns, 'marker2')).data?.token !== undefined, 20_000);
    expect((await getSecret(otherNs, 'late')).data).toBeUndefined();
    const as = cluster.clientAs(ns, gen.generator.serviceAccountName);
    for (const [method, path, body] of [
      ['GET', `/api/v1/namespaces/${otherNs}/secrets/late`, undefined],
      ['GET', `/api/v1/namespaces/${otherNs}/secrets`, undefined],
      ['GET', '/api/v1/secrets', undefined],
      ['PATCH', `/api/v1/namespaces/${otherNs}/secrets/late`, { data: { token: 'eA==' } }],
    ] as const) {
      const res = await cluster.request(method, path, body, { kubeConfig: as, allowStatus: [403], contentType: 'application/merge-patch+json' });
      expect([method, path, res.statusCode]).toEqual([method, path, 403]);
    }
    // In its own namespace it may read and write Secrets, and nothing in others.
    expect((await cluster.request('GET', `/api/v1/namespaces/${ns}/secrets`, undefined, { kubeConfig: as })).statusCode).toBe(200);
  });
});

describe('secret generator manifests', () => {
  it('are admitted under PodSecurity restricted: pods created, a second apply changes nothing', async () => {
    const ns = `secgen-manifests-${randomSuffix()}`;
    const chart = new Chart(Testing.app(), 'c', { namespace: ns });
    new SecretGenerator(chart, 'generator');
    new GeneratedSecret(chart, 'creds', { data: { password: SecretValue.random() } });
    const report = await proveApply(cluster, chart.toJson() as KubeObject[], { fieldManager: 'secret-generator-test' });
    expect(report.workloads).toEqual([expect.objectContaining({ ref: expect.stringContaining('Deployment'), pods: 2 })]);
    expect(report.changedBySecondApply).toEqual([]);
  });
});
