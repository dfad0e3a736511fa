/**
 * What the monitor sidecar hands to the daemon: a JSON document in its termination message
 * (`/dev/termination-log`, at most 4096 bytes: the kubelet's limit), which the kubelet copies into
 * the pod's status (`status.initContainerStatuses[servo-monitor].state.terminated.message`).
 * No network, no Service, no credentials between job pods and the daemon; the figures survive
 * in the pod object for as long as the pod does, so a daemon restarted later still reads them.
 */

/** The kubelet keeps at most this many bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;
/** The report's error is cut to this many characters. */
export const MAX_ERROR_CHARS = 512;
/** At most this many groups are reported (largest CPU time first), so the report fits the limit. */
export const MAX_REPORT_GROUPS = 8;

/** The figures of the processes of one cgroup (one container) of the pod. */
export interface MonitorGroup {
  /** The cgroup path as `/proc/<pid>/cgroup` shows it to the monitor (it contains the container ID). */
  readonly cgroup: string;
  /** User + system CPU time of the group's processes, and of the children they reaped, in seconds. */
  readonly cpuSeconds: number;
  /** Peak resident memory seen: the larger of the largest sum of VmRSS and the largest VmHWM, in bytes. */
  readonly maxMemoryBytes: number;
  /** Distinct processes seen. */
  readonly processes: number;
}

export interface MonitorReport {
  /** Format version. */
  readonly v: 1;
  /** Sampling interval in milliseconds (figures miss at most one interval at the end of a process). */
  readonly intervalMs: number;
  /** Samples taken. */
  readonly samples: number;
  /** Groups other than the monitor's own and the pod's pause process. */
  readonly groups: readonly MonitorGroup[];
  /** Why nothing could be measured, e.g. the pod does not share its process namespace. */
  readonly error?: string;
}

/** The report as the monitor writes it: compact JSON, never above the kubelet's limit. */
export function encodeMonitorReport(report: MonitorReport): string {
  const groups = [...report.groups].sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, MAX_REPORT_GROUPS);
  const error = report.error === undefined ? {} : { error: report.error.length > MAX_ERROR_CHARS ? `${report.error.slice(0, MAX_ERROR_CHARS - 3)}...` : report.error };
  report = { ...report, ...error };
  let text = JSON.stringify({ ...report, groups });
  while (Buffer.byteLength(text) > TERMINATION_MESSAGE_LIMIT && groups.length) {
    groups.pop();
    text = JSON.stringify({ ...report, groups });
  }
  return text;
}

const isFiniteNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The report in a termination message, or a string saying what is wrong with it. */
export function parseMonitorReport(message: string | undefined): MonitorReport | string {
  if (message === undefined || message.trim() === '') return 'the monitor left no termination message';
  let doc: unknown;
  try {
    doc = JSON.parse(message);
  } catch {
    return `the monitor's termination message is not JSON: ${JSON.stringify(message.slice(0, 80))}`;
  }
  const r = doc as Partial<MonitorReport> | null;
  if (!r || typeof r !== 'object' || r.v !== 1) return 'the monitor\'s termination message is not a version 1 report';
  if (!Array.isArray(r.groups)) return 'the monitor\'s report has no groups list';
  for (const [i, g] of r.groups.entries()) {
    if (!g || typeof g.cgroup !== 'string' || !isFiniteNonNegative(g.cpuSeconds) || !isFiniteNonNegative(g.maxMemoryBytes)) {
      return `the monitor's report has a bad groups[${i}]`;
    }
  }
  return {
    v: 1,
    intervalMs: isFiniteNonNegative(r.intervalMs) ? r.intervalMs : 0,
    samples: isFiniteNonNegative(r.samples) ? r.samples : 0,
    groups: r.groups.map((g) => ({ cgroup: g.cgroup, cpuSeconds: g.cpuSeconds, maxMemoryBytes: g.maxMemoryBytes, processes: isFiniteNonNegative(g.processes) ? g.processes : 0 })),
    ...(typeof r.error === 'string' ? { error: r.error } : {}),
  };
}

/**
 * The group of the container with `containerID` (`containerd://<id>`, `cri-o://<id>`, ...): the
 * one whose cgroup path contains the ID (every runtime names container cgroups after it). With
 * no ID known, or no match, the only group when there is exactly one.
 */
export function groupOfContainer(report: MonitorReport, containerID: string | undefined): MonitorGroup | undefined {
  const id = containerID?.replace(/^[a-z0-9.+-]+:\/\//, '');
  if (id) {
    const hit = report.groups.find((g) => g.cgroup.includes(id));
    if (hit) return hit;
  }
  return report.groups.length === 1 ? report.groups[0] : undefined;
}
