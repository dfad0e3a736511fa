/** The differential-pressure API client: the documented format, the node in the path, its failures. */
import { WaoClients, type EndpointAccess } from '../../../../runtime/wao/clients/index.js';
import { failure, json, serve, type TestServer } from './servers.js';

const OPTS = { timeoutMs: 2000 };
const DOC = { code: 200, sensor: [{ pressure: 0.01, sensorid: '101037B', temperature: 26.02 }, { pressure: 9 }] };

let s: TestServer;
let c: WaoClients;
const dp = (endpoint: string): EndpointAccess => ({ type: 'DifferentialPressureAPI', endpoint });

beforeEach(() => {
  c = new WaoClients();
});
afterEach(async () => {
  c.close();
  await s?.close();
});

it('GET {endpoint}/api/sensor/by_nodename/{node} → sensor[0].pressure', async () => {
  s = await serve((_q, r) => json(r, DOC));
  expect(await c.fetchDeltaP(dp(s.url), 'worker-0', OPTS)).toBe(0.01);
  expect(s.requests[0]).toMatchObject({ method: 'GET', url: '/api/sensor/by_nodename/worker-0' });
});

it('keeps a path prefix and URL-encodes the node name', async () => {
  s = await serve((_q, r) => json(r, DOC));
  await c.fetchDeltaP(dp(`${s.url}/dp/`), 'a b/c?d#e%', OPTS);
  expect(s.requests[0].url).toBe('/dp/api/sensor/by_nodename/a%20b%2Fc%3Fd%23e%25');
});

it.each([
  ['code != 200', { code: 500, sensor: [] }, 200, 'SensorNotFound'],
  ['an empty sensor list', { code: 200, sensor: [] }, 200, 'SensorNotFound'],
  ['the format\'s own 404', { code: 404, sensor: [] }, 404, 'SensorNotFound'],
  ['another 404', '<html>Not Found</html>', 404, 'HTTPStatus'],
  ['500', { code: 500, message: 'internal server error' }, 500, 'HTTPStatus'],
  ['no code', { sensor: [{ pressure: 1 }] }, 200, 'MalformedResponse'],
  ['sensor not a list', { code: 200, sensor: { pressure: 1 } }, 200, 'MalformedResponse'],
  ['pressure missing', { code: 200, sensor: [{ sensorid: 'x' }] }, 200, 'MalformedResponse'],
  ['pressure a string', { code: 200, sensor: [{ pressure: '0.01' }] }, 200, 'MalformedResponse'],
  ['a JSON array', [1, 2], 200, 'MalformedResponse'],
  ['a truncated body', '{"code":200,"sensor":[{"pressure":0.0', 200, 'NotJSON'],
])('%s → %s', async (_what, body, status, reason) => {
  s = await serve((_q, r) => json(r, body, status));
  const e = await failure(c.fetchDeltaP(dp(s.url), 'worker-0', OPTS));
  expect(e.reason).toBe(reason);
  expect(e.url).toBe(`${s.url}/api/sensor/by_nodename/worker-0`);
  expect(e.message).toContain(`GET ${s.url}/api/sensor/by_nodename/worker-0`);
});

it('an empty node name is refused without a request', async () => {
  s = await serve((_q, r) => json(r, DOC));
  expect((await failure(c.fetchDeltaP(dp(s.url), '', OPTS))).reason).toBe('InvalidEndpoint');
  expect((await failure(c.fetchDeltaP(dp(s.url), undefined as never, OPTS))).reason).toBe('InvalidEndpoint');
  expect(s.requests).toHaveLength(0);
});
