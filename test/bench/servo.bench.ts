/**
 * The job measurement daemon (`platform-controllers servo`) under a burst of job ends: N job pods
 * (default 500) finishing within a minute, on a real API server, with the daemon run as its
 * ServiceAccount from the esbuild bundle (plain `node`, its Deployment's NODE_OPTIONS), as in the
 * image, its webhook registered with the API server, and a recording optimizer
 * (test/peers/optimizer.ts) in this process. This process plays the kubelet, as
 * test/integration/servo.test.ts does: no node runs, so it writes the pods' status itself.
 *
 * Scenarios, side by side, one fresh daemon (own namespace, own Lease, own webhook
 * configuration), one fresh watched namespace and one fresh optimizer each:
 *
 *   A: the optimizer answers 200 at once;
 *   B: it answers 503 to the first attempt of every measurement, then 200 (each app id is
 *      scripted [503, 200]): one retry with the daemon's backoff (1 s, ±20 % jitter) per job;
 *   C: it answers 200 after SERVO_BENCH_LATENCY_MS (200 ms) per request: POSTs overlap, so the
 *      daemon's --concurrency (16 by default) is what bounds its throughput.
 *
 * Per scenario:
 * (a) the N job pods created through the webhook (bounded concurrency): how long, how many came
 *     back with the finalizer and the monitor sidecar, the webhook's calls by result
 *     (servo_webhook_pods_total) and its mean admission time;
 * (b) their ends, spread evenly over SERVO_BENCH_SECONDS (60): one status write each, as the
 *     kubelet writes it (the job container terminated with startedAt/finishedAt, the monitor's
 *     termination message from `encodeMonitorReport`, phase Succeeded). A pod's end is when its
 *     status write returned;
 * (c) from each end to the optimizer answering 2xx to its MEASUREMENT (the peer stamps a request
 *     when its body has arrived; plus the scripted delay in C), p50/p90/p99/max, and to the pod
 *     carrying the `servo.platform-constructs.io/measured` annotation with the finalizer released
 *     (seen by a watch of this process);
 * (d) over the window from the first status write until every pod is settled: the daemon's API
 *     requests by verb and resource (kit_api_requests_total, per job), its reconciles, POST
 *     attempts by result (servo_post_attempts_total), measurements accepted
 *     (servo_measurements_sent_total), its CPU (utime + stime from /proc; its main thread apart
 *     from the others: V8's GC and compiler, libuv's pool), its RSS (VmRSS sampled every 250 ms;
 *     VmHWM for the peak of its whole life) and V8 heap in use with N settled pods in its cache,
 *     its event-loop lag, and the CPU of the API server, etcd, this process and the machine.
 *
 * Never fails on time: a phase that misses its deadline is reported as such.
 *
 *   npm run bench -- servo
 * Env: SERVO_BENCH_PODS (500), SERVO_BENCH_SECONDS (60: the spread of the ends),
 *      SERVO_BENCH_SCENARIOS ("A,B,C"), SERVO_BENCH_LATENCY_MS (200: C's answer delay),
 *      SERVO_BENCH_CREATE_CONCURRENCY (16: pod creations in flight),
 *      SERVO_BENCH_CPU_PROF (a directory: the daemon runs with --cpu-prof and writes its profiles there),
 *      CONFIG_AGGREGATOR_TEST_LOGS=1 (echo the daemon's logs).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import { DEFAULT_APP_ID_PATH, MEASURED_ANNOTATION, MEASUREMENT_FINALIZER, MONITOR_CONTAINER, encodeMonitorReport, parseAppIdPath, type AppIdPath } from '../../lib/api/servo/index.js';
import { trimPod } from '../../runtime/servo/trim.js';
import { printTable } from './support.js';
// The harness, cdk8s and the peers are imported in main() only.
import type { Cluster, KubeObject } from '../cluster/index.js';
import type { ControllerProcess } from '../integration/config-aggregator.support.js';
import type { ServoDeployment } from '../integration/servo.support.js';
import type { OptimizerPeer } from '../peers/optimizer.js';
import { CLK_TCK, CORES, CpuWindow, peakRssBytes, pool, rssBytes, scrape, sum, type Sample } from './proc.js';

const PODS = Number(process.env.SERVO_BENCH_PODS ?? 500);
const SPREAD_S = Number(process.env.SERVO_BENCH_SECONDS ?? 60);
const SCENARIOS = (process.env.SERVO_BENCH_SCENARIOS ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
const LATENCY_MS = Number(process.env.SERVO_BENCH_LATENCY_MS ?? 200);
const CREATE_CONCURRENCY = Number(process.env.SERVO_BENCH_CREATE_CONCURRENCY ?? 16);
const CPU_PROF = process.env.SERVO_BENCH_CPU_PROF;
/** After the last status write, how long every pod may take to be settled; past it the row says so. */
const PHASE_DEADLINE_MS = 120_000;
const TOKEN = 'servo-bench-token';
const ACCOUNT = 'bench.example';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------
interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Scripts the optimizer for the scenario's app ids. */
  readonly script: (peer: OptimizerPeer, appIds: readonly string[]) => void;
  /** How long after a request's arrival the optimizer answers it. */
  readonly answerDelayMs: number;
}

const ALL_SCENARIOS: Record<string, Scenario> = {
  A: { id: 'A', title: 'A: optimizer answers 200 at once', script: () => undefined, answerDelayMs: 0 },
  B: {
    id: 'B',
    title: 'B: 503 to every first attempt, then 200',
    script: (peer, appIds) => {
      for (const a of appIds) peer.script(a, [{ status: 503 }, { status: 200 }]);
    },
    answerDelayMs: 0,
  },
  C: {
    id: 'C',
    title: `C: optimizer answers 200 after ${LATENCY_MS} ms`,
    script: (peer) => peer.script('*', [{ status: 200, delayMs: LATENCY_MS }]),
    answerDelayMs: LATENCY_MS,
  },
};

// ---------------------------------------------------------------------------------------------
// The job pods and what the kubelet writes when they end.
// ---------------------------------------------------------------------------------------------
const podName = (i: number) => `job-${String(i).padStart(4, '0')}`;
const containerIdOf = (ns: string, name: string) => createHash('sha256').update(`${ns}/${name}`).digest('hex');
/** RFC 3339 with whole seconds, as the kubelet writes container timestamps. */
const rfc3339s = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function jobPod(ns: string, name: string, appId: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'job',
          image: 'busybox:1.36',
          env: [{ name: 'JOBID', value: appId }],
          resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        },
      ],
    },
  } as KubeObject;
}

/** The status the kubelet writes once the job container ended (5 s of run) and the monitor sidecar stopped. */
function endedStatus(ns: string, name: string, i: number, nowMs: number): unknown {
  const id = containerIdOf(ns, name);
  const startedAt = rfc3339s(nowMs - 5000);
  const finishedAt = rfc3339s(nowMs);
  return {
    status: {
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'job', ready: false, restartCount: 0, image: 'busybox:1.36', imageID: '', containerID: `containerd://${id}`,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt } },
        },
      ],
      initContainerStatuses: [
        {
          name: MONITOR_CONTAINER, ready: false, restartCount: 0, image: 'platform-controllers', imageID: '', containerID: `containerd://${containerIdOf(ns, `${name}/monitor`)}`,
          state: {
            terminated: {
              exitCode: 0, reason: 'Completed', startedAt, finishedAt,
              message: encodeMonitorReport({
                v: 1, intervalMs: 100, samples: 50,
                groups: [{ cgroup: `/kubepods/burstable/pod${i}/cri-containerd-${id}.scope`, cpuSeconds: 1 + (i % 7) * 0.25, maxMemoryBytes: 10_000_000 + i * 1000, processes: 2 }],
              }),
            },
          },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A watch of the scenario's pods, in this process: when each is annotated and released.
// ---------------------------------------------------------------------------------------------
interface PodState {
  annotatedAt?: number;
  releasedAt?: number;
  events: number;
}

class PodWatch {
  readonly pods = new Map<string, PodState>();
  restarts = 0;
  private ctl?: AbortController;
  private stopped = false;

  constructor(private readonly cluster: Cluster, private readonly ns: string) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const w = new Watch(this.cluster.kubeConfig);
    this.ctl = await w.watch(
      `/api/v1/namespaces/${this.ns}/pods`,
      { allowWatchBookmarks: false },
      (type, obj: any) => {
        const name = obj?.metadata?.name as string | undefined;
        if (!name || (type !== 'ADDED' && type !== 'MODIFIED')) return;
        const now = Date.now();
        const st = this.pods.get(name) ?? { events: 0 };
        st.events++;
        const annotated = obj.metadata?.annotations?.[MEASURED_ANNOTATION] !== undefined;
        if (annotated && st.annotatedAt === undefined) st.annotatedAt = now;
        if (annotated && !(obj.metadata?.finalizers ?? []).includes(MEASUREMENT_FINALIZER) && st.releasedAt === undefined) st.releasedAt = now;
        this.pods.set(name, st);
      },
      () => {
        if (this.stopped) return;
        this.restarts++;
        void this.start().catch((err) => log(`watch restart failed: ${String(err)}`));
      },
    );
  }

  stop(): void {
    this.stopped = true;
    this.ctl?.abort();
  }

  released(): number {
    let n = 0;
    for (const s of this.pods.values()) if (s.releasedAt !== undefined) n++;
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------
function pct(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Deltas of a counter between two scrapes, grouped by the given labels (as konsumerator.bench.ts). */
function deltaBy(m0: readonly Sample[], m1: readonly Sample[], name: string, by: readonly string[]): Map<string, number> {
  const group = (xs: readonly Sample[]) => {
    const g = new Map<string, number>();
    for (const s of xs) {
      if (s.name !== name) continue;
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

/**
 * CPU seconds of a process's main thread and of all its other threads (V8's GC and compiler
 * workers, libuv's pool), from /proc/<pid>/task/<tid>/stat; a thread gone meanwhile is not counted.
 */
function threadCpuSeconds(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const secs = (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
      if (Number(tid) === pid) main += secs;
      else others += secs;
    } catch {
      // the thread ended
    }
  }
  return { main, others };
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');
const fmtMs = (ms: number) => (!Number.isFinite(ms) ? 'n/a' : ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);
const fmtMb = (b: number) => (Number.isFinite(b) ? `${(b / 1024 / 1024).toFixed(0)} MB` : 'n/a');
const fmtPct = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(0)} %` : 'n/a');
const fmtRate = (x: number) => (!Number.isFinite(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtQuant = (xs: readonly number[]) => `${fmtMs(pct(xs, 50))} / ${fmtMs(pct(xs, 90))} / ${fmtMs(pct(xs, 99))} / ${fmtMs(Math.max(...xs))}`;
const fmtMap = (m: Map<string, number>, div = 1) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${div === 1 ? String(v) : fmtRate(v / div)}`)
    .join(', ') || 'none';

// ---------------------------------------------------------------------------------------------
// One scenario.
// ---------------------------------------------------------------------------------------------
interface Setup {
  readonly cluster: Cluster;
  readonly bundle: string;
  readonly work: string;
  nodeOptions?: string;
  /** What is running, so that a failure can stop it. */
  current?: { proc: ControllerProcess; optimizer: OptimizerPeer; watch: PodWatch };
}

interface Report {
  readonly scenario: Scenario;
  /** `failed`: creations whose retry found the pod made by an earlier attempt (409). */
  readonly create: { ms: number; withFinalizer: number; withMonitor: number; webhook: Map<string, number>; webhookMeanMs: number; failed: number };
  readonly writes: { spreadMs: number; behindMaxMs: number; p50Ms: number; p99Ms: number; failed: number };
  /** From each end to the optimizer's 2xx (ms), one per pod accepted. */
  readonly accepted: number[];
  /** From each end to the watch seeing the annotation with the finalizer released (ms). */
  readonly released: number[];
  /** From the optimizer's 2xx to the watch seeing the pod released (ms): the daemon's own write of the outcome. */
  readonly acceptToRelease: number[];
  readonly annotatedNotReleased: number;
  readonly settledMs: number;
  readonly settledNote: string;
  readonly optimizer: { requests: number; attemptsPerJob: number; duplicates: number; missing: number; byStatus: Map<string, number> };
  readonly window: {
    seconds: number;
    api: Map<string, number>;
    apiCreate: Map<string, number>;
    reconciles: number;
    reconcileResults: Map<string, number>;
    sent: number;
    failed: number;
    attempts: Map<string, number>;
    delayMeanS: number;
    cpuSeconds: number;
    /** Of cpuSeconds: the main thread's (JavaScript), and the other threads'. */
    cpuMainSeconds: number;
    cpuOtherThreadsSeconds: number;
    cpuPct: number;
    otherPct: Record<string, number>;
    selfPct: number;
    machineBusyPct: number;
    eventLoopLagP99Ms: number;
    warnings: number;
  };
  readonly rss: { windowMax: number; end: number; hwm: number; start: number };
  /** The daemon's V8 heap in use (nodejs_heap_size_used_bytes, not after a forced GC) before the pods and at the end. */
  readonly heap: { start: number; end: number };
  /** One settled pod as JSON, without metadata.managedFields (which the daemon's informer drops). */
  readonly podBytes: number;
  readonly trimmedBytes: number;
  readonly watchRestarts: number;
}

/** Polls until the webhook (just registered) answers the API server: a dry-run job pod comes back with the finalizer. */
async function webhookEffective(cluster: Cluster, ns: string): Promise<void> {
  const { waitFor } = await import('../integration/config-aggregator.support.js');
  await waitFor(
    'the webhook in effect',
    async () => {
      const r = await cluster.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, jobPod(ns, 'webhook-probe', 'probe'));
      return (r.body?.metadata?.finalizers ?? []).includes(MEASUREMENT_FINALIZER);
    },
    30_000,
    200,
  );
}

/** The servo Deployment's NODE_OPTIONS (its heap cap), as the construct synthesizes it for `d`'s props. */
async function deploymentNodeOptions(d: ServoDeployment, jobs: string, url: string): Promise<string | undefined> {
  const { Chart, Testing } = await import('cdk8s');
  const { JobMeasurement, WebhookCertificate } = await import('../../index.js');
  const chart = new Chart(Testing.app(), 'servo', { namespace: d.namespace });
  new JobMeasurement(chart, 'servo', { namespaces: [jobs], url, account: ACCOUNT, webhookCertificate: WebhookCertificate.fromSecret('servo-webhook-cert', d.tls.caPem) });
  const deployment = (chart.toJson() as any[]).find((x) => x.kind === 'Deployment');
  const env = (deployment?.spec?.template?.spec?.containers?.[0]?.env ?? []) as Array<{ name: string; value?: string }>;
  return env.find((e) => e.name === 'NODE_OPTIONS')?.value;
}

async function runScenario(s: Setup, sc: Scenario): Promise<Report> {
  const { OptimizerPeer } = await import('../peers/optimizer.js');
  const { deployServo, registerWebhook, startServo, tokenFile } = await import('../integration/servo.support.js');
  const { waitFor } = await import('../integration/config-aggregator.support.js');
  const id = sc.id.toLowerCase();
  const ns = await s.cluster.createNamespace(`servo-bench-${id}`);
  const jobs = await s.cluster.createNamespace(`servo-bench-jobs-${id}`);
  const names = Array.from({ length: PODS }, (_, i) => podName(i));
  const appIdOf = (name: string) => `${id}-${name}`;

  const optimizer = new OptimizerPeer();
  optimizer.token = TOKEN;
  const base = await optimizer.start();
  sc.script(optimizer, names.map(appIdOf));
  const url = optimizer.urlPattern(base);
  const d = await deployServo(s.cluster, ns, { namespaces: [jobs], url, account: ACCOUNT });
  s.nodeOptions ??= await deploymentNodeOptions(d, jobs, url);
  const { proc, webhookPort } = await startServo(s.cluster, d, `servo-bench-${id}`, [`--auth-token-file=${tokenFile(mkdtempSync(join(s.work, 'token-')), TOKEN)}`], undefined, {
    bundle: s.bundle,
    ...(s.nodeOptions ? { nodeOptions: s.nodeOptions } : {}),
    ...(CPU_PROF ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] } : {}),
  });
  const watch = new PodWatch(s.cluster, jobs);
  s.current = { proc, optimizer, watch };
  const pid = proc.pid;
  const rss: Array<{ at: number; bytes: number }> = [];
  const sampler = setInterval(() => rss.push({ at: Date.now(), bytes: rssBytes(pid) }), 250);
  const metricsUrl = () => `http://127.0.0.1:${proc.port}/metrics`;
  try {
    await proc.waitReady();
    await waitFor('leadership', () => proc.isLeader(), 60_000, 100);
    await registerWebhook(s.cluster, d, webhookPort);
    await webhookEffective(s.cluster, jobs);
    await watch.start();
    const rssStart = rssBytes(pid);
    log(`${sc.id}: servo ${pid} leads, its webhook is in effect; creating ${PODS} job pods`);

    // (a) The job pods, through the webhook.
    const m0 = await scrape(metricsUrl());
    const tc = Date.now();
    let withFinalizer = 0;
    let withMonitor = 0;
    let createFailed = 0;
    await pool(names, CREATE_CONCURRENCY, async (name) => {
      let r = await s.cluster.request('POST', `/api/v1/namespaces/${jobs}/pods`, jobPod(jobs, name, appIdOf(name)), { allowStatus: [409] });
      if (r.statusCode === 409) {
        createFailed++; // an earlier attempt of this pool made it: read it back
        r = await s.cluster.request('GET', `/api/v1/namespaces/${jobs}/pods/${name}`);
      }
      if ((r.body?.metadata?.finalizers ?? []).includes(MEASUREMENT_FINALIZER)) withFinalizer++;
      if ((r.body?.spec?.initContainers ?? []).some((c: any) => c.name === MONITOR_CONTAINER)) withMonitor++;
    });
    const createMs = Date.now() - tc;
    log(`${sc.id} (a) ${PODS} pods in ${fmtS(createMs)}: ${withFinalizer} with the finalizer, ${withMonitor} with the monitor`);
    // The daemon's reconciles of the new (running) pods are over before the ends begin.
    await waitFor('the watch sees every pod', () => watch.pods.size >= PODS, 30_000, 50).catch((err) => log(String(err)));
    await sleep(2000);
    const m1 = await scrape(metricsUrl());

    // (b) The ends, evenly over SPREAD_S; (c) until every pod is settled.
    const pids = s.cluster.pids;
    const warn0 = proc.logs.filter((l) => l.level === 'warn' || l.level === 'error').length;
    const win = new CpuWindow({ servo: pid, 'kube-apiserver': pids['kube-apiserver'], etcd: pids.etcd });
    const threads0 = threadCpuSeconds(pid);
    const tw = Date.now();
    const endedAt = new Map<string, number>();
    const writeMs: number[] = [];
    let behindMaxMs = 0;
    let writeFailed = 0;
    const writes: Promise<void>[] = [];
    for (const [i, name] of names.entries()) {
      const due = tw + (i * SPREAD_S * 1000) / PODS;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      behindMaxMs = Math.max(behindMaxMs, Date.now() - due);
      writes.push(
        (async () => {
          const t = Date.now();
          for (let attempt = 0; ; attempt++) {
            try {
              await s.cluster.request('PATCH', `/api/v1/namespaces/${jobs}/pods/${name}/status`, endedStatus(jobs, name, i, Date.now()), { contentType: 'application/merge-patch+json' });
              break;
            } catch (err) {
              if (attempt >= 3) {
                writeFailed++;
                log(`${sc.id}: status write of ${name} failed: ${String(err).slice(0, 200)}`);
                return;
              }
              await sleep(200);
            }
          }
          const now = Date.now();
          endedAt.set(name, now);
          writeMs.push(now - t);
        })(),
      );
    }
    await Promise.all(writes);
    const lastWrite = Date.now();
    const spreadMs = lastWrite - tw;
    log(`${sc.id} (b) ${endedAt.size} ends written over ${fmtS(spreadMs)} (at most ${fmtMs(behindMaxMs)} behind schedule)`);
    let settledNote = '';
    for (;;) {
      if (watch.released() >= endedAt.size) break;
      if (Date.now() - lastWrite > PHASE_DEADLINE_MS) {
        settledNote = `not reached: ${watch.released()}/${endedAt.size} settled ${PHASE_DEADLINE_MS / 1000} s after the last end`;
        log(`${sc.id}: ${settledNote}`);
        break;
      }
      await sleep(50);
    }
    const settledMs = settledNote ? NaN : Math.max(...[...watch.pods.values()].map((p) => p.releasedAt ?? 0)) - lastWrite;
    await sleep(1000); // late requests of the phase, if any (there should be none)
    const cpu = win.stop();
    const threads1 = threadCpuSeconds(pid);
    const m2 = await scrape(metricsUrl());
    const rssEnd = rssBytes(pid);
    const hwm = peakRssBytes(pid);
    const sample = (await s.cluster.request('GET', `/api/v1/namespaces/${jobs}/pods/${names[0]}`)).body;
    delete sample.metadata.managedFields;
    const podBytes = Buffer.byteLength(JSON.stringify(sample));
    const trimmedBytes = Buffer.byteLength(JSON.stringify(trimPod(sample, parseAppIdPath(DEFAULT_APP_ID_PATH) as AppIdPath)));

    // Latencies, pod by pod.
    const accepted: number[] = [];
    const released: number[] = [];
    const acceptToRelease: number[] = [];
    let duplicates = 0;
    let missing = 0;
    let annotatedNotReleased = 0;
    const measurements = optimizer.requests.filter((r) => r.body?.event === 'MEASUREMENT');
    const byApp = new Map<string, typeof measurements>();
    for (const r of measurements) byApp.set(r.appId, [...(byApp.get(r.appId) ?? []), r]);
    for (const name of names) {
      const end = endedAt.get(name);
      if (end === undefined) continue;
      const ok = (byApp.get(appIdOf(name)) ?? []).filter((r) => r.status !== undefined && r.status < 300);
      if (ok.length > 1) duplicates += ok.length - 1;
      if (ok.length) accepted.push(ok[0].atMs + sc.answerDelayMs - end);
      else missing++;
      const st = watch.pods.get(name);
      if (st?.releasedAt !== undefined) released.push(st.releasedAt - end);
      if (st?.releasedAt !== undefined && ok.length) acceptToRelease.push(st.releasedAt - (ok[0].atMs + sc.answerDelayMs));
      if (st?.releasedAt === undefined && st?.annotatedAt !== undefined) annotatedNotReleased++;
    }
    const byStatus = new Map<string, number>();
    for (const r of measurements) byStatus.set(String(r.status ?? 'none'), (byStatus.get(String(r.status ?? 'none')) ?? 0) + 1);
    const dm = (name: string, labels: Record<string, string> = {}) => sum(m2, name, labels) - sum(m1, name, labels);
    const window: Report['window'] = {
      seconds: cpu.seconds,
      api: deltaBy(m1, m2, 'kit_api_requests_total', ['verb', 'resource']),
      apiCreate: deltaBy(m0, m1, 'kit_api_requests_total', ['verb', 'resource']),
      reconciles: dm('kit_reconcile_total', { controller: 'servo' }),
      reconcileResults: deltaBy(m1, m2, 'kit_reconcile_total', ['result']),
      sent: dm('servo_measurements_sent_total'),
      failed: dm('servo_measurements_failed_total'),
      attempts: deltaBy(m1, m2, 'servo_post_attempts_total', ['result']),
      delayMeanS: dm('servo_measurement_delay_seconds_sum') / dm('servo_measurement_delay_seconds_count'),
      cpuSeconds: (cpu.pct.servo * cpu.seconds) / 100,
      cpuMainSeconds: threads1.main - threads0.main,
      cpuOtherThreadsSeconds: threads1.others - threads0.others,
      cpuPct: cpu.pct.servo,
      otherPct: { 'kube-apiserver': cpu.pct['kube-apiserver'], etcd: cpu.pct.etcd },
      selfPct: cpu.selfPct,
      machineBusyPct: cpu.machineBusyPct,
      eventLoopLagP99Ms: m2.some((x) => x.name === 'nodejs_eventloop_lag_p99_seconds') ? sum(m2, 'nodejs_eventloop_lag_p99_seconds') * 1000 : NaN,
      warnings: proc.logs.filter((l) => l.level === 'warn' || l.level === 'error').length - warn0,
    };
    log(
      `${sc.id} (c) accepted p50 ${fmtMs(pct(accepted, 50))} p99 ${fmtMs(pct(accepted, 99))}; settled p50 ${fmtMs(pct(released, 50))}; ` +
        `${total(window.api)} API requests; CPU ${window.cpuSeconds.toFixed(1)} s; RSS max ${fmtMb(Math.max(...rss.filter((r) => r.at >= tw).map((r) => r.bytes)))}`,
    );
    return {
      scenario: sc,
      create: {
        ms: createMs,
        withFinalizer,
        withMonitor,
        webhook: deltaBy(m0, m1, 'servo_webhook_pods_total', ['result']),
        webhookMeanMs: ((sum(m1, 'kit_webhook_request_duration_seconds_sum') - sum(m0, 'kit_webhook_request_duration_seconds_sum')) / (sum(m1, 'kit_webhook_request_duration_seconds_count') - sum(m0, 'kit_webhook_request_duration_seconds_count'))) * 1000,
        failed: createFailed,
      },
      writes: { spreadMs, behindMaxMs, p50Ms: pct(writeMs, 50), p99Ms: pct(writeMs, 99), failed: writeFailed },
      accepted,
      released,
      acceptToRelease,
      annotatedNotReleased,
      settledMs,
      settledNote,
      optimizer: { requests: measurements.length, attemptsPerJob: measurements.length / Math.max(1, endedAt.size), duplicates, missing, byStatus },
      window,
      podBytes,
      trimmedBytes,
      heap: { start: sum(m0, 'nodejs_heap_size_used_bytes'), end: sum(m2, 'nodejs_heap_size_used_bytes') },
      rss: { windowMax: Math.max(...rss.filter((r) => r.at >= tw).map((r) => r.bytes).filter(Number.isFinite)), end: rssEnd, hwm, start: rssStart },
      watchRestarts: watch.restarts,
    };
  } finally {
    clearInterval(sampler);
    watch.stop();
    await proc.stop(); // GOODBYE
    await optimizer.stop();
    s.current = undefined;
    // No garbage collector runs here: the bench deletes what the scenario made (settled pods have no finalizer left).
    await s.cluster.request('DELETE', `/api/v1/namespaces/${jobs}/pods`).catch((err) => log(`deleting the pods: ${String(err)}`));
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark.
// ---------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const tStart = Date.now();
  const { startCluster } = await import('../cluster/index.js');
  const { bundleControllers, removeKubeconfigs } = await import('../integration/config-aggregator.support.js');
  const scenarios = SCENARIOS.map((id) => {
    const sc = ALL_SCENARIOS[id];
    if (!sc) throw new Error(`SERVO_BENCH_SCENARIOS: no scenario "${id}" (A, B, C)`);
    return sc;
  });
  const work = mkdtempSync(join(tmpdir(), 'servo-bench-'));
  let cluster: Cluster | undefined;
  let setup: Setup | undefined;
  try {
    const [bundle, c] = await Promise.all([bundleControllers(work), startCluster()]);
    cluster = c;
    setup = { cluster, bundle, work };
    log(`cluster and bundle ready after ${fmtS(Date.now() - tStart)}`);
    const reports: Report[] = [];
    for (const sc of scenarios) reports.push(await runScenario(setup, sc));
    printReport(reports, { nodeOptions: setup.nodeOptions ?? '(none)', totalMs: Date.now() - tStart });
  } finally {
    const cur = setup?.current;
    cur?.watch.stop();
    await cur?.proc.stop();
    await cur?.optimizer.stop();
    await cluster?.stop();
    removeKubeconfigs();
    rmSync(work, { recursive: true, force: true });
  }
}

function printReport(reports: readonly Report[], o: { nodeOptions: string; totalMs: number }): void {
  const col = (f: (r: Report) => string) => reports.map(f);
  const base = reports.find((r) => r.scenario.id === 'A');
  const vsA = (a: number, b: number | undefined) =>
    b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}x (${a >= b ? '+' : '-'}${fmtMs(Math.abs(a - b))})` : 'n/a';
  const patches = (r: Report) => r.window.api.get('patch pods') ?? 0;
  const rows: string[][] = [
    ['', ...col((r) => r.scenario.title)],
    [`(a) ${PODS} job pods created through the webhook (${CREATE_CONCURRENCY} at a time)`, ...col((r) => `${fmtS(r.create.ms)} (${fmtRate(PODS / (r.create.ms / 1000))}/s)${r.create.failed ? `, ${r.create.failed} made by a retried request` : ''}`)],
    ['  with the finalizer / with the monitor sidecar', ...col((r) => `${r.create.withFinalizer} / ${r.create.withMonitor}`)],
    ['  webhook calls (servo_webhook_pods_total), mean admission time', ...col((r) => `${fmtMap(r.create.webhook)}; ${fmtMs(r.create.webhookMeanMs)}`)],
    ['  daemon API requests meanwhile, by verb and resource', ...col((r) => fmtMap(r.window.apiCreate))],
    [`(b) ends (status writes) spread over ${SPREAD_S} s: took, most behind schedule`, ...col((r) => `${fmtS(r.writes.spreadMs)}, ${fmtMs(r.writes.behindMaxMs)}${r.writes.failed ? ` (${r.writes.failed} failed)` : ''}`)],
    ['  status write p50 / p99 (this process -> API server)', ...col((r) => `${fmtMs(r.writes.p50Ms)} / ${fmtMs(r.writes.p99Ms)}`)],
    ['(c) end -> optimizer answered 2xx, p50 / p90 / p99 / max', ...col((r) => fmtQuant(r.accepted))],
    ['  p50 / p99 vs A: ratio (difference)', ...col((r) => `${vsA(pct(r.accepted, 50), base && pct(base.accepted, 50))} / ${vsA(pct(r.accepted, 99), base && pct(base.accepted, 99))}`)],
    ['  end -> pod annotated and released (watch), p50 / p90 / p99 / max', ...col((r) => fmtQuant(r.released))],
    ['  optimizer 2xx -> pod annotated and released, p50 / p90 / p99 / max', ...col((r) => fmtQuant(r.acceptToRelease))],
    ['  all settled after the last end', ...col((r) => r.settledNote || fmtS(r.settledMs))],
    ['  daemon\'s servo_measurement_delay_seconds mean (from finishedAt, 1 s resolution)', ...col((r) => fmtS(r.window.delayMeanS * 1000))],
    ['  MEASUREMENT POSTs per job, by status answered', ...col((r) => `${r.optimizer.attemptsPerJob.toFixed(2)} (${fmtMap(r.optimizer.byStatus)})`)],
    ['  accepted twice / never accepted', ...col((r) => `${r.optimizer.duplicates} / ${r.optimizer.missing}`)],
    ['  servo_measurements_sent_total / failed; servo_post_attempts_total', ...col((r) => `${r.window.sent} / ${r.window.failed}; ${fmtMap(r.window.attempts)}`)],
    [`(d) from the first end until all settled (+1 s)`, ...col((r) => fmtS(r.window.seconds * 1000))],
    ['  daemon API requests per job (all / pod patches)', ...col((r) => `${(total(r.window.api) / PODS).toFixed(2)} / ${(patches(r) / PODS).toFixed(2)}`)],
    ['  daemon API requests, by verb and resource', ...col((r) => fmtMap(r.window.api))],
    ['  reconciles per job, by result', ...col((r) => `${(r.window.reconciles / PODS).toFixed(2)} (${fmtMap(r.window.reconcileResults)})`)],
    ['  daemon CPU: seconds, % of one core (limit 500m = 50 %), ms per job', ...col((r) => `${r.window.cpuSeconds.toFixed(1)} s, ${fmtPct(r.window.cpuPct)}, ${fmtMs((r.window.cpuSeconds * 1000) / PODS)}`)],
    ['  of which main thread / other threads (GC, compiler, libuv pool)', ...col((r) => `${r.window.cpuMainSeconds.toFixed(1)} s / ${r.window.cpuOtherThreadsSeconds.toFixed(1)} s`)],
    ['  daemon RSS: before the pods / max in (d) / at the end (limit 256Mi)', ...col((r) => `${fmtMb(r.rss.start)} / ${fmtMb(r.rss.windowMax)} / ${fmtMb(r.rss.end)}`)],
    ['  daemon peak RSS of its whole life (VmHWM)', ...col((r) => fmtMb(r.rss.hwm))],
    [`  daemon V8 heap used: before the pods / at the end (${PODS} settled pods cached), per pod`, ...col((r) => `${fmtMb(r.heap.start)} / ${fmtMb(r.heap.end)}, ${((r.heap.end - r.heap.start) / PODS / 1024).toFixed(1)} KiB`)],
    ['  one settled pod as JSON: from the API server (no managedFields) / as the servo\'s cache keeps it (trimPod)', ...col((r) => `${(r.podBytes / 1024).toFixed(1)} KiB / ${(r.trimmedBytes / 1024).toFixed(1)} KiB`)],
    ['  daemon event-loop lag p99 (at the end)', ...col((r) => fmtMs(r.window.eventLoopLagP99Ms))],
    ['  warnings/errors logged by the daemon', ...col((r) => String(r.window.warnings))],
    ['  CPU kube-apiserver / etcd (% of one core)', ...col((r) => `${fmtPct(r.window.otherPct['kube-apiserver'])} / ${fmtPct(r.window.otherPct.etcd)}`)],
    ['  CPU of the bench process (kubelet writes, optimizer, watch)', ...col((r) => fmtPct(r.window.selfPct))],
    [`  machine busy (% of all ${CORES} cores)`, ...col((r) => fmtPct(r.window.machineBusyPct))],
  ];
  console.log(
    `servo: ${PODS} job pods ending over ${SPREAD_S} s; daemon = esbuild bundle as its ServiceAccount, NODE_OPTIONS=${o.nodeOptions}, ` +
      `--concurrency=16 --workers=4 (defaults); API server and etcd without controller manager or node (this process writes the pods' status); ` +
      `${CORES} cores, ${CLK_TCK} ticks/s; ${(o.totalMs / 1000).toFixed(0)} s in all`,
  );
  printTable(rows);

  const notes: string[] = [];
  const twice = reports.filter((r) => (r.create.webhook.get('injected') ?? 0) > 0 && (r.create.webhook.get('unchanged') ?? 0) >= 0.9 * (r.create.webhook.get('injected') ?? 0));
  if (twice.length)
    notes.push(
      `${twice.map((r) => r.scenario.id).join(', ')}: ${twice.map((r) => total(r.create.webhook)).join(', ')} webhook calls for ${PODS} pods: with reinvocationPolicy IfNeeded the API server ` +
        'calls it again after the ServiceAccount admission plugin, rerun after the injection, mounts the token into the sidecar (the second call answers unchanged)',
    );
  for (const r of reports) {
    const at = r.scenario.id;
    const w = r.window;
    if (r.create.withFinalizer < PODS) notes.push(`${at}: ${PODS - r.create.withFinalizer} pods were created without the finalizer (the webhook's failurePolicy is Ignore: a timeout lets them through unmeasured)`);
    if (r.settledNote) notes.push(`${at}: ${r.settledNote}`);
    if (r.optimizer.duplicates) notes.push(`${at}: ${r.optimizer.duplicates} measurements accepted more than once`);
    if (r.optimizer.missing) notes.push(`${at}: ${r.optimizer.missing} jobs never accepted`);
    if (r.annotatedNotReleased) notes.push(`${at}: ${r.annotatedNotReleased} pods annotated but still holding the finalizer`);
    if (patches(r) > PODS * 1.05) notes.push(`${at}: ${(patches(r) / PODS).toFixed(2)} pod patches per job (1 expected): conflicts or repeated outcome writes`);
    if (w.cpuPct > 50) notes.push(`${at}: the daemon needs ${fmtPct(w.cpuPct)} of a core, more than its Deployment's 500m limit: it would be throttled`);
    if (w.machineBusyPct > 90) notes.push(`${at}: the machine was ${fmtPct(w.machineBusyPct)} busy: the numbers are bounded by its ${CORES} cores`);
    if (r.writes.behindMaxMs > 1000) notes.push(`${at}: a status write started ${fmtMs(r.writes.behindMaxMs)} behind its schedule: this process could not keep the pace`);
    if (w.eventLoopLagP99Ms > 100) notes.push(`${at}: the daemon's event loop lagged ${fmtMs(w.eventLoopLagP99Ms)} at p99`);
    if (w.warnings) notes.push(`${at}: the daemon logged ${w.warnings} warnings/errors`);
    if (r.watchRestarts) notes.push(`${at}: this process's watch restarted ${r.watchRestarts} times (a settle time may read late by up to a relist)`);
  }
  const clean = reports.every((r) => !r.settledNote && !r.optimizer.duplicates && !r.optimizer.missing && !r.annotatedNotReleased && patches(r) === PODS && r.create.withFinalizer === PODS);
  if (clean) notes.push('every job created with the finalizer, accepted exactly once and released by exactly one pod patch');
  console.log(`\n${notes.map((n) => `note: ${n}`).join('\n')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    // A benchmark reports; it does not fail the run on time. A broken setup is still an error.
    process.stderr.write(`servo bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
