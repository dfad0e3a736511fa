import { k8s } from 'cdk8s-plus-28';

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
export function resourceRequirements(props: ResourceRequirementsProps = {}): k8s.ResourceRequirements {
  const r = withDefaults(props, DEFAULT_RESOURCES);
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
export function plainResources(props: ResourceRequirementsProps = {}, defaults: Required<ResourceRequirementsProps> = DEFAULT_RESOURCES): Record<string, unknown> {
  const r = withDefaults(props, defaults);
  return { requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } };
}

function withDefaults(props: ResourceRequirementsProps, defaults: Required<ResourceRequirementsProps>): Required<ResourceRequirementsProps> {
  return {
    cpuRequest: props.cpuRequest ?? defaults.cpuRequest,
    cpuLimit: props.cpuLimit ?? defaults.cpuLimit,
    memoryRequest: props.memoryRequest ?? defaults.memoryRequest,
    memoryLimit: props.memoryLimit ?? defaults.memoryLimit,
  };
}
