import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMonitorReport, parseMonitorReport, type MonitorReport } from '../../../lib/api/servo/monitor-report.js';
import { SERVO_MONITOR_FLAGS } from '../../../lib/api/servo/monitor-flags.js';
import { main, usage } from '../../../runtime/main.js';
import { NOT_SHARED_ERROR, runMonitor, servoMonitorMain, type MonitorOptions } from '../../../runtime/servo/monitor/monitor.js';
import type { ProcessInfo } from '../../../runtime/servo/monitor/proc.js';
import { FakeProc } from './fake-proc.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const APP = '/kubepods/pod1/app';

/**
 * Drives runMonitor step by step: its sleep parks until `step()`, its clock is `t`.
 * `step()` lets it take the next sample and resolves once it has written and parked again.
 */
class Driver {
  t = 0;
  private release?: () => void;
  private parked?: () => void;
  private parkedP: Promise<void>;
  readonly stop = new AbortController();
  readonly logs: Array<Record<string, unknown>> = [];
  readonly sleeps: number[] = [];
  done!: Promise<MonitorReport>;

  constructor() {
    this.parkedP = new Promise((r) => (this.parked = r));
  }

  start(opts: Omit<MonitorOptions, 'now' | 'sleep' | 'log'>): Promise<void> {
    this.done = runMonitor(
      {
        ...opts,
        now: () => this.t,
        log: (e) => this.logs.push(e),
        sleep: (ms, signal) =>
          new Promise<void>((res) => {
            this.sleeps.push(ms);
            this.release = res;
            signal.addEventListener('abort', () => res(), { once: true });
            this.parked!();
          }),
      },
      this.stop.signal,
    );
    return this.parkedP;
  }

  /** Advances the clock by `ms`, lets one sample (and write) happen, waits until it parks again. */
  async step(ms = 100): Promise<void> {
    this.t += ms;
    this.parkedP = new Promise((r) => (this.parked = r));
    this.release!();
    await this.parkedP;
  }
}

describe('servo-monitor loop on a fake /proc', () => {
  let proc: FakeProc;
  let dir: string;
  let out: string;
  beforeEach(() => {
    proc = new FakeProc('/kubepods/pod1/monitor');
    dir = mkdtempSync(join(tmpdir(), 'servo-monitor-'));
    out = join(dir, 'termination-log');
  });
  afterEach(() => {
    proc.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const written = (): MonitorReport => {
    const r = parseMonitorReport(readFileSync(out, 'utf8'));
    if (typeof r === 'string') throw new Error(r);
    return r;
  };
  const cpu = (r: MonitorReport) => Object.fromEntries(r.groups.map((g) => [g.cgroup, g.cpuSeconds]));

  it('samples, writes in place at most once a second, and on stop samples and writes once more', async () => {
    // The bind-mounted file exists, longer than any report: it must be truncated, not replaced.
    writeFileSync(out, 'x'.repeat(5000));
    const inode = statSync(out).ino;
    proc.set({ pid: 1, ppid: 0, utime: 3, cgroup: '/kubepods/pod1/pause', rssKb: 500 });
    proc.set({ pid: 8, ppid: 0, utime: 40, cgroup: '/kubepods/pod1/monitor', rssKb: 40_000 });
    proc.set({ pid: 20, ppid: 0, utime: 10, stime: 5, rssKb: 1000 });
    const d = new Driver();
    await d.start({ proc: proc.root, intervalMs: 100, terminationMessagePath: out });

    // First sample: written at once.
    let r = written();
    expect(r).toMatchObject({ v: 1, intervalMs: 100, samples: 1 });
    expect(r.error).toBeUndefined();
    expect(r.groups).toEqual([{ cgroup: APP, cpuSeconds: 0.15, maxMemoryBytes: 1000 * 1024, processes: 1 }]);
    expect(statSync(out).ino).toBe(inode);

    // A child: the figures change but the last write is 100 ms old.
    proc.set({ pid: 21, ppid: 20, utime: 20, rssKb: 3000, hwmKb: 3500 });
    await d.step(100);
    expect(written().samples).toBe(1);
    await d.step(400);
    expect(written().samples).toBe(1);
    // A second after the last write: the pending change is written, with no further change.
    await d.step(500);
    r = written();
    expect(r.samples).toBe(4);
    expect(r.groups).toEqual([{ cgroup: APP, cpuSeconds: 0.35, maxMemoryBytes: 4000 * 1024, processes: 2 }]);

    // Nothing changes for two seconds: no write.
    const before = statSync(out).mtimeMs;
    await d.step(1000);
    await d.step(1000);
    expect(written().samples).toBe(4);
    expect(statSync(out).mtimeMs).toBe(before);

    // The child is reaped by its parent (cutime 25): not counted twice.
    proc.remove(21);
    proc.set({ pid: 20, ppid: 0, utime: 10, stime: 5, cutime: 25, rssKb: 1000 });
    await d.step(1000);
    expect(cpu(written())).toEqual({ [APP]: 0.4 });

    // Stop: one last sample (the parent ran 2 more ticks), one last write.
    proc.set({ pid: 20, ppid: 0, utime: 12, stime: 5, cutime: 25, rssKb: 1000 });
    d.t += 10;
    d.stop.abort();
    const final = await d.done;
    expect(final.samples).toBe(8);
    expect(cpu(final)).toEqual({ [APP]: 0.42 });
    expect(readFileSync(out, 'utf8')).toBe(encodeMonitorReport(final));
    expect(statSync(out).ino).toBe(inode);
    expect(d.logs).toEqual([]);
    // Each sleep is the interval less the time the sample took (none, on this clock).
    expect(d.sleeps.every((ms) => ms === 100)).toBe(true);
  });

  it('says the process namespace is not shared when no other container\'s process was ever seen', async () => {
    proc.set({ pid: 1, ppid: 0, cgroup: '/pause', rssKb: 500 });
    proc.set({ pid: 8, ppid: 0, utime: 40, cgroup: '/kubepods/pod1/monitor', rssKb: 40_000 });
    const d = new Driver();
    await d.start({ proc: proc.root, intervalMs: 100, terminationMessagePath: out });
    await d.step();
    d.stop.abort();
    const final = await d.done;
    expect(final.groups).toEqual([]);
    expect(final.error).toBe(NOT_SHARED_ERROR);
    expect(final.error).toContain('spec.shareProcessNamespace');
    expect(written()).toEqual(final);
  });

  it('goes on after a process it cannot read and a report it cannot write, logging each once', async () => {
    proc.set({ pid: 20, ppid: 0, utime: 10, rssKb: 1000 });
    proc.file('30/stat', 'not a stat line');
    const d = new Driver();
    await d.start({ proc: proc.root, intervalMs: 50, terminationMessagePath: join(dir, 'missing', 'log') });
    await d.step(2000);
    proc.set({ pid: 20, ppid: 0, utime: 11, rssKb: 1000 });
    await d.step(2000);
    await d.step(2000);
    d.stop.abort();
    const final = await d.done;
    expect(cpu(final)).toEqual({ [APP]: 0.11 });
    expect(final.samples).toBe(5);
    const msgs = d.logs.map((l) => l.msg);
    expect(msgs.filter((m) => String(m).includes('/30/stat'))).toHaveLength(1);
    // The same write failure within a minute is logged once.
    expect(msgs.filter((m) => String(m).startsWith('cannot write'))).toHaveLength(1);
    expect(d.logs.every((l) => l.level === 'error')).toBe(true);
  });

  it('a /proc that cannot be listed is logged and the loop goes on', async () => {
    const d = new Driver();
    await d.start({ proc: join(dir, 'nowhere'), intervalMs: 100, terminationMessagePath: out });
    await d.step();
    d.stop.abort();
    const final = await d.done;
    expect(final.samples).toBe(0);
    expect(final.error).toBe(NOT_SHARED_ERROR);
    expect(d.logs.filter((l) => String(l.msg).startsWith('cannot sample'))).toHaveLength(1);
  });
});

describe('servo-monitor command', () => {
  let stdout: string;
  let stderr: string;
  beforeEach(() => {
    stdout = '';
    stderr = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => ((stdout += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => ((stderr += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('--help prints its flags and exits 0', async () => {
    expect(await servoMonitorMain(['--help'])).toBe(0);
    for (const f of SERVO_MONITOR_FLAGS) expect(stdout).toContain(`--${f.name}`);
    expect(stdout).toContain('default "100ms"');
    expect(stdout).toContain('default "/dev/termination-log"');
    expect(stderr).toBe('');
  });

  it('a bad flag exits 2 with a message naming it', async () => {
    expect(await servoMonitorMain(['--interval=5ms'])).toBe(2);
    expect(stderr).toContain('servo-monitor: --interval: must be at least 10ms');
    expect(await servoMonitorMain(['--interval=often'])).toBe(2);
    expect(stderr).toContain('--interval: "often" is not a duration');
    expect(await servoMonitorMain(['--nope'])).toBe(2);
    expect(stderr).toContain('--nope: unknown flag');
    expect(await servoMonitorMain(['extra'])).toBe(2);
    expect(stderr).toContain('unexpected argument "extra"');
    expect(stdout).toBe('');
  });

  it('is a tool of platform-controllers: listed under Tools, dispatched before the controllers', async () => {
    expect(usage()).toMatch(/\nTools:\n {2}servo-monitor +\S/);
    expect(usage().indexOf('Tools:')).toBeGreaterThan(usage().indexOf('Controllers:'));
    expect(await main(['servo-monitor', '--help'], {})).toBe(0);
    expect(stdout).toContain('Usage: platform-controllers servo-monitor [flags]');
    expect(await main(['servo-monitor', '--interval=1ms'], {})).toBe(2);
    expect(stderr).toContain('--interval: must be at least 10ms');
  });
});

describe('servo-monitor as a process', () => {
  let proc: FakeProc;
  let dir: string;
  beforeEach(() => {
    proc = new FakeProc('/kubepods/pod1/monitor');
    dir = mkdtempSync(join(tmpdir(), 'servo-monitor-'));
  });
  afterEach(() => {
    proc.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on SIGTERM takes one last sample, writes it and exits 0', async () => {
    const out = join(dir, 'termination-log');
    writeFileSync(out, '');
    const inode = statSync(out).ino;
    proc.set({ pid: 20, ppid: 0, utime: 10, rssKb: 1000 });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'runtime/main.ts'), 'servo-monitor', `--proc=${proc.root}`, '--interval=10ms', `--termination-message-path=${out}`],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += String(b)));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (code, signal) => res([code, signal])));
    try {
      // The first sample is written at once.
      const deadline = Date.now() + 25_000;
      while (readFileSync(out, 'utf8') === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.parse(readFileSync(out, 'utf8')).groups).toEqual([{ cgroup: APP, cpuSeconds: 0.1, maxMemoryBytes: 1024000, processes: 1 }]);
      // Within the second that follows no other write is due: only the stop path writes this.
      proc.set({ pid: 20, ppid: 0, utime: 77, rssKb: 1000 });
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      child.kill('SIGKILL');
    }
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.groups[0].cpuSeconds).toBe(0.77);
    expect(statSync(out).ino).toBe(inode);
    expect(stderr).toBe('');
  }, 40_000);
});

describe('servo-monitor on the real /proc', () => {
  // The grandchild burns ~400 ms of CPU, then prints what it used (since its start).
  const BURN =
    'const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };' +
    'let x = 0; while (used() < 400) { for (let i = 0; i < 1e5; i++) x += i; }' +
    'process.stdout.write(JSON.stringify(process.cpuUsage()) + "\\n");';

  /**
   * Runs `sh -c <script>` (which runs node with BURN) under a monitor sampling the real /proc
   * every 100 ms and selecting the shell's process tree by ancestry (everything here shares one
   * cgroup); returns the tree's group and the CPU time node said it used.
   */
  async function measure(script: string) {
    const dir = mkdtempSync(join(tmpdir(), 'servo-monitor-'));
    let root = -1;
    const tree = new Set<number>();
    const groupOf = (p: ProcessInfo) => {
      if (p.pid !== root && p.ppid !== root && !tree.has(p.ppid)) return undefined;
      tree.add(p.pid);
      return 'tree';
    };
    const stop = new AbortController();
    let samples = 0;
    const done = runMonitor(
      { proc: '/proc', intervalMs: 100, terminationMessagePath: join(dir, 'log'), groupOf, onSample: (n) => (samples = n) },
      stop.signal,
    );
    try {
      const child = spawn('sh', ['-c', script], {
        env: { ...process.env, NODE: process.execPath, BURN },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // Set before the monitor's next sample: sampling is synchronous, between event loop turns.
      root = child.pid!;
      let text = '';
      child.stdout.on('data', (b) => (text += String(b)));
      await new Promise((res) => child.on('close', res));
      const [line, exit] = text.trim().split('\n');
      expect(exit).toBe('exit 0');
      const used = JSON.parse(line) as { user: number; system: number };
      stop.abort();
      const report = await done;
      expect(report.groups).toHaveLength(1);
      return { group: report.groups[0], actual: (used.user + used.system) / 1e6, samples };
    } finally {
      stop.abort();
      await done;
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const expectClose = (r: Awaited<ReturnType<typeof measure>>) => {
    expect(r.group.processes).toBeGreaterThanOrEqual(2); // sh and node
    expect(r.group.cpuSeconds).toBeGreaterThanOrEqual(0.2);
    expect(r.group.cpuSeconds).toBeGreaterThanOrEqual(r.actual * 0.6);
    expect(r.group.cpuSeconds).toBeLessThanOrEqual(r.actual * 1.4);
    // Node's resident set: some tens of MB.
    expect(r.group.maxMemoryBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(r.samples).toBeGreaterThanOrEqual(3);
  };

  it('measures a grandchild reaped by its shell (through the shell\'s cutime) within 40%', async () => {
    // The shell outlives node: node is dropped when it goes, the shell's cutime holds its time.
    const r = await measure('"$NODE" -e "$BURN"; st=$?; sleep 0.3; echo "exit $st"');
    expectClose(r);
  }, 30_000);

  it('measures a grandchild that ends with its shell (both retired with their last figures) within 40%', async () => {
    const r = await measure('"$NODE" -e "$BURN"; echo "exit $?"');
    expectClose(r);
  }, 30_000);
});
