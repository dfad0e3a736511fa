/**
 * Defaults that satisfy the Pod Security Standard `restricted` profile.
 * Plain Kubernetes JSON, so they fit L1 (`k8s.Kube*`) objects, raw `ApiObject`s and the pod
 * templates of operators' custom resources alike. Pure TypeScript (no cdk8s).
 */

/** Non-root uid/gid used by distroless images (`nonroot`). */
export const NONROOT_ID = 65532;

/**
 * uid and gid for upstream images that run as any user (their files root-owned and readable,
 * their writes confined to the pod's volumes, made writable by `fsGroup`) but name a low one:
 * above 10000, clear of the node's own users, so a process that escapes its container is no
 * one the host knows.
 */
export const UNPRIVILEGED_ID = 10001;

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

/** Options of {@link restrictedContainerSecurityContext}. */
export interface ContainerSecurityOptions {
  /**
   * Leave the root filesystem writable (the field is omitted), for images that write outside
   * their volumes and cannot be told otherwise. Say so in the construct's docs.
   * @default false: `readOnlyRootFilesystem: true`
   */
  readonly writableRootFilesystem?: boolean;
}

/** A container's: no privilege escalation, all capabilities dropped, non-root, RuntimeDefault seccomp, read-only root filesystem. */
export function restrictedContainerSecurityContext(options: ContainerSecurityOptions = {}): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    ...(options.writableRootFilesystem ? {} : { readOnlyRootFilesystem: true }),
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
