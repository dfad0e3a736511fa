import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProcSampler, cgroupSelector, parseCgroup, parseStat, parseStatus } from '../../../runtime/servo/monitor/proc.js';
import { FakeProc, statLine, statusText } from './fake-proc.js';

describe('parseStat', () => {
  it('reads state, ppid, the four times and the start time by their proc(5) field numbers', () => {
    const line = statLine({ pid: 42, ppid: 7, state: 'R', utime: 11, stime: 12, cutime: 13, cstime: 14, starttime: 98765 });
    expect(parseStat(line)).toEqual({ state: 'R', ppid: 7, utime: 11, stime: 12, cutime: 13, cstime: 14, starttime: 98765 });
  });

  it('reads after the LAST ")": a command name with spaces and parentheses does not shift the fields', () => {
    for (const comm of ['my app', 'a) S 99 99 99', '((x))', ') R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 (']) {
      const line = statLine({ pid: 5, comm, ppid: 3, state: 'S', utime: 101, stime: 202, cutime: 303, cstime: 404, starttime: 5555 });
      expect(parseStat(line)).toEqual({ state: 'S', ppid: 3, utime: 101, stime: 202, cutime: 303, cstime: 404, starttime: 5555 });
    }
  });

  it('reads a real line of this kernel', () => {
    const st = parseStat(readFileSync('/proc/self/stat', 'latin1'));
    expect(st).toBeDefined();
    expect(st!.ppid).toBeGreaterThan(0);
    expect(st!.starttime).toBeGreaterThan(0);
    expect(st!.utime + st!.stime).toBeGreaterThan(0);
  });

  it('refuses a truncated or malformed line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('12 (app')).toBeUndefined();
    expect(parseStat('12 (app) S 1 1 1 0 -1 0 0 0 0 0 5 6')).toBeUndefined();
    expect(parseStat(statLine({ pid: 1, ppid: 0 }).replace(' 0 0 0 0 20', ' x 0 0 0 20'))).toBeUndefined();
  });
});

describe('parseStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    expect(parseStatus(statusText({ pid: 3, ppid: 1, rssKb: 2008, hwmKb: 4096 }))).toEqual({ rssBytes: 2008 * 1024, hwmBytes: 4096 * 1024 });
  });

  it('gives 0 without the Vm lines (a zombie, a kernel thread)', () => {
    const text = statusText({ pid: 3, ppid: 1, state: 'Z' });
    expect(text).not.toContain('VmRSS');
    expect(parseStatus(text)).toEqual({ rssBytes: 0, hwmBytes: 0 });
  });

  it('reads this process', () => {
    const { rssBytes, hwmBytes } = parseStatus(readFileSync('/proc/self/status', 'latin1'));
    expect(rssBytes).toBeGreaterThan(1024 * 1024);
    expect(hwmBytes).toBeGreaterThanOrEqual(rssBytes);
  });
});

describe('parseCgroup', () => {
  it('takes the unified line with cgroup v2', () => {
    expect(parseCgroup('0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope\n')).toBe('/kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope');
    // Seen from the monitor's own cgroup namespace, a sibling container is above its root.
    expect(parseCgroup('0::/../cri-containerd-abc.scope\n')).toBe('/../cri-containerd-abc.scope');
  });

  it("takes the memory controller's line with cgroup v1, also when a unified line is there (hybrid)", () => {
    const v1 = ['12:pids:/kubepods/pod1/c1', '11:cpu,cpuacct:/kubepods/pod1/c1x', '4:memory:/kubepods/burstable/pod1/c1', '1:name=systemd:/kubepods/pod1/c1s'].join('\n');
    expect(parseCgroup(`${v1}\n`)).toBe('/kubepods/burstable/pod1/c1');
    expect(parseCgroup(`${v1}\n0::/\n`)).toBe('/kubepods/burstable/pod1/c1');
    expect(parseCgroup(`0::/\n${v1}`)).toBe('/kubepods/burstable/pod1/c1');
    // A controller whose name only contains "memory" is not it.
    expect(parseCgroup('3:memory_x:/a\n2:blkio:/b\n')).toBe('/a');
  });

  it('takes the first line when there is neither, and keeps colons in the path', () => {
    expect(parseCgroup('5:cpuset:/a:b\n3:blkio:/c\n')).toBe('/a:b');
    expect(parseCgroup('')).toBeUndefined();
    expect(parseCgroup('garbage\n')).toBeUndefined();
  });
});

describe('ProcSampler on a fake /proc', () => {
  let proc: FakeProc;
  beforeEach(() => (proc = new FakeProc('/kubepods/pod1/monitor')));
  afterEach(() => proc.dispose());

  const copy = (s: readonly object[]) => s.map((x) => ({ ...x }));

  it('leaves out PID 1 and the monitor\'s own cgroup, sums the four times and reads memory', () => {
    proc.set({ pid: 1, ppid: 0, utime: 5, cgroup: '/kubepods/pod1/pause', rssKb: 100 });
    proc.set({ pid: 8, ppid: 0, utime: 50, cgroup: '/kubepods/pod1/monitor', rssKb: 40_000 });
    proc.set({ pid: 12, ppid: 0, utime: 1, stime: 2, cutime: 3, cstime: 4, starttime: 777, rssKb: 10, hwmKb: 30 });
    mkdirSync(join(proc.root, 'sys'));
    const sampler = new ProcSampler({ proc: proc.root });
    expect(sampler.ownCgroup).toBe('/kubepods/pod1/monitor');
    expect(copy(sampler.sample())).toEqual([
      { pid: 12, ppid: 0, starttime: 777, group: '/kubepods/pod1/app', cpuTicks: 10, rssBytes: 10 * 1024, hwmBytes: 30 * 1024 },
    ]);
  });

  it('skips a process whose files vanished between readdir and read, silently', () => {
    proc.set({ pid: 12, ppid: 0, utime: 1, rssKb: 10 });
    mkdirSync(join(proc.root, '30')); // gone: no stat
    proc.file('31/stat', statLine({ pid: 31, ppid: 0 })); // gone before its cgroup was read
    const logs: unknown[] = [];
    const sampler = new ProcSampler({ proc: proc.root, log: (e) => logs.push(e) });
    expect(sampler.sample().map((s) => s.pid)).toEqual([12]);
    expect(logs).toEqual([]);
  });

  it('keeps a process whose status is gone, with no memory; reads cgroup once per identity', () => {
    proc.set({ pid: 12, ppid: 0, utime: 1, rssKb: 10 });
    const seen: number[] = [];
    const logs: unknown[] = [];
    const sampler = new ProcSampler({ proc: proc.root, groupOf: (p) => (seen.push(p.pid), p.cgroup), log: (e) => logs.push(e) });
    expect(sampler.sample()[0]).toMatchObject({ rssBytes: 10 * 1024, group: '/kubepods/pod1/app' });
    // The same process (same start time): its cgroup is not read again.
    proc.set({ pid: 12, ppid: 0, utime: 9, rssKb: 10, cgroup: '/elsewhere' });
    rmSync(join(proc.root, '12', 'status'));
    expect(copy(sampler.sample())).toEqual([{ pid: 12, ppid: 0, starttime: 1012, group: '/kubepods/pod1/app', cpuTicks: 9, rssBytes: 0, hwmBytes: 0 }]);
    expect(seen).toEqual([12]);
    expect(logs).toEqual([]);
  });

  it('a reused pid (another start time) is another process: its cgroup is read again', () => {
    proc.set({ pid: 12, ppid: 0, utime: 1, starttime: 100, rssKb: 10, cgroup: '/a' });
    const sampler = new ProcSampler({ proc: proc.root });
    expect(sampler.sample()[0]).toMatchObject({ starttime: 100, group: '/a' });
    proc.set({ pid: 12, ppid: 0, utime: 1, starttime: 200, rssKb: 10, cgroup: '/b' });
    expect(sampler.sample()[0]).toMatchObject({ starttime: 200, group: '/b' });
  });

  it('a process that cannot be read keeps its last figures and is logged once', () => {
    proc.set({ pid: 12, ppid: 0, utime: 7, rssKb: 10 });
    proc.set({ pid: 13, ppid: 0, utime: 1, rssKb: 10 });
    const logs: Array<Record<string, unknown>> = [];
    const sampler = new ProcSampler({ proc: proc.root, log: (e) => logs.push(e) });
    sampler.sample();
    proc.file('12/stat', '12 (app) S garbage\n');
    proc.file('14/stat', 'also garbage\n');
    for (let i = 0; i < 3; i++) {
      expect(copy(sampler.sample()).map((s: any) => [s.pid, s.cpuTicks])).toEqual([[12, 7], [13, 1]]);
    }
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ level: 'error', pid: 12, msg: expect.stringContaining('/12/stat') });
    expect(logs[1]).toMatchObject({ pid: 14 });
    // Readable again: the figures move on.
    proc.set({ pid: 12, ppid: 0, utime: 9, rssKb: 10 });
    expect(sampler.sample().find((s) => s.pid === 12)?.cpuTicks).toBe(9);
  });

  it('a stat that cannot be opened for another reason than vanishing is logged, not thrown', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    proc.set({ pid: 12, ppid: 0, utime: 7, rssKb: 10 });
    chmodSync(join(proc.root, '12', 'stat'), 0o000);
    const logs: unknown[] = [];
    const sampler = new ProcSampler({ proc: proc.root, log: (e) => logs.push(e) });
    expect(sampler.sample()).toEqual([]);
    expect(logs).toHaveLength(1);
  });

  it('without a readable own cgroup, says so and leaves nothing out but PID 1', () => {
    const bare = new FakeProc(null);
    try {
      bare.set({ pid: 1, ppid: 0, rssKb: 1 }).set({ pid: 2, ppid: 0, rssKb: 1 });
      const logs: unknown[] = [];
      const sampler = new ProcSampler({ proc: bare.root, log: (e) => logs.push(e) });
      expect(sampler.ownCgroup).toBeUndefined();
      expect(sampler.sample().map((s) => s.pid)).toEqual([2]);
      expect(logs).toHaveLength(1);
    } finally {
      bare.dispose();
    }
  });

  it('cgroupSelector leaves out the own cgroup and unknown ones', () => {
    const sel = cgroupSelector('/me');
    expect(sel({ pid: 2, ppid: 0, starttime: 1, cgroup: '/me' })).toBeUndefined();
    expect(sel({ pid: 2, ppid: 0, starttime: 1, cgroup: undefined })).toBeUndefined();
    expect(sel({ pid: 2, ppid: 0, starttime: 1, cgroup: '/you' })).toBe('/you');
  });
});
