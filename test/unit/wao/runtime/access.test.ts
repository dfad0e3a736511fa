import { jest } from '@jest/globals';
import type { EndpointTerm } from '../../../../lib/api/wao/index.js';
import { AccessError, AccessResolver, type ObjectReader } from '../../../../runtime/wao/access.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Secrets and ConfigMaps by `resource/namespace/name`; every read is recorded. */
class FakeReader implements ObjectReader {
  readonly objects = new Map<string, { data?: Record<string, string> }>();
  readonly reads: string[] = [];
  async get<T>(ref: { apiVersion: string; resource: string; namespace?: string }, name: string): Promise<T | undefined> {
    const key = `${ref.resource}/${ref.namespace}/${name}`;
    this.reads.push(key);
    return structuredClone(this.objects.get(key)) as T | undefined;
  }
}

const term = (t: Omit<Partial<EndpointTerm>, 'type'> & { type: string }): EndpointTerm => ({ endpoint: 'https://10.0.0.1', fetchInterval: '15s', insecureSkipVerify: false, ...t }) as EndpointTerm;

async function accessError(p: Promise<unknown>): Promise<AccessError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AccessError);
    return err as AccessError;
  }
  throw new Error('expected an AccessError');
}

describe('AccessResolver', () => {
  let reader: FakeReader;
  let resolver: AccessResolver;
  beforeEach(() => {
    reader = new FakeReader();
    reader.objects.set('secrets/wao-system/bmc', { data: { username: b64('admin'), password: b64('s3cr:t') } });
    resolver = new AccessResolver({ reader, ttlMs: 30_000 });
  });
  afterEach(() => jest.restoreAllMocks());

  it('decodes basic auth from the base64 data of the Secret in the term namespace', async () => {
    const a = await resolver.resolve('wao-system', term({ type: 'Redfish', basicAuthSecret: { name: 'bmc' } }));
    expect(a).toEqual({ type: 'Redfish', endpoint: 'https://10.0.0.1', insecureSkipVerify: false, basicAuth: { username: 'admin', password: 's3cr:t' } });
    expect(reader.reads).toEqual(['secrets/wao-system/bmc']);
  });

  it('no Secret, no read: only type, endpoint and insecureSkipVerify', async () => {
    const a = await resolver.resolve('wao-system', term({ type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', insecureSkipVerify: true }));
    expect(a).toEqual({ type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', insecureSkipVerify: true });
    expect(reader.reads).toEqual([]);
  });

  it('a missing Secret is AccessError SecretNotFound naming it', async () => {
    const e = await accessError(resolver.resolve('other-ns', term({ type: 'Redfish', basicAuthSecret: { name: 'bmc' } })));
    expect(e.reason).toBe('SecretNotFound');
    expect(e.message).toContain('other-ns/bmc');
  });

  it.each([
    [{ username: b64('admin') }, 'password'],
    [{ password: b64('x') }, 'username'],
  ])('a Secret without a key is SecretInvalid naming the key (%p)', async (data, missing) => {
    reader.objects.set('secrets/wao-system/partial', { data });
    const e = await accessError(resolver.resolve('wao-system', term({ type: 'Redfish', basicAuthSecret: { name: 'partial' } })));
    expect(e.reason).toBe('SecretInvalid');
    expect(e.message).toContain(`no key ${missing}`);
  });

  it('a Secret without data names both keys', async () => {
    reader.objects.set('secrets/wao-system/empty', {});
    const e = await accessError(resolver.resolve('wao-system', term({ type: 'Redfish', basicAuthSecret: { name: 'empty' } })));
    expect(e.reason).toBe('SecretInvalid');
    expect(e.message).toMatch(/username.*password/);
  });

  it('reads a CA bundle from a ConfigMap (plain text) and from a Secret (base64)', async () => {
    reader.objects.set('configmaps/wao-system/ca', { data: { 'ca.crt': PEM } });
    reader.objects.set('secrets/wao-system/ca', { data: { 'bundle.pem': b64(PEM) } });
    const fromCm = await resolver.resolve('wao-system', term({ type: 'Redfish', caBundle: { configMap: { name: 'ca', key: 'ca.crt' } } }));
    expect(fromCm.caPem).toBe(PEM);
    const fromSecret = await resolver.resolve('wao-system', term({ type: 'Redfish', caBundle: { secret: { name: 'ca', key: 'bundle.pem' } } }));
    expect(fromSecret.caPem).toBe(PEM);
    expect(reader.reads).toEqual(['configmaps/wao-system/ca', 'secrets/wao-system/ca']);
  });

  it('a CA bundle that is not PEM is CABundleInvalid; a missing key too; a missing object is CABundleNotFound', async () => {
    reader.objects.set('configmaps/wao-system/ca', { data: { 'ca.crt': 'not a certificate' } });
    // A Secret's value that is PEM only before base64 decoding is not PEM either.
    reader.objects.set('secrets/wao-system/raw', { data: { 'ca.crt': PEM } });
    let e = await accessError(resolver.resolve('wao-system', term({ type: 'Redfish', caBundle: { configMap: { name: 'ca', key: 'ca.crt' } } })));
    expect(e.reason).toBe('CABundleInvalid');
    expect(e.message).toContain('ConfigMap wao-system/ca');
    e = await accessError(resolver.resolve('wao-system', term({ type: 'Redfish', caBundle: { secret: { name: 'raw', key: 'ca.crt' } } })));
    expect(e.reason).toBe('CABundleInvalid');
    e = await accessError(resolver.resolve('wao-system', term({ type: 'Redfish', caBundle: { configMap: { name: 'ca', key: 'other.crt' } } })));
    expect(e.reason).toBe('CABundleInvalid');
    expect(e.message).toContain('no key other.crt');
    e = await accessError(resolver.resolve('wao-system', term({ type: 'Redfish', caBundle: { secret: { name: 'nope', key: 'ca.crt' } } })));
    expect(e.reason).toBe('CABundleNotFound');
    expect(e.message).toContain('Secret wao-system/nope');
  });

  it('caches what it read for ttlMs: one read for many resolves, a new read after expiry', async () => {
    let now = 1_700_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const r = new AccessResolver({ reader, ttlMs: 30_000 });
    const t = term({ type: 'Redfish', basicAuthSecret: { name: 'bmc' } });
    await Promise.all([r.resolve('wao-system', t), r.resolve('wao-system', t)]);
    await r.resolve('wao-system', t);
    expect(reader.reads).toEqual(['secrets/wao-system/bmc']);
    // Rotated password: still the cached one within the TTL, the new one after it.
    reader.objects.set('secrets/wao-system/bmc', { data: { username: b64('admin'), password: b64('new') } });
    now += 29_999;
    expect((await r.resolve('wao-system', t)).basicAuth?.password).toBe('s3cr:t');
    now += 1;
    expect((await r.resolve('wao-system', t)).basicAuth?.password).toBe('new');
    expect(reader.reads).toHaveLength(2);
  });

  it('a missing Secret is remembered for the TTL too (no read per fetch)', async () => {
    const t = term({ type: 'Redfish', basicAuthSecret: { name: 'later' } });
    await accessError(resolver.resolve('wao-system', t));
    await accessError(resolver.resolve('wao-system', t));
    expect(reader.reads).toEqual(['secrets/wao-system/later']);
  });

  it('forgetSecret forces a re-read (after an Unauthorized answer)', async () => {
    const t = term({ type: 'Redfish', basicAuthSecret: { name: 'bmc' } });
    await resolver.resolve('wao-system', t);
    reader.objects.set('secrets/wao-system/bmc', { data: { username: b64('admin'), password: b64('rotated') } });
    resolver.forgetSecret('wao-system', 'bmc');
    expect((await resolver.resolve('wao-system', t)).basicAuth?.password).toBe('rotated');
    expect(reader.reads).toEqual(['secrets/wao-system/bmc', 'secrets/wao-system/bmc']);
    // Another namespace's Secret of the same name is a different entry.
    resolver.forgetSecret('other', 'bmc');
    await resolver.resolve('wao-system', t);
    expect(reader.reads).toHaveLength(2);
  });

  it('Fake needs no reads, whatever the term references', async () => {
    const a = await resolver.resolve(
      'wao-system',
      term({ type: 'Fake', endpoint: '', basicAuthSecret: { name: 'missing' }, caBundle: { configMap: { name: 'missing', key: 'ca.crt' } } }),
    );
    expect(a).toEqual({ type: 'Fake', endpoint: '' });
    expect(reader.reads).toEqual([]);
  });

  it('an override (a provided predictor endpoint) replaces type and endpoint and keeps the term credentials', async () => {
    const a = await resolver.resolve('wao-system', term({ type: '', endpoint: '', basicAuthSecret: { name: 'bmc' } }), {
      type: 'V2InferenceProtocol',
      endpoint: 'http://10.0.0.9:8080/v2/models/m/infer',
    });
    expect(a).toMatchObject({ type: 'V2InferenceProtocol', endpoint: 'http://10.0.0.9:8080/v2/models/m/infer', basicAuth: { username: 'admin', password: 's3cr:t' } });
    const fake = await resolver.resolve('wao-system', term({ type: '', basicAuthSecret: { name: 'bmc' } }), { type: 'Fake', endpoint: '' });
    expect(fake).toEqual({ type: 'Fake', endpoint: '' });
  });
});
