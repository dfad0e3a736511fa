/**
 * One instance of a Consumer: its Deployment as the operator wants it. Made from the Consumer's
 * deploymentTemplate, named `<spec.name>-<instance>`, with the original's labels and annotations,
 * a selector of its own (the original copied the template's, so every instance selected every
 * other instance's pods), the partition env on every container, and resources on the sized
 * containers only (the original sized sidecars like the main container).
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  APP_LABEL,
  Annotations,
  CONSUMER_UID_LABEL,
  CONTROLLER_LABEL,
  GOMAXPROCS_ENV_KEY,
  GOMEMLIMIT_ENV_KEY,
  INSTANCE_ENV_KEY,
  INSTANCE_LABEL,
  NUM_INSTANCES_ENV_KEY,
  NUM_PARTITIONS_ENV_KEY,
  type ConsumerSpec,
  type ContainerPolicy,
} from '../../lib/api/konsumerator/index.js';
import { quantityValue } from '../../lib/k8s/validators.js';
import { canonicalJson } from '../kit/index.js';
import { formatPartitions, partitionsLabel } from './buckets.js';
import type { ResourceEstimate, ResourcePolicy } from './predictor.js';
import type { ConsumerView } from './source.js';

export interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  [k: string]: unknown;
}

export interface Deployment extends KubernetesObject {
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { containers?: Container[] } };
    [k: string]: unknown;
  };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

const MiB = 1024 * 1024;

/** The hash of a deployment template: the `generation` annotation (which template a Deployment was made from). */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 16);
}

/** `<spec.name>-<instance>`. */
export function instanceName(spec: ConsumerSpec, instance: number): string {
  return `${spec.name}-${instance}`;
}

/** The namespace of the Consumer's Deployments. */
export function deploymentNamespace(view: ConsumerView): string {
  return view.spec?.namespace ?? view.namespace;
}

/** The containers the predictor sizes: those with an `Auto` policy, else `mainContainer`, else the only container. */
export function sizedContainers(spec: ConsumerSpec, containers: readonly Container[]): Set<string> {
  const policies = spec.resourcePolicy?.containerPolicies ?? [];
  const named = new Set(policies.filter((p) => p.mode !== 'Off').map((p) => p.containerName));
  if (spec.mainContainer) named.add(spec.mainContainer);
  if (named.size === 0 && policies.length === 0 && containers.length === 1) named.add(containers[0].name);
  return new Set(containers.map((c) => c.name).filter((n) => named.has(n)));
}

/** A container's policy with quantities parsed (cpu in millicores, memory in bytes). */
export function policyOf(spec: ConsumerSpec, container: string): ResourcePolicy | undefined {
  const p: ContainerPolicy | undefined = spec.resourcePolicy?.containerPolicies?.find((x) => x.containerName === container);
  if (!p) return undefined;
  const bounds = (b: { cpu?: string; memory?: string } | undefined) =>
    b && {
      ...(b.cpu !== undefined ? { cpuMillis: Math.round(quantityValue(b.cpu)! * 1000) } : {}),
      ...(b.memory !== undefined ? { memoryBytes: Math.round(quantityValue(b.memory)!) } : {}),
    };
  return { minAllowed: bounds(p.minAllowed), maxAllowed: bounds(p.maxAllowed) };
}

/** Resources as Kubernetes writes them: `1500m`, bytes as a plain integer. */
export function resourcesOf(e: ResourceEstimate): NonNullable<Container['resources']> {
  const cpu = (m: number) => (m % 1000 === 0 ? String(m / 1000) : `${m}m`);
  const out: NonNullable<Container['resources']> = {};
  const req: Record<string, string> = {};
  const lim: Record<string, string> = {};
  if (e.requests.cpuMillis > 0) req.cpu = cpu(e.requests.cpuMillis);
  if (e.requests.memoryBytes > 0) req.memory = String(Math.round(e.requests.memoryBytes));
  if (e.limits.cpuMillis > 0) lim.cpu = cpu(e.limits.cpuMillis);
  if (e.limits.memoryBytes > 0) lim.memory = String(Math.round(e.limits.memoryBytes));
  if (Object.keys(req).length) out.requests = req;
  if (Object.keys(lim).length) out.limits = lim;
  return out;
}

/** A container's resources in millicores and bytes (0 where unset). */
export function amountsOf(r: Container['resources']): ResourceEstimate {
  const cpu = (s?: string) => (s === undefined ? 0 : Math.round((quantityValue(String(s)) ?? 0) * 1000));
  const mem = (s?: string) => (s === undefined ? 0 : Math.round(quantityValue(String(s)) ?? 0));
  return {
    requests: { cpuMillis: cpu(r?.requests?.cpu), memoryBytes: mem(r?.requests?.memory) },
    limits: { cpuMillis: cpu(r?.limits?.cpu), memoryBytes: mem(r?.limits?.memory) },
  };
}

/** Sets `name` (replacing a value or valueFrom of the template). */
function setEnv(env: NonNullable<Container['env']>, name: string, value: string): void {
  const i = env.findIndex((e) => e.name === name);
  if (i >= 0) env[i] = { name, value };
  else env.push({ name, value });
}

/**
 * The env every container gets: its partitions, counts, and GOMAXPROCS / GOMEMLIMIT from its own
 * limits: max(1, ceil(cpu cores)), and 80 % of the memory limit in MiB (the original computed
 * MB and wrote MiB).
 */
export function instanceEnv(container: Container, o: { partitionEnvKey: string; partitions: readonly number[]; instance: number; numPartitions: number; numInstances: number }): NonNullable<Container['env']> {
  const env = [...(container.env ?? [])].map((e) => ({ ...e }));
  setEnv(env, o.partitionEnvKey, formatPartitions(o.partitions));
  setEnv(env, NUM_PARTITIONS_ENV_KEY, String(o.numPartitions));
  setEnv(env, INSTANCE_ENV_KEY, String(o.instance));
  setEnv(env, NUM_INSTANCES_ENV_KEY, String(o.numInstances));
  const { limits } = amountsOf(container.resources);
  if (limits.cpuMillis > 0) setEnv(env, GOMAXPROCS_ENV_KEY, String(Math.max(1, Math.ceil(limits.cpuMillis / 1000))));
  if (limits.memoryBytes > 0) setEnv(env, GOMEMLIMIT_ENV_KEY, `${Math.floor((limits.memoryBytes * 0.8) / MiB)}MiB`);
  return env;
}

export interface DesiredInstance {
  readonly view: ConsumerView;
  readonly instance: number;
  readonly partitions: readonly number[];
  readonly numInstances: number;
  readonly hash: string;
  /** Resources of each sized container; others keep the template's. */
  readonly resources: ReadonlyMap<string, Container['resources']>;
  readonly scalingStatus: string;
  readonly scalingStatusChange: string;
  readonly saturation?: string;
}

/** The Deployment of an instance, as applied (server-side apply, every field ours). */
export function desiredDeployment(d: DesiredInstance): Deployment {
  const spec = d.view.spec!;
  const name = instanceName(spec, d.instance);
  const template = JSON.parse(JSON.stringify(spec.deploymentTemplate)) as NonNullable<Deployment['spec']>;
  const podLabels = { ...(template.template?.metadata?.labels ?? {}), [INSTANCE_LABEL]: name };
  const containers = (template.template?.spec?.containers ?? []).map((c) => {
    const resources = d.resources.get(c.name);
    const sized: Container = resources ? { ...c, resources: resources ?? {} } : { ...c };
    return { ...sized, env: instanceEnv(sized, { partitionEnvKey: spec.partitionEnvKey, partitions: d.partitions, instance: d.instance, numPartitions: spec.numPartitions, numInstances: d.numInstances }) };
  });
  const namespace = deploymentNamespace(d.view);
  const sameNamespace = namespace === d.view.namespace;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels: {
        [APP_LABEL]: labelValue(spec.name),
        [CONTROLLER_LABEL]: labelValue(d.view.name),
        partitions: labelValue(partitionsLabel(d.partitions)),
        [CONSUMER_UID_LABEL]: d.view.uid,
      },
      annotations: {
        [Annotations.partition]: formatPartitions(d.partitions),
        [Annotations.consumerId]: String(d.instance),
        [Annotations.generation]: d.hash,
        [Annotations.scalingStatus]: d.scalingStatus,
        [Annotations.scalingStatusChange]: d.scalingStatusChange,
        ...(d.saturation !== undefined ? { [Annotations.cpuSaturationLevel]: d.saturation } : {}),
      },
      ...(sameNamespace
        ? { ownerReferences: [{ apiVersion: d.view.apiVersion, kind: d.view.kind, name: d.view.name, uid: d.view.uid, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: {
      ...template,
      // The instance's own selector: the template's labels plus one no other instance has.
      selector: { matchLabels: { ...(template.selector?.matchLabels ?? {}), [INSTANCE_LABEL]: name } },
      template: { ...template.template, metadata: { ...(template.template?.metadata ?? {}), labels: podLabels }, spec: { ...(template.template?.spec ?? {}), containers } },
    },
  };
}

/** What the operator owns of a Deployment, for "does it need a write": compared, never the whole object (the API server defaults the rest). */
export function ownedProjection(d: Deployment): string {
  const a = d.metadata?.annotations ?? {};
  return canonicalJson({
    labels: d.metadata?.labels,
    annotations: Object.fromEntries(Object.entries(a).filter(([k]) => k.startsWith('konsumerator.lwolf.org/') && k !== Annotations.disableAutoscaler)),
    replicas: d.spec?.replicas ?? 1,
    selector: d.spec?.selector,
    podLabels: d.spec?.template?.metadata?.labels,
    containers: (d.spec?.template?.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image, env: (c.env ?? []).map(normalizeEnv), resources: amountsOf(c.resources) })),
  });
}

/** An env entry as the API server stores it: `value: ""` dropped, `fieldRef.apiVersion` and `resourceFieldRef.divisor` defaulted. */
function normalizeEnv(e: NonNullable<Container['env']>[number]): unknown {
  const out: Record<string, unknown> = { name: e.name };
  if (e.value !== undefined && e.value !== '') out.value = e.value;
  const from = e.valueFrom as { fieldRef?: { apiVersion?: string; fieldPath: string }; resourceFieldRef?: { divisor?: string | number; resource: string; containerName?: string } } | undefined;
  if (from) {
    out.valueFrom = {
      ...from,
      ...(from.fieldRef ? { fieldRef: { apiVersion: 'v1', ...from.fieldRef } } : {}),
      ...(from.resourceFieldRef ? { resourceFieldRef: { ...from.resourceFieldRef, divisor: quantityValue(String(from.resourceFieldRef.divisor ?? '0')) ?? 0 } } : {}),
    };
  }
  return out;
}


/** A label value (at most 63 characters, as the original cut it). */
function labelValue(s: string): string {
  return s.length > 63 ? s.slice(0, 63).replace(/[^a-zA-Z0-9]+$/, '') : s;
}
