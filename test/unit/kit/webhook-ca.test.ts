import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ApiError, CaInjector, type CaInjectorClient, type Logger, type PatchType, type ResourceRef } from '../../../runtime/kit/index.js';
import { FakeClock, flush } from './fake-clock.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBnew\n-----END CERTIFICATE-----\n';
const OLD = '-----BEGIN CERTIFICATE-----\nMIIBold\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const dir = mkdtempSync(join(tmpdir(), 'webhook-ca-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

interface Config {
  metadata: { name: string; resourceVersion?: string };
  webhooks: Array<{ name: string; clientConfig: { caBundle?: string; service?: object } }>;
}

/** Webhook configurations by `<resource>/<name>`; JSON patches applied as the API server does (a failed `test` is a 422). */
class FakeConfigurations implements CaInjectorClient {
  readonly objects = new Map<string, Config>();
  readonly gets: string[] = [];
  readonly patches: Array<{ key: string; ops: any[]; type?: PatchType }> = [];
  /** The next requests fail with this error. */
  failNext: Error[] = [];

  put(resource: string, name: string, caBundles: Array<string | undefined>): void {
    this.objects.set(`${resource}/${name}`, {
      metadata: { name },
      webhooks: caBundles.map((ca, i) => ({ name: `w${i}.example.io`, clientConfig: { service: { name: 'svc' }, ...(ca !== undefined ? { caBundle: ca } : {}) } })),
    });
  }

  bundles(resource: string, name: string): Array<string | undefined> {
    return this.objects.get(`${resource}/${name}`)!.webhooks.map((w) => w.clientConfig.caBundle);
  }

  async get<T>(ref: ResourceRef, name: string): Promise<T | undefined> {
    expect(ref.apiVersion).toBe('admissionregistration.k8s.io/v1');
    const key = `${ref.resource}/${name}`;
    this.gets.push(key);
    const err = this.failNext.shift();
    if (err) throw err;
    const o = this.objects.get(key);
    return o ? (structuredClone(o) as T) : undefined;
  }

  async patch<T>(ref: ResourceRef, name: string, ops: unknown, type?: PatchType): Promise<T> {
    const key = `${ref.resource}/${name}`;
    this.patches.push({ key, ops: ops as any[], type });
    const o = this.objects.get(key);
    if (!o) throw new ApiError(404, 'NotFound', 'not found');
    const copy = structuredClone(o) as any;
    for (const op of ops as any[]) {
      const [, , i, ...rest] = op.path.split('/');
      const webhook = copy.webhooks[Number(i)];
      if (op.op === 'test') {
        if (webhook?.[rest[0]] !== op.value) throw new ApiError(422, 'Invalid', `test failed at ${op.path}`);
      } else if (op.op === 'add' && rest.join('/') === 'clientConfig/caBundle') {
        webhook.clientConfig.caBundle = op.value;
      } else throw new Error(`unexpected op ${JSON.stringify(op)}`);
    }
    this.objects.set(key, copy);
    return copy as T;
  }
}

function recordingLogger(): { logger: Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function caFile(content?: string): string {
  const f = join(dir, `ca-${files++}.crt`);
  if (content !== undefined) writeFileSync(f, content);
  return f;
}

const MUTATING = 'mutatingwebhookconfigurations';
const VALIDATING = 'validatingwebhookconfigurations';
const configurations = [
  { type: 'mutating', name: 'ops-hooks' },
  { type: 'validating', name: 'ops-hooks' },
] as const;

describe('CaInjector', () => {
  it('patches every webhook whose caBundle differs, only those, with a test of its name at its index', async () => {
    const api = new FakeConfigurations();
    api.put(MUTATING, 'ops-hooks', [b64(CA), b64(OLD), undefined]);
    api.put(VALIDATING, 'ops-hooks', [undefined]);
    const injector = new CaInjector({ client: api, caFile: caFile(CA), configurations });
    const r = await injector.sync();
    expect(r).toEqual({
      ca: true,
      patched: [
        { configuration: 'mutating/ops-hooks', webhooks: ['w1.example.io', 'w2.example.io'] },
        { configuration: 'validating/ops-hooks', webhooks: ['w0.example.io'] },
      ],
      missing: [],
      failed: [],
    });
    expect(api.patches[0]).toEqual({
      key: `${MUTATING}/ops-hooks`,
      type: 'json',
      ops: [
        { op: 'test', path: '/webhooks/1/name', value: 'w1.example.io' },
        { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: b64(CA) },
        { op: 'test', path: '/webhooks/2/name', value: 'w2.example.io' },
        { op: 'add', path: '/webhooks/2/clientConfig/caBundle', value: b64(CA) },
      ],
    });
    expect(api.bundles(MUTATING, 'ops-hooks')).toEqual([b64(CA), b64(CA), b64(CA)]);
    expect(api.bundles(VALIDATING, 'ops-hooks')).toEqual([b64(CA)]);

    // Nothing differs any more: read, not written.
    const again = await injector.sync();
    expect(again.patched).toEqual([]);
    expect(api.patches).toHaveLength(2);
  });

  it('a missing configuration is logged and skipped, the others are patched; an API error too; nothing is thrown', async () => {
    const api = new FakeConfigurations();
    api.put(VALIDATING, 'ops-hooks', [undefined]);
    const { logger, lines } = recordingLogger();
    const injector = new CaInjector({ client: api, caFile: caFile(CA), configurations, logger });
    const r = await injector.sync();
    expect(r.missing).toEqual(['mutating/ops-hooks']);
    expect(r.patched.map((p) => p.configuration)).toEqual(['validating/ops-hooks']);
    expect(lines.find((l) => l.msg === 'webhook configuration not found; retrying')).toMatchObject({ level: 40, configuration: 'mutating/ops-hooks' });

    api.failNext = [new ApiError(403, 'Forbidden', 'GET mutatingwebhookconfigurations/ops-hooks: 403 forbidden')];
    const denied = await injector.sync();
    expect(denied.failed).toEqual(['mutating/ops-hooks']);
    expect(lines.find((l) => l.msg === 'cannot inject the webhook CA; retrying')?.err).toMatch(/403 forbidden/);
  });

  it('without a CA file (or with one that holds no certificate) it reads and writes nothing', async () => {
    const api = new FakeConfigurations();
    api.put(MUTATING, 'ops-hooks', [undefined]);
    expect(await new CaInjector({ client: api, caFile: caFile(), configurations }).sync()).toEqual({ ca: false, patched: [], missing: [], failed: [] });
    expect(await new CaInjector({ client: api, caFile: caFile(''), configurations }).sync()).toMatchObject({ ca: false });
    expect(api.gets).toEqual([]);
    expect(api.patches).toEqual([]);
  });

  it('as a runnable: waits for the CA file, retries a missing configuration with backoff, re-injects a reset bundle at the resync, follows a new CA', async () => {
    const clock = new FakeClock();
    const api = new FakeConfigurations();
    const file = caFile();
    const injector = new CaInjector({
      client: api,
      caFile: file,
      configurations: [{ type: 'mutating', name: 'ops-hooks' }],
      clock,
      fileCheckIntervalMs: 1000,
      resyncIntervalMs: 60_000,
      retryInitialMs: 1000,
    });
    const runnable = injector.runnable();
    expect(runnable.needLeaderElection).toBe(false);
    await runnable.start();
    await clock.advance(5000);
    expect(api.gets).toEqual([]); // no CA yet

    // The kubelet projects ca.crt; the configuration is not applied yet.
    writeFileSync(file, CA);
    await clock.advance(1000);
    expect(api.gets).toHaveLength(1);
    // Retried with backoff (1 s, then about 2 s), not only at the resync.
    await clock.advance(1100);
    expect(api.gets).toHaveLength(2);
    api.put(MUTATING, 'ops-hooks', [undefined, b64(OLD)]);
    await clock.advance(3000);
    expect(api.gets).toHaveLength(3);
    expect(api.bundles(MUTATING, 'ops-hooks')).toEqual([b64(CA), b64(CA)]);

    // A re-apply resets a bundle: repaired at the next resync, not before.
    api.put(MUTATING, 'ops-hooks', [b64(OLD), b64(CA)]);
    await clock.advance(50_000);
    expect(api.bundles(MUTATING, 'ops-hooks')).toEqual([b64(OLD), b64(CA)]);
    await clock.advance(10_000);
    expect(api.bundles(MUTATING, 'ops-hooks')).toEqual([b64(CA), b64(CA)]);
    const gets = api.gets.length;

    // A new CA in the file: injected within a file check.
    const NEW = CA.replace('MIIBnew', 'MIIBnewer');
    writeFileSync(file, NEW);
    await clock.advance(1000);
    expect(api.gets.length).toBe(gets + 1);
    expect(api.bundles(MUTATING, 'ops-hooks')).toEqual([b64(NEW), b64(NEW)]);

    await runnable.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(120_000);
    await flush();
    expect(api.gets.length).toBe(gets + 1);
  });
});
