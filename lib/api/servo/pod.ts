/**
 * The parts of a Pod the servo reads and writes: a structural type, so lib/api needs no
 * Kubernetes client. Every field is optional: a pod missing any of them is handled, never a crash
 * (the original failed on a pod without `status.containerStatuses`).
 */

export interface ContainerStateTerminated {
  readonly exitCode?: number;
  readonly startedAt?: string | null;
  readonly finishedAt?: string | null;
  readonly message?: string;
  readonly reason?: string;
}

export interface ContainerStatus {
  readonly name?: string;
  readonly containerID?: string;
  readonly state?: { readonly terminated?: ContainerStateTerminated; readonly running?: object; readonly waiting?: object };
}

export interface PodContainer {
  readonly name?: string;
  readonly image?: string;
  readonly env?: readonly { readonly name?: string; readonly value?: string }[];
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
  readonly restartPolicy?: string;
}

export interface JobPodObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly generateName?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly annotations?: Record<string, string>;
    readonly labels?: Record<string, string>;
    readonly finalizers?: readonly string[];
  };
  readonly spec?: {
    readonly restartPolicy?: string;
    readonly nodeName?: string;
    readonly shareProcessNamespace?: boolean;
    readonly containers?: readonly PodContainer[];
    readonly initContainers?: readonly PodContainer[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
}

/** Whether the pod is Succeeded or Failed: nothing of it runs any more. */
export const isPodTerminal = (pod: JobPodObject): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** `namespace/name` of a pod, for messages. */
export const podRef = (pod: JobPodObject): string => `${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? pod.metadata?.generateName ?? '?'}`;
