/**
 * Synthesis of N components that each consume 3 modules:
 * - `contract`: modules parsed and validated, merged, rendered and applied to the pod spec of an
 *   `ApiObject` Deployment: the cost of the contract itself;
 * - `contract+L1`: the same parts in a typed L1 `k8s.KubeDeployment` (what the example does; the
 *   L1 classes re-map every field at synth);
 * - `baseline`: a hand-written raw `ApiObject` that builds the same JSON directly.
 * All three must synthesize byte-identical YAML. Each (path, N) runs in a fresh child process,
 * rotating the order, several rounds; the table shows medians and ratios to the baseline.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { applyToPodSpec, ModuleOutputs } from '../../lib/contract/index.js';
import { resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/index.js';

type PathName = 'contract' | 'contract+L1' | 'baseline';
const PATHS: PathName[] = ['contract', 'contract+L1', 'baseline'];

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

function contractParts(i: number) {
  const m = modulesFor(i);
  return ModuleOutputs.merge([
    ModuleOutputs.fromObject('queue', m.queue),
    ModuleOutputs.fromObject('db', m.db),
    ModuleOutputs.fromObject('storage', m.storage),
  ]).toPodSpecParts();
}

function viaContract(chart: Chart, i: number): void {
  new ApiObject(chart, `c${i}`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `component-${i}` },
    spec: {
      selector: { matchLabels: { app: `component-${i}` } },
      template: {
        metadata: { labels: { app: `component-${i}` } },
        spec: applyToPodSpec(
          { securityContext: restrictedPodSecurityContext(), containers: [{ ...container(i), resources: PLAIN_RESOURCES }] },
          contractParts(i),
        ),
      },
    },
  });
}

function viaContractL1(chart: Chart, i: number): void {
  new k8s.KubeDeployment(chart, `c${i}`, {
    metadata: { name: `component-${i}` },
    spec: {
      selector: { matchLabels: { app: `component-${i}` } },
      template: {
        metadata: { labels: { app: `component-${i}` } },
        spec: applyToPodSpec<k8s.PodSpec>(
          { securityContext: restrictedPodSecurityContext(), containers: [{ ...container(i), resources: resourceRequirements() }] },
          contractParts(i),
        ),
      },
    },
  });
}

const PLAIN_RESOURCES = { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } };

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
            resources: PLAIN_RESOURCES,
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
  const build = { contract: viaContract, 'contract+L1': viaContractL1, baseline: viaBaseline }[path];
  for (let i = 0; i < n; i++) build(chart, i);
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
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const rows: string[][] = [['N', 'baseline ms', 'contract ms', 'ratio', 'contract+L1 ms', 'ratio', 'baseline MB', 'contract MB', 'ratio', 'same YAML']];
  for (const n of sizes) {
    const runs = Object.fromEntries(PATHS.map((p) => [p, [] as Array<ReturnType<typeof runChild>>])) as Record<PathName, Array<ReturnType<typeof runChild>>>;
    for (let r = 0; r < rounds; r++) {
      // Rotate the order so drift on a noisy machine hits every path alike.
      for (let k = 0; k < PATHS.length; k++) {
        const p = PATHS[(k + r) % PATHS.length];
        runs[p].push(runChild(p, n));
      }
    }
    const ms = (p: PathName) => median(runs[p].map((x) => x.ms));
    const mb = (p: PathName) => median(runs[p].map((x) => x.maxRssMb));
    const same = PATHS.every((p) => runs[p][0].hash === runs.baseline[0].hash);
    rows.push([
      String(n),
      ms('baseline').toFixed(0),
      ms('contract').toFixed(0), `${(ms('contract') / ms('baseline')).toFixed(2)}x`,
      ms('contract+L1').toFixed(0), `${(ms('contract+L1') / ms('baseline')).toFixed(2)}x`,
      mb('baseline').toFixed(0), mb('contract').toFixed(0), `${(mb('contract') / mb('baseline')).toFixed(2)}x`,
      same ? 'yes' : 'NO',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    console.log(`| ${r.map((c, i) => c.padStart(widths[i])).join(' | ')} |`);
    if (k === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
  console.log(`\nmedian of ${rounds} runs each, one fresh process per run (time: building the app and synthYaml; memory: peak RSS).`);
}

if (process.argv[2] === '--child') child(process.argv[3] as PathName, Number(process.argv[4]));
else main();
