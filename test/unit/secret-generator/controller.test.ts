/** The reconciler against in-memory fakes: what it writes, when it does not, and how it waits. */
import { GENERATED_KEYS_ANNOTATION, GENERATE_LABEL, SPEC_ANNOTATION } from '../../../lib/api/secret-generator/index.js';
import { ApiError, Backoff, KitMetrics, silentLogger } from '../../../runtime/kit/index.js';
import { SecretGeneratorController, type Secret } from '../../../runtime/secret-generator/index.js';
import { FakeListerWatcher, until } from '../kit/fake-lister-watcher.js';

const NS = 'apps';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const text = (s: Secret | undefined, k: string) => (s?.data?.[k] === undefined ? undefined : Buffer.from(s.data[k], 'base64').toString());

function declared(name: string, spec: unknown, extra: Partial<Secret> = {}): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    ...extra,
    metadata: { namespace: NS, name, uid: `uid-${name}`, labels: { [GENERATE_LABEL]: 'true' }, annotations: { [SPEC_ANNOTATION]: JSON.stringify(spec) }, ...extra.metadata },
  };
}

function harness(opts: { leader?: () => boolean; others?: Record<string, Secret> } = {}) {
  const secrets = new FakeListerWatcher<Secret>();
  const applies: Array<{ body: Secret; force: boolean }> = [];
  const events: any[] = [];
  const gets: string[] = [];
  const metrics = new KitMetrics();
  const controller = new SecretGeneratorController({
    options: { namespace: 'ops', namespaces: [NS], workers: 1, resyncIntervalMs: 0, maxRetryDelayMs: 200 },
    metrics,
    logger: silentLogger(),
    isLeader: opts.leader ?? (() => true),
    identity: 'pod-0',
    backoff: () => new Backoff(10, 50, 0),
    source: () => secrets,
    client: {
      async get(namespace, name) {
        gets.push(`${namespace}/${name}`);
        return opts.others?.[name];
      },
      async apply(body, force) {
        applies.push({ body: structuredClone(body), force });
        const cur = secrets.objects.get(`${NS}/${body.metadata!.name}`)!;
        if (cur.metadata!.resourceVersion !== body.metadata!.resourceVersion) throw new ApiError(409, 'Conflict', 'the object has been modified');
        return secrets.upsert({
          ...cur,
          metadata: { ...cur.metadata, annotations: { ...cur.metadata!.annotations, ...body.metadata!.annotations } },
          data: { ...cur.data, ...body.data },
        });
      },
    },
    events: { async create(namespace, event) { events.push({ namespace, ...event }); return event; } },
  });
  const get = (name: string) => secrets.objects.get(`${NS}/${name}`);
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    return m?.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0) ?? 0;
  };
  return { secrets, applies, events, gets, controller, get, metric, settle: () => new Promise((r) => setTimeout(r, 80)) };
}

describe('secret-generator controller', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => h?.controller.stop());

  it('applies only missing keys plus the keys it owns, with the resourceVersion and the status annotations', async () => {
    h = harness();
    h.secrets.upsertSilently(declared('creds', { keys: { user: { value: 'admin' }, password: { random: {} }, extra: { value: 'e' } } }, {
      data: { user: b64('root'), extra: b64('kept') },
      metadata: { annotations: { [SPEC_ANNOTATION]: JSON.stringify({ keys: { user: { value: 'admin' }, password: { random: {} }, extra: { value: 'e' } } }), [GENERATED_KEYS_ANNOTATION]: 'extra' } },
    }));
    h.controller.start();
    await until(() => h.applies.length === 1, 3000, 'write');
    const { body, force } = h.applies[0];
    expect(force).toBe(false);
    expect(body.metadata!.resourceVersion).toBe('2');
    // `extra` was generated before: it must be in every apply or the apply would remove it. `user` is the user's.
    expect(Object.keys(body.data!).sort()).toEqual(['extra', 'password']);
    expect(text(body, 'extra')).toBe('kept');
    expect(body.metadata!.annotations).toEqual({ [GENERATED_KEYS_ANNOTATION]: 'extra,password', 'platform-constructs.io/generated-at': expect.stringMatching(/Z$/) });
    expect(body.metadata!.labels).toBeUndefined();
    expect(text(h.get('creds'), 'user')).toBe('root');
    await h.settle();
    expect(h.applies).toHaveLength(1); // the update of its own write finds nothing missing
    expect(h.events.map((e) => e.reason)).toEqual(['Generated']);
  });

  it('takes over the empty placeholders of a kubernetes.io/tls Secret (force), and only then', async () => {
    h = harness();
    const spec = { keys: { 'tls.crt': { certificate: 'cert' }, 'tls.key': { certificate: 'key' } }, certificate: { commonName: 'x', isCA: true } };
    h.secrets.upsertSilently(declared('ca', spec, { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }));
    h.controller.start();
    await until(() => h.applies.length === 1, 5000, 'write');
    expect(h.applies[0].force).toBe(true);
    expect(text(h.get('ca'), 'tls.crt')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('writes nothing without the lease', async () => {
    h = harness({ leader: () => false });
    h.secrets.upsertSilently(declared('creds', { keys: { p: { random: {} } } }));
    h.controller.start();
    await until(() => h.controller.notReadyReason() === undefined);
    await h.settle();
    expect(h.applies).toEqual([]);
  });

  it('an invalid spec: one Warning Event, no write, no retry until the Secret changes', async () => {
    h = harness();
    h.secrets.upsertSilently(declared('bad', { keys: { p: { random: { length: 999 } } } }));
    h.controller.start();
    await until(() => h.events.length === 1, 3000, 'event');
    expect(h.events[0]).toMatchObject({ type: 'Warning', reason: 'InvalidGenerateSpec', involvedObject: { kind: 'Secret', name: 'bad', namespace: NS } });
    expect(h.events[0].message).toBe('annotation platform-constructs.io/generate-spec: key "p": random.length: 999 is not an integer from 1 to 256');
    const reconciles = await h.metric('kit_reconcile_total', { controller: 'secret-generator' });
    await h.settle();
    expect(await h.metric('kit_reconcile_total', { controller: 'secret-generator' })).toBe(reconciles);
    expect(await h.metric('secret_generator_secrets', { state: 'invalid' })).toBe(1);
    // Fixed by the user: filled.
    await until(() => h.secrets.watching);
    h.secrets.upsert(declared('bad', { keys: { p: { random: { length: 9 } } } }));
    await until(() => text(h.get('bad'), 'p')?.length === 9, 3000, 'fixed and filled');
    expect(h.applies).toHaveLength(1);
  });

  it('waits for a Secret it reads (GET when it is not labelled), retries with backoff, and at once when a labelled one appears', async () => {
    h = harness();
    h.secrets.upsertSilently(declared('app', { keys: { uri: { template: 'x={{secret:late/token}}' }, p: { random: {} } } }));
    h.controller.start();
    await until(() => h.events.some((e) => e.reason === 'WaitingForDependency'), 3000, 'waiting event');
    expect(h.events.find((e) => e.reason === 'WaitingForDependency').message).toBe(
      'annotation platform-constructs.io/generate-spec: waiting: key "uri": Secret "late" does not exist; retrying',
    );
    expect(text(h.get('app'), 'p')).toHaveLength(16); // what does not wait is written
    await until(() => h.gets.length >= 3, 3000, 'retries with backoff');
    expect(await h.metric('secret_generator_secrets', { state: 'waiting' })).toBe(1);
    await until(() => h.secrets.watching);
    h.secrets.upsert(declared('late', { keys: { token: { value: 'T' } } }));
    await until(() => text(h.get('app'), 'uri') === 'x=T', 3000, 'filled after the dependency');
    expect(await h.metric('secret_generator_secrets', { state: 'complete' })).toBe(2);
  });

  it('a conflict (the Secret changed since it was read) is retried from the new version', async () => {
    h = harness();
    const realApply = h.controller['deps'].client.apply;
    let first = true;
    h.controller['deps'].client.apply = async (body, force) => {
      if (first) {
        first = false;
        h.secrets.upsert({ ...h.get('c')!, data: { other: b64('user') } }); // a user write lands first
      }
      return realApply(body, force);
    };
    h.controller.start();
    await until(() => h.secrets.watching);
    h.secrets.upsert(declared('c', { keys: { p: { random: {} } } }));
    await until(() => text(h.get('c'), 'p') !== undefined, 3000, 'written after the conflict');
    expect(text(h.get('c'), 'other')).toBe('user');
    expect(await h.metric('secret_generator_write_conflicts_total')).toBe(1);
  });
});
