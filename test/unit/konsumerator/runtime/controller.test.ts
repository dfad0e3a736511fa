import { Annotations, CONSUMER_UID_LABEL, DEPLOYMENTS_FINALIZER, INSTANCE_LABEL } from '../../../../lib/api/konsumerator/index.js';
import { PREVIOUS_GENERATION_ANNOTATION } from '../../../../runtime/konsumerator/controller.js';
import { amountsOf, templateHash, type Container, type Deployment } from '../../../../runtime/konsumerator/instance.js';
import type { ConfigMapObject } from '../../../../runtime/konsumerator/source.js';
import { NS, UID, answered, consumer, deploymentTemplate, prometheus, specInput, unreachable, type Reading } from './fixtures.js';
import { harness, until, type Harness } from './fakes.js';

const SEC = 1000;
const MIN = 60 * SEC;
const M = 1e6;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** ratePerCore 1000, ramPerCore 100M, recoveryTime 30m, cpuIncrement 100m. */
const LOW: Reading = { production: 500, consumption: 500, behind: 0 }; // 500m / 1 core / 100M
const LAG: Reading = { production: 500, consumption: 500, behind: 300_000 }; // lag 600 s; 700m / 1 core / 100M
const DOWN: Reading = { production: 200, consumption: 200, behind: 0 }; // 200m / 1 core / 100M
const CRITICAL: Reading = { production: 500, consumption: 500, behind: 2_000_000 }; // lag 4000 s; 1700m / 2 cores / 200M

const containerOf = (d: Deployment | undefined, name: string): Container => {
  const c = d?.spec?.template?.spec?.containers?.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name} in ${d?.metadata?.name}`);
  return c;
};
/** A container's resources as [cpu request m, cpu limit m, memory request, memory limit] whatever the spelling. */
const res = (d: Deployment | undefined, name = 'main') => {
  const a = amountsOf(containerOf(d, name).resources);
  return [a.requests.cpuMillis, a.limits.cpuMillis, a.requests.memoryBytes, a.limits.memoryBytes];
};
const env = (d: Deployment | undefined, name = 'main') => Object.fromEntries((containerOf(d, name).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const ann = (d: Deployment | undefined, k: string) => d?.metadata?.annotations?.[k];
const cond = (h: Harness, type: string, name = 'orders') => (h.stored(name)?.status?.conditions ?? []).find((c) => c.type === type);
const applied = (h: Harness, from = 0) => h.api.of('apply').slice(from).map((w) => w.name);

describe('KonsumeratorController', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  /** A Consumer with Deployments created from LOW metrics and the clock 61 s later (past minSyncPeriod). */
  async function running(spec = specInput(), reading: Reading = LOW, n = 4): Promise<Harness> {
    h = await harness({ consumers: [consumer(spec)] });
    h.prom.set(n, reading);
    await h.reconcile();
    await h.reconcile();
    await h.clock.advance(61 * SEC);
    return h;
  }

  describe('creating the instances', () => {
    it('one Deployment per bucket: names, partitions, labels, selectors, owner, env, the sized container only', async () => {
      h = await harness({ consumers: [consumer(specInput({ numPartitions: 5, numPartitionsPerInstance: 2 }))] });
      h.prom.set(5, LOW);
      const r = await h.reconcile();
      expect(applied(h)).toEqual(['orders-0', 'orders-1', 'orders-2']);
      for (const w of h.api.of('apply')) {
        expect(w.namespace).toBe(NS);
        expect(w.options).toEqual({ force: true });
      }
      const hash = templateHash(deploymentTemplate());
      const parts = ['0,1', '2,3', '4'];
      h.deployments().forEach((d, i) => {
        const name = `orders-${i}`;
        expect(d.metadata!.name).toBe(name);
        expect(d.metadata!.labels).toMatchObject({ app: 'orders', controller: 'orders', partitions: ['0-1', '2-3', '4'][i], [CONSUMER_UID_LABEL]: UID });
        expect(d.metadata!.annotations).toMatchObject({
          [Annotations.partition]: parts[i],
          [Annotations.consumerId]: String(i),
          [Annotations.generation]: hash,
          [Annotations.scalingStatus]: 'running',
          [Annotations.scalingStatusChange]: iso(h.clock.now()),
        });
        expect(d.metadata!.ownerReferences).toEqual([{ apiVersion: 'konsumerator.lwolf.org/v1', kind: 'Consumer', name: 'orders', uid: UID, controller: true, blockOwnerDeletion: true }]);
        expect(d.spec!.selector).toEqual({ matchLabels: { app: 'my-dep', [INSTANCE_LABEL]: name } });
        expect(d.spec!.template!.metadata!.labels).toEqual({ app: 'my-dep', [INSTANCE_LABEL]: name });
        for (const c of ['sidecar', 'main']) {
          expect(env(d, c)).toMatchObject({ KONSUMERATOR_PARTITION: parts[i], KONSUMERATOR_NUM_PARTITIONS: '5', KONSUMERATOR_INSTANCE: String(i), KONSUMERATOR_NUM_INSTANCES: '3' });
        }
        // The sidecar keeps the template's resources (the original sized it like the main container).
        expect(res(d, 'sidecar')).toEqual([50, 50, 64 * 1024 * 1024, 64 * 1024 * 1024]);
      });
      // 2 partitions × 500/s → 1000m; 1 partition → 500m; limits whole cores; memory 1 core × 100M.
      expect(res(h.deployment('orders-0'))).toEqual([1000, 1000, 100 * M, 100 * M]);
      expect(res(h.deployment('orders-2'))).toEqual([500, 1000, 100 * M, 100 * M]);
      expect(env(h.deployment('orders-2'))).toMatchObject({ GOMAXPROCS: '1', GOMEMLIMIT: '76MiB', LOG_LEVEL: 'info' });
      // Selectors never overlap.
      const selectors = h.deployments().map((d) => JSON.stringify(d.spec!.selector));
      expect(new Set(selectors).size).toBe(3);
      expect(r).toEqual({ requeueAfterMs: MIN });
    });

    it('status counts: missing on the first pass, running once they exist; conditions', async () => {
      h = await harness({ consumers: [consumer(specInput({ numPartitions: 5, numPartitionsPerInstance: 2 }))] });
      h.prom.set(5, LOW);
      await h.reconcile();
      expect(h.stored()!.status).toMatchObject({ observedGeneration: 1, expected: 3, running: 0, missing: 3, paused: 0, lagging: 0, outdated: 0, redundant: 0 });
      expect(cond(h, 'Ready')).toMatchObject({ status: 'False', reason: 'Converging' });
      await h.reconcile();
      expect(h.stored()!.status).toMatchObject({ expected: 3, running: 3, missing: 0, paused: 0, lagging: 0, outdated: 0, redundant: 0, lastSyncTime: iso(h.clock.now()) });
      expect(h.stored()!.status!.lastSyncState).toEqual({
        'orders-0': { productionRate: 500, consumptionRate: 500, messageBehind: 0 },
        'orders-1': { productionRate: 500, consumptionRate: 500, messageBehind: 0 },
        'orders-2': { productionRate: 500, consumptionRate: 500, messageBehind: 0 },
      });
      expect(cond(h, 'Ready')).toMatchObject({ status: 'True', reason: 'InstancesUpToDate', observedGeneration: 1 });
      expect(cond(h, 'SpecValid')).toMatchObject({ status: 'True' });
      expect(cond(h, 'MetricsAvailable')).toMatchObject({ status: 'True', reason: 'Fetched' });
      expect(h.events.events).toEqual([]);
    });

    it('a steady state writes nothing (Deployments as the API server returns them, with defaults)', async () => {
      await running();
      await h.reconcile(); // Prometheus asked again (61 s later): lastSyncTime moves
      const before = h.api.writes.length;
      expect(applied(h)).toHaveLength(4);
      await h.reconcile();
      await h.clock.advance(10 * SEC);
      await h.reconcile();
      expect(h.api.writes.slice(before)).toEqual([]);
      // Prometheus asked again (minSyncPeriod passed): only lastSyncTime moves.
      await h.clock.advance(MIN);
      await h.reconcile();
      expect(h.api.writes.slice(before).map((w) => w.verb)).toEqual(['patchStatus']);
      await h.reconcile();
      expect(h.api.writes.slice(before).map((w) => w.verb)).toEqual(['patchStatus']);
    });

    it('a status where only the sync time and rates moved is written at most once a minute (minSyncPeriod 5s)', async () => {
      h = await harness({ consumers: [consumer(specInput({ autoscaler: { mode: 'prometheus', prometheus: prometheus({ minSyncPeriod: '5s' }) } }))] });
      h.prom.set(4, LOW);
      await h.reconcile();
      await h.reconcile();
      const before = h.api.of('patchStatus').length;
      for (let i = 0; i < 10; i++) {
        await h.clock.advance(6 * SEC);
        await h.reconcile();
      }
      // Ten Prometheus syncs in 60 s: at most one status write (when a minute has passed).
      expect(h.prom.calls.length).toBeGreaterThanOrEqual(10);
      expect(h.api.of('patchStatus').length - before).toBeLessThanOrEqual(1);
      await h.clock.advance(61 * SEC);
      await h.reconcile();
      expect(h.api.of('patchStatus').length - before).toBeGreaterThanOrEqual(1);
    });

    it('status.lastSyncState keeps the 100 most lagging instances only', async () => {
      h = await harness({ consumers: [consumer(specInput({ numPartitions: 150 }))] });
      h.prom.set(150, LOW);
      await h.reconcile();
      const state = h.stored('orders')?.status?.lastSyncState ?? {};
      expect(Object.keys(state)).toHaveLength(100);
    });

    // Regression test (fixed; runtime/konsumerator/instance.ts ownedProjection, used by controller.ts converge): the
    // API server defaults `valueFrom.fieldRef.apiVersion` to "v1"; the projection compares env
    // verbatim, so a template with a fieldRef env entry (POD_NAME, POD_IP...) makes every reconcile
    // re-apply every instance. Fix: normalize env in ownedProjection (fieldRef.apiVersion ?? 'v1',
    // resourceFieldRef.divisor ?? '0', drop empty `value`).
    it('a steady state writes nothing when the template has a fieldRef env entry', async () => {
      const tpl = deploymentTemplate();
      tpl.template.spec.containers[1].env.push({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
      await running(specInput({ deploymentTemplate: tpl }));
      const before = h.api.of('apply').length;
      await h.reconcile();
      expect(h.api.of('apply').length).toBe(before);
    });

    it('a deleted Deployment is made again; a hand-edited one is put back', async () => {
      await running();
      h.world.deploymentsLw.remove(NS, 'orders-2');
      await h.edit('orders-1', (d) => (containerOf(d, 'main').env = []));
      const from = h.api.of('apply').length;
      await h.reconcile();
      expect(applied(h, from).sort()).toEqual(['orders-1', 'orders-2']);
      expect(env(h.deployment('orders-1'))).toMatchObject({ KONSUMERATOR_PARTITION: '1' });
      expect(res(h.deployment('orders-2'))).toEqual([500, 1000, 100 * M, 100 * M]);
    });
  });

  describe('metrics missing', () => {
    it('Prometheus unreachable: current resources held, MetricsAvailable False, nothing written to the Deployments', async () => {
      await running();
      const lastSyncTime = h.stored()!.status!.lastSyncTime;
      h.prom.answer = unreachable;
      const from = h.api.of('apply').length;
      await h.reconcile();
      expect(h.prom.calls).toHaveLength(2);
      expect(applied(h, from)).toEqual([]);
      for (const d of h.deployments()) {
        expect(res(d)).toEqual([500, 1000, 100 * M, 100 * M]);
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
      }
      expect(cond(h, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'Unreachable' });
      expect(cond(h, 'MetricsAvailable')!.message).toContain('current resources held');
      expect(cond(h, 'MetricsAvailable')!.message).toContain('ECONNREFUSED');
      expect(cond(h, 'Ready')).toMatchObject({ status: 'True' });
      expect(h.stored()!.status).toMatchObject({ running: 4, lagging: 0, lastSyncTime });
      // Still nothing after the pending periods: no data is not "no load".
      for (let i = 0; i < 20; i++) {
        await h.clock.advance(MIN);
        await h.reconcile();
      }
      expect(applied(h, from)).toEqual([]);
      expect(res(h.deployment('orders-0'))).toEqual([500, 1000, 100 * M, 100 * M]);
    });

    it('an instance whose partitions have no series keeps its resources while the others scale', async () => {
      await running();
      h.prom.answer = answered({ 0: DOWN, 1: DOWN });
      await h.reconcile();
      expect(ann(h.deployment('orders-0'), Annotations.scalingStatus)).toBe('pendingScaleDown');
      expect(ann(h.deployment('orders-2'), Annotations.scalingStatus)).toBe('running');
      await h.clock.advance(15 * MIN);
      await h.reconcile();
      expect(res(h.deployment('orders-0'))).toEqual([200, 1000, 100 * M, 100 * M]);
      expect(res(h.deployment('orders-1'))).toEqual([200, 1000, 100 * M, 100 * M]);
      expect(res(h.deployment('orders-2'))).toEqual([500, 1000, 100 * M, 100 * M]);
      expect(res(h.deployment('orders-3'))).toEqual([500, 1000, 100 * M, 100 * M]);
    });

    it('the first Deployments made while Prometheus is down get the template\'s resources, not the policy\'s minimum', async () => {
      h = await harness({ consumers: [consumer(specInput())] });
      h.prom.answer = unreachable;
      await h.reconcile();
      expect(h.deployments()).toHaveLength(4);
      for (const d of h.deployments()) expect(containerOf(d, 'main').resources ?? {}).toEqual({});
      expect(cond(h, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'Unreachable' });
    });
  });

  describe('Prometheus', () => {
    it('is asked at most once per minSyncPeriod, failures included, with every query', async () => {
      h = await harness({ consumers: [consumer(specInput({ autoscaler: { mode: 'prometheus', prometheus: prometheus({ minSyncPeriod: '2m' }) } }))] });
      h.prom.set(4, LOW);
      const t0 = h.clock.now();
      const r = await h.reconcile();
      expect(r).toEqual({ requeueAfterMs: 2 * MIN });
      for (const step of [30 * SEC, 60 * SEC, 29 * SEC]) {
        await h.clock.advance(step);
        await h.reconcile();
      }
      expect(h.prom.calls.map((c) => c.at - t0)).toEqual([0]);
      await h.clock.advance(SEC); // 2 min since the first
      h.prom.answer = unreachable;
      await h.reconcile();
      await h.clock.advance(MIN);
      await h.reconcile();
      expect(h.prom.calls.map((c) => c.at - t0)).toEqual([0, 2 * MIN]);
      await h.clock.advance(MIN);
      await h.reconcile();
      expect(h.prom.calls.map((c) => c.at - t0)).toEqual([0, 2 * MIN, 4 * MIN]);
      expect(h.prom.calls[0]).toMatchObject({
        addresses: ['http://prometheus:9090'],
        timeoutMs: 5000,
        queries: {
          offset: { query: 'sum(kafka_consumergroup_lag) by (partition)', partitionLabel: 'partition' },
          production: { query: 'sum(rate(kafka_produced_total[5m])) by (partition)', partitionLabel: 'partition' },
          // The original fetched nothing with it; it is asked for now.
          consumption: { query: 'sum(rate(kafka_consumed_total[5m])) by (partition)', partitionLabel: 'partition' },
        },
      });
    });

    it('changed queries are asked at once, without waiting for minSyncPeriod', async () => {
      await running();
      await h.clock.advance(SEC);
      await h.reconcile();
      const calls = h.prom.calls.length;
      await h.updateConsumer((c) => (c.spec.autoscaler.prometheus.offset.query = 'sum(lag2) by (partition)'));
      await h.reconcile();
      expect(h.prom.calls).toHaveLength(calls + 1);
      expect(h.prom.calls.at(-1)!.queries.offset.query).toBe('sum(lag2) by (partition)');
    });
  });

  describe('scaling', () => {
    it('lag over tolerableLag with a higher estimate: pendingScaleUp first, applied after pendingScaleUpDuration', async () => {
      await running();
      h.prom.set(4, LAG);
      const t1 = h.clock.now();
      const from = h.api.of('apply').length;
      const r = await h.reconcile();
      expect(r).toEqual({ requeueAfterMs: MIN });
      expect(applied(h, from)).toHaveLength(4);
      for (const d of h.deployments()) {
        expect(ann(d, Annotations.scalingStatus)).toBe('pendingScaleUp');
        expect(ann(d, Annotations.scalingStatusChange)).toBe(iso(t1));
        expect(res(d)).toEqual([500, 1000, 100 * M, 100 * M]);
      }
      expect(h.stored()!.status).toMatchObject({ lagging: 4, running: 4 });
      expect(h.stored()!.status!.lastSyncState!['orders-0']).toEqual({ productionRate: 500, consumptionRate: 500, messageBehind: 300_000 });
      // While pending, nothing is written (the since is kept).
      const pending = h.api.of('apply').length;
      await h.clock.advance(2 * MIN);
      await h.reconcile();
      await h.clock.advance(3 * MIN - SEC);
      await h.reconcile();
      expect(h.api.of('apply').length).toBe(pending);
      expect(res(h.deployment('orders-0'))).toEqual([500, 1000, 100 * M, 100 * M]);
      await h.clock.advance(SEC); // 5 min
      await h.reconcile();
      expect(applied(h, pending)).toHaveLength(4);
      for (const d of h.deployments()) {
        expect(res(d)).toEqual([700, 1000, 100 * M, 100 * M]);
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
        expect(ann(d, Annotations.scalingStatusChange)).toBe(iso(t1 + 5 * MIN));
      }
    });

    it('the recheck of a pending scale-up is returned when it is sooner than minSyncPeriod', async () => {
      h = await harness({ consumers: [consumer(specInput({ autoscaler: { mode: 'prometheus', pendingScaleUpDuration: '3m', prometheus: prometheus({ minSyncPeriod: '10m' }) } }))] });
      h.prom.set(4, LOW);
      await h.reconcile();
      await h.clock.advance(10 * MIN);
      h.prom.set(4, LAG);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 3 * MIN });
      await h.clock.advance(MIN);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 2 * MIN });
      await h.clock.advance(2 * MIN);
      await h.reconcile();
      expect(res(h.deployment('orders-0'))).toEqual([700, 1000, 100 * M, 100 * M]);
    });

    it('more estimated without lag: nothing changes', async () => {
      await running();
      const from = h.api.of('apply').length;
      h.prom.set(4, { production: 650, consumption: 650, behind: 1000 }); // lag 1.5 s, 700m
      await h.reconcile();
      await h.clock.advance(10 * MIN);
      await h.reconcile();
      expect(applied(h, from)).toEqual([]);
      expect(ann(h.deployment('orders-0'), Annotations.scalingStatus)).toBe('running');
    });

    it('the lag going away ends a pending scale-up without applying it', async () => {
      await running();
      h.prom.set(4, LAG);
      await h.reconcile();
      await h.clock.advance(2 * MIN);
      h.prom.set(4, LOW);
      await h.reconcile();
      await h.clock.advance(10 * MIN);
      await h.reconcile();
      for (const d of h.deployments()) {
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
        expect(res(d)).toEqual([500, 1000, 100 * M, 100 * M]);
      }
    });

    it('a lower estimate: pendingScaleDown, completed after pendingScaleDownDuration (the original never completed it)', async () => {
      await running();
      h.prom.set(4, DOWN);
      const t1 = h.clock.now();
      await h.reconcile();
      for (const d of h.deployments()) {
        expect(ann(d, Annotations.scalingStatus)).toBe('pendingScaleDown');
        expect(ann(d, Annotations.scalingStatusChange)).toBe(iso(t1));
        expect(res(d)).toEqual([500, 1000, 100 * M, 100 * M]);
      }
      await h.clock.advance(14 * MIN);
      await h.reconcile();
      expect(res(h.deployment('orders-0'))).toEqual([500, 1000, 100 * M, 100 * M]);
      expect(ann(h.deployment('orders-0'), Annotations.scalingStatus)).toBe('pendingScaleDown');
      await h.clock.advance(MIN);
      await h.reconcile();
      for (const d of h.deployments()) {
        expect(res(d)).toEqual([200, 1000, 100 * M, 100 * M]);
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
        expect(ann(d, Annotations.scalingStatusChange)).toBe(iso(t1 + 15 * MIN));
      }
    });

    it('criticalLag with a policy: maxAllowed at once', async () => {
      await running(specInput({ autoscaler: { mode: 'prometheus', prometheus: prometheus({ criticalLag: '60m' }) } }));
      h.prom.set(4, CRITICAL);
      await h.reconcile();
      for (const d of h.deployments()) {
        expect(res(d)).toEqual([4000, 4000, 4000 * M, 4000 * M]);
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
        expect(env(d)).toMatchObject({ GOMAXPROCS: '4', GOMEMLIMIT: `${Math.floor((4e9 * 0.8) / 1024 / 1024)}MiB` });
      }
      expect(h.stored()!.status).toMatchObject({ lagging: 4 });
    });

    it('criticalLag without a resourcePolicy does not throw: the estimate, at once', async () => {
      await running(specInput({ resourcePolicy: undefined, mainContainer: 'main', autoscaler: { mode: 'prometheus', prometheus: prometheus({ criticalLag: '60m' }) } }));
      expect(res(h.deployment('orders-0'))).toEqual([500, 1000, 100 * M, 100 * M]);
      h.prom.set(4, CRITICAL);
      await expect(h.reconcile()).resolves.toEqual({ requeueAfterMs: MIN });
      for (const d of h.deployments()) {
        expect(res(d)).toEqual([1700, 2000, 200 * M, 200 * M]);
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
        expect(env(d)).toMatchObject({ GOMAXPROCS: '2' });
        // The sidecar is still not sized.
        expect(res(d, 'sidecar')).toEqual([50, 50, 64 * 1024 * 1024, 64 * 1024 * 1024]);
      }
    });

    it('production dropping to 0 with a backlog is still lag (the original read 0), measured by the last production seen', async () => {
      await running(specInput({ autoscaler: { mode: 'prometheus', prometheus: prometheus({ criticalLag: '30m' }) } }));
      // Nothing produced or consumed, 600,000 behind: lag = 600,000 / the last production (500/s) = 1200 s:
      // lagging, not yet critical (nor an infinite lag).
      h.prom.set(4, { production: 0, consumption: 0, behind: 600_000 });
      await h.reconcile();
      expect(h.stored()!.status).toMatchObject({ lagging: 4 });
      expect(h.stored()!.status!.lastSyncState!['orders-0']).toEqual({ productionRate: 0, consumptionRate: 0, messageBehind: 600_000 });
      expect(res(h.deployment('orders-0'))).toEqual([500, 1000, 100 * M, 100 * M]);
      // 1,200,000 behind: 2400 s, over criticalLag: maxAllowed at once.
      await h.clock.advance(MIN);
      h.prom.set(4, { production: 0, consumption: 0, behind: 1_200_000 });
      await h.reconcile();
      expect(res(h.deployment('orders-0'))).toEqual([4000, 4000, 4000 * M, 4000 * M]);
    });

    it('the consumption rate measures the lag when production reads 0', async () => {
      h = await harness({ consumers: [consumer(specInput())] });
      // Never any production seen: the consumption rate (100/s) measures the backlog: 600 s.
      h.prom.set(4, { production: 0, consumption: 100, behind: 60_000 });
      await h.reconcile();
      await h.reconcile();
      expect(h.stored()!.status).toMatchObject({ lagging: 4 });
    });

    it('disable-autoscaler on one Deployment keeps its resources while the others scale', async () => {
      await running(specInput({ autoscaler: { mode: 'prometheus', prometheus: prometheus({ criticalLag: '60m' }) } }));
      await h.edit('orders-1', (d) => (d.metadata.annotations[Annotations.disableAutoscaler] = 'true'));
      await h.reconcile();
      expect(h.stored()!.status).toMatchObject({ running: 3, paused: 1 });
      h.prom.set(4, CRITICAL);
      await h.clock.advance(MIN);
      await h.reconcile();
      expect(applied(h, 4).sort()).toEqual(['orders-0', 'orders-2', 'orders-3']);
      expect(res(h.deployment('orders-1'))).toEqual([500, 1000, 100 * M, 100 * M]);
      expect(ann(h.deployment('orders-1'), Annotations.disableAutoscaler)).toBe('true');
      for (const n of ['orders-0', 'orders-2', 'orders-3']) expect(res(h.deployment(n))).toEqual([4000, 4000, 4000 * M, 4000 * M]);
      // And over the pending periods as well.
      h.prom.set(4, DOWN);
      for (let i = 0; i < 16; i++) {
        await h.clock.advance(MIN);
        await h.reconcile();
      }
      expect(res(h.deployment('orders-0'))).toEqual([200, 1000, 100 * M, 100 * M]);
      expect(res(h.deployment('orders-1'))).toEqual([500, 1000, 100 * M, 100 * M]);
    });

    it('disable-autoscaler on the Consumer: the policy\'s minAllowed, Prometheus not asked', async () => {
      await running();
      const calls = h.prom.calls.length;
      await h.updateConsumer((c) => (c.metadata.annotations = { [Annotations.disableAutoscaler]: 'true' }));
      await h.clock.advance(MIN);
      await h.reconcile();
      expect(h.prom.calls).toHaveLength(calls);
      for (const d of h.deployments()) {
        expect(res(d)).toEqual([100, 100, 100 * M, 100 * M]);
        expect(ann(d, Annotations.scalingStatus)).toBe('running');
        expect(res(d, 'sidecar')).toEqual([50, 50, 64 * 1024 * 1024, 64 * 1024 * 1024]);
      }
      const from = h.api.of('apply').length;
      await h.reconcile();
      expect(h.api.of('apply').length).toBe(from);
    });

    it('disable-autoscaler on the Consumer without a policy: no resources on the sized container', async () => {
      h = await harness({ consumers: [consumer(specInput({ resourcePolicy: undefined, mainContainer: 'main' }), { annotations: { [Annotations.disableAutoscaler]: '' } })] });
      await h.reconcile();
      expect(h.prom.calls).toEqual([]);
      for (const d of h.deployments()) {
        expect(containerOf(d, 'main').resources ?? {}).toEqual({});
        expect(env(d).GOMAXPROCS).toBeUndefined();
        expect(res(d, 'sidecar')).toEqual([50, 50, 64 * 1024 * 1024, 64 * 1024 * 1024]);
      }
    });

    // Regression test (fixed; runtime/konsumerator/controller.ts, converge: the `isCritical && max?.cpuMillis !==
    // undefined` branch): at criticalLag the target is built by hand from maxAllowed.cpu and, for
    // memory, `maxAllowed.memory ?? the raw estimate`: a policy's minAllowed.memory is skipped, so
    // the instance gets less memory than its policy allows (here 200M under a 500M minimum). (With
    // maxAllowed.memory but no maxAllowed.cpu, the memory max is not given either.) Fix: use the
    // predictor's own `clampToPolicy(est, policy, { critical: isCritical })`, which gives each
    // resource its maxAllowed when set and the clamped estimate otherwise.
    it('criticalLag with maxAllowed.cpu only still honours minAllowed.memory', async () => {
      const policy = { containerName: 'main', minAllowed: { cpu: '100m', memory: '500M' }, maxAllowed: { cpu: '2' } };
      await running(specInput({ resourcePolicy: { containerPolicies: [policy] }, autoscaler: { mode: 'prometheus', prometheus: prometheus({ criticalLag: '60m' }) } }));
      h.prom.set(4, CRITICAL);
      await h.reconcile();
      const [cpuReq, cpuLim, memReq, memLim] = res(h.deployment('orders-0'));
      expect([cpuReq, cpuLim]).toEqual([2000, 2000]);
      expect(memReq).toBeGreaterThanOrEqual(500 * M);
      expect(memLim).toBeGreaterThanOrEqual(500 * M);
    });

    // Regression test (fixed; runtime/konsumerator/controller.ts, `direction`): only CPU requests, then memory
    // limits, are compared. A change that moves only a CPU limit or a memory request (here:
    // maxAllowed.cpu lowered from 4 to 1500m under a 2-core limit, request unchanged at 1500m) is
    // direction 0 → `running`, apply=false, and the Deployment keeps a limit above maxAllowed
    // (and GOMAXPROCS 2) for as long as the load stays the same. Fix: compare all four amounts;
    // when CPU requests and memory limits are equal but another amount differs, apply it (at once,
    // or as a scale-down when it lowers something).
    it('a resourcePolicy that lowers only the CPU limit is applied', async () => {
      await running(specInput(), { production: 1500, consumption: 1500, behind: 0 }); // 1500m / 2 cores / 200M
      expect(res(h.deployment('orders-0'))).toEqual([1500, 2000, 200 * M, 200 * M]);
      await h.updateConsumer((c) => (c.spec.resourcePolicy.containerPolicies[0].maxAllowed.cpu = '1500m'));
      for (let i = 0; i < 16; i++) {
        await h.reconcile();
        await h.clock.advance(MIN);
      }
      expect(res(h.deployment('orders-0'))[1]).toBeLessThanOrEqual(1500);
    });
  });

  describe('template changes', () => {
    const rollout = (n: number) => specInput({ numPartitions: n, autoscaler: undefined, maxConcurrentUpdates: 2 });
    const changeImage = (image: string) => (c: any) => (c.spec.deploymentTemplate.template.spec.containers[1].image = image);
    const images = (h: Harness) => h.deployments().map((d) => containerOf(d, 'main').image);

    it('roll out in batches of maxConcurrentUpdates, each after the previous one is available', async () => {
      h = await harness({ consumers: [consumer(rollout(5))] });
      await h.reconcile();
      for (const d of h.deployments()) await h.rolledOut(d.metadata!.name!);
      await h.reconcile();
      const oldHash = templateHash((h.stored()!.spec as any).deploymentTemplate);
      await h.updateConsumer(changeImage('busybox:1.37'));
      const newHash = templateHash((h.stored()!.spec as any).deploymentTemplate);
      const from = h.api.of('apply').length;
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 5000 });
      expect(applied(h, from)).toEqual(['orders-0', 'orders-1']);
      expect(images(h)).toEqual(['busybox:1.37', 'busybox:1.37', 'busybox:1.36', 'busybox:1.36', 'busybox:1.36']);
      expect(ann(h.deployment('orders-0'), Annotations.generation)).toBe(newHash);
      expect(ann(h.deployment('orders-0'), PREVIOUS_GENERATION_ANNOTATION)).toBe(oldHash);
      expect(ann(h.deployment('orders-2'), Annotations.generation)).toBe(oldHash);
      expect(h.stored()!.status).toMatchObject({ outdated: 3 });
      expect(cond(h, 'Ready')).toMatchObject({ status: 'False', reason: 'Converging' });
      // Not available yet: nothing more, however often it runs.
      for (let i = 0; i < 3; i++) await h.reconcile();
      expect(applied(h, from)).toEqual(['orders-0', 'orders-1']);
      await h.rolledOut('orders-0');
      await h.rolledOut('orders-1');
      await h.reconcile();
      expect(applied(h, from)).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3']);
      await h.reconcile();
      expect(applied(h, from)).toHaveLength(4);
      await h.rolledOut('orders-2');
      await h.rolledOut('orders-3');
      await h.reconcile();
      expect(applied(h, from)).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3', 'orders-4']);
      expect(images(h)).toEqual(Array(5).fill('busybox:1.37'));
      await h.rolledOut('orders-4');
      expect(await h.reconcile()).toBeUndefined();
      expect(h.stored()!.status).toMatchObject({ outdated: 0, running: 5 });
      expect(cond(h, 'Ready')).toMatchObject({ status: 'True' });
      const done = h.api.of('apply').length;
      await h.reconcile();
      expect(h.api.of('apply').length).toBe(done);
    });

    it('a Deployment that has not rolled out its replicas (observedGeneration, updated or available short) holds the next batch', async () => {
      h = await harness({ consumers: [consumer(rollout(3))] });
      await h.reconcile();
      for (const d of h.deployments()) await h.rolledOut(d.metadata!.name!);
      await h.updateConsumer(changeImage('busybox:1.37'));
      const from = h.api.of('apply').length;
      await h.reconcile();
      expect(applied(h, from)).toEqual(['orders-0', 'orders-1']);
      await h.rolledOut('orders-0');
      // orders-1: seen by the deployment controller, but one replica not available yet.
      await h.edit('orders-1', (d) => (d.status = { observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, availableReplicas: 0 }));
      await h.reconcile();
      expect(applied(h, from)).toEqual(['orders-0', 'orders-1', 'orders-2']);
    });

    // Regression test (fixed; runtime/konsumerator/controller.ts, converge: `inProgress`): only Deployments already
    // on the *current* template hash count as in progress. When the template changes again while
    // a batch is rolling out, the rolling Deployments carry the previous hash, count for nothing,
    // and a new batch starts on top of them: here 4 Deployments roll at once with
    // maxConcurrentUpdates 2. Fix: count every Deployment that carries the previous-generation
    // annotation and is not available, whatever its hash (and let re-updating one of those not
    // take a new slot).
    it('a second template change during a rollout keeps at most maxConcurrentUpdates rolling', async () => {
      h = await harness({ consumers: [consumer(rollout(5))] });
      await h.reconcile();
      for (const d of h.deployments()) await h.rolledOut(d.metadata!.name!);
      await h.updateConsumer(changeImage('busybox:1.37'));
      await h.reconcile(); // orders-0, orders-1
      await h.rolledOut('orders-0');
      await h.rolledOut('orders-1');
      await h.reconcile(); // orders-2, orders-3 rolling
      await h.updateConsumer(changeImage('busybox:1.38'));
      await h.reconcile();
      const rolling = h.deployments().filter((d) => (d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)).map((d) => d.metadata!.name);
      expect(rolling.length).toBeLessThanOrEqual(2);
    });
  });

  describe('instances coming and going', () => {
    it('fewer partitions: the extra Deployments are deleted (uid precondition), the rest rewritten in place', async () => {
      await running();
      const uid3 = h.deployment('orders-3')!.metadata!.uid;
      await h.updateConsumer((c) => (c.spec.numPartitions = 2));
      await h.reconcile();
      expect(h.api.of('delete').map((w) => [w.name, w.options.preconditions.uid]).sort()).toEqual([
        ['orders-2', expect.any(String)],
        ['orders-3', uid3],
      ]);
      expect(h.deployments().map((d) => d.metadata!.name)).toEqual(['orders-0', 'orders-1']);
      expect(env(h.deployment('orders-1'))).toMatchObject({ KONSUMERATOR_NUM_PARTITIONS: '2', KONSUMERATOR_NUM_INSTANCES: '2' });
      expect(h.stored()!.status).toMatchObject({ expected: 2, redundant: 2 });
      await h.reconcile();
      expect(h.stored()!.status).toMatchObject({ expected: 2, redundant: 0 });
    });

    it('more partitions per instance: the Deployments keep their names and get the new buckets', async () => {
      await running();
      await h.updateConsumer((c) => (c.spec.numPartitionsPerInstance = 2));
      h.prom.set(4, LOW);
      await h.reconcile();
      await h.reconcile();
      expect(h.deployments().map((d) => [d.metadata!.name, ann(d, Annotations.partition)])).toEqual([
        ['orders-0', '0,1'],
        ['orders-1', '2,3'],
      ]);
      expect(env(h.deployment('orders-1'))).toMatchObject({ KONSUMERATOR_PARTITION: '2,3' });
    });

    it('an invalid spec: SpecValid False naming the field, an Event, and the Deployments left alone', async () => {
      await running();
      const writes = h.api.of('apply').length;
      await h.updateConsumer((c) => (c.spec.numPartitionsPerInstance = 10));
      await h.reconcile();
      await h.reconcile();
      expect(h.api.of('apply').length).toBe(writes);
      expect(h.api.of('delete')).toEqual([]);
      expect(h.deployments()).toHaveLength(4);
      expect(cond(h, 'SpecValid')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
      expect(cond(h, 'SpecValid')!.message).toContain('/spec/numPartitionsPerInstance');
      expect(h.events.events.map((e) => [e.reason, e.type, e.on, e.kind])).toEqual([['InvalidSpec', 'Warning', 'orders', 'Consumer']]);
      expect(h.events.events[0].message).toContain('Deployments left as they are');
    });

    it('Deployments in another namespace: a finalizer first, no owner references, deleted with the Consumer', async () => {
      h = await harness({ consumers: [consumer(specInput({ namespace: 'elsewhere', autoscaler: undefined }))] });
      await h.reconcile();
      expect(h.api.writes.map((w) => [w.verb, w.resource])).toEqual([['patch', 'consumers']]);
      expect(h.stored()!.metadata!.finalizers).toEqual([DEPLOYMENTS_FINALIZER]);
      await h.reconcile();
      expect(h.deployments().map((d) => `${d.metadata!.namespace}/${d.metadata!.name}`)).toEqual(['elsewhere/orders-0', 'elsewhere/orders-1', 'elsewhere/orders-2', 'elsewhere/orders-3']);
      for (const d of h.deployments()) expect(d.metadata!.ownerReferences).toBeUndefined();
      await h.updateConsumer((c) => (c.metadata.deletionTimestamp = '2026-01-02T00:00:00Z'));
      await h.reconcile();
      expect(h.api.of('delete').map((w) => `${w.namespace}/${w.name}`).sort()).toEqual(['elsewhere/orders-0', 'elsewhere/orders-1', 'elsewhere/orders-2', 'elsewhere/orders-3']);
      expect(h.deployments()).toEqual([]);
      expect(h.stored()!.metadata!.finalizers ?? []).toEqual([]);
    });
  });

  describe('guest mode', () => {
    const SPEC_YAML = `numPartitions: 2
name: guest
deploymentTemplate:
  selector: { matchLabels: { app: g } }
  template:
    metadata: { labels: { app: g } }
    spec:
      containers:
        - name: c
          image: busybox
          resources: { limits: { cpu: 1500m, memory: 1Gi } }
`;
    const cm = (data: Record<string, string>, name = 'cm'): ConfigMapObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: NS, uid: `${name}-uid`, annotations: { [Annotations.managed]: 'true' } },
      data,
    });

    it('a managed ConfigMap with consumer.yaml: the Deployments, owned by the ConfigMap, status in annotations', async () => {
      h = await harness({ configMaps: [cm({ 'consumer.yaml': SPEC_YAML, 'notes.txt': 'hello' })] }, { guestMode: true });
      await h.reconcile('cm');
      expect(h.deployments().map((d) => d.metadata!.name)).toEqual(['guest-0', 'guest-1']);
      const d = h.deployment('guest-0')!;
      expect(d.metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid', controller: true, blockOwnerDeletion: true }]);
      expect(env(d, 'c')).toMatchObject({ GOMAXPROCS: '2', GOMEMLIMIT: '819MiB', KONSUMERATOR_PARTITION: '0' });
      const patch = h.api.of('patch').at(-1)!;
      expect(patch).toMatchObject({ resource: 'configmaps', name: 'cm' });
      expect(patch.body.metadata.annotations).toMatchObject({ 'konsumerator.lwolf.org/status.expected': '2', 'konsumerator.lwolf.org/status.missing': '2' });
      await h.reconcile('cm');
      const stored = h.world.configMaps.objects.get(`${NS}/cm`)!;
      expect(stored.metadata!.annotations).toMatchObject({ 'konsumerator.lwolf.org/status.running': '2', 'konsumerator.lwolf.org/status.missing': '0' });
      const writes = h.api.writes.length;
      await h.reconcile('cm');
      expect(h.api.writes.length).toBe(writes);
    });

    it('an ambiguous ConfigMap: an Event naming its keys, no Deployment written', async () => {
      h = await harness({ configMaps: [cm({ 'a.yaml': SPEC_YAML, 'b.yaml': SPEC_YAML })] }, { guestMode: true });
      await h.reconcile('cm');
      expect(h.deployments()).toEqual([]);
      expect(h.api.of('apply')).toEqual([]);
      expect(h.events.events).toHaveLength(1);
      expect(h.events.events[0]).toMatchObject({ reason: 'InvalidSpec', kind: 'ConfigMap', on: 'cm' });
      expect(h.events.events[0].message).toContain('a.yaml, b.yaml');
    });

    it('the managed annotation removed: its Deployments are deleted', async () => {
      h = await harness({ configMaps: [cm({ 'consumer.yaml': SPEC_YAML })] }, { guestMode: true });
      await h.reconcile('cm');
      expect(h.deployments()).toHaveLength(2);
      const c = JSON.parse(JSON.stringify(h.world.configMaps.objects.get(`${NS}/cm`)));
      delete c.metadata.annotations[Annotations.managed];
      const stored = h.world.configMaps.upsert(c);
      await until(() => h.controller.sources.get(NS, 'cm')?.metadata?.resourceVersion === stored.metadata!.resourceVersion);
      await h.reconcile('cm');
      expect(h.api.of('delete').map((w) => w.name).sort()).toEqual(['guest-0', 'guest-1']);
      expect(h.deployments()).toEqual([]);
    });
  });
});
