/**
 * The GitOps layout `npx cdk8s synth` writes (examples/cdk8s/main.ts → lib/gitops) is what a
 * GitOps tool can point at: a real kustomize (pinned, built by test/cluster/build-terraform.sh)
 * builds the root folder into exactly the app's objects, and the result applies to a real API
 * server (CRDs first, under PodSecurity restricted, pods admitted, a second apply a no-op).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import { GitOpsLayout } from '../../lib/gitops/index.js';
import { appObjects, objectRef, proveApply, startCluster, thirdPartyCrds, type Cluster, type KubeObject } from '../cluster/index.js';
import { ensureTerraformTools, kustomizeBuild, type TerraformTools } from '../cluster/terraform.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let tools: TerraformTools;
let cluster: Cluster;
let work: string;

function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  tools = await ensureTerraformTools();
  cluster = await startCluster({ controllerManager: true });
  // The operators the stack expects (KEDA, Percona) are installed: their CRDs, not the stack's.
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  work = mkdtempSync(join(tmpdir(), 'gitops-'));
}, 1_800_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('cdk8s synth writes a deterministic layout that kustomize builds into the app and the API server accepts', async () => {
  // The README's command, through the cdk8s CLI, twice: identical bytes, and the same files the
  // library lays out in process.
  const synth = async (out: string) => {
    await run(join(REPO, 'node_modules', '.bin', 'cdk8s'), ['synth', '--output', out], {
      cwd: REPO,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      timeout: 120_000,
    });
    return filesUnder(out);
  };
  const first = await synth(join(work, 'a'));
  const second = await synth(join(work, 'b'));
  expect([...second]).toEqual([...first]);
  const layout = GitOpsLayout.fromApp(buildExampleApp());
  expect(new Map([...first].map(([k, v]) => [k.split('\\').join('/'), v]))).toEqual(new Map(layout.files));

  // Every folder has a kustomization.yaml; the root lists the CRD folder (if any) first.
  for (const folder of layout.folders) expect(first.has(`${folder}/kustomization.yaml`)).toBe(true);
  expect(first.has('kustomization.yaml')).toBe(true);

  // kustomize builds the root into exactly the app's objects (kustomize adds or changes nothing).
  const built = parseAllDocuments(await kustomizeBuild(tools, join(work, 'a'))).map((d) => d.toJS() as KubeObject);
  const expected = appObjects(buildExampleApp());
  const key = (o: KubeObject) => objectRef(o);
  expect(built.map(key).sort()).toEqual(expected.map(key).sort());
  const byKey = new Map(expected.map((o) => [key(o), o]));
  for (const o of built) expect(o).toEqual(byKey.get(key(o)));

  // And the result is what a real API server accepts.
  const report = await proveApply(cluster, built, { fieldManager: 'platform-constructs-gitops', namespacePrefix: 'gitops' });
  expect(report.applied.length).toBeGreaterThanOrEqual(built.length);
  expect(report.changedBySecondApply).toEqual([]);
}, 600_000);
