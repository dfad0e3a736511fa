/**
 * Konsumerator's PrometheusProvider against a real Prometheus (Debian's 2.42, test/peers/
 * prometheus.sh) scraping a Kafka exporter whose per-partition rates and lag the test sets
 * (test/peers/kafka-exporter.ts), every second. The spec's three queries come back per
 * partition within tolerance and feed the predictor; queries that return no series, NaN, +Inf,
 * a scalar, series without the partition label or with one that is not a number, and a PromQL
 * error are problems named by query; Prometheus stopped is Unreachable.
 *
 * Skips with one line when Prometheus cannot be installed here (no apt/dpkg, package missing).
 */
import { jest } from '@jest/globals';
import { createServer } from 'node:http';
import { startKafkaExporter, type KafkaExporter } from '../peers/kafka-exporter.js';
import { prometheusUnavailable, startPrometheus, type PrometheusPeer } from '../peers/prometheus.js';
import { PrometheusProvider, type PromAnswered, type PromFetchResult, type PromQueries } from '../../runtime/konsumerator/prometheus.js';
import { clampToPolicy, lagSeconds, maxLagSeconds, naiveEstimate } from '../../runtime/konsumerator/predictor.js';

jest.setTimeout(120_000);

const why = prometheusUnavailable();
if (why) process.stderr.write(`Konsumerator Prometheus tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

const TOPIC = 'orders';
/** partition → [production/s, consumption/s, lag in messages]. Partition 2: production stopped, a backlog left. */
const LOAD: Record<number, [number, number, number]> = { 0: [400, 380, 0], 1: [250, 250, 1000], 2: [0, 60, 6000] };

const Q: PromQueries = {
  offset: { query: `sum(kafka_consumergroup_lag{topic="${TOPIC}"}) by (partition)`, partitionLabel: 'partition' },
  production: { query: `sum(rate(kafka_messages_produced_total{topic="${TOPIC}"}[5s])) by (partition)`, partitionLabel: 'partition' },
  consumption: { query: `sum(rate(kafka_messages_consumed_total{topic="${TOPIC}"}[5s])) by (partition)`, partitionLabel: 'partition' },
};

function answered(r: PromFetchResult): PromAnswered {
  if (!r.ok) throw new Error(`expected an answer, got ${r.reason}: ${r.message}`);
  return r;
}

const near = (actual: number | undefined, want: number, tolerance = 0.05) => actual !== undefined && Math.abs(actual - want) <= Math.max(tolerance * want, 0.5);

/** Polls until every partition's rates are within 5 % of LOAD (rate() needs a few scrapes). */
async function settled(provider: PrometheusProvider, within = 30_000): Promise<PromAnswered> {
  const deadline = Date.now() + within;
  let last = 'no answer yet';
  for (;;) {
    const r = await provider.fetch(Q);
    if (r.ok) {
      const good = Object.entries(LOAD).every(([p, [prod, cons, lag]]) => {
        const m = r.partitions.get(Number(p));
        return near(m?.production, prod) && near(m?.consumption, cons) && m?.behind === lag;
      });
      if (good && r.problems.length === 0 && r.partitions.size === 3) return r;
      last = JSON.stringify({ partitions: [...r.partitions], problems: r.problems });
    } else last = `${r.reason}: ${r.message}`;
    if (Date.now() > deadline) throw new Error(`the rates did not settle within ${within} ms; last: ${last}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

suite('PrometheusProvider against a real Prometheus', () => {
  let exporter: KafkaExporter;
  let prom: PrometheusPeer;
  let provider: PrometheusProvider;
  const timings: string[] = [];

  beforeAll(async () => {
    exporter = await startKafkaExporter({ topic: TOPIC });
    for (const [p, [prod, cons, lag]] of Object.entries(LOAD)) {
      exporter.setProduction(Number(p), prod);
      exporter.setConsumption(Number(p), cons);
      exporter.setLag(Number(p), lag);
    }
    // Another topic with the same partition numbers: the queries' topic filter must hold.
    exporter.setProduction(0, 5000, 'audit');
    exporter.setLag(0, 99_999, 'audit');
    prom = await startPrometheus({ scrapeTargets: [exporter.target], scrapeIntervalSeconds: 1 });
    timings.push(`${prom.version}: ready in ${prom.startMs} ms`);
    provider = new PrometheusProvider({ addresses: [prom.url], timeoutMs: 5000 });
    const t0 = Date.now();
    await settled(provider);
    timings.push(`rates settled ${Date.now() - t0} ms after ready (${exporter.scrapes} scrapes)`);
  });

  afterAll(async () => {
    provider?.close();
    await prom?.stop();
    await exporter?.stop();
    if (timings.length > 0) process.stderr.write(`\nKonsumerator Prometheus: ${timings.join('; ')}\n`);
  });

  it('answers the spec\'s offset, production and consumption queries per partition', async () => {
    const r = answered(await provider.fetch(Q));
    expect(r.address).toBe(prom.url);
    expect(r.problems).toEqual([]);
    expect(r.failedQueries).toEqual([]);
    expect([...r.partitions.keys()]).toEqual([0, 1, 2]);
    for (const [p, [prod, cons, lag]] of Object.entries(LOAD)) {
      const m = r.partitions.get(Number(p))!;
      expect(m.behind).toBe(lag);
      expect(m.production).toBeGreaterThanOrEqual(prod * 0.95);
      expect(m.production).toBeLessThanOrEqual(prod * 1.05 + 0.5);
      expect(m.consumption).toBeGreaterThanOrEqual(cons * 0.95);
      expect(m.consumption).toBeLessThanOrEqual(cons * 1.05);
    }
  });

  it('feeds the predictor: partition 2 stopped producing with a backlog and still lags and still needs CPU', async () => {
    const r = answered(await provider.fetch(Q));
    const parts = [0, 1, 2].map((p) => r.partitions.get(p));
    // 6000 behind, consumed at ~60/s: ~100 s behind (the original read 0 because production is 0).
    expect(lagSeconds(parts[2])).toBeGreaterThan(95);
    expect(lagSeconds(parts[2])).toBeLessThan(106);
    expect(maxLagSeconds(parts)).toBe(lagSeconds(parts[2]));
    // C = 400 + 250 + 1000/600 + 6000/600 ≈ 662/s at 1000/s per core → 700m, limit 1 core.
    const e = naiveEstimate({ partitions: parts, ratePerCore: 1000, ramPerCore: 512 * 2 ** 20, recoveryTimeSeconds: 600 });
    expect(e.partitionsWithoutMetrics).toBe(0);
    expect(e.requests).toEqual({ cpuMillis: 700, memoryBytes: 512 * 2 ** 20 });
    expect(e.limits).toEqual({ cpuMillis: 1000, memoryBytes: 512 * 2 ** 20 });
    expect(clampToPolicy(e, { maxAllowed: { cpuMillis: 500 } }).limits.cpuMillis).toBe(500);
  });

  it('a query with no series is a problem; the other queries are used', async () => {
    const r = answered(await provider.fetch({ ...Q, production: { query: 'sum(rate(kafka_messages_produced_total{topic="nope"}[5s])) by (partition)', partitionLabel: 'partition' } }));
    expect(r.problems).toEqual(['production: the query returned no series']);
    expect(r.partitions.get(1)).toEqual({ behind: 1000, consumption: expect.any(Number) });
  });

  it('NaN and +Inf values are problems (lag / 0): 0/0 is NaN, 1000/0 is +Inf', async () => {
    const r = answered(await provider.fetch({ ...Q, offset: { query: `${Q.offset.query} / 0`, partitionLabel: 'partition' } }));
    expect(r.problems).toEqual(['offset: partition 0 has NaN; ignored', 'offset: partition 1 has +Inf; ignored', 'offset: partition 2 has +Inf; ignored']);
    expect(r.failedQueries).toEqual([]);
    for (const p of [0, 1, 2]) {
      expect(r.partitions.get(p)?.behind).toBeUndefined();
      expect(r.partitions.get(p)?.production).toBeDefined();
    }
  });

  it('a scalar (0/0), a series without the partition label, a label that is not a number: problems', async () => {
    const r = answered(
      await provider.fetch({
        offset: { query: '0/0', partitionLabel: 'partition' },
        production: { query: 'sum(rate(kafka_messages_produced_total[5s])) by (topic)', partitionLabel: 'partition' },
        consumption: { query: `label_replace(${Q.consumption!.query}, "partition", "p$1", "partition", "(.+)")`, partitionLabel: 'partition' },
      }),
    );
    expect(r.failedQueries).toEqual(['offset']);
    expect(r.partitions.size).toBe(0);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'offset: the query returned a scalar, not a vector of series with the label "partition"',
        'production: a series without the label "partition" was ignored: {topic="audit"}',
        'production: a series without the label "partition" was ignored: {topic="orders"}',
        'consumption: the label partition="p0" is not a partition number; series ignored: {partition="p0"}',
        'consumption: the label partition="p1" is not a partition number; series ignored: {partition="p1"}',
        'consumption: the label partition="p2" is not a partition number; series ignored: {partition="p2"}',
      ]),
    );
    expect(r.problems).toHaveLength(6);
  });

  it('a PromQL error fails that query with Prometheus\'s message; all failing is QueryFailed', async () => {
    const bad = { query: 'sum(rate(kafka_messages_produced_total[5s]) by (partition)', partitionLabel: 'partition' };
    const r = answered(await provider.fetch({ ...Q, production: bad }));
    expect(r.failedQueries).toEqual(['production']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^production: Prometheus answered HTTP 400, status "error" bad_data: invalid parameter "query": .*parse error/);
    expect(r.partitions.get(2)).toEqual({ behind: 6000, consumption: expect.any(Number) });

    const all = await provider.fetch({ offset: bad, production: bad, consumption: bad });
    expect(all).toEqual({ ok: false, reason: 'QueryFailed', message: expect.stringMatching(/answered, but every query failed: offset: .*; production: .*; consumption: /) });
  });

  it('tries the addresses in order: a dead address first, then Prometheus', async () => {
    const s = createServer();
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
    const dead = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    await new Promise((res) => s.close(res));
    const p = new PrometheusProvider({ addresses: [dead, prom.url] });
    try {
      const r = answered(await p.fetch(Q));
      expect(r.address).toBe(prom.url);
      expect(r.partitions.size).toBe(3);
    } finally {
      p.close();
    }
  });

  // Last: it stops Prometheus.
  it('Prometheus stopped: Unreachable, so the caller keeps the current resources', async () => {
    await prom.stop();
    const r = await provider.fetch(Q);
    expect(r).toEqual({ ok: false, reason: 'Unreachable', message: `no Prometheus answered: ${prom.url}: ECONNREFUSED (connect ECONNREFUSED ${prom.url.replace('http://', '')})` });
  });
});
