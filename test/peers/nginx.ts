/**
 * The real nginx for the ingress tests: Debian 12's nginx 1.22 (nginx.sh unpacks the packages
 * into ~/.cache/platform-constructs/, nothing installed, no service). A server configuration
 * (what the ingress's ConfigMap holds in /etc/nginx/conf.d/) is wrapped in a main configuration
 * like nginx-unprivileged's (pid and temp files in a temp dir) and either checked (`nginx -t`)
 * or served on loopback.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, removeOnExit } from '../cluster/process.js';
import { PEERS_DIR } from './venv.js';

const SCRIPT = join(PEERS_DIR, 'nginx.sh');
/** nginx.sh's exit code for "cannot install here": the only case the tests skip. */
const CANNOT_INSTALL = 3;

let binary: string | undefined;
let reason: string | undefined;

/** Why the real nginx cannot run here, or undefined (installs it when it can: 0.1 s cached, ~3 s cold). */
export function nginxUnavailable(): string | undefined {
  if (binary) return undefined;
  if (reason) return reason;
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
  if (r.error) return (reason = `bash could not run ${SCRIPT}: ${r.error.message}`);
  if (r.status === CANNOT_INSTALL) return (reason = r.stderr.trim().split('\n').pop()!.replace(/^nginx: /, ''));
  if (r.status !== 0) throw new Error(`${SCRIPT} failed (exit ${r.status}):\n${r.stderr.trim().split('\n').slice(-20).join('\n')}`);
  binary = r.stdout.trim().split('\n').pop()!;
  return undefined;
}

function nginxBinary(): string {
  const why = nginxUnavailable();
  if (why) throw new Error(`nginx is not available: ${why}`);
  return binary!;
}

/** A directory holding `nginx.conf` (the wrapper), `conf.d/armonik.conf` and whatever files the test adds. */
export interface NginxSite {
  readonly dir: string;
  /** Writes a file under the site's directory (e.g. a certificate the configuration names). */
  write(path: string, text: string): string;
  remove(): void;
}

/** Lays out `serverConfig` as nginx-unprivileged's image does: included from the `http` block. */
export function nginxSite(serverConfig: string): NginxSite {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-site-'));
  removeOnExit(dir);
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'conf.d', 'armonik.conf'), serverConfig);
  writeFileSync(join(dir, 'nginx.conf'), [
    `pid ${dir}/tmp/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    'events { worker_connections 256; }',
    'http {',
    `    access_log ${dir}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${dir}/tmp/${t}_temp;`),
    `    include ${dir}/conf.d/*.conf;`,
    '}',
    '',
  ].join('\n'));
  return {
    dir,
    write(path, text) {
      const file = join(dir, path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text, { mode: 0o644 });
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `nginx -t` on the site: its exit status and output. */
export function nginxTest(site: NginxSite): { ok: boolean; output: string } {
  const r = spawnSync(nginxBinary(), ['-t', '-p', site.dir, '-c', join(site.dir, 'nginx.conf'), '-e', join(site.dir, 'error.log')], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

/** nginx serving the site in the foreground; `stop()` ends it. */
export function startNginx(site: NginxSite): ManagedProcess {
  return new ManagedProcess('nginx', nginxBinary(), ['-p', site.dir, '-c', join(site.dir, 'nginx.conf'), '-e', join(site.dir, 'error.log'), '-g', 'daemon off;'], join(site.dir, 'nginx.log'));
}
