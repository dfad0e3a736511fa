/**
 * WAO's clients against the real peers (test/peers): sushy-tools' Redfish responder for the
 * three server kinds, over TLS signed by a CA given by reference and behind basic auth;
 * MLServer reached through the endpoint the Redfish MachineLearningModel provides; and the
 * differential-pressure server with each of its faults. The Python peers skip with one line
 * when no Python 3.11/3.12 is there; the differential-pressure server always runs.
 */
import { jest } from '@jest/globals';
import { WaoClients, type EndpointAccess, type EndpointError } from '../../runtime/wao/clients/index.js';
import { POWER_MODEL, expectedWatts, startInference, type InferencePeer } from '../peers/inference.js';
import { REDFISH_INLET, startRedfish, type RedfishPeer, type RedfishVendor } from '../peers/redfish.js';
import { startDifferentialPressure, type DpFault, type DpServer } from '../peers/differential-pressure.js';
import { pythonPeersUnavailable, pythonPeersVenv } from '../peers/venv.js';

jest.setTimeout(120_000);

const why = pythonPeersUnavailable();
if (why) process.stderr.write(`WAO clients against the Python peers (sushy-tools, MLServer) skipped: ${why}\n`);
const pySuite = why ? describe.skip : describe;

const OPTS = { timeoutMs: 10_000 };

/** The EndpointError `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<EndpointError> {
  const r = await p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (r.ok) throw new Error(`resolved with ${JSON.stringify(r.v)} instead of failing`);
  if ((r.e as Error)?.name !== 'EndpointError') throw new Error(`rejected with ${String(r.e)}`);
  return r.e as EndpointError;
}

pySuite('Redfish (sushy-tools) and V2 inference (MLServer)', () => {
  const vendors: RedfishVendor[] = ['dell', 'lenovo', 'supermicro'];
  const peers = new Map<RedfishVendor, RedfishPeer>();
  let inf: InferencePeer;
  let clients: WaoClients;
  const access = (p: RedfishPeer, extra: Partial<EndpointAccess> = {}): EndpointAccess => ({
    type: 'Redfish',
    endpoint: p.url,
    caPem: p.caPem,
    basicAuth: { username: p.username!, password: p.password! },
    ...extra,
  });

  beforeAll(async () => {
    await pythonPeersVenv();
    inf = await startInference();
    const model = { Name: POWER_MODEL.name, Url: inf.url, Type: 'V2InferenceProtocol', Version: POWER_MODEL.version };
    await Promise.all(vendors.map(async (v) => peers.set(v, await startRedfish({ vendor: v, powerConsumptionModel: model }))));
    clients = new WaoClients();
  }, 900_000);
  afterAll(async () => {
    clients?.close();
    await Promise.all([inf?.stop(), ...[...peers.values()].map((p) => p.stop())]);
  });

  test.each(vendors)('%s: the inlet temperature over TLS with basic auth, then a changed reading', async (v) => {
    const p = peers.get(v)!;
    expect(await clients.fetchInletTemp(access(p), OPTS)).toBe(REDFISH_INLET[v].reading);
    // With a trailing slash: the same endpoint, the remembered layout.
    expect(await clients.fetchInletTemp(access(p, { endpoint: `${p.url}/` }), OPTS)).toBe(REDFISH_INLET[v].reading);
    p.setInletTemp(30.25);
    try {
      expect(await clients.fetchInletTemp(access(p), OPTS)).toBe(30.25);
    } finally {
      p.setInletTemp(REDFISH_INLET[v].reading);
    }
  });

  test('a wrong password is Unauthorized (and not in the message); no credentials too', async () => {
    const p = peers.get('dell')!;
    const wrong = await failure(clients.fetchInletTemp(access(p, { basicAuth: { username: p.username!, password: 'not-the-password' } }), OPTS));
    expect([wrong.reason, wrong.status]).toEqual(['Unauthorized', 401]);
    expect(wrong.message).not.toContain('not-the-password');
    const none = await failure(clients.fetchInletTemp({ type: 'Redfish', endpoint: p.url, caPem: p.caPem }, OPTS));
    expect(none.reason).toBe('Unauthorized');
  });

  test('TLS: no CA (system roots) or another peer\'s CA is TLSFailed; insecureSkipVerify works', async () => {
    const p = peers.get('supermicro')!;
    const { caPem: _ca, ...noCa } = access(p);
    expect((await failure(clients.fetchInletTemp(noCa, OPTS))).reason).toBe('TLSFailed');
    expect((await failure(clients.fetchInletTemp(access(p, { caPem: peers.get('dell')!.caPem }), OPTS))).reason).toBe('TLSFailed');
    expect(await clients.fetchInletTemp({ ...noCa, insecureSkipVerify: true }, OPTS)).toBe(REDFISH_INLET.supermicro.reading);
  });

  test('a sensor that goes away (404) is detected again: SensorNotFound, then the reading once it is back', async () => {
    const p = peers.get('lenovo')!;
    const path = REDFISH_INLET.lenovo.path;
    expect(await clients.fetchInletTemp(access(p), OPTS)).toBe(REDFISH_INLET.lenovo.reading);
    const saved = p.readDocument(path);
    p.removeDocument(path);
    try {
      const e = await failure(clients.fetchInletTemp(access(p), OPTS));
      expect(e.reason).toBe('SensorNotFound');
      expect(e.message).toMatch(/Dell: HTTP 404; Supermicro: HTTP 404/);
    } finally {
      p.writeDocument(path, saved);
    }
    expect(await clients.fetchInletTemp(access(p), OPTS)).toBe(REDFISH_INLET.lenovo.reading);
    // A document that is not JSON (sushy serves the file as it is).
    p.writeDocument(path, '{"Name": "Ambient Temp", "Reading": ');
    try {
      expect((await failure(clients.fetchInletTemp(access(p), OPTS))).reason).toBe('NotJSON');
    } finally {
      p.writeDocument(path, saved);
    }
  });

  test.each(vendors)('%s: the MachineLearningModel provides the MLServer endpoint, and the prediction through it is exact', async (v) => {
    const p = peers.get(v)!;
    const provided = await clients.providePowerConsumptionEndpoint(access(p), OPTS);
    expect(provided).toEqual({ type: 'V2InferenceProtocol', endpoint: `${inf.url}${inf.inferPath}` });
    const predictor: EndpointAccess = { type: provided.type, endpoint: provided.endpoint };
    for (const [cpu, inlet, dp] of [[0.5, 25.5, 7.5], [0, 0, 0], [37.3, 24.1, 0.013], [100, 45.2, 12.75]]) {
      expect(await clients.predictPowerConsumption(predictor, { cpuUsage: cpu, inletTemp: inlet, deltaP: dp }, OPTS)).toBe(expectedWatts(cpu, inlet, dp));
    }
  });

  test('a model without Version gives the unversioned infer URL, which MLServer serves too; an unknown model is HTTPStatus 404', async () => {
    const p = peers.get('supermicro')!;
    const path = `/redfish/v1/Systems/${p.systemId}/MachineLearningModel`;
    const saved = p.readDocument(path) as { PowerConsumptionModel: Record<string, string> };
    p.writeDocument(path, { ...saved, PowerConsumptionModel: { ...saved.PowerConsumptionModel, Version: '' } });
    try {
      const provided = await clients.providePowerConsumptionEndpoint(access(p), OPTS);
      expect(provided.endpoint).toBe(`${inf.url}/v2/models/power/infer`);
      expect(await clients.predictPowerConsumption({ type: 'V2InferenceProtocol', endpoint: provided.endpoint }, { cpuUsage: 0.5, inletTemp: 25.5, deltaP: 7.5 }, OPTS)).toBe(136.25);
      p.writeDocument(path, { ...saved, PowerConsumptionModel: { ...saved.PowerConsumptionModel, Type: 'Fake' } });
      expect((await failure(clients.providePowerConsumptionEndpoint(access(p), OPTS))).reason).toBe('MalformedResponse');
    } finally {
      p.writeDocument(path, saved);
    }
    const e = await failure(clients.predictPowerConsumption({ type: 'V2InferenceProtocol', endpoint: `${inf.url}/v2/models/nope/infer` }, { cpuUsage: 1, inletTemp: 2, deltaP: 3 }, OPTS));
    expect([e.reason, e.status]).toEqual(['HTTPStatus', 404]);
  });
});

describe('differential-pressure API', () => {
  let dp: DpServer;
  let clients: WaoClients;
  const auth = { username: 'dp', password: 's3cret-dp' };
  const access = (extra: Partial<EndpointAccess> = {}): EndpointAccess => ({ type: 'DifferentialPressureAPI', endpoint: dp.url, caPem: dp.caPem, basicAuth: auth, ...extra });

  beforeAll(async () => {
    dp = await startDifferentialPressure({ tls: true, auth, pathPrefix: '/dp', table: { 'worker-0': 0.01, 'worker-1': { pressure: 0.02 } } });
    clients = new WaoClients();
  });
  afterAll(async () => {
    clients?.close();
    await dp?.stop();
  });
  afterEach(() => dp.fault('*', undefined));

  test('the pressure of each node, over TLS with basic auth and a path prefix', async () => {
    expect(await clients.fetchDeltaP(access(), 'worker-0', OPTS)).toBe(0.01);
    expect(await clients.fetchDeltaP(access({ endpoint: `${dp.url}/` }), 'worker-1', OPTS)).toBe(0.02);
    dp.set('worker-1', 0.05);
    expect(await clients.fetchDeltaP(access(), 'worker-1', OPTS)).toBe(0.05);
    expect(dp.requests.at(-1)).toMatchObject({ path: '/dp/api/sensor/by_nodename/worker-1', node: 'worker-1', authorized: true });
    expect((await failure(clients.fetchDeltaP(access(), 'worker-9', OPTS))).reason).toBe('SensorNotFound');
  });

  test('wrong credentials are Unauthorized, no CA TLSFailed', async () => {
    expect((await failure(clients.fetchDeltaP(access({ basicAuth: { username: 'dp', password: 'nope' } }), 'worker-0', OPTS))).reason).toBe('Unauthorized');
    const { caPem: _ca, ...noCa } = access();
    expect((await failure(clients.fetchDeltaP(noCa, 'worker-0', OPTS))).reason).toBe('TLSFailed');
  });

  test.each<[DpFault, string]>([
    ['timeout', 'Timeout'],
    ['status500', 'HTTPStatus'],
    ['html', 'NotJSON'],
    ['malformed-json', 'NotJSON'],
    ['empty-sensors', 'SensorNotFound'],
    ['code-error', 'SensorNotFound'],
  ])('fault %s → %s, and the other node still answers', async (fault, reason) => {
    dp.fault('worker-0', fault);
    const t0 = Date.now();
    const e = await failure(clients.fetchDeltaP(access(), 'worker-0', { timeoutMs: 500 }));
    expect(e.reason).toBe(reason);
    expect(e.message).toContain(`${dp.url}/api/sensor/by_nodename/worker-0`);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await clients.fetchDeltaP(access(), 'worker-1', OPTS)).toBe(0.05);
  });
});
