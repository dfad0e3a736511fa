/**
 * Redfish: the inlet temperature of the three server kinds (detected once per endpoint, then
 * remembered, detected again when the remembered layout answers 404) and the predictor
 * endpoint from MachineLearningModel, against a local server playing each BMC.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WaoClients, type EndpointAccess } from '../../../../runtime/wao/clients/index.js';
import { failure, json, serve, type TestServer } from './servers.js';

const OPTS = { timeoutMs: 2000 };
const DELL = '/redfish/v1/Chassis/System.Embedded.1/Sensors/SystemBoardInletTemp';
const LENOVO = '/redfish/v1/Chassis/1/Sensors/128L0';
const SUPERMICRO = '/redfish/v1/Chassis/1/Thermal';

/** A BMC serving `docs` (path → JSON) under `prefix`; anything else 404 with an HTML body, as sushy-tools. */
function bmc(docs: Map<string, unknown>, prefix = '') {
  return (q: IncomingMessage, r: ServerResponse) => {
    const path = (q.url ?? '').split('?')[0];
    const doc = path.startsWith(prefix) ? docs.get(path.slice(prefix.length)) : undefined;
    if (doc === undefined) {
      r.writeHead(404, { 'content-type': 'text/html' });
      r.end('<!DOCTYPE html><title>404 Not Found</title>');
      return;
    }
    json(r, doc);
  };
}

const dellDoc = (reading: unknown = 22.5) => ({ Id: 'SystemBoardInletTemp', Name: 'System Board Inlet Temp', Reading: reading, ReadingUnits: 'Cel' });
const lenovoDoc = (reading: unknown = 23.5, name = 'Ambient Temp') => ({ Id: '128L0', Name: name, Reading: reading });
const smDoc = (temps: unknown[] = [{ Name: 'CPU Temp', ReadingCelsius: 40 }, { Name: 'System Temp', ReadingCelsius: 24.5 }]) => ({ Id: 'Thermal', Temperatures: temps });

let s: TestServer | undefined;
let c: WaoClients;
const redfish = (endpoint: string, extra: Partial<EndpointAccess> = {}): EndpointAccess => ({ type: 'Redfish', endpoint, ...extra });
const paths = () => s!.requests.map((q) => q.url);

beforeEach(() => {
  c = new WaoClients();
});
afterEach(async () => {
  c.close();
  await s?.close();
  s = undefined;
});

describe('inlet temperature', () => {
  it.each([
    ['Dell', DELL, dellDoc(), 22.5, 1],
    ['Lenovo', LENOVO, lenovoDoc(), 23.5, 2],
    ['Supermicro', SUPERMICRO, smDoc(), 24.5, 3],
  ])('%s: probes the layouts in order, then asks only its own', async (_kind, path, doc, value, probes) => {
    s = await serve(bmc(new Map([[path, doc]])));
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(value);
    expect(paths()).toEqual([DELL, LENOVO, SUPERMICRO].slice(0, probes));
    expect(await c.fetchInletTemp(redfish(`${s.url}/`), OPTS)).toBe(value);
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(value);
    expect(paths().slice(probes)).toEqual([path, path]);
    expect(c.rememberedLayouts).toBe(1);
  });

  it('keeps a path prefix and a query, with or without trailing slashes', async () => {
    s = await serve(bmc(new Map([[SUPERMICRO, smDoc()]]), '/bmc/7'));
    expect(await c.fetchInletTemp(redfish(`${s.url}/bmc/7//?site=a`), OPTS)).toBe(24.5);
    expect(paths()).toEqual([`/bmc/7${DELL}?site=a`, `/bmc/7${LENOVO}?site=a`, `/bmc/7${SUPERMICRO}?site=a`]);
  });

  it('a Lenovo sensor 128L0 that is not "Ambient Temp" is not the Lenovo layout', async () => {
    s = await serve(bmc(new Map<string, unknown>([[LENOVO, lenovoDoc(99, 'CPU1 Temp')], [SUPERMICRO, smDoc()]])));
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(24.5);
  });

  it('detects again when the remembered layout answers 404 (the BMC changed)', async () => {
    const docs = new Map<string, unknown>([[DELL, dellDoc()]]);
    s = await serve(bmc(docs));
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(22.5);
    docs.delete(DELL);
    docs.set(SUPERMICRO, smDoc([{ Name: 'System Temp', ReadingCelsius: 30 }]));
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(30);
    // The remembered Dell path, then the two others (Dell is not probed twice).
    expect(paths()).toEqual([DELL, DELL, LENOVO, SUPERMICRO]);
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(30);
    expect(paths().at(-1)).toBe(SUPERMICRO);
  });

  it('the memo is bounded (least recently used out first)', async () => {
    s = await serve((q, r) => (q.url?.endsWith(SUPERMICRO) ? json(r, smDoc()) : bmc(new Map())(q, r)));
    const small = new WaoClients({ maxRemembered: 2 });
    try {
      for (const p of ['/a', '/b', '/a', '/c']) await small.fetchInletTemp(redfish(`${s.url}${p}`), OPTS);
      expect(small.rememberedLayouts).toBe(2);
      s.requests.length = 0;
      // /b was the least recently used: detected again (three probes); /a and /c are remembered (one each).
      for (const p of ['/a', '/c', '/b']) await small.fetchInletTemp(redfish(`${s.url}${p}`), OPTS);
      expect(paths()).toEqual([`/a${SUPERMICRO}`, `/c${SUPERMICRO}`, `/b${DELL}`, `/b${LENOVO}`, `/b${SUPERMICRO}`]);
    } finally {
      small.close();
    }
  });

  it('no known layout, an empty Temperatures list, no "System Temp": SensorNotFound naming what was seen', async () => {
    s = await serve(bmc(new Map()));
    const none = await failure(c.fetchInletTemp(redfish(s.url), OPTS));
    expect(none.reason).toBe('SensorNotFound');
    expect(none.message).toMatch(/Dell: HTTP 404; Lenovo: HTTP 404; Supermicro: HTTP 404/);
    expect(none.message).toContain(`${s.url}/redfish/v1`);
    await s.close();

    s = await serve(bmc(new Map([[SUPERMICRO, smDoc([])]])));
    expect((await failure(c.fetchInletTemp(redfish(s.url), OPTS))).message).toMatch(/empty Temperatures list/);
    await s.close();
    s = await serve(bmc(new Map([[SUPERMICRO, smDoc([{ Name: 'CPU Temp', ReadingCelsius: 40 }])]])));
    const e = await failure(c.fetchInletTemp(redfish(s.url), OPTS));
    expect([e.reason, e.message]).toEqual(['SensorNotFound', expect.stringMatching(/no "System Temp" entry/)]);
  });

  it('a remembered layout whose sensor went away without a 404 is SensorNotFound, still remembered', async () => {
    const docs = new Map<string, unknown>([[LENOVO, lenovoDoc()]]);
    s = await serve(bmc(docs));
    expect(await c.fetchInletTemp(redfish(s.url), OPTS)).toBe(23.5);
    docs.set(LENOVO, lenovoDoc(23.5, 'Renamed'));
    expect((await failure(c.fetchInletTemp(redfish(s.url), OPTS))).reason).toBe('SensorNotFound');
    expect(c.rememberedLayouts).toBe(1);
  });

  it.each([
    ['a string Reading', DELL, dellDoc('22.5')],
    ['a null Reading', DELL, dellDoc(null)],
    ['a missing Reading', LENOVO, { Name: 'Ambient Temp' }],
    ['a non-number ReadingCelsius', SUPERMICRO, smDoc([{ Name: 'System Temp', ReadingCelsius: 'hot' }])],
  ])('%s is MalformedResponse', async (_what, path, doc) => {
    s = await serve(bmc(new Map([[path, doc]])));
    expect((await failure(c.fetchInletTemp(redfish(s.url), OPTS))).reason).toBe('MalformedResponse');
  });

  it('a sensor that answers HTML with 200 is NotJSON; 401 stops the probing as Unauthorized; 500 is HTTPStatus', async () => {
    s = await serve((_q, r) => {
      r.writeHead(200, { 'content-type': 'text/html' });
      r.end('<html>login</html>');
    });
    expect((await failure(c.fetchInletTemp(redfish(s.url), OPTS))).reason).toBe('NotJSON');
    s.handler = (_q, r) => json(r, { error: { message: 'Authorization required' } }, 401);
    s.requests.length = 0;
    expect((await failure(c.fetchInletTemp(redfish(s.url), OPTS))).reason).toBe('Unauthorized');
    expect(paths()).toEqual([DELL]);
    s.handler = (_q, r) => json(r, { error: 'boom' }, 500);
    expect((await failure(c.fetchInletTemp(redfish(s.url), OPTS))).reason).toBe('HTTPStatus');
  });

  it('basic auth on every probe', async () => {
    s = await serve(bmc(new Map([[SUPERMICRO, smDoc()]])));
    await c.fetchInletTemp(redfish(s.url, { basicAuth: { username: 'root', password: 'calvin' } }), OPTS);
    expect(s.requests.map((q) => q.headers.authorization)).toEqual(Array(3).fill(`Basic ${Buffer.from('root:calvin').toString('base64')}`));
  });

  it('one deadline covers all the probes', async () => {
    s = await serve((q, r) => setTimeout(() => bmc(new Map([[SUPERMICRO, smDoc()]]))(q, r), 80));
    const e = await failure(c.fetchInletTemp(redfish(s.url), { timeoutMs: 200 }));
    expect(e.reason).toBe('Timeout');
    expect(s.requests.length).toBeLessThanOrEqual(3);
  });
});

describe('predictor endpoint provider', () => {
  const SYSTEMS = '/redfish/v1/Systems';
  const systems = (id = 'System.Embedded.1') => ({ Members: [{ '@odata.id': `/redfish/v1/Systems/${id}` }], 'Members@odata.count': 1 });
  const mlm = (pcm: unknown) => ({ Id: 'MachineLearningModel', PowerConsumptionModel: pcm });
  const PCM = { Name: 'power', Url: 'http://10.0.0.1:8080', Type: 'V2InferenceProtocol', Version: 'v0.1.0' };

  it('reads the first system and builds the infer URL', async () => {
    s = await serve(bmc(new Map<string, unknown>([[SYSTEMS, systems()], [`${SYSTEMS}/System.Embedded.1/MachineLearningModel`, mlm(PCM)]]), '/p'));
    expect(await c.providePowerConsumptionEndpoint(redfish(`${s.url}/p/`), OPTS)).toEqual({
      type: 'V2InferenceProtocol',
      endpoint: 'http://10.0.0.1:8080/v2/models/power/versions/v0.1.0/infer',
    });
    expect(paths()).toEqual([`/p${SYSTEMS}`, `/p${SYSTEMS}/System.Embedded.1/MachineLearningModel`]);
  });

  it('no /versions/ without a Version; a trailing slash of Url and a path prefix kept once', async () => {
    s = await serve(bmc(new Map<string, unknown>([[SYSTEMS, { Members: [{ Id: '1' }] }], [`${SYSTEMS}/1/MachineLearningModel`, mlm({ ...PCM, Url: 'https://h/serving/', Version: '' })]])));
    expect((await c.providePowerConsumptionEndpoint(redfish(s.url), OPTS)).endpoint).toBe('https://h/serving/v2/models/power/infer');
  });

  it.each([
    ['a Type other than V2InferenceProtocol', mlm({ ...PCM, Type: 'Fake' }), 'MalformedResponse'],
    ['no PowerConsumptionModel', { Id: 'MachineLearningModel' }, 'MalformedResponse'],
    ['an empty Url', mlm({ ...PCM, Url: '' }), 'MalformedResponse'],
    ['a Url that is not http(s)', mlm({ ...PCM, Url: 'ftp://h' }), 'MalformedResponse'],
    ['an HTML answer', '<html>no</html>', 'NotJSON'],
  ])('%s: %s', async (_what, doc, reason) => {
    s = await serve(bmc(new Map<string, unknown>([[SYSTEMS, systems('1')], [`${SYSTEMS}/1/MachineLearningModel`, doc]])));
    expect((await failure(c.providePowerConsumptionEndpoint(redfish(s.url), OPTS))).reason).toBe(reason);
  });

  it('no system, no MachineLearningModel, Systems not JSON', async () => {
    s = await serve(bmc(new Map<string, unknown>([[SYSTEMS, { Members: [] }]])));
    expect((await failure(c.providePowerConsumptionEndpoint(redfish(s.url), OPTS))).reason).toBe('SensorNotFound');
    s.handler = bmc(new Map<string, unknown>([[SYSTEMS, systems('1')]]));
    const e = await failure(c.providePowerConsumptionEndpoint(redfish(s.url), OPTS));
    expect([e.reason, e.status]).toEqual(['HTTPStatus', 404]);
    s.handler = (_q, r) => {
      r.writeHead(200, { 'content-type': 'text/html' });
      r.end('<html>BMC login</html>');
    };
    expect((await failure(c.providePowerConsumptionEndpoint(redfish(s.url), OPTS))).reason).toBe('NotJSON');
  });

  it('an id that needs escaping is escaped', async () => {
    s = await serve(bmc(new Map<string, unknown>([[SYSTEMS, systems('a%20b')], [`${SYSTEMS}/a%20b/MachineLearningModel`, mlm(PCM)]])));
    expect((await c.providePowerConsumptionEndpoint(redfish(s.url), OPTS)).type).toBe('V2InferenceProtocol');
  });
});
