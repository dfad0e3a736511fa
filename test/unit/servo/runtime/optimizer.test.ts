import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helloEvent, measurementEvent, type OptimizerEvent } from '../../../../lib/api/servo/index.js';
import { Deliveries, type Outcome } from '../../../../runtime/servo/deliveries.js';
import { OptimizerClient, TokenSource, isRetryableStatus, parseRetryAfter } from '../../../../runtime/servo/optimizer.js';
import { FakeClock } from '../../kit/fake-clock.js';
import { until } from './fakes.js';

const EVENT: OptimizerEvent = measurementEvent({ metrics: { duration: { value: 50, unit: 's' }, perf: { value: 0.02, unit: '1/s' } }, annotations: { resources: '{"limits":{"cpu":"1"}}', exitcode: 0 } });

interface Seen {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1:0; `handle` answers each request (the body already read). */
class Optimizer {
  readonly seen: Seen[] = [];
  handle: (req: Seen, res: ServerResponse) => void = (_r, res) => res.writeHead(200).end('{}');
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.seen.push(s);
      this.handle(s, res);
    });
  });

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/metrics/acme/app-1/servo'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const client = (over: { value?: string; file?: string; timeoutMs?: number; now?: () => number } = {}) =>
  new OptimizerClient({ tokens: new TokenSource({ value: over.value, file: over.file }), timeoutMs: over.timeoutMs ?? 2000, ...(over.now ? { now: over.now } : {}) });

describe('parseRetryAfter', () => {
  const now = Date.UTC(2030, 0, 1, 12, 0, 0);

  it('delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('an HTTP date: the time from now, never negative', () => {
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 01 Jan 2030 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
  });

  it('absent or garbage: undefined', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  // Regression: V8's lenient Date.parse reads "1.5" and "-5" (neither delay-seconds nor an HTTP date) as dates in 2001, so they become 0 ms ("retry now") instead of being ignored.
  it('values that are neither delay-seconds nor an HTTP date are ignored ("1.5", "-5")', () => {
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it('408, 429 and 5xx only', () => {
    for (const s of [408, 429, 500, 501, 502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 301, 302, 400, 401, 403, 404, 409, 410, 413, 422]) expect(isRetryableStatus(s)).toBe(false);
  });
});

describe('OptimizerClient against a real HTTP server', () => {
  let server: Optimizer;
  let dir: string | undefined;
  beforeEach(async () => {
    server = await new Optimizer().listen();
  });
  afterEach(async () => {
    await server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('POSTs the event as JSON with content-type application/json and the idempotency key', async () => {
    const r = await client().send(server.url(), EVENT, undefined, 'uid-1');
    expect(r).toEqual({ kind: 'accepted', status: 200 });
    expect(server.seen).toHaveLength(1);
    const [req] = server.seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/metrics/acme/app-1/servo');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('uid-1');
    expect(JSON.parse(req.body)).toEqual(EVENT);
  });

  it('any 2xx is accepted, with its status', async () => {
    for (const status of [200, 201, 202, 204]) {
      server.handle = (_r, res) => res.writeHead(status).end();
      expect(await client().send(server.url(), EVENT)).toEqual({ kind: 'accepted', status });
    }
  });

  describe('the Bearer token', () => {
    it('sent when set', async () => {
      await client({ value: 's3cret' }).send(server.url(), EVENT);
      expect(server.seen[0].headers.authorization).toBe('Bearer s3cret');
    });

    it('no token (none, or empty): no Authorization header at all', async () => {
      await client().send(server.url(), EVENT);
      await client({ value: '' }).send(server.url(), EVENT);
      expect(server.seen).toHaveLength(2);
      for (const s of server.seen) expect(Object.keys(s.headers)).not.toContain('authorization');
    });

    it('from a file, trimmed, re-read when it changes; an empty or missing file sends none', async () => {
      dir = await mkdtemp(join(tmpdir(), 'servo-token-'));
      const file = join(dir, 'token');
      await writeFile(file, 'first\n');
      const c = client({ file });
      await c.send(server.url(), EVENT);
      await c.send(server.url(), EVENT);
      // Same size, other content, other mtime (a Secret rotated in place).
      await writeFile(file, 'other\n');
      await utimes(file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
      await c.send(server.url(), EVENT);
      await writeFile(file, 'a-much-longer-token');
      await c.send(server.url(), EVENT);
      await writeFile(file, '  \n');
      await c.send(server.url(), EVENT);
      await rm(file);
      await c.send(server.url(), EVENT);
      expect(server.seen.map((s) => s.headers.authorization ?? null)).toEqual(['Bearer first', 'Bearer first', 'Bearer other', 'Bearer a-much-longer-token', null, null]);
    });
  });

  describe('retried', () => {
    it.each([408, 429, 500, 502, 503, 504])('HTTP %i: retry with its status', async (status) => {
      server.handle = (_r, res) => res.writeHead(status).end('busy');
      expect(await client().send(server.url(), EVENT)).toEqual({ kind: 'retry', status, reason: `HTTP ${status}` });
    });

    it('Retry-After in seconds', async () => {
      server.handle = (_r, res) => res.writeHead(503, { 'retry-after': '42' }).end();
      expect(await client().send(server.url(), EVENT)).toEqual({ kind: 'retry', status: 503, reason: 'HTTP 503', retryAfterMs: 42_000 });
    });

    it('Retry-After as an HTTP date, from the client clock', async () => {
      const now = Date.UTC(2030, 0, 1, 12, 0, 0);
      server.handle = (_r, res) => res.writeHead(429, { 'retry-after': new Date(now + 90_000).toUTCString() }).end();
      expect(await client({ now: () => now }).send(server.url(), EVENT)).toEqual({ kind: 'retry', status: 429, reason: 'HTTP 429', retryAfterMs: 90_000 });
    });

    it('a server that does not answer: retry after timeoutMs', async () => {
      server.handle = () => {
        /* never answers */
      };
      const t = Date.now();
      const r = await client({ timeoutMs: 150 }).send(server.url(), EVENT);
      const took = Date.now() - t;
      expect(r).toEqual({ kind: 'retry', reason: 'no answer within 150 ms' });
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(2000);
    });

    it('connection refused: retry', async () => {
      const url = server.url();
      await server.close();
      const r = await client().send(url, EVENT);
      expect(r.kind).toBe('retry');
      expect(r).not.toHaveProperty('status');
      expect((r as { reason: string }).reason).toMatch(/ECONNREFUSED/);
      server = await new Optimizer().listen();
    });

    it('the caller aborting: retry (not accepted, not rejected)', async () => {
      server.handle = () => {
        /* never answers */
      };
      const ac = new AbortController();
      const p = client({ timeoutMs: 5000 }).send(server.url(), EVENT, ac.signal);
      await until(() => server.seen.length === 1, 2000, 'request received');
      ac.abort();
      expect((await p).kind).toBe('retry');
    });
  });

  describe('rejected for good', () => {
    it.each([400, 401, 403, 404, 409, 422])('HTTP %i: rejected with its status and the body', async (status) => {
      server.handle = (_r, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end('  no such\n   app  ');
      expect(await client().send(server.url(), EVENT)).toEqual({ kind: 'rejected', status, reason: `HTTP ${status}: no such app` });
    });

    it('a large body: only a bounded excerpt in the reason', async () => {
      server.handle = (_r, res) => res.writeHead(400).end('e'.repeat(200_000));
      const r = await client().send(server.url(), EVENT);
      expect(r.kind).toBe('rejected');
      const reason = (r as { reason: string }).reason;
      expect(reason.startsWith('HTTP 400: eeee')).toBe(true);
      expect(reason.length).toBeLessThanOrEqual('HTTP 400: '.length + 300);
    });

    it('no body: the status alone', async () => {
      server.handle = (_r, res) => res.writeHead(404).end();
      expect(await client().send(server.url(), EVENT)).toEqual({ kind: 'rejected', status: 404, reason: 'HTTP 404' });
    });

    it.each([301, 302, 307, 308])('a redirect (%i) is not followed', async (status) => {
      server.handle = (req, res) => (req.url === '/moved' ? res.writeHead(200).end() : res.writeHead(status, { location: '/moved' }).end());
      const r = await client().send(server.url(), EVENT);
      expect(server.seen.map((s) => s.url)).toEqual(['/metrics/acme/app-1/servo']);
      expect(r).toMatchObject({ kind: 'rejected', status });
    });
  });

  it('with Deliveries: 503 three times then 200 is exactly 4 POSTs and one onSettled, Retry-After honoured', async () => {
    let n = 0;
    server.handle = (_r, res) => (++n <= 3 ? res.writeHead(503, n === 2 ? { 'retry-after': '7' } : {}).end('down') : res.writeHead(200).end());
    const clock = new FakeClock();
    const t0 = clock.now();
    const at: number[] = [];
    const settled: Outcome[] = [];
    const c = client({ value: 'tok' });
    const d = new Deliveries({
      concurrency: 2,
      maxBackoffMs: 60_000,
      clock,
      random: () => 0,
      send: (url, event, signal, key) => {
        at.push(clock.now() - t0);
        return c.send(url, event, signal, key);
      },
      onSettled: (_k, _id, o) => settled.push(o),
    });
    d.submit('uid-1', 'jobs/job-1', server.url(), EVENT);
    const step = async (attempts: number, advance: number) => {
      await until(() => server.seen.length === attempts && d.outcome('uid-1')?.state === 'pending' && (d.outcome('uid-1') as { attempts: number }).attempts === attempts, 3000, `attempt ${attempts}`);
      await clock.advance(advance);
    };
    await step(1, 1000);
    await step(2, 7000);
    await step(3, 4000);
    await until(() => settled.length === 1, 3000, 'settled');
    expect(server.seen).toHaveLength(4);
    expect(at).toEqual([0, 1000, 8000, 12_000]);
    expect(settled).toEqual([expect.objectContaining({ state: 'accepted', status: 200, attempts: 4 })]);
    expect(server.seen.every((s) => s.headers.authorization === 'Bearer tok' && s.headers['idempotency-key'] === 'uid-1')).toBe(true);
    // Nothing more, however long.
    await clock.advance(600_000);
    expect(server.seen).toHaveLength(4);
    d.stop();
  });

  it('HELLO is posted like any event', async () => {
    await client().send(server.url('/metrics/acme/_global_/servo'), helloEvent('acme'));
    expect(JSON.parse(server.seen[0].body)).toEqual({ event: 'HELLO', param: { account: 'acme' } });
  });
});
