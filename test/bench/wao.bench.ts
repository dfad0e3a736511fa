/**
 * WAO at scale: N nodes (default 500) × 2 collectors (inlet temperature over Redfish, differential
 * pressure) at a 1 s fetch interval, on a real API server, with the controller run as its
 * ServiceAccount from the esbuild bundle (plain `node`, the Deployment's heap cap), as in the image.
 *
 * One run per `--status-interval` (default: the flag's default 10s, and 1s), side by side:
 * (a) time from applying the NodeConfigTemplate until every NodeConfig exists;
 * (b) time until every NodeConfig has both readings in its status;
 * (c) a steady-state window: the controller's CPU (utime + stime from /proc/<pid>/stat, % of one
 *     core) and RSS (VmRSS from /proc/<pid>/status, max of 1 s samples), the fetches, status
 *     writes, API requests and reconciles per second it reports on /metrics, and the CPU of the
 *     API server, etcd, this process (the peers) and the whole machine, to see what saturates;
 * (d) `POST /predict` latency from this process, cached (the same inputs repeated) versus
 *     uncached (a distinct cpuUsage each, so every request reaches MLServer).
 * The peers run in this process (MLServer is its own process); only the controller's process is
 * measured as "the controller". Never fails on time: a phase that does not finish in its
 * deadline is reported as such.
 *
 *   npm run bench -- wao
 * Env: WAO_BENCH_NODES (500), WAO_BENCH_STEADY_SECONDS (30), WAO_BENCH_STATUS_INTERVALS ("10s,1s"),
 *      WAO_BENCH_PREDICTIONS (cached requests, 500; uncached: a fifth of it; each kind stops after
 *      WAO_BENCH_PREDICT_SECONDS, 15, so that a saturated controller does not stretch the run),
 *      WAO_BENCH_CPU_PROF (a directory: the controller runs with --cpu-prof and writes its profiles there),
 *      CONFIG_AGGREGATOR_TEST_LOGS=1 (echo the controller's logs).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WAO_API_VERSION } from '../../lib/api/wao/index.js';
import { printTable } from './support.js';
import type { Cluster, KubeObject } from '../cluster/index.js';
import type { WaoDeployment, WaoProcess } from '../integration/wao.support.js';
import type { DpServer } from '../peers/differential-pressure.js';
import type { InferencePeer } from '../peers/inference.js';
import { CLK_TCK, CORES, CpuWindow, pool, rssBytes, scrape, sum } from './proc.js';

const NODES = Number(process.env.WAO_BENCH_NODES ?? 500);
const STEADY_S = Number(process.env.WAO_BENCH_STEADY_SECONDS ?? 30);
const STATUS_INTERVALS = (process.env.WAO_BENCH_STATUS_INTERVALS ?? '10s,1s').split(',').map((s) => s.trim()).filter(Boolean);
const CACHED_N = Number(process.env.WAO_BENCH_PREDICTIONS ?? 500);
const UNCACHED_N = Math.max(20, Math.floor(CACHED_N / 5));
const PREDICT_MS = Number(process.env.WAO_BENCH_PREDICT_SECONDS ?? 15) * 1000;
const CPU_PROF = process.env.WAO_BENCH_CPU_PROF;
const FETCH_INTERVAL = '1s';
/** Deadlines of phases (a) and (b) and of the NodeConfigs' deletion; past them the row says so. */
const PHASE_DEADLINE_MS = 180_000;
const TEMPLATE = 'bench';
const SELECT = 'wao-bench.platform-constructs.io/run';
const TEMPLATE_LABEL = 'wao.bitmedia.co.jp/template';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// /proc: CPU time and RSS of a process, and of the whole machine.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// The Redfish peer of this benchmark.
// ---------------------------------------------------------------------------------------------
interface ThermalServer {
  readonly url: string;
  readonly requests: number;
  readonly connections: number;
  stop(): Promise<void>;
}

/**
 * A BMC of the Supermicro layout: `GET /redfish/v1/Chassis/1/Thermal` answers the mockup's own
 * document (Temperatures[Name "System Temp"].ReadingCelsius), with basic auth; any other path is
 * 404, as a Supermicro BMC answers the Dell and Lenovo paths the client probes first.
 *
 * Why not test/peers/redfish.ts (sushy-tools): sushy-static answers one request at a time and
 * cannot take 500 requests a second, so it would measure itself, not the controller. This small
 * node:http server speaks the same documented format from the same mockup file instead.
 */
async function startThermalServer(auth: { username: string; password: string }): Promise<ThermalServer> {
  const { PEERS_DIR } = await import('../peers/venv.js');
  const doc = readFileSync(join(PEERS_DIR, 'redfish-mockup/supermicro/Chassis/1/Thermal/index.json'));
  const want = Buffer.from(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
  let requests = 0;
  let connections = 0;
  const send = (res: ServerResponse, status: number, body: Buffer | string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return send(res, 401, '{"error":"unauthorized"}', { 'www-authenticate': 'Basic realm="redfish"' });
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (req.method !== 'GET') return send(res, 405, '{"error":"method not allowed"}');
    if (path === '/redfish/v1/Chassis/1/Thermal') return send(res, 200, doc);
    return send(res, 404, '{"error":{"code":"Base.1.8.ResourceMissingAtURI"}}');
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

function pct(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');
const fmtMs = (ms: number) => (!Number.isFinite(ms) ? 'n/a' : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);
const fmtMb = (b: number) => (Number.isFinite(b) ? `${(b / 1024 / 1024).toFixed(0)} MB` : 'n/a');
const fmtRate = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : 'n/a');
const fmtPct = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(0)} %` : 'n/a');

/** One timed `POST /predict` from this process. */
async function timedPredict(w: WaoProcess, node: string, cpuUsage: number): Promise<{ ms: number; cached: boolean; ok: boolean; reason?: string }> {
  const t0 = performance.now();
  const res = await w.predict({ node, cpuUsage });
  const ms = performance.now() - t0;
  return { ms, cached: res.json?.cached === true, ok: res.status === 200, ...(res.status !== 200 ? { reason: `${res.status} ${res.json?.reason}` } : {}) };
}

// ---------------------------------------------------------------------------------------------
// One run: one controller process, one --status-interval.
// ---------------------------------------------------------------------------------------------
interface RunReport {
  readonly statusInterval: string;
  readonly nodeConfigsMs: number;
  readonly nodeConfigsNote: string;
  readonly readingsMs: number;
  readonly readingsNote: string;
  readonly steady: {
    readonly seconds: number;
    readonly cpuPct: number;
    readonly rssMax: number;
    readonly rssMaxRun: number;
    readonly fetchesPerS: number;
    readonly fetchOkPct: number;
    readonly failures: string;
    readonly fetchMeanMs: { inletTemp: number; deltaP: number };
    readonly statusWritesPerS: number;
    readonly statusUnchangedPerS: number;
    readonly apiPerS: number;
    readonly apiPatchPerS: number;
    readonly reconcilesPerS: { template: number; nodeconfig: number };
    readonly eventLoopLagP99Ms: number;
    readonly peerRequestsPerS: { redfish: number; dp: number };
    readonly redfishConnectionsPerS: number;
    readonly otherPct: Record<string, number>;
    readonly selfPct: number;
    readonly machineBusyPct: number;
    readonly warnings: number;
  };
  readonly predict: {
    readonly cached: number[];
    readonly uncached: number[];
    readonly cachedHits: number;
    readonly uncachedMisses: number;
    readonly errors: string[];
  };
  readonly deleteMs: number;
  readonly deleteNote: string;
}

interface Setup {
  readonly cluster: Cluster;
  readonly ns: string;
  readonly deployment: WaoDeployment;
  readonly bundle: string;
  readonly nodes: readonly string[];
  readonly run: string;
  readonly thermal: ThermalServer;
  readonly dp: DpServer;
  readonly inference?: InferencePeer;
  /** The running controller, so that a failure can stop it. */
  current?: WaoProcess;
}

const waoPath = (ns: string, plural: string) => `/apis/${WAO_API_VERSION}/namespaces/${ns}/${plural}`;

/** The template's NodeConfigs, listed (a label selector gives no `remainingItemCount`, so no cheaper count). */
async function listNodeConfigs(s: Setup): Promise<any[]> {
  const res = await s.cluster.request('GET', `${waoPath(s.ns, 'nodeconfigs')}?labelSelector=${encodeURIComponent(`${TEMPLATE_LABEL}=${TEMPLATE}`)}`);
  return res.body.items;
}

async function countNodeConfigs(s: Setup): Promise<number> {
  return (await listNodeConfigs(s)).length;
}

/** NodeConfigs of the template whose status holds both readings. */
async function countWithReadings(s: Setup): Promise<number> {
  return (await listNodeConfigs(s)).filter((nc) => nc.status?.readings?.inletTemp && nc.status?.readings?.deltaP).length;
}

/** Polls `count` until it reaches `target`; the time it took, or the deadline with how far it got. */
async function until(what: string, count: () => Promise<number>, target: number, everyMs: number, t0: number): Promise<{ ms: number; note: string }> {
  let last = -1;
  for (;;) {
    try {
      last = await count();
    } catch (err) {
      log(`${what}: ${String(err).slice(0, 200)}`);
    }
    if (last === target) return { ms: performance.now() - t0, note: '' };
    if (performance.now() - t0 > PHASE_DEADLINE_MS) return { ms: NaN, note: `not reached: ${last}/${target} after ${PHASE_DEADLINE_MS / 1000} s` };
    await sleep(everyMs);
  }
}

function template(s: Setup): KubeObject {
  return {
    apiVersion: WAO_API_VERSION,
    kind: 'NodeConfigTemplate',
    metadata: { name: TEMPLATE, namespace: s.ns },
    spec: {
      nodeSelector: { matchLabels: { [SELECT]: s.run } },
      template: {
        nodeName: 'ignored',
        metricsCollector: {
          // Rendered per node from its InternalIP (127.0.0.1 for every bench node).
          inletTemp: { type: 'Redfish', endpoint: `http://{{.IPv4.Address}}:${new URL(s.thermal.url).port}`, basicAuthSecret: { name: 'bmc-auth' }, fetchInterval: FETCH_INTERVAL },
          deltaP: { type: 'DifferentialPressureAPI', endpoint: s.dp.url, fetchInterval: FETCH_INTERVAL },
        },
        predictor: {
          powerConsumption: s.inference ? { type: 'V2InferenceProtocol', endpoint: `${s.inference.url}${s.inference.inferPath}` } : { type: 'Fake' },
        },
      },
    },
  };
}

async function runOnce(s: Setup, statusInterval: string, index: number): Promise<RunReport> {
  const { startWao } = await import('../integration/wao.support.js');
  const { waitFor } = await import('../integration/config-aggregator.support.js');
  const w = await startWao(s.cluster, s.deployment, `wao-bench-${index}`, [`--status-interval=${statusInterval}`], {
    bundle: s.bundle,
    ...(s.deployment.nodeOptions ? { nodeOptions: s.deployment.nodeOptions } : {}),
    ...(CPU_PROF ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] } : {}),
  });
  s.current = w;
  const pid = w.process.pid;
  // RSS of the controller, sampled every second for the whole run.
  const rss: Array<{ at: number; bytes: number }> = [];
  const sampler = setInterval(() => rss.push({ at: performance.now(), bytes: rssBytes(pid) }), 1000);
  try {
    await w.process.waitReady();
    await waitFor('leadership', () => w.process.isLeader(), 60_000, 100);
    log(`run ${index + 1} (--status-interval=${statusInterval}): controller ${pid} leads; applying the template`);

    // (a) and (b), both timed from the template's apply.
    const t0 = performance.now();
    await s.cluster.applyObjects([template(s)], { fieldManager: 'wao-bench', force: true });
    const a = await until('NodeConfigs', () => countNodeConfigs(s), s.nodes.length, 250, t0);
    log(`(a) ${s.nodes.length} NodeConfigs after ${fmtS(a.ms)} ${a.note}`);
    const b = await until('readings', () => countWithReadings(s), s.nodes.length, 1000, t0);
    log(`(b) both readings in status after ${fmtS(b.ms)} ${b.note}`);

    // (c) steady state: let the start-up burst (first status writes, first template passes) settle, then measure.
    await sleep(5000);
    const pids = s.cluster.pids;
    const m0 = await scrape(`http://127.0.0.1:${w.process.port}/metrics`);
    const peers0 = { redfish: s.thermal.requests, dp: s.dp.requests.length, conns: s.thermal.connections };
    const warn0 = w.process.logs.filter((l) => l.level === 'warn').length;
    const win = new CpuWindow({ controller: pid, 'kube-apiserver': pids['kube-apiserver'], etcd: pids.etcd });
    const wStart = performance.now();
    await sleep(STEADY_S * 1000);
    const cpu = win.stop();
    const m1 = await scrape(`http://127.0.0.1:${w.process.port}/metrics`);
    const secs = cpu.seconds;
    const d = (name: string, labels: Record<string, string> = {}) => sum(m1, name, labels) - sum(m0, name, labels);
    const fetches = d('wao_fetches_total');
    const ok = d('wao_fetches_total', { result: 'ok' });
    const reasons = new Map<string, number>();
    for (const x of m1) {
      if (x.name !== 'wao_fetches_total' || x.labels.result === 'ok') continue;
      const before = m0.find((y) => y.name === x.name && y.labels.metric === x.labels.metric && y.labels.result === x.labels.result)?.value ?? 0;
      if (x.value - before > 0) reasons.set(`${x.labels.metric} ${x.labels.result}`, (reasons.get(`${x.labels.metric} ${x.labels.result}`) ?? 0) + x.value - before);
    }
    const meanMs = (metric: string) => (d('wao_fetch_duration_seconds_sum', { metric }) / d('wao_fetch_duration_seconds_count', { metric })) * 1000;
    const windowRss = rss.filter((r) => r.at >= wStart).map((r) => r.bytes);
    const steady: RunReport['steady'] = {
      seconds: secs,
      cpuPct: cpu.pct.controller,
      rssMax: Math.max(...windowRss),
      rssMaxRun: 0,
      fetchesPerS: fetches / secs,
      fetchOkPct: fetches ? (ok / fetches) * 100 : NaN,
      failures: [...reasons].map(([k, v]) => `${k} ${v}`).join(', '),
      fetchMeanMs: { inletTemp: meanMs('inletTemp'), deltaP: meanMs('deltaP') },
      statusWritesPerS: d('wao_status_writes_total', { result: 'written' }) / secs,
      statusUnchangedPerS: d('wao_status_writes_total', { result: 'unchanged' }) / secs,
      apiPerS: d('kit_api_requests_total') / secs,
      apiPatchPerS: d('kit_api_requests_total', { verb: 'patch' }) / secs,
      reconcilesPerS: { template: d('kit_reconcile_total', { controller: 'wao-template' }) / secs, nodeconfig: d('kit_reconcile_total', { controller: 'wao-nodeconfig' }) / secs },
      eventLoopLagP99Ms: sum(m1, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      peerRequestsPerS: { redfish: (s.thermal.requests - peers0.redfish) / secs, dp: (s.dp.requests.length - peers0.dp) / secs },
      redfishConnectionsPerS: (s.thermal.connections - peers0.conns) / secs,
      otherPct: { 'kube-apiserver': cpu.pct['kube-apiserver'], etcd: cpu.pct.etcd },
      selfPct: cpu.selfPct,
      machineBusyPct: cpu.machineBusyPct,
      warnings: w.process.logs.filter((l) => l.level === 'warn').length - warn0,
    };
    log(`(c) ${fmtRate(steady.fetchesPerS)} fetches/s, CPU ${fmtPct(steady.cpuPct)}, RSS max ${fmtMb(steady.rssMax)}, ${fmtRate(steady.statusWritesPerS)} status writes/s`);

    // (d) predictions, while the collectors keep running.
    const errors: string[] = [];
    const nodes = s.nodes;
    for (let i = 0; i < 20; i++) await timedPredict(w, nodes[i % nodes.length], 50); // warm-up: connections, JIT, the cache entries
    const cached: number[] = [];
    let cachedHits = 0;
    const tc = performance.now();
    for (let i = 0; i < CACHED_N && performance.now() - tc < PREDICT_MS; i++) {
      const r = await timedPredict(w, nodes[0], 50);
      if (!r.ok) errors.push(r.reason!);
      cached.push(r.ms);
      if (r.cached) cachedHits++;
    }
    const uncached: number[] = [];
    let uncachedMisses = 0;
    if (s.inference) {
      const tu = performance.now();
      for (let i = 0; i < UNCACHED_N && performance.now() - tu < PREDICT_MS; i++) {
        // A cpuUsage never asked before: the cache cannot answer it.
        const r = await timedPredict(w, nodes[i % nodes.length], 1000 + index * 100_000 + i + 0.25);
        if (!r.ok) errors.push(r.reason!);
        uncached.push(r.ms);
        if (!r.cached) uncachedMisses++;
      }
    }
    log(`(d) cached p50 ${fmtMs(pct(cached, 50))}, uncached p50 ${fmtMs(pct(uncached, 50))}`);

    // The template deleted: the controller deletes its NodeConfigs itself (no garbage collector runs here).
    const tDel = performance.now();
    await s.cluster.request('DELETE', `${waoPath(s.ns, 'nodeconfigtemplates')}/${TEMPLATE}`);
    const del = await until('deletion', () => countNodeConfigs(s), 0, 250, tDel);
    if (del.note) await s.cluster.request('DELETE', `${waoPath(s.ns, 'nodeconfigs')}?labelSelector=${encodeURIComponent(`${TEMPLATE_LABEL}=${TEMPLATE}`)}`);
    log(`NodeConfigs deleted after ${fmtS(del.ms)} ${del.note}`);

    return {
      statusInterval,
      nodeConfigsMs: a.ms,
      nodeConfigsNote: a.note,
      readingsMs: b.ms,
      readingsNote: b.note,
      steady: { ...steady, rssMaxRun: Math.max(...rss.map((r) => r.bytes)) },
      predict: { cached, uncached, cachedHits, uncachedMisses, errors },
      deleteMs: del.ms,
      deleteNote: del.note,
    };
  } finally {
    clearInterval(sampler);
    await w.process.stop();
    s.current = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark.
// ---------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const tStart = Date.now();
  const { startCluster, randomSuffix } = await import('../cluster/index.js');
  const { bundleControllers, removeKubeconfigs } = await import('../integration/config-aggregator.support.js');
  const { deployWao } = await import('../integration/wao.support.js');
  const { startDifferentialPressure } = await import('../peers/differential-pressure.js');
  const { startInference } = await import('../peers/inference.js');
  const { pythonPeersUnavailable } = await import('../peers/venv.js');

  const work = mkdtempSync(join(tmpdir(), 'wao-bench-'));
  const bundle = await bundleControllers(work);
  const run = randomSuffix(6);
  const nodes = Array.from({ length: NODES }, (_, i) => `wao-bench-${run}-${String(i).padStart(4, '0')}`);
  const auth = { username: 'wao', password: randomSuffix(12) };
  const noPython = pythonPeersUnavailable();
  if (noPython) log(`MLServer unavailable (${noPython}): the predictor is Fake and the uncached column is skipped`);

  const cluster = await startCluster();
  let thermal: ThermalServer | undefined;
  let dp: DpServer | undefined;
  let inference: InferencePeer | undefined;
  let setup: Setup | undefined;
  let nodesCreated = false;
  try {
    [thermal, dp, inference] = await Promise.all([
      startThermalServer(auth),
      startDifferentialPressure({ table: Object.fromEntries(nodes.map((n, i) => [n, Math.round((0.01 + (i % 50) * 0.001) * 1000) / 1000])) }),
      noPython ? Promise.resolve(undefined) : startInference(),
    ]);
    const ns = await cluster.createNamespace('wao-bench');
    const deployment = await deployWao(cluster, ns);
    await cluster.applyObjects(
      [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bmc-auth', namespace: ns }, stringData: { username: auth.username, password: auth.password } }],
      { fieldManager: 'wao-bench', force: true },
    );
    const t = performance.now();
    nodesCreated = true;
    await pool(nodes, 16, async (name) => {
      const node = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { [SELECT]: run } }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } };
      await cluster.request('POST', '/api/v1/nodes', node, { allowStatus: [409] });
    });
    log(`created ${NODES} Nodes in ${fmtS(performance.now() - t)}`);
    setup = { cluster, ns, deployment, bundle, nodes, run, thermal, dp, ...(inference ? { inference } : {}) };

    const reports: RunReport[] = [];
    for (const [i, interval] of STATUS_INTERVALS.entries()) reports.push(await runOnce(setup, interval, i));
    printReport(reports, { heapFlags: deployment.nodeOptions ?? '', python: noPython, totalMs: Date.now() - tStart });
  } finally {
    await setup?.current?.process.stop();
    if (nodesCreated) {
      // One request for all of them (and on failure too): the nodes are cluster-scoped.
      await cluster
        .request('DELETE', `/api/v1/nodes?labelSelector=${encodeURIComponent(`${SELECT}=${run}`)}`)
        .catch((err) => log(`deleting the bench's Nodes failed: ${String(err)}`));
    }
    await Promise.all([thermal?.stop(), dp?.stop(), inference?.stop()]);
    await cluster.stop();
    removeKubeconfigs();
    rmSync(work, { recursive: true, force: true });
  }
}

function printReport(reports: readonly RunReport[], o: { heapFlags: string; python?: string; totalMs: number }): void {
  const col = (f: (r: RunReport) => string) => reports.map(f);
  const target = NODES * 2; // fetches per second at a 1 s interval
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}x` : 'n/a');
  const rows: string[][] = [
    ['', ...col((r) => `--status-interval=${r.statusInterval}${r.statusInterval === '10s' ? ' (default)' : ''}`)],
    [`(a) template applied -> ${NODES} NodeConfigs exist`, ...col((r) => r.nodeConfigsNote || fmtS(r.nodeConfigsMs))],
    [`(b) template applied -> all ${NODES} with both readings in status`, ...col((r) => r.readingsNote || fmtS(r.readingsMs))],
    [`(c) steady state, ${STEADY_S} s window`, ...col(() => '')],
    ['  controller CPU (% of one core; Deployment limit 500m = 50 %)', ...col((r) => fmtPct(r.steady.cpuPct))],
    ['  controller RSS max in the window / whole run (limit 256Mi)', ...col((r) => `${fmtMb(r.steady.rssMax)} / ${fmtMb(r.steady.rssMaxRun)}`)],
    [`  fetches/s achieved (target ${target}), ok`, ...col((r) => `${fmtRate(r.steady.fetchesPerS)}, ${fmtPct(r.steady.fetchOkPct)}`)],
    ['  failed fetches in the window, by metric and reason', ...col((r) => r.steady.failures || 'none')],
    ['  mean fetch time inletTemp / deltaP', ...col((r) => `${fmtMs(r.steady.fetchMeanMs.inletTemp)} / ${fmtMs(r.steady.fetchMeanMs.deltaP)}`)],
    ['  peer requests/s Redfish / differential pressure', ...col((r) => `${fmtRate(r.steady.peerRequestsPerS.redfish)} / ${fmtRate(r.steady.peerRequestsPerS.dp)}`)],
    ['  new TCP connections/s to the Redfish peer', ...col((r) => fmtRate(r.steady.redfishConnectionsPerS))],
    [`  status writes/s written (ceiling ${NODES} / interval) / unchanged`, ...col((r) => `${fmtRate(r.steady.statusWritesPerS)} / ${fmtRate(r.steady.statusUnchangedPerS)}`)],
    ['  so each NodeConfig status is rewritten every', ...col((r) => fmtS((NODES / r.steady.statusWritesPerS) * 1000))],
    ['  API requests/s (kit_api_requests_total), of which patch', ...col((r) => `${fmtRate(r.steady.apiPerS)}, ${fmtRate(r.steady.apiPatchPerS)}`)],
    ['  reconciles/s wao-template / wao-nodeconfig', ...col((r) => `${fmtRate(r.steady.reconcilesPerS.template)} / ${fmtRate(r.steady.reconcilesPerS.nodeconfig)}`)],
    ['  controller event-loop lag p99', ...col((r) => fmtMs(r.steady.eventLoopLagP99Ms))],
    ['  warnings logged by the controller in the window', ...col((r) => String(r.steady.warnings))],
    ['  CPU kube-apiserver / etcd (% of one core)', ...col((r) => `${fmtPct(r.steady.otherPct['kube-apiserver'])} / ${fmtPct(r.steady.otherPct.etcd)}`)],
    ['  CPU of the bench process (peers, polling)', ...col((r) => fmtPct(r.steady.selfPct))],
    [`  machine busy (% of all ${CORES} cores)`, ...col((r) => fmtPct(r.steady.machineBusyPct))],
    ['  of which other processes (% of one core: the machine is shared)', ...col((r) => fmtPct(othersPct(r.steady)))],
    [`(d) POST /predict, sequential, during (c)'s load`, ...col(() => '')],
    ['  cached (same inputs repeated) p50 / p99', ...col((r) => `${fmtMs(pct(r.predict.cached, 50))} / ${fmtMs(pct(r.predict.cached, 99))} (${r.predict.cachedHits}/${r.predict.cached.length} hits)`)],
    [
      '  uncached (a distinct cpuUsage each: MLServer) p50 / p99',
      ...col((r) => (o.python ? 'skipped (no MLServer)' : `${fmtMs(pct(r.predict.uncached, 50))} / ${fmtMs(pct(r.predict.uncached, 99))} (${r.predict.uncachedMisses}/${r.predict.uncached.length} misses)`)),
    ],
    [
      '  uncached / cached p50 / p99',
      ...col((r) => (o.python ? 'n/a' : `${ratio(pct(r.predict.uncached, 50), pct(r.predict.cached, 50))} / ${ratio(pct(r.predict.uncached, 99), pct(r.predict.cached, 99))}`)),
    ],
    ['template deleted -> its NodeConfigs gone', ...col((r) => r.deleteNote || fmtS(r.deleteMs))],
  ];
  console.log(
    `wao: ${NODES} nodes x 2 collectors (Redfish inletTemp, DifferentialPressureAPI deltaP) at ${FETCH_INTERVAL}; controller = esbuild bundle, ` +
      `NODE_OPTIONS=${o.heapFlags}; ${CLK_TCK} ticks/s; ${((o.totalMs + 0) / 1000).toFixed(0)} s in all`,
  );
  printTable(rows);

  // What fell short, in words (the machine has 2 cores; the peers and the API server share them).
  const notes: string[] = [];
  for (const r of reports) {
    const s = r.steady;
    const at = `--status-interval=${r.statusInterval}`;
    if (s.fetchesPerS < 0.95 * target) notes.push(`${at}: ${fmtRate(s.fetchesPerS)} fetches/s, short of ${target}`);
    if (s.fetchOkPct < 99) notes.push(`${at}: ${fmtPct(100 - s.fetchOkPct)} of fetches failed (${s.failures})`);
    if (s.cpuPct > 50) notes.push(`${at}: the controller needs ${fmtPct(s.cpuPct)} of a core, more than its Deployment's 500m limit: it would be throttled`);
    if (s.machineBusyPct > 90) notes.push(`${at}: the machine was ${fmtPct(s.machineBusyPct)} busy (other processes: ${fmtPct(othersPct(s))} of a core): the numbers are bounded by its ${CORES} cores`);
    if ((s.otherPct['kube-apiserver'] ?? 0) + (s.otherPct.etcd ?? 0) > 80) notes.push(`${at}: the API server and etcd took ${fmtPct((s.otherPct['kube-apiserver'] ?? 0) + (s.otherPct.etcd ?? 0))} of a core`);
    if (s.statusWritesPerS < 0.9 * (NODES / (parseIntervalS(r.statusInterval) || 1))) notes.push(`${at}: ${fmtRate(s.statusWritesPerS)} status writes/s, below the ${fmtRate(NODES / parseIntervalS(r.statusInterval))}/s the interval allows`);
    if (s.eventLoopLagP99Ms > 100) notes.push(`${at}: the controller's event loop lagged ${fmtMs(s.eventLoopLagP99Ms)} at p99`);
    if (r.predict.errors.length) notes.push(`${at}: ${r.predict.errors.length} predictions failed (${[...new Set(r.predict.errors)].join(', ')})`);
    if (r.nodeConfigsNote || r.readingsNote || r.deleteNote) notes.push(`${at}: a phase missed its ${PHASE_DEADLINE_MS / 1000} s deadline`);
  }
  if (o.python) notes.push(`MLServer unavailable (${o.python}): predictions used the Fake predictor; uncached latency not measured`);
  console.log(notes.length ? notes.map((n) => `note: ${n}`).join('\n') : 'note: nothing saturated (fetch rate met, machine below 90 % busy)');
}

/** CPU of everything but the controller, the API server, etcd and this process, in % of one core. */
function othersPct(s: RunReport['steady']): number {
  const ours = s.cpuPct + (s.otherPct['kube-apiserver'] ?? 0) + (s.otherPct.etcd ?? 0) + s.selfPct;
  return Math.max(0, (s.machineBusyPct / 100) * CORES * 100 - ours);
}

function parseIntervalS(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
}

main().then(
  () => process.exit(0),
  (err) => {
    // A benchmark reports; it does not fail the run on time. A broken setup is still an error.
    process.stderr.write(`wao bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
