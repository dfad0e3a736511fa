/**
 * The GitOps layout of the example stack, as a user's CI would check it: kustomize builds the
 * root folder and kube-score (pinned, built from its Go module by test/cluster/build-terraform.sh)
 * scores every object. No critical finding is allowed apart from the ignores of
 * kube-score-ignores.ts, each of which must still match a finding. A copy of the objects with
 * one container's ephemeral-storage limit removed shows the scan is not vacuous.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import { GitOpsLayout } from '../../lib/gitops/index.js';
import type { KubeObject } from '../cluster/index.js';
import { ensureTerraformTools, kustomizeBuild, type TerraformTools } from '../cluster/terraform.js';
import { KUBE_SCORE_IGNORES } from './kube-score-ignores.js';

const run = promisify(execFile);

/** kube-score's JSON (v2) report: one entry per object it knows. */
interface ScoredObject {
  readonly type_meta: { readonly kind: string };
  readonly object_meta: { readonly name: string; readonly namespace?: string };
  readonly checks: ReadonlyArray<{
    readonly check: { readonly id: string };
    readonly grade: number;
    readonly skipped: boolean;
    readonly comments: ReadonlyArray<{ readonly path: string; readonly summary: string }> | null;
  }>;
}

/** kube-score's grade of a critical finding (scorecard.GradeCritical). */
const CRITICAL = 1;

let tools: TerraformTools;
let work: string;
let objects: KubeObject[];

async function kubeScore(docs: readonly KubeObject[], name: string, options: { globalIgnores: boolean } = { globalIgnores: true }): Promise<ScoredObject[]> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  const globalIgnores = options.globalIgnores ? KUBE_SCORE_IGNORES.filter((i) => i.object === undefined).flatMap((i) => ['--ignore-test', i.check]) : [];
  const args = ['score', '--kubernetes-version', 'v1.34', '--output-format', 'json', ...globalIgnores, file];
  try {
    const { stdout } = await run(tools.kubeScore, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return JSON.parse(stdout) as ScoredObject[];
  } catch (err) {
    // Exit code 1 means findings; the report is on stdout all the same.
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    if (e.code === 1 && e.stdout) return JSON.parse(e.stdout) as ScoredObject[];
    throw new Error(`kube-score ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** `<kind>/<namespace>/<name>: <check id>: <summary>` of each critical finding. */
function criticalFindings(report: readonly ScoredObject[]): Array<{ object: string; check: string; line: string }> {
  return report.flatMap((o) => {
    const object = `${o.type_meta.kind}/${o.object_meta.namespace ?? ''}/${o.object_meta.name}`;
    return o.checks
      .filter((c) => c.grade === CRITICAL && !c.skipped)
      .map((c) => ({ object, check: c.check.id, line: `${object}: ${c.check.id}: ${(c.comments ?? []).map((m) => `${m.path ? `(${m.path}) ` : ''}${m.summary}`).join('; ')}` }));
  });
}

const ignoredForObject = (f: { object: string; check: string }) => KUBE_SCORE_IGNORES.some((i) => i.object === f.object && i.check === f.check);

beforeAll(async () => {
  tools = await ensureTerraformTools();
  work = mkdtempSync(join(tmpdir(), 'kube-score-'));
  const layout = GitOpsLayout.fromApp(buildExampleApp());
  const root = join(work, 'layout');
  for (const [path, content] of layout.files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  objects = parseAllDocuments(await kustomizeBuild(tools, root)).map((d) => d.toJS() as KubeObject);
}, 1_800_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('kube-score finds nothing critical in the GitOps layout but the documented ignores, each still needed', async () => {
  const report = await kubeScore(objects, 'stack');
  // Every workload of the layout was scored (a parse failure would score nothing).
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind));
  expect(workloads.length).toBeGreaterThan(5);
  const scored = new Set(report.map((o) => `${o.type_meta.kind}/${o.object_meta.namespace ?? ''}/${o.object_meta.name}`));
  for (const w of workloads) expect(scored).toContain(`${w.kind}/${w.metadata?.namespace ?? ''}/${w.metadata?.name}`);

  const findings = criticalFindings(report);
  expect(findings.filter((f) => !ignoredForObject(f)).map((f) => f.line)).toEqual([]);
  const stale = KUBE_SCORE_IGNORES.filter((i) => i.object !== undefined && !findings.some((f) => f.object === i.object && f.check === i.check));
  expect(stale).toEqual([]);
  // The global ignores are still needed too: without them, their check fails somewhere.
  const unfiltered = criticalFindings(await kubeScore(objects, 'unfiltered', { globalIgnores: false }));
  const unneeded = KUBE_SCORE_IGNORES.filter((i) => i.object === undefined && !unfiltered.some((f) => f.check === i.check)).map((i) => i.check);
  expect(unneeded).toEqual([]);
}, 300_000);

test('the scan catches a container without an ephemeral-storage limit', async () => {
  const broken = structuredClone(objects);
  const deployment = broken.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'control-plane')!;
  const container = (deployment.spec as { template: { spec: { containers: Array<{ resources: { limits: Record<string, string> } }> } } }).template.spec.containers[0];
  delete container.resources.limits['ephemeral-storage'];
  const findings = criticalFindings(await kubeScore(broken, 'broken')).filter((f) => !ignoredForObject(f));
  expect(findings.map((f) => f.line)).toEqual([`Deployment/armonik/control-plane: container-ephemeral-storage-request-and-limit: (control-plane) Ephemeral Storage limit is not set`]);
}, 300_000);
