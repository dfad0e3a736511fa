import YAML from 'yaml';
import { Backoff, KitMetrics, silentLogger } from '../../../runtime/kit/index.js';
import { ConfigAggregatorController, type ConfigMap } from '../../../runtime/config-aggregator/index.js';
import { AppConfigSchema } from '../../../constructs/config-aggregator/index.js';
import { FakeListerWatcher, until } from '../kit/fake-lister-watcher.js';

const NS = 'numalogic';
const GOOD = 'metric_configs: [{metric: m, composite_keys: [a]}]\nunified_configs: []\n';

const app = (namespace: string, name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name, uid: `uid-${namespace}-${name}`, labels: { 'numaprom.numaproj.io/component': 'argo-rollouts' } },
  data,
});

function harness(opts: { leader?: () => boolean; schemaText?: string | null; resyncMs?: number } = {}) {
  const apps = new FakeListerWatcher<ConfigMap>();
  const schema = new FakeListerWatcher<ConfigMap>();
  const aggregate = new FakeListerWatcher<ConfigMap>();
  if (opts.schemaText !== null) {
    schema.upsertSilently({
      metadata: { namespace: NS, name: 'application-config-schema', uid: 'schema-uid' },
      data: { 'schema.json': opts.schemaText ?? AppConfigSchema.numalogic().toJson() },
    });
  }
  const writes: ConfigMap[] = [];
  const events: any[] = [];
  const metrics = new KitMetrics();
  let failWrites = 0;
  let writeAttempts = 0;
  const controller = new ConfigAggregatorController({
    options: {
      namespace: NS,
      configmapName: 'numalogic-config',
      configmapKey: 'config.yaml',
      labelSelector: 'numaprom.numaproj.io/component=argo-rollouts',
      schemaConfigMap: 'application-config-schema',
      resyncIntervalMs: opts.resyncMs ?? 0,
      debounceMs: 10,
    },
    metrics,
    logger: silentLogger(),
    isLeader: opts.leader ?? (() => true),
    identity: 'pod-0',
    backoff: () => new Backoff(10, 50, 0),
    sources: { apps, schema, aggregate },
    writer: {
      async apply(cm) {
        writeAttempts++;
        if (failWrites > 0) {
          failWrites--;
          throw new Error('etcdserver: request timed out');
        }
        writes.push(cm);
        const existing = aggregate.objects.get(`${NS}/numalogic-config`);
        return aggregate.upsert({ ...existing, ...cm, data: { ...(existing?.data ?? {}), ...cm.data } });
      },
    },
    events: {
      async create(namespace, event) {
        events.push({ namespace, ...event });
        return event;
      },
    },
  });
  const output = () => aggregate.objects.get(`${NS}/numalogic-config`)?.data?.['config.yaml'];
  const parsed = () => YAML.parse(output() ?? 'configs: []').configs as any[];
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    const matching = m?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return matching?.reduce((a, v) => a + v.value, 0) ?? 0;
  };
  return {
    apps, schema, aggregate, writes, events, controller, output, parsed, metric,
    failNextWrites: (n: number) => (failWrites = n),
    writeAttempts: () => writeAttempts,
    settle: () => new Promise((r) => setTimeout(r, 80)),
  };
}

describe('config-aggregator controller', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => h?.controller.stop());

  it('writes the aggregate once after the first full sync, then follows changes', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-b', 'cfg', { config: GOOD }));
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    expect(h.controller.notReadyReason()).toMatch(/waiting for first sync/);
    h.controller.start();
    await until(() => h.writes.length === 1, 3000, 'first write');
    expect(h.controller.notReadyReason()).toBeUndefined();
    expect(h.parsed().map((c) => c.namespace)).toEqual(['team-a', 'team-b']);
    await until(() => h.apps.watching);
    h.apps.upsert(app('team-c', 'cfg', { config: GOOD }));
    await until(() => h.parsed().length === 3, 2000, 'add');
    h.apps.remove('team-a', 'cfg');
    await until(() => h.parsed().length === 2, 2000, 'delete');
    expect(h.parsed().map((c) => c.namespace)).toEqual(['team-b', 'team-c']);
  });

  it('unchanged state causes zero writes over repeated resyncs', async () => {
    h = harness({ resyncMs: 20 });
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.writes.length === 1);
    await new Promise((r) => setTimeout(r, 300)); // ~15 resyncs
    expect(h.writes).toHaveLength(1);
    expect(await h.metric('config_aggregator_writes_skipped_total')).toBeGreaterThan(5);
  });

  it('never writes before every cache synced, nor without the lease', async () => {
    let leader = false;
    h = harness({ leader: () => leader });
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.apps.failLists = 2; // the first lists fail: nothing may be written meanwhile
    h.controller.start();
    await h.settle();
    expect(h.writes).toHaveLength(0);
    await until(() => h.controller.notReadyReason() === undefined, 5000, 'sync');
    await h.settle();
    expect(h.writes).toHaveLength(0); // not leader
    leader = true;
    h.controller.onStartedLeading();
    await until(() => h.writes.length === 1);
  });

  it('never writes before every cache synced, even while leading', async () => {
    h = harness({ leader: () => true });
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.apps.failLists = Infinity; // the app list keeps failing while the schema and aggregate caches sync
    h.controller.start();
    await until(() => h.schema.watching && h.aggregate.watching && h.apps.lists.length >= 3, 5000, 'other caches synced, app lists failing');
    expect(h.controller.notReadyReason()).toBe('waiting for first sync of app-configs');
    await h.settle();
    expect(await h.metric('config_aggregator_writes_skipped_total')).toBeGreaterThan(0); // reconciles ran, and skipped
    expect(h.writes).toHaveLength(0); // not even an empty `configs: []`
    h.apps.failLists = 0;
    await until(() => h.writes.length === 1, 5000, 'write after the app cache synced');
    expect(h.parsed().map((c) => c.namespace)).toEqual(['team-a']);
  });

  it('reports invalid entries once (Event on the source, metric), excluded from the aggregate', async () => {
    h = harness({ resyncMs: 20 });
    h.apps.upsertSilently(app('team-a', 'good', { config: GOOD }));
    h.apps.upsertSilently(app('team-b', 'bad', { config: 'metric_configs: [{metric: m}]\nunified_configs: []' }));
    h.apps.upsertSilently(app('team-c', 'notyaml', { config: 'a: [' }));
    h.apps.upsertSilently(app('team-d', 'list', { config: '- 1' }));
    h.controller.start();
    await until(() => h.writes.length === 1 && h.events.length === 3);
    expect(h.parsed().map((c) => c.namespace)).toEqual(['team-a']);
    const bad = h.events.find((e) => e.namespace === 'team-b');
    expect(bad).toMatchObject({
      type: 'Warning',
      reason: 'InvalidConfig',
      involvedObject: { kind: 'ConfigMap', name: 'bad', namespace: 'team-b', uid: 'uid-team-b-bad' },
    });
    expect(bad.message).toContain('/metric_configs/0/composite_keys');
    expect(bad.message).toContain('is required');
    expect(await h.metric('config_aggregator_invalid_entries')).toBe(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.events).toHaveLength(3); // not repeated by resyncs
  });

  it('an invalid schema keeps the last good one (Event + metric); a missing one too', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.writes.length === 1 && h.schema.watching);
    h.schema.upsert({ metadata: { namespace: NS, name: 'application-config-schema', uid: 'schema-uid' }, data: { 'schema.json': '{"type": "objekt"}' } });
    await until(() => h.events.some((e) => e.reason === 'InvalidSchema'));
    expect(await h.metric('config_aggregator_schema_valid')).toBe(0);
    // Still validates with the last good schema, and still follows changes.
    h.apps.upsert(app('team-b', 'cfg', { config: GOOD }));
    h.apps.upsert(app('team-c', 'cfg', { config: 'metric_configs: []' }));
    await until(() => h.parsed().length === 2);
    h.schema.remove(NS, 'application-config-schema');
    h.apps.upsert(app('team-d', 'cfg', { config: GOOD }));
    await until(() => h.parsed().length === 3);
    expect(h.events.find((e) => e.reason === 'SchemaMissing')).toMatchObject({ involvedObject: { name: 'numalogic-config' } });
    expect(await h.metric('config_aggregator_schema_errors_total')).toBe(2);
  });

  it('writes nothing while no valid schema was ever seen', async () => {
    h = harness({ schemaText: 'not json' });
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.events.some((e) => e.reason === 'InvalidSchema'));
    await h.settle();
    expect(h.writes).toHaveLength(0);
  });

  it('restores a hand-edited aggregate on the next reconcile', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.writes.length === 1 && h.aggregate.watching);
    const good = h.output();
    const cur = h.aggregate.objects.get(`${NS}/numalogic-config`)!;
    h.aggregate.upsert({ ...cur, data: { 'config.yaml': 'configs: [hacked]', extra: 'kept' } });
    await until(() => h.writes.length === 2);
    expect(h.output()).toBe(good);
    expect(h.aggregate.objects.get(`${NS}/numalogic-config`)?.data?.extra).toBe('kept');
  });

  it('recreates the aggregate when it is deleted', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.writes.length === 1 && h.aggregate.watching);
    const good = h.output();
    h.aggregate.remove(NS, 'numalogic-config');
    await until(() => h.writes.length === 2);
    expect(h.output()).toBe(good);
  });

  it('an aggregate over 1 MiB is not written: Event + metric, last good output kept', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.writes.length === 1 && h.apps.watching);
    const good = h.output();
    const big = `service: "${'x'.repeat(300_000)}"\n${GOOD}`;
    for (const ns of ['b1', 'b2', 'b3', 'b4']) h.apps.upsert(app(ns, 'big', { config: big }));
    await until(() => h.events.some((e) => e.reason === 'AggregateTooLarge'));
    expect(h.writes).toHaveLength(1);
    expect(h.output()).toBe(good);
    expect(await h.metric('config_aggregator_aggregate_too_large_total')).toBeGreaterThan(0);
    h.apps.remove('b4', 'big');
    await until(() => h.writes.length === 2);
    expect(h.parsed()).toHaveLength(4);
  });

  it('a failed write is retried with backoff', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.failNextWrites(2);
    h.controller.start();
    await until(() => h.writes.length === 1, 3000);
    expect(h.parsed()).toHaveLength(1);
    // Two attempts failed and were retried; the third one wrote.
    expect(h.writeAttempts()).toBe(3);
    expect(await h.metric('kit_reconcile_total', { result: 'error' })).toBe(2);
  });

  it('a lost watch and a failing relist never shrink the output', async () => {
    h = harness();
    h.apps.upsertSilently(app('team-a', 'cfg', { config: GOOD }));
    h.apps.upsertSilently(app('team-b', 'cfg', { config: GOOD }));
    h.controller.start();
    await until(() => h.writes.length === 1 && h.apps.watching);
    h.apps.failLists = 3;
    h.apps.close(new Error('ECONNRESET'));
    await until(() => h.apps.lists.length >= 4, 5000);
    expect(h.parsed()).toHaveLength(2);
    expect(h.writes).toHaveLength(1);
  });
});
