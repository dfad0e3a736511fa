/**
 * Runs a process from an unpacked image the way a container runtime would, with the machine's
 * own tools and no container runtime: a private mount and PID namespace (`unshare`), the root
 * filesystem bind-mounted read-only, /proc of the new PID namespace, a /dev with only null,
 * zero, random and urandom, the given bind mounts (e.g. a ServiceAccount token), then `chroot`
 * as the given uid/gid with no supplementary groups, no new privileges and an empty
 * environment plus what is given. The process is PID 1 of its namespace, as in a pod; the
 * host network is shared (so it reaches an API server on loopback).
 *
 * Needs root (or the same tools in a user namespace, not done here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostTool } from '../../runtime/image/verify.js';

export interface BindMount {
  /** Host path (file or directory). */
  readonly source: string;
  /** Absolute path inside the root filesystem; its mount point is created in the rootfs if missing. */
  readonly target: string;
}

export interface SandboxOptions {
  /** The unpacked image. */
  readonly rootfs: string;
  /** Absolute argv inside the rootfs, e.g. the image's Entrypoint plus the container's args. */
  readonly argv: readonly string[];
  /** The whole environment of the process. */
  readonly env: Record<string, string>;
  /** @default 65532 */
  readonly uid?: number;
  /** @default 65532 */
  readonly gid?: number;
  /** Read-only bind mounts. */
  readonly mounts?: readonly BindMount[];
  /** tmpfs mounts (e.g. an emptyDir). */
  readonly tmpfs?: readonly string[];
  /** @default '/' */
  readonly cwd?: string;
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Mount points a runtime creates before it makes the root read-only. */
export function prepareMountPoints(o: SandboxOptions): void {
  for (const d of ['proc', 'dev']) mkdirSync(join(o.rootfs, d), { recursive: true });
  for (const m of o.mounts ?? []) mkdirSync(join(o.rootfs, m.target), { recursive: true });
  for (const t of o.tmpfs ?? []) mkdirSync(join(o.rootfs, t), { recursive: true });
}

/** The shell script run (by the host's sh) inside the new namespaces. */
export function sandboxScript(o: SandboxOptions): string {
  const r = q(o.rootfs);
  const mount = q(hostTool('mount'));
  const lines = [
    'set -eu',
    `${mount} --make-rprivate /`,
    `${mount} --bind ${r} ${r}`,
    `${mount} -t proc -o nosuid,nodev,noexec proc ${r}/proc`,
    `${mount} -t tmpfs -o nosuid,noexec,mode=755,size=64k tmpfs ${r}/dev`,
    ...['null', 'zero', 'random', 'urandom'].flatMap((d) => [`: > ${r}/dev/${d}`, `${mount} --bind /dev/${d} ${r}/dev/${d}`]),
    ...(o.mounts ?? []).flatMap((m) => [
      `${mount} --bind ${q(m.source)} ${q(join(o.rootfs, m.target))}`,
      `${mount} -o remount,bind,ro,nosuid,nodev ${q(join(o.rootfs, m.target))}`,
    ]),
    ...(o.tmpfs ?? []).map((t) => `${mount} -t tmpfs -o nosuid,nodev,mode=1777,size=16m tmpfs ${q(join(o.rootfs, t))}`),
    `${mount} -o remount,bind,ro,nosuid,nodev ${r}`,
    `cd ${r}`,
    [
      'exec',
      q(hostTool('setpriv')),
      '--no-new-privs',
      '--',
      q(hostTool('env')),
      '-i',
      ...Object.entries(o.env).map(([k, v]) => q(`${k}=${v}`)),
      q(hostTool('chroot')),
      `--userspec=${o.uid ?? 65532}:${o.gid ?? 65532}`,
      `--groups=${o.gid ?? 65532}`,
      r,
      ...o.argv.map(q),
    ].join(' '),
  ];
  return lines.join('\n');
}

export interface SandboxProcess {
  /** The `unshare` process; its stdout and stderr are the sandboxed process's. */
  readonly child: ChildProcess;
  /** The sandboxed process's pid as the host sees it (PID 1 in its namespace). */
  hostPid(): Promise<number>;
  /** Sends a signal to the sandboxed process (SIGTERM: graceful stop, as a kubelet does). */
  signal(sig: NodeJS.Signals): Promise<void>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startSandbox(o: SandboxOptions): SandboxProcess {
  if (process.getuid?.() !== 0) throw new Error('the sandbox needs root (unshare --mount --pid, chroot)');
  if (!existsSync(join(o.rootfs, o.argv[0].replace(/^\//, '')))) throw new Error(`${o.argv[0]} is not in ${o.rootfs}`);
  prepareMountPoints(o);
  const child = spawn(hostTool('unshare'), ['--mount', '--pid', '--fork', '--kill-child', '--', '/bin/sh', '-c', sandboxScript(o)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let pid: number | undefined;
  const hostPid = async (): Promise<number> => {
    const t0 = Date.now();
    while (pid === undefined) {
      try {
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        if (children) pid = Number(children.split(/\s+/)[0]);
      } catch {
        /* not yet */
      }
      if (pid === undefined) {
        if (child.exitCode !== null || Date.now() - t0 > 10_000) throw new Error('the sandboxed process did not start');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    return pid;
  };
  return {
    child,
    hostPid,
    exit,
    async signal(sig) {
      try {
        process.kill(await hostPid(), sig);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Runs to completion; returns exit code and output. */
export async function runSandbox(o: SandboxOptions, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startSandbox(o);
  let stdout = '';
  let stderr = '';
  p.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  p.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  // 'exit' can come before the last output is read: 'close' comes once the pipes are drained.
  const closed = new Promise<void>((resolve) => p.child.once('close', () => resolve()));
  const timer = setTimeout(() => void p.signal('SIGKILL'), timeoutMs);
  const { code } = await p.exit;
  clearTimeout(timer);
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
  return { code, stdout, stderr };
}
