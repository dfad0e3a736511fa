import { jest } from '@jest/globals';
import { KitMetrics } from '../../../../runtime/kit/index.js';
import { AccessResolver, type ObjectReader } from '../../../../runtime/wao/access.js';
import { Predictor, PredictionError, type PredictRequest } from '../../../../runtime/wao/predictor.js';
import type { NodeConfigState } from '../../../../runtime/wao/readings.js';
import { FakeClients, NS, WaoWorld, deferred, nodeConfig, settle, until } from './fakes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const PRED = 'http://10.0.0.1:8080/v2/models/m/infer';
const STATUS_TIME = '2026-03-01T10:00:00Z';
const readings = (inletTemp = 20, deltaP = 3, time = STATUS_TIME) => ({ readings: { inletTemp: { value: inletTemp, time }, deltaP: { value: deltaP, time } } });

class Reader implements ObjectReader {
  reads = 0;
  async get<T>(ref: { resource: string; namespace?: string }, name: string): Promise<T | undefined> {
    this.reads++;
    if (ref.resource !== 'secrets') return undefined;
    const secrets: Record<string, { data: Record<string, string> }> = {
      [`${NS}/pred-auth`]: { data: { username: b64('pred'), password: b64('pw1') } },
      [`${NS}/bmc-auth`]: { data: { username: b64('bmc'), password: b64('pw2') } },
    };
    return secrets[`${ref.namespace}/${name}`] as T | undefined;
  }
}

interface Note {
  key: string;
  ok: boolean;
  reason: string;
  message: string;
}

function setup(opts: { cacheSize?: number; cacheTtlMs?: number; timeoutMs?: number } = {}) {
  const world = new WaoWorld();
  const fc = new FakeClients();
  const states = new Map<string, NodeConfigState>();
  const notes: Note[] = [];
  const metrics = new KitMetrics();
  const predictor = new Predictor({
    informers: world.informers,
    access: new AccessResolver({ reader: new Reader() }),
    clients: fc.clients,
    nodeConfigs: { state: (k) => states.get(k), notePredictor: (key, ok, reason, message) => void notes.push({ key, ok, reason, message }) },
    metrics,
    cacheTtlMs: opts.cacheTtlMs ?? 60_000,
    cacheSize: opts.cacheSize ?? 100,
    timeoutMs: opts.timeoutMs,
  });
  const counter = async (result: string) =>
    (await metrics.registry.getSingleMetric('wao_predictions_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { world, fc, states, notes, metrics, predictor, counter };
}

async function failure(p: Promise<unknown>): Promise<PredictionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PredictionError);
    return err as PredictionError;
  }
  throw new Error('expected a PredictionError');
}

const req = (cpuUsage = 50, node = 'worker-0'): PredictRequest => ({ node, cpuUsage });

describe('Predictor', () => {
  let s: ReturnType<typeof setup>;
  afterEach(async () => {
    await s?.world.stop();
    jest.restoreAllMocks();
  });

  it('404 NodeConfigNotFound for a node without NodeConfig, naming the watched namespaces', async () => {
    s = setup();
    await s.world.start();
    const e = await failure(s.predictor.predict(req(1, 'worker-9')));
    expect(e.status).toBe(404);
    expect(e.reason).toBe('NodeConfigNotFound');
    expect(e.message).toContain('worker-9');
    expect(e.message).toContain(NS);
    expect(await s.counter('NodeConfigNotFound')).toBe(1);
  });

  it('404 NoPredictor when the NodeConfig has neither powerConsumption nor a provider', async () => {
    s = setup();
    s.world.nodeConfigs().upsertSilently(nodeConfig('nc', { nodeName: 'worker-0' }, { status: readings() }));
    await s.world.start();
    const e = await failure(s.predictor.predict(req()));
    expect([e.status, e.reason]).toEqual([404, 'NoPredictor']);
    expect(s.fc.calls).toEqual([]);
  });

  it('503 ReadingsUnavailable without a reading of each metric (status or memory)', async () => {
    s = setup();
    const predictor = { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED } };
    s.world.nodeConfigs().upsertSilently(nodeConfig('nc', { nodeName: 'worker-0', predictor }));
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc1', { nodeName: 'worker-1', predictor }, { status: { readings: { inletTemp: { value: 20, time: STATUS_TIME } } } }),
    );
    await s.world.start();
    let e = await failure(s.predictor.predict(req()));
    expect([e.status, e.reason]).toEqual([503, 'ReadingsUnavailable']);
    expect(e.message).toContain('inlet temperature');
    e = await failure(s.predictor.predict(req(1, 'worker-1')));
    expect(e.status).toBe(503);
    expect(e.message).toContain('differential pressure');
    expect(s.fc.calls).toEqual([]);
  });

  it('predicts from the status readings with the NodeConfig predictor; a second identical request is a cache hit', async () => {
    s = setup();
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc', { nodeName: 'worker-0', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED } } }, { status: readings(20, 3) }),
    );
    await s.world.start();
    const p = await s.predictor.predict(req(50));
    expect(p).toEqual({ node: 'worker-0', nodeConfig: `${NS}/nc`, watts: 150, inputs: { cpuUsage: 50, inletTemp: 20, deltaP: 3 }, cached: false });
    const [call] = s.fc.of('predictPowerConsumption');
    expect(call.access).toEqual({ type: 'V2InferenceProtocol', endpoint: PRED, insecureSkipVerify: false });
    expect(call.input).toEqual({ cpuUsage: 50, inletTemp: 20, deltaP: 3 });
    expect(call.opts.timeoutMs).toBe(5000);
    expect(await s.predictor.predict(req(50))).toMatchObject({ watts: 150, cached: true });
    expect(s.fc.of('predictPowerConsumption')).toHaveLength(1);
    // Another input is another prediction.
    expect(await s.predictor.predict(req(60))).toMatchObject({ watts: 160, cached: false });
    expect(s.fc.of('predictPowerConsumption')).toHaveLength(2);
    expect(s.notes.at(-1)).toEqual({ key: `${NS}/nc`, ok: true, reason: 'Predicted', message: 'last prediction 160 W' });
    expect(await s.counter('hit')).toBe(1);
    expect(await s.counter('miss')).toBe(2);
    expect(s.fc.of('providePowerConsumptionEndpoint')).toEqual([]);
  });

  it('concurrent identical requests share one predictor call', async () => {
    s = setup();
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc', { nodeName: 'worker-0', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED } } }, { status: readings() }),
    );
    await s.world.start();
    const gate = deferred<number>();
    s.fc.power = () => gate.promise;
    const all = Promise.all([s.predictor.predict(req()), s.predictor.predict(req()), s.predictor.predict(req())]);
    await settle();
    expect(s.fc.of('predictPowerConsumption')).toHaveLength(1);
    gate.resolve(99);
    const answers = await all;
    expect(answers.map((a) => [a.watts, a.cached])).toEqual([
      [99, false],
      [99, true],
      [99, true],
    ]);
  });

  it('prefers the in-memory reading when it is newer than the status, per metric', async () => {
    s = setup();
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc', { nodeName: 'worker-0', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED } } }, { status: readings(20, 3) }),
    );
    await s.world.start();
    s.states.set(`${NS}/nc`, {
      key: `${NS}/nc`,
      nodeName: 'worker-0',
      metrics: {
        inletTemp: { value: 25, time: new Date('2026-03-01T10:00:05Z') }, // newer than the status: used
        deltaP: { value: 9, time: new Date('2026-03-01T09:59:55Z') }, // older: the status wins
      },
    });
    const p = await s.predictor.predict(req(10));
    expect(p.inputs).toEqual({ cpuUsage: 10, inletTemp: 25, deltaP: 3 });
    // Without any status reading the in-memory one is enough.
    s.states.get(`${NS}/nc`)!.metrics.deltaP = { value: 9, time: new Date('2026-03-01T10:00:05Z') };
    expect((await s.predictor.predict(req(10))).inputs).toEqual({ cpuUsage: 10, inletTemp: 25, deltaP: 9 });
  });

  it('uses the oldest NodeConfig of the node when several exist', async () => {
    s = setup();
    const pc = (endpoint: string) => ({ powerConsumption: { type: 'V2InferenceProtocol', endpoint } });
    s.world.nodeConfigs().upsertSilently(nodeConfig('b-newer', { nodeName: 'worker-0', predictor: pc('http://newer/infer') }, { creationTimestamp: '2026-02-01T00:00:00Z', status: readings() }));
    s.world.nodeConfigs().upsertSilently(nodeConfig('z-older', { nodeName: 'worker-0', predictor: pc('http://older/infer') }, { creationTimestamp: '2026-01-01T00:00:00Z', status: readings() }));
    await s.world.start();
    const p = await s.predictor.predict(req());
    expect(p.nodeConfig).toBe(`${NS}/z-older`);
    expect(s.fc.of('predictPowerConsumption')[0].access.endpoint).toBe('http://older/infer');
  });

  it('a new generation of the NodeConfig is not answered from the cache of the old one', async () => {
    s = setup();
    const nc = (endpoint: string, generation: number) =>
      nodeConfig('nc', { nodeName: 'worker-0', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint } } }, { uid: 'nc-uid', generation, status: readings() });
    s.world.nodeConfigs().upsertSilently(nc(PRED, 1));
    await s.world.start();
    await s.predictor.predict(req());
    s.world.nodeConfigs().upsert(nc('http://10.0.0.2/infer', 2));
    const p = await s.predictor.predict(req());
    expect(p.cached).toBe(false);
    expect(s.fc.of('predictPowerConsumption').map((c) => c.access.endpoint)).toEqual([PRED, 'http://10.0.0.2/infer']);
  });

  it('the prediction cache is bounded by cacheSize (least recently used out)', async () => {
    s = setup({ cacheSize: 2 });
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc', { nodeName: 'worker-0', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED } } }, { status: readings() }),
    );
    await s.world.start();
    for (const cpu of [1, 2, 3]) await s.predictor.predict(req(cpu));
    const entries = await s.metrics.registry.getSingleMetric('wao_prediction_cache_entries')!.get();
    expect(entries.values[0].value).toBe(2);
    expect((await s.predictor.predict(req(3))).cached).toBe(true);
    expect((await s.predictor.predict(req(1))).cached).toBe(false); // evicted
    expect(s.fc.of('predictPowerConsumption')).toHaveLength(4);
  });

  it.each([
    ['powerConsumption type ""', { powerConsumption: { type: '', endpoint: '', basicAuthSecret: { name: 'pred-auth' } } }, { username: 'pred', password: 'pw1' }],
    ['no powerConsumption', {}, undefined],
  ])('provider path (%s): the provider is asked once within the TTL; its endpoint is predicted with', async (_name, pcPart, predictorAuth) => {
    s = setup();
    const predictor = { ...pcPart, powerConsumptionEndpointProvider: { type: 'Redfish', endpoint: 'https://10.0.0.100', basicAuthSecret: { name: 'bmc-auth' } } };
    s.world.nodeConfigs().upsertSilently(nodeConfig('nc', { nodeName: 'worker-0', predictor }, { status: readings(20, 3) }));
    await s.world.start();
    s.fc.endpoint = () => ({ type: 'V2InferenceProtocol', endpoint: 'http://10.0.0.7:8080/v2/models/p/infer' });
    const a = await s.predictor.predict(req(10));
    const b = await s.predictor.predict(req(20));
    expect([a.watts, b.watts]).toEqual([110, 120]);
    const provided = s.fc.of('providePowerConsumptionEndpoint');
    expect(provided).toHaveLength(1);
    expect(provided[0].access).toMatchObject({ type: 'Redfish', endpoint: 'https://10.0.0.100', basicAuth: { username: 'bmc', password: 'pw2' } });
    const predicted = s.fc.of('predictPowerConsumption');
    expect(predicted).toHaveLength(2);
    for (const c of predicted) {
      expect(c.access.type).toBe('V2InferenceProtocol');
      expect(c.access.endpoint).toBe('http://10.0.0.7:8080/v2/models/p/infer');
      expect(c.access.basicAuth).toEqual(predictorAuth);
    }
  });

  it('provider path: after the TTL the provider is asked again', async () => {
    let now = 1_800_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    s = setup({ cacheTtlMs: 10_000 });
    const predictor = { powerConsumptionEndpointProvider: { type: 'Redfish', endpoint: 'https://10.0.0.100' } };
    s.world.nodeConfigs().upsertSilently(nodeConfig('nc', { nodeName: 'worker-0', predictor }, { status: readings() }));
    await s.world.start();
    await s.predictor.predict(req(1));
    now += 9_999;
    await s.predictor.predict(req(2));
    expect(s.fc.of('providePowerConsumptionEndpoint')).toHaveLength(1);
    now += 1;
    await s.predictor.predict(req(3));
    expect(s.fc.of('providePowerConsumptionEndpoint')).toHaveLength(2);
  });

  it.each([
    ['HTTPStatus', 502],
    ['NotJSON', 502],
    ['ConnectionFailed', 502],
    ['Timeout', 504],
  ])('a predictor failure %s is %p, noted on the NodeConfig and not cached', async (reason, status) => {
    s = setup();
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc', { nodeName: 'worker-0', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED } } }, { status: readings() }),
    );
    await s.world.start();
    s.fc.power = () => {
      throw Object.assign(new Error(`predictor says ${reason}`), { reason });
    };
    const e = await failure(s.predictor.predict(req()));
    expect([e.status, e.reason]).toEqual([status, reason]);
    expect(e.message).toBe(`NodeConfig ${NS}/nc: predictor says ${reason}`);
    expect(s.notes).toEqual([{ key: `${NS}/nc`, ok: false, reason, message: `predictor says ${reason}` }]);
    expect(await s.counter(reason)).toBe(1);
    s.fc.power = () => 77;
    expect(await s.predictor.predict(req())).toMatchObject({ watts: 77, cached: false });
    expect(s.notes.at(-1)).toMatchObject({ ok: true, reason: 'Predicted' });
  });

  it('a provider failure is 502 and is not cached; a missing predictor Secret is 502 SecretNotFound', async () => {
    s = setup();
    const provider = { powerConsumptionEndpointProvider: { type: 'Redfish', endpoint: 'https://10.0.0.100' } };
    s.world.nodeConfigs().upsertSilently(nodeConfig('nc', { nodeName: 'worker-0', predictor: provider }, { status: readings() }));
    s.world.nodeConfigs().upsertSilently(
      nodeConfig('nc1', { nodeName: 'worker-1', predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: PRED, basicAuthSecret: { name: 'nope' } } } }, { status: readings() }),
    );
    await s.world.start();
    let fail = true;
    s.fc.endpoint = () => {
      if (fail) throw Object.assign(new Error('no MachineLearningModel'), { reason: 'SensorNotFound' });
      return { type: 'V2InferenceProtocol', endpoint: PRED };
    };
    let e = await failure(s.predictor.predict(req()));
    expect([e.status, e.reason]).toEqual([502, 'SensorNotFound']);
    fail = false;
    await s.predictor.predict(req());
    expect(s.fc.of('providePowerConsumptionEndpoint')).toHaveLength(2);
    e = await failure(s.predictor.predict(req(1, 'worker-1')));
    expect([e.status, e.reason]).toEqual([502, 'SecretNotFound']);
    expect(s.notes.at(-1)).toMatchObject({ key: `${NS}/nc1`, ok: false, reason: 'SecretNotFound' });
  });

  it('passes its timeout to the clients', async () => {
    s = setup({ timeoutMs: 1234 });
    const predictor = { powerConsumptionEndpointProvider: { type: 'Fake' } };
    s.world.nodeConfigs().upsertSilently(nodeConfig('nc', { nodeName: 'worker-0', predictor }, { status: readings() }));
    await s.world.start();
    await s.predictor.predict(req());
    await until(() => s.fc.calls.length === 2);
    expect(s.fc.calls.map((c) => c.opts.timeoutMs)).toEqual([1234, 1234]);
  });
});
