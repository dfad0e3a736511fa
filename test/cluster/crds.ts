/**
 * Third-party CustomResourceDefinitions the constructs create objects for (KEDA's), as the
 * operator ships them: fetch-crds.sh downloads the pinned Go module once and caches the files.
 * Install them in a test cluster to prove such objects against the real schemas, as a cluster
 * with the operator installed would.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './client.js';

const run = promisify(execFile);
export const FETCH_CRDS_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'fetch-crds.sh');

let dirs: Promise<Record<string, string>> | undefined;

/** Runs fetch-crds.sh once per process: `{ KEDA_CRDS, PSMDB_CRDS }` directories. */
function crdDirs(): Promise<Record<string, string>> {
  dirs ??= run('bash', [FETCH_CRDS_SCRIPT, '--print-env'], { maxBuffer: 1 << 24, timeout: 600_000 }).then(
    ({ stdout }) => Object.fromEntries([...stdout.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]])),
    (err: { message: string; stderr?: string }) => {
      throw new Error(`${FETCH_CRDS_SCRIPT} failed: ${err.message}\n${err.stderr ?? ''}`);
    },
  );
  return dirs;
}

async function crdsIn(variable: string): Promise<KubeObject[]> {
  const dir = (await crdDirs())[variable];
  if (!dir) throw new Error(`${FETCH_CRDS_SCRIPT} printed no ${variable}= line`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as KubeObject))
    .filter((o) => o?.kind === 'CustomResourceDefinition');
}

/** KEDA's CRDs (ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication). */
export function kedaCrds(): Promise<KubeObject[]> {
  return crdsIn('KEDA_CRDS');
}

/** The Percona Operator for MongoDB's CRDs (PerconaServerMongoDB, backups, restores). */
export function perconaMongoDbCrds(): Promise<KubeObject[]> {
  return crdsIn('PSMDB_CRDS');
}

/** The Prometheus Operator's ServiceMonitor and PodMonitor CRDs (what `PrometheusMonitors` creates). */
export function prometheusOperatorCrds(): Promise<KubeObject[]> {
  return crdsIn('PROMETHEUS_OPERATOR_CRDS');
}

/** Every third-party CRD the example stack's objects need: what a cluster with KEDA and the Percona operator has. */
export async function thirdPartyCrds(): Promise<KubeObject[]> {
  return [...(await kedaCrds()), ...(await perconaMongoDbCrds())];
}
