/**
 * Network policies derived from the stack's wiring. Every workload the library deploys registers
 * here with what it consumes (its modules' endpoints), what it serves and to whom; each gets one
 * NetworkPolicy selecting its pods, with both Ingress and Egress, whose rules are computed when
 * the stack is synthesized: a module's pods accept exactly the components whose `conf` lists it,
 * wherever those were declared.
 */
import { ApiObject, Lazy } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';
import { ANYWHERE, checkSelectorLabels, type ModuleEndpoint } from '../contract/endpoints.js';
import { ModuleOutputs, type IModule } from '../contract/module-outputs.js';
import { checkOptionalBoolean, checkPropsObject } from '../k8s/props.js';
import { describeValue, ValidationError } from '../k8s/validation.js';
import { checkDns1123Subdomain } from '../k8s/validators.js';
import { checkPeer, checkPolicyPorts, renderRules, type NetworkPeer, type NetworkPeerProps, type PolicyPort, type PolicyRule } from './peers.js';

/** A peer and the ports it is allowed on. */
export interface NetworkRuleProps {
  /** The other side. */
  readonly peer: NetworkPeerProps;
  /** TCP ports (numbers), or `{ port, protocol }`. @default every port */
  readonly ports?: ReadonlyArray<number | { readonly port: number; readonly protocol?: 'TCP' | 'UDP' | 'SCTP' }>;
}

/** The API server as the pods see it: policies cannot select it by label. */
export interface ApiServerPeerProps {
  /** Addresses of the API server's endpoints (`kubectl get endpoints kubernetes`). @default ANYWHERE (only the ports restrict) */
  readonly cidrs?: readonly string[];
  /** Its ports: the Service's and the endpoints' (policies may see either, depending on the CNI). @default [443, 6443] */
  readonly ports?: readonly number[];
}

/** Stack-wide settings of the derived policies. */
export interface NetworkPoliciesProps {
  /** Derive and emit the policies. Off: no NetworkPolicy is emitted, for a cluster whose CNI does not enforce them or that manages its own. @default true */
  readonly enabled?: boolean;
  /** The cluster DNS pods, reached on 53/UDP and 53/TCP. @default { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } } */
  readonly dns?: NetworkPeerProps;
  /** The API server, for the controllers (and webhook calls from it). @default { cidrs: ANYWHERE, ports: [443, 6443] } */
  readonly apiServer?: ApiServerPeerProps;
  /** The metrics scraper, allowed on each workload's metrics port. @default the pods labelled `app.kubernetes.io/name: prometheus` in any namespace */
  readonly scraper?: NetworkPeerProps;
}

/** A workload whose pods get a NetworkPolicy. */
export interface NetworkPolicyTargetProps {
  /** Name of the NetworkPolicy, unique in its namespace (usually the workload's name). */
  readonly name: string;
  readonly namespace: string;
  /** The labels that select the workload's pods (its selector). */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Every label of its pods, to find the consumers of endpoints that select them. @default podSelector */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** The modules it consumes: egress to each of their endpoints. @default none */
  readonly consumes?: ReadonlyArray<IModule | ModuleOutputs>;
  /** It talks to the API server (a controller). @default false */
  readonly apiServer?: boolean;
  /** Ports the scraper may reach. @default none */
  readonly metricsPorts?: readonly number[];
  /** Ports of the scraper it queries (Prometheus, e.g. 9090 for an autoscaler reading metrics). @default none */
  readonly queriesScraper?: readonly number[];
  /** Ports the API server calls (admission webhooks). @default none */
  readonly webhookPorts?: readonly number[];
  /** More ingress. @default none */
  readonly allowIngress?: readonly NetworkRuleProps[];
  /** More egress. @default none */
  readonly allowEgress?: readonly NetworkRuleProps[];
}

const DNS_PORTS: readonly PolicyPort[] = [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }];
const DEFAULT_DNS: NetworkPeer = { kind: 'pods', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const DEFAULT_SCRAPER: NetworkPeer = { kind: 'pods', labels: { 'app.kubernetes.io/name': 'prometheus' } };
const WHERE = 'NetworkPolicies';

/**
 * The NetworkPolicy of one workload. Its rules are computed at synthesis; add to them with
 * {@link allowFrom} and {@link allowTo} (e.g. clients of the control plane outside the stack).
 */
export class NetworkPolicyTarget {
  public readonly name: string;
  public readonly namespace: string;
  public readonly podSelector: Readonly<Record<string, string>>;
  public readonly podLabels: Readonly<Record<string, string>>;
  /** The endpoints it connects to. */
  public readonly endpoints: readonly ModuleEndpoint[];
  /** @internal */
  public readonly _ingress: PolicyRule[] = [];
  /** @internal */
  public readonly _egress: PolicyRule[] = [];
  /** @internal The checked `metricsPorts`, `webhookPorts` and `queriesScraper`. */
  public readonly _ports: { readonly metrics: readonly PolicyPort[]; readonly webhook: readonly PolicyPort[]; readonly scraper: readonly PolicyPort[] };
  /** @internal */
  public readonly _apiServer: boolean;
  /** @internal */
  public readonly _scope: Construct;
  /** @internal */
  public readonly _where: string;

  /** @internal */
  constructor(scope: Construct, where: string, props: NetworkPolicyTargetProps) {
    this._scope = scope;
    this._where = where;
    // Checked where they enter, once: the rules built from them at synthesis need no check.
    const ports = (field: 'metricsPorts' | 'webhookPorts' | 'queriesScraper') => (props[field]?.length ? checkPolicyPorts(where, field, props[field]) : []);
    this._ports = { metrics: ports('metricsPorts'), webhook: ports('webhookPorts'), scraper: ports('queriesScraper') };
    this._apiServer = props.apiServer === true;
    this.name = checkDns1123Subdomain(where, 'networkPolicy.name', props.name, 'NetworkPolicy');
    this.namespace = props.namespace;
    this.podSelector = checkSelectorLabels(where, 'networkPolicy.podSelector', props.podSelector);
    this.podLabels = { ...(props.podLabels ?? props.podSelector) };
    for (const [k, v] of Object.entries(this.podSelector)) {
      if (this.podLabels[k] !== v) throw new ValidationError(where, 'networkPolicy.podLabels', `lacks the selector's label ${k}=${v}`);
    }
    this.endpoints = (props.consumes ?? []).flatMap((m, i) => {
      const outputs = m instanceof ModuleOutputs ? m : m?.outputs;
      if (!(outputs instanceof ModuleOutputs)) throw new ValidationError(where, `networkPolicy.consumes[${i}]`, `must be a module, not ${describeValue(m)}`, m);
      return outputs.endpoints;
    });
    this._ingress.push(...checkRules(where, 'allowIngress', props.allowIngress));
    this._egress.push(...checkRules(where, 'allowEgress', props.allowEgress));
  }

  /** Allows ingress from `peer` on `ports` (@default every port). */
  public allowFrom(peer: NetworkPeerProps, ports?: NetworkRuleProps['ports'], field = 'allowFrom'): void {
    this._ingress.push({ peer: checkPeer(this._where, `${field}.peer`, peer), ports: checkPolicyPorts(this._where, `${field}.ports`, ports, true) });
  }

  /** Allows egress to `peer` on `ports` (@default every port). */
  public allowTo(peer: NetworkPeerProps, ports?: NetworkRuleProps['ports'], field = 'allowTo'): void {
    this._egress.push({ peer: checkPeer(this._where, `${field}.peer`, peer), ports: checkPolicyPorts(this._where, `${field}.ports`, ports, true) });
  }

  /** Whether an endpoint's pods are this workload's. */
  public servesEndpoint(e: ModuleEndpoint): boolean {
    return !!e.pods && e.pods.namespace === this.namespace && Object.entries(e.pods.labels).every(([k, v]) => this.podLabels[k] === v);
  }
}

/** Checks a list of rules `{ peer, ports? }` given as a prop; errors name `field[i].peer` etc. */
export function checkRules(where: string, field: string, rules: unknown): PolicyRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) throw new ValidationError(where, field, `must be a list of { peer, ports? }, not ${describeValue(rules)}`, rules);
  return rules.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new ValidationError(where, `${field}[${i}]`, `must be an object { peer, ports? }, not ${describeValue(r)}`, r);
    for (const key of Object.keys(r)) if (key !== 'peer' && key !== 'ports') throw new ValidationError(where, `${field}[${i}].${key}`, 'unknown field (expected peer, ports)');
    const rule = r as NetworkRuleProps;
    return { peer: checkPeer(where, `${field}[${i}].peer`, rule.peer), ports: checkPolicyPorts(where, `${field}[${i}].ports`, rule.ports, true) };
  });
}

/** Checks a controller's `network` prop ({ allowIngress?, allowEgress?, queriesScraper? }). */
export function checkControllerNetwork(where: string, field: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(where, field, `must be an object { allowIngress?, allowEgress?, queriesScraper? }, not ${describeValue(value)}`, value);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!['allowIngress', 'allowEgress', 'queriesScraper'].includes(key)) throw new ValidationError(where, `${field}.${key}`, 'unknown field (expected allowIngress, allowEgress, queriesScraper)');
  }
  checkRules(where, `${field}.allowIngress`, v.allowIngress);
  checkRules(where, `${field}.allowEgress`, v.allowEgress);
  if (v.queriesScraper !== undefined) checkPolicyPorts(where, `${field}.queriesScraper`, v.queriesScraper);
}

const REGISTRIES = new WeakMap<IConstruct, NetworkPolicies>();

/**
 * The network policies of one stack (one construct tree: a cdk8s App, or the App a cdktf stack's
 * manifests come from). Get it with {@link NetworkPolicies.of}; configure it any time before synthesis.
 */
export class NetworkPolicies {
  /** The policies of the tree `scope` belongs to. */
  public static of(scope: IConstruct): NetworkPolicies {
    const root = scope.node.root;
    let registry = REGISTRIES.get(root);
    if (!registry) {
      registry = new NetworkPolicies();
      REGISTRIES.set(root, registry);
    }
    return registry;
  }

  private enabledFlag = true;
  private dns: NetworkPeer = DEFAULT_DNS;
  private apiServer: { cidrs: readonly string[]; ports: readonly PolicyPort[] } = { cidrs: ANYWHERE, ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] };
  private scraper: NetworkPeer = DEFAULT_SCRAPER;
  private readonly targets: NetworkPolicyTarget[] = [];
  /** The consumers of each in-cluster endpoint, built at the first synthesis after the last `add`. */
  private consumersByEndpoint?: ReadonlyMap<string, { readonly endpoint: ModuleEndpoint; readonly consumers: readonly NetworkPolicyTarget[] }>;
  private readonly objects = new Map<NetworkPolicyTarget, ApiObject>();

  private constructor() {}

  /** Whether policies are emitted. */
  public get enabled(): boolean {
    return this.enabledFlag;
  }

  /** The registered workloads, in declaration order. */
  public get all(): readonly NetworkPolicyTarget[] {
    return [...this.targets];
  }

  /** Sets the stack's settings (fields not given keep their value). */
  public configure(props: NetworkPoliciesProps): this {
    const p = checkPropsObject<NetworkPoliciesProps>(WHERE, props);
    for (const key of Object.keys(p)) {
      if (!['enabled', 'dns', 'apiServer', 'scraper'].includes(key)) throw new ValidationError(WHERE, key, 'unknown field (expected enabled, dns, apiServer, scraper)');
    }
    if (p.dns !== undefined) this.dns = checkPeer(WHERE, 'dns', p.dns);
    if (p.scraper !== undefined) this.scraper = checkPeer(WHERE, 'scraper', p.scraper);
    if (p.apiServer !== undefined) {
      const a = checkPropsObject<ApiServerPeerProps>(`${WHERE} apiServer`, p.apiServer);
      const peer = checkPeer(WHERE, 'apiServer', { cidrs: a.cidrs ?? ANYWHERE });
      this.apiServer = { cidrs: (peer as { cidrs: readonly string[] }).cidrs, ports: checkPolicyPorts(WHERE, 'apiServer.ports', a.ports ?? [443, 6443]) };
    }
    const enabled = checkOptionalBoolean(WHERE, 'enabled', p.enabled);
    if (enabled === undefined || enabled === this.enabledFlag) return this;
    // Policies are objects of their workloads' charts: switching removes or adds them there.
    this.enabledFlag = enabled;
    if (enabled) {
      for (const t of this.targets) this.emit(t);
    } else {
      for (const [target, object] of this.objects) target._scope.node.tryRemoveChild(object.node.id);
      this.objects.clear();
    }
    return this;
  }

  /**
   * Registers a workload: its NetworkPolicy (`<scope>/network-policy`) is emitted in `scope`'s
   * chart while policies are enabled. `where` names the workload in errors.
   */
  public add(scope: Construct, where: string, props: NetworkPolicyTargetProps): NetworkPolicyTarget {
    // Two workloads of one name in a namespace are refused by their constructs (claimObjectNames
    // names both), their policies included.
    const target = new NetworkPolicyTarget(scope, where, props);
    this.targets.push(target);
    this.consumersByEndpoint = undefined;
    if (this.enabledFlag) this.emit(target);
    return target;
  }

  /** The ingress rules of a target: its consumers, the scraper, the API server for webhooks, its own. */
  public ingressOf(target: NetworkPolicyTarget): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const { endpoint, consumers } of this.endpointIndex().values()) {
      if (!target.servesEndpoint(endpoint)) continue;
      for (const consumer of consumers) rules.push({ peer: { kind: 'pods', namespace: consumer.namespace, labels: consumer.podSelector }, ports: endpoint.ports });
    }
    const { metrics, webhook } = target._ports;
    if (metrics.length) rules.push({ peer: this.scraper, ports: metrics });
    if (webhook.length) rules.push({ peer: { kind: 'cidrs', cidrs: this.apiServer.cidrs }, ports: webhook });
    return [...rules, ...target._ingress];
  }

  /**
   * In-cluster endpoints, each with the workloads that consume it: a policy looks at each distinct
   * endpoint once instead of at every consumer's (partitions × consumers would be quadratic).
   */
  private endpointIndex(): NonNullable<NetworkPolicies['consumersByEndpoint']> {
    if (this.consumersByEndpoint) return this.consumersByEndpoint;
    const index = new Map<string, { endpoint: ModuleEndpoint; consumers: NetworkPolicyTarget[] }>();
    for (const consumer of this.targets) {
      for (const e of consumer.endpoints) {
        if (!e.pods) continue;
        const key = JSON.stringify([e.pods.namespace, e.pods.labels, e.ports]);
        const entry = index.get(key) ?? { endpoint: e, consumers: [] };
        entry.consumers.push(consumer);
        index.set(key, entry);
      }
    }
    return (this.consumersByEndpoint = index);
  }

  /** The egress rules of a target: DNS, its modules' endpoints, the API server, its own. */
  public egressOf(target: NetworkPolicyTarget): PolicyRule[] {
    const rules: PolicyRule[] = [{ peer: this.dns, ports: DNS_PORTS }];
    for (const e of target.endpoints) {
      rules.push(e.pods
        ? { peer: { kind: 'pods', namespace: e.pods.namespace, labels: e.pods.labels }, ports: e.ports }
        : { peer: { kind: 'cidrs', cidrs: e.cidrs! }, ports: e.ports });
    }
    if (target._ports.scraper.length) rules.push({ peer: this.scraper, ports: target._ports.scraper });
    if (target._apiServer) rules.push({ peer: { kind: 'cidrs', cidrs: this.apiServer.cidrs }, ports: this.apiServer.ports });
    return [...rules, ...target._egress];
  }

  /** The NetworkPolicy spec of a target, as it is synthesized. */
  public specOf(target: NetworkPolicyTarget): Record<string, unknown> {
    const ingress = renderRules(this.ingressOf(target), 'from');
    const egress = renderRules(this.egressOf(target), 'to');
    // No rule: the field is left out (the API server stores no empty list, so a re-apply of
    // `ingress: []` would change the object); policyTypes alone denies that direction.
    return {
      podSelector: { matchLabels: { ...target.podSelector } },
      policyTypes: ['Ingress', 'Egress'],
      ...(ingress.length ? { ingress } : {}),
      ...(egress.length ? { egress } : {}),
    };
  }

  private emit(target: NetworkPolicyTarget): void {
    const object = new ApiObject(target._scope, 'network-policy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: target.name, namespace: target.namespace, labels: { ...target.podLabels } },
      spec: Lazy.any({ produce: () => this.specOf(target) }),
    });
    this.objects.set(target, object);
  }
}
