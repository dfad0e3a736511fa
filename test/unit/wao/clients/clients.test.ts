/**
 * WaoClients as the controller uses it: Fake answers without network, a type a method does not
 * serve is InvalidEndpoint, endpoints are checked (unrendered templates, other schemes, the
 * templates' fallback hosts), and no input whatsoever makes it throw anything but an
 * EndpointError.
 */
import fc from 'fast-check';
import { EndpointError, FAKE_VALUES, WaoClients, type EndpointAccess } from '../../../../runtime/wao/clients/index.js';
import { failure } from './servers.js';

const OPTS = { timeoutMs: 1000 };
const INPUT = { cpuUsage: 1, inletTemp: 2, deltaP: 3 };
let c: WaoClients;
beforeEach(() => {
  c = new WaoClients();
});
afterEach(() => c.close());

const fake: EndpointAccess = { type: 'Fake', endpoint: 'http://unused.invalid' };

it("Fake answers the original's values, without network and whatever the endpoint", async () => {
  expect(FAKE_VALUES).toEqual({ inletTemp: 15.5, deltaP: 7.5, powerConsumption: 3.14, endpoint: { type: 'Fake', endpoint: 'https://fake-endpoint' } });
  expect(await c.fetchInletTemp(fake, OPTS)).toBe(15.5);
  expect(await c.fetchDeltaP({ type: 'Fake', endpoint: '' }, 'n', OPTS)).toBe(7.5);
  expect(await c.predictPowerConsumption({ type: 'Fake', endpoint: '{{ .Hostname }}' }, INPUT, OPTS)).toBe(3.14);
  const provided = await c.providePowerConsumptionEndpoint(fake, OPTS);
  expect(provided).toEqual({ type: 'Fake', endpoint: 'https://fake-endpoint' });
  provided.endpoint = 'changed'; // a copy: FAKE_VALUES stays as it is
  expect(FAKE_VALUES.endpoint.endpoint).toBe('https://fake-endpoint');
  expect(c.agentStats().agents).toBe(0);
});

it('a type the method does not serve is InvalidEndpoint', async () => {
  const e = await failure(c.fetchInletTemp({ type: 'DifferentialPressureAPI', endpoint: 'http://127.0.0.1:1' }, OPTS));
  expect([e.reason, e.message]).toEqual(['InvalidEndpoint', 'the inlet temperature endpoint type must be Redfish or Fake, not "DifferentialPressureAPI"']);
  expect((await failure(c.fetchDeltaP({ type: 'Redfish', endpoint: 'http://127.0.0.1:1' }, 'n', OPTS))).reason).toBe('InvalidEndpoint');
  expect((await failure(c.predictPowerConsumption({ type: 'Redfish', endpoint: 'http://127.0.0.1:1' }, INPUT, OPTS))).reason).toBe('InvalidEndpoint');
  expect((await failure(c.providePowerConsumptionEndpoint({ type: 'V2InferenceProtocol', endpoint: 'http://127.0.0.1:1' }, OPTS))).reason).toBe('InvalidEndpoint');
  expect((await failure(c.fetchInletTemp({ type: '' as never, endpoint: 'http://127.0.0.1:1' }, OPTS))).reason).toBe('InvalidEndpoint');
});

it.each([
  ['', /empty/],
  ['   ', /empty/],
  ['https://{{ .IPv4.Address }}', /unrendered template text/],
  ['http://10.0.0.1:5000/{{ .Hostname', /unrendered template text/],
  ['10.0.100.1', /not a URL/],
  ['ftp://10.0.0.1', /not an http\(s\) URL/],
  ['file:///etc/passwd', /not an http\(s\) URL/],
  ['https://x.x.x.x', /fallback host x\.x\.x\.x/],
  ['https://10.0.x.x:443', /fallback host 10\.0\.x\.x/],
  ['https://undefined.example.com', /fallback host/],
  ['https://user:pw@10.0.0.1', /credentials in the URL/],
])('the endpoint %j is InvalidEndpoint (%s)', async (endpoint, message) => {
  const e = await failure(c.fetchInletTemp({ type: 'Redfish', endpoint }, OPTS));
  expect(e.reason).toBe('InvalidEndpoint');
  expect(e.message).toMatch(message);
});

it('odd input from a Secret or a status never gives anything but an EndpointError', async () => {
  const text = fc.oneof(fc.string(), fc.constantFrom('http://127.0.0.1:1', 'https://[::1', 'http://%zz', 'http://a b', `http://${'a'.repeat(300)}`));
  const anything = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), text, fc.object());
  const access = fc.oneof(
    anything,
    fc.record(
      {
        type: fc.oneof(fc.constantFrom('Redfish', 'DifferentialPressureAPI', 'V2InferenceProtocol', 'Fake'), anything),
        endpoint: fc.oneof(text, anything),
        basicAuth: fc.oneof(anything, fc.record({ username: anything, password: anything })),
        insecureSkipVerify: anything,
        caPem: anything,
      },
      { requiredKeys: [] },
    ),
  );
  await fc.assert(
    fc.asyncProperty(access, anything, anything, fc.oneof(fc.constant(OPTS), anything), async (a, node, input, opts) => {
      const calls = [
        () => c.fetchInletTemp(a as never, opts as never),
        () => c.fetchDeltaP(a as never, node as never, opts as never),
        () => c.predictPowerConsumption(a as never, input as never, opts as never),
        () => c.providePowerConsumptionEndpoint(a as never, opts as never),
      ];
      for (const call of calls) {
        let p: Promise<unknown>;
        try {
          p = call();
        } catch (err) {
          throw new Error(`threw synchronously: ${String(err)}`);
        }
        await p.then(
          () => undefined,
          (err: unknown) => {
            if (!(err instanceof EndpointError)) throw new Error(`rejected with ${String(err)}`);
            expect(err.message.length).toBeLessThanOrEqual(300);
          },
        );
      }
    }),
    { numRuns: 150 },
  );
});

it('EndpointError: name, reason, url without credentials, status', () => {
  const e = new EndpointError('HTTPStatus', 'GET x: HTTP 500', { url: 'http://u:p@h/x', status: 500 });
  expect([e.name, e.reason, e.url, e.status, e instanceof Error]).toEqual(['EndpointError', 'HTTPStatus', 'http://h/x', 500, true]);
  expect(new EndpointError('Timeout', 'x'.repeat(1000)).message.length).toBeLessThanOrEqual(300);
});
