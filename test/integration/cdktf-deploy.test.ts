/**
 * `cdktf deploy` end to end, offline, against a real API server (with kube-controller-manager):
 * the example stack (examples/cdktf, two stacks: `example-crds` then `example`) is deployed with
 * OpenTofu and the alekc/kubectl provider (the default engine) from a filesystem mirror
 * (test/cluster/build-terraform.sh; no registry, no checkpoint). Then: a second plan changes
 * nothing; a field changed by hand shows as drift and the next apply restores it; a changed prop
 * updates that one object in place; `cdktf destroy` removes everything, namespaces included.
 *
 * Workload rollouts are not waited on: the cluster has no scheduler and no kubelet, so pods stay
 * Pending; the resources are not asked to wait for rollouts, and the test checks the
 * objects the API server stores, not running pods.
 *
 * The test starts a cluster of its own (it deletes namespaces the shared cluster's other tests
 * may use, e.g. the example's `platform-example`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import { appObjects, objectRef, startCluster, thirdPartyCrds, type Cluster, type KubeObject } from '../cluster/index.js';
import { cdktf, ensureTerraformTools, terraformEnv, tofu, type TerraformTools } from '../cluster/terraform.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const STACKS = ['example-crds', 'example'];

let cluster: Cluster;
let tools: TerraformTools;
let work: string;
let env: NodeJS.ProcessEnv;
const outDir = () => join(work, 'cdktf.out');

/** The objects of the example as Terraform creates them (the default namespace spelled out). */
function expectedObjects(): KubeObject[] {
  return appObjects(buildExampleApp());
}

/** A cdktf app like examples/cdktf/main.ts, with a change to the example made before synthesis. */
function writeVariantApp(name: string, change: string): string {
  const file = join(work, `${name}.mts`); // ESM: top-level await
  writeFileSync(
    file,
    `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(REPO, 'package.json'))});
const { App } = require('cdktf');
const { ExampleStacks } = await import(${JSON.stringify(join(REPO, 'examples/cdktf/stack.ts'))});
const { StateBackend } = await import(${JSON.stringify(join(REPO, 'tf.ts'))});
const { buildExampleApp } = await import(${JSON.stringify(join(REPO, 'examples/cdk8s/app.ts'))});
const source = buildExampleApp();
const objects = source.charts.flatMap((c: any) => c.node.findAll()).filter((c: any) => typeof c.kind === 'string' && c.metadata);
${change}
const app = new App();
new ExampleStacks(app, 'example', { source, backend: StateBackend.local(process.env.PLATFORM_CONSTRUCTS_TF_STATE_DIR) });
app.synth();
`,
  );
  return `${join(REPO, 'node_modules', '.bin', 'tsx')} ${file}`;
}

/** `tofu plan` of one synthesized stack: the resource changes that are not no-ops. */
async function plannedChanges(stack: string): Promise<{ address: string; actions: string[] }[]> {
  const dir = join(outDir(), 'stacks', stack);
  await tofu(tools, dir, ['plan', '-input=false', '-lock=false', '-out=tfplan']);
  const plan = JSON.parse(await tofu(tools, dir, ['show', '-json', 'tfplan']));
  return ((plan.resource_changes ?? []) as { address: string; change: { actions: string[] } }[])
    .filter((r) => !(r.change.actions.length === 1 && r.change.actions[0] === 'no-op'))
    .map((r) => ({ address: r.address, actions: r.change.actions }));
}

/** When and what the field manager `platform-constructs` last wrote to the object. */
function ourWrite(o: KubeObject): unknown {
  return ((o.metadata?.managedFields ?? []) as { manager: string; time?: string; fieldsV1?: unknown }[])
    .filter((m) => m.manager === 'platform-constructs')
    .map((m) => [m.time, m.fieldsV1]);
}

async function stored(objects: readonly KubeObject[]): Promise<Map<string, KubeObject | undefined>> {
  const got = await Promise.all(objects.map((o) => cluster.get(o, 'default')));
  return new Map(objects.map((o, i) => [objectRef(o), got[i]]));
}

beforeAll(async () => {
  tools = await ensureTerraformTools();
  cluster = await startCluster({ controllerManager: true });
  // The operators the stack expects (KEDA, Percona) are installed: their CRDs, not the stack's.
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  work = mkdtempSync(join(tmpdir(), 'cdktf-e2e-'));
  env = terraformEnv(tools, { KUBECONFIG: cluster.kubeconfigPath, PLATFORM_CONSTRUCTS_TF_STATE_DIR: join(work, 'state') });
}, 1_800_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('cdktf deploy creates every object; a second plan is empty; a changed prop updates one object in place; destroy removes everything', async () => {
  const objects = expectedObjects();
  expect(objects.length).toBeGreaterThan(0);
  const common = ['--auto-approve', '--skip-provider-lock', '--output', outDir()];

  // 1. The README's command, with the project's cdktf.json app: every stack, CRDs first.
  const deployLog = await cdktf(['deploy', ...STACKS, ...common], env);
  expect(deployLog).not.toMatch(/registry\.terraform\.io.*(could not|failed|error)/i);
  const first = await stored(objects);
  for (const [ref, o] of first) {
    expect({ ref, stored: !!o }).toEqual({ ref, stored: true });
    expect(((o!.metadata!.managedFields ?? []) as { manager: string }[]).map((m) => m.manager)).toContain('platform-constructs');
  }

  // 2. Idempotent: nothing to do on a second plan, in either stack; cdktf diff agrees.
  for (const stack of STACKS) expect({ stack, changes: await plannedChanges(stack) }).toEqual({ stack, changes: [] });
  expect(await cdktf(['diff', 'example', '--skip-provider-lock', '--output', outDir()], env)).toMatch(/No changes/);

  // 3. Drift: a field the stack sets, changed by hand in the cluster, shows in the plan as an
  // update of that object only, and the next apply puts it back.
  const target = objects.find((o) => o.kind === 'Deployment') ?? objects.find((o) => o.kind !== 'Namespace')!;
  const managedBy = target.metadata!.labels!['app.kubernetes.io/managed-by'];
  expect(managedBy).toBeDefined();
  await cluster.request('PATCH', await cluster.pathOf(target, 'default'), { metadata: { labels: { 'app.kubernetes.io/managed-by': 'by-hand' } } }, { contentType: 'application/merge-patch+json' });
  const drift = await plannedChanges('example');
  expect(drift.map((c) => c.actions)).toEqual([['update']]);
  expect(drift[0].address).toContain(`_${target.kind.toLowerCase()}_`);
  await tofu(tools, join(outDir(), 'stacks', 'example'), ['apply', '-input=false', '-auto-approve'], env);
  expect((await cluster.get(target, 'default'))!.metadata!.labels!['app.kubernetes.io/managed-by']).toBe(managedBy);
  expect(await plannedChanges('example')).toEqual([]);
  first.set(objectRef(target), await cluster.get(target, 'default'));

  // 4. A changed prop (a label on the first Deployment) is an in-place update of that object only.
  const variant = writeVariantApp(
    'changed',
    `const target = objects.find((o: any) => o.kind === ${JSON.stringify(target.kind)} && o.metadata.name === ${JSON.stringify(target.metadata!.name)});
target.metadata.addLabel('platform-constructs.test/revision', '2');`,
  );
  await cdktf(['synth', '--app', variant, '--output', outDir()], env);
  const changes = await plannedChanges('example');
  expect(changes).toHaveLength(1);
  expect(changes[0].actions).toEqual(['update']);
  expect(changes[0].address).toContain(`_${target.kind.toLowerCase()}_`);
  expect(await plannedChanges('example-crds')).toEqual([]);

  await cdktf(['deploy', ...STACKS, '--app', variant, ...common], env);
  const second = await stored(objects);
  for (const [ref, o] of second) {
    const before = first.get(ref)!;
    expect({ ref, uid: o?.metadata?.uid }).toEqual({ ref, uid: before.metadata!.uid }); // updated in place, not replaced
    if (ref === objectRef(target)) {
      expect(o!.metadata!.labels!['platform-constructs.test/revision']).toBe('2');
    } else {
      // Terraform wrote nothing else: our field manager's last write is unchanged (the
      // resourceVersion is no measure: controllers write status, e.g. the HPA's conditions).
      expect({ ref, write: ourWrite(o!) }).toEqual({ ref, write: ourWrite(before) });
    }
  }
  expect(await plannedChanges('example')).toEqual([]);

  // 5. Destroy: every object goes, namespaces included (kube-controller-manager empties them).
  await cdktf(['destroy', ...STACKS, '--app', variant, ...common], env);
  await cluster.waitFor(
    'every example object to be gone',
    async () => {
      const left = [...(await stored(objects))].filter(([, o]) => o !== undefined).map(([ref]) => ref);
      return left.length === 0 ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  for (const stack of STACKS) {
    const state = await tofu(tools, join(outDir(), 'stacks', stack), ['state', 'list']);
    expect({ stack, state: state.trim() }).toEqual({ stack, state: '' });
  }
}, 1_800_000);
