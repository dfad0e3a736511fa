import { KitMetrics } from '../../../../runtime/kit/index.js';
import { AccessResolver, type ObjectReader } from '../../../../runtime/wao/access.js';
import { NodeConfigController, durationMs } from '../../../../runtime/wao/nodeconfig-controller.js';
import { FakeClock } from '../../kit/fake-clock.js';
import { FakeApi, FakeClients, NS, WaoWorld, nodeConfig } from './fakes.js';

const KEY = `${NS}/nc`;
const INLET = { type: 'Redfish', endpoint: 'https://10.0.0.100', fetchInterval: '10s' };
const DELTAP = { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', fetchInterval: '10s' };

class Reader implements ObjectReader {
  reads = 0;
  async get<T>(): Promise<T | undefined> {
    this.reads++;
    return { data: { username: Buffer.from('u').toString('base64'), password: Buffer.from('p').toString('base64') } } as T;
  }
}

async function setup(opts: { statusIntervalMs?: number; random?: () => number; isLeader?: () => boolean; inletTemp?: object; deltaP?: object } = {}) {
  const world = new WaoWorld();
  world.nodeConfigs().upsertSilently(
    nodeConfig('nc', { nodeName: 'worker-0', metricsCollector: { inletTemp: opts.inletTemp ?? INLET, deltaP: opts.deltaP ?? DELTAP } }, { uid: 'nc-uid', generation: 1 }),
  );
  await world.start();
  const clock = new FakeClock();
  const t0 = clock.now();
  const api = new FakeApi(world);
  const patchedAt: number[] = [];
  const patch = api.patchStatus.bind(api);
  api.patchStatus = (...a: Parameters<FakeApi['patchStatus']>) => {
    patchedAt.push(clock.now() - t0);
    return patch(...a);
  };
  const fc = new FakeClients();
  /** [metric, endpoint, fake ms since start, value answered] of every fetch. */
  const fetches: Array<[string, string, number, number]> = [];
  let n = 0;
  fc.inletTemp = (c) => {
    const v = 20 + ++n;
    fetches.push(['inletTemp', c.access.endpoint, clock.now() - t0, v]);
    return v;
  };
  fc.deltaP = (c) => {
    const v = 100 + ++n;
    fetches.push(['deltaP', c.access.endpoint, clock.now() - t0, v]);
    return v;
  };
  const reader = new Reader();
  const metrics = new KitMetrics();
  const controller = new NodeConfigController({
    informers: world.informers,
    client: api.client,
    access: new AccessResolver({ reader }),
    clients: fc.clients,
    metrics,
    isLeader: opts.isLeader ?? (() => true),
    statusIntervalMs: opts.statusIntervalMs ?? 5000,
    workers: 1,
    clock,
    random: opts.random ?? (() => 0),
    resyncIntervalMs: 0,
  });
  const series = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
  /** Lets the controller's workers run (real event loop), firing due fake timers, until `cond`. */
  const settleUntil = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 300; i++) {
      await clock.advance(0);
      if (cond()) return;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`not reached: ${what}`);
  };
  return { world, clock, t0, api, patchedAt, fc, fetches, reader, metrics, controller, series, settleUntil, elapsed: () => clock.now() - t0 };
}

const count = (fetches: Array<[string, string, number, number]>, metric: string, endpoint?: string) =>
  fetches.filter(([m, e]) => m === metric && (endpoint === undefined || e === endpoint)).map(([, , t]) => t);

describe('durationMs', () => {
  it('parses the stored fetchInterval; 15 s when absent; at least 1 s', () => {
    expect(durationMs('10s')).toBe(10_000);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs(undefined)).toBe(15_000);
    expect(durationMs('')).toBe(15_000);
    expect(durationMs('500ms')).toBe(1000);
  });
});

describe('NodeConfigController', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => {
    await s?.controller.stop();
    await s?.world.stop();
  });

  it('a NodeConfig starts exactly one collector per metric, fetching at its interval', async () => {
    s = await setup();
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 2, 'first fetches');
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 1, deltaP: 1 });
    expect((await s.series('wao_collectors')).map((v) => [v.labels.metric, v.value]).sort()).toEqual([
      ['deltaP', 1],
      ['inletTemp', 1],
    ]);
    const inlet = s.fc.of('fetchInletTemp')[0];
    expect(inlet.access).toEqual({ type: 'Redfish', endpoint: INLET.endpoint, insecureSkipVerify: false });
    expect(inlet.opts.timeoutMs).toBe(8000);
    const dp = s.fc.of('fetchDeltaP')[0];
    expect(dp.node).toBe('worker-0');
    expect(dp.access.endpoint).toBe(DELTAP.endpoint);
    await s.clock.advance(30_000);
    expect(count(s.fetches, 'inletTemp')).toEqual([0, 10_000, 20_000, 30_000]);
    expect(count(s.fetches, 'deltaP')).toEqual([0, 10_000, 20_000, 30_000]);
    // A reconcile of the unchanged NodeConfig keeps the collectors (no restart, no extra fetch).
    s.controller.controller.queue.add(KEY);
    await s.settleUntil(() => s.controller.controller.queue.length === 0, 'reconcile');
    await s.clock.advance(5_000);
    expect(count(s.fetches, 'inletTemp')).toEqual([0, 10_000, 20_000, 30_000]);
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 1, deltaP: 1 });
  });

  it('a change of one term replaces that collector only; never two for one metric', async () => {
    s = await setup();
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 2, 'first fetches');
    await s.clock.advance(15_000); // fetches at 0 and 10000
    const newDp = 'http://10.0.0.2:5000';
    s.world.nodeConfigs().upsert(
      nodeConfig('nc', { nodeName: 'worker-0', metricsCollector: { inletTemp: INLET, deltaP: { ...DELTAP, endpoint: newDp } } }, { uid: 'nc-uid', generation: 2 }),
    );
    await s.settleUntil(() => count(s.fetches, 'deltaP', newDp).length === 1, 'the new deltaP collector');
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 1, deltaP: 1 });
    await s.clock.advance(20_000); // to 35000
    // The inlet temperature collector kept running on its cadence: no restart at 15000.
    expect(count(s.fetches, 'inletTemp')).toEqual([0, 10_000, 20_000, 30_000]);
    // The old deltaP collector stopped when the new one started (random 0: first fetch at once).
    expect(count(s.fetches, 'deltaP', DELTAP.endpoint)).toEqual([0, 10_000]);
    expect(count(s.fetches, 'deltaP', newDp)).toEqual([15_000, 25_000, 35_000]);
    expect((await s.series('wao_collectors')).find((v) => v.labels.metric === 'deltaP')?.value).toBe(1);
  });

  it('a replaced collector keeps its series (the last good value) until the new one reads; a status-only update starts nothing', async () => {
    let random = 0;
    s = await setup({ random: () => random });
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 2, 'first fetches');
    const before = (await s.series('wao_differential_pressure')).map((v) => v.value);
    expect(before).toHaveLength(1);
    random = 0.5; // the next collectors start half an interval later
    // A status write (same generation): no reconcile, nothing restarted.
    s.world.nodeConfigs().upsert(nodeConfig('nc', { nodeName: 'worker-0', metricsCollector: { inletTemp: INLET, deltaP: DELTAP } }, { uid: 'nc-uid', generation: 1, status: { conditions: [] } }));
    await s.clock.advance(0);
    expect(s.fetches).toHaveLength(2);
    const newDp = 'http://10.0.0.3:5000';
    s.world.nodeConfigs().upsert(
      nodeConfig('nc', { nodeName: 'worker-0', metricsCollector: { inletTemp: INLET, deltaP: { ...DELTAP, endpoint: newDp } } }, { uid: 'nc-uid', generation: 2 }),
    );
    await s.settleUntil(() => s.controller.collectorCount().deltaP === 1 && s.controller.state(KEY)?.generation === 2, 'replaced');
    expect(count(s.fetches, 'deltaP', newDp)).toEqual([]); // jittered: not read yet
    expect((await s.series('wao_differential_pressure')).map((v) => v.value)).toEqual(before);
    expect(count(s.fetches, 'inletTemp')).toHaveLength(1);
  });

  it('a change of the node restarts both collectors for the new node', async () => {
    s = await setup();
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 2, 'first fetches');
    await s.clock.advance(5_000);
    s.world.nodeConfigs().upsert(nodeConfig('nc', { nodeName: 'worker-1', metricsCollector: { inletTemp: INLET, deltaP: DELTAP } }, { uid: 'nc-uid', generation: 2 }));
    await s.settleUntil(() => s.fetches.length === 4, 'restarted collectors');
    expect(s.fc.of('fetchDeltaP').map((c) => c.node)).toEqual(['worker-0', 'worker-1']);
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 1, deltaP: 1 });
    expect(s.controller.state(KEY)?.nodeName).toBe('worker-1');
    // The old node's series are gone, the new node's are there.
    const inlet = await s.series('wao_inlet_temperature_celsius');
    expect(inlet.map((v) => v.labels.node)).toEqual(['worker-1']);
  });

  it('delete stops both collectors and removes their series from the registry', async () => {
    s = await setup();
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 2, 'first fetches');
    expect((await s.series('wao_inlet_temperature_celsius')).map((v) => [v.labels, v.value])).toEqual([[{ node: 'worker-0', nodeconfig: KEY }, 21]]);
    expect((await s.series('wao_differential_pressure')).map((v) => v.value)).toEqual([102]);
    expect(await s.series('wao_reading_timestamp_seconds')).toHaveLength(2);
    s.world.nodeConfigs().remove(NS, 'nc');
    await s.settleUntil(() => s.controller.collectorCount().inletTemp === 0 && s.controller.collectorCount().deltaP === 0, 'collectors stopped');
    expect(await s.series('wao_inlet_temperature_celsius')).toEqual([]);
    expect(await s.series('wao_differential_pressure')).toEqual([]);
    expect(await s.series('wao_reading_timestamp_seconds')).toEqual([]);
    expect((await s.series('wao_collectors')).map((v) => v.value)).toEqual([0, 0]);
    expect(s.controller.state(KEY)).toBeUndefined();
    await s.clock.advance(60_000);
    expect(s.fetches).toHaveLength(2);
  });

  it('writes the readings to the status through patchStatus, at most once per status interval', async () => {
    s = await setup({ statusIntervalMs: 5000, random: () => 0.5, inletTemp: { ...INLET, fetchInterval: '1s' }, deltaP: { ...DELTAP, fetchInterval: '1s' } });
    s.controller.start();
    await s.settleUntil(() => s.api.of('patchStatus').length === 1, 'first status write');
    await s.clock.advance(20_000);
    // 40 fetches (at 500, 1500, ...), 5 writes: the first at once, then one per interval.
    expect(s.fetches).toHaveLength(40);
    expect(s.patchedAt).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    const writes = s.api.of('patchStatus');
    expect(writes.every((w) => w.resource === 'nodeconfigs' && w.namespace === NS && w.name === 'nc' && w.options === 'merge')).toBe(true);
    expect(writes[0].body.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
    // Each write carries the newest readings: those of the fetches 500 ms earlier.
    const last = writes.at(-1)!.body.status;
    const lastTime = new Date(s.t0 + 19_500).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const valueAt = (metric: string, t: number) => s.fetches.find(([m, , at]) => m === metric && at === t)![3];
    expect(last.readings).toEqual({
      inletTemp: { value: valueAt('inletTemp', 19_500), time: lastTime },
      deltaP: { value: valueAt('deltaP', 19_500), time: lastTime },
    });
    // ... and the inlet temperature never took the differential pressure's value or the reverse.
    for (const w of writes.slice(1)) {
      expect(w.body.status.readings.inletTemp.value).toBeLessThan(100);
      expect(w.body.status.readings.deltaP.value).toBeGreaterThan(100);
    }
    expect(last.observedGeneration).toBe(1);
    expect(last.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'MetricsAvailable' });
    // The stored status is what was written (merge patch).
    expect(s.world.nodeConfigs().objects.get(KEY)?.status).toEqual(last);
  });

  it('a failed fetch shows in the status with its reason; Unauthorized makes the next fetch read the Secret again', async () => {
    s = await setup({ inletTemp: { ...INLET, basicAuthSecret: { name: 'bmc' } } });
    let unauthorized = true;
    const ok = s.fc.inletTemp;
    s.fc.inletTemp = (c) => {
      if (unauthorized) {
        unauthorized = false;
        throw Object.assign(new Error('401 from the BMC'), { reason: 'Unauthorized' });
      }
      return ok(c);
    };
    s.controller.start();
    await s.settleUntil(() => s.fc.of('fetchInletTemp').length === 1 && s.fc.of('fetchDeltaP').length === 1, 'first fetches');
    expect(s.reader.reads).toBe(1);
    expect(s.controller.state(KEY)?.metrics.inletTemp?.failure?.reason).toBe('Unauthorized');
    await s.clock.advance(5000); // the status interval
    const status = s.api.of('patchStatus').at(-1)!.body.status;
    expect(status.conditions.find((c: any) => c.type === 'InletTempAvailable')).toMatchObject({ status: 'False', reason: 'Unauthorized' });
    await s.clock.advance(5000); // the retry, one interval after the failure
    expect(s.fc.of('fetchInletTemp')).toHaveLength(2);
    expect(s.reader.reads).toBe(2); // within the 30 s TTL, but forgotten after the 401
    expect(s.controller.state(KEY)?.metrics.inletTemp).toMatchObject({ value: expect.any(Number), failure: undefined });
  });

  it('stop() stops every collector and status write; start() brings them back', async () => {
    s = await setup();
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 2, 'first fetches');
    await s.controller.stop();
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 0, deltaP: 0 });
    expect(await s.series('wao_inlet_temperature_celsius')).toEqual([]);
    expect(s.clock.pending).toBe(0);
    const writes = s.api.writes.length;
    await s.clock.advance(60_000);
    expect(s.fetches).toHaveLength(2);
    expect(s.api.writes).toHaveLength(writes);
    s.controller.start();
    await s.settleUntil(() => s.fetches.length === 4, 'fetching again');
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 1, deltaP: 1 });
  });

  it('runs no collector while not the leader', async () => {
    s = await setup({ isLeader: () => false });
    s.controller.start();
    await new Promise((r) => setTimeout(r, 30));
    await s.clock.advance(30_000);
    expect(s.controller.collectorCount()).toEqual({ inletTemp: 0, deltaP: 0 });
    expect(s.fetches).toEqual([]);
    expect(s.api.writes).toEqual([]);
  });
});
