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

let keda: Promise<KubeObject[]> | undefined;

/** KEDA's CRDs (ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication). */
export function kedaCrds(): Promise<KubeObject[]> {
  keda ??= (async () => {
    const { stdout } = await run('bash', [FETCH_CRDS_SCRIPT, '--print-env'], { maxBuffer: 1 << 24, timeout: 600_000 }).catch((err: { message: string; stderr?: string }) => {
      throw new Error(`${FETCH_CRDS_SCRIPT} failed: ${err.message}\n${err.stderr ?? ''}`);
    });
    const dir = /^KEDA_CRDS=(.*)$/m.exec(stdout)?.[1];
    if (!dir) throw new Error(`${FETCH_CRDS_SCRIPT} printed no KEDA_CRDS= line`);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as KubeObject))
      .filter((o) => o?.kind === 'CustomResourceDefinition');
  })();
  return keda;
}
