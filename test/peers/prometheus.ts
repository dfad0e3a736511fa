/**
 * A real Prometheus for the Konsumerator tests: Debian's prometheus 2.42 (prometheus.sh unpacks
 * the package into ~/.cache/platform-constructs/, nothing installed, no service), on a free
 * loopback port, with a config written for the given scrape targets and a TSDB in a temp dir,
 * both removed by `stop()` (or when the test process exits).
 */
import { spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ManagedProcess, removeOnExit } from '../cluster/process.js';
import { waitForPeer } from './http.js';
import { PEERS_DIR } from './venv.js';

const SCRIPT = join(PEERS_DIR, 'prometheus.sh');
/** prometheus.sh's exit code for "cannot install here": the only case the tests skip. */
const CANNOT_INSTALL = 3;

let binary: string | undefined;
let reason: string | undefined;

function fromScript(status: number | null, stdout: string, stderr: string): string {
  if (status === 0) return stdout.trim().split('\n').pop() ?? '';
  throw new Error(`${SCRIPT} failed (exit ${status}):\n${stderr.trim().split('\n').slice(-20).join('\n')}`);
}

/**
 * Why the real Prometheus cannot run here, or undefined. Synchronous, for `describe.skip`
 * decisions; it runs the installer (0.2 s when cached, ~5 s cold: one 19 MB .deb), so a later
 * `startPrometheus` finds it ready. An installer failure other than "cannot install" is not a
 * reason to skip: `startPrometheus` then fails with it.
 */
export function prometheusUnavailable(): string | undefined {
  if (binary) return undefined;
  if (reason) return reason;
  const t0 = Date.now();
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
  if (r.error) return (reason = `bash could not run ${SCRIPT}: ${r.error.message}`);
  if (r.status === CANNOT_INSTALL) {
    reason = r.stderr.trim().split('\n').pop()!.replace(/^prometheus: /, '');
    return reason;
  }
  if (r.status === 0) {
    binary = fromScript(0, r.stdout, r.stderr);
    if (Date.now() - t0 > 1000) process.stderr.write(`${r.stderr.trim()}\n`);
  }
  return undefined;
}

/** The prometheus binary, installed first when needed (idempotent; the script holds a lock). */
export function prometheusBinary(): Promise<string> {
  if (binary) return Promise.resolve(binary);
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      try {
        binary = fromScript(err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr);
        resolve(binary);
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

export interface PrometheusPeerOptions {
  /**
   * What to scrape: `host:port` (path /metrics) or a URL such as `http://127.0.0.1:4000/metrics`.
   * Each target is its own job, `job="target-<index>"`.
   */
  readonly scrapeTargets: readonly string[];
  /** scrape_interval and evaluation_interval; the scrape timeout is the same. @default 1 */
  readonly scrapeIntervalSeconds?: number;
}

export interface PrometheusPeer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash): the HTTP API is `${url}/api/v1/...`. */
  readonly url: string;
  /** The log file (stdout and stderr of prometheus). */
  readonly log: string;
  /** Milliseconds from spawn until /-/ready answered 200. */
  readonly startMs: number;
  /** The binary's `--version` first line. */
  readonly version: string;
  /** The prometheus process's id (for CPU and memory readings from /proc). */
  readonly pid: number | undefined;
  /** Stops prometheus (SIGTERM, then SIGKILL) and removes its config and TSDB. Idempotent. */
  stop(): Promise<void>;
}

function scrapeConfig(target: string, i: number, intervalS: number): Record<string, unknown> {
  const job: Record<string, unknown> = { job_name: `target-${i}`, scrape_interval: `${intervalS}s`, scrape_timeout: `${intervalS}s` };
  if (!target.includes('://')) return { ...job, static_configs: [{ targets: [target] }] };
  const u = new URL(target);
  return { ...job, scheme: u.protocol.replace(':', ''), metrics_path: u.pathname || '/metrics', static_configs: [{ targets: [u.host] }] };
}

export async function startPrometheus(opts: PrometheusPeerOptions): Promise<PrometheusPeer> {
  const bin = await prometheusBinary();
  const intervalS = opts.scrapeIntervalSeconds ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'konsumerator-prometheus-'));
  removeOnExit(dir);
  // JSON is YAML: no YAML writer needed.
  const config = {
    global: { scrape_interval: `${intervalS}s`, scrape_timeout: `${intervalS}s`, evaluation_interval: `${intervalS}s` },
    scrape_configs: opts.scrapeTargets.map((t, i) => scrapeConfig(t, i, intervalS)),
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '';
  const port = await freePort();
  const log = join(dir, 'prometheus.log');
  const t0 = Date.now();
  const proc = new ManagedProcess(
    'prometheus',
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      // Debian's defaults point at /etc/prometheus; nothing of the package outside the binary is used.
      `--web.console.templates=${join(dir, 'consoles')}`,
      `--web.console.libraries=${join(dir, 'console_libraries')}`,
    ],
    log,
  );
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    removeOnExit(dir, false);
  };
  try {
    await waitForPeer(`${url}/-/ready`, { proc, within: 60_000 });
  } catch (err) {
    // waitForPeer's message carries the log's tail.
    await stop();
    throw err;
  }
  return { url, log, startMs: Date.now() - t0, version, pid: proc.pid, stop };
}
