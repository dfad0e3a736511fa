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
import { fileURLToPath } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { applyToPodSpec, ModuleOutputs } from '../../lib/contract/index.js';
import { resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/index.js';
import { median, printTable, ratio, reportRun, rotateRuns, runChild } from './support.js';

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

/** The Deployment around a pod spec, identical for every path. */
function deployment(i: number, podSpec: any) {
  return {
    metadata: { name: `component-${i}` },
    spec: {
      selector: { matchLabels: { app: `component-${i}` } },
      template: { metadata: { labels: { app: `component-${i}` } }, spec: podSpec },
    },
  };
}

function viaContract(chart: Chart, i: number): void {
  const pod = applyToPodSpec({ securityContext: restrictedPodSecurityContext(), containers: [{ ...container(i), resources: PLAIN_RESOURCES }] }, contractParts(i));
  new ApiObject(chart, `c${i}`, { apiVersion: 'apps/v1', kind: 'Deployment', ...deployment(i, pod) });
}

function viaContractL1(chart: Chart, i: number): void {
  const pod = applyToPodSpec<k8s.PodSpec>(
    { securityContext: restrictedPodSecurityContext(), containers: [{ ...container(i), resources: resourceRequirements() }] },
    contractParts(i),
  );
  new k8s.KubeDeployment(chart, `c${i}`, deployment(i, pod));
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
  const pod = {
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
  };
  new ApiObject(chart, `c${i}`, { apiVersion: 'apps/v1', kind: 'Deployment', ...deployment(i, pod) });
}

/** Child mode: build and synthesize once. */
function child(path: PathName, n: number): void {
  reportRun(() => {
    const app = new App();
    const chart = new Chart(app, 'bench');
    const build = { contract: viaContract, 'contract+L1': viaContractL1, baseline: viaBaseline }[path];
    for (let i = 0; i < n; i++) build(chart, i);
    return app.synthYaml();
  });
}

function main(): void {
  const self = fileURLToPath(import.meta.url);
  const sizes = (process.env.BENCH_SIZES ?? '100,1000,3000').split(',').map(Number);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const rows: string[][] = [['N', 'baseline ms', 'contract ms', 'ratio', 'contract+L1 ms', 'ratio', 'baseline MB', 'contract MB', 'ratio', 'same YAML']];
  for (const n of sizes) {
    const runs = rotateRuns(PATHS, rounds, (p) => runChild(self, [p, String(n)]));
    const ms = (p: PathName) => median(runs[p].map((x) => x.ms));
    const mb = (p: PathName) => median(runs[p].map((x) => x.maxRssMb));
    rows.push([
      String(n),
      ms('baseline').toFixed(0),
      ms('contract').toFixed(0), ratio(ms('contract'), ms('baseline')),
      ms('contract+L1').toFixed(0), ratio(ms('contract+L1'), ms('baseline')),
      mb('baseline').toFixed(0), mb('contract').toFixed(0), ratio(mb('contract'), mb('baseline')),
      PATHS.every((p) => runs[p][0].hash === runs.baseline[0].hash) ? 'yes' : 'NO',
    ]);
  }
  printTable(rows);
  console.log(`\nmedian of ${rounds} runs each, one fresh process per run (time: building the app and synthYaml; memory: peak RSS).`);
}

if (process.argv[2] === '--child') child(process.argv[3] as PathName, Number(process.argv[4]));
else main();
