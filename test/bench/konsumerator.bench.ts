/**
 * Konsumerator at scale, on a real API server and a real Prometheus, side by side:
 *
 *   A: one Consumer of 1,000 partitions, numPartitionsPerInstance 1 → 1,000 Deployments;
 *   B: 100 Consumers of 10 partitions each (one topic each), numPartitionsPerInstance 1 (by
 *      default; KONSUM_BENCH_B_PER_INSTANCE) → 1,000 Deployments as well, so that the two differ
 *      only in how the same number of instances is grouped.
 *
 * The operator runs as its ServiceAccount from the esbuild bundle (plain `node`, its Deployment's
 * NODE_OPTIONS), as in the image, one fresh process per scenario. The API server runs WITHOUT
 * the controller manager: 1,000 Deployments must not turn into ReplicaSets and Pods on a 2-core
 * machine (so no Deployment gets a status, and nothing is garbage-collected: the bench deletes).
 * A kafka exporter (test/peers/kafka-exporter.ts) serves production, consumption, offset and lag
 * series for every partition of both scenarios; a real Prometheus scrapes it every second.
 *
 * Per scenario:
 * (a) time from applying the Consumer(s) until every Deployment exists, (b) until every one is
 *     sized (the main container has requests), seen by a watch of this process;
 * (c) a steady-state window (minSyncPeriod 5s, so each Consumer is reconciled every 5 s):
 *     reconciles/s, reconcile p50/p99 from kit_reconcile_duration_seconds, Deployment writes per
 *     reconcile (konsumerator_deployment_writes_total: target 0), API requests/s by verb, the
 *     queries Prometheus answered (prometheus_http_requests_total{handler="/api/v1/query"}), the
 *     operator's CPU and RSS from /proc and the API server's, etcd's and Prometheus's CPU;
 * (d) a lag of 30 s of production on 10 % of the partitions (tolerableLag 10s): the time until
 *     every affected Deployment is annotated pendingScaleUp, and until the scale-up is applied
 *     (pendingScaleUpDuration 5s).
 * And, in this process, the NaivePredictor's throughput: naiveEstimate + clampToPolicy per
 * instance of 1, 10 and 100 partitions.
 *
 * Never fails on time: a phase that misses its deadline is reported as such.
 *
 *   npm run bench -- konsumerator
 * Env: KONSUM_BENCH_PARTITIONS (1000: A's partitions; B has a tenth as many Consumers of 10),
 *      KONSUM_BENCH_B_PER_INSTANCE (1), KONSUM_BENCH_STEADY_SECONDS (30),
 *      KONSUM_BENCH_CPU_PROF (a directory: the operator runs with --cpu-prof and writes its profiles there),
 *      CONFIG_AGGREGATOR_TEST_LOGS=1 (echo the operator's logs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import { Annotations, KONSUMERATOR_API_VERSION, ScalingStatus } from '../../lib/api/konsumerator/index.js';
import { clampToPolicy, naiveEstimate, type PartitionMetrics, type ResourcePolicy } from '../../runtime/konsumerator/predictor.js';
import { printTable } from './support.js';
// The harness, cdk8s and the peers are imported in main() only.
import type { Cluster, KubeObject } from '../cluster/index.js';
import type { ControllerProcess } from '../integration/config-aggregator.support.js';
import type { KonsumeratorDeployment } from '../integration/konsumerator.support.js';
import type { KafkaExporter } from '../peers/kafka-exporter.js';
import type { PrometheusPeer } from '../peers/prometheus.js';
import { CLK_TCK, CORES, CpuWindow, pool, rssBytes, scrape, sum, type Sample } from './proc.js';

const PARTITIONS = Number(process.env.KONSUM_BENCH_PARTITIONS ?? 1000);
const B_CONSUMERS = Math.max(1, Math.round(PARTITIONS / 10));
const B_PER_INSTANCE = Number(process.env.KONSUM_BENCH_B_PER_INSTANCE ?? 1);
const STEADY_S = Number(process.env.KONSUM_BENCH_STEADY_SECONDS ?? 30);
const CPU_PROF = process.env.KONSUM_BENCH_CPU_PROF;
const MIN_SYNC = '5s';
const MIN_SYNC_MS = 5000;
const PENDING_UP = '5s';
const TOLERABLE_LAG_S = 10;
/** The lag set in (d): this many seconds of production behind (over tolerableLag, far from criticalLag). */
const LAG_S = 30;
const RECOVERY_S = 60;
const RATE_PER_CORE = 10_000;
/**
 * The window of the rate() queries. The exporter computes its counters when it renders a scrape,
 * while Prometheus stamps the sample with the scrape's start: when this (busy) process renders
 * late, a short window reads the rate off by that delay over the window (measured with 5s on
 * this 2-core machine: about 10 %, enough to flap an instance to pendingScaleDown and back).
 * 15 s keeps that below the half step the rates are chosen for; real setups use minutes.
 */
const RATE_WINDOW = '15s';
/** Deadline of each phase; past it the row says so. */
const PHASE_DEADLINE_MS = 120_000;
const MAIN = 'busybox';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Production (= consumption) rate of a partition: 1,500 to 4,500 messages/s, so that the
 * estimate (rate / 10,000 per core) is 150m to 450m, half a step from the 100m rounding: the
 * jitter of rate() cannot flip a request between two steps. With (d)'s lag the expected
 * consumption is P + 30·P/60 = 1.5 P: 225m to 675m, again mid-step.
 */
const rateOf = (p: number) => 1500 + (p % 4) * 1000;

// ---------------------------------------------------------------------------------------------
// /proc: CPU time and RSS of a process, and of the whole machine (as wao.bench.ts).
// ---------------------------------------------------------------------------------------------

/** Deltas of a counter between two scrapes, grouped by the given labels. */
function deltaBy(m0: readonly Sample[], m1: readonly Sample[], name: string, by: readonly string[], filter: Record<string, string> = {}): Map<string, number> {
  const group = (xs: readonly Sample[]) => {
    const g = new Map<string, number>();
    for (const s of xs) {
      if (s.name !== name || !Object.entries(filter).every(([k, v]) => s.labels[k] === v)) continue;
      const k = by.map((b) => s.labels[b] ?? '').join(' ');
      g.set(k, (g.get(k) ?? 0) + s.value);
    }
    return g;
  };
  const a = group(m0);
  const out = new Map<string, number>();
  for (const [k, v] of group(m1)) if (v - (a.get(k) ?? 0) > 0) out.set(k, v - (a.get(k) ?? 0));
  return out;
}

/** A quantile of a histogram's increase between two scrapes, interpolated within its bucket as PromQL's histogram_quantile. */
function histogramQuantile(m0: readonly Sample[], m1: readonly Sample[], name: string, labels: Record<string, string>, q: number): number {
  const buckets = (xs: readonly Sample[]) =>
    new Map(xs.filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => [s.labels.le, s.value]));
  const b0 = buckets(m0);
  const rows = [...buckets(m1)].map(([le, v]) => ({ le: le === '+Inf' ? Infinity : Number(le), n: v - (b0.get(le) ?? 0) })).sort((a, b) => a.le - b.le);
  const total = rows.at(-1)?.n ?? 0;
  if (!total) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const r of rows) {
    if (r.n >= rank) {
      if (r.le === Infinity) return Infinity; // above the largest finite bucket (fmtMs shows its bound)
      return prevLe + ((r.le - prevLe) * (rank - prevN)) / Math.max(1e-9, r.n - prevN);
    }
    prevLe = r.le;
    prevN = r.n;
  }
  return NaN;
}

// ---------------------------------------------------------------------------------------------
// A watch of the scenario's Deployments, in this process: when each exists, is sized, changes.
// ---------------------------------------------------------------------------------------------
interface DeploymentState {
  /** The main container's CPU request, in millicores (undefined: not sized). */
  cpuMillis?: number;
  status?: string;
  partitions: string;
  /** ADDED/MODIFIED events seen. */
  events: number;
  firstPendingUpAt?: number;
  /** What changed, event by event (status and main container CPU), for the diagnostics. */
  history: string[];
}

const cpuMillis = (q: string | undefined) => (q === undefined ? undefined : q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);

class DeploymentWatch {
  readonly items = new Map<string, DeploymentState>();
  private ctl?: AbortController;
  private stopped = false;
  readonly t0 = performance.now();

  constructor(private readonly cluster: Cluster, private readonly ns: string) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const w = new Watch(this.cluster.kubeConfig);
    this.ctl = await w.watch(
      `/apis/apps/v1/namespaces/${this.ns}/deployments`,
      { allowWatchBookmarks: false },
      (type, obj: any) => {
        const name = obj?.metadata?.name as string | undefined;
        if (!name) return;
        if (type === 'DELETED') {
          this.items.delete(name);
          return;
        }
        if (type !== 'ADDED' && type !== 'MODIFIED') return;
        const c = (obj.spec?.template?.spec?.containers ?? []).find((x: any) => x.name === MAIN);
        const prev = this.items.get(name);
        const status = obj.metadata?.annotations?.[Annotations.scalingStatus];
        const cpu = cpuMillis(c?.resources?.requests?.cpu);
        const at = ((performance.now() - this.t0) / 1000).toFixed(1);
        const st: DeploymentState = {
          history: [...(prev?.history ?? []), `${at}s ${status}/${cpu}m${prev && prev.status === status && prev.cpuMillis === cpu ? ' (same status and cpu)' : ''}`].slice(-6),
          cpuMillis: cpu,
          status,
          partitions: obj.metadata?.annotations?.[Annotations.partition] ?? '',
          events: (prev?.events ?? 0) + 1,
          ...(prev?.firstPendingUpAt !== undefined ? { firstPendingUpAt: prev.firstPendingUpAt } : status === ScalingStatus.pendingScaleUp ? { firstPendingUpAt: performance.now() } : {}),
        };
        this.items.set(name, st);
      },
      () => void this.start().catch((err) => log(`watch restart failed: ${String(err)}`)),
    );
  }

  stop(): void {
    this.stopped = true;
    this.ctl?.abort();
  }

  sized(): number {
    let n = 0;
    for (const s of this.items.values()) if (s.cpuMillis !== undefined) n++;
    return n;
  }
}

/** Polls `check` (cheap: in memory) until true; the time since t0, or NaN with a note at the deadline. */
async function until(what: string, check: () => boolean, progress: () => string, t0: number, everyMs = 50): Promise<{ ms: number; note: string }> {
  for (;;) {
    if (check()) return { ms: performance.now() - t0, note: '' };
    if (performance.now() - t0 > PHASE_DEADLINE_MS) {
      log(`${what}: not reached after ${PHASE_DEADLINE_MS / 1000} s (${progress()})`);
      return { ms: NaN, note: `not reached: ${progress()} after ${PHASE_DEADLINE_MS / 1000} s` };
    }
    await sleep(everyMs);
  }
}


const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');
/** The largest finite bucket of kit_reconcile_duration_seconds: a quantile above it is shown as "> 10000 ms". */
const LARGEST_BUCKET_MS = 10_000;
const fmtMs = (ms: number) => (ms === Infinity ? `> ${LARGEST_BUCKET_MS} ms` : !Number.isFinite(ms) ? 'n/a' : ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);
const fmtMb = (b: number) => (Number.isFinite(b) ? `${(b / 1024 / 1024).toFixed(0)} MB` : 'n/a');
const fmtPct = (p: number) => (Number.isFinite(p) ? `${p.toFixed(0)} %` : 'n/a');
const fmtRate = (r: number) => (!Number.isFinite(r) ? 'n/a' : r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));
const fmtBytes = (b: number) => (!Number.isFinite(b) ? 'n/a' : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${b} B`);
const fmtN = (n: number) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// Predictor throughput, in this process.
// ---------------------------------------------------------------------------------------------
interface PredictorRow {
  readonly partitions: number;
  readonly opsPerS: number;
  readonly nsPerOp: number;
  /** The two parts alone: naiveEstimate, and clampToPolicy of its result. */
  readonly naiveNs: number;
  readonly clampNs: number;
}

/** ns per call of `fn` over `inputs` (rotating), after a warm-up, for about `seconds`. */
function timeCalls<T>(inputs: readonly T[], fn: (x: T) => number, warmup: number, seconds: number): number {
  let sink = 0;
  const mask = inputs.length - 1; // a power of two
  for (let i = 0; i < warmup; i++) sink += fn(inputs[i & mask]);
  let ops = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 256; i++) sink += fn(inputs[(ops + i) & mask]);
    ops += 256;
    now = process.hrtime.bigint();
  }
  if (sink === -1) log('unreachable'); // keeps `sink` alive
  return Number(now - t0) / ops;
}

function predictorThroughput(sizes: readonly number[], seconds = 1): PredictorRow[] {
  const policy: ResourcePolicy = { minAllowed: { cpuMillis: 100, memoryBytes: 100e6 }, maxAllowed: { cpuMillis: 2000, memoryBytes: 1e9 } };
  const estimate = (parts: readonly (PartitionMetrics | undefined)[]) =>
    naiveEstimate({ partitions: parts, ratePerCore: RATE_PER_CORE, ramPerCore: 100e6, recoveryTimeSeconds: RECOVERY_S, cpuIncrementMillis: 100 });
  return sizes.map((n) => {
    // 64 distinct instances per size: rates as the cluster scenarios', a backlog on every third
    // partition, one partition in 16 without metrics.
    const inputs = Array.from({ length: 64 }, (_, k) =>
      Array.from({ length: n }, (_, i): PartitionMetrics | undefined => {
        const p = k * n + i;
        if (p % 16 === 15) return undefined;
        const rate = rateOf(p) + (k % 7);
        return { production: rate, consumption: rate, behind: p % 3 === 0 ? rate * LAG_S : 0, lastKnownProduction: rate };
      }),
    );
    const warmup = Math.ceil(20_000 / Math.max(1, n / 4));
    const nsPerOp = timeCalls(inputs, (parts) => clampToPolicy(estimate(parts), policy).requests.cpuMillis, warmup, seconds);
    const naiveNs = timeCalls(inputs, (parts) => estimate(parts).requests.cpuMillis, warmup, seconds / 2);
    const estimates = inputs.map(estimate);
    const clampNs = timeCalls(estimates, (e) => clampToPolicy(e, policy).requests.cpuMillis, 20_000, seconds / 2);
    return { partitions: n, opsPerS: 1e9 / nsPerOp, nsPerOp, naiveNs, clampNs };
  });
}

// ---------------------------------------------------------------------------------------------
// The cluster scenarios.
// ---------------------------------------------------------------------------------------------
interface ConsumerDef {
  readonly name: string;
  readonly topic: string;
  readonly numPartitions: number;
}

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly consumers: readonly ConsumerDef[];
  readonly perInstance: number;
}

interface Setup {
  readonly cluster: Cluster;
  readonly deployment: KonsumeratorDeployment;
  readonly bundle: string;
  readonly exporter: KafkaExporter;
  readonly prom: PrometheusPeer;
  current?: ControllerProcess;
  watch?: DeploymentWatch;
}

interface Report {
  readonly scenario: Scenario;
  readonly deployments: number;
  readonly existMs: number;
  readonly existNote: string;
  readonly sizedMs: number;
  readonly sizedNote: string;
  readonly creation: { reconciles: number; meanMs: number; p99Ms: number; writes: number; writesByAction: string; apiByVerb: Map<string, number>; apiTotal: number };
  readonly settleMs: number;
  readonly steady: {
    seconds: number;
    reconcilesPerS: number;
    reconcileResults: string;
    p50Ms: number;
    p99Ms: number;
    meanMs: number;
    deploymentWrites: number;
    writesByAction: string;
    writesPerReconcile: number;
    statusPatchesPerReconcile: number;
    apiPerS: number;
    apiByVerb: Map<string, number>;
    promQueriesPerS: number;
    promQueryMeanMs: number;
    cpuPct: number;
    rssMax: number;
    eventLoopLagP99Ms: number;
    otherPct: Record<string, number>;
    selfPct: number;
    machineBusyPct: number;
    warnings: number;
  };
  readonly rssMaxRun: number;
  readonly consumerBytes: number;
  readonly lag: {
    affected: number;
    firstPendingMs: number;
    allPendingMs: number;
    pendingNote: string;
    scaledMs: number;
    scaledNote: string;
    writes: number;
    unaffectedChanged: number;
    cpuBefore: string;
    cpuAfter: string;
  };
}

function consumerObject(c: ConsumerDef, ns: string, perInstance: number, promUrl: string, parse: () => any): KubeObject {
  const o = parse();
  o.metadata = { name: c.name, namespace: ns };
  o.spec.namespace = ns;
  o.spec.name = c.name;
  o.spec.numPartitions = c.numPartitions;
  o.spec.numPartitionsPerInstance = perInstance;
  const sel = `{topic="${c.topic}"}`;
  o.spec.autoscaler = {
    mode: 'prometheus',
    pendingScaleUpDuration: PENDING_UP,
    pendingScaleDownDuration: '10m',
    prometheus: {
      address: [promUrl],
      minSyncPeriod: MIN_SYNC,
      tolerableLag: `${TOLERABLE_LAG_S}s`,
      criticalLag: '60m',
      recoveryTime: `${RECOVERY_S}s`,
      ratePerCore: RATE_PER_CORE,
      ramPerCore: '100M',
      offset: { query: `sum(kafka_consumergroup_lag${sel}) by (partition)`, partitionLabel: 'partition' },
      production: { query: `sum(rate(kafka_messages_produced_total${sel}[${RATE_WINDOW}])) by (partition)`, partitionLabel: 'partition' },
      consumption: { query: `sum(rate(kafka_messages_consumed_total${sel}[${RATE_WINDOW}])) by (partition)`, partitionLabel: 'partition' },
    },
  };
  o.spec.resourcePolicy.containerPolicies[0].maxAllowed = { cpu: '2', memory: '1G' };
  return o as KubeObject;
}

/** Which instance of a Consumer owns a partition (contiguous, balanced buckets, as buckets.ts). */
function bucketOf(p: number, n: number, k: number): number {
  const buckets = Math.ceil(n / k);
  const small = Math.floor(n / buckets);
  const large = n % buckets;
  const cut = large * (small + 1);
  return p < cut ? Math.floor(p / (small + 1)) : large + Math.floor((p - cut) / small);
}

async function runScenario(s: Setup, sc: Scenario): Promise<Report> {
  const { createNamespaceFor, startOperator } = await helpers();
  const { parseConsumer } = await import('../fixtures/konsumerator-seed.js');
  const { waitFor } = await import('../integration/config-aggregator.support.js');
  const ns = await createNamespaceFor(s.cluster, `konsum-bench-${sc.id.toLowerCase()}`);
  const expected = sc.consumers.reduce((a, c) => a + Math.ceil(c.numPartitions / sc.perInstance), 0);
  const watch = new DeploymentWatch(s.cluster, ns);
  s.watch = watch;
  await watch.start();
  const op = await startOperator(s, `konsumerator-bench-${sc.id.toLowerCase()}`);
  s.current = op;
  const pid = op.pid;
  const rss: Array<{ at: number; bytes: number }> = [];
  const sampler = setInterval(() => rss.push({ at: performance.now(), bytes: rssBytes(pid) }), 500);
  const metricsUrl = () => `http://127.0.0.1:${op.port}/metrics`;
  try {
    await op.waitReady();
    await waitFor('leadership', () => op.isLeader(), 60_000, 100);
    log(`${sc.id}: operator ${pid} leads; applying ${sc.consumers.length} Consumer(s) → ${expected} Deployments`);

    // (a) and (b), both from the first apply.
    const mc0 = await scrape(metricsUrl());
    const t0 = performance.now();
    const objs = sc.consumers.map((c) => consumerObject(c, ns, sc.perInstance, s.prom.url, parseConsumer));
    await pool(objs, 8, (o) => s.cluster.applyObjects([o], { fieldManager: 'konsum-bench', force: true }));
    const a = await until(`${sc.id} exist`, () => watch.items.size >= expected, () => `${watch.items.size}/${expected}`, t0);
    log(`${sc.id} (a) ${watch.items.size} Deployments after ${fmtS(a.ms)} ${a.note}`);
    const b = await until(`${sc.id} sized`, () => watch.sized() >= expected, () => `${watch.sized()}/${expected} sized`, t0);
    log(`${sc.id} (b) sized after ${fmtS(b.ms)} ${b.note}`);
    // Settle: the start-up burst over (no Deployment write for two minSyncPeriods), at most 60 s.
    const tSettle = performance.now();
    let lastWrites = sum(await scrape(metricsUrl()), 'konsumerator_deployment_writes_total');
    let quietSince = performance.now();
    while (performance.now() - quietSince < 2 * MIN_SYNC_MS && performance.now() - tSettle < 60_000) {
      await sleep(1000);
      const w = sum(await scrape(metricsUrl()), 'konsumerator_deployment_writes_total');
      if (w !== lastWrites) quietSince = performance.now();
      lastWrites = w;
    }
    const settleMs = performance.now() - tSettle;
    // The start-up, from the first apply until quiet (a reconcile is counted when it ends, after its writes).
    const mc1 = await scrape(metricsUrl());
    const rl = { controller: 'konsumerator' };
    const creationReconciles = sum(mc1, 'kit_reconcile_duration_seconds_count', rl) - sum(mc0, 'kit_reconcile_duration_seconds_count', rl);
    const creationApi = deltaBy(mc0, mc1, 'kit_api_requests_total', ['verb', 'resource']);
    const creation = {
      reconciles: creationReconciles,
      meanMs: ((sum(mc1, 'kit_reconcile_duration_seconds_sum', rl) - sum(mc0, 'kit_reconcile_duration_seconds_sum', rl)) / creationReconciles) * 1000,
      p99Ms: histogramQuantile(mc0, mc1, 'kit_reconcile_duration_seconds', rl, 0.99) * 1000,
      writes: sum(mc1, 'konsumerator_deployment_writes_total') - sum(mc0, 'konsumerator_deployment_writes_total'),
      writesByAction: [...deltaBy(mc0, mc1, 'konsumerator_deployment_writes_total', ['action'])].map(([k, v]) => `${k} ${v}`).join(', '),
      apiByVerb: creationApi,
      apiTotal: [...creationApi.values()].reduce((x, y) => x + y, 0),
    };

    // (c) steady state.
    const pids = s.cluster.pids;
    const m0 = await scrape(metricsUrl());
    const p0 = await scrape(`${s.prom.url}/metrics`);
    const warn0 = op.logs.filter((l) => l.level === 'warn' || l.level === 'error').length;
    const win = new CpuWindow({ operator: pid, 'kube-apiserver': pids['kube-apiserver'], etcd: pids.etcd, prometheus: s.prom.pid });
    const wStart = performance.now();
    await sleep(STEADY_S * 1000);
    const cpu = win.stop();
    const m1 = await scrape(metricsUrl());
    const p1 = await scrape(`${s.prom.url}/metrics`);
    const secs = cpu.seconds;
    const d = (name: string, labels: Record<string, string> = {}) => sum(m1, name, labels) - sum(m0, name, labels);
    const reconciles = d('kit_reconcile_duration_seconds_count', rl);
    const writes = d('konsumerator_deployment_writes_total');
    const apiByVerb = deltaBy(m0, m1, 'kit_api_requests_total', ['verb', 'resource']);
    const pq = { handler: '/api/v1/query' };
    const promQueries = sum(p1, 'prometheus_http_requests_total', pq) - sum(p0, 'prometheus_http_requests_total', pq);
    const promQuerySeconds = sum(p1, 'prometheus_http_request_duration_seconds_sum', pq) - sum(p0, 'prometheus_http_request_duration_seconds_sum', pq);
    const windowRss = rss.filter((r) => r.at >= wStart).map((r) => r.bytes);
    const steady: Report['steady'] = {
      seconds: secs,
      reconcilesPerS: reconciles / secs,
      reconcileResults: [...deltaBy(m0, m1, 'kit_reconcile_total', ['result'], rl)].map(([k, v]) => `${k} ${v}`).join(', '),
      p50Ms: histogramQuantile(m0, m1, 'kit_reconcile_duration_seconds', rl, 0.5) * 1000,
      p99Ms: histogramQuantile(m0, m1, 'kit_reconcile_duration_seconds', rl, 0.99) * 1000,
      meanMs: (d('kit_reconcile_duration_seconds_sum', rl) / reconciles) * 1000,
      deploymentWrites: writes,
      writesByAction: [...deltaBy(m0, m1, 'konsumerator_deployment_writes_total', ['action'])].map(([k, v]) => `${k} ${v}`).join(', '),
      writesPerReconcile: reconciles ? writes / reconciles : NaN,
      statusPatchesPerReconcile: reconciles ? (apiByVerb.get('patch consumers') ?? 0) / reconciles : NaN,
      apiPerS: [...apiByVerb.values()].reduce((x, y) => x + y, 0) / secs,
      apiByVerb,
      promQueriesPerS: promQueries / secs,
      promQueryMeanMs: promQueries ? (promQuerySeconds / promQueries) * 1000 : NaN,
      cpuPct: cpu.pct.operator,
      rssMax: Math.max(...windowRss),
      eventLoopLagP99Ms: m1.some((x) => x.name === 'nodejs_eventloop_lag_p99_seconds') ? sum(m1, 'nodejs_eventloop_lag_p99_seconds') * 1000 : NaN,
      otherPct: { 'kube-apiserver': cpu.pct['kube-apiserver'], etcd: cpu.pct.etcd, prometheus: cpu.pct.prometheus },
      selfPct: cpu.selfPct,
      machineBusyPct: cpu.machineBusyPct,
      warnings: op.logs.filter((l) => l.level === 'warn' || l.level === 'error').length - warn0,
    };
    log(`${sc.id} (c) ${fmtRate(steady.reconcilesPerS)} reconciles/s, ${writes} Deployment writes, CPU ${fmtPct(steady.cpuPct)}, RSS ${fmtMb(steady.rssMax)}`);
    // The size of a Consumer as stored (its status carries lastSyncState: one entry per instance).
    const c0 = sc.consumers[0];
    const consumerBytes = JSON.stringify((await s.cluster.request('GET', `/apis/${KONSUMERATOR_API_VERSION}/namespaces/${ns}/consumers/${c0.name}`)).body).length;

    // (d) a lag on 10 % of the partitions: every tenth partition of each topic.
    const lagged = sc.consumers.flatMap((c) => Array.from({ length: c.numPartitions }, (_, p) => p).filter((p) => p % 10 === 0).map((p) => ({ c, p })));
    const affected = new Set(lagged.map(({ c, p }) => `${c.name}-${bucketOf(p, c.numPartitions, sc.perInstance)}`));
    const before = new Map([...affected].map((n) => [n, watch.items.get(n)?.cpuMillis ?? 0]));
    const eventsBefore = new Map([...watch.items].map(([n, st]) => [n, st.events]));
    for (const n of affected) {
      const st = watch.items.get(n);
      if (st) st.firstPendingUpAt = undefined;
    }
    const ml0 = await scrape(metricsUrl());
    const tL = performance.now();
    for (const { c, p } of lagged) s.exporter.setLag(p, rateOf(p) * LAG_S, c.topic);
    const pending = await until(
      `${sc.id} pendingScaleUp`,
      () => [...affected].every((n) => watch.items.get(n)?.firstPendingUpAt !== undefined),
      () => `${[...affected].filter((n) => watch.items.get(n)?.firstPendingUpAt !== undefined).length}/${affected.size} pendingScaleUp`,
      tL,
    );
    const pendingAt = [...affected].map((n) => watch.items.get(n)?.firstPendingUpAt).filter((x): x is number => x !== undefined);
    const scaled = await until(
      `${sc.id} scaled up`,
      () => [...affected].every((n) => (watch.items.get(n)?.cpuMillis ?? 0) > before.get(n)!),
      () => `${[...affected].filter((n) => (watch.items.get(n)?.cpuMillis ?? 0) > before.get(n)!).length}/${affected.size} scaled`,
      tL,
    );
    await sleep(1000); // late writes of the phase, if any
    const ml1 = await scrape(metricsUrl());
    const changed = [...watch.items].filter(([n, st]) => !affected.has(n) && st.events !== (eventsBefore.get(n) ?? 0));
    const unaffectedChanged = changed.length;
    for (const [n, st] of changed.slice(0, 5)) log(`${sc.id} (d) unaffected ${n} changed: ${st.history.join(' -> ')}`);
    const multi = [...affected].filter((n) => (watch.items.get(n)?.events ?? 0) - (eventsBefore.get(n) ?? 0) > 2);
    for (const n of multi.slice(0, 5)) log(`${sc.id} (d) ${n} changed more than twice: ${watch.items.get(n)!.history.join(' -> ')}`);
    const range = (xs: number[]) => (xs.length ? `${Math.min(...xs)}m-${Math.max(...xs)}m` : 'n/a');
    const lag: Report['lag'] = {
      affected: affected.size,
      firstPendingMs: pendingAt.length ? Math.min(...pendingAt) - tL : NaN,
      allPendingMs: pending.ms,
      pendingNote: pending.note,
      scaledMs: scaled.ms,
      scaledNote: scaled.note,
      writes: sum(ml1, 'konsumerator_deployment_writes_total') - sum(ml0, 'konsumerator_deployment_writes_total'),
      unaffectedChanged,
      cpuBefore: range([...before.values()]),
      cpuAfter: range([...affected].map((n) => watch.items.get(n)?.cpuMillis ?? 0)),
    };
    log(`${sc.id} (d) all pendingScaleUp after ${fmtS(lag.allPendingMs)}, scaled after ${fmtS(lag.scaledMs)}, ${lag.writes} writes`);
    for (const { c, p } of lagged) s.exporter.setLag(p, 0, c.topic);

    return {
      scenario: sc,
      deployments: expected,
      existMs: a.ms,
      existNote: a.note,
      sizedMs: b.ms,
      sizedNote: b.note,
      creation,
      settleMs,
      steady,
      rssMaxRun: Math.max(...rss.map((r) => r.bytes).filter(Number.isFinite)),
      consumerBytes,
      lag,
    };
  } finally {
    clearInterval(sampler);
    await op.stop();
    s.current = undefined;
    watch.stop();
    s.watch = undefined;
    // No garbage collector runs here: the bench deletes what the scenario made.
    const t = performance.now();
    await s.cluster.request('DELETE', `/apis/${KONSUMERATOR_API_VERSION}/namespaces/${ns}/consumers`).catch((err) => log(`deleting Consumers: ${String(err)}`));
    await s.cluster.request('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments`).catch((err) => log(`deleting Deployments: ${String(err)}`));
    log(`${sc.id}: cleaned up in ${fmtS(performance.now() - t)}`);
  }
}

async function helpers() {
  const { startKonsumerator } = await import('../integration/konsumerator.support.js');
  return {
    createNamespaceFor: (cluster: Cluster, prefix: string) => cluster.createNamespace(prefix),
    startOperator: (s: Setup, podName: string) =>
      startKonsumerator(s.cluster, s.deployment, podName, [], {
        bundle: s.bundle,
        ...(s.deployment.nodeOptions ? { nodeOptions: s.deployment.nodeOptions } : {}),
        ...(CPU_PROF ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] } : {}),
      }),
  };
}

async function promQuery(url: string, q: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const doc = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  return Number(doc.data?.result?.[0]?.value?.[1] ?? NaN);
}

// ---------------------------------------------------------------------------------------------
// The benchmark.
// ---------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const tStart = Date.now();
  log('predictor throughput (in this process, before anything else runs in it)');
  const predictor = predictorThroughput([1, 10, 100]);

  const { startCluster } = await import('../cluster/index.js');
  const { bundleControllers, removeKubeconfigs } = await import('../integration/config-aggregator.support.js');
  const { deployKonsumerator } = await import('../integration/konsumerator.support.js');
  const { startKafkaExporter } = await import('../peers/kafka-exporter.js');
  const { prometheusUnavailable, startPrometheus } = await import('../peers/prometheus.js');

  const scenarios: Scenario[] = [
    { id: 'A', title: `A: 1 Consumer x ${fmtN(PARTITIONS)} partitions, 1 per instance`, consumers: [{ name: 'orders', topic: 'orders', numPartitions: PARTITIONS }], perInstance: 1 },
    {
      id: 'B',
      title: `B: ${B_CONSUMERS} Consumers x 10 partitions, ${B_PER_INSTANCE} per instance`,
      consumers: Array.from({ length: B_CONSUMERS }, (_, i) => ({ name: `c-${String(i).padStart(3, '0')}`, topic: `topic-${String(i).padStart(3, '0')}`, numPartitions: 10 })),
      perInstance: B_PER_INSTANCE,
    },
  ];

  const noProm = prometheusUnavailable();
  if (noProm) {
    printReport([], predictor, { heapFlags: '', totalMs: Date.now() - tStart, skipped: noProm });
    return;
  }

  const work = mkdtempSync(join(tmpdir(), 'konsum-bench-'));
  let cluster: Cluster | undefined;
  let setup: Setup | undefined;
  let exporter: KafkaExporter | undefined;
  let prom: PrometheusPeer | undefined;
  try {
    const [bundle, c, e] = await Promise.all([bundleControllers(work), startCluster(), startKafkaExporter()]);
    cluster = c;
    exporter = e;
    const totalPartitions = scenarios.reduce((a, sc) => a + sc.consumers.reduce((x, y) => x + y.numPartitions, 0), 0);
    for (const sc of scenarios) {
      for (const con of sc.consumers) {
        for (let p = 0; p < con.numPartitions; p++) {
          exporter.setProduction(p, rateOf(p), con.topic);
          exporter.setConsumption(p, rateOf(p), con.topic);
          exporter.setLag(p, 0, con.topic);
        }
      }
    }
    prom = await startPrometheus({ scrapeTargets: [exporter.target], scrapeIntervalSeconds: 1 });
    // As in a real cluster, the metrics exist before the Consumers: a rate for every partition.
    const { waitFor } = await import('../integration/config-aggregator.support.js');
    // rate() reads low while a series is younger than its window: wait for the sum to be the rates set (within 0.5 %).
    const rateSum = scenarios.reduce((a, sc) => a + sc.consumers.reduce((x, c) => x + Array.from({ length: c.numPartitions }, (_, p) => rateOf(p)).reduce((u, v) => u + v, 0), 0), 0);
    await waitFor(
      'the rates of every partition in Prometheus',
      async () =>
        (await promQuery(prom!.url, `count(rate(kafka_messages_produced_total[${RATE_WINDOW}]) > 0)`)) === totalPartitions &&
        Math.abs((await promQuery(prom!.url, `sum(rate(kafka_messages_produced_total[${RATE_WINDOW}]))`)) - rateSum) < rateSum * 0.005,
      60_000,
      500,
    );
    const scrapeBytes = Buffer.byteLength(exporter.render());
    log(`cluster, bundle and Prometheus ready; the exporter serves ${fmtN(totalPartitions)} partitions (${fmtBytes(scrapeBytes)} a scrape)`);

    const ns = await cluster.createNamespace('konsum-bench');
    const deployment = await deployKonsumerator(cluster, ns);
    setup = { cluster, deployment, bundle, exporter, prom };
    const reports: Report[] = [];
    for (const sc of scenarios) reports.push(await runScenario(setup, sc));
    printReport(reports, predictor, { heapFlags: deployment.nodeOptions ?? '(none)', totalMs: Date.now() - tStart, scrapeBytes, totalPartitions, promVersion: prom.version });
  } finally {
    await setup?.current?.stop();
    setup?.watch?.stop();
    await prom?.stop();
    await exporter?.stop();
    await cluster?.stop();
    removeKubeconfigs();
    rmSync(work, { recursive: true, force: true });
  }
}

function printReport(
  reports: readonly Report[],
  predictor: readonly PredictorRow[],
  o: { heapFlags: string; totalMs: number; skipped?: string; scrapeBytes?: number; totalPartitions?: number; promVersion?: string },
): void {
  if (reports.length) {
    const col = (f: (r: Report) => string) => reports.map(f);
    const verbs = (m: Map<string, number>, secs = 1) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${secs === 1 ? fmtN(v) : fmtRate(v / secs)}`)
        .join(', ') || 'none';
    const rows: string[][] = [
      ['', ...col((r) => r.scenario.title)],
      ['Deployments', ...col((r) => fmtN(r.deployments))],
      ['(a) Consumer(s) applied -> all Deployments exist', ...col((r) => r.existNote || fmtS(r.existMs))],
      ['(b) Consumer(s) applied -> all sized (main container has requests)', ...col((r) => r.sizedNote || fmtS(r.sizedMs))],
      ['  then quiet (no Deployment write for 2 x minSyncPeriod) after', ...col((r) => fmtS(r.settleMs))],
      ['  from apply until quiet: reconciles, mean / p99 duration', ...col((r) => `${fmtN(r.creation.reconciles)}, ${fmtMs(r.creation.meanMs)} / ${fmtMs(r.creation.p99Ms)}`)],
      ['  Deployment writes from apply until quiet', ...col((r) => `${fmtN(r.creation.writes)} (${r.creation.writesByAction})`)],
      ['  API requests from apply until quiet, by verb and resource', ...col((r) => verbs(r.creation.apiByVerb))],
      [`(c) steady state, ${STEADY_S} s window, minSyncPeriod ${MIN_SYNC}`, ...col(() => '')],
      ['  reconciles/s (kit_reconcile_total), by result', ...col((r) => `${fmtRate(r.steady.reconcilesPerS)} (${r.steady.reconcileResults || 'none'})`)],
      ['  reconcile p50 / p99 (histogram buckets) / mean', ...col((r) => `${fmtMs(r.steady.p50Ms)} / ${fmtMs(r.steady.p99Ms)} / ${fmtMs(r.steady.meanMs)}`)],
      ['  Deployment writes per reconcile (target 0)', ...col((r) => `${r.steady.writesPerReconcile.toFixed(2)} (${fmtN(r.steady.deploymentWrites)}${r.steady.writesByAction ? `: ${r.steady.writesByAction}` : ''})`)],
      ['  reconciles per Consumer per minSyncPeriod', ...col((r) => (r.steady.reconcilesPerS * (MIN_SYNC_MS / 1000) / r.scenario.consumers.length).toFixed(2))],
      ['  Consumer status patches per reconcile', ...col((r) => r.steady.statusPatchesPerReconcile.toFixed(2))],
      ['  API requests/s, by verb and resource', ...col((r) => `${fmtRate(r.steady.apiPerS)}: ${verbs(r.steady.apiByVerb, r.steady.seconds)}`)],
      ['  Prometheus queries/s answered (/api/v1/query), mean time', ...col((r) => `${fmtRate(r.steady.promQueriesPerS)}, ${fmtMs(r.steady.promQueryMeanMs)}`)],
      ['  operator CPU (% of one core; Deployment limit 500m = 50 %)', ...col((r) => fmtPct(r.steady.cpuPct))],
      ['  operator RSS max, window / whole run (limit 256Mi)', ...col((r) => `${fmtMb(r.steady.rssMax)} / ${fmtMb(r.rssMaxRun)}`)],
      ['  operator event-loop lag p99', ...col((r) => fmtMs(r.steady.eventLoopLagP99Ms))],
      ['  warnings/errors logged by the operator in the window', ...col((r) => String(r.steady.warnings))],
      ['  size of one Consumer as stored (status.lastSyncState per instance)', ...col((r) => fmtBytes(r.consumerBytes))],
      ['  CPU kube-apiserver / etcd / Prometheus (% of one core)', ...col((r) => `${fmtPct(r.steady.otherPct['kube-apiserver'])} / ${fmtPct(r.steady.otherPct.etcd)} / ${fmtPct(r.steady.otherPct.prometheus)}`)],
      ['  CPU of the bench process (exporter, watch)', ...col((r) => fmtPct(r.steady.selfPct))],
      [`  machine busy (% of all ${CORES} cores) / of which other processes (% of one core)`, ...col((r) => `${fmtPct(r.steady.machineBusyPct)} / ${fmtPct(othersPct(r.steady))}`)],
      [`(d) lag of ${LAG_S} s on 10 % of partitions (tolerableLag ${TOLERABLE_LAG_S}s)`, ...col((r) => `${r.lag.affected} Deployments affected`)],
      ['  -> first / all annotated pendingScaleUp', ...col((r) => r.lag.pendingNote || `${fmtS(r.lag.firstPendingMs)} / ${fmtS(r.lag.allPendingMs)}`)],
      [`  -> all scaled up (pendingScaleUpDuration ${PENDING_UP})`, ...col((r) => r.lag.scaledNote || fmtS(r.lag.scaledMs))],
      ['  CPU request of the affected, before -> after', ...col((r) => `${r.lag.cpuBefore} -> ${r.lag.cpuAfter}`)],
      ['  Deployment writes in the phase (2 per affected expected) / unaffected changed', ...col((r) => `${fmtN(r.lag.writes)} / ${r.lag.unaffectedChanged}`)],
    ];
    console.log(
      `konsumerator: operator = esbuild bundle as its ServiceAccount, NODE_OPTIONS=${o.heapFlags}, --workers=4 (default); ` +
        `API server and etcd WITHOUT the controller manager (no ReplicaSets, Pods, Deployment status or garbage collection); ` +
        `${o.promVersion ?? 'Prometheus'} scraping ${fmtN(o.totalPartitions ?? 0)} partitions x 4 series every 1 s (${fmtBytes(o.scrapeBytes ?? NaN)} a scrape), rate() over ${RATE_WINDOW}; ` +
        `${CORES} cores, ${CLK_TCK} ticks/s; ${(o.totalMs / 1000).toFixed(0)} s in all`,
    );
    printTable(rows);
  } else {
    console.log(`konsumerator: cluster scenarios skipped: ${o.skipped}`);
  }

  console.log('\nNaivePredictor, in-process: naiveEstimate + clampToPolicy for one instance');
  const base = predictor[0];
  printTable([
    ['partitions per instance', ...predictor.map((p) => String(p.partitions))],
    ['ops/s', ...predictor.map((p) => fmtN(Math.round(p.opsPerS)))],
    ['ns/op', ...predictor.map((p) => fmtN(Math.round(p.nsPerOp)))],
    ['ns per partition', ...predictor.map((p) => fmtN(Math.round(p.nsPerOp / p.partitions)))],
    ['time vs 1 partition', ...predictor.map((p) => `${(p.nsPerOp / base.nsPerOp).toFixed(1)}x`)],
    ['  naiveEstimate alone, ns/op', ...predictor.map((p) => fmtN(Math.round(p.naiveNs)))],
    ['  clampToPolicy alone, ns/op', ...predictor.map((p) => fmtN(Math.round(p.clampNs)))],
  ]);

  const notes: string[] = [];
  for (const r of reports) {
    const s = r.steady;
    const at = r.scenario.id;
    if (s.deploymentWrites > 0) notes.push(`${at}: ${fmtN(s.deploymentWrites)} Deployment writes in the steady window (${s.writesByAction}): the target is 0`);
    if (s.cpuPct > 50) notes.push(`${at}: the operator needs ${fmtPct(s.cpuPct)} of a core, more than its Deployment's 500m limit: it would be throttled`);
    if (s.machineBusyPct > 90) notes.push(`${at}: the machine was ${fmtPct(s.machineBusyPct)} busy (other processes: ${fmtPct(othersPct(s))} of a core): the numbers are bounded by its ${CORES} cores`);
    const api = (s.otherPct['kube-apiserver'] ?? 0) + (s.otherPct.etcd ?? 0);
    if (api > 80) notes.push(`${at}: the API server and etcd took ${fmtPct(api)} of a core in the steady window`);
    if (s.eventLoopLagP99Ms > 100) notes.push(`${at}: the operator's event loop lagged ${fmtMs(s.eventLoopLagP99Ms)} at p99`);
    const expectedRate = r.scenario.consumers.length / (MIN_SYNC_MS / 1000);
    if (s.reconcilesPerS < 0.8 * expectedRate) notes.push(`${at}: ${fmtRate(s.reconcilesPerS)} reconciles/s, short of the ${fmtRate(expectedRate)}/s that minSyncPeriod ${MIN_SYNC} asks for ${r.scenario.consumers.length} Consumer(s)`);
    const perSync = (s.reconcilesPerS * (MIN_SYNC_MS / 1000)) / r.scenario.consumers.length;
    if (perSync > 1.5 && s.statusPatchesPerReconcile > 0.3)
      notes.push(`${at}: ${perSync.toFixed(2)} reconciles per Consumer per minSyncPeriod with ${s.statusPatchesPerReconcile.toFixed(2)} status patches per reconcile: the operator's own status write (lastSyncTime) comes back through the Consumer watch as one more full reconcile`);
    if (s.warnings > 0) notes.push(`${at}: the operator logged ${s.warnings} warnings/errors in the steady window`);
    const perConsumer = r.deployments / r.scenario.consumers.length;
    if (perConsumer >= 100) {
      const perInstance = r.consumerBytes / perConsumer;
      notes.push(
        `${at}: one Consumer is ${fmtBytes(r.consumerBytes)} as stored, about ${perInstance.toFixed(0)} B per instance (status.lastSyncState), rewritten every minSyncPeriod; ` +
          `at that rate a Consumer of ~${fmtN(Math.floor((1.5 * 1024 * 1024) / perInstance / 100) * 100)} instances would pass etcd's default 1.5 MiB request limit`,
      );
    }
    if (r.lag.unaffectedChanged > 0) notes.push(`${at}: ${r.lag.unaffectedChanged} Deployments without lag changed during (d)`);
    if (r.lag.writes > 2 * r.lag.affected) notes.push(`${at}: ${fmtN(r.lag.writes)} Deployment writes during (d), more than 2 per affected Deployment`);
    if (r.existNote || r.sizedNote || r.lag.pendingNote || r.lag.scaledNote) notes.push(`${at}: a phase missed its ${PHASE_DEADLINE_MS / 1000} s deadline`);
  }
  console.log(notes.length ? `\n${notes.map((n) => `note: ${n}`).join('\n')}` : '\nnote: nothing saturated (no steady-state writes, machine below 90 % busy)');
}

/** CPU of everything but the operator, the API server, etcd, Prometheus and this process, in % of one core. */
function othersPct(s: Report['steady']): number {
  const ours = s.cpuPct + (s.otherPct['kube-apiserver'] ?? 0) + (s.otherPct.etcd ?? 0) + (s.otherPct.prometheus ?? 0) + s.selfPct;
  return Math.max(0, (s.machineBusyPct / 100) * CORES * 100 - ours);
}

main().then(
  () => process.exit(0),
  (err) => {
    // A benchmark reports; it does not fail the run on time. A broken setup is still an error.
    process.stderr.write(`konsumerator bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
