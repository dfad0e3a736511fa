/**
 * The config aggregator against the real API server (the shared test cluster), running as a
 * child process with the token of the ServiceAccount its construct synthesizes: RBAC is exactly
 * what ships.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { jest } from '@jest/globals';
import { Chart, Testing } from 'cdk8s';
import YAML from 'yaml';
import { AppConfig, AppConfigSchema, ConfigAggregator } from '../../constructs/config-aggregator/index.js';
import { connectToTestCluster, proveApply, randomSuffix, type KubeObject } from '../cluster/index.js';
import {
  ControllerProcess,
  GOOD_CONFIG,
  deployAggregator,
  removeKubeconfigs,
  serviceAccountKubeconfig,
  sleep,
  waitFor,
} from './config-aggregator.support.js';

jest.setTimeout(120_000);

const cluster = connectToTestCluster();

afterAll(() => removeKubeconfigs());

async function getConfigMap(namespace: string, name: string): Promise<any | undefined> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${namespace}/configmaps/${name}`, undefined, { allowStatus: [404] });
  return res.statusCode === 404 ? undefined : res.body;
}

async function putConfigMap(namespace: string, name: string, data: Record<string, string>, labels: Record<string, string>): Promise<void> {
  await cluster.applyObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data }], {
    fieldManager: 'app-team',
    force: true,
  });
}

async function deleteConfigMap(namespace: string, name: string): Promise<void> {
  await cluster.request('DELETE', `/api/v1/namespaces/${namespace}/configmaps/${name}`);
}

async function events(namespace: string, involvedName: string): Promise<any[]> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${namespace}/events?fieldSelector=involvedObject.name=${involvedName}`);
  return res.body.items;
}

/** One aggregator with its own label, so that concurrent tests in the shared cluster do not mix. */
async function setup(opts: { args?: string[]; replicas?: number } = {}) {
  const ns = await cluster.createNamespace('agg');
  const labelKey = 'test.platform-constructs.io/app-config';
  const labelValue = randomSuffix(8);
  const labels = { [labelKey]: labelValue };
  const { aggregator, args: deploymentArgs } = await deployAggregator(cluster, ns, { appConfigLabel: `${labelKey}=${labelValue}` });
  const kubeconfig = await serviceAccountKubeconfig(cluster, ns, aggregator.serviceAccountName);
  const aggregate = async () => (await getConfigMap(ns, 'numalogic-config')) as any;
  const configs = async () => {
    const cm = await aggregate();
    return cm ? ((YAML.parse(cm.data['config.yaml']).configs ?? []) as any[]) : undefined;
  };
  const start = (podName: string, args: string[] = []) =>
    ControllerProcess.start({ kubeconfig, namespace: ns, podName, args: [...deploymentArgs, ...(opts.args ?? []), ...args] });
  return { ns, labels, aggregate, configs, start, kubeconfig, args: deploymentArgs };
}

describe('config aggregator on a real API server', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let ctrl: ControllerProcess;
  const appNamespaces: string[] = [];

  beforeAll(async () => {
    env = await setup({ args: ['--interval=1s'] });
    for (let i = 0; i < 3; i++) appNamespaces.push(await cluster.createNamespace(`team${i}`));
    ctrl = await env.start('aggregator-0');
    await ctrl.waitReady();
    await waitFor('leadership', () => ctrl.isLeader(), 30_000);
  });

  afterAll(async () => {
    await ctrl?.stop();
    expect(ctrl.exited?.code).toBe(0);
  });

  it('writes an empty list after the first full sync, and is ready', async () => {
    await waitFor('first aggregate', async () => (await env.configs()) !== undefined, 10_000);
    expect(await env.configs()).toEqual([]);
    expect((await ctrl.get('/readyz')).status).toBe(200);
    expect((await ctrl.get('/healthz')).status).toBe(200);
  });

  it('reflects create, update and delete in three namespaces within 2 s', async () => {
    const latencies: number[] = [];
    const [a, b, c] = appNamespaces;
    const expectWithin2s = async (what: string, check: (cfgs: any[]) => boolean) => {
      latencies.push(await waitFor(what, async () => check((await env.configs()) ?? []), 2000));
    };
    await putConfigMap(b, 'cfg', { config: GOOD_CONFIG }, env.labels);
    await expectWithin2s('create in b', (cs) => cs.some((x) => x.namespace === b));
    await putConfigMap(a, 'cfg', { config: GOOD_CONFIG.replace('svc', 'svc-a') }, env.labels);
    await putConfigMap(c, 'cfg', { config: GOOD_CONFIG }, env.labels);
    await expectWithin2s('create in a and c', (cs) => cs.length === 3);
    expect((await env.configs())!.map((x) => x.namespace)).toEqual([a, b, c].sort());
    expect((await env.configs())![0]).toMatchObject({ namespace: a, service: 'svc-a', metric_configs: [{ metric: 'rollout_error_rate' }] });
    await putConfigMap(b, 'cfg', { config: GOOD_CONFIG.replace('svc', 'svc-b2') }, env.labels);
    await expectWithin2s('update in b', (cs) => cs.some((x) => x.namespace === b && x.service === 'svc-b2'));
    await deleteConfigMap(c, 'cfg');
    await expectWithin2s('delete in c', (cs) => cs.length === 2 && !cs.some((x) => x.namespace === c));
    // Removing the label is a delete for the aggregator.
    await putConfigMap(a, 'cfg', { config: GOOD_CONFIG }, { other: 'label' });
    await expectWithin2s('unlabel in a', (cs) => cs.length === 1);
    process.stderr.write(`config-aggregator change latencies (ms): ${latencies.join(', ')}\n`);
  });

  it('invalid entries produce Events on their ConfigMap and are excluded', async () => {
    const [a] = appNamespaces;
    await putConfigMap(a, 'not-yaml', { config: 'metric_configs: [' }, env.labels);
    await putConfigMap(a, 'not-object', { config: '- just\n- a list' }, env.labels);
    await putConfigMap(a, 'bad-field', { config: 'metric_configs: [{metric: m, composite_keys: [a], static_threshold: high}]\nunified_configs: []' }, env.labels);
    await waitFor('invalid entries reported', async () => (await ctrl.metric('config_aggregator_invalid_entries')) === 3, 5000);
    const cfgs = (await env.configs())!;
    expect(cfgs.some((x) => x.namespace === a)).toBe(false);
    for (const [name, text] of [
      ['not-yaml', /not valid YAML/],
      ['not-object', /must be a YAML mapping/],
      ['bad-field', /at \/metric_configs\/0\/static_threshold: must be number/],
    ] as const) {
      const evs = await waitFor(`event on ${name}`, async () => (await events(a, name)).length > 0, 5000).then(() => events(a, name));
      expect(evs[0]).toMatchObject({ type: 'Warning', reason: 'InvalidConfig', involvedObject: { kind: 'ConfigMap', name, namespace: a } });
      expect(evs[0].message).toMatch(text);
    }
    for (const name of ['not-yaml', 'not-object', 'bad-field']) await deleteConfigMap(a, name);
    await waitFor('invalid gone', async () => (await ctrl.metric('config_aggregator_invalid_entries')) === 0, 5000);
  });

  it('unchanged state causes zero writes over repeated resyncs', async () => {
    await sleep(500);
    const writes = await ctrl.metric('config_aggregator_writes_total');
    const rv = (await env.aggregate()).metadata.resourceVersion;
    const reconciles = await ctrl.metric('kit_reconcile_total', { result: 'success' });
    await sleep(3500); // --interval=1s: three resyncs or more
    expect(await ctrl.metric('kit_reconcile_total', { result: 'success' })).toBeGreaterThanOrEqual(reconciles + 3);
    expect(await ctrl.metric('config_aggregator_writes_total')).toBe(writes);
    expect((await env.aggregate()).metadata.resourceVersion).toBe(rv);
  });

  it('restores an aggregate edited by hand', async () => {
    const before = (await env.aggregate()).data['config.yaml'];
    await cluster.request('PATCH', `/api/v1/namespaces/${env.ns}/configmaps/numalogic-config`, { data: { 'config.yaml': 'configs: []\n' } }, {
      contentType: 'application/merge-patch+json',
    });
    const ms = await waitFor('restored', async () => (await env.aggregate()).data['config.yaml'] === before, 5000);
    expect(ms).toBeLessThan(2000);
  });

  it('an invalid schema keeps the last good one, with an Event on the schema ConfigMap', async () => {
    const schemaPath = `/api/v1/namespaces/${env.ns}/configmaps/application-config-schema`;
    const good = (await getConfigMap(env.ns, 'application-config-schema')).data['schema.json'];
    await cluster.request('PATCH', schemaPath, { data: { 'schema.json': '{"type": "objekt"}' } }, { contentType: 'application/merge-patch+json' });
    await waitFor('schema event', async () => (await events(env.ns, 'application-config-schema')).some((e) => e.reason === 'InvalidSchema'), 5000);
    expect(await ctrl.metric('config_aggregator_schema_valid')).toBe(0);
    // Still aggregating with the last good schema.
    const [, , c] = appNamespaces;
    await putConfigMap(c, 'cfg2', { config: GOOD_CONFIG }, env.labels);
    await waitFor('aggregated with the old schema', async () => (await env.configs())!.some((x) => x.namespace === c), 3000);
    await cluster.request('PATCH', schemaPath, { data: { 'schema.json': good } }, { contentType: 'application/merge-patch+json' });
    await waitFor('schema valid again', async () => (await ctrl.metric('config_aggregator_schema_valid')) === 1, 5000);
    expect(AppConfigSchema.numalogic().toJson()).toBe(good);
  });

  it('an aggregate over 1 MiB is refused with an Event and a metric; the last good output stays', async () => {
    const [a, b, c] = appNamespaces;
    const big = `service: "${'x'.repeat(400_000)}"\n${GOOD_CONFIG.replace(/^service: svc\n/, '')}`;
    const bigOnes = async () => ((await env.configs()) ?? []).filter((x) => String(x.service).startsWith('xxx')).length;
    // Two big entries (~800 KB) still fit.
    await putConfigMap(a, 'big', { config: big }, env.labels);
    await putConfigMap(b, 'big', { config: big }, env.labels);
    await waitFor('two big entries written', async () => (await bigOnes()) === 2, 5000);
    const before = (await env.aggregate()).data['config.yaml'];
    // A third one would exceed 1 MiB: refused, nothing half-written.
    await putConfigMap(c, 'big', { config: big }, env.labels);
    await waitFor('too large reported', async () => (await ctrl.metric('config_aggregator_aggregate_too_large_total')) > 0, 5000);
    await waitFor('event', async () => (await events(env.ns, 'numalogic-config')).some((e) => e.reason === 'AggregateTooLarge'), 5000);
    expect((await env.aggregate()).data['config.yaml'] === before).toBe(true);
    for (const ns of [a, b, c]) await deleteConfigMap(ns, 'big');
    await waitFor('big entries gone', async () => (await bigOnes()) === 0, 5000);
  });
});

describe('config aggregator manifests', () => {
  it('are admitted under PodSecurity restricted: pods created, a second apply changes nothing', async () => {
    const ns = `agg-manifests-${randomSuffix()}`;
    const chart = new Chart(Testing.app(), 'c', { namespace: ns });
    const aggregator = new ConfigAggregator(chart, 'aggregator', { configmapName: 'numalogic-config' });
    new AppConfig(chart, 'app', { aggregator, name: 'my-app-config', config: { metric_configs: [], unified_configs: [] } });
    const report = await proveApply(cluster, chart.toJson() as KubeObject[], { fieldManager: 'config-aggregator-test' });
    expect(report.workloads).toEqual([expect.objectContaining({ ref: expect.stringContaining('Deployment'), pods: 2 })]);
    expect(report.changedBySecondApply).toEqual([]);
  });
});

describe('config aggregator: two replicas and leader election', () => {
  it('only the leader writes; when it dies the other takes over within the lease duration', async () => {
    const leaseArgs = ['--lease-duration=6s', '--renew-deadline=4s', '--retry-period=1s'];
    const env = await setup({ args: leaseArgs });
    const appNs = await cluster.createNamespace('team');
    const a = await env.start('replica-a');
    await waitFor('a leads', () => a.isLeader(), 30_000);
    const b = await env.start('replica-b');
    try {
      await b.waitReady();
      await putConfigMap(appNs, 'cfg', { config: GOOD_CONFIG }, env.labels);
      await waitFor('aggregate by a', async () => ((await env.configs()) ?? []).length === 1, 5000);
      await sleep(2000);
      expect(await b.isLeader()).toBe(false);
      expect(await b.metric('config_aggregator_writes_total')).toBe(0);
      expect(await a.metric('config_aggregator_writes_total')).toBeGreaterThan(0);

      await a.kill(); // SIGKILL: no release
      const killedAt = Date.now();
      await waitFor('b leads', () => b.isLeader(), 15_000, 100);
      const takeover = Date.now() - killedAt;
      process.stderr.write(`config-aggregator leader takeover after SIGKILL: ${takeover} ms (lease 6 s)\n`);
      // The lease runs from its last renewal (up to one retry period before the kill), and the standby
      // polls every retry period (+20% jitter): lease + a few retry periods at most.
      expect(takeover).toBeLessThanOrEqual(6000 + 3 * 1200);
      const lease = (await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${env.ns}/leases/config-aggregator`)).body;
      expect(lease.spec.holderIdentity).toBe('replica-b');
      await putConfigMap(appNs, 'cfg', { config: GOOD_CONFIG.replace('svc', 'after-failover') }, env.labels);
      await waitFor('aggregate by b', async () => ((await env.configs()) ?? [])[0]?.service === 'after-failover', 3000);
      expect(await b.metric('config_aggregator_writes_total')).toBeGreaterThan(0);
    } finally {
      await a.kill();
      await b.stop();
    }
    // A graceful stop releases the lease.
    const lease = (await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${env.ns}/leases/config-aggregator`)).body;
    expect(lease.spec.holderIdentity ?? '').toBe('');
  });
});

/**
 * A TCP proxy to the API server that a test can partition. The partition is a hang, not a refusal:
 * connections stay open and new ones are accepted, but nothing the replica sends reaches the
 * API server (requests, lease renewals and writes wait forever, as when packets are dropped),
 * while what the server already streams still arrives (open watches keep delivering events).
 * Healing resets the connections that lost bytes, as a real network would.
 */
class PartitionProxy {
  private readonly sockets = new Set<net.Socket>();
  private hung = false;
  private readonly server: net.Server;
  /** Bytes from the replica dropped during the partition. */
  dropped = 0;
  port = 0;
  constructor(target: URL) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d) => {
        if (this.hung) this.dropped += d.length;
        else upstream.write(d);
      });
      upstream.on('data', (d) => client.write(d));
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  partition(): void {
    this.hung = true;
  }
  heal(): void {
    for (const s of this.sockets) s.destroy();
    this.hung = false;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('config aggregator: a partitioned leader', () => {
  it('sends no write after its renew deadline while its requests hang; the other replica takes over; back online it does not write', async () => {
    const leaseArgs = ['--lease-duration=6s', '--renew-deadline=4s', '--retry-period=1s'];
    const env = await setup({ args: leaseArgs });
    const appNs = await cluster.createNamespace('team');
    // Replica a reaches the API server through a proxy that the test can partition.
    const proxy = new PartitionProxy(new URL(cluster.server));
    await proxy.start();
    const proxied = `${env.kubeconfig}.proxied`;
    writeFileSync(proxied, readFileSync(env.kubeconfig, 'utf8').replace(new URL(cluster.server).host, `127.0.0.1:${proxy.port}`));
    const a = await ControllerProcess.start({ kubeconfig: proxied, namespace: env.ns, podName: 'replica-a', args: [...env.args, ...leaseArgs] });
    let b: ControllerProcess | undefined;
    /** Write requests that left replica a (counted before they are sent). */
    const aPatches = () => a.metric('kit_api_requests_total', { verb: 'patch', resource: 'configmaps' });
    const aReconciles = () => a.metric('kit_reconcile_total', { controller: 'config-aggregator' });
    try {
      await waitFor('a leads', () => a.isLeader(), 30_000);
      b = await env.start('replica-b');
      await b.waitReady();
      await putConfigMap(appNs, 'cfg', { config: GOOD_CONFIG }, env.labels);
      await waitFor('aggregate by a', async () => ((await env.configs()) ?? []).length === 1, 5000);
      const aWrites = await a.metric('config_aggregator_writes_total');
      expect(await aPatches()).toBe(aWrites);

      proxy.partition();
      const cutAt = Date.now();
      // The renew deadline runs from a's last renewal, sent at most one retry period (+20%) before the cut.
      await sleep(4000 + 300);
      const patchesAtDeadline = await aPatches();
      const reconcilesAtDeadline = await aReconciles();
      // A change after the deadline: a still sees it (its watch streams on), but its worker was
      // stopped with the lease (or, were it still running, its client refuses the write): nothing leaves.
      await putConfigMap(appNs, 'cfg', { config: GOOD_CONFIG.replace('svc', 'after-deadline') }, env.labels);
      await waitFor('a steps down (or sends a write)', async () => !(await a.isLeader()) || (await aPatches()) > patchesAtDeadline, 5000, 50);
      expect(await aPatches()).toBe(patchesAtDeadline);
      expect(await aReconciles()).toBe(reconcilesAtDeadline);
      await waitFor('b leads', () => b!.isLeader(), 15_000, 50);
      const tookOver = Date.now() - cutAt;
      await waitFor('aggregate by b', async () => ((await env.configs()) ?? [])[0]?.service === 'after-deadline', 5000);
      expect(await aPatches()).toBe(patchesAtDeadline);
      expect(await a.isLeader()).toBe(false);
      expect(proxy.dropped).toBeGreaterThan(0); // a kept trying: renewals hung, not refused
      process.stderr.write(`config-aggregator partition (hang): a sent no write after its renew deadline; standby took over after ${tookOver} ms\n`);
      expect(tookOver).toBeGreaterThan(4000);

      await putConfigMap(appNs, 'cfg', { config: GOOD_CONFIG.replace('svc', 'during-partition') }, env.labels);
      await waitFor('aggregate by b', async () => ((await env.configs()) ?? [])[0]?.service === 'during-partition', 3000);
      expect(await aPatches()).toBe(patchesAtDeadline);

      proxy.heal();
      await sleep(4000);
      expect(await a.isLeader()).toBe(false);
      expect(await b.isLeader()).toBe(true);
      expect(await aPatches()).toBe(patchesAtDeadline);
      expect(await a.metric('config_aggregator_writes_total')).toBe(aWrites);
      expect(((await env.configs()) ?? [])[0]?.service).toBe('during-partition');
    } finally {
      await b?.stop();
      await a.stop();
      await proxy.stop();
    }
  });
});
