import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KitMetrics, WebhookServer, admission, pointerSegment } from '../../../runtime/kit/index.js';
import { issueCertificate } from '../../../runtime/secret-generator/pki.js';

const cert = (cn: string) => issueCertificate({ commonName: cn, dnsNames: [], ipAddresses: ['127.0.0.1'], isCA: false, validityDays: 1, keySize: 2048 });
const first = cert('first');
const dir = mkdtempSync(join(tmpdir(), 'webhook-unit-'));
const certFile = join(dir, 'tls.crt');
const keyFile = join(dir, 'tls.key');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function post(port: number, path: string, body: string, ca: string): Promise<{ status: number; body: string; cert: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, method: 'POST', ca, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), cert: String(peer.subject?.CN ?? '') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const review = (object: unknown, uid = 'u-1') =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: { group: '', version: 'v1', resource: 'configmaps' }, operation: 'CREATE', userInfo: {}, namespace: 'n', object },
  });

describe('WebhookServer', () => {
  let server: WebhookServer;
  let port: number;
  const metrics = new KitMetrics();

  beforeAll(async () => {
    writeFileSync(certFile, first.certPem);
    writeFileSync(keyFile, first.keyPem);
    server = new WebhookServer({ port: 0, host: '127.0.0.1', certFile, keyFile, reloadIntervalMs: 3_600_000, timeoutMs: 200, maxBodyBytes: 4096, metrics })
      .mutating('/mutate', () => admission.patch([{ op: 'add', path: `/metadata/labels/${pointerSegment('a/b~c')}`, value: 'x' }], ['patched']))
      .validating('/validate', (req) => ((req.object as any)?.data?.bad ? admission.deny('bad is bad', 422) : admission.allow()))
      .validating('/wrong', () => admission.patch([{ op: 'remove', path: '/data' }]))
      .validating('/slow', (_req, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(admission.allow()))))
      .mutating('/throws', () => {
        throw new Error('handler bug');
      });
    port = await server.start();
  });
  afterAll(() => server.stop());

  it('answers AdmissionReview v1: a base64 JSONPatch for mutating, allowed/denied with status for validating', async () => {
    const m = await post(port, '/mutate', review({ metadata: { name: 'x', labels: {} } }), first.certPem);
    expect(m.status).toBe(200);
    const res = JSON.parse(m.body);
    expect(res).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true, patchType: 'JSONPatch', warnings: ['patched'] } });
    expect(JSON.parse(Buffer.from(res.response.patch, 'base64').toString())).toEqual([{ op: 'add', path: '/metadata/labels/a~1b~0c', value: 'x' }]);
    const ok = JSON.parse((await post(port, '/validate', review({ data: {} }, 'u-2'), first.certPem)).body);
    expect(ok.response).toEqual({ uid: 'u-2', allowed: true });
    const no = JSON.parse((await post(port, '/validate', review({ data: { bad: '1' } }, 'u-3'), first.certPem)).body);
    expect(no.response).toEqual({ uid: 'u-3', allowed: false, status: { code: 422, message: 'bad is bad', reason: 'Forbidden' } });
  });

  it('refuses what is not an admission request, too large, too slow or failing with an HTTP error (the failurePolicy decides)', async () => {
    expect((await post(port, '/nowhere', review({}), first.certPem)).status).toBe(404);
    expect((await post(port, '/validate', 'not json', first.certPem)).status).toBe(400);
    expect((await post(port, '/validate', JSON.stringify({ kind: 'Pod' }), first.certPem)).status).toBe(400);
    expect((await post(port, '/validate', review({ data: { big: 'x'.repeat(5000) } }), first.certPem)).status).toBe(413);
    const slow = await post(port, '/slow', review({}), first.certPem);
    expect(slow.status).toBe(504);
    expect(slow.body).toContain('did not answer within 200 ms');
    expect((await post(port, '/throws', review({}), first.certPem)).status).toBe(500);
    expect((await post(port, '/wrong', review({}), first.certPem)).status).toBe(500);
    const results = (await metrics.registry.getSingleMetric('kit_webhook_requests_total')!.get()).values.map((v) => `${v.labels.webhook} ${v.labels.result}`);
    expect(results).toEqual(expect.arrayContaining(['unknown not_found', '/validate bad_request', '/validate too_large', '/slow timeout', '/throws error', '/mutate patched', '/validate denied']));
  });

  it('reloads changed certificate files; an invalid pair is refused and the current certificate kept', async () => {
    expect((await post(port, '/validate', review({}), first.certPem)).cert).toBe('first');
    const second = cert('second');
    writeFileSync(`${certFile}.new`, second.certPem);
    renameSync(`${certFile}.new`, certFile); // the key does not match yet
    expect(server.reload()).toBe(false);
    expect((await post(port, '/validate', review({}), first.certPem)).cert).toBe('first');
    writeFileSync(`${keyFile}.new`, second.keyPem);
    renameSync(`${keyFile}.new`, keyFile);
    expect(server.reload()).toBe(true);
    expect(server.reload()).toBe(false); // unchanged files: nothing to do
    expect((await post(port, '/validate', review({}), second.certPem)).cert).toBe('second');
    await expect(post(port, '/validate', review({}), first.certPem)).rejects.toThrow();
    const reloads = (await metrics.registry.getSingleMetric('kit_webhook_certificate_reloads_total')!.get()).values;
    expect(Object.fromEntries(reloads.map((v) => [v.labels.result, v.value]))).toEqual({ invalid: 1, ok: 1 });
  });
});

describe('WebhookServer without its certificate files yet', () => {
  const at = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d);
    return { certFile: join(d, 'tls.crt'), keyFile: join(d, 'tls.key') };
  };

  it('listens, fails handshakes and is not ready until the files appear, then serves them', async () => {
    const files = at('later');
    const server = new WebhookServer({ port: 0, host: '127.0.0.1', ...files, reloadIntervalMs: 3_600_000, waitIntervalMs: 20 }).validating('/validate', () => admission.allow());
    expect(server.readiness()).toBe('webhook server not started');
    try {
      const port = await server.start();
      expect(server.readiness()).toBe('webhook certificate not present yet');
      expect(server.certificateHash).toBe('');
      await expect(post(port, '/validate', review({}), first.certPem)).rejects.toThrow();
      // What the kubelet does when the generator has filled the Secret: the files appear.
      writeFileSync(files.keyFile, first.keyPem);
      writeFileSync(files.certFile, first.certPem);
      const t0 = Date.now();
      while (server.readiness() !== undefined && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
      expect(server.readiness()).toBeUndefined();
      expect(server.certificateHash).not.toBe('');
      const res = await post(port, '/validate', review({}), first.certPem);
      expect(res.status).toBe(200);
      expect(res.cert).toBe('first');
    } finally {
      await server.stop();
    }
  });

  it('takes empty files (the placeholders of a kubernetes.io/tls Secret) for absent ones', async () => {
    const files = at('empty');
    writeFileSync(files.certFile, '');
    writeFileSync(files.keyFile, '');
    const server = new WebhookServer({ port: 0, host: '127.0.0.1', ...files, reloadIntervalMs: 3_600_000, waitIntervalMs: 3_600_000 });
    try {
      await server.start();
      expect(server.readiness()).toBe('webhook certificate not present yet');
      expect(server.reload()).toBe(false);
      writeFileSync(files.certFile, first.certPem);
      expect(server.reload()).toBe(false); // the key is still empty
      writeFileSync(files.keyFile, first.keyPem);
      expect(server.reload()).toBe(true);
      expect(server.readiness()).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('still refuses to start on files that exist but are not a valid pair', async () => {
    const files = at('invalid');
    writeFileSync(files.certFile, first.certPem);
    writeFileSync(files.keyFile, cert('other').keyPem);
    const server = new WebhookServer({ port: 0, host: '127.0.0.1', ...files });
    try {
      await expect(server.start()).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });
});
