/**
 * What a compute-plane pod holds besides its containers' modules: the worker containers (one or
 * several, ArmoniK.Infra's `worker` list) with their security settings, and the two cache volumes
 * with Infra's options (`cache_config`, `node_cache` in `armonik/variables.tf`, used by
 * `armonik/compute-plane.tf`).
 */
import type { Volume } from '../../lib/contract/index.js';
import { checkObject } from '../../lib/k8s/props.js';
import { describeValue, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkAbsolutePath, checkDns1123Label, checkInteger, checkQuantity } from '../../lib/k8s/validators.js';
import type { ModuleList } from './workload.js';
import { scratchVolume, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';

/** A container of the compute plane, as AEP 5's `polling_agent` / `worker`. */
export interface ComputeContainerProps {
  /** Modules this container consumes. @default none */
  readonly conf?: ModuleList;
  /** Image. @default the polling agent's: `dockerhubaneo/armonik_pollingagent:<coreVersion>`; the worker's: `dockerhubaneo/armonik-dynamic-dotnet-worker:<ARMONIK_VERSIONS.extcsharp>` */
  readonly image?: string;
  /** Requests and limits. @default polling agent 50m/50Mi, 2/2Gi; worker 50m/50Mi, 1/1Gi (ArmoniK's) */
  readonly resources?: ResourceRequirementsProps;
  /** The container's own settings (a partition's add to the compute plane's); a module may not set them too. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The security settings of a worker container that PodSecurity `restricted` still allows. Every
 * other field stays restricted (no privilege escalation, no capabilities, non-root, RuntimeDefault seccomp).
 */
export interface WorkerSecurityContext {
  /** `false` for a worker that writes outside its volumes (`/tmp`, `/cache/shared`, its modules' mounts). @default true */
  readonly readOnlyRootFilesystem?: boolean;
  /** uid of the worker's process (not 0). @default the pod's (`uid` of the compute plane, 5000) */
  readonly runAsUser?: number;
  /** gid of the worker's process (not 0). @default the pod's (`uid` of the compute plane) */
  readonly runAsGroup?: number;
}

/** A worker container: what {@link ComputeContainerProps} gives, its name and its security settings. */
export interface WorkerProps extends ComputeContainerProps {
  /** Container name (a DNS-1123 label, not `polling-agent`). @default 'worker'; in a `workers` list, 'worker' then 'worker-<index>' */
  readonly name?: string;
  /** What the worker may do beyond ArmoniK's restricted default. @default restricted, read-only root filesystem */
  readonly securityContext?: WorkerSecurityContext;
}

/** The volume of the agent/worker sockets and task files, `/cache/shared` (Infra's `cache_config`). */
export interface CacheConfig {
  /** In memory (`medium: Memory`, counted in the containers' memory) rather than on the node's disk. @default false */
  readonly memory?: boolean;
  /** Most the volume may hold (a quantity, e.g. `5Gi`); beyond it the kubelet evicts the pod. On disk, keep it within the containers' ephemeral-storage limits. @default '1Gi' */
  readonly sizeLimit?: string;
}

/**
 * A cache of results kept on the node, `/cache/internal`, shared by every polling agent of the node
 * (Infra's `node_cache`): a `hostPath`, which PodSecurity `baseline` and `restricted` forbid, so the
 * namespace must be `privileged`.
 */
export interface NodeCache {
  /** Directory on the node (created if missing). */
  readonly path: string;
  /**
   * Fraction of the disk (0 to 1) in use above which Core evicts the least recently used results
   * (`Pollster__CacheEvictionThreshold`, ArmoniK.Core `Common/src/Injection/Options/Pollster.cs`);
   * 0 turns the cache off, so the default is not Infra's 0.
   * @default 0.8
   */
  readonly threshold?: number;
}

export const WORKER_PROPS: ReadonlyArray<keyof WorkerProps> = ['conf', 'image', 'resources', 'env', 'name', 'securityContext'];
const SECURITY_FIELDS: ReadonlyArray<keyof WorkerSecurityContext> = ['readOnlyRootFilesystem', 'runAsUser', 'runAsGroup'];

/** A worker's security settings, checked: what its container's securityContext gets on top of the restricted one. */
export interface CheckedWorkerSecurity {
  readonly writableRootFilesystem?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
}

export function checkWorkerSecurity(where: string, field: string, value: WorkerSecurityContext | undefined): CheckedWorkerSecurity | undefined {
  if (value === undefined) return undefined;
  const s = checkObject<WorkerSecurityContext>(where, field, value, SECURITY_FIELDS);
  if (s.readOnlyRootFilesystem !== undefined && typeof s.readOnlyRootFilesystem !== 'boolean') {
    throw new ValidationError(where, `${field}.readOnlyRootFilesystem`, `must be true or false, not ${describeValue(s.readOnlyRootFilesystem)}`, s.readOnlyRootFilesystem);
  }
  // 0 is root: PodSecurity `restricted` refuses it, and the pod's runAsNonRoot would stop the container.
  const id = (f: 'runAsUser' | 'runAsGroup') => (s[f] === undefined ? {} : { [f]: checkInteger(where, `${field}.${f}`, s[f] as number, 1, 2_147_483_647) });
  return { ...(s.readOnlyRootFilesystem === false ? { writableRootFilesystem: true } : {}), ...id('runAsUser'), ...id('runAsGroup') };
}

/** A worker container's name: a DNS-1123 label that is not the polling agent's. */
export function checkWorkerName(where: string, field: string, name: string): string {
  checkDns1123Label(where, field, name);
  if (name === 'polling-agent') throw new ValidationError(where, field, `"polling-agent" is the polling agent's container; name the worker otherwise`, name);
  return name;
}

/** A partition's `workers` list: at least one entry, names unique. Returns each entry with its name. */
export function checkWorkerList(where: string, field: string, list: readonly WorkerProps[]): Array<{ field: string; props: WorkerProps; name: string }> {
  if (!Array.isArray(list)) throw new ValidationError(where, field, `must be a list of workers, not ${describeValue(list)}`, list);
  if (list.length === 0) throw new ValidationError(where, field, `give at least one worker, or leave ${field} out for the compute plane's`);
  const seen = new Map<string, number>();
  return list.map((w, i) => {
    const f = `${field}[${i}]`;
    const props = checkObject<WorkerProps>(where, f, w, WORKER_PROPS);
    const name = checkWorkerName(where, `${f}.name`, props.name ?? (i === 0 ? 'worker' : `worker-${i}`));
    const first = seen.get(name);
    if (first !== undefined) throw new ValidationError(where, `${f}.name`, `"${name}" names ${field}[${first}] already; container names are unique in a pod`, name);
    seen.set(name, i);
    return { field: f, props, name };
  });
}

export function checkCacheConfig(where: string, field: string, value: CacheConfig | undefined): CacheConfig | undefined {
  if (value === undefined) return undefined;
  const c = checkObject<CacheConfig>(where, field, value, ['memory', 'sizeLimit']);
  if (c.memory !== undefined && typeof c.memory !== 'boolean') throw new ValidationError(where, `${field}.memory`, `must be true or false, not ${describeValue(c.memory)}`, c.memory);
  if (c.sizeLimit !== undefined) checkQuantity(where, `${field}.sizeLimit`, c.sizeLimit, { positive: true });
  return c;
}

export function checkNodeCache(where: string, field: string, value: NodeCache | undefined): Required<NodeCache> | undefined {
  if (value === undefined) return undefined;
  const c = checkObject<NodeCache>(where, field, value, ['path', 'threshold'], true);
  if (c.path === undefined) throw new ValidationError(where, `${field}.path`, `give the directory on the node`);
  const path = checkAbsolutePath(where, `${field}.path`, c.path);
  if (path === '/') throw new ValidationError(where, `${field}.path`, `"/" is the node's root; give a directory of its own`, path);
  const threshold = c.threshold ?? 0.8;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new ValidationError(where, `${field}.threshold`, `${showValue(threshold)} is not a fraction of the disk from 0 to 1`, threshold);
  }
  return { path, threshold };
}

/**
 * The size limit of a compute-plane pod's disk-backed emptyDirs when none is given: the shared
 * cache (payloads and results the agent hands the worker), the agent's own cache and `/tmp`.
 * Together (3Gi) they stay under the agent's and worker's ephemeral-storage limits (4Gi + 1Gi).
 */
export const COMPUTE_SCRATCH_SIZE_LIMIT = '1Gi';

/** The two cache volumes of a compute-plane pod, as Infra's `compute-plane.tf` builds them, each with a size limit. */
export function cacheVolumes(cache: CacheConfig | undefined, nodeCache: Required<NodeCache> | undefined): Volume[] {
  const comm = {
    ...(cache?.memory ? { medium: 'Memory' } : {}),
    sizeLimit: cache?.sizeLimit ?? COMPUTE_SCRATCH_SIZE_LIMIT,
  };
  return [
    { name: 'comm-volume', emptyDir: comm },
    nodeCache === undefined
      ? scratchVolume('cache-volume', COMPUTE_SCRATCH_SIZE_LIMIT)
      : { name: 'cache-volume', hostPath: { path: nodeCache.path, type: 'DirectoryOrCreate' } },
  ] as Volume[];
}
