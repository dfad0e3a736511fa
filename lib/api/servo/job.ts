/**
 * Which pods are jobs, and what their measurement is: one pure assessment of a pod, shared by
 * the webhook (at CREATE) and the daemon (on every change), so both agree on what a job is.
 */
import { appIdOf, type AppIdPath } from './app-id.js';
import { groupOfContainer, parseMonitorReport } from './monitor-report.js';
import { DONE_AT_ANNOTATION, MEASURED_ANNOTATION, MEASUREMENT_FINALIZER, MONITOR_CONTAINER } from './names.js';
import { isPodTerminal, type ContainerStateTerminated, type ContainerStatus, type JobPodObject, type PodContainer } from './pod.js';
import type { MeasurementParam, MetricValue } from './wire.js';

/** What makes a pod a job. */
export interface JobSelection {
  /** Watched namespaces. */
  readonly namespaces: readonly string[];
  readonly appIdPath: AppIdPath;
}

/**
 * The pod's app id when it is a job: in a watched namespace, not `restartPolicy: Always` (a
 * job's container ends; the API server defaults an absent policy to Always), and its app id
 * resolves to a non-empty string. Undefined otherwise.
 */
export function jobAppId(pod: JobPodObject, sel: JobSelection): string | undefined {
  const ns = pod.metadata?.namespace;
  if (ns === undefined || !sel.namespaces.includes(ns)) return undefined;
  if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') return undefined;
  return appIdOf(pod, sel.appIdPath);
}

/** The job's container: the one the app id path reads (`spec/containers/<i>` or `[name]`), else the first. */
export function jobContainer(pod: JobPodObject, path: AppIdPath): PodContainer | undefined {
  const containers = objects(pod.spec?.containers);
  if (path.containerName !== undefined) return containers.find((c) => c.name === path.containerName);
  return containers[path.containerIndex] ?? containers[0];
}

/** The settled record of a pod ({@link MEASURED_ANNOTATION}), or undefined. */
export interface MeasuredRecord {
  readonly at: string;
  readonly status: number;
}

export function measuredRecordOf(pod: JobPodObject): MeasuredRecord | undefined {
  const raw = pod.metadata?.annotations?.[MEASURED_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const r = JSON.parse(raw) as Partial<MeasuredRecord>;
    if (typeof r.status === 'number' && typeof r.at === 'string') return { at: r.at, status: r.status };
  } catch {
    // A hand-written value: still settled (someone decided), reported as status 0.
  }
  return { at: '', status: 0 };
}

/** The entries of a list field that are objects: a missing, null or mistyped field reads as empty. */
function objects<T>(x: readonly T[] | undefined | null): T[] {
  return Array.isArray(x) ? x.filter((e): e is T => e !== null && typeof e === 'object') : [];
}

export const hasFinalizer = (pod: JobPodObject): boolean => Array.isArray(pod.metadata?.finalizers) && pod.metadata.finalizers.includes(MEASUREMENT_FINALIZER);
export const hasMonitor = (pod: JobPodObject): boolean =>
  objects(pod.spec?.initContainers).some((c) => c.name === MONITOR_CONTAINER) || objects(pod.spec?.containers).some((c) => c.name === MONITOR_CONTAINER);

/** The original's message for a job that never ran. */
export const NEVER_RAN_MESSAGE = 'job deleted before it ran';

export interface AssessOptions {
  readonly selection: JobSelection;
  /** How long after the job container ends the monitor's figures are awaited. */
  readonly statsTimeoutMs: number;
}

/** Where a job pod stands. */
export type JobAssessment =
  /** Not a job (any more): nothing to report; a finalizer of ours is released. */
  | { readonly state: 'not-a-job' }
  /** Its measurement is settled (annotation present): only the finalizer is released. */
  | { readonly state: 'settled'; readonly record: MeasuredRecord }
  /** The job container has not ended yet. */
  | { readonly state: 'running'; readonly appId: string }
  /** The job container ended; the monitor's figures are awaited until `deadlineMs` (epoch ms). */
  | { readonly state: 'awaiting-monitor'; readonly appId: string; readonly deadlineMs: number }
  /** Ready to report: what to send, and notes for the log (e.g. why cpu_time is missing). */
  | { readonly state: 'report'; readonly appId: string; readonly param: MeasurementParam | { status: 'failed'; message: string }; readonly notes: readonly string[]; readonly finishedAtMs?: number };

const parseTime = (t: unknown): number | undefined => {
  if (typeof t !== 'string') return undefined;
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
};

function statusOf(statuses: readonly ContainerStatus[] | undefined, name: string | undefined): ContainerStatus | undefined {
  return name === undefined ? undefined : objects(statuses).find((s) => s.name === name);
}

/** The `terminated` state of a status, when it is an object. */
function terminatedOf(status: ContainerStatus | undefined): ContainerStateTerminated | undefined {
  const t = status?.state?.terminated;
  return t !== null && typeof t === 'object' ? t : undefined;
}

const metric = (value: number, unit: string): MetricValue => ({ value, unit });

/**
 * Assesses a pod. Pure: `nowMs` is the current time. Never throws, whatever fields are missing.
 *
 * The job container's end is final when its state is `terminated` and the pod will not restart
 * it (`restartPolicy: Never`, or `OnFailure` with exit code 0). A pod that is Succeeded/Failed
 * without that, or deleted before it was ever scheduled, never ran: it is reported as the
 * original reports it, `{"status":"failed","message":"job deleted before it ran"}`.
 */
export function assessJob(pod: JobPodObject, opts: AssessOptions, nowMs: number): JobAssessment {
  const appId = jobAppId(pod, opts.selection);
  if (appId === undefined) return { state: 'not-a-job' };
  const record = measuredRecordOf(pod);
  if (record) return { state: 'settled', record };

  const container = jobContainer(pod, opts.selection.appIdPath);
  const status = statusOf(pod.status?.containerStatuses, container?.name);
  const terminated = terminatedOf(status);
  const restartPolicy = pod.spec?.restartPolicy;
  // OnFailure restarts a failed container, unless the pod itself has ended (deadline, deletion).
  const ended = terminated !== undefined && (restartPolicy === 'Never' || terminated.exitCode === 0 || isPodTerminal(pod));
  const neverRan = { state: 'report', appId, param: { status: 'failed', message: NEVER_RAN_MESSAGE }, notes: [] } as const;
  if (!ended) {
    if (isPodTerminal(pod)) return neverRan;
    if (pod.metadata?.deletionTimestamp && !pod.spec?.nodeName) return neverRan;
    return { state: 'running', appId };
  }
  const startedMs = parseTime(terminated.startedAt);
  const finishedMs = parseTime(terminated.finishedAt);
  if (startedMs === undefined || finishedMs === undefined) return neverRan;

  const notes: string[] = [];
  const metrics: { -readonly [K in keyof MeasurementParam['metrics']]: MeasurementParam['metrics'][K] } = {
    duration: metric(Math.max(0, finishedMs - startedMs) / 1000, 's'),
  };
  if (finishedMs < startedMs) notes.push('finishedAt is before startedAt: duration reported as 0');
  if (metrics.duration.value > 0) metrics.perf = metric(1 / metrics.duration.value, '1/s');
  else notes.push('duration is 0 (below the 1 s resolution of container timestamps): perf omitted');

  if (hasMonitor(pod)) {
    const monitor = statusOf(pod.status?.initContainerStatuses, MONITOR_CONTAINER) ?? statusOf(pod.status?.containerStatuses, MONITOR_CONTAINER);
    const done = terminatedOf(monitor);
    if (!done) {
      const deadlineMs = finishedMs + opts.statsTimeoutMs;
      if (!isPodTerminal(pod) && nowMs < deadlineMs) return { state: 'awaiting-monitor', appId, deadlineMs };
      notes.push('the monitor did not report in time: cpu_time and max_memory omitted');
    } else {
      const report = parseMonitorReport(typeof done.message === 'string' ? done.message : undefined);
      if (typeof report === 'string') notes.push(`${report}: cpu_time and max_memory omitted`);
      else {
        const group = groupOfContainer(report, status?.containerID);
        if (group) {
          metrics.cpu_time = metric(group.cpuSeconds, 's');
          metrics.max_memory = metric(group.maxMemoryBytes, 'bytes');
        } else notes.push(`the monitor saw no process of the job container${report.error ? ` (${report.error})` : ''}: cpu_time and max_memory omitted`);
      }
    }
  }

  const doneAt = pod.metadata?.annotations?.[DONE_AT_ANNOTATION];
  const createdMs = parseTime(pod.metadata?.creationTimestamp);
  if (typeof doneAt === 'string' && /^\d+$/.test(doneAt.trim()) && createdMs !== undefined) {
    metrics.est_duration = metric(Number(doneAt.trim()) - Math.floor(createdMs / 1000), 's');
  }
  return {
    state: 'report',
    appId,
    finishedAtMs: finishedMs,
    notes,
    param: {
      metrics,
      annotations: { resources: JSON.stringify(container?.resources ?? {}), exitcode: typeof terminated.exitCode === 'number' ? terminated.exitCode : -1 },
    },
  };
}
