/**
 * The full example stack (examples/cdk8s/app.ts: namespace, storage modules, control plane,
 * compute plane, metrics) with 1, 10 and 100 compute partitions:
 * - `cdk8s synth`: build the app and write the GitOps layout (lib/gitops);
 * - `cdktf synth`: build the app and synthesize the two cdktf stacks (CRDs, the rest);
 * - first deploy: `tofu apply` of the synthesized stacks on a fresh real API server (OpenTofu and
 *   the kubernetes provider from test/cluster/build-terraform.sh, offline);
 * - no-op plan: `tofu plan` right after.
 * Baselines, where one applies: the same objects as raw cdk8s `ApiObject`s (synth), and a plain
 * server-side apply of the same objects (deploy: what a GitOps tool does, no Terraform).
 * Synth figures are medians of 3 runs in this process after one warm-up; deploy figures are one
 * run each (cdktf's own CLI adds a node start and `tofu init`, shown once). Never fails on time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App as Cdk8sApp, Chart } from 'cdk8s';
import { App as TfApp } from 'cdktf';
import { ComputePlane, ControlPlane, MetricsExporter, PartitionScaling, type PartitionProps } from '../../constructs/armonik/index.js';
import { EXAMPLE_NAMESPACE, NamespaceChart, SecretsChart, StorageChart } from '../../examples/cdk8s/app.js';
import { ExampleStacks } from '../../examples/cdktf/stack.js';
import { StateBackend } from '../../tf.js';
import { GitOpsLayout } from '../../lib/gitops/index.js';
import { startCluster } from '../cluster/cluster.js';
import { thirdPartyCrds } from '../cluster/crds.js';
import { appObjects } from '../cluster/manifests.js';
import { ensureTerraformTools, terraformEnv, tofu } from '../cluster/terraform.js';

const SIZES = (process.env.BENCH_PARTITIONS ?? '1,10,100').split(',').map(Number);

/** buildExampleApp() with `n` compute partitions (the example has two). */
function buildStack(n: number): Cdk8sApp {
  const app = new Cdk8sApp();
  const chartProps = { disableResourceNameHashes: true };
  const namespace = new NamespaceChart(app, 'namespace');
  const secrets = new SecretsChart(app, 'secrets');
  secrets.addDependency(namespace);
  const storage = new StorageChart(app, 'storage');
  storage.addDependency(secrets);
  const { queue, objectStorage, tableStorage, sharedStorage } = storage;
  const ns = EXAMPLE_NAMESPACE;
  const controlPlane = new Chart(app, 'control-plane', chartProps);
  new ControlPlane(controlPlane, 'control-plane', { namespace: ns, conf: [queue, objectStorage, tableStorage], env: { Submitter__DefaultPartition: 'default' } });
  const partitions: Record<string, PartitionProps> = {};
  for (let i = 0; i < n; i++) {
    partitions[i === 0 ? 'default' : `p${i}`] = i % 2 === 0 ? { scaling: PartitionScaling.hpa({ minReplicas: 1, maxReplicas: 10 }) } : { priority: 2, scaling: PartitionScaling.fixed(1) };
  }
  const computePlane = new Chart(app, 'compute-plane', chartProps);
  new ComputePlane(computePlane, 'compute-plane', { namespace: ns, pollingAgent: { conf: [queue, objectStorage, tableStorage] }, worker: { conf: [sharedStorage] }, partitions });
  const metrics = new Chart(app, 'metrics', chartProps);
  new MetricsExporter(metrics, 'metrics-exporter', { namespace: ns, conf: [tableStorage] });
  for (const chart of [controlPlane, computePlane, metrics]) chart.addDependency(storage);
  return app;
}

/** The same objects as raw ApiObjects, one chart per original chart: the synth baseline. */
function rawApp(json: { id: string; objects: any[] }[]): Cdk8sApp {
  const app = new Cdk8sApp();
  for (const { id, objects } of json) {
    const chart = new Chart(app, id, { disableResourceNameHashes: true });
    objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
  }
  return app;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeIt(f: () => void, rounds = 3): number {
  f(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    f();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

async function timeAsync<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await f();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function main(): Promise<void> {
  const tools = await ensureTerraformTools();
  const rows: string[][] = [];
  const work = mkdtempSync(join(tmpdir(), 'deploy-bench-'));
  try {
    for (const n of SIZES) {
      const objectsJson = buildStack(n).charts.map((c) => ({ id: c.node.id, objects: c.toJson() }));
      const count = objectsJson.reduce((k, c) => k + c.objects.length, 0);

      const dir = join(work, `n${n}`);
      const cdk8s = timeIt(() => GitOpsLayout.fromApp(buildStack(n)).write(join(dir, 'gitops')));
      const cdk8sRaw = timeIt(() => GitOpsLayout.fromApp(rawApp(objectsJson)).write(join(dir, 'gitops-raw')));
      const tfSynth = (source: () => Cdk8sApp, out: string) => () => {
        const app = new TfApp({ outdir: join(dir, out), skipValidation: false });
        new ExampleStacks(app, 'example', { source: source(), kubeconfig: join(dir, 'kubeconfig'), backend: StateBackend.local(join(dir, 'state')) });
        app.synth();
      };
      const cdktf = timeIt(tfSynth(() => buildStack(n), 'cdktf.out'));
      const cdktfRaw = timeIt(tfSynth(() => rawApp(objectsJson), 'cdktf-raw.out'));

      // Deploy: a fresh API server, the synthesized stacks applied in order (CRDs first).
      const cluster = await startCluster({ controllerManager: false });
      // The operators' CRDs a cluster running the stack has (KEDA, Percona), not part of the stack.
      await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'bench', warnings: 'ignore' });
      let init = 0;
      let deploy = 0;
      let plan = 0;
      let ssa = 0;
      try {
        // The kubeconfig path was baked into the synthesized stacks; point it at this cluster.
        rmSync(join(dir, 'kubeconfig'), { force: true });
        const { copyFileSync } = await import('node:fs');
        copyFileSync(cluster.kubeconfigPath, join(dir, 'kubeconfig'));
        const env = terraformEnv(tools);
        for (const stack of ['example-crds', 'example']) {
          const sdir = join(dir, 'cdktf.out', 'stacks', stack);
          init += (await timeAsync(() => tofu(tools, sdir, ['init', '-input=false'], env)))[0];
          deploy += (await timeAsync(() => tofu(tools, sdir, ['apply', '-input=false', '-auto-approve'], env)))[0];
        }
        for (const stack of ['example-crds', 'example']) {
          const sdir = join(dir, 'cdktf.out', 'stacks', stack);
          const [ms, out] = await timeAsync(() => tofu(tools, sdir, ['plan', '-input=false', '-detailed-exitcode'], env));
          if (!/No changes/.test(out)) console.log(`(n=${n}, ${stack}: the second plan is not empty)`);
          plan += ms;
        }
      } finally {
        await cluster.stop();
      }
      const baseline = await startCluster({ controllerManager: false });
      try {
        await baseline.applyObjects(await thirdPartyCrds(), { fieldManager: 'bench', warnings: 'ignore' });
        const objects = appObjects(rawApp(objectsJson));
        ssa = (await timeAsync(() => baseline.applyObjects(objects, { fieldManager: 'bench', warnings: 'ignore' })))[0];
      } finally {
        await baseline.stop();
      }
      rows.push([
        String(n), String(count),
        `${fmt(cdk8s)} (${ratio(cdk8s, cdk8sRaw)})`, fmt(cdk8sRaw),
        `${fmt(cdktf)} (${ratio(cdktf, cdktfRaw)})`, fmt(cdktfRaw),
        fmt(init), `${fmt(deploy)} (${ratio(deploy, ssa)})`, fmt(ssa), fmt(plan),
      ]);
      console.error(`n=${n} done`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const head = ['partitions', 'objects', 'cdk8s synth (vs raw)', 'raw cdk8s synth', 'cdktf synth (vs raw)', 'raw cdktf synth', 'tofu init', 'first deploy (vs SSA)', 'plain SSA', 'no-op plan'];
  console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

await main();
