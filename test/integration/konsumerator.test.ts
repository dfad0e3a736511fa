/**
 * The Konsumerator operator against the real API server and controller manager, as its
 * ServiceAccount with the RBAC that ships: Deployments per bucket with the partition env and
 * their own selectors, sidecars not sized, disable-autoscaler, a template change rolled out in
 * bounded batches, scale-in of partitions, deletion through owner references (and a finalizer
 * across namespaces), guest mode with ConfigMaps, and bad specs explained without losing anything.
 */
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { Annotations, ConsumerDeclaration, INSTANCE_LABEL } from '../../lib/api/konsumerator/index.js';
import { connectToTestCluster, type KubeObject } from '../cluster/index.js';
import { parseConsumer } from '../fixtures/konsumerator-seed.js';
import { removeKubeconfigs, waitFor, type ControllerProcess } from './config-aggregator.support.js';
import { deployKonsumerator, startKonsumerator } from './konsumerator.support.js';

jest.setTimeout(180_000);
const cluster = connectToTestCluster();

const consumersPath = (ns: string, name = '') => `/apis/${ConsumerDeclaration.apiVersion()}/namespaces/${ns}/consumers${name ? `/${name}` : ''}`;

async function deployments(ns: string): Promise<any[]> {
  return (await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments`)).body.items;
}

async function getConsumer(ns: string, name: string): Promise<any> {
  return (await cluster.request('GET', consumersPath(ns, name))).body;
}

async function events(ns: string, name: string): Promise<any[]> {
  return (await cluster.request('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${name}`)).body.items;
}

/** The seed's Consumer, small, without Prometheus (mode ""): resources are the policy's minAllowed. */
function consumer(ns: string, name: string, edit: (spec: any) => void = () => undefined): KubeObject {
  const c = parseConsumer();
  c.metadata = { name, namespace: ns };
  c.spec.namespace = ns;
  c.spec.name = name;
  c.spec.numPartitions = 10;
  c.spec.numPartitionsPerInstance = 3;
  c.spec.autoscaler = { mode: '' };
  edit(c.spec);
  return c as unknown as KubeObject;
}

afterAll(() => removeKubeconfigs());

describe('Konsumerator operator (cluster mode)', () => {
  let ns: string;
  let ctrl: ControllerProcess;

  beforeAll(async () => {
    ns = await cluster.createNamespace('konsum');
    const d = await deployKonsumerator(cluster, ns);
    ctrl = await startKonsumerator(cluster, d);
    await ctrl.waitReady();
    await waitFor('leadership', () => ctrl.isLeader(), 30_000);
  });

  afterAll(async () => {
    await ctrl?.stop();
  });

  it('makes one Deployment per bucket: names, partitions, env, own selectors, the sized container only', async () => {
    await cluster.applyObjects([consumer(ns, 'orders')], { fieldManager: 'user', force: true });
    await waitFor('4 Deployments', async () => (await deployments(ns)).filter((d) => d.metadata.name.startsWith('orders-')).length === 4, 30_000);
    const ds = (await deployments(ns)).filter((d) => d.metadata.name.startsWith('orders-')).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    expect(ds.map((d) => d.metadata.annotations[Annotations.partition])).toEqual(['0,1,2', '3,4,5', '6,7', '8,9']);
    expect(ds.map((d) => d.metadata.annotations[Annotations.consumerId])).toEqual(['0', '1', '2', '3']);
    const c = await getConsumer(ns, 'orders');
    for (const d of ds) {
      expect(d.metadata.labels).toMatchObject({ app: 'orders', controller: 'orders' });
      expect(d.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Consumer', name: 'orders', uid: c.metadata.uid, controller: true })]);
      // Selectors never overlap: each has its own instance label.
      expect(d.spec.selector.matchLabels).toEqual({ app: 'my-dep', [INSTANCE_LABEL]: d.metadata.name });
    }
    const env = (d: any, container: string) => Object.fromEntries(d.spec.template.spec.containers.find((x: any) => x.name === container).env.map((e: any) => [e.name, e.value]));
    expect(env(ds[2], 'busybox')).toMatchObject({ PARTITION: '6,7', KONSUMERATOR_NUM_PARTITIONS: '10', KONSUMERATOR_INSTANCE: '2', KONSUMERATOR_NUM_INSTANCES: '4', GOMAXPROCS: '1' });
    // minAllowed of the policy (autoscaler off): 100m / 100M; GOMEMLIMIT is 80 % of 100,000,000 bytes in MiB.
    const main = ds[0].spec.template.spec.containers.find((x: any) => x.name === 'busybox');
    expect(main.resources).toEqual({ requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '100m', memory: '100M' } });
    expect(env(ds[0], 'busybox').GOMEMLIMIT).toBe('76MiB');
    // Every container gets the partition env, sidecars included.
    expect(env(ds[0], 'busybox-sidecar').PARTITION).toBe('0,1,2');
    await waitFor('status', async () => {
      const s = (await getConsumer(ns, 'orders')).status;
      return s?.expected === 4 && s?.running === 4 && s?.missing === 0;
    }, 30_000);
  });

  it('a steady state writes nothing', async () => {
    const before = await ctrl.metric('konsumerator_deployment_writes_total');
    await cluster.request('PATCH', consumersPath(ns, 'orders'), { metadata: { annotations: { touch: '1' } } }, { contentType: 'application/merge-patch+json' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ctrl.metric('konsumerator_deployment_writes_total')).toBe(before);
  });

  it('rolls a template change out in batches of maxConcurrentUpdates', async () => {
    await cluster.applyObjects([consumer(ns, 'orders', (s) => {
      s.maxConcurrentUpdates = 2;
      s.deploymentTemplate.template.metadata.annotations = { release: 'two' };
    })], { fieldManager: 'user', force: true });
    // Without a node the updated pods never become available: the rollout stops after one batch.
    await waitFor('two updated', async () => (await deployments(ns)).filter((d) => d.spec.template.metadata.annotations?.release === 'two').length === 2, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await deployments(ns)).filter((d) => d.spec.template.metadata.annotations?.release === 'two')).toHaveLength(2);
    await waitFor('outdated 2', async () => (await getConsumer(ns, 'orders')).status?.outdated === 2, 30_000);
  });

  it('fewer partitions: the extra Deployments go, the others are re-bucketed in place', async () => {
    const deletedBefore = await ctrl.metric('konsumerator_deployment_writes_total', { action: 'deleted' });
    await cluster.applyObjects([consumer(ns, 'orders', (s) => {
      s.numPartitions = 4;
      s.numPartitionsPerInstance = 2;
      s.maxConcurrentUpdates = 10;
      s.deploymentTemplate.template.metadata.annotations = { release: 'two' };
    })], { fieldManager: 'user', force: true });
    await waitFor('2 Deployments with the new buckets', async () => {
      const ds = (await deployments(ns)).filter((d) => d.metadata.name.startsWith('orders-') && !d.metadata.deletionTimestamp);
      return ds.length === 2 && ds.map((d) => d.metadata.annotations[Annotations.partition]).sort().join(' ') === '0,1 2,3';
    }, 30_000);
    // orders-2 and orders-3 deleted; orders-0 and orders-1 rewritten, not deleted and made again.
    expect((await ctrl.metric('konsumerator_deployment_writes_total', { action: 'deleted' })) - deletedBefore).toBe(2);
  });

  it('disable-autoscaler on one Deployment keeps its resources', async () => {
    await cluster.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/orders-0`, { metadata: { annotations: { [Annotations.disableAutoscaler]: 'true' } } }, { contentType: 'application/merge-patch+json' });
    await waitFor('paused counted', async () => (await getConsumer(ns, 'orders')).status?.paused === 1, 30_000);
  });

  it('deleting the Consumer deletes its Deployments (owner references, garbage collector)', async () => {
    await cluster.request('DELETE', consumersPath(ns, 'orders'));
    await waitFor('Deployments gone', async () => (await deployments(ns)).filter((d) => d.metadata.name.startsWith('orders-')).length === 0, 60_000);
  });

  it('Deployments in another namespace: a finalizer deletes them with the Consumer', async () => {
    const other = await cluster.createNamespace('konsum-other');
    await cluster.applyObjects([consumer(ns, 'remote', (s) => (s.namespace = other))], { fieldManager: 'user', force: true });
    await waitFor('remote Deployments', async () => (await deployments(other)).length === 4, 30_000);
    expect((await getConsumer(ns, 'remote')).metadata.finalizers).toContain('konsumerator.lwolf.org/deployments');
    await cluster.request('DELETE', consumersPath(ns, 'remote'));
    await waitFor('remote Deployments gone', async () => (await deployments(other)).filter((d) => !d.metadata.deletionTimestamp).length === 0, 30_000);
    await waitFor('Consumer gone', async () => (await cluster.request('GET', consumersPath(ns, 'remote'), undefined, { allowStatus: [404] })).statusCode === 404, 30_000);
  });
});

describe('Konsumerator operator (guest mode: ConfigMaps in one namespace)', () => {
  let ns: string;
  let ctrl: ControllerProcess;

  beforeAll(async () => {
    ns = await cluster.createNamespace('konsum-guest');
    const d = await deployKonsumerator(cluster, ns, true);
    ctrl = await startKonsumerator(cluster, d, 'guest-0');
    await ctrl.waitReady();
    await waitFor('leadership', () => ctrl.isLeader(), 30_000);
  });

  afterAll(async () => {
    await ctrl?.stop();
  });

  const configMap = (name: string, data: Record<string, string>, managed = true): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...(managed ? { annotations: { [Annotations.managed]: 'true' } } : {}) },
    data,
  });

  it('a managed ConfigMap with consumer.yaml makes the Deployments; its status goes to annotations', async () => {
    const spec = (consumer(ns, 'guest') as any).spec;
    await cluster.applyObjects([configMap('guest', { 'consumer.yaml': stringify(spec) })], { fieldManager: 'user', force: true });
    await waitFor('4 guest Deployments', async () => (await deployments(ns)).filter((d) => d.metadata.name.startsWith('guest-')).length === 4, 30_000);
    await waitFor('status annotations', async () => {
      const cm = (await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/guest`)).body;
      return cm.metadata.annotations['konsumerator.lwolf.org/status.expected'] === '4';
    }, 30_000);
  });

  it('an ambiguous or invalid ConfigMap is explained in an Event naming the key or field, and nothing is deleted', async () => {
    const spec = (consumer(ns, 'guest') as any).spec;
    await cluster.applyObjects([configMap('guest', { 'consumer.yaml': stringify({ ...spec, numPartitions: 0 }) })], { fieldManager: 'user', force: true });
    await waitFor('InvalidSpec Event', async () => (await events(ns, 'guest')).some((e) => e.reason === 'InvalidSpec' && /numPartitions/.test(e.message)), 30_000);
    expect((await deployments(ns)).filter((d) => d.metadata.name.startsWith('guest-'))).toHaveLength(4);
    await cluster.applyObjects([configMap('twokeys', { a: stringify(spec), b: stringify(spec) })], { fieldManager: 'user', force: true });
    await waitFor('ambiguous Event', async () => (await events(ns, 'twokeys')).some((e) => e.reason === 'InvalidSpec' && /ambiguous/.test(e.message)), 30_000);
  });

  it('removing the managed annotation deletes the Deployments', async () => {
    await cluster.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/guest`, { metadata: { annotations: { [Annotations.managed]: null } } }, { contentType: 'application/merge-patch+json' });
    await waitFor('guest Deployments gone', async () => (await deployments(ns)).filter((d) => d.metadata.name.startsWith('guest-') && !d.metadata.deletionTimestamp).length === 0, 30_000);
  });
});
