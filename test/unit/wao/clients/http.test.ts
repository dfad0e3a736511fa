/**
 * The HTTP layer, through the public clients: TLS verified by default, bodies always read or
 * destroyed (keep-alive sockets reused, never leaked), the size cap, one deadline per call,
 * basic auth only when given and never in messages, and Node's errors as reasons.
 */
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { EndpointError, WaoClients, type EndpointAccess } from '../../../../runtime/wao/clients/index.js';
import { failure, json, serve, testTls, until, type TestServer } from './servers.js';

const OPTS = { timeoutMs: 2000 };
const INPUT = { cpuUsage: 0.5, inletTemp: 25.5, deltaP: 7.5 };
const WATTS = { outputs: [{ name: 'watts', shape: [1, 1], datatype: 'FP64', data: [136.25] }] };
const v2 = (url: string, extra: Partial<EndpointAccess> = {}): EndpointAccess => ({ type: 'V2InferenceProtocol', endpoint: `${url}/v2/models/power/infer`, ...extra });
const dp = (url: string, extra: Partial<EndpointAccess> = {}): EndpointAccess => ({ type: 'DifferentialPressureAPI', endpoint: url, ...extra });

let tls: Awaited<ReturnType<typeof testTls>>;
let other: Awaited<ReturnType<typeof testTls>>;
const servers: TestServer[] = [];
const clients: WaoClients[] = [];
const start = async (...args: Parameters<typeof serve>) => {
  const s = await serve(...args);
  servers.push(s);
  return s;
};
const make = (...args: ConstructorParameters<typeof WaoClients>) => {
  const c = new WaoClients(...args);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  [tls, other] = await Promise.all([testTls('wao-clients-test'), testTls('another')]);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => {
  tls.dispose();
  other.dispose();
});

describe('TLS', () => {
  it('is verified by default: a certificate of an unknown CA fails with TLSFailed', async () => {
    const s = await start((_q, r) => json(r, WATTS), tls);
    const e = await failure(make().predictPowerConsumption(v2(s.url), INPUT, OPTS));
    expect(e.reason).toBe('TLSFailed');
    expect(e.message).toContain(`POST ${s.url}/v2/models/power/infer`);
    expect(s.requests).toHaveLength(0);
  });

  it('verifies against caPem (which replaces the system roots), or is skipped with insecureSkipVerify', async () => {
    const s = await start((_q, r) => json(r, WATTS), tls);
    const c = make();
    expect(await c.predictPowerConsumption(v2(s.url, { caPem: tls.caPem }), INPUT, OPTS)).toBe(136.25);
    expect(await c.predictPowerConsumption(v2(s.url, { insecureSkipVerify: true }), INPUT, OPTS)).toBe(136.25);
    expect((await failure(c.predictPowerConsumption(v2(s.url, { caPem: other.caPem }), INPUT, OPTS))).reason).toBe('TLSFailed');
    expect((await failure(c.predictPowerConsumption(v2(s.url, { caPem: 'not a PEM' }), INPUT, OPTS))).reason).toBe('TLSFailed');
  });

  it('checks the host name against the certificate', async () => {
    // Listening on every loopback address; the certificate names 127.0.0.1, ::1 and localhost only.
    const s = await start((_q, r) => json(r, WATTS), tls, '0.0.0.0');
    const port = new URL(s.url).port;
    const c = make();
    expect(await c.predictPowerConsumption(v2(`https://127.0.0.1:${port}`, { caPem: tls.caPem }), INPUT, OPTS)).toBe(136.25);
    const e = await failure(c.predictPowerConsumption(v2(`https://127.0.0.2:${port}`, { caPem: tls.caPem }), INPUT, OPTS));
    expect(e.reason).toBe('TLSFailed');
    expect(e.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('https to a plain http server is TLSFailed, plain http to a TLS server ConnectionFailed', async () => {
    const plain = await start((_q, r) => json(r, WATTS));
    const secure = await start((_q, r) => json(r, WATTS), tls);
    const c = make();
    expect((await failure(c.predictPowerConsumption(v2(plain.url.replace('http:', 'https:'), { caPem: tls.caPem }), INPUT, OPTS))).reason).toBe('TLSFailed');
    expect((await failure(c.predictPowerConsumption(v2(secure.url.replace('https:', 'http:')), INPUT, OPTS))).reason).toBe('ConnectionFailed');
  });
});

describe('keep-alive agents and sockets', () => {
  it('reuses one connection for successive calls, whatever the status and body', async () => {
    let n = 0;
    const s = await start((_q, r) => {
      n++;
      if (n % 3 === 1) return json(r, { error: 'x'.repeat(10_000) }, 500);
      if (n % 3 === 2) return json(r, '<html>not found</html>', 404);
      return json(r, WATTS);
    });
    const c = make();
    for (let i = 0; i < 12; i++) await c.predictPowerConsumption(v2(s.url), INPUT, OPTS).catch((e: unknown) => e);
    expect(s.requests).toHaveLength(12);
    expect(s.connections()).toBe(1);
    expect(c.agentStats()).toEqual({ agents: 1, activeSockets: 0, freeSockets: 1 });
  });

  it('reuses connections over TLS too, one agent per TLS setting (CA hash and insecure flag)', async () => {
    const s = await start((_q, r) => json(r, WATTS), tls);
    const c = make();
    for (let i = 0; i < 5; i++) await c.predictPowerConsumption(v2(s.url, { caPem: tls.caPem }), INPUT, OPTS);
    // The same CA text in another object: the same agent.
    await c.predictPowerConsumption(v2(s.url, { caPem: `${tls.caPem}` }), INPUT, OPTS);
    expect(s.connections()).toBe(1);
    expect(c.agentStats().agents).toBe(1);
    await c.predictPowerConsumption(v2(s.url, { insecureSkipVerify: true }), INPUT, OPTS);
    expect(c.agentStats().agents).toBe(2);
    expect(s.connections()).toBe(2);
  });

  it('keeps at most 64 agents (one per CA bundle); an evicted one closes its sockets', async () => {
    const s = await start((_q, r) => json(r, WATTS), tls);
    const c = make();
    await c.predictPowerConsumption(v2(s.url, { caPem: tls.caPem }), INPUT, OPTS);
    expect(s.open()).toBe(1);
    // 64 other CA bundles (none verifies this server): the first agent is the least recently used.
    for (let i = 0; i < 64; i++) await c.predictPowerConsumption(v2(s.url, { caPem: `not a PEM ${i}` }), INPUT, OPTS).catch(() => undefined);
    expect(c.agentStats().agents).toBe(64);
    await until(() => s.open() === 0);
  });

  it('destroys the socket of an answer it stops reading (too large, timed out): nothing is left open', async () => {
    const s = await start((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.write('{"outputs":[{"data":[');
      const chunk = `${'1,'.repeat(50_000)}`;
      for (let i = 0; i < 30; i++) r.write(chunk);
      r.end('1]}]}');
    });
    const c = make();
    for (let i = 0; i < 3; i++) expect((await failure(c.predictPowerConsumption(v2(s.url), INPUT, OPTS))).reason).toBe('ResponseTooLarge');
    await until(() => s.open() === 0);
    expect(c.agentStats()).toMatchObject({ activeSockets: 0, freeSockets: 0 });
  });

  it('close() destroys the idle keep-alive sockets', async () => {
    const s = await start((_q, r) => json(r, WATTS));
    const c = make();
    await c.predictPowerConsumption(v2(s.url), INPUT, OPTS);
    expect(s.open()).toBe(1);
    c.close();
    await until(() => s.open() === 0);
    expect(c.agentStats()).toEqual({ agents: 0, activeSockets: 0, freeSockets: 0 });
    // Still usable: a new agent.
    expect(await c.predictPowerConsumption(v2(s.url), INPUT, OPTS)).toBe(136.25);
  });
});

describe('body size cap', () => {
  it('refuses a declared Content-Length over the cap without reading it', async () => {
    const s = await start((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json', 'content-length': 2048 });
      r.end(JSON.stringify({ pad: 'x'.repeat(2048 - 10) }).slice(0, 2048).padEnd(2048));
    });
    const e = await failure(make({ maxBodyBytes: 1024 }).predictPowerConsumption(v2(s.url), INPUT, OPTS));
    expect(e.reason).toBe('ResponseTooLarge');
    expect(e.message).toMatch(/larger than 1024 bytes/);
  });

  it('counts a chunked body as it comes; the default cap is 1 MiB', async () => {
    const s = await start((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.end(JSON.stringify({ ...WATTS, pad: 'x'.repeat(1 << 20) }));
    });
    expect((await failure(make().predictPowerConsumption(v2(s.url), INPUT, OPTS))).reason).toBe('ResponseTooLarge');
    expect(await make({ maxBodyBytes: 2 << 20 }).predictPowerConsumption(v2(s.url), INPUT, OPTS)).toBe(136.25);
  });
});

describe('deadline', () => {
  it('a server that never answers: Timeout after timeoutMs, and the held connection is closed', async () => {
    const held: ServerResponse[] = [];
    const s = await start((_q, r) => void held.push(r));
    const t0 = Date.now();
    const e = await failure(make().fetchDeltaP(dp(s.url), 'n', { timeoutMs: 150 }));
    expect(e.reason).toBe('Timeout');
    expect(e.message).toMatch(/within 150 ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(Date.now() - t0).toBeLessThan(1500);
    await until(() => s.open() === 0);
  });

  it('covers the body: headers at once, then a body that stalls', async () => {
    const s = await start((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.write('{"code":200,');
    });
    const e = await failure(make().fetchDeltaP(dp(s.url), 'n', { timeoutMs: 150 }));
    expect(e.reason).toBe('Timeout');
    await until(() => s.open() === 0);
  });

  it("the caller's signal cancels (reason Timeout), also when aborted before the call", async () => {
    const s = await start(() => undefined);
    const ctl = new AbortController();
    const p = make().fetchDeltaP(dp(s.url), 'n', { timeoutMs: 10_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    const e = await failure(p);
    expect([e.reason, e.message]).toEqual(['Timeout', expect.stringMatching(/cancelled/)]);
    expect((await failure(make().fetchDeltaP(dp(s.url), 'n', { timeoutMs: 10_000, signal: AbortSignal.abort() }))).reason).toBe('Timeout');
  });

  it('a TLS handshake that never completes is a Timeout too', async () => {
    const mute = createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const a = mute.address();
    try {
      const e = await failure(make().fetchDeltaP(dp(`https://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`), 'n', { timeoutMs: 150 }));
      expect(e.reason).toBe('Timeout');
    } finally {
      mute.close();
    }
  });

  it('refuses a missing or non-positive timeoutMs', async () => {
    const c = make();
    for (const opts of [undefined, {}, { timeoutMs: 0 }, { timeoutMs: -1 }, { timeoutMs: Number.NaN }]) {
      expect((await failure(c.fetchDeltaP(dp('http://127.0.0.1:1'), 'n', opts as never))).reason).toBe('InvalidEndpoint');
    }
  });
});

describe('connection failures', () => {
  it('a refused connection is ConnectionFailed', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const e = await failure(make().fetchDeltaP(dp(`http://127.0.0.1:${port}`), 'n', OPTS));
    expect(e.reason).toBe('ConnectionFailed');
    expect(e.message).toMatch(/connection refused/);
  });

  it('a connection dropped mid-body is ConnectionFailed', async () => {
    const s = await start((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      r.write('{"code":200');
      setTimeout(() => r.socket?.destroy(), 20);
    });
    expect((await failure(make().fetchDeltaP(dp(s.url), 'n', OPTS))).reason).toBe('ConnectionFailed');
  });

  it('an unknown host is ConnectionFailed', async () => {
    expect((await failure(make().fetchDeltaP(dp('http://wao-clients-test.invalid'), 'n', OPTS))).reason).toBe('ConnectionFailed');
  });
});

describe('statuses and bodies', () => {
  it('401 and 403 are Unauthorized, other non-2xx HTTPStatus (redirects not followed), HTML NotJSON', async () => {
    const s = await start((q, r) => {
      const status = Number(q.url?.split('/').pop());
      if (status === 302) {
        r.writeHead(302, { location: 'https://elsewhere.example/login' });
        r.end();
        return;
      }
      if (status === 200) {
        r.writeHead(200, { 'content-type': 'text/html' });
        r.end('<!DOCTYPE html><html><body>Sign in</body></html>');
        return;
      }
      json(r, { code: status }, status);
    });
    const c = make();
    const reason = async (n: number) => {
      const e = await failure(c.fetchDeltaP(dp(s.url), String(n), OPTS));
      return [e.reason, e.status];
    };
    expect(await reason(401)).toEqual(['Unauthorized', 401]);
    expect(await reason(403)).toEqual(['Unauthorized', 403]);
    expect(await reason(500)).toEqual(['HTTPStatus', 500]);
    expect(await reason(503)).toEqual(['HTTPStatus', 503]);
    const redirect = await failure(c.fetchDeltaP(dp(s.url), '302', OPTS));
    expect([redirect.reason, redirect.status]).toEqual(['HTTPStatus', 302]);
    expect(redirect.message).toMatch(/not followed.*elsewhere\.example/);
    const html = await failure(c.fetchDeltaP(dp(s.url), '200', OPTS));
    expect([html.reason, html.status]).toEqual(['NotJSON', 200]);
    expect(html.message).toMatch(/not JSON.*text\/html/);
  });
});

describe('basic auth', () => {
  const creds = { username: 'wao', password: 's3cret-Pa55' };

  it('is sent as Authorization: Basic only when given', async () => {
    const s = await start((_q, r) => json(r, WATTS));
    const c = make();
    await c.predictPowerConsumption(v2(s.url, { basicAuth: creds }), INPUT, OPTS);
    await c.predictPowerConsumption(v2(s.url), INPUT, OPTS);
    expect(s.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('wao:s3cret-Pa55').toString('base64')}`);
    expect(s.requests[1].headers.authorization).toBeUndefined();
    expect(s.requests[0].headers['user-agent']).toBe('platform-controllers-wao');
    expect(s.requests[0].headers.accept).toBe('application/json');
  });

  it('never appears in a message, even when the server echoes it', async () => {
    const s = await start((q, r) => json(r, { echo: `${q.headers.authorization} ${creds.password}` }, 500));
    const token = Buffer.from('wao:s3cret-Pa55').toString('base64');
    for (const access of [v2(s.url, { basicAuth: creds }), dp(s.url, { basicAuth: creds })]) {
      const e = await failure(
        access.type === 'DifferentialPressureAPI' ? make().fetchDeltaP(access, 'n', OPTS) : make().predictPowerConsumption(access, INPUT, OPTS),
      );
      expect(e.reason).toBe('HTTPStatus');
      expect(e.message).not.toContain(creds.password);
      expect(e.message).not.toContain(token);
      expect(e.message).toContain('***');
    }
  });

  it('credentials in the URL are refused (and not repeated)', async () => {
    const e = await failure(make().fetchDeltaP(dp('http://wao:hunter22@127.0.0.1:1/'), 'n', OPTS));
    expect(e.reason).toBe('InvalidEndpoint');
    expect(e.message).not.toContain('hunter22');
    expect(e.url).toBe('http://127.0.0.1:1/');
  });

  it('a custom User-Agent', async () => {
    const s = await start((_q, r) => json(r, WATTS));
    await make({ userAgent: 'test/1' }).predictPowerConsumption(v2(s.url), INPUT, OPTS);
    expect(s.requests[0].headers['user-agent']).toBe('test/1');
  });
});

it('messages are short and name the URL', async () => {
  const s = await start((_q, r) => json(r, `<html>${'y'.repeat(5000)}</html>`, 502));
  const e = await failure(make().fetchDeltaP(dp(`${s.url}/${'p'.repeat(400)}`), 'n', OPTS));
  expect(e).toBeInstanceOf(EndpointError);
  expect(e.message.length).toBeLessThanOrEqual(300);
  expect(e.message).toContain(s.url);
});
