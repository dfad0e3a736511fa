/**
 * The kit's admission webhook server, called by the real kube-apiserver of the test harness over
 * TLS: a MutatingWebhookConfiguration and a ValidatingWebhookConfiguration point at
 * https://127.0.0.1:<port>/... with the CA of a serving certificate made here, scoped by
 * namespaceSelector to one test namespace. Proves the JSONPatch is applied, a denial reaches
 * the client with its message, and a rotated certificate (new CA) is picked up from the files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { KitMetrics, WebhookServer, admission, pointerSegment, type KubeObject } from '../../runtime/kit/index.js';
import { connectToTestCluster, randomSuffix, type KubeObject as ClusterObject } from '../cluster/index.js';

jest.setTimeout(120_000);

const run = promisify(execFile);
const cluster = connectToTestCluster();
const dir = mkdtempSync(join(tmpdir(), 'webhook-it-'));
const MUTATED = 'webhook.platform-constructs.io/mutated';

/** A CA and a serving certificate for 127.0.0.1 signed by it (EC P-256, openssl CLI as the harness's PKI). */
async function makePki(name: string): Promise<{ ca: string; cert: string; key: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.crt`, '-days', '1', '-subj', `/CN=${name}-ca`, '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { cwd: dir });
  await run('openssl', ['req', '-x509', '-CA', `${name}-ca.crt`, '-CAkey', `${name}-ca.key`, ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', '/CN=webhook', '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir });
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read(`${name}-ca.crt`), cert: read(`${name}.crt`), key: read(`${name}.key`) };
}

/** Replaces a file the way a Secret volume does: a new inode, never a half-written file. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/** Whether a TLS client that trusts only `ca` accepts the server's certificate. */
function trustedBy(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('admission webhook server called by the real API server', () => {
  const suffix = randomSuffix();
  const mutatingName = `kit-mutate-${suffix}`;
  const validatingName = `kit-validate-${suffix}`;
  let server: WebhookServer | undefined;

  afterAll(async () => {
    await cluster.request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${mutatingName}`, undefined, { allowStatus: [404] });
    await cluster.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${validatingName}`, undefined, { allowStatus: [404] });
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the JSONPatch, denies with the message, and serves a rotated certificate', async () => {
    const first = await makePki('first');
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const metrics = new KitMetrics();
    const seen: string[] = [];
    server = new WebhookServer({ port: 0, host: '127.0.0.1', certFile, keyFile, reloadIntervalMs: 200, timeoutMs: 5000, metrics })
      .mutating('/mutate-configmaps', (req) => {
        seen.push(`${req.operation} ${req.namespace}/${req.name ?? req.object?.metadata?.name}`);
        const labels = req.object?.metadata?.labels;
        return admission.patch([
          labels ? { op: 'add', path: `/metadata/labels/${pointerSegment(MUTATED)}`, value: 'true' } : { op: 'add', path: '/metadata/labels', value: { [MUTATED]: 'true' } },
        ]);
      })
      .validating<KubeObject & { data?: Record<string, string> }>('/validate-configmaps', (req) =>
        req.object?.data && 'forbidden' in req.object.data ? admission.deny('data key "forbidden" is not allowed in this namespace') : admission.allow(),
      );
    const port = await server.start();
    const ns = await cluster.createNamespace('webhook');

    const webhook = (kind: 'mutate' | 'validate', ca: string) => ({
      name: `${kind}.kit.platform-constructs.io`,
      clientConfig: { url: `https://127.0.0.1:${port}/${kind}-configmaps`, caBundle: Buffer.from(ca).toString('base64') },
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], scope: 'Namespaced' }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      failurePolicy: 'Fail',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 10,
    });
    const configure = async (ca: string) => {
      await cluster.applyObjects(
        [
          { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: mutatingName }, webhooks: [webhook('mutate', ca)] },
          { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: validatingName }, webhooks: [webhook('validate', ca)] },
        ] as unknown as ClusterObject[],
        { fieldManager: 'webhook-test', namespace: ns },
      );
    };
    const create = (name: string, data: Record<string, string>, dryRun = false) =>
      cluster.request('POST', `/api/v1/namespaces/${ns}/configmaps${dryRun ? '?dryRun=All' : ''}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }, { allowStatus: [400, 403, 500] });
    let probes = 0;
    /** Creates (dry run) until the API server calls the webhooks with the current configuration. */
    const patchedProbe = async () => {
      const res = await create(`probe-${probes++}`, { a: '1' }, true);
      return res.statusCode === 201 && res.body?.metadata?.labels?.[MUTATED] === 'true';
    };

    await configure(first.ca);
    await waitFor('the API server to call the webhooks', patchedProbe);

    // Mutating: the JSONPatch is applied to the stored object.
    const created = await create('app', { a: '1' });
    expect(created.statusCode).toBe(201);
    expect(created.body.metadata.labels).toEqual({ [MUTATED]: 'true' });
    expect(seen).toContain(`CREATE ${ns}/app`);
    const stored = await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/app`);
    expect(stored.body.metadata.labels[MUTATED]).toBe('true');

    // Validating: denied, with the message, and nothing stored.
    const denied = await create('bad', { forbidden: 'x' });
    expect(denied.statusCode).toBe(403);
    expect(denied.body.message).toContain('denied the request: data key "forbidden" is not allowed in this namespace');
    const missing = await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/bad`, undefined, { allowStatus: [404] });
    expect(missing.statusCode).toBe(404);
    expect(await metricValue(metrics, 'kit_webhook_requests_total', { webhook: '/validate-configmaps', result: 'denied' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(metrics, 'kit_webhook_requests_total', { webhook: '/mutate-configmaps', result: 'patched' })).toBeGreaterThanOrEqual(2);

    // Rotation to a certificate of another CA: the files change, the server reloads them.
    const second = await makePki('second');
    expect(await trustedBy(port, first.ca)).toBe(true);
    expect(await trustedBy(port, second.ca)).toBe(false);
    const before = server.certificateHash;
    replaceFile(keyFile, second.key);
    replaceFile(certFile, second.cert);
    await waitFor('the reload', async () => server!.certificateHash !== before, 10_000);
    expect(await trustedBy(port, second.ca)).toBe(true);
    expect(await trustedBy(port, first.ca)).toBe(false);
    expect(await metricValue(metrics, 'kit_webhook_certificate_reloads_total', { result: 'ok' })).toBeGreaterThanOrEqual(1);

    // The API server, now trusting only the new CA, reaches the webhooks (failurePolicy Fail: it would refuse otherwise).
    await configure(second.ca);
    await waitFor('the API server to call the webhooks with the new CA', patchedProbe);
    const after = await create('after-rotation', { b: '2' });
    expect(after.statusCode).toBe(201);
    expect(after.body.metadata.labels[MUTATED]).toBe('true');
    const deniedAfter = await create('bad-after', { forbidden: 'y' });
    expect(deniedAfter.statusCode).toBe(403);
    expect(deniedAfter.body.message).toContain('data key "forbidden" is not allowed');
  });
});

async function metricValue(metrics: KitMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  return m?.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0) ?? 0;
}
