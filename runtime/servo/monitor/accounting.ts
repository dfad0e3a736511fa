/**
 * The CPU time and peak memory of each group (one per container) from successive samples of its
 * processes. Pure: fed with samples, no I/O, so every rule below can be tested by hand.
 *
 * CPU time of a group = Σ over its live processes of utime + stime + cutime + cstime, plus the
 * time "retired" with processes that are gone. cutime/cstime hold the times of the children a
 * process waited for (and of theirs), so a process reaped by a live parent of the group must be
 * dropped, not retired: the parent's cutime/cstime now hold its time (counting it again would
 * count it twice). A process is retired with its last-seen total when nobody of the group
 * reaped it: a top-level process (its parent is outside the group, e.g. the runtime's shim), an
 * orphan reparented to PID 1 (the pause process), a child that vanished in the same interval as
 * its parent when that parent is retired too.
 *
 * When the parent vanished in the same interval but was itself reaped by a live ancestor, the
 * child is dropped with it: a parent normally waits for its children before it exits, so the
 * child's time went up the chain into the live ancestor's cutime. (An orphan reparented to
 * PID 1 within that same interval is then missed: the one ambiguous case.)
 *
 * A process seen for the first time is counted from its start (its whole total); one that lived
 * entirely between two samples is counted through the cutime of the parent that reaped it. What
 * a retired process did in its last interval is missed. Zombies are live processes whose times
 * are final. The CPU time reported never decreases (a parent that ignores SIGCHLD gets no cutime
 * from its children: dropping those would otherwise lower the figure).
 *
 * Memory of a group: the largest Σ VmRSS of its live processes in one sample, and the largest
 * VmHWM of any of its processes; the larger of the two is reported.
 */
import type { MonitorGroup } from '../../../lib/api/servo/monitor-report.js';

/**
 * Clock ticks per second of the times in /proc/<pid>/stat (sysconf(_SC_CLK_TCK)). It is 100 on
 * every Linux architecture the image is built for (x86-64, arm64): the kernel's USER_HZ is a
 * fixed ABI value, independent of the kernel's internal HZ.
 */
export const USER_HZ = 100;

/** One process of a group in one sample. */
export interface ProcessSample {
  readonly pid: number;
  /** With the pid, the identity of the process (a reused pid has another start time). */
  readonly starttime: number;
  readonly ppid: number;
  /** The group it is accounted to (a cgroup path); fixed for an identity. */
  readonly group: string;
  /** utime + stime + cutime + cstime, in clock ticks. */
  readonly cpuTicks: number;
  /** VmRSS in bytes (0 for a zombie). */
  readonly rssBytes: number;
  /** VmHWM in bytes (0 for a zombie). */
  readonly hwmBytes: number;
}

interface GroupState {
  readonly cgroup: string;
  /** Ticks of the processes that are gone and that no live process of the group reaped. */
  retiredTicks: number;
  /** Σ ticks of the live processes in the current sample. */
  liveTicks: number;
  /** Σ VmRSS of the live processes in the current sample. */
  rssBytes: number;
  /** Reported figures. */
  cpuTicks: number;
  maxRssBytes: number;
  maxHwmBytes: number;
  processes: number;
}

interface Tracked {
  readonly pid: number;
  readonly starttime: number;
  readonly group: GroupState;
  /** Last seen. */
  ppid: number;
  ticks: number;
  /** The sample it was first and last seen in. */
  readonly first: number;
  last: number;
}

export class Accounting {
  private readonly tracked = new Map<number, Tracked>();
  private readonly byGroup = new Map<string, GroupState>();
  private readonly vanished: Tracked[] = [];
  private readonly vanishedByPid = new Map<number, Tracked>();
  private tick = 0;

  /** Samples taken. */
  get samples(): number {
    return this.tick;
  }

  /** Whether any process of any group was ever seen. */
  get sawAny(): boolean {
    return this.byGroup.size > 0;
  }

  /**
   * Takes one sample: every process of the groups present now (with at most one entry per pid).
   * Returns whether a reported figure changed.
   */
  add(samples: readonly ProcessSample[]): boolean {
    const tick = ++this.tick;
    const vanished = this.vanished;
    vanished.length = 0;
    for (const g of this.byGroup.values()) {
      g.liveTicks = 0;
      g.rssBytes = 0;
    }
    let changed = false;
    for (const s of samples) {
      let t = this.tracked.get(s.pid);
      if (t && (t.starttime !== s.starttime || t.last === tick)) {
        // A reused pid: the previous process with that pid is gone.
        if (t.last !== tick) vanished.push(t);
        else continue; // the same pid twice in one sample: keep the first
        t = undefined;
      }
      if (!t) {
        const group = this.group(s.group);
        group.processes++;
        changed = true;
        t = { pid: s.pid, starttime: s.starttime, group, ppid: s.ppid, ticks: s.cpuTicks, first: tick, last: tick };
        this.tracked.set(s.pid, t);
      }
      t.ppid = s.ppid;
      t.ticks = s.cpuTicks;
      t.last = tick;
      const g = t.group;
      g.liveTicks += s.cpuTicks;
      g.rssBytes += s.rssBytes;
      if (s.hwmBytes > g.maxHwmBytes) {
        g.maxHwmBytes = s.hwmBytes;
        changed = true;
      }
    }
    for (const t of this.tracked.values()) if (t.last !== tick) vanished.push(t);
    if (vanished.length) {
      const byPid = this.vanishedByPid;
      byPid.clear();
      for (const v of vanished) byPid.set(v.pid, v);
      for (const v of vanished) {
        if (!this.reapedInGroup(v, tick)) v.group.retiredTicks += v.ticks;
        if (this.tracked.get(v.pid) === v) this.tracked.delete(v.pid);
      }
      byPid.clear();
    }
    for (const g of this.byGroup.values()) {
      const cpu = g.liveTicks + g.retiredTicks;
      if (cpu > g.cpuTicks) {
        g.cpuTicks = cpu;
        changed = true;
      }
      if (g.rssBytes > g.maxRssBytes) {
        g.maxRssBytes = g.rssBytes;
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Whether a process gone in this sample was reaped by a live process of its group, directly
   * (its last-seen parent is still there) or through parents gone in the same sample.
   */
  private reapedInGroup(v: Tracked, tick: number): boolean {
    let child = v;
    // Each step goes to another vanished process: at most that many steps (no cycles).
    for (let steps = 0; steps <= this.vanished.length; steps++) {
      const parent = this.tracked.get(child.ppid);
      // Present now, and the same process as when the child was last seen (seen before now).
      if (parent && parent.last === tick && parent.first < tick) return parent.group === v.group;
      const gone = this.vanishedByPid.get(child.ppid);
      if (!gone || gone === child || gone.group !== v.group) return false;
      child = gone;
    }
    return false;
  }

  private group(cgroup: string): GroupState {
    let g = this.byGroup.get(cgroup);
    if (!g) {
      g = { cgroup, retiredTicks: 0, liveTicks: 0, rssBytes: 0, cpuTicks: 0, maxRssBytes: 0, maxHwmBytes: 0, processes: 0 };
      this.byGroup.set(cgroup, g);
    }
    return g;
  }

  /** The figures of every group so far. */
  groups(): MonitorGroup[] {
    return [...this.byGroup.values()].map((g) => ({
      cgroup: g.cgroup,
      cpuSeconds: g.cpuTicks / USER_HZ,
      maxMemoryBytes: Math.max(g.maxRssBytes, g.maxHwmBytes),
      processes: g.processes,
    }));
  }
}
