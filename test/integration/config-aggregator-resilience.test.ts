/**
 * The config aggregator when the control plane misbehaves, on a cluster of its own: the API
 * server restarts, and etcd compacts the history a watch would resume from (watch cache off,
 * so that the watch is served from etcd and expires with 410 Gone).
 */
import { jest } from '@jest/globals';
import YAML from 'yaml';
import { randomSuffix, startCluster, type Cluster } from '../cluster/index.js';
import { ControllerProcess, GOOD_CONFIG, deployAggregator, removeKubeconfigs, serviceAccountKubeconfig, waitFor } from './config-aggregator.support.js';

jest.setTimeout(180_000);

let cluster: Cluster;
let ctrl: ControllerProcess | undefined;
let ns: string;
let appNs: string;
let kubeconfigPath: string;
let controllerArgs: string[];
const labelKey = 'test.platform-constructs.io/app-config';
const labels = { [labelKey]: randomSuffix(8) };

async function put(name: string, service: string): Promise<void> {
  await cluster.applyObjects(
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: appNs, labels }, data: { config: GOOD_CONFIG.replace('svc', service) } }],
    { fieldManager: 'app-team', force: true },
  );
}

async function services(): Promise<string[]> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/numalogic-config`, undefined, { allowStatus: [404] });
  if (res.statusCode === 404) return [];
  return (YAML.parse(res.body.data['config.yaml']).configs as any[]).map((c) => c.service);
}

/** etcd's v3 JSON gateway. */
async function etcd(path: string, body: unknown): Promise<any> {
  const res = await fetch(`${cluster.etcdEndpoint}/v3/${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

beforeAll(async () => {
  cluster = await startCluster({ apiServerFlags: ['--watch-cache=false'] });
  ns = await cluster.createNamespace('agg');
  appNs = await cluster.createNamespace('team');
  const { aggregator, args } = await deployAggregator(cluster, ns, { appConfigLabel: `${labelKey}=${labels[labelKey]}` });
  const kubeconfig = await serviceAccountKubeconfig(cluster, ns, aggregator.serviceAccountName);
  kubeconfigPath = kubeconfig;
  // Watches time out after 2-4 s so that the compaction test sees a resume soon.
  controllerArgs = [...args, '--watch-timeout=2s'];
  ctrl = await ControllerProcess.start({ kubeconfig, namespace: ns, podName: 'aggregator-0', args: controllerArgs });
  await ctrl.waitReady();
  await waitFor('leadership', () => ctrl!.isLeader(), 30_000);
}, 600_000);

afterAll(async () => {
  await ctrl?.stop();
  await cluster?.stop();
  removeKubeconfigs();
});

it('a first list longer than one page (500) is read whole', async () => {
  // More labelled ConfigMaps than one page, then a restart of the controller: its first List pages.
  const many = await cluster.createNamespace('many');
  const names = Array.from({ length: 620 }, (_, i) => `cfg-${String(i).padStart(3, '0')}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < names.length) {
        const name = names[next++];
        await cluster.request('POST', `/api/v1/namespaces/${many}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, labels },
          data: { config: GOOD_CONFIG.replace('svc', name) },
        });
      }
    }),
  );
  await waitFor('all aggregated', async () => (await services()).length === 620, 15_000, 200);
  await ctrl!.stop();
  ctrl = await ControllerProcess.start({ kubeconfig: kubeconfigPath, namespace: ns, podName: 'aggregator-1', args: controllerArgs });
  await ctrl.waitReady();
  await waitFor('leadership', () => ctrl!.isLeader(), 30_000);
  expect(await ctrl.metric('kit_informer_objects', { informer: 'app-configs' })).toBe(620);
  expect(await ctrl.metric('kit_api_requests_total', { verb: 'list', resource: 'configmaps' })).toBeGreaterThanOrEqual(4); // 2 pages + schema + aggregate
  await cluster.request('DELETE', `/api/v1/namespaces/${many}/configmaps?labelSelector=${encodeURIComponent(`${labelKey}=${labels[labelKey]}`)}`);
  await waitFor('all deleted', async () => (await services()).length === 0, 60_000, 200);
});

it('a watch that resumes from compacted history gets 410 Gone and relists', async () => {
  await put('cfg', 'before-compaction');
  await waitFor('aggregated', async () => (await services()).includes('before-compaction'), 5000);
  const expiredBefore = await ctrl!.metric('kit_informer_lists_total', { reason: 'expired' });
  // Move etcd on (objects the aggregator does not watch), then compact everything before now.
  const other = await cluster.createNamespace('other');
  for (let i = 0; i < 5; i++) {
    await cluster.applyObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `noise-${i}`, namespace: other }, data: { i: String(i) } }], {
      fieldManager: 'noise',
    });
  }
  const { header } = await etcd('kv/range', { key: Buffer.from('/').toString('base64') });
  await etcd('kv/compaction', { revision: header.revision, physical: true });
  // The next resume (watch timeout 2-4 s) starts below the compacted revision.
  await waitFor('relist after 410', async () => (await ctrl!.metric('kit_informer_lists_total', { reason: 'expired' })) > expiredBefore, 20_000, 200);
  expect(await ctrl!.metric('kit_informer_watch_errors_total', { reason: 'expired' })).toBeGreaterThan(0);
  // Still correct, still following changes.
  expect(await services()).toEqual(['before-compaction']);
  await put('cfg', 'after-compaction');
  await waitFor('change after relist', async () => (await services()).includes('after-compaction'), 5000);
  expect(ctrl!.exited).toBeUndefined();
});

it('recovers from an API server restart without restarting itself', async () => {
  const pid = ctrl!.pid;
  const writes = await ctrl!.metric('config_aggregator_writes_total');
  await cluster.restartApiServer();
  await put('cfg', 'after-restart');
  const ms = await waitFor('change after the restart', async () => (await services()).includes('after-restart'), 60_000, 100);
  process.stderr.write(`config-aggregator: change reflected ${ms} ms after the API server came back\n`);
  expect(ctrl!.exited).toBeUndefined();
  expect(ctrl!.pid).toBe(pid);
  expect(await ctrl!.metric('config_aggregator_writes_total')).toBeGreaterThanOrEqual(writes + 1);
  expect((await ctrl!.get('/readyz')).status).toBe(200);
  // The output never shrank: still exactly the one entry.
  expect(await services()).toEqual(['after-restart']);
});
