/**
 * Where a module's consumers connect: the network side of a module, next to (not inside) its
 * nine AEP 5 outputs. Network policies are derived from it: a consumer gets egress to each
 * endpoint of the modules it consumes, and a module's pods accept ingress from its consumers.
 */
import { describeValue, isPlainObject, ValidationError } from '../k8s/validation.js';
import { dns1123LabelReason, labelKeyReason, labelValueReason, portReason } from '../k8s/validators.js';

export type NetworkProtocol = 'TCP' | 'UDP' | 'SCTP';
const PROTOCOLS: readonly NetworkProtocol[] = ['TCP', 'UDP', 'SCTP'];

/** One port of an endpoint. */
export interface NetworkPortProps {
  /** The port the pods (or the external service) listen on, 1 to 65535: policies see it after a Service's translation. */
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: NetworkProtocol;
}

/** Pods of the cluster, by namespace and labels. */
export interface PodGroupProps {
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels every pod of the group has (a Service's selector); at least one. */
  readonly labels: Readonly<Record<string, string>>;
}

/** An endpoint of a module: its pods in the cluster, or addresses outside it; exactly one of `pods`, `cidrs`. */
export interface ModuleEndpointProps {
  /** The module's pods (e.g. a StatefulSet's), reached through its Service. */
  readonly pods?: PodGroupProps;
  /** Addresses outside the cluster, as CIDRs (`10.0.4.0/24`, `2001:db8::/64`); {@link ANYWHERE} when unknown. */
  readonly cidrs?: readonly string[];
  /** The ports consumers connect to; at least one. */
  readonly ports: readonly NetworkPortProps[];
}

/** The endpoint of pods (`namespace`, selected by `labels`) on TCP `ports`. */
export function podsEndpoint(namespace: string, labels: Readonly<Record<string, string>>, ports: readonly number[]): ModuleEndpointProps {
  return { pods: { namespace, labels }, ports: ports.map((port) => ({ port })) };
}

/** Every IPv4 and IPv6 address: the explicit allow of an external endpoint whose address is not known at synth time. */
export const ANYWHERE: readonly string[] = Object.freeze(['0.0.0.0/0', '::/0']);

/** A checked endpoint, with the module that declared it. */
export interface ModuleEndpoint {
  readonly module: string;
  readonly pods?: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly cidrs?: readonly string[];
  readonly ports: ReadonlyArray<{ readonly port: number; readonly protocol: NetworkProtocol }>;
}

/** Checks endpoints where they enter; errors name the module and the field (`endpoints[0].ports[1].port`). */
export function checkEndpoints(module: string, endpoints: unknown): ModuleEndpoint[] {
  const where = `module "${module}"`;
  if (!Array.isArray(endpoints)) throw new ValidationError(where, 'endpoints', `must be a list of endpoints, not ${describeValue(endpoints)}`, endpoints);
  return endpoints.map((e, i) => checkEndpoint(where, module, `endpoints[${i}]`, e));
}

function checkEndpoint(where: string, module: string, field: string, e: unknown): ModuleEndpoint {
  if (!isPlainObject(e)) throw new ValidationError(where, field, `must be an object { pods | cidrs, ports }, not ${describeValue(e)}`, e);
  const props = e as Record<string, unknown>;
  for (const key of Object.keys(props)) {
    if (!['pods', 'cidrs', 'ports'].includes(key)) throw new ValidationError(where, `${field}.${key}`, 'unknown field (expected pods, cidrs, ports)');
  }
  if ((props.pods === undefined) === (props.cidrs === undefined)) {
    throw new ValidationError(where, field, 'needs exactly one of `pods` (the module\'s pods) and `cidrs` (addresses outside the cluster)');
  }
  const ports = checkPorts(where, `${field}.ports`, props.ports);
  if (props.pods !== undefined) return Object.freeze({ module, pods: checkPodGroup(where, `${field}.pods`, props.pods), ports });
  return Object.freeze({ module, cidrs: Object.freeze(checkCidrs(where, `${field}.cidrs`, props.cidrs)), ports });
}

function checkPorts(where: string, field: string, ports: unknown): ModuleEndpoint['ports'] {
  if (!Array.isArray(ports) || ports.length === 0) throw new ValidationError(where, field, `must be a non-empty list of { port, protocol? }, not ${describeValue(ports)}`, ports);
  return Object.freeze(ports.map((p, i) => {
    if (!isPlainObject(p)) throw new ValidationError(where, `${field}[${i}]`, `must be an object { port, protocol? }, not ${describeValue(p)}`, p);
    const { port, protocol = 'TCP' } = p as { port: unknown; protocol?: unknown };
    const reason = portReason(port);
    if (reason) throw new ValidationError(where, `${field}[${i}].port`, reason, port);
    if (!PROTOCOLS.includes(protocol as NetworkProtocol)) throw new ValidationError(where, `${field}[${i}].protocol`, `must be one of ${PROTOCOLS.join(', ')}, not ${describeValue(protocol)}`, protocol);
    return Object.freeze({ port: port as number, protocol: protocol as NetworkProtocol });
  }));
}

/** Checks a pod group: a namespace and at least one valid label. */
export function checkPodGroup(where: string, field: string, pods: unknown): { namespace: string; labels: Readonly<Record<string, string>> } {
  if (!isPlainObject(pods)) throw new ValidationError(where, field, `must be an object { namespace, labels }, not ${describeValue(pods)}`, pods);
  const { namespace, labels } = pods as { namespace: unknown; labels: unknown };
  const nsReason = typeof namespace === 'string' ? dns1123LabelReason(namespace) : `must be a namespace name, not ${describeValue(namespace)}`;
  if (nsReason) throw new ValidationError(where, `${field}.namespace`, nsReason, namespace);
  return Object.freeze({ namespace: namespace as string, labels: checkSelectorLabels(where, `${field}.labels`, labels) });
}

/** Checks the labels of a selector: at least one, valid keys and values. */
export function checkSelectorLabels(where: string, field: string, labels: unknown): Readonly<Record<string, string>> {
  if (!isPlainObject(labels) || Object.keys(labels).length === 0) {
    throw new ValidationError(where, field, `must be a non-empty object of labels (an empty selector would select every pod), not ${describeValue(labels)}`, labels);
  }
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const reason = labelKeyReason(k) ?? (typeof v === 'string' ? labelValueReason(v) : `must be a string, not ${describeValue(v)}`);
    if (reason) throw new ValidationError(where, `${field}.${k}`, reason, v);
  }
  return Object.freeze({ ...(labels as Record<string, string>) });
}

/** Checks a list of CIDRs (IPv4 or IPv6, with a prefix length); at least one. */
export function checkCidrs(where: string, field: string, cidrs: unknown): string[] {
  if (!Array.isArray(cidrs) || cidrs.length === 0) throw new ValidationError(where, field, `must be a non-empty list of CIDRs, not ${describeValue(cidrs)}`, cidrs);
  return cidrs.map((c, i) => {
    const reason = cidrReason(c);
    if (reason) throw new ValidationError(where, `${field}[${i}]`, reason, c);
    return c as string;
  });
}

/** Why `s` is not a CIDR as NetworkPolicy's ipBlock takes it, or undefined. */
export function cidrReason(s: unknown): string | undefined {
  const bad = `${describeValue(s)} is not a CIDR (such as "10.0.0.0/16" or "2001:db8::/64")`;
  if (typeof s !== 'string') return bad;
  const [addr, len, ...rest] = s.split('/');
  if (rest.length || len === undefined || !/^\d{1,3}$/.test(len)) return bad;
  const prefix = Number(len);
  if (isIPv4(addr)) return prefix <= 32 ? undefined : bad;
  if (isIPv6(addr)) return prefix <= 128 ? undefined : bad;
  return bad;
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || (s.match(/::/g) ?? []).length > 1) return false;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const groups = (x: string | undefined) => (x ? x.split(':') : []);
  const all = [...groups(head), ...groups(tail)];
  // An embedded IPv4 address counts as two groups.
  const last = all[all.length - 1];
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !isIPv4(last)) return false;
  const hex = v4 ? all.slice(0, -1) : all;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return tail === undefined ? count === 8 : count < 8;
}
