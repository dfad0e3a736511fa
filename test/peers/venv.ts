/**
 * The Python virtualenv of the WAO test peers (sushy-tools, MLServer), built by
 * python-peers.sh into ~/.cache/platform-constructs/venv-wao-<hash>/. `.ci/run` builds it
 * before the tests; a test that finds it missing builds it (about 40 s cold).
 */
import { execFile, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(PEERS_DIR, 'python-peers.sh');
/** python-peers.sh's exit code for "no suitable Python": the only case the tests skip. */
const NO_PYTHON = 3;

/**
 * Why the Python peers cannot run here (no Python 3.11/3.12 with venv), or undefined.
 * Cheap and synchronous, for `describe.skip` decisions: it does not build anything.
 */
export function pythonPeersUnavailable(): string | undefined {
  const r = spawnSync('bash', [SCRIPT, '--print-dir'], { encoding: 'utf8' });
  if (r.error) return `bash could not run ${SCRIPT}: ${r.error.message}`;
  if (r.status === NO_PYTHON) return r.stderr.trim().replace(/^python-peers: /, '');
  return undefined;
}

let pending: Promise<string> | undefined;

/** The venv's directory, built first when needed (idempotent; the script holds a lock). */
export function pythonPeersVenv(): Promise<string> {
  pending ??= new Promise<string>((resolve, reject) => {
    const t0 = Date.now();
    execFile('bash', [SCRIPT], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        pending = undefined;
        reject(new Error(`${SCRIPT} failed (${err.message.split('\n')[0]}):\n${stderr.trim().split('\n').slice(-20).join('\n')}`));
        return;
      }
      const dir = stdout.trim().split('\n').pop() ?? '';
      process.stderr.write(`${stderr.trim()}\npython peers venv ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      resolve(dir);
    });
  });
  return pending;
}

export const venvBin = (venv: string, name: string): string => join(venv, 'bin', name);
