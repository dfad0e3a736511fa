/**
 * (d) CDK Terrain: the packed package in a project as `cdktn init --template=typescript` lays it
 * out (cdktn 0.24, CommonJS, ts-node), with examples/cdktn/main.ts importing `cdktn` and
 * `platform-constructs/tn`. It type-checks; `cdktn synth` writes exactly what the cdktf example
 * writes; and `cdktn deploy` puts it on a real API server (OpenTofu and the alekc/kubectl provider
 * from the offline mirror): every object stored under our field manager, a second plan empty, a
 * changed prop an in-place update of that object only, `cdktn destroy` leaves nothing.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App as TfApp } from 'cdktf';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import { ExampleStacks } from '../../examples/cdktf/stack.js';
import { StateBackend } from '../../tf.js';
import { appObjects, objectRef, startCluster, thirdPartyCrds, type Cluster, type KubeObject } from '../cluster/index.js';
import { cdktf, ensureTerraformTools, terraformEnv, tofu, type TerraformTools } from '../cluster/terraform.js';
import { node22 } from '../peers/node-runtime.js';
import { asConsumerFile, CDKTN_VERSION, cdktnCli, cdktnProject, copyExampleInputs, packedPackage, readJson, run, tempProject } from './support.js';

const STACKS = ['example-crds', 'example'];

let dir: string;
let cluster: Cluster;
let tools: TerraformTools;
let env: NodeJS.ProcessEnv;
/** cdktn-cli needs Node >= 22.19 (its engines); the app it runs (`npx ts-node`) gets the same. */
let node: string;
const cli = () => ({ cwd: dir, cli: cdktnCli(dir), node, timeoutMs: 900_000 });

function stacksOf(outdir: string): Record<string, any> {
  const stacks = join(outdir, 'stacks');
  return Object.fromEntries(readdirSync(stacks).sort().map((s) => [s, readJson(join(stacks, s, 'cdk.tf.json'))]));
}

/** `tofu plan` of one synthesized stack: the resource changes that are not no-ops. */
async function plannedChanges(outdir: string, stack: string): Promise<{ address: string; actions: string[] }[]> {
  const sdir = join(outdir, 'stacks', stack);
  await tofu(tools, sdir, ['plan', '-input=false', '-lock=false', '-out=tfplan'], env);
  const plan = JSON.parse(await tofu(tools, sdir, ['show', '-json', 'tfplan'], env));
  return ((plan.resource_changes ?? []) as { address: string; change: { actions: string[] } }[])
    .filter((r) => !(r.change.actions.length === 1 && r.change.actions[0] === 'no-op'))
    .map((r) => ({ address: r.address, actions: r.change.actions }));
}

async function stored(objects: readonly KubeObject[]): Promise<Map<string, KubeObject | undefined>> {
  const got = await Promise.all(objects.map((o) => cluster.get(o, 'default')));
  return new Map(objects.map((o, i) => [objectRef(o), got[i]]));
}

beforeAll(async () => {
  const pkg = await packedPackage();
  dir = tempProject('cdktn');
  await cdktnProject(dir, pkg.file);
  writeFileSync(join(dir, 'example.ts'), asConsumerFile('examples/cdk8s/app.ts'));
  writeFileSync(join(dir, 'main.ts'), asConsumerFile('examples/cdktn/main.ts', { '../cdk8s/app.js': './example' }));
  copyExampleInputs(dir);

  tools = await ensureTerraformTools();
  cluster = await startCluster({ controllerManager: true });
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  node = node22();
  env = terraformEnv(tools, {
    KUBECONFIG: cluster.kubeconfigPath,
    PLATFORM_CONSTRUCTS_TF_STATE_DIR: join(dir, 'state'),
    PATH: `${dirname(node)}:${process.env.PATH}`,
  });
}, 1_800_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a cdktn init --template=typescript project', () => {
  it('type-checks against cdktn with the template compile script', async () => {
    expect(readJson(join(dir, 'package.json')).dependencies).toHaveProperty('cdktn', `^${CDKTN_VERSION}`);
    expect(readJson(join(dir, 'package.json')).dependencies).not.toHaveProperty('cdktf');
    await run('npm', ['run', 'compile'], { cwd: dir });
  }, 300_000);

  it('synthesizes through platform-constructs/tn exactly what the cdktf example gives', async () => {
    const outdir = join(dir, 'synth.out');
    await cdktf(['synth', '--output', outdir], env, cli());
    const repo = join(dir, 'repo.out');
    const app = new TfApp({ outdir: repo });
    new ExampleStacks(app, 'example', { kubeconfig: cluster.kubeconfigPath, backend: StateBackend.local(join(dir, 'state')) });
    app.synth();
    const ours = stacksOf(outdir);
    expect(Object.keys(ours)).toEqual(['example', 'example-crds']);
    // The same stacks, but for the core library's name and version in the metadata.
    const strip = (s: Record<string, any>) => JSON.parse(JSON.stringify(s, (k, v) => (k === '//' ? undefined : v)));
    expect(strip(ours)).toEqual(strip(stacksOf(repo)));
    expect(Object.keys(ours.example.resource)).toEqual(['kubectl_manifest']);
  }, 300_000);

  it('deploys with cdktn deploy: a second plan is empty, a changed prop updates one object in place, destroy removes everything', async () => {
    const objects = appObjects(buildExampleApp());
    const outdir = join(dir, 'cdktf.out');
    const common = ['--auto-approve', '--skip-provider-lock', '--output', outdir];
    await cdktf(['deploy', ...STACKS, ...common], env, cli());
    const first = await stored(objects);
    for (const [ref, o] of first) {
      expect({ ref, stored: !!o }).toEqual({ ref, stored: true });
      expect(((o!.metadata!.managedFields ?? []) as { manager: string }[]).map((m) => m.manager)).toContain('platform-constructs');
    }
    for (const stack of STACKS) expect({ stack, changes: await plannedChanges(outdir, stack) }).toEqual({ stack, changes: [] });

    // A label added to the first Deployment, through a variant of main.ts.
    const target = objects.find((o) => o.kind === 'Deployment')!;
    const main = readFileSync(join(dir, 'main.ts'), 'utf8');
    const anchor = 'const source = buildExampleApp();';
    expect(main).toContain(anchor);
    writeFileSync(join(dir, 'variant.ts'), main.replace(anchor, `${anchor}
for (const c of source.charts.flatMap((chart) => chart.node.findAll())) {
  const o = c as unknown as { kind?: string; metadata?: { name?: string; addLabel(k: string, v: string): void } };
  if (o.kind === ${JSON.stringify(target.kind)} && o.metadata?.name === ${JSON.stringify(target.metadata!.name)}) o.metadata.addLabel('platform-constructs.test/revision', '2');
}`));
    await cdktf(['deploy', ...STACKS, '--app', 'npx ts-node variant.ts', ...common], env, cli());
    const second = await stored(objects);
    expect(second.get(objectRef(target))!.metadata!.labels!['platform-constructs.test/revision']).toBe('2');
    for (const [ref, o] of second) expect({ ref, uid: o?.metadata?.uid }).toEqual({ ref, uid: first.get(ref)!.metadata!.uid });
    expect(await plannedChanges(outdir, 'example')).toEqual([]);

    await cdktf(['destroy', ...STACKS, '--app', 'npx ts-node variant.ts', ...common], env, cli());
    await cluster.waitFor(
      'every example object to be gone',
      async () => ([...(await stored(objects))].every(([, o]) => o === undefined) ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    for (const stack of STACKS) expect({ stack, state: (await tofu(tools, join(outdir, 'stacks', stack), ['state', 'list'], env)).trim() }).toEqual({ stack, state: '' });
  }, 1_800_000);
});
