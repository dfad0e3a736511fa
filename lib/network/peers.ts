/**
 * Peers and rules of a NetworkPolicy as this library models them, checked where they enter, and
 * their rendering into `networking.k8s.io/v1` JSON.
 */
import { checkCidrs, checkSelectorLabels, type NetworkProtocol } from '../contract/endpoints.js';
import { describeValue, isPlainObject, ValidationError } from '../k8s/validation.js';
import { dns1123LabelReason, portReason } from '../k8s/validators.js';

/**
 * Who is on the other side of a connection: pods (by namespace and/or labels) or addresses
 * outside the cluster (`cidrs`). `{ namespace }` is every pod of a namespace, `{ labels }` the
 * pods with those labels in any namespace.
 */
export interface NetworkPeerProps {
  /** Namespace of the pods. @default any namespace (with `labels`) */
  readonly namespace?: string;
  /** Labels of the pods. @default every pod (of `namespace`) */
  readonly labels?: Readonly<Record<string, string>>;
  /** Addresses as CIDRs, instead of pods. @default none */
  readonly cidrs?: readonly string[];
  /** Every pod of every namespace (alone). @default false */
  readonly allPods?: boolean;
}

/** Everyone: every address and every pod (what an exposed ingress accepts). */
export const EVERYONE: readonly NetworkPeerProps[] = [{ cidrs: ['0.0.0.0/0', '::/0'] }, { allPods: true }];

/** A port of a rule. */
export interface PolicyPort {
  readonly port: number;
  readonly protocol: NetworkProtocol;
}

/** A checked peer. */
export type NetworkPeer =
  | { readonly kind: 'pods'; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> }
  | { readonly kind: 'cidrs'; readonly cidrs: readonly string[] };

/** One allow rule: these peers, on these ports (none: every port). */
export interface PolicyRule {
  readonly peer: NetworkPeer;
  readonly ports: readonly PolicyPort[];
}

/** Checks a peer; errors name `field` of `where`. */
export function checkPeer(where: string, field: string, peer: unknown): NetworkPeer {
  if (!isPlainObject(peer)) throw new ValidationError(where, field, `must be an object { namespace?, labels? } or { cidrs }, not ${describeValue(peer)}`, peer);
  const p = peer as NetworkPeerProps;
  for (const key of Object.keys(p)) {
    if (!['namespace', 'labels', 'cidrs', 'allPods'].includes(key)) throw new ValidationError(where, `${field}.${key}`, 'unknown field (expected namespace, labels, cidrs or allPods)');
  }
  if (p.allPods !== undefined) {
    if (p.allPods !== true) throw new ValidationError(where, `${field}.allPods`, `must be true (or left out), not ${describeValue(p.allPods)}`, p.allPods);
    if (Object.keys(p).length > 1) throw new ValidationError(where, field, '`allPods` stands alone (it is every pod of every namespace)');
    return { kind: 'pods' };
  }
  if (p.cidrs !== undefined) {
    if (p.namespace !== undefined || p.labels !== undefined) throw new ValidationError(where, field, 'give either `cidrs` or pods (`namespace`, `labels`), not both');
    return { kind: 'cidrs', cidrs: Object.freeze(checkCidrs(where, `${field}.cidrs`, p.cidrs)) };
  }
  if (p.namespace === undefined && p.labels === undefined) {
    throw new ValidationError(where, field, 'needs `namespace`, `labels` or `cidrs` (an empty peer would allow everything)');
  }
  if (p.namespace !== undefined) {
    const reason = typeof p.namespace === 'string' ? dns1123LabelReason(p.namespace) : `must be a namespace name, not ${describeValue(p.namespace)}`;
    if (reason) throw new ValidationError(where, `${field}.namespace`, reason, p.namespace);
  }
  const labels = p.labels === undefined ? undefined : checkSelectorLabels(where, `${field}.labels`, p.labels);
  return { kind: 'pods', ...(p.namespace === undefined ? {} : { namespace: p.namespace }), ...(labels ? { labels } : {}) };
}

/** Checks a list of TCP ports (numbers) or `{ port, protocol }`; `allowAll`: undefined is every port (an empty list). */
export function checkPolicyPorts(where: string, field: string, ports: unknown, allowAll = false): PolicyPort[] {
  if (ports === undefined && allowAll) return [];
  if (!Array.isArray(ports) || ports.length === 0) throw new ValidationError(where, field, `must be a non-empty list of ports${allowAll ? ' (leave it out for every port)' : ''}, not ${describeValue(ports)}`, ports);
  return ports.map((p, i) => {
    const { port, protocol = 'TCP' } = (typeof p === 'number' ? { port: p } : isPlainObject(p) ? p : { port: p }) as { port: unknown; protocol?: unknown };
    const reason = portReason(port);
    if (reason) throw new ValidationError(where, `${field}[${i}]`, reason, p);
    if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') throw new ValidationError(where, `${field}[${i}].protocol`, `must be TCP, UDP or SCTP, not ${describeValue(protocol)}`, protocol);
    return { port: port as number, protocol };
  });
}

const METADATA_NAME = 'kubernetes.io/metadata.name';

/** A peer as NetworkPolicy spells it (a CIDR list becomes one peer per CIDR). */
export function renderPeer(peer: NetworkPeer): Record<string, unknown>[] {
  if (peer.kind === 'cidrs') return peer.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  // Namespaces are selected by the label the API server sets on every namespace (1.22+).
  return [{
    namespaceSelector: peer.namespace === undefined ? {} : { matchLabels: { [METADATA_NAME]: peer.namespace } },
    podSelector: peer.labels === undefined ? {} : { matchLabels: { ...peer.labels } },
  }];
}

/**
 * Rules as NetworkPolicy spells them, `from` or `to`: the ports of rules with the same peer are
 * merged, peers with the same ports share a rule, duplicates dropped, everything sorted so that
 * the output does not depend on the order in which components were declared.
 */
export function renderRules(rules: readonly PolicyRule[], direction: 'from' | 'to'): Record<string, unknown>[] {
  const byPeer = new Map<string, { peer: NetworkPeer; ports: Map<string, PolicyPort>; every: boolean }>();
  for (const r of rules) {
    const key = JSON.stringify(renderPeer(r.peer));
    const entry = byPeer.get(key) ?? { peer: r.peer, ports: new Map(), every: false };
    if (r.ports.length === 0) entry.every = true;
    for (const p of r.ports) entry.ports.set(`${p.protocol}/${String(p.port).padStart(5, '0')}`, p);
    byPeer.set(key, entry);
  }
  // Then peers allowed on the same ports share one rule: one entry per port set, peers sorted.
  const byPorts = new Map<string, { peers: string[]; ports?: Array<{ protocol: string; port: number }> }>();
  for (const [peerKey, { ports, every }] of byPeer) {
    const list = every ? undefined : [...ports.keys()].sort().map((k) => ({ protocol: ports.get(k)!.protocol, port: ports.get(k)!.port }));
    const key = list === undefined ? '*' : JSON.stringify(list);
    const entry = byPorts.get(key) ?? { peers: [], ports: list };
    entry.peers.push(peerKey);
    byPorts.set(key, entry);
  }
  return [...byPorts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { peers, ports }]) => ({
      [direction]: peers.sort().flatMap((k) => byPeer.get(k)!.peer).flatMap(renderPeer),
      // A rule without ports allows every port (it covers the peer's other rules).
      ...(ports === undefined ? {} : { ports }),
    }));
}

/** The port an http(s) URL connects to: its own, or its scheme's (80, 443). */
export function urlPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}
