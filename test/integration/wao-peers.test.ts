/**
 * The real peers of the WAO tests speak the protocols the WAO collectors and predictor rely
 * on (issue 16): sushy-tools' Redfish responder for the three server kinds, with basic auth
 * over TLS signed by a CA given by reference; MLServer answering the V2 inference protocol
 * with the exact watts of the test model, also reached through the Redfish endpoint
 * provider's MachineLearningModel; and the differential-pressure server of the documented
 * format with its faults. Plain node:http(s) requests, no product code. The Python peers
 * skip with one line when no Python 3.11/3.12 is there; the differential-pressure server
 * always runs.
 */
import { jest } from '@jest/globals';
import { peerRequest, type PeerResponse } from '../peers/http.js';
import { POWER_MODEL, expectedWatts, powerRequest, startInference, type InferencePeer } from '../peers/inference.js';
import { REDFISH_INLET, startRedfish, type RedfishPeer, type RedfishVendor } from '../peers/redfish.js';
import { startDifferentialPressure, type DpServer } from '../peers/differential-pressure.js';
import { pythonPeersUnavailable, pythonPeersVenv } from '../peers/venv.js';

jest.setTimeout(120_000);

const why = pythonPeersUnavailable();
if (why) process.stderr.write(`WAO Python peers (sushy-tools, MLServer) skipped: ${why}\n`);
const pySuite = why ? describe.skip : describe;

const timings: string[] = [];
afterAll(() => {
  if (timings.length > 0) process.stderr.write(`\nWAO peers, start times:\n${timings.map((t) => `  ${t}`).join('\n')}\n`);
});

const json = (r: PeerResponse): any => {
  try {
    return JSON.parse(r.body);
  } catch {
    throw new Error(`not JSON (HTTP ${r.status}): ${r.body.slice(0, 300)}`);
  }
};

/** The inlet temperature as the original's collector reads it for each server kind. */
function inletOf(vendor: RedfishVendor, doc: any): number {
  if (vendor === 'supermicro') return doc.Temperatures.find((t: any) => t.Name === 'System Temp').ReadingCelsius;
  if (vendor === 'lenovo') expect(doc.Name).toBe('Ambient Temp');
  return doc.Reading;
}

pySuite('Redfish BMC: sushy-tools static responder, basic auth, TLS with our CA', () => {
  const peers = new Map<RedfishVendor, RedfishPeer>();
  const vendors: RedfishVendor[] = ['dell', 'lenovo', 'supermicro'];

  beforeAll(async () => {
    const t0 = Date.now();
    await pythonPeersVenv();
    timings.push(`python peers venv: ${Date.now() - t0} ms`);
    for (const v of vendors) {
      const p = await startRedfish({ vendor: v });
      peers.set(v, p);
      timings.push(`sushy-static (${v}, TLS + basic auth): ${p.startMs} ms`);
    }
  }, 900_000);
  afterAll(async () => {
    await Promise.all([...peers.values()].map((p) => p.stop()));
  });

  test.each(vendors)('%s: the inlet temperature at its vendor path, with credentials over TLS', async (v) => {
    const p = peers.get(v)!;
    const creds = { username: p.username!, password: p.password! };
    expect(p.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const root = await peerRequest(`${p.url}/redfish/v1`, { ca: p.caPem });
    expect(root.status).toBe(200);
    expect(json(root).Vendor).toBe({ dell: 'Dell', lenovo: 'Lenovo', supermicro: 'Supermicro' }[v]);

    const { path, reading } = REDFISH_INLET[v];
    const ok = await peerRequest(`${p.url}${path}`, { ca: p.caPem, auth: creds });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json');
    expect(inletOf(v, json(ok))).toBe(reading);

    // The two other kinds' paths are absent, so probing finds exactly this kind.
    for (const other of vendors.filter((o) => o !== v && REDFISH_INLET[o].path !== path)) {
      expect((await peerRequest(`${p.url}${REDFISH_INLET[other].path}`, { ca: p.caPem, auth: creds })).status).toBe(404);
    }
  });

  test('sushy-tools refuses missing and wrong credentials with 401 and a Redfish error', async () => {
    const p = peers.get('dell')!;
    const url = `${p.url}${REDFISH_INLET.dell.path}`;
    const none = await peerRequest(url, { ca: p.caPem });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(json(none).error.message).toMatch(/Authorization required/);
    const wrong = await peerRequest(url, { ca: p.caPem, auth: { username: p.username!, password: 'not-it' } });
    expect(wrong.status).toBe(401);
    expect(json(wrong).error.message).toMatch(/Incorrect username or password/);
    const unknown = await peerRequest(url, { ca: p.caPem, auth: { username: 'nobody', password: p.password! } });
    expect(unknown.status).toBe(401);
  });

  test('TLS: the serving certificate verifies only against the CA given by reference', async () => {
    const p = peers.get('supermicro')!;
    // Without our CA (the system's roots only) the chain does not verify.
    await expect(peerRequest(`${p.url}/redfish/v1`)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    // With another test CA it does not either.
    await expect(peerRequest(`${p.url}/redfish/v1`, { ca: peers.get('dell')!.caPem })).rejects.toThrow(/self[- ]signed|unable to (get|verify)|signature/i);
    expect((await peerRequest(`${p.url}/redfish/v1`, { ca: p.caPem })).status).toBe(200);
  });

  test('documents change while it runs: a new reading, then a missing sensor (404 with an HTML body)', async () => {
    const p = peers.get('lenovo')!;
    const opts = { ca: p.caPem, auth: { username: p.username!, password: p.password! } };
    const url = `${p.url}${REDFISH_INLET.lenovo.path}`;
    const saved = p.readDocument(REDFISH_INLET.lenovo.path);
    p.setInletTemp(31.25);
    expect(json(await peerRequest(url, opts)).Reading).toBe(31.25);
    p.removeDocument(REDFISH_INLET.lenovo.path);
    const gone = await peerRequest(url, opts);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatch(/<html/i);
    p.writeDocument(REDFISH_INLET.lenovo.path, '{"Name": "Ambient Temp", "Reading": ');
    const broken = await peerRequest(url, opts);
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.body)).toThrow();
    p.writeDocument(REDFISH_INLET.lenovo.path, saved);
    expect(json(await peerRequest(url, opts)).Reading).toBe(REDFISH_INLET.lenovo.reading);
  });

  test('without auth and TLS the same emulator answers plain HTTP', async () => {
    const p = await startRedfish({ vendor: 'supermicro', auth: false, tls: false, inletTemp: 19 });
    try {
      timings.push(`sushy-static (plain HTTP, no auth): ${p.startMs} ms`);
      expect(p.url).toMatch(/^http:\/\//);
      expect(p.caPem).toBe('');
      expect(inletOf('supermicro', json(await peerRequest(`${p.url}${REDFISH_INLET.supermicro.path}`)))).toBe(19);
    } finally {
      await p.stop();
    }
  });
});

pySuite('V2 inference server: MLServer with the power model', () => {
  let inf: InferencePeer;
  beforeAll(async () => {
    await pythonPeersVenv();
    inf = await startInference();
    timings.push(`mlserver (model ${POWER_MODEL.name} v${POWER_MODEL.version} ready): ${inf.startMs} ms`);
  }, 900_000);
  afterAll(async () => {
    await inf?.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    peerRequest(`${inf.url}${path}`, { method: 'POST', body, headers });

  test('POST /v2/models/power/versions/1/infer with the documented body answers the exact watts', async () => {
    expect(inf.inferPath).toBe('/v2/models/power/versions/1/infer');
    for (const [cpu, inlet, dp] of [[0.5, 25.5, 7.5], [0, 0, 0], [37.3, 24.1, 0.013]]) {
      const r = await post(inf.inferPath, powerRequest(cpu, inlet, dp));
      expect(r.status).toBe(200);
      const body = json(r);
      expect(body.model_name).toBe('power');
      expect(body.model_version).toBe('1');
      expect(body.outputs[0].datatype).toBe('FP64');
      expect(body.outputs[0].data[0]).toBe(expectedWatts(cpu, inlet, dp));
    }
    expect(expectedWatts(0.5, 25.5, 7.5)).toBe(136.25);
    // The unversioned path serves the same model.
    expect(json(await post('/v2/models/power/infer', powerRequest(0.5, 25.5, 7.5))).outputs[0].data[0]).toBe(136.25);
  });

  test('MLServer takes a body without Content-Type, answers 422 to a form Content-Type, 400 with the reason to a wrong shape or datatype, 404 to an unknown model', async () => {
    const noType = await post(inf.inferPath, powerRequest(1, 2, 3), {});
    expect(noType.status).toBe(200);
    const form = await post(inf.inferPath, powerRequest(1, 2, 3), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(422);
    const shape = await post(inf.inferPath, JSON.stringify({ inputs: [{ name: 'predict-prob', shape: [1, 2], datatype: 'FP32', data: [[1, 2]] }] }));
    expect(shape.status).toBe(400);
    expect(json(shape).error).toMatch(/shape \[n, 3\]/);
    const fp64 = await post(inf.inferPath, JSON.stringify({ inputs: [{ name: 'predict-prob', shape: [1, 3], datatype: 'FP64', data: [[1, 2, 3]] }] }));
    expect(fp64.status).toBe(400);
    expect(json(fp64).error).toMatch(/FP32/);
    expect((await post('/v2/models/nope/versions/1/infer', powerRequest(1, 2, 3))).status).toBe(404);
  });

  test('the Redfish endpoint provider chain: Systems → MachineLearningModel → {Url}/v2/models/{Name}/versions/{Version}/infer', async () => {
    const rf = await startRedfish({
      vendor: 'dell',
      powerConsumptionModel: { Name: POWER_MODEL.name, Url: inf.url, Type: 'V2InferenceProtocol', Version: POWER_MODEL.version },
    });
    try {
      const opts = { ca: rf.caPem, auth: { username: rf.username!, password: rf.password! } };
      const systems = json(await peerRequest(`${rf.url}/redfish/v1/Systems`, opts));
      const id = systems.Members[0]['@odata.id'].split('/').pop();
      expect(id).toBe('System.Embedded.1');
      const mlm = json(await peerRequest(`${rf.url}/redfish/v1/Systems/${id}/MachineLearningModel`, opts));
      const m = mlm.PowerConsumptionModel;
      expect(m).toEqual({ Name: 'power', Url: inf.url, Type: 'V2InferenceProtocol', Version: '1' });
      const endpoint = `${m.Url}/v2/models/${m.Name}/versions/${m.Version}/infer`;
      const r = await peerRequest(endpoint, { method: 'POST', body: powerRequest(0.5, 25.5, 7.5), headers: { 'content-type': 'application/json' } });
      expect(json(r).outputs[0].data[0]).toBe(136.25);
    } finally {
      await rf.stop();
    }
  });
});

describe('differential-pressure API server (TypeScript, documented format)', () => {
  let dp: DpServer;
  const auth = { username: 'dp', password: 's3cret' };
  beforeAll(async () => {
    const t0 = Date.now();
    dp = await startDifferentialPressure({ tls: true, auth, pathPrefix: '/dp', table: { 'worker-0': 0.01, 'worker-1': { pressure: 0.02, sensorid: '101037C', temperature: 25.5 } } });
    timings.push(`differential-pressure server (TLS): ${Date.now() - t0} ms`);
  });
  afterAll(async () => {
    await dp?.stop();
  });
  const get = (node: string, a: typeof auth | null = auth) =>
    peerRequest(`${dp.url}/api/sensor/by_nodename/${node}`, { ca: dp.caPem, ...(a ? { auth: a } : {}), timeoutMs: 2000 });

  test('GET {endpoint}/api/sensor/by_nodename/{node} answers the documented body, per node', async () => {
    expect(dp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dp$/);
    const r = await get('worker-0');
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"code":200,"sensor":[{"pressure":0.01,"sensorid":"101037B","temperature":26.02}]}');
    expect(json(await get('worker-1')).sensor[0].pressure).toBe(0.02);
    dp.set('worker-1', 0.05);
    expect(json(await get('worker-1')).sensor[0].pressure).toBe(0.05);
    expect((await get('worker-9')).status).toBe(404);
    // The path prefix is part of the endpoint.
    expect((await peerRequest(`${dp.url.replace(/\/dp$/, '')}/api/sensor/by_nodename/worker-0`, { ca: dp.caPem, auth })).status).toBe(404);
    expect(dp.requests.filter((q) => q.node === 'worker-0').length).toBeGreaterThanOrEqual(1);
  });

  test('basic auth and TLS: 401 without or with wrong credentials, no answer without the CA', async () => {
    const none = await get('worker-0', null);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await get('worker-0', { username: 'dp', password: 'wrong' })).status).toBe(401);
    await expect(peerRequest(`${dp.url}/api/sensor/by_nodename/worker-0`, { auth })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  test('faults: timeout, 500, HTML, malformed JSON, empty sensor list, an error code in the body', async () => {
    dp.fault('worker-0', 'status500');
    expect((await get('worker-0')).status).toBe(500);
    dp.fault('worker-0', 'html');
    const html = await get('worker-0');
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    dp.fault('worker-0', 'malformed-json');
    const bad = await get('worker-0');
    expect(bad.headers['content-type']).toBe('application/json');
    expect(() => JSON.parse(bad.body)).toThrow();
    dp.fault('worker-0', 'empty-sensors');
    expect(json(await get('worker-0'))).toEqual({ code: 200, sensor: [] });
    dp.fault('worker-0', 'code-error');
    expect(json(await get('worker-0')).code).toBe(500);
    // Only worker-0 is faulty.
    expect(json(await get('worker-1')).code).toBe(200);
    dp.fault('*', 'timeout');
    await expect(get('worker-1')).rejects.toThrow(/no answer in 2000 ms/);
    dp.fault('*', 'timeout', { delayMs: 300 });
    const late = await get('worker-1');
    expect(json(late).code).toBe(200);
    dp.fault('*', undefined);
    dp.fault('worker-0', undefined);
    expect(json(await get('worker-0')).sensor[0].pressure).toBe(0.01);
  });
});
