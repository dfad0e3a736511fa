import { Accounting, USER_HZ, type ProcessSample } from '../../../runtime/servo/monitor/accounting.js';

const APP = '/kubepods/pod1/app';
const SIDE = '/kubepods/pod1/side';

/** A process in one sample; ticks = utime + stime + cutime + cstime. */
function p(pid: number, ppid: number, cpuTicks: number, more: Partial<ProcessSample> = {}): ProcessSample {
  return { pid, ppid, cpuTicks, starttime: 1000 + pid, group: APP, rssBytes: 0, hwmBytes: 0, ...more };
}

/** Feeds the samples in order; returns the CPU seconds of each group after the last one. */
function run(...samples: ProcessSample[][]): { acc: Accounting; cpu: Record<string, number>; processes: Record<string, number> } {
  const acc = new Accounting();
  for (const s of samples) acc.add(s);
  const groups = acc.groups();
  return {
    acc,
    cpu: Object.fromEntries(groups.map((g) => [g.cgroup, g.cpuSeconds])),
    processes: Object.fromEntries(groups.map((g) => [g.cgroup, g.processes])),
  };
}

describe('Accounting: CPU time per group', () => {
  it('counts a live process by its total and retires a top-level one with its last total', () => {
    // The shim (outside the pod's PID namespace) is the parent: ppid 0.
    const { cpu } = run([p(10, 0, 5)], [p(10, 0, 30)], [p(10, 0, 70)], []);
    expect(cpu).toEqual({ [APP]: 70 / USER_HZ });
    expect(USER_HZ).toBe(100);
  });

  it('a child reaped by its live parent is not counted twice: the parent\'s cutime holds it', () => {
    const { cpu } = run(
      [p(10, 0, 10), p(11, 10, 30)],
      // The child ran 2 more ticks and was waited for: 32 in the parent's cutime.
      [p(10, 0, 10 + 32)],
      [p(10, 0, 10 + 32 + 1)],
    );
    expect(cpu).toEqual({ [APP]: 0.43 });
  });

  it('a child that lived entirely between two samples is counted through the parent\'s cutime', () => {
    const { cpu, processes } = run([p(10, 0, 10)], [p(10, 0, 10 + 25)], [p(10, 0, 35)]);
    expect(cpu).toEqual({ [APP]: 0.35 });
    expect(processes).toEqual({ [APP]: 1 });
  });

  it('an orphan reparented to PID 1 (the pause process) is retired when it ends', () => {
    const { cpu } = run(
      [p(10, 0, 10), p(11, 10, 20)],
      // The parent exits (retired with 12); the child is reparented to PID 1.
      [p(11, 1, 25)],
      [p(11, 1, 40)],
      // Reaped by PID 1, which is not measured: retired with 40.
      [],
    );
    expect(cpu).toEqual({ [APP]: (10 + 40) / USER_HZ });
  });

  it('an orphan whose parent vanished earlier, seen with its old ppid, is retired too', () => {
    const { cpu } = run([p(10, 0, 10), p(11, 10, 20)], [p(11, 10, 25)], []);
    expect(cpu).toEqual({ [APP]: (10 + 25) / USER_HZ });
  });

  it('a parent and its child vanishing in the same interval, the parent top-level: both retired', () => {
    const { cpu } = run([p(10, 0, 10), p(11, 10, 50)], [p(10, 0, 12), p(11, 10, 60)], []);
    expect(cpu).toEqual({ [APP]: (12 + 60) / USER_HZ });
  });

  it('a parent and its child vanishing together, the parent reaped by a live grandparent: both dropped', () => {
    const { cpu } = run(
      [p(5, 0, 10), p(10, 5, 5), p(11, 10, 50)],
      // The child ran to 55, was waited for by 10 (cutime 55), 10 ran to 6 of its own and was
      // waited for by 5: 5's cutime now holds 61.
      [p(5, 0, 10 + 61)],
    );
    expect(cpu).toEqual({ [APP]: 0.71 });
  });

  it('a child whose parent is in another group is retired (that group is not this one)', () => {
    const { cpu } = run([p(10, 0, 10, { group: SIDE }), p(11, 10, 20)], [p(10, 0, 10 + 20, { group: SIDE })]);
    expect(cpu).toEqual({ [SIDE]: 0.3, [APP]: 0.2 });
  });

  it('a reused pid with a new start time is a new process; the old one is retired', () => {
    const { cpu, processes } = run(
      [p(10, 0, 50, { starttime: 100 })],
      [p(10, 0, 3, { starttime: 200 })],
      [p(10, 0, 4, { starttime: 200 })],
    );
    expect(cpu).toEqual({ [APP]: (50 + 4) / USER_HZ });
    expect(processes).toEqual({ [APP]: 2 });
  });

  it('a reused pid as a parent is not the parent: a child of the old one is retired', () => {
    const { cpu } = run(
      [p(10, 0, 10, { starttime: 100 }), p(11, 10, 20)],
      // The old 10 exited (retired 10) and its pid went to a new process; 11 ended too.
      [p(10, 0, 1, { starttime: 300 })],
    );
    expect(cpu).toEqual({ [APP]: (10 + 20 + 1) / USER_HZ });
  });

  it('a zombie counts with its final times until its parent reaps it', () => {
    const { acc, cpu } = run(
      [p(10, 0, 10, { rssBytes: 1000 }), p(11, 10, 15, { rssBytes: 5000 })],
      // Exited, not yet waited for: state Z, no memory, final times.
      [p(10, 0, 10, { rssBytes: 1000 }), p(11, 10, 20)],
      [p(10, 0, 10, { rssBytes: 1000 }), p(11, 10, 20)],
      // Reaped: the parent's cutime holds its 20.
      [p(10, 0, 30, { rssBytes: 1000 })],
    );
    expect(cpu).toEqual({ [APP]: 0.3 });
    expect(acc.groups()[0].maxMemoryBytes).toBe(6000);
  });

  it('the CPU time never goes down (a parent ignoring SIGCHLD gets no cutime)', () => {
    const { cpu } = run([p(10, 0, 10), p(11, 10, 30)], [p(10, 0, 11)], [p(10, 0, 12)]);
    expect(cpu).toEqual({ [APP]: 0.4 });
  });

  it('keeps each group apart and counts distinct processes', () => {
    const { processes } = run(
      [p(10, 0, 1), p(20, 0, 1, { group: SIDE })],
      [p(10, 0, 1), p(11, 10, 1), p(20, 0, 1, { group: SIDE })],
      [p(10, 0, 1), p(20, 0, 1, { group: SIDE })],
    );
    expect(processes).toEqual({ [APP]: 2, [SIDE]: 1 });
  });
});

describe('Accounting: memory per group', () => {
  it('is the largest sum of VmRSS of one sample, or the largest VmHWM when larger', () => {
    const { acc } = run(
      [p(10, 0, 1, { rssBytes: 100, hwmBytes: 150 }), p(11, 10, 1, { rssBytes: 200, hwmBytes: 250 }), p(20, 0, 1, { group: SIDE, rssBytes: 10, hwmBytes: 900 })],
      [p(10, 0, 1, { rssBytes: 120, hwmBytes: 150 })],
      [p(10, 0, 1, { rssBytes: 120, hwmBytes: 150 }), p(12, 10, 1, { rssBytes: 50, hwmBytes: 60 })],
    );
    const mem = Object.fromEntries(acc.groups().map((g) => [g.cgroup, g.maxMemoryBytes]));
    expect(mem).toEqual({ [APP]: 300, [SIDE]: 900 });
  });
});

describe('Accounting: what changed', () => {
  it('says whether a reported figure changed, the sample count aside', () => {
    const acc = new Accounting();
    expect(acc.sawAny).toBe(false);
    expect(acc.add([])).toBe(false);
    expect(acc.add([p(10, 0, 5, { rssBytes: 10 })])).toBe(true); // a new process
    expect(acc.sawAny).toBe(true);
    expect(acc.add([p(10, 0, 5, { rssBytes: 10 })])).toBe(false);
    expect(acc.add([p(10, 0, 6, { rssBytes: 10 })])).toBe(true); // CPU
    expect(acc.add([p(10, 0, 6, { rssBytes: 11 })])).toBe(true); // RSS
    expect(acc.add([p(10, 0, 6, { rssBytes: 5 })])).toBe(false); // below the peak
    expect(acc.add([p(10, 0, 6, { rssBytes: 5, hwmBytes: 50 })])).toBe(true); // HWM
    expect(acc.add([])).toBe(false); // retired with the same total
    expect(acc.samples).toBe(8);
  });

  it('ignores a second entry for the same pid in one sample', () => {
    const { cpu, processes } = run([p(10, 0, 5), p(10, 0, 7, { starttime: 5 })], [p(10, 0, 6)]);
    expect(cpu).toEqual({ [APP]: 0.06 });
    expect(processes).toEqual({ [APP]: 1 });
  });
});
