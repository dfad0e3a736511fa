import { k8s } from 'cdk8s-plus-28';
import { describeValue, isPlainObject, ValidationError } from './validation.js';
import { checkQuantity, quantityValue } from './validators.js';

/**
 * Requests and limits for a container. Every container gets all six: the ephemeral-storage
 * pair bounds what it may write to the node's disk (its logs, its writable layer and the pod's
 * disk-backed emptyDirs), so one noisy pod is evicted instead of filling the node.
 */
export interface ResourceRequirementsProps {
  /** CPU request, e.g. `100m`. @default '100m' */
  readonly cpuRequest?: string;
  /** CPU limit. @default '500m' */
  readonly cpuLimit?: string;
  /** Memory request, e.g. `128Mi`. @default '128Mi' */
  readonly memoryRequest?: string;
  /** Memory limit. @default '256Mi' */
  readonly memoryLimit?: string;
  /** Ephemeral-storage request (node disk the scheduler reserves). @default '64Mi' (a component's own default where it writes more) */
  readonly ephemeralStorageRequest?: string;
  /** Ephemeral-storage limit: beyond it the kubelet evicts the pod. @default '1Gi' (a component's own default where it writes more) */
  readonly ephemeralStorageLimit?: string;
}

/** The ephemeral-storage defaults of {@link ResourceRequirementsProps}: logs and a small scratch directory. */
export const DEFAULT_EPHEMERAL_STORAGE = { ephemeralStorageRequest: '64Mi', ephemeralStorageLimit: '1Gi' } as const;

/** The defaults of {@link ResourceRequirementsProps}. */
export const DEFAULT_RESOURCES: Required<ResourceRequirementsProps> = {
  cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '128Mi', memoryLimit: '256Mi', ...DEFAULT_EPHEMERAL_STORAGE,
};

/**
 * A component's defaults: CPU and memory always its own; ephemeral storage its own where it
 * writes more than logs and a small scratch directory, else {@link DEFAULT_EPHEMERAL_STORAGE}.
 */
export type ResourceDefaults = Required<Pick<ResourceRequirementsProps, 'cpuRequest' | 'cpuLimit' | 'memoryRequest' | 'memoryLimit'>> &
  Pick<ResourceRequirementsProps, 'ephemeralStorageRequest' | 'ephemeralStorageLimit'>;

/** The checked, defaulted requests and limits as plain JSON (the shape Kubernetes spells). */
export interface PlainResources {
  readonly requests: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
  readonly limits: { readonly cpu: string; readonly memory: string; readonly 'ephemeral-storage': string };
}

/**
 * Requests and limits as the L1 classes want them: `k8s.Quantity` objects. (A plain string in
 * an L1 `resources` field would synthesize as `null`.)
 */
export function resourceRequirements(props: ResourceRequirementsProps = {}, source = 'resources', field = 'resources'): k8s.ResourceRequirements {
  return quantities(plainResources(props, DEFAULT_RESOURCES, source, field));
}

/** {@link PlainResources} as `k8s.Quantity` objects, for the L1 classes. */
export function quantities(r: PlainResources): k8s.ResourceRequirements {
  const q = (v: string) => k8s.Quantity.fromString(v);
  const each = (m: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, q(v)]));
  return { requests: each(r.requests), limits: each(r.limits) };
}

/**
 * Requests and limits as plain JSON, for raw `ApiObject`s and custom resources (which keep
 * strings as they are): `props` over `defaults`.
 */
export function plainResources(
  props: ResourceRequirementsProps = {},
  defaults: ResourceDefaults = DEFAULT_RESOURCES,
  source = 'resources',
  field = 'resources',
): PlainResources {
  const r = checkResources(source, field, withDefaults(source, field, props, { ...DEFAULT_EPHEMERAL_STORAGE, ...defaults }));
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest, 'ephemeral-storage': r.ephemeralStorageRequest },
    limits: { cpu: r.cpuLimit, memory: r.memoryLimit, 'ephemeral-storage': r.ephemeralStorageLimit },
  };
}

const FIELDS = ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit', 'ephemeralStorageRequest', 'ephemeralStorageLimit'] as const;
const PAIRS = [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit'], ['ephemeralStorageRequest', 'ephemeralStorageLimit']] as const;

/**
 * What the API server checks of requests and limits, at synth time: each a quantity, memory
 * limits above zero, and no request above its limit.
 */
function checkResources(source: string, field: string, r: Required<ResourceRequirementsProps>): Required<ResourceRequirementsProps> {
  for (const f of FIELDS) checkQuantity(source, `${field}.${f}`, r[f], { positive: f === 'memoryLimit' || f === 'ephemeralStorageLimit' });
  for (const [request, limit] of PAIRS) {
    if (quantityValue(r[request])! > quantityValue(r[limit])!) {
      throw new ValidationError(source, `${field}.${request}`, `"${r[request]}" is above ${limit} "${r[limit]}" (the API server refuses a request above its limit)`, r[request]);
    }
  }
  return r;
}

function withDefaults(source: string, field: string, props: ResourceRequirementsProps, defaults: Required<ResourceRequirementsProps>): Required<ResourceRequirementsProps> {
  if (!isPlainObject(props as unknown)) throw new ValidationError(source, field, `must be an object of ${FIELDS.join(', ')}, not ${describeValue(props)}`, props);
  for (const key of Object.keys(props)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new ValidationError(source, `${field}.${key}`, `unknown field (expected one of ${FIELDS.join(', ')})`);
  }
  return {
    cpuRequest: props.cpuRequest ?? defaults.cpuRequest,
    cpuLimit: props.cpuLimit ?? defaults.cpuLimit,
    memoryRequest: props.memoryRequest ?? defaults.memoryRequest,
    memoryLimit: props.memoryLimit ?? defaults.memoryLimit,
    ephemeralStorageRequest: props.ephemeralStorageRequest ?? defaults.ephemeralStorageRequest,
    ephemeralStorageLimit: props.ephemeralStorageLimit ?? defaults.ephemeralStorageLimit,
  };
}

/** The size limit of a scratch emptyDir (`/tmp` and the like) when its component names none. */
export const SCRATCH_SIZE_LIMIT = '256Mi';

/**
 * A disk-backed scratch volume with a `sizeLimit`: past it the kubelet evicts the pod, so a
 * runaway writer cannot fill the node's disk. The containers' ephemeral-storage limits must
 * cover it (they bound the pod's volumes and logs together).
 */
export function scratchVolume(name: string, sizeLimit: string = SCRATCH_SIZE_LIMIT): { name: string; emptyDir: { sizeLimit: string } } {
  return { name, emptyDir: { sizeLimit } };
}
