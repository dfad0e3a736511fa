/**
 * Child processes of the test cluster: each runs in its own process group (so a
 * stop kills whatever it forked), logs to a file, and is killed if the Node process
 * exits without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

const live = new Set<ManagedProcess>();
const tempDirs = new Set<string>();

/** A dir to remove (synchronously) should the process exit or be interrupted before stop(). */
export function removeOnExit(dir: string, remove = true): void {
  if (remove) tempDirs.add(dir);
  else tempDirs.delete(dir);
}
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const p of live) p.killNow();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  };
  // Last resort when a test run ends without calling stop(): synchronous SIGKILL.
  process.on('exit', killAll);
  // The children run in process groups of their own, so Ctrl-C in a terminal does
  // not reach them: kill them, then let the signal take its default course.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

export class ManagedProcess {
  private readonly child: ChildProcess;
  private exited = false;
  private exitCode: number | null = null;
  private readonly exitPromise: Promise<void>;

  constructor(
    readonly name: string,
    readonly binary: string,
    readonly args: readonly string[],
    readonly logFile: string,
    /** Environment of the process. @default this process's */
    env?: NodeJS.ProcessEnv,
  ) {
    installExitHook();
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], ...(env ? { env } : {}) });
    } finally {
      closeSync(fd);
    }
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? (signal ? 128 : null);
        live.delete(this);
        resolve();
      });
      this.child.on('error', (err) => {
        this.exited = true;
        live.delete(this);
        this.spawnError = err;
        resolve();
      });
    });
    live.add(this);
  }

  spawnError?: Error;

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The last lines of the log, for error messages. */
  logTail(lines = 25): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Throws a message with the log tail when the process has died. */
  assertRunning(): void {
    if (!this.exited) return;
    const why = this.spawnError ? this.spawnError.message : `exited with code ${this.exitCode}`;
    throw new Error(`${this.name} ${why}. Last lines of ${this.logFile}:\n${this.logTail()}`);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }

  killNow(): void {
    this.signalGroup('SIGKILL');
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
    // The group leader is gone; make sure nothing it forked lingers.
    if (this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* no such group: good */
      }
    }
  }
}

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** `n` distinct free TCP ports on 127.0.0.1: all held open at once, then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (srv) =>
          new Promise<number>((resolve, reject) => {
            srv.on('error', reject);
            srv.listen(0, '127.0.0.1', () => {
              const addr = srv.address();
              resolve(typeof addr === 'object' && addr ? addr.port : 0);
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((srv) => new Promise((r) => (srv.listening ? srv.close(r) : r(undefined)))));
  }
}

/** Fails with a clear message when `port` on 127.0.0.1 is taken. */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port 127.0.0.1:${port} for ${what} is in use (${err.code}). ` +
            'Stop the process that holds it (`ss -ltnp`), or let the harness pick a free port.',
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kills the process groups of clusters whose owning Node process is gone (a test
 * run killed with SIGKILL cannot clean up) and removes their temp dirs. A group is
 * only killed when its leader's command line names that cluster's dir.
 */
export function reapStaleClusters(tmp: string, prefix: string, beforeRemove: (dir: string) => void = () => undefined): string[] {
  const reaped: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(tmp).filter((e) => e.startsWith(prefix));
  } catch {
    return reaped;
  }
  for (const e of entries) {
    const dir = join(tmp, e);
    let owner: { ownerPid: number; pids: number[] };
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8'));
    } catch {
      continue; // starting right now, or not ours
    }
    if (pidAlive(owner.ownerPid)) continue;
    for (const pid of owner.pids) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.includes(dir)) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      beforeRemove(dir);
    } catch (err) {
      process.stderr.write(`test cluster: cleaning up ${dir}: ${(err as Error).message}\n`);
    }
    rmSync(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
