/**
 * What the webhook does to a job pod at CREATE, as a JSONPatch: the measurement finalizer, and
 * (when a monitor image is configured) the monitor as a native sidecar with the pod's process
 * namespace shared. Pure and idempotent: a pod that already has them gets an empty patch.
 */
import { pointer } from '../../k8s/json-pointer.js';
import { MEASUREMENT_FINALIZER, MONITOR_COMMAND, MONITOR_CONTAINER } from './names.js';
import type { JobPodObject, PodContainer } from './pod.js';
import { hasFinalizer, hasMonitor } from './job.js';

/** One RFC 6902 operation (the subset the webhook emits). */
export type PatchOperation = { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown };

/** The monitor container's settings. */
export interface MonitorSettings {
  readonly image: string;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: string;
  /** Sampling interval in ms. */
  readonly intervalMs: number;
  /** CPU of the monitor (request and limit, so a Guaranteed pod stays Guaranteed), e.g. `50m`. */
  readonly cpu: string;
  /** Memory of the monitor (request and limit), e.g. `64Mi`. */
  readonly memory: string;
  /** V8 heap of the monitor in MiB (below `memory`). */
  readonly heapMiB: number;
}

/**
 * The monitor's ephemeral storage: it writes only its log (a read-only root), which the kubelet
 * rotates at 5 × 10Mi by default. Set in every pod: a namespace quota on ephemeral storage then
 * admits it, and QoS, which counts only cpu and memory, is unchanged.
 */
export const MONITOR_EPHEMERAL_STORAGE = { request: '16Mi', limit: '128Mi' } as const;

/** The monitor as an init container with `restartPolicy: Always` (a native sidecar, Kubernetes ≥ 1.29). */
export function monitorContainer(m: MonitorSettings, withResources: boolean): Record<string, unknown> {
  const disk = (v: string) => ({ 'ephemeral-storage': v });
  const compute = withResources ? { cpu: m.cpu, memory: m.memory } : {};
  return {
    name: MONITOR_CONTAINER,
    image: m.image,
    imagePullPolicy: m.imagePullPolicy ?? 'IfNotPresent',
    command: [...MONITOR_COMMAND],
    args: [`--interval=${m.intervalMs}ms`],
    restartPolicy: 'Always',
    env: [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${m.heapMiB}` }],
    resources: {
      requests: { ...compute, ...disk(MONITOR_EPHEMERAL_STORAGE.request) },
      limits: { ...compute, ...disk(MONITOR_EPHEMERAL_STORAGE.limit) },
    },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    // PodSecurity `restricted` as a whole: a restricted namespace keeps admitting the job.
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/** Whether no container of the pod requests or limits cpu or memory (QoS BestEffort: other resources do not count). */
function isBestEffort(pod: JobPodObject): boolean {
  const list = (x: unknown) => (Array.isArray(x) ? x : []) as PodContainer[];
  const all = [...list(pod.spec?.containers), ...list(pod.spec?.initContainers)];
  const sets = (r: Record<string, string> | undefined) => r !== null && typeof r === 'object' && ('cpu' in r || 'memory' in r);
  return all.every((c) => !sets(c?.resources?.requests) && !sets(c?.resources?.limits));
}

export interface Injection {
  readonly patch: readonly PatchOperation[];
  /** Told to the client (kubectl prints them). */
  readonly warnings: readonly string[];
}

/**
 * The patch for a job pod. The monitor gets equal requests and limits so a Guaranteed pod stays
 * Guaranteed, and no cpu or memory in a BestEffort pod so it stays BestEffort. `shareProcessNamespace: false`
 * set by the user is kept (the monitor then sees no process: no cpu_time/max_memory, a warning).
 */
export function injectionFor(pod: JobPodObject, monitor: MonitorSettings | undefined): Injection {
  const patch: PatchOperation[] = [];
  const warnings: string[] = [];
  if (!hasFinalizer(pod)) {
    if (pod.metadata?.finalizers?.length) patch.push({ op: 'add', path: pointer('metadata', 'finalizers', '-'), value: MEASUREMENT_FINALIZER });
    else patch.push({ op: 'add', path: pointer('metadata', 'finalizers'), value: [MEASUREMENT_FINALIZER] });
  }
  if (monitor && !hasMonitor(pod)) {
    const container = monitorContainer(monitor, !isBestEffort(pod));
    if (pod.spec?.initContainers?.length) patch.push({ op: 'add', path: pointer('spec', 'initContainers', '-'), value: container });
    else patch.push({ op: 'add', path: pointer('spec', 'initContainers'), value: [container] });
    const share = pod.spec?.shareProcessNamespace;
    if (share === undefined) patch.push({ op: 'add', path: pointer('spec', 'shareProcessNamespace'), value: true });
    else if (share === false) warnings.push('servo: spec.shareProcessNamespace is false, so the monitor cannot see the job: cpu_time and max_memory will not be measured');
  }
  return { patch, warnings };
}
