/**
 * What the synthesis benchmarks share: each measured run is a fresh child process (so one path's
 * heap and JIT state cannot skew another's), paths rotate their order every round, and the table
 * reports medians side by side.
 */
import { spawnSync } from 'node:child_process';

/** What one child run reports. */
export interface RunResult {
  readonly ms: number;
  readonly maxRssMb: number;
  readonly bytes: number;
  /** A digest of the output, so paths that must synthesize the same bytes can be compared. */
  readonly hash: string;
}

/** Child side: time `work` (which returns the synthesized text) and print the result as JSON. */
export function reportRun(work: () => string): void {
  const start = process.hrtime.bigint();
  const out = work();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const result: RunResult = { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, bytes: out.length, hash: hash(out) };
  console.log(JSON.stringify(result));
}

/** Parent side: run `file --child ...args` in a fresh process and read its {@link RunResult}. */
export function runChild(file: string, args: readonly string[]): RunResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as RunResult;
}

/** Runs every path `rounds` times, rotating which goes first so machine drift hits all alike. */
export function rotateRuns<P extends string>(paths: readonly P[], rounds: number, run: (path: P) => RunResult): Record<P, RunResult[]> {
  const runs = Object.fromEntries(paths.map((p) => [p, [] as RunResult[]])) as Record<P, RunResult[]>;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < paths.length; k++) {
      const p = paths[(k + r) % paths.length];
      runs[p].push(run(p));
    }
  }
  return runs;
}

export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** `a / b` as `1.23x`. */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

export function hash(s: string): string {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

/** Prints rows (the first is the header) as a Markdown table with right-aligned cells. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    console.log(`| ${r.map((c, i) => c.padStart(widths[i])).join(' | ')} |`);
    if (k === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}
