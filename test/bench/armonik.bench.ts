/**
 * Synthesis of the ArmoniK stack (ActiveMQ, MinIO, MongoDB, NFS, control plane, metrics
 * exporters, N partitions each with a Deployment and an HPA) with 1, 10, 100 and 1,000
 * partitions, minimal and production-shaped (the GUI behind the ingress with mTLS, its generated
 * certificates, authentication, Prometheus Operator monitors), in both tools:
 * - `constructs`: the module constructs and `ArmoniK` build the objects (contract parsing,
 *   merging, rendering included);
 * - `baseline`: the very same objects (read once from a JSON file written by the parent) as raw
 *   `ApiObject`s: the floor cost of synthesizing them at all.
 * cdk8s: `app.synthYaml()`; cdktf: the cdk8s charts through `KubernetesManifests` in a
 * `TerraformStack`, `app.synth()` to a temporary directory. Both paths must give identical output.
 * Each (tool, path, N) runs in a fresh child process, rotating the order, several rounds; the
 * table shows medians and ratios to the baseline.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import { App as TfApp, TerraformStack } from 'cdktf';
import { ArmoniK, PartitionScaling, type PartitionProps } from '../../constructs/armonik/index.js';
import { ActiveMq, MinIo, MongoDb, NfsStorage } from '../../constructs/modules/index.js';
import { KubectlProvider, KubernetesManifests } from '../../lib/tf/index.js';
import { median, printTable, ratio, reportRun, rotateRuns, runChild } from './support.js';

type Tool = 'cdk8s' | 'cdktf';
type PathName = 'constructs' | 'baseline';
const PATHS: PathName[] = ['constructs', 'baseline'];
const TOOLS: Tool[] = ['cdk8s', 'cdktf'];

/** `minimal`: storage and ArmoniK; `production`: also the GUI behind the ingress with mTLS, authentication, monitors. */
type Shape = 'minimal' | 'production';

function buildConstructs(n: number, shape: Shape): App {
  const app = new App();
  const chart = new Chart(app, 'armonik', { namespace: 'armonik', disableResourceNameHashes: true });
  const queue = new ActiveMq(chart, 'activemq');
  const objects = new MinIo(chart, 'minio');
  const db = new MongoDb(chart, 'mongodb');
  const shared = new NfsStorage(chart, 'nfs', { storageClass: 'nfs' });
  const partitions: Record<string, PartitionProps> = {};
  for (let i = 0; i < n; i++) partitions[`p${i}`] = { priority: 1 + (i % 3), scaling: PartitionScaling.hpa({ maxReplicas: 10 + i }) };
  new ArmoniK(chart, 'armonik', {
    controlPlane: { conf: [queue, objects, db] },
    computePlane: { partitions },
    pollingAgent: { conf: [queue, objects, db] },
    worker: { conf: [shared] },
    metricsExporter: { conf: [db] },
    ...(shape === 'production' ? {
      adminGui: {},
      ingress: { mtls: { clientCertificates: { submitter: {}, monitoring: {} } } },
      authentication: {},
      prometheusMonitors: { labels: { release: 'prometheus' } },
    } : {}),
  });
  return app;
}

function buildBaseline(objectsFile: string): App {
  const objects = JSON.parse(readFileSync(objectsFile, 'utf8')) as Array<Record<string, any>>;
  const app = new App();
  const chart = new Chart(app, 'armonik', { disableResourceNameHashes: true });
  for (const [i, o] of objects.entries()) new ApiObject(chart, `o${i}`, o as any);
  return app;
}

function synth(tool: Tool, app: App): string {
  if (tool === 'cdk8s') return app.synthYaml();
  const outdir = mkdtempSync(join(tmpdir(), 'armonik-bench-'));
  try {
    const tf = new TfApp({ outdir });
    const stack = new TerraformStack(tf, 'armonik');
    const provider = new KubectlProvider(stack, 'kubectl', { configPath: '/dev/null' });
    new KubernetesManifests(stack, 'armonik', { source: app, provider });
    tf.synth();
    const dir = join(outdir, 'stacks', 'armonik');
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Child mode: build and synthesize once. */
function child(tool: Tool, path: PathName, n: number, objectsFile: string, shape: Shape): void {
  reportRun(() => synth(tool, path === 'constructs' ? buildConstructs(n, shape) : buildBaseline(objectsFile)));
}

function main(): void {
  const self = fileURLToPath(import.meta.url);
  const sizes = (process.env.BENCH_SIZES ?? '1,10,100,1000').split(',').map(Number);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'armonik-bench-objects-'));
  const shapes = (process.env.BENCH_SHAPES ?? 'minimal,production').split(',') as Shape[];
  const rows: string[][] = [['shape', 'tool', 'N', 'objects', 'baseline ms', 'constructs ms', 'ratio', 'baseline MB', 'constructs MB', 'ratio', 'same output']];
  try {
    for (const shape of shapes) for (const n of sizes) {
      const app = buildConstructs(n, shape);
      const objects = app.charts.flatMap((c) => c.toJson());
      const objectsFile = join(dir, `objects-${shape}-${n}.json`);
      writeFileSync(objectsFile, JSON.stringify(objects));
      for (const tool of TOOLS) {
        const runs = rotateRuns(PATHS, rounds, (p) => runChild(self, [tool, p, String(n), objectsFile, shape]));
        const ms = (p: PathName) => median(runs[p].map((x) => x.ms));
        const mb = (p: PathName) => median(runs[p].map((x) => x.maxRssMb));
        rows.push([
          shape, tool, String(n), String(objects.length),
          ms('baseline').toFixed(0), ms('constructs').toFixed(0), ratio(ms('constructs'), ms('baseline')),
          mb('baseline').toFixed(0), mb('constructs').toFixed(0), ratio(mb('constructs'), mb('baseline')),
          runs.constructs[0].hash === runs.baseline[0].hash ? 'yes' : 'NO',
        ]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
  console.log(`\nmedian of ${rounds} runs each, one fresh process per run (time: building the app and synthesizing; memory: peak RSS).`);
}

if (process.argv[2] === '--child') child(process.argv[3] as Tool, process.argv[4] as PathName, Number(process.argv[5]), process.argv[6], process.argv[7] as Shape);
else main();
