/**
 * Idle memory of several controllers: one `platform-controllers run` process hosting them versus
 * one process per controller, against the real test API server. Each side runs the esbuild bundle
 * with plain `node` (as in the image) and the heap flags of the aggregator's Deployment; both
 * controllers are deployed by their constructs (schema ConfigMap, generated Secrets) and run with
 * the admin's kubeconfig. RSS is read from /proc/<pid>/status after every process is ready and
 * has been idle for a while (median of samples). Never fails on memory.
 *
 *   npm run bench -- controllers-rss
 * Env: CONTROLLERS_RSS_IDLE_SECONDS (default 20), CONTROLLERS_RSS_ROUNDS (default 3).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, printTable } from './support.js';
import type { ControllerProcess } from '../integration/config-aggregator.support.js';

const IDLE_S = Number(process.env.CONTROLLERS_RSS_IDLE_SECONDS ?? 20);
const ROUNDS = Number(process.env.CONTROLLERS_RSS_ROUNDS ?? 3);

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const { startCluster } = await import('../cluster/index.js');
  const { ControllerProcess, bundleControllers, deployAggregator } = await import('../integration/config-aggregator.support.js');
  const { deployGenerator } = await import('../integration/secret-generator.support.js');
  const work = mkdtempSync(join(tmpdir(), 'controllers-rss-'));
  const bundle = await bundleControllers(work);
  const cluster = await startCluster();
  const running: ControllerProcess[] = [];
  try {
    const ns = await cluster.createNamespace('rss');
    const agg = await deployAggregator(cluster, ns, { configmapName: 'numalogic-config' });
    const gen = await deployGenerator(cluster, ns);
    const common = { kubeconfig: cluster.kubeconfigPath, namespace: ns, bundle, nodeOptions: agg.nodeOptions };
    const settle = async (ps: ControllerProcess[]) => {
      for (const p of ps) await p.waitReady();
      await sleep(IDLE_S * 1000);
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        samples.push(ps.reduce((a, p) => a + rssOf(p.pid), 0));
        await sleep(1000);
      }
      return median(samples);
    };
    const results = { aggregator: [] as number[], generator: [] as number[], separate: [] as number[], one: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      // N processes, one controller each (each with its own Lease, as deployed today).
      const a = await ControllerProcess.start({ ...common, controller: 'config-aggregator', podName: `sep-a-${round}`, args: agg.args });
      const g = await ControllerProcess.start({ ...common, controller: 'secret-generator', podName: `sep-g-${round}`, args: gen.args });
      running.push(a, g);
      await settle([a, g]);
      const ra = rssOf(a.pid);
      const rg = rssOf(g.pid);
      results.aggregator.push(ra);
      results.generator.push(rg);
      results.separate.push(ra + rg);
      await Promise.all([a.stop(), g.stop()]);
      running.length = 0;
      // One process hosting both (same flags per controller, same Leases).
      const one = await ControllerProcess.start({
        ...common,
        controller: 'run',
        podName: `one-${round}`,
        args: ['config-aggregator', ...agg.args, 'secret-generator', ...gen.args],
      });
      running.push(one);
      results.one.push(await settle([one]));
      await one.stop();
      running.length = 0;
      log(`round ${round + 1}: separate ${mb(ra)} + ${mb(rg)} = ${mb(ra + rg)}; one process ${mb(results.one[round])}`);
    }
    const sep = median(results.separate);
    const one = median(results.one);
    console.log(`idle RSS after ${IDLE_S} s, median of ${ROUNDS} rounds (NODE_OPTIONS=${agg.nodeOptions ?? ''})`);
    printTable([
      ['', 'RSS'],
      ['config-aggregator alone (1 process)', mb(median(results.aggregator))],
      ['secret-generator alone (1 process)', mb(median(results.generator))],
      ['2 controllers, 2 processes (sum)', mb(sep)],
      ['2 controllers, 1 process (`run`)', mb(one)],
      ['saved by hosting both in one process', `${mb(sep - one)} (${((1 - one / sep) * 100).toFixed(0)} %)`],
      ['cost of the 2nd controller in the shared process', mb(one - Math.max(median(results.aggregator), median(results.generator)))],
    ]);
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
