/**
 * A fake /proc tree on disk for the monitor's tests: `<root>/<pid>/{stat,status,cgroup}` and
 * `<root>/self/cgroup`, in the kernel's formats (proc(5)). Files are replaced atomically
 * (written aside, then renamed), so a monitor reading concurrently never sees half a file.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeProcess {
  readonly pid: number;
  readonly ppid: number;
  /** @default 'app' */
  readonly comm?: string;
  /** @default 'S' */
  readonly state?: string;
  readonly utime?: number;
  readonly stime?: number;
  readonly cutime?: number;
  readonly cstime?: number;
  /** @default 1000 + pid */
  readonly starttime?: number;
  /** VmRSS in kB; no Vm lines at all when undefined (a zombie). */
  readonly rssKb?: number;
  /** VmHWM in kB; @default rssKb */
  readonly hwmKb?: number;
  /** @default '/kubepods/pod1/app' */
  readonly cgroup?: string;
}

/** A /proc/<pid>/stat line with all 52 fields. */
export function statLine(p: FakeProcess): string {
  const f: (string | number)[] = new Array(53).fill(0);
  f[1] = p.pid;
  f[2] = `(${p.comm ?? 'app'})`;
  f[3] = p.state ?? 'S';
  f[4] = p.ppid;
  f[5] = p.pid; // pgrp
  f[6] = p.pid; // session
  f[8] = -1; // tpgid
  f[14] = p.utime ?? 0;
  f[15] = p.stime ?? 0;
  f[16] = p.cutime ?? 0;
  f[17] = p.cstime ?? 0;
  f[18] = 20; // priority
  f[20] = 1; // num_threads
  f[22] = p.starttime ?? 1000 + p.pid;
  f[23] = 12_345_678; // vsize
  f[24] = 321; // rss in pages
  return `${f.slice(1).join(' ')}\n`;
}

export function statusText(p: FakeProcess): string {
  const head = `Name:\t${p.comm ?? 'app'}\nUmask:\t0022\nState:\t${p.state ?? 'S'} (sleeping)\nTgid:\t${p.pid}\nNgid:\t0\nPid:\t${p.pid}\nPPid:\t${p.ppid}\n`;
  if (p.rssKb === undefined) return `${head}Threads:\t1\nSigQ:\t0/63450\n`;
  return (
    head +
    `VmPeak:\t   99999 kB\nVmSize:\t   88888 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n` +
    `VmHWM:\t${String(p.hwmKb ?? p.rssKb).padStart(8)} kB\nVmRSS:\t${String(p.rssKb).padStart(8)} kB\n` +
    `RssAnon:\t    1000 kB\nVmData:\t     292 kB\nVmSwap:\t       0 kB\nThreads:\t1\n`
  );
}

export class FakeProc {
  readonly root: string;

  /** `ownCgroup` null: no self/cgroup. */
  constructor(ownCgroup: string | null = '/kubepods/pod1/monitor') {
    this.root = mkdtempSync(join(tmpdir(), 'fake-proc-'));
    if (ownCgroup !== null) this.file('self/cgroup', `0::${ownCgroup}\n`);
  }

  /** Writes (or rewrites) a process's stat, status and cgroup. */
  set(p: FakeProcess): this {
    // stat last: a process whose stat can be read has its other files.
    this.file(`${p.pid}/cgroup`, `0::${p.cgroup ?? '/kubepods/pod1/app'}\n`);
    this.file(`${p.pid}/status`, statusText(p));
    this.file(`${p.pid}/stat`, statLine(p));
    return this;
  }

  remove(pid: number): this {
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
    return this;
  }

  /** Writes one file under the root, atomically. */
  file(path: string, text: string): this {
    const full = join(this.root, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(`${full}.tmp`, text);
    renameSync(`${full}.tmp`, full);
    return this;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
