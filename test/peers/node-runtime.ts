/** Node.js >= 22.19 for the CDK Terrain CLI (node-runtime.sh installs it once into the cache). */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'node-runtime.sh');

/** The path of the node binary. */
export function node22(): string {
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout.trim().split('\n').pop()!;
}
