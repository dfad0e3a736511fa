/**
 * `platform-controllers run`: the config aggregator and the secret generator in one process
 * against the real API server. Each does its job, each campaigns for its own Lease, the process
 * serves one metrics port for both, and SIGTERM releases both Leases.
 */
import { jest } from '@jest/globals';
import { GENERATE_LABEL, GENERATE_LABEL_VALUE, SPEC_ANNOTATION } from '../../lib/api/secret-generator/index.js';
import { connectToTestCluster } from '../cluster/index.js';
import {
  ControllerProcess,
  GOOD_CONFIG,
  appConfigMap,
  deployAggregator,
  removeKubeconfigs,
  waitFor,
} from './config-aggregator.support.js';
import { deployGenerator } from './secret-generator.support.js';

jest.setTimeout(120_000);

const cluster = connectToTestCluster();
afterAll(() => removeKubeconfigs());

const lease = async (ns: string, name: string) =>
  (await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`, undefined, { allowStatus: [404] })).body;

it('one process runs both controllers, each with its own flags and Lease, on one metrics port', async () => {
  const ns = await cluster.createNamespace('run');
  const appNs = await cluster.createNamespace('run-app');
  const agg = await deployAggregator(cluster, ns, { configmapName: 'numalogic-config' });
  const gen = await deployGenerator(cluster, ns);
  const p = await ControllerProcess.start({
    kubeconfig: cluster.kubeconfigPath,
    namespace: ns,
    podName: 'both-0',
    controller: 'run',
    args: ['config-aggregator', ...agg.args, '--leader-election-id=agg-lease', 'secret-generator', ...gen.args, `--namespaces=${appNs}`],
  });
  try {
    await p.waitReady();
    const ready = await p.get('/readyz');
    expect(ready.body).toContain('[+]config-aggregator/informers-synced ok');
    expect(ready.body).toContain('[+]secret-generator/informers-synced ok');
    await waitFor('both lead', async () => (await p.metric('kit_leader')) === 2, 30_000);
    expect((await lease(ns, 'agg-lease')).spec.holderIdentity).toBe('both-0');
    const genLease = gen.args.find((a) => a.startsWith('--leader-election-id='))!.split('=')[1];
    expect((await lease(ns, genLease)).spec.holderIdentity).toBe('both-0');

    await cluster.applyObjects([appConfigMap(appNs, 'cfg', { config: GOOD_CONFIG })], { fieldManager: 'test', namespace: appNs });
    await cluster.request('POST', `/api/v1/namespaces/${appNs}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', labels: { [GENERATE_LABEL]: GENERATE_LABEL_VALUE }, annotations: { [SPEC_ANNOTATION]: JSON.stringify({ keys: { password: { random: {} } } }) } },
    });
    await waitFor('the aggregate', async () => {
      const cm = (await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/numalogic-config`, undefined, { allowStatus: [404] })).body;
      return typeof cm?.data?.['config.yaml'] === 'string' && cm.data['config.yaml'].includes(`namespace: ${appNs}`);
    }, 15_000);
    await waitFor('the generated key', async () => {
      const s = (await cluster.request('GET', `/api/v1/namespaces/${appNs}/secrets/creds`)).body;
      return typeof s?.data?.password === 'string';
    }, 15_000);
    expect(await p.metric('config_aggregator_writes_total')).toBeGreaterThanOrEqual(1);
    expect(await p.metric('secret_generator_writes_total')).toBe(1);
  } finally {
    await p.stop();
  }
  expect(p.exited?.code).toBe(0);
  expect((await lease(ns, 'agg-lease')).spec.holderIdentity ?? '').toBe('');
});
