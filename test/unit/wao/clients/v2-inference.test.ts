/** The V2 inference client: the documented request, the endpoint used as given, the answer's shape. */
import { WaoClients, type EndpointAccess } from '../../../../runtime/wao/clients/index.js';
import { failure, json, serve, type TestServer } from './servers.js';

const OPTS = { timeoutMs: 2000 };
const INPUT = { cpuUsage: 0.5, inletTemp: 25.5, deltaP: 7.5 };
const ANSWER = { model_name: 'power', outputs: [{ name: 'watts', shape: [1, 1], datatype: 'FP64', data: [136.25] }] };

let s: TestServer;
let c: WaoClients;
const v2 = (endpoint: string): EndpointAccess => ({ type: 'V2InferenceProtocol', endpoint });

beforeEach(() => {
  c = new WaoClients();
});
afterEach(async () => {
  c.close();
  await s?.close();
});

it('POSTs the documented body as application/json and returns outputs[0].data[0]', async () => {
  s = await serve((_q, r) => json(r, ANSWER));
  expect(await c.predictPowerConsumption(v2(`${s.url}/v2/models/power/versions/1/infer`), INPUT, OPTS)).toBe(136.25);
  const q = s.requests[0];
  expect([q.method, q.url, q.headers['content-type']]).toEqual(['POST', '/v2/models/power/versions/1/infer', 'application/json']);
  expect(JSON.parse(q.body)).toEqual({ inputs: [{ name: 'predict-prob', shape: [1, 3], datatype: 'FP32', data: [[0.5, 25.5, 7.5]] }] });
  expect(q.headers['content-length']).toBe(String(Buffer.byteLength(q.body)));
});

it('uses the endpoint exactly: path prefix and query kept', async () => {
  s = await serve((_q, r) => json(r, ANSWER));
  await c.predictPowerConsumption(v2(`${s.url}/serving/ns-a/v2/models/power/infer?tenant=a`), INPUT, OPTS);
  expect(s.requests[0].url).toBe('/serving/ns-a/v2/models/power/infer?tenant=a');
});

it.each([
  ['no outputs', { model_name: 'power' }],
  ['empty outputs', { outputs: [] }],
  ['no data', { outputs: [{ name: 'watts' }] }],
  ['empty data', { outputs: [{ data: [] }] }],
  ['a string', { outputs: [{ data: ['136.25'] }] }],
  ['a nested list', { outputs: [{ data: [[136.25]] }] }],
  ['null', { outputs: [{ data: [null] }] }],
  ['a JSON string', '"136.25"'],
])('%s is MalformedResponse', async (_what, body) => {
  s = await serve((_q, r) => json(r, body));
  expect((await failure(c.predictPowerConsumption(v2(`${s.url}/v2/models/power/infer`), INPUT, OPTS))).reason).toBe('MalformedResponse');
});

it("the server's 400 (wrong input) is HTTPStatus with its reason; 404 (unknown model) too", async () => {
  s = await serve((_q, r) => json(r, { error: 'Invalid input: shape must be [n, 3]' }, 400));
  const e = await failure(c.predictPowerConsumption(v2(`${s.url}/v2/models/power/infer`), INPUT, OPTS));
  expect([e.reason, e.status]).toEqual(['HTTPStatus', 400]);
  expect(e.message).toMatch(/HTTP 400.*shape must be/);
});

it('inputs that JSON cannot carry (NaN, Infinity, missing) are refused before any request', async () => {
  s = await serve((_q, r) => json(r, ANSWER));
  for (const input of [{ ...INPUT, cpuUsage: Number.NaN }, { ...INPUT, deltaP: Infinity }, { cpuUsage: 1, inletTemp: 2 }, null]) {
    expect((await failure(c.predictPowerConsumption(v2(`${s.url}/v2/models/power/infer`), input as never, OPTS))).reason).toBe('InvalidEndpoint');
  }
  expect(s.requests).toHaveLength(0);
});
