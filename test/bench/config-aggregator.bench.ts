/**
 * Config aggregator: the watch-based controller versus a polling baseline that does what the
 * original does (a full List of every labelled ConfigMap each interval), on a real API server
 * with N labelled ConfigMaps spread over M namespaces.
 *
 * Measures: time to first aggregate, latency from a ConfigMap update to the aggregate (seen by a
 * watch on the aggregate), API requests and bytes per change, RSS of each process.
 * The baseline's latency at the original's 180 s interval is modelled from its measured cycle
 * time (a change waits on average half an interval, at p99 99% of one); a short-interval run
 * measures it for real. Never fails on time.
 *
 *   npm run bench -- config-aggregator
 *   npx tsx test/bench/config-aggregator.bench.ts --configmaps=10000 --namespaces=1000 --changes=100
 * Env: CONFIG_AGGREGATOR_BENCH_CONFIGMAPS, _NAMESPACES, _CHANGES, _POLL_INTERVAL (seconds).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Watch } from '@kubernetes/client-node';
import { Aggregator, compileSchema } from '../../runtime/config-aggregator/aggregate.js';
import { loadKubeConfig, rawRequest } from '../../runtime/kit/client.js';
// The harness, cdk8s and the constructs are imported in main() only: the poller process, bundled
// from this file, must not carry them in its memory.
import type { Cluster } from '../cluster/index.js';
import type { ControllerProcess } from '../integration/config-aggregator.support.js';
import { pool } from './proc.js';

const LABEL_KEY = 'bench.platform-constructs.io/app-config';
const LABEL = `${LABEL_KEY}=yes`;
const AGG_NAME = 'numalogic-config';
const KEY = 'config.yaml';

function arg(name: string, envName: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a ? a.split('=')[1] : process.env[envName];
  return v ? Number(v) : dflt;
}

const config = (service: string) => `service: ${service}\nmetric_configs: []\nunified_configs: []\n`;

// ---------------------------------------------------------------------------------------------
// Polling baseline (child process): list everything every interval, aggregate, write if changed.
// ---------------------------------------------------------------------------------------------
async function runPoller(): Promise<void> {
  const kubeconfig = process.argv.find((x) => x.startsWith('--kubeconfig='))!.split('=')[1];
  const namespace = process.argv.find((x) => x.startsWith('--namespace='))!.split('=')[1];
  const intervalMs = Number(process.argv.find((x) => x.startsWith('--interval-ms='))!.split('=')[1]);
  const kc = loadKubeConfig(kubeconfig);
  const schemaCm = await rawRequest<any>(kc, `/api/v1/namespaces/${namespace}/configmaps/application-config-schema`);
  const compiled = compileSchema(schemaCm.data['schema.json']);
  if (!compiled.ok) throw new Error(compiled.reason);
  let last: string | undefined;
  const report = (o: object) => process.stdout.write(`${JSON.stringify({ ...o, rss: process.memoryUsage().rss })}\n`);
  for (;;) {
    const t0 = performance.now();
    // The original: one List of every labelled ConfigMap (no paging), each cycle.
    const list = await rawRequest<any>(kc, '/api/v1/configmaps', { query: { labelSelector: LABEL }, timeoutMs: 120_000 });
    const listMs = performance.now() - t0;
    const bytes = Buffer.byteLength(JSON.stringify(list));
    // Fresh cache each cycle: the original re-validates everything it lists.
    const agg = new Aggregator().build(list.items, compiled.schema);
    let wrote = false;
    if (agg.text !== last) {
      await rawRequest(kc, `/api/v1/namespaces/${namespace}/configmaps/${AGG_NAME}`, {
        method: 'PATCH',
        query: { fieldManager: 'poller', force: true },
        contentType: 'application/apply-patch+yaml',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AGG_NAME, namespace }, data: { [KEY]: agg.text } },
      });
      last = agg.text;
      wrote = true;
    }
    report({ cycle: true, items: list.items.length, listMs, cycleMs: performance.now() - t0, bytes, wrote });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark.
// ---------------------------------------------------------------------------------------------

/** Watches the aggregate ConfigMap and calls back on every version with its data. */
async function watchAggregate(cluster: Cluster, namespace: string, onData: (text: string, at: number) => void): Promise<() => void> {
  const w = new Watch(cluster.kubeConfig);
  let stopped = false;
  let ctl: AbortController | undefined;
  const start = async (): Promise<void> => {
    if (stopped) return;
    ctl = await w.watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { fieldSelector: `metadata.name=${AGG_NAME}` },
      (type, obj) => {
        if (type === 'ADDED' || type === 'MODIFIED') onData(obj?.data?.[KEY] ?? '', performance.now());
      },
      () => void start(),
    );
  };
  await start();
  return () => {
    stopped = true;
    ctl?.abort();
  };
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${ms.toFixed(0)} ms`);
const fmtMb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const fmtBytes = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${b} B`);

async function main(): Promise<void> {
  const N = arg('configmaps', 'CONFIG_AGGREGATOR_BENCH_CONFIGMAPS', 10_000);
  const M = Math.min(N, arg('namespaces', 'CONFIG_AGGREGATOR_BENCH_NAMESPACES', 1_000));
  const CHANGES = arg('changes', 'CONFIG_AGGREGATOR_BENCH_CHANGES', 100);
  const POLL_S = arg('poll-interval', 'CONFIG_AGGREGATOR_BENCH_POLL_INTERVAL', 5);
  const ORIGINAL_INTERVAL_MS = 180_000;
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const tStart = Date.now();

  const { startCluster } = await import('../cluster/index.js');
  const { ControllerProcess, REPO_ROOT, bundleControllers, deployAggregator, serviceAccountKubeconfig } = await import(
    '../integration/config-aggregator.support.js'
  );
  // Both sides run as plain `node` on an esbuild bundle, as in the image.
  const work = mkdtempSync(join(tmpdir(), 'config-aggregator-bench-'));
  const bundle = await bundleControllers(work);
  // The poller bundle leaves out what only main() imports (harness, cdk8s, constructs).
  const pollerBundle = await bundleControllers(work, fileURLToPath(import.meta.url), 'poller.mjs', [
    '*/cluster/index.js',
    '*/config-aggregator.support.js',
  ]);
  const cluster = await startCluster();
  let ctrl: ControllerProcess | undefined;
  let poller: ReturnType<typeof spawn> | undefined;
  let stopWatch: (() => void) | undefined;
  try {
    // ---- Fixture: M namespaces, N labelled ConfigMaps.
    let t = performance.now();
    // Short names keep 10,000 entries (~80 bytes each) well under the 1 MiB ConfigMap limit.
    const nsNames = Array.from({ length: M }, (_, i) => `b${String(i).padStart(4, '0')}`);
    await pool(nsNames, 16, (name) => cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    const cms = Array.from({ length: N }, (_, i) => ({ ns: nsNames[i % M], name: `a${Math.floor(i / M)}` }));
    await pool(cms, 32, (c) =>
      cluster.request('POST', `/api/v1/namespaces/${c.ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: c.name, labels: { [LABEL_KEY]: 'yes' } },
        data: { config: config(`${c.ns}${c.name}`) },
      }),
    );
    const fixtureMs = performance.now() - t;
    log(`created ${M} namespaces and ${N} ConfigMaps in ${fmtMs(fixtureMs)}`);

    const ns = await cluster.createNamespace('aggregator');
    const { aggregator, args, nodeOptions } = await deployAggregator(cluster, ns, { appConfigLabel: LABEL, configmapName: AGG_NAME });
    const kubeconfig = await serviceAccountKubeconfig(cluster, ns, aggregator.serviceAccountName);

    let latest = { text: '', at: 0 };
    const waiters: Array<{ marker: string; resolve: (at: number) => void }> = [];
    stopWatch = await watchAggregate(cluster, ns, (text, at) => {
      latest = { text, at };
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (text.includes(waiters[i].marker)) {
          waiters[i].resolve(at);
          waiters.splice(i, 1);
        }
      }
    });
    const seen = (marker: string, timeoutMs: number) =>
      new Promise<number>((resolve, reject) => {
        if (latest.text.includes(marker)) return resolve(latest.at);
        const timer = setTimeout(() => reject(new Error(`not aggregated within ${timeoutMs} ms: ${marker}`)), timeoutMs);
        waiters.push({ marker, resolve: (at) => (clearTimeout(timer), resolve(at)) });
      });
    const lastMarker = `service: ${cms[cms.length - 1].ns}${cms[cms.length - 1].name}\n`;
    const countEntries = (text: string) => (text.match(/^ {2}- namespace:/gm) ?? []).length;

    // ---- Watch-based controller.
    t = performance.now();
    // Same flags and heap cap (NODE_OPTIONS) as the synthesized Deployment.
    ctrl = await ControllerProcess.start({ kubeconfig, namespace: ns, podName: 'bench-0', args, bundle, nodeOptions });
    const firstAt = await seen(lastMarker, 120_000);
    const ctrlFirstMs = firstAt - t;
    const entries = countEntries(latest.text);
    const aggregateBytes = Buffer.byteLength(latest.text);
    log(`controller: first aggregate (${entries} entries, ${fmtBytes(aggregateBytes)}) after ${fmtMs(ctrlFirstMs)}`);
    await new Promise((r) => setTimeout(r, 1000));

    const reqs = async () => {
      const total = await ctrl!.metric('kit_api_requests_total');
      const lease = await ctrl!.metric('kit_api_requests_total', { resource: 'leases' });
      return {
        nonLease: total - lease,
        lists: await ctrl!.metric('kit_api_requests_total', { verb: 'list' }),
        writes: await ctrl!.metric('kit_api_requests_total', { verb: 'patch' }),
      };
    };
    const before = await reqs();
    const latencies: number[] = [];
    const eventBytes: number[] = [];
    let rssMax = await ctrl.metric('process_resident_memory_bytes');
    for (let k = 0; k < CHANGES; k++) {
      const c = cms[Math.floor(Math.random() * N)];
      const marker = `c${k}x${Math.random().toString(36).slice(2, 6)}`;
      const t0 = performance.now();
      const res = await cluster.request('PATCH', `/api/v1/namespaces/${c.ns}/configmaps/${c.name}`, { data: { config: config(marker) } }, {
        contentType: 'application/merge-patch+json',
      });
      latencies.push((await seen(marker, 30_000)) - t0);
      // The watch event the controller receives carries this object (managedFields included).
      eventBytes.push(Buffer.byteLength(JSON.stringify({ type: 'MODIFIED', object: res.body })));
      if (k % 20 === 0) rssMax = Math.max(rssMax, await ctrl.metric('process_resident_memory_bytes'));
    }
    const after = await reqs();
    rssMax = Math.max(rssMax, await ctrl.metric('process_resident_memory_bytes'));
    const ctrlRss = await ctrl.metric('process_resident_memory_bytes');
    const perChange = (after.nonLease - before.nonLease) / CHANGES;
    const writesPerChange = (after.writes - before.writes) / CHANGES;
    const listsDuring = after.lists - before.lists;
    log(`controller: ${CHANGES} changes, p50 ${fmtMs(pct(latencies, 50))}, p99 ${fmtMs(pct(latencies, 99))}, ${perChange.toFixed(2)} requests/change, RSS ${fmtMb(ctrlRss)}`);
    await ctrl.stop();
    ctrl = undefined;

    // ---- Polling baseline, same RBAC, same aggregation code; only the trigger differs.
    await cluster.request('DELETE', `/api/v1/namespaces/${ns}/configmaps/${AGG_NAME}`);
    latest = { text: '', at: 0 };
    t = performance.now();
    const cycles: any[] = [];
    poller = spawn(
      process.execPath,
      [pollerBundle, '--mode=poller', `--kubeconfig=${kubeconfig}`, `--namespace=${ns}`, `--interval-ms=${POLL_S * 1000}`],
      // The same heap cap as the controller, for a fair RSS comparison.
      { cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: nodeOptions ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buf = '';
    poller.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          cycles.push(JSON.parse(line));
        } catch {
          /* ignore */
        }
      }
    });
    const pollFirstMs = (await seen(lastMarker, 300_000)) - t;
    log(`poller: first aggregate after ${fmtMs(pollFirstMs)}`);
    const pollChanges = Math.max(3, Math.min(8, Math.floor(60 / POLL_S)));
    const pollLatencies: number[] = [];
    for (let k = 0; k < pollChanges; k++) {
      // Changes land at a random point of the interval, as real ones do.
      await new Promise((r) => setTimeout(r, Math.random() * POLL_S * 1000));
      const c = cms[Math.floor(Math.random() * N)];
      const marker = `p${k}x${Math.random().toString(36).slice(2, 6)}`;
      const t0 = performance.now();
      await cluster.request('PATCH', `/api/v1/namespaces/${c.ns}/configmaps/${c.name}`, { data: { config: config(marker) } }, {
        contentType: 'application/merge-patch+json',
      });
      pollLatencies.push((await seen(marker, POLL_S * 1000 + 120_000)) - t0);
    }
    const steady = cycles.slice(1);
    const cycleMs = pct(steady.map((c) => c.cycleMs), 50);
    const listBytes = pct(steady.map((c) => c.bytes), 50);
    const pollRss = Math.max(...cycles.map((c) => c.rss));
    log(`poller: ${cycles.length} cycles, cycle ${fmtMs(cycleMs)}, list ${fmtBytes(listBytes)}, measured p50 ${fmtMs(pct(pollLatencies, 50))} at ${POLL_S} s interval`);

    // ---- Table.
    const modelP50 = 0.5 * ORIGINAL_INTERVAL_MS + cycleMs;
    const modelP99 = 0.99 * ORIGINAL_INTERVAL_MS + cycleMs;
    const p50 = pct(latencies, 50);
    const p99 = pct(latencies, 99);
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(a / b >= 100 ? 0 : 1)}x` : 'n/a');
    const rows: string[][] = [
      ['', 'watch controller', `polling baseline (${ORIGINAL_INTERVAL_MS / 1000} s, original)`, 'baseline / controller'],
      ['time to first aggregate', fmtMs(ctrlFirstMs), fmtMs(pollFirstMs), ratio(pollFirstMs, ctrlFirstMs)],
      ['change -> aggregate p50', fmtMs(p50), `${fmtMs(modelP50)} (modelled)`, ratio(modelP50, p50)],
      ['change -> aggregate p99', fmtMs(p99), `${fmtMs(modelP99)} (modelled)`, ratio(modelP99, p99)],
      [
        `  measured, baseline at ${POLL_S} s interval`,
        '',
        `p50 ${fmtMs(pct(pollLatencies, 50))}, max ${fmtMs(Math.max(...pollLatencies))} (${pollLatencies.length} changes)`,
        '',
      ],
      [
        'API requests per change',
        `${perChange.toFixed(2)} (${writesPerChange.toFixed(2)} write; ${listsDuring} lists; + 1 watch event in)`,
        `1 full List of ${N} objects per interval + 1 write`,
        '',
      ],
      ['bytes read per change / per cycle', `1 watch event (${fmtBytes(pct(eventBytes, 50))})`, `${fmtBytes(listBytes)} per List`, ratio(listBytes, pct(eventBytes, 50))],
      ['reads while nothing changes (per hour)', '0 (watch; lease renewals only)', `${3600 / (ORIGINAL_INTERVAL_MS / 1000)} Lists = ${fmtBytes((listBytes * 3600) / (ORIGINAL_INTERVAL_MS / 1000))}`, ''],
      ['RSS (max)', fmtMb(rssMax), fmtMb(pollRss), ratio(pollRss, rssMax)],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log(`config-aggregator: ${N} labelled ConfigMaps in ${M} namespaces, aggregate ${entries} entries (${fmtBytes(aggregateBytes)}), ${CHANGES} changes`);
    console.log(line(rows[0]));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows.slice(1)) console.log(line(r));
    console.log(
      `targets: p99 < 1 s: ${p99 < 1000 ? 'met' : 'NOT met'}; one write per change: ${writesPerChange <= 1.05 ? 'met' : 'NOT met'}; RSS < 200 MB: ${rssMax < 200 * 1024 * 1024 ? 'met' : 'NOT met'}` +
        ` (fixture ${fmtMs(fixtureMs)}, total ${fmtMs(Date.now() - tStart)})`,
    );
  } finally {
    stopWatch?.();
    poller?.kill('SIGTERM');
    await ctrl?.stop();
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--mode=poller')) {
  runPoller().catch((err) => {
    process.stderr.write(`poller: ${err}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      // A benchmark reports; it does not fail the run on time. A broken setup is still an error.
      process.stderr.write(`config-aggregator bench failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
