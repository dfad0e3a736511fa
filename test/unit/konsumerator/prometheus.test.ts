/**
 * PrometheusProvider against a local HTTP server that answers /api/v1/query the way Prometheus
 * does, or the odd ways Prometheus and what stands in front of it can: no series, NaN and ±Inf,
 * labels missing or not a number, errors, HTML, proxies without a backend, silence.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { PrometheusProvider, type PromAnswered, type PromFetchResult, type PromQueries } from '../../../runtime/konsumerator/prometheus.js';

type Answer = { status?: number; json?: unknown; text?: string; contentType?: string; hold?: boolean };
type Sample = [string, Record<string, string>];

const vector = (...s: Sample[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: s.map(([v, metric]) => ({ metric, value: [1700000000.123, v] })) },
});
const p = (partition: string, extra: Record<string, string> = {}) => ({ partition, ...extra });

interface FakeProm {
  readonly url: string;
  readonly asked: string[];
  answers: Map<string, Answer>;
  stop(): Promise<void>;
}

async function fakeProm(answers: Record<string, Answer> = {}): Promise<FakeProm> {
  const asked: string[] = [];
  const held = new Set<ServerResponse>();
  const fake = { answers: new Map(Object.entries(answers)) } as FakeProm & { answers: Map<string, Answer> };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const q = u.searchParams.get('query') ?? '';
    asked.push(`${req.method} ${u.pathname} ${q}`);
    if (u.pathname !== '/api/v1/query' && u.pathname !== '/prom/api/v1/query') {
      res.writeHead(404).end('404 page not found');
      return;
    }
    const a = fake.answers.get(q) ?? { status: 400, json: { status: 'error', errorType: 'bad_data', error: `unknown query in the fake: ${q}` } };
    if (a.hold) {
      held.add(res);
      return;
    }
    const body = a.text ?? JSON.stringify(a.json);
    res.writeHead(a.status ?? 200, { 'content-type': a.contentType ?? (a.text !== undefined ? 'text/plain' : 'application/json') }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    asked,
    async stop() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  });
}

/** A loopback port nothing listens on. */
async function deadAddress(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

const Q: PromQueries = {
  offset: { query: 'sum(kafka_consumergroup_lag{topic="t"}) by (partition)', partitionLabel: 'partition' },
  production: { query: 'sum(rate(kafka_messages_produced_total{topic="t"}[5m])) by (partition)', partitionLabel: 'partition' },
  consumption: { query: 'sum(rate(kafka_messages_consumed_total{topic="t"}[5m])) by (partition)', partitionLabel: 'partition' },
};
const good = (): Record<string, Answer> => ({
  [Q.offset.query]: { json: vector(['0', p('0')], ['1500', p('1')], ['30', p('2')]) },
  [Q.production.query]: { json: vector(['100', p('0')], ['250.5', p('1')], ['0', p('2')]) },
  [Q.consumption!.query]: { json: vector(['100', p('0')], ['200', p('1')], ['3', p('2')]) },
});

function answered(r: PromFetchResult): PromAnswered {
  if (!r.ok) throw new Error(`expected an answer, got ${r.reason}: ${r.message}`);
  return r;
}

const providers: PrometheusProvider[] = [];
const servers: FakeProm[] = [];
const provider = (addresses: string[], timeoutMs?: number) => {
  const pr = new PrometheusProvider({ addresses, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  providers.push(pr);
  return pr;
};
const prom = async (answers?: Record<string, Answer>) => {
  const f = await fakeProm(answers);
  servers.push(f);
  return f;
};
afterEach(async () => {
  for (const pr of providers.splice(0)) pr.close();
  for (const s of servers.splice(0)) await s.stop();
});

describe('PrometheusProvider', () => {
  it('asks the three instant queries and joins them by partition', async () => {
    const f = await prom(good());
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.address).toBe(f.url);
    expect(r.problems).toEqual([]);
    expect(r.failedQueries).toEqual([]);
    expect([...r.partitions]).toEqual([
      [0, { behind: 0, production: 100, consumption: 100 }],
      [1, { behind: 1500, production: 250.5, consumption: 200 }],
      [2, { behind: 30, production: 0, consumption: 3 }],
    ]);
    expect(f.asked.sort()).toEqual([Q.consumption!.query, Q.offset.query, Q.production.query].map((q) => `GET /api/v1/query ${q}`).sort());
  });

  it('without a consumption query asks two', async () => {
    const f = await prom(good());
    const r = answered(await provider([f.url]).fetch({ offset: Q.offset, production: Q.production }));
    expect(f.asked).toHaveLength(2);
    expect(r.partitions.get(1)).toEqual({ behind: 1500, production: 250.5 });
  });

  it('keeps a path prefix of the address and encodes the query', async () => {
    const q = { query: 'sum by (partition) (x{topic="a+b&c=d", k=~".*"}) / 2', partitionLabel: 'partition' };
    const f = await prom({ [q.query]: { json: vector(['1', p('0')]) } });
    const r = answered(await provider([`${f.url}/prom/`]).fetch({ offset: q, production: q }));
    expect(r.partitions.get(0)).toEqual({ behind: 1, production: 1 });
    expect(f.asked).toEqual([`GET /prom/api/v1/query ${q.query}`, `GET /prom/api/v1/query ${q.query}`]);
  });

  it('the partitionLabel of each query is its own', async () => {
    const f = await prom({
      ...good(),
      [Q.production.query]: { json: vector(['7', { kafka_partition: '4' }]) },
    });
    const r = answered(await provider([f.url]).fetch({ ...Q, production: { query: Q.production.query, partitionLabel: 'kafka_partition' } }));
    expect(r.partitions.get(4)).toEqual({ production: 7 });
    expect(r.partitions.get(1)).toEqual({ behind: 1500, consumption: 200 });
  });

  it('a matrix result gives the last sample of each series', async () => {
    const f = await prom({
      ...good(),
      [Q.offset.query]: {
        json: { status: 'success', data: { resultType: 'matrix', result: [{ metric: p('0'), values: [[1, '5'], [2, '9']] }, { metric: p('1'), values: [] }] } },
      },
    });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.partitions.get(0)?.behind).toBe(9);
    expect(r.partitions.get(1)?.behind).toBeUndefined();
    expect(r.problems).toEqual(['offset: partition 1 has a malformed sample undefined; ignored']);
  });

  it('a query with no series is a problem; the other queries are used', async () => {
    const f = await prom({ ...good(), [Q.production.query]: { json: vector() } });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.problems).toEqual(['production: the query returned no series']);
    expect(r.failedQueries).toEqual([]);
    expect(r.partitions.get(1)).toEqual({ behind: 1500, consumption: 200 });
  });

  it('NaN, +Inf, -Inf and negative values are problems; the good series are used', async () => {
    const f = await prom({
      ...good(),
      [Q.production.query]: { json: vector(['NaN', p('0')], ['+Inf', p('1')], ['-Inf', p('2')], ['-3', p('3')], ['12', p('4')], ['abc', p('5')]) },
    });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.problems).toEqual([
      'production: partition 0 has NaN; ignored',
      'production: partition 1 has +Inf; ignored',
      'production: partition 2 has -Inf; ignored',
      'production: partition 3 has a negative value (-3); ignored',
      'production: partition 5 has the value "abc"; ignored',
    ]);
    expect(r.partitions.get(0)).toEqual({ behind: 0, consumption: 100 });
    expect(r.partitions.get(4)).toEqual({ production: 12 });
    expect(r.partitions.has(5)).toBe(false);
  });

  it('a series without the partition label, or with one that is not a partition number, is a problem', async () => {
    const f = await prom({
      ...good(),
      [Q.offset.query]: {
        json: vector(['1', { topic: 't' }], ['2', p('x')], ['3', p('1.5')], ['4', p('-1')], ['5', p('')], ['6', p('99999999999')], ['7', p('3')]),
      },
    });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.problems).toEqual([
      'offset: a series without the label "partition" was ignored: {topic="t"}',
      'offset: the label partition="x" is not a partition number; series ignored: {partition="x"}',
      'offset: the label partition="1.5" is not a partition number; series ignored: {partition="1.5"}',
      'offset: the label partition="-1" is not a partition number; series ignored: {partition="-1"}',
      'offset: the label partition="" is not a partition number; series ignored: {partition=""}',
      'offset: the label partition="99999999999" is not a partition number; series ignored: {partition="99999999999"}',
    ]);
    expect(r.partitions.get(3)).toEqual({ behind: 7 });
    expect(r.partitions.get(1)).toEqual({ production: 250.5, consumption: 200 });
  });

  it('the same partition twice (a query that does not aggregate by partition): the first is kept', async () => {
    const f = await prom({ ...good(), [Q.offset.query]: { json: vector(['10', p('0', { topic: 'a' })], ['20', p('0', { topic: 'b' })]) } });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.partitions.get(0)?.behind).toBe(10);
    expect(r.problems).toEqual([
      'offset: partition 0 is in more than one series (does the query aggregate by "partition"?); the first was kept, {partition="0",topic="b"} ignored',
    ]);
  });

  it('an error answer fails that query only, named with what Prometheus said', async () => {
    const f = await prom({
      ...good(),
      [Q.consumption!.query]: { status: 400, json: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error' } },
    });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.failedQueries).toEqual(['consumption']);
    expect(r.problems).toEqual(['consumption: Prometheus answered HTTP 400, status "error" bad_data: invalid parameter "query": 1:5: parse error']);
    expect(r.partitions.get(1)).toEqual({ behind: 1500, production: 250.5 });
  });

  it('{"status":"error"} with HTTP 200, and Prometheus\'s own JSON 503 (a query timeout) are failed queries too', async () => {
    const f = await prom({
      ...good(),
      [Q.offset.query]: { json: { status: 'error' } },
      [Q.production.query]: { status: 503, json: { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' } },
    });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.failedQueries).toEqual(['offset', 'production']);
    expect(r.problems).toEqual([
      'offset: Prometheus answered HTTP 200, status "error"',
      'production: Prometheus answered HTTP 503, status "error" timeout: query timed out in expression evaluation',
    ]);
    expect([...r.partitions.keys()]).toEqual([0, 1, 2]);
  });

  it('a body that is not JSON, an empty body, JSON that is not an answer, a scalar: failed queries', async () => {
    const f = await prom({
      [Q.offset.query]: { text: '<html><body>Sign in</body></html>', contentType: 'text/html' },
      [Q.production.query]: { text: '' },
      [Q.consumption!.query]: { json: vector(['1', p('0')]) },
    });
    let r = answered(await provider([f.url]).fetch(Q));
    expect(r.failedQueries).toEqual(['offset', 'production']);
    expect(r.problems).toEqual([
      'offset: Prometheus answered HTTP 200 with a body that is not JSON (text/html): "<html><body>Sign in</body></html>"',
      'production: Prometheus answered HTTP 200 with an empty body',
    ]);
    expect([...r.partitions]).toEqual([[0, { consumption: 1 }]]);

    f.answers.set(Q.offset.query, { json: { status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } } });
    f.answers.set(Q.production.query, { json: [1, 2] });
    r = answered(await provider([f.url]).fetch(Q));
    expect(r.problems).toEqual([
      'offset: the query returned a scalar, not a vector of series with the label "partition"',
      'production: Prometheus answered HTTP 200, status undefined',
    ]);
  });

  it('warnings of Prometheus are problems', async () => {
    const f = await prom({ ...good(), [Q.offset.query]: { json: { ...vector(['1', p('0')]), warnings: ['PromQL info: metric might not be a counter'] } } });
    const r = answered(await provider([f.url]).fetch(Q));
    expect(r.problems).toEqual(['offset: Prometheus warns: PromQL info: metric might not be a counter']);
    expect(r.partitions.get(0)?.behind).toBe(1);
  });

  it('every query failed: QueryFailed, naming the address and each failure', async () => {
    const f = await prom({});
    const r = await provider([f.url]).fetch(Q);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('QueryFailed');
    expect(r.message).toContain(`${f.url} answered, but every query failed: `);
    for (const name of ['offset', 'production', 'consumption']) expect(r.message).toContain(`${name}: Prometheus answered HTTP 400, status "error" bad_data`);
  });

  it('an address where every query failed (a wrong path prefix) is passed over; none better: QueryFailed with each', async () => {
    const dead = await deadAddress();
    const wrong = await prom(good());
    const live = await prom(good());
    const r = answered(await provider([`${wrong.url}/nope`, live.url]).fetch(Q));
    expect(r.address).toBe(live.url);
    expect(wrong.asked).toHaveLength(3);

    const f = await prom({});
    const all = await provider([`${wrong.url}/nope`, dead, f.url]).fetch(Q);
    expect(all.ok).toBe(false);
    if (all.ok) return;
    expect(all.reason).toBe('QueryFailed');
    expect(all.message).toMatch(
      new RegExp(`^${wrong.url}/nope answered, but every query failed: offset: Prometheus answered HTTP 404 with a body that is not JSON \\(no Content-Type\\): "404 page not found".* \\| ${f.url} answered, but every query failed: offset: .*bad_data.* \\| unreachable: ${dead}: ECONNREFUSED`),
    );
  });

  it('tries the addresses in order: a refused connection, a proxy 502 and a not-ready 503 are skipped', async () => {
    const dead = await deadAddress();
    const proxy = await prom(Object.fromEntries(Object.keys(good()).map((q) => [q, { status: 502, text: '<html>502 Bad Gateway</html>' }])));
    const starting = await prom(Object.fromEntries(Object.keys(good()).map((q) => [q, { status: 503, text: 'Service Unavailable' }])));
    const live = await prom(good());
    const r = answered(await provider([dead, proxy.url, starting.url, live.url]).fetch(Q));
    expect(r.address).toBe(live.url);
    expect(r.partitions.size).toBe(3);
  });

  it('an address that answers only some queries is not used', async () => {
    const half = await prom({ ...good(), [Q.production.query]: { status: 504, text: 'gateway timeout' } });
    const live = await prom(good());
    const r = answered(await provider([half.url, live.url]).fetch(Q));
    expect(r.address).toBe(live.url);
  });

  it('no address answers: Unreachable, each address with its reason, credentials not shown', async () => {
    const dead = await deadAddress();
    const proxy = await prom({});
    proxy.answers.set(Q.offset.query, { status: 503, text: 'no healthy upstream' });
    proxy.answers.set(Q.production.query, { status: 503, text: 'no healthy upstream' });
    proxy.answers.set(Q.consumption!.query, { status: 503, text: 'no healthy upstream' });
    const withCreds = proxy.url.replace('http://', 'http://user:s3cret@');
    const r = await provider([dead, withCreds]).fetch(Q);
    expect(r).toEqual({ ok: false, reason: 'Unreachable', message: expect.stringContaining('no Prometheus answered: ') });
    if (r.ok) return;
    expect(r.message).toContain(`${dead}: ECONNREFUSED`);
    expect(r.message).toContain(`${proxy.url}: HTTP 503: "no healthy upstream"`);
    expect(r.message).not.toContain('s3cret');
  });

  it('an address that does not answer within timeoutMs is unreachable', async () => {
    const silent = await prom(Object.fromEntries(Object.keys(good()).map((q) => [q, { hold: true }])));
    const t0 = Date.now();
    const r = await provider([silent.url], 300).fetch(Q);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toEqual({ ok: false, reason: 'Unreachable', message: `no Prometheus answered: ${silent.url}: no answer within 300 ms` });
    const live = await prom(good());
    expect(answered(await provider([silent.url, live.url], 300).fetch(Q)).address).toBe(live.url);
  });

  it('the caller\'s abort rejects with its reason', async () => {
    const silent = await prom(Object.fromEntries(Object.keys(good()).map((q) => [q, { hold: true }])));
    const ctl = new AbortController();
    const pending = provider([silent.url], 10_000).fetch(Q, ctl.signal);
    setTimeout(() => ctl.abort(new Error('shutting down')), 50);
    await expect(pending).rejects.toThrow('shutting down');
    const done = new AbortController();
    done.abort(new Error('already'));
    await expect(provider([silent.url]).fetch(Q, done.signal)).rejects.toThrow('already');
  });

  it('a kept-alive connection the server closed meanwhile is retried once on a new one', async () => {
    // Answers the first request of each connection (keep-alive), drops the connection on its second.
    const body = JSON.stringify(vector(['5', p('0')]));
    const sockets = new Set<Socket>();
    let connections = 0;
    const tcp = createTcpServer((sock) => {
      connections++;
      sockets.add(sock);
      let requests = 0;
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        while (buf.includes('\r\n\r\n')) {
          buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
          if (++requests > 1) {
            sock.destroy();
            return;
          }
          sock.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: keep-alive\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        }
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(tcp.address() as { port: number }).port}`;
    try {
      const pr = provider([url]);
      const one = { offset: Q.offset, production: Q.offset };
      expect(answered(await pr.fetch(one)).partitions.get(0)).toEqual({ behind: 5, production: 5 });
      const before = connections;
      expect(answered(await pr.fetch(one)).partitions.get(0)).toEqual({ behind: 5, production: 5 });
      expect(connections).toBeGreaterThan(before);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => tcp.close(r));
    }
  });

  it('an answer larger than maxBodyBytes is a failed query, not read', async () => {
    const big = vector(...Array.from({ length: 2000 }, (_, i): Sample => ['1', p(String(i))]));
    const f = await prom({ ...good(), [Q.offset.query]: { json: big } });
    const pr = new PrometheusProvider({ addresses: [f.url], maxBodyBytes: 10_000 });
    providers.push(pr);
    const r = answered(await pr.fetch(Q));
    expect(r.failedQueries).toEqual(['offset']);
    expect(r.problems).toEqual(['offset: Prometheus answered HTTP 200 with more than 10000 bytes; not read']);
  });

  it('refuses a configuration without addresses or with one that is not an http(s) URL', () => {
    expect(() => new PrometheusProvider({ addresses: [] })).toThrow(/no Prometheus address/);
    expect(() => new PrometheusProvider({ addresses: ['prometheus:9090/x'] })).toThrow(/not an http\(s\) URL/);
    expect(() => new PrometheusProvider({ addresses: ['not a url'] })).toThrow(/"not a url" is not a URL/);
  });
});
