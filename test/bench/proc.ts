/**
 * What the controller benchmarks measure of processes and endpoints: CPU seconds and RSS of a pid
 * from /proc, the machine's busy share, CPU over a window for several pids, Prometheus text
 * scrapes, and a bounded-concurrency pool for creating many objects.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const CORES = availableParallelism();
/** Clock ticks per second of /proc's CPU times. */
export const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout?.trim()) || 100;
})();

/** CPU seconds (user + system) the process has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime is field 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** Resident set size in bytes; NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Peak resident set size so far (VmHWM) in bytes; NaN when the process is gone. */
export function peakRssBytes(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of all CPUs together (busy: all but idle and iowait). */
export function machineJiffies(): { busy: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

/** CPU used over a window, as % of one core, for a set of named pids, this process and the machine. */
export class CpuWindow {
  private readonly t0 = performance.now();
  private readonly start: Record<string, number>;
  private readonly self0 = process.cpuUsage();
  private readonly machine0 = machineJiffies();

  constructor(private readonly pids: Record<string, number | undefined>) {
    this.start = Object.fromEntries(Object.entries(pids).flatMap(([k, pid]) => (pid ? [[k, cpuSeconds(pid)]] : [])));
  }

  stop(): { seconds: number; pct: Record<string, number>; selfPct: number; machineBusyPct: number } {
    const seconds = (performance.now() - this.t0) / 1000;
    const pct: Record<string, number> = {};
    for (const [k, pid] of Object.entries(this.pids)) if (pid && k in this.start) pct[k] = ((cpuSeconds(pid) - this.start[k]) / seconds) * 100;
    const self = process.cpuUsage(this.self0);
    const m = machineJiffies();
    return { seconds, pct, selfPct: ((self.user + self.system) / 1e6 / seconds) * 100, machineBusyPct: ((m.busy - this.machine0.busy) / (m.total - this.machine0.total)) * 100 };
  }
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** GETs a Prometheus text endpoint (`http://127.0.0.1:<port>/metrics`) and parses its samples. */
export async function scrape(url: string): Promise<Sample[]> {
  const text = await (await fetch(url)).text();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    out.push({ name: m[1], labels: Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]])), value: parseFloat(m[4]) });
  }
  return out;
}

/** The sum of a metric's samples whose labels include `labels`. */
export function sum(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}

/** Runs `fn` over `items`, `concurrency` at a time, each retried up to 5 times (the API server may throttle). */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) {
        const item = items[i++];
        for (let attempt = 0; ; attempt++) {
          try {
            await fn(item);
            break;
          } catch (err) {
            if (attempt >= 5) throw err;
            await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
          }
        }
      }
    }),
  );
}
