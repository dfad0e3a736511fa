import { k8s } from 'cdk8s-plus-28';
import { describeValue, isPlainObject, ValidationError } from './validation.js';
import { checkQuantity, quantityValue } from './validators.js';

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

/** The defaults of {@link ResourceRequirementsProps}. */
export const DEFAULT_RESOURCES: Required<ResourceRequirementsProps> = { cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '128Mi', memoryLimit: '256Mi' };

/**
 * Requests and limits as the L1 classes want them: `k8s.Quantity` objects. (A plain string in
 * an L1 `resources` field would synthesize as `null`.)
 */
export function resourceRequirements(props: ResourceRequirementsProps = {}, source = 'resources', field = 'resources'): k8s.ResourceRequirements {
  const r = checkResources(source, field, withDefaults(source, field, props, DEFAULT_RESOURCES));
  const q = (v: string) => k8s.Quantity.fromString(v);
  return {
    requests: { cpu: q(r.cpuRequest), memory: q(r.memoryRequest) },
    limits: { cpu: q(r.cpuLimit), memory: q(r.memoryLimit) },
  };
}

/**
 * Requests and limits as plain JSON, for raw `ApiObject`s and custom resources (which keep
 * strings as they are): `props` over `defaults`.
 */
export function plainResources(
  props: ResourceRequirementsProps = {},
  defaults: Required<ResourceRequirementsProps> = DEFAULT_RESOURCES,
  source = 'resources',
  field = 'resources',
): Record<string, unknown> {
  const r = checkResources(source, field, withDefaults(source, field, props, defaults));
  return { requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } };
}

const FIELDS = ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'] as const;

/**
 * What the API server checks of requests and limits, at synth time: each a quantity, memory
 * limits above zero, and no request above its limit.
 */
function checkResources(source: string, field: string, r: Required<ResourceRequirementsProps>): Required<ResourceRequirementsProps> {
  for (const f of FIELDS) checkQuantity(source, `${field}.${f}`, r[f], { positive: f === 'memoryLimit' });
  for (const [request, limit] of [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit']] as const) {
    if (quantityValue(r[request])! > quantityValue(r[limit])!) {
      throw new ValidationError(source, `${field}.${request}`, `"${r[request]}" is above ${limit} "${r[limit]}" (the API server refuses a request above its limit)`, r[request]);
    }
  }
  return r;
}

function withDefaults(source: string, field: string, props: ResourceRequirementsProps, defaults: Required<ResourceRequirementsProps>): Required<ResourceRequirementsProps> {
  if (!isPlainObject(props as unknown)) throw new ValidationError(source, field, `must be an object of cpuRequest, cpuLimit, memoryRequest, memoryLimit, not ${describeValue(props)}`, props);
  for (const key of Object.keys(props)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new ValidationError(source, `${field}.${key}`, `unknown field (expected one of ${FIELDS.join(', ')})`);
  }
  return {
    cpuRequest: props.cpuRequest ?? defaults.cpuRequest,
    cpuLimit: props.cpuLimit ?? defaults.cpuLimit,
    memoryRequest: props.memoryRequest ?? defaults.memoryRequest,
    memoryLimit: props.memoryLimit ?? defaults.memoryLimit,
  };
}
