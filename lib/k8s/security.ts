import { k8s } from 'cdk8s-plus-28';

/**
 * Defaults that satisfy the Pod Security Standard `restricted` profile.
 * Plain Kubernetes JSON, so they fit L1 (`k8s.Kube*`) objects and raw PodSpecs alike.
 */

/** Non-root uid/gid used by distroless images (`nonroot`). */
export const NONROOT_ID = 65532;

/** The pod's: non-root `uid` as user, group and fsGroup (so its emptyDirs and claims are writable), RuntimeDefault seccomp. */
export function restrictedPodSecurityContext(uid: number = NONROOT_ID): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Requests and limits for a container. */
export interface ResourceRequirementsProps {
  /** CPU request, e.g. `100m`. @default '100m' */
  readonly cpuRequest?: string;
  /** CPU limit. @default '500m' */
  readonly cpuLimit?: string;
  /** Memory request, e.g. `128Mi`. @default '128Mi' */
  readonly memoryRequest?: string;
  /** Memory limit. @default '256Mi' */
  readonly memoryLimit?: string;
}

/**
 * Requests and limits as the L1 classes want them: `k8s.Quantity` objects. (A plain string in
 * an L1 `resources` field would synthesize as `null`.)
 */
export function resourceRequirements(props: ResourceRequirementsProps = {}): k8s.ResourceRequirements {
  const q = (v: string) => k8s.Quantity.fromString(v);
  return {
    requests: { cpu: q(props.cpuRequest ?? '100m'), memory: q(props.memoryRequest ?? '128Mi') },
    limits: { cpu: q(props.cpuLimit ?? '500m'), memory: q(props.memoryLimit ?? '256Mi') },
  };
}
