/**
 * `npm run bench -- deploy`: the example stack (test/bench/deploy-stack.ts: namespace, storage
 * modules, control plane, metrics, and a compute plane of 1, 10, 100 and 300 partitions) deployed
 * on a fresh real API server, side by side:
 *
 * - plain server-side apply of the same objects (what a GitOps tool does; the baseline): first
 *   apply, a dry-run apply of everything (what a no-op plan compares to), the one-field change
 *   (one object), delete of every object;
 * - cdktf and cdktn (CDK Terrain), kubectl engine (the default): the CLI's `synth`, then OpenTofu
 *   with the providers from the offline mirror: first deploy (`init` + `apply` of both stacks),
 *   no-op `plan`, the one-field change (`apply` of the re-synthesized stack: plan + apply),
 *   `destroy`; and `<cli> deploy` end to end once (synth, init, plan, apply);
 * - cdktf with the kubernetesManifest engine: the same steps (the "before").
 *
 * The CPU time of tofu and its provider in the no-op plan is shown beside it (children's
 * rusage). Ratios are against the server-side apply baseline of the same size. One run each; the
 * machines are noisy. Never fails on time.
 *
 * Env: BENCH_PARTITIONS (default 1,10,100,300), BENCH_DEPLOY_TOOLS (default
 * cdktf,cdktn,cdktf-kubernetes-manifest), BENCH_MANIFEST_MAX_PARTITIONS (the kubernetesManifest
 * engine only up to this size; default 300).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiObject, App as Cdk8sApp, Chart } from 'cdk8s';
import { GitOpsLayout } from '../../lib/gitops/index.js';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { thirdPartyCrds } from '../cluster/crds.js';
import { appObjects } from '../cluster/manifests.js';
import { cdktf, ensureTerraformTools, terraformEnv, tofu, type TerraformTools } from '../cluster/terraform.js';
import { asConsumerFile, cdktnCli, cdktnProject, copyExampleInputs, packedPackage, tempProject } from '../package/support.js';
import { node22 } from '../peers/node-runtime.js';
import { buildDeployStack } from './deploy-stack.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const TSX = join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SIZES = (process.env.BENCH_PARTITIONS ?? '1,10,100,300').split(',').map(Number);
const TOOLS = (process.env.BENCH_DEPLOY_TOOLS ?? 'cdktf,cdktn,cdktf-kubernetes-manifest').split(',');
const MANIFEST_MAX = Number(process.env.BENCH_MANIFEST_MAX_PARTITIONS ?? 300);
const STACKS = ['bench-crds', 'bench'];

type Tool = 'cdktf' | 'cdktn' | 'cdktf-kubernetes-manifest';

/**
 * The bench's cdktf/cdktn app: buildDeployStack(BENCH_N, BENCH_REVISION) as two stacks (CRDs,
 * the rest), like examples/cdktf. `core` and `entry` pick the library; the rest is identical.
 */
function appSource(core: string, entry: string, stackModule: string): string {
  return `import { App, LocalBackend, TerraformStack } from '${core}';
import { HashicorpKubernetesProvider, isCustomResourceDefinition, KubectlProvider, KubernetesManifests, ManifestEngine } from '${entry}';
import { buildDeployStack } from '${stackModule}';

const source = buildDeployStack(Number(process.env.BENCH_N), process.env.BENCH_REVISION || undefined);
const kubeconfig = process.env.KUBECONFIG!;
const engine = process.env.BENCH_ENGINE === 'kubernetes-manifest' ? ManifestEngine.kubernetesManifest() : ManifestEngine.kubectl();
const app = new App();
const stacks = ['bench-crds', 'bench'].map((name) => {
  const stack = new TerraformStack(app, name);
  new LocalBackend(stack, { path: \`\${process.env.BENCH_STATE_DIR}/\${name}.tfstate\` });
  const provider = engine.providerName === 'kubectl' ? new KubectlProvider(stack, 'kubectl', { configPath: kubeconfig }) : new HashicorpKubernetesProvider(stack, 'kubernetes', { configPath: kubeconfig });
  new KubernetesManifests(stack, 'bench', { source, engine, provider, select: name === 'bench-crds' ? isCustomResourceDefinition : (o) => !isCustomResourceDefinition(o) });
  return stack;
});
stacks[1].addDependency(stacks[0]);
app.synth();
`;
}

/** CPU seconds (user + system) of this process's waited-for children so far. */
function childrenCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const tick = 100; // USER_HZ on Linux
  return (Number(fields[13]) + Number(fields[14])) / tick; // cutime, cstime
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await f();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const x = (a: number, b: number) => `${(a / b).toFixed(1)}×`;

async function freshCluster(): Promise<Cluster> {
  // With kube-controller-manager: destroy waits for Jobs' and namespaces' finalizers, which it runs.
  const cluster = await startCluster({ controllerManager: true });
  // The operators' CRDs a cluster running the stack has (KEDA, Percona), not part of the stack.
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'bench', warnings: 'ignore' });
  return cluster;
}

interface Baseline { first: number; dryRun: number; change: number; destroy: number }

async function serverSideApply(n: number): Promise<Baseline> {
  const objects = appObjects(buildDeployStack(n));
  const changed = appObjects(buildDeployStack(n, '2')).filter((o, i) => JSON.stringify(o) !== JSON.stringify(objects[i]));
  if (changed.length !== 1) throw new Error(`the one-field change touches ${changed.length} objects`);
  const cluster = await freshCluster();
  try {
    const opts = { fieldManager: 'platform-constructs', warnings: 'ignore' as const };
    const [first] = await timed(() => cluster.applyObjects(objects, opts));
    const [dryRun] = await timed(() => cluster.applyObjects(objects, { ...opts, dryRun: true }));
    const [change] = await timed(() => cluster.applyObjects(changed, opts));
    const [destroy] = await timed(async () => {
      for (const o of [...objects].reverse()) await cluster.delete(o, { namespace: 'default' });
    });
    return { first, dryRun, change, destroy };
  } finally {
    await cluster.stop();
  }
}

interface ToolRun { synth: number; deploy: number; plan: number; planCpu: number; change: number; destroy: number; cliDeploy: number }

/** Where each tool's CLI and app live. */
interface Runner { cli: string; node: string; cwd: string; app: string }

async function runTool(tool: Tool, n: number, runner: Runner, tools: TerraformTools, work: string): Promise<ToolRun> {
  const dir = join(work, `${tool}-${n}`);
  mkdirSync(join(dir, 'state'), { recursive: true });
  const cluster = await freshCluster();
  try {
    copyFileSync(cluster.kubeconfigPath, join(dir, 'kubeconfig'));
    const env = (revision = '') => terraformEnv(tools, {
      KUBECONFIG: join(dir, 'kubeconfig'), BENCH_N: String(n), BENCH_REVISION: revision, BENCH_STATE_DIR: join(dir, 'state'),
      BENCH_ENGINE: tool === 'cdktf-kubernetes-manifest' ? 'kubernetes-manifest' : 'kubectl', PATH: `${dirname(runner.node)}:${process.env.PATH}`,
    });
    const out = join(dir, 'out');
    const cli = (args: string[], e: NodeJS.ProcessEnv) => cdktf([...args, '--app', runner.app, '--output', out], e, { cwd: runner.cwd, cli: runner.cli, node: runner.node, timeoutMs: 3_600_000 });
    const stackDir = (s: string) => join(out, 'stacks', s);
    const [synth] = await timed(() => cli(['synth'], env()));
    const [deploy] = await timed(async () => {
      for (const s of STACKS) {
        await tofu(tools, stackDir(s), ['init', '-input=false'], env());
        await tofu(tools, stackDir(s), ['apply', '-input=false', '-auto-approve'], env());
      }
    });
    const cpu0 = childrenCpu();
    const [plan] = await timed(async () => {
      for (const s of STACKS) {
        const text = await tofu(tools, stackDir(s), ['plan', '-input=false'], env());
        if (!/No changes/.test(text)) console.log(`(${tool} n=${n} ${s}: the no-op plan is not empty)`);
      }
    });
    const planCpu = childrenCpu() - cpu0;
    await cli(['synth'], env('2'));
    const [change, changed] = await timed(() => tofu(tools, stackDir('bench'), ['apply', '-input=false', '-auto-approve'], env('2')));
    if (!/0 added, 1 changed, 0 destroyed/.test(changed)) console.log(`(${tool} n=${n}: the one-field change did not change one object)`);
    const [destroy] = await timed(async () => {
      for (const s of [...STACKS].reverse()) await tofu(tools, stackDir(s), ['destroy', '-input=false', '-auto-approve'], env('2'));
    });
    return { synth, deploy, plan, planCpu, change, destroy, cliDeploy: await cliDeploy(tool, n, runner, tools, dir) };
  } finally {
    await cluster.stop();
  }
}

/** The user's one command, `<cli> deploy`, end to end on another fresh cluster. */
async function cliDeploy(tool: Tool, n: number, runner: Runner, tools: TerraformTools, parent: string): Promise<number> {
  const dir = join(parent, 'cli');
  mkdirSync(join(dir, 'state'), { recursive: true });
  const cluster = await freshCluster();
  try {
    copyFileSync(cluster.kubeconfigPath, join(dir, 'kubeconfig'));
    const env = terraformEnv(tools, {
      KUBECONFIG: join(dir, 'kubeconfig'), BENCH_N: String(n), BENCH_REVISION: '', BENCH_STATE_DIR: join(dir, 'state'),
      BENCH_ENGINE: tool === 'cdktf-kubernetes-manifest' ? 'kubernetes-manifest' : 'kubectl', PATH: `${dirname(runner.node)}:${process.env.PATH}`,
    });
    const args = ['deploy', ...STACKS, '--auto-approve', '--skip-provider-lock', '--app', runner.app, '--output', join(dir, 'out')];
    return (await timed(() => cdktf(args, env, { cwd: runner.cwd, cli: runner.cli, node: runner.node, timeoutMs: 3_600_000 })))[0];
  } finally {
    await cluster.stop();
  }
}

/** The cdktn project (packed package, cdktn 0.24) the cdktn runs use, and its app. */
async function cdktnRunner(node: string): Promise<Runner> {
  const dir = tempProject('bench-cdktn');
  await cdktnProject(dir, (await packedPackage()).file);
  writeFileSync(join(dir, 'example.ts'), asConsumerFile('examples/cdk8s/app.ts'));
  writeFileSync(join(dir, 'deploy-stack.ts'), asConsumerFile('test/bench/deploy-stack.ts', { '../../examples/cdk8s/app.js': './example' }));
  writeFileSync(join(dir, 'bench.ts'), appSource('cdktn', 'platform-constructs/tn', './deploy-stack'));
  copyExampleInputs(dir);
  // The same TypeScript runner as the cdktf app (tsx), so the CLIs and libraries differ, not the runner.
  return { cli: cdktnCli(dir), node, cwd: dir, app: `${node} ${TSX} bench.ts` };
}

/** The synth-only comparison of the earlier table: our constructs vs raw ApiObjects. */
function rawApp(app: Cdk8sApp): Cdk8sApp {
  const raw = new Cdk8sApp();
  for (const c of app.charts) {
    const chart = new Chart(raw, c.node.id, { disableResourceNameHashes: true });
    c.toJson().forEach((o: any, i: number) => new ApiObject(chart, `o${i}`, o));
  }
  return raw;
}

function medianMs(f: () => void, rounds = 3): number {
  f();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    f();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return ms.sort((a, b) => a - b)[Math.floor(rounds / 2)];
}

async function main(): Promise<void> {
  const tools = await ensureTerraformTools();
  const work = mkdtempSync(join(tmpdir(), 'deploy-bench-'));
  const node = node22();
  const cdktfRunner: Runner = {
    // In the repository (the example reads examples/modules/ from the working directory).
    cli: join(REPO, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf'), node: process.execPath, cwd: REPO,
    app: `${process.execPath} ${TSX} ${join(work, 'bench-cdktf.ts')}`,
  };
  writeFileSync(join(work, 'bench-cdktf.ts'), appSource(join(REPO, 'node_modules', 'cdktf', 'lib', 'index.js'), join(REPO, 'tf.ts'), join(HERE, 'deploy-stack.ts')));
  const runners: Partial<Record<Tool, Runner>> = { cdktf: cdktfRunner, 'cdktf-kubernetes-manifest': cdktfRunner };
  if (TOOLS.includes('cdktn')) runners.cdktn = await cdktnRunner(node);

  const synthRows: string[] = [];
  const rows: string[] = [];
  // Each row is also printed as soon as it is measured: a long run cut short keeps what it measured.
  const row = (r: string) => {
    rows.push(r);
    console.error(r);
  };
  try {
    for (const n of SIZES) {
      const objects = appObjects(buildDeployStack(n)).length;
      const ours = medianMs(() => GitOpsLayout.fromApp(buildDeployStack(n)).write(join(work, `gitops-${n}`)));
      const raw = medianMs(() => GitOpsLayout.fromApp(rawApp(buildDeployStack(n))).write(join(work, `gitops-raw-${n}`)));
      synthRows.push(`| ${n} | ${objects} | ${fmt(ours)} (${x(ours, raw)}) | ${fmt(raw)} |`);

      const ssa = await serverSideApply(n);
      row(`| ${n} | ${objects} | server-side apply | – | ${fmt(ssa.first)} | ${fmt(ssa.dryRun)} (dry run) | – | ${fmt(ssa.change)} | ${fmt(ssa.destroy)} | – |`);
      for (const tool of TOOLS as Tool[]) {
        if (tool === 'cdktf-kubernetes-manifest' && n > MANIFEST_MAX) continue;
        const r = await runTool(tool, n, runners[tool]!, tools, work);
        row(
          `| ${n} | ${objects} | ${tool === 'cdktf-kubernetes-manifest' ? 'cdktf, kubernetes_manifest' : `${tool}, kubectl_manifest`} | ${fmt(r.synth)} | ${fmt(r.deploy)} (${x(r.deploy, ssa.first)}) | ` +
            `${fmt(r.plan)} (${x(r.plan, ssa.dryRun)}) | ${r.planCpu.toFixed(1)} s | ${fmt(r.change)} | ${fmt(r.destroy)} (${x(r.destroy, ssa.destroy)}) | ${fmt(r.cliDeploy)} |`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (runners.cdktn) rmSync(runners.cdktn.cwd, { recursive: true, force: true });
  }
  console.log('| partitions | objects | cdk8s synth (vs raw ApiObjects) | raw ApiObjects |\n|---|---|---|---|');
  synthRows.forEach((r) => console.log(r));
  console.log('\n| partitions | objects | tool | CLI synth | first deploy (vs SSA) | no-op plan (vs SSA dry run) | plan CPU | one-field change | destroy (vs SSA delete) | `deploy` end to end |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  rows.forEach((r) => console.log(r));
}

await main();
