/**
 * Synthesis of N components that each consume 3 modules: through the contract (modules parsed
 * and validated, merged, rendered, applied to an L1 Deployment) versus a hand-written raw
 * `ApiObject` baseline that builds the same JSON directly. Each (path, N) runs in a fresh child
 * process, alternating paths, several rounds; the table shows medians and the ratio.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { applyToPodSpec, ModuleOutputs } from '../../lib/contract/index.js';
import { resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/index.js';

type PathName = 'contract' | 'baseline';

/** Three modules per component, with per-component values so nothing is shared or cached. */
function modulesFor(i: number) {
  return {
    queue: {
      env: { Amqp__Host: `mq-${i}.svc`, Amqp__Port: 5672, Amqp__Scheme: 'AMQPS' },
      env_secret: [`mq-${i}-credentials`],
      mount_secret: { certificate: { secret: `mq-${i}`, path: '/amqp', mode: '0644' } },
    },
    db: {
      env: { MongoDB__Host: `db-${i}.svc`, MongoDB__Port: 27017, MongoDB__Tls: true },
      env_from_secret: { MongoDB__User: { secret: `db-${i}-user`, field: 'username' }, MongoDB__Password: { secret: `db-${i}-user`, field: 'password' } },
      mount_secret: { 'db-certificate': { secret: `db-${i}-ca`, path: '/mongodb/certs', mode: '0644' } },
    },
    storage: {
      env: { LocalStorage__Path: '/local_storage' },
      mount_volume: { shared: { claim_name: 'nfsvolume', path: '/local_storage' } },
    },
  };
}

function container(i: number) {
  return { name: 'main', image: `component:${i}`, securityContext: restrictedContainerSecurityContext() };
}

function viaContract(chart: Chart, i: number): void {
  const m = modulesFor(i);
  const outputs = ModuleOutputs.merge([
    ModuleOutputs.fromObject('queue', m.queue),
    ModuleOutputs.fromObject('db', m.db),
    ModuleOutputs.fromObject('storage', m.storage),
  ]);
  new k8s.KubeDeployment(chart, `c${i}`, {
    metadata: { name: `component-${i}` },
    spec: {
      selector: { matchLabels: { app: `component-${i}` } },
      template: {
        metadata: { labels: { app: `component-${i}` } },
        spec: applyToPodSpec<k8s.PodSpec>(
          { securityContext: restrictedPodSecurityContext(), containers: [{ ...container(i), resources: resourceRequirements() }] },
          outputs.toPodSpecParts(),
        ),
      },
    },
  });
}

/** What a careful engineer writes by hand: the same JSON, no validation, no conflict checks. */
function viaBaseline(chart: Chart, i: number): void {
  const m = modulesFor(i);
  const literal = { ...m.queue.env, ...m.db.env, ...m.storage.env } as Record<string, unknown>;
  const env: unknown[] = Object.keys(literal).sort().map((name) => ({ name, value: String(literal[name]) }));
  for (const name of Object.keys(m.db.env_from_secret).sort()) {
    const ref = m.db.env_from_secret[name as keyof typeof m.db.env_from_secret];
    env.push({ name, valueFrom: { secretKeyRef: { key: ref.field, name: ref.secret } } });
  }
  new ApiObject(chart, `c${i}`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `component-${i}` },
    spec: {
      selector: { matchLabels: { app: `component-${i}` } },
      template: {
        metadata: { labels: { app: `component-${i}` } },
        spec: {
          securityContext: restrictedPodSecurityContext(),
          containers: [{
            ...container(i),
            resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
            env,
            envFrom: [{ secretRef: { name: `mq-${i}-credentials` } }],
            volumeMounts: [
              { mountPath: '/amqp', name: 'certificate', readOnly: true },
              { mountPath: '/local_storage', name: 'shared' },
              { mountPath: '/mongodb/certs', name: 'db-certificate', readOnly: true },
            ],
          }],
          volumes: [
            { name: 'certificate', secret: { defaultMode: 420, secretName: `mq-${i}` } },
            { name: 'db-certificate', secret: { defaultMode: 420, secretName: `db-${i}-ca` } },
            { name: 'shared', persistentVolumeClaim: { claimName: 'nfsvolume' } },
          ],
        },
      },
    },
  });
}

/** Child mode: build and synthesize once, print the measurements as JSON. */
function child(path: PathName, n: number): void {
  const start = process.hrtime.bigint();
  const app = new App();
  const chart = new Chart(app, 'bench');
  for (let i = 0; i < n; i++) (path === 'contract' ? viaContract : viaBaseline)(chart, i);
  const yaml = app.synthYaml();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, bytes: yaml.length, hash: hash(yaml) }));
}

function hash(s: string): string {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

function runChild(path: PathName, n: number): { ms: number; maxRssMb: number; bytes: number; hash: string } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', path, String(n)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path} N=${n} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const sizes = (process.env.BENCH_SIZES ?? '100,1000,3000').split(',').map(Number);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const rows: string[][] = [['N', 'contract ms', 'baseline ms', 'time ratio', 'contract MB', 'baseline MB', 'memory ratio', 'same YAML']];
  for (const n of sizes) {
    const runs: Record<PathName, Array<ReturnType<typeof runChild>>> = { contract: [], baseline: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternate which path goes first so drift on a noisy machine hits both alike.
      const order: PathName[] = r % 2 ? ['baseline', 'contract'] : ['contract', 'baseline'];
      for (const p of order) runs[p].push(runChild(p, n));
    }
    const t = { c: median(runs.contract.map((x) => x.ms)), b: median(runs.baseline.map((x) => x.ms)) };
    const m = { c: median(runs.contract.map((x) => x.maxRssMb)), b: median(runs.baseline.map((x) => x.maxRssMb)) };
    rows.push([
      String(n), t.c.toFixed(0), t.b.toFixed(0), `${(t.c / t.b).toFixed(2)}x`,
      m.c.toFixed(0), m.b.toFixed(0), `${(m.c / m.b).toFixed(2)}x`,
      runs.contract[0].hash === runs.baseline[0].hash ? 'yes' : 'NO',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    console.log(`| ${r.map((c, i) => c.padStart(widths[i])).join(' | ')} |`);
    if (k === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
  console.log(`\nmedian of ${rounds} runs each, one fresh process per run (time includes building the app and synthYaml; memory is peak RSS).`);
}

if (process.argv[2] === '--child') child(process.argv[3] as PathName, Number(process.argv[4]));
else main();
