import { request } from 'node:http';
import { MAX_PREDICT_BODY, PredictServer, parseRequest } from '../../../../runtime/wao/predict-server.js';
import { PredictionError, type PredictRequest, type Prediction } from '../../../../runtime/wao/predictor.js';

describe('parseRequest', () => {
  it('accepts {node, cpuUsage} and keeps only those fields', () => {
    expect(parseRequest('{"node":"worker-0","cpuUsage":42.5,"extra":true}')).toEqual({ node: 'worker-0', cpuUsage: 42.5 });
    expect(parseRequest('{"node":"n1.example.com","cpuUsage":0}')).toEqual({ node: 'n1.example.com', cpuUsage: 0 });
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"node":', /^body is not JSON/],
    ['empty', '', /^body is not JSON/],
    ['an array', '[]', /^body must be a JSON object/],
    ['null', 'null', /^body must be a JSON object/],
    ['a number', '5', /^body must be a JSON object/],
    ['no node', '{"cpuUsage":1}', /^node: must be a node name, got undefined/],
    ['node not a string', '{"node":5,"cpuUsage":1}', /^node: .*got 5/],
    ['node not a name', '{"node":"Worker_0","cpuUsage":1}', /^node: .*"Worker_0"/],
    ['node empty', '{"node":"","cpuUsage":1}', /^node: /],
    ['no cpuUsage', '{"node":"w"}', /^cpuUsage: must be a number >= 0, got undefined/],
    ['cpuUsage a string', '{"node":"w","cpuUsage":"5"}', /^cpuUsage: .*"5"/],
    ['cpuUsage negative', '{"node":"w","cpuUsage":-1}', /^cpuUsage: .*-1/],
    ['cpuUsage null', '{"node":"w","cpuUsage":null}', /^cpuUsage: .*null/],
    ['cpuUsage too large for a double', '{"node":"w","cpuUsage":1e999}', /^cpuUsage: /],
  ])('%s: the error names the field', (_name, body, message) => {
    const r = parseRequest(body);
    expect('error' in r).toBe(true);
    expect((r as { error: string }).error).toMatch(message);
  });

  it('cuts a long value in the message', () => {
    const r = parseRequest(JSON.stringify({ node: 'x'.repeat(1000), cpuUsage: 1 })) as { error: string };
    expect(r.error.length).toBeLessThan(200);
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTP request to the loopback server (node:http, so that a 413 that closes the connection is read cleanly). */
function call(port: number, opts: { method?: string; path?: string; contentType?: string; body?: string | Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/predict',
        headers: { ...(opts.contentType !== undefined ? { 'content-type': opts.contentType } : {}), connection: 'close' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const prediction = (req: PredictRequest, watts = 123.5): Prediction => ({
  node: req.node,
  nodeConfig: 'wao-system/nc',
  watts,
  inputs: { cpuUsage: req.cpuUsage, inletTemp: 21, deltaP: 4 },
  cached: false,
});

describe('PredictServer', () => {
  let server: PredictServer;
  let predict: (req: PredictRequest) => Promise<Prediction>;
  let notReady: string | undefined;
  const calls: PredictRequest[] = [];
  const json = (body: unknown) => ({ contentType: 'application/json', body: JSON.stringify(body) });

  beforeAll(async () => {
    server = new PredictServer({
      port: 0,
      host: '127.0.0.1',
      predict: (r) => {
        calls.push(r);
        return predict(r);
      },
      notReadyReason: () => notReady,
    });
    await server.start();
    expect(server.port).toBeGreaterThan(0);
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    calls.length = 0;
    notReady = undefined;
    predict = async (r) => prediction(r);
  });

  it('200 with the predictor answer as JSON', async () => {
    const a = await call(server.port, json({ node: 'worker-0', cpuUsage: 42.5 }));
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.body).toEqual(prediction({ node: 'worker-0', cpuUsage: 42.5 }));
    expect(calls).toEqual([{ node: 'worker-0', cpuUsage: 42.5 }]);
  });

  it('accepts a charset in the content type and a query string', async () => {
    const a = await call(server.port, { path: '/predict?x=1', contentType: 'Application/JSON; charset=utf-8', body: '{"node":"w","cpuUsage":1}' });
    expect(a.status).toBe(200);
  });

  it('404 for another path', async () => {
    const a = await call(server.port, { path: '/metrics', method: 'GET' });
    expect(a.status).toBe(404);
    expect(a.body).toMatchObject({ reason: 'NotFound' });
    expect(a.body.message).toContain('/metrics');
  });

  it('405 for GET, with Allow: POST', async () => {
    const a = await call(server.port, { method: 'GET' });
    expect(a.status).toBe(405);
    expect(a.headers.allow).toBe('POST');
    expect(a.body.reason).toBe('MethodNotAllowed');
  });

  it('415 for another content type, and for none', async () => {
    let a = await call(server.port, { contentType: 'text/plain', body: '{"node":"w","cpuUsage":1}' });
    expect(a.status).toBe(415);
    expect(a.body).toMatchObject({ reason: 'UnsupportedMediaType' });
    expect(a.body.message).toContain('"text/plain"');
    a = await call(server.port, { body: '{"node":"w","cpuUsage":1}' });
    expect(a.status).toBe(415);
    expect(calls).toEqual([]);
  });

  it('413 for a body over 16 KiB; exactly 16 KiB is read', async () => {
    const big = JSON.stringify({ node: 'w', cpuUsage: 1, pad: 'x'.repeat(MAX_PREDICT_BODY) });
    const a = await call(server.port, { contentType: 'application/json', body: big });
    expect(a.status).toBe(413);
    expect(a.body.reason).toBe('BodyTooLarge');
    expect(calls).toEqual([]);
    const head = '{"node":"w","cpuUsage":1,"pad":"';
    const exact = `${head}${'x'.repeat(MAX_PREDICT_BODY - head.length - 2)}"}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_PREDICT_BODY);
    expect((await call(server.port, { contentType: 'application/json', body: exact })).status).toBe(200);
  });

  it('400 for bad JSON and for a bad field, naming it', async () => {
    let a = await call(server.port, { contentType: 'application/json', body: '{nope' });
    expect(a.status).toBe(400);
    expect(a.body.reason).toBe('BadRequest');
    expect(a.body.message).toMatch(/^body is not JSON/);
    a = await call(server.port, json({ node: 'w', cpuUsage: -2 }));
    expect(a.status).toBe(400);
    expect(a.body.message).toMatch(/^cpuUsage: /);
    expect(calls).toEqual([]);
  });

  it('503 while the caches are not synced, without asking the predictor', async () => {
    notReady = 'waiting for first sync of nodes';
    const a = await call(server.port, json({ node: 'w', cpuUsage: 1 }));
    expect(a.status).toBe(503);
    expect(a.body).toEqual({ reason: 'NotReady', message: 'waiting for first sync of nodes' });
    expect(calls).toEqual([]);
  });

  it.each([
    [404, 'NodeConfigNotFound'],
    [503, 'ReadingsUnavailable'],
    [502, 'HTTPStatus'],
    [504, 'Timeout'],
  ])('a PredictionError keeps its status %p and reason', async (status, reason) => {
    predict = async () => {
      throw new PredictionError(status, reason, `it is ${reason}`);
    };
    const a = await call(server.port, json({ node: 'w', cpuUsage: 1 }));
    expect(a.status).toBe(status);
    expect(a.body).toEqual({ reason, message: `it is ${reason}` });
  });

  it('500 for an unexpected error, without its text', async () => {
    predict = async () => {
      throw new TypeError('cannot read properties of undefined (secret stuff)');
    };
    const a = await call(server.port, json({ node: 'w', cpuUsage: 1 }));
    expect(a.status).toBe(500);
    expect(a.body.reason).toBe('InternalError');
    expect(JSON.stringify(a.body)).not.toContain('secret stuff');
  });

  it('start() twice is harmless; stop() closes the port', async () => {
    const s = new PredictServer({ port: 0, host: '127.0.0.1', predict: async (r) => prediction(r) });
    await s.start();
    const port = s.port;
    await s.start();
    expect(s.port).toBe(port);
    expect((await call(port, json({ node: 'w', cpuUsage: 1 }))).status).toBe(200);
    await s.stop();
    await expect(call(port, json({ node: 'w', cpuUsage: 1 }))).rejects.toThrow(/ECONNREFUSED/);
    expect(s.runnable()).toMatchObject({ name: 'wao-predict', needLeaderElection: false });
  });
});
