/**
 * Consumers and metrics for Konsumerator's runtime tests: a spec as a user writes it (the checks
 * apply the defaults), the view the operator works on, and Prometheus answers.
 */
import { KONSUMERATOR_API_VERSION, type ConsumerSpecInput } from '../../../../lib/api/konsumerator/index.js';
import type { PromFetchResult } from '../../../../runtime/konsumerator/prometheus.js';
import { viewOfConsumer, type ConsumerObject, type ConsumerView } from '../../../../runtime/konsumerator/source.js';

export const NS = 'team';
export const UID = 'consumer-uid-1';

/** A Deployment template with a sidecar (its own resources) and the main container (none). */
export function deploymentTemplate(): Record<string, any> {
  return {
    replicas: 1,
    strategy: { type: 'Recreate' },
    selector: { matchLabels: { app: 'my-dep' } },
    template: {
      metadata: { labels: { app: 'my-dep' } },
      spec: {
        containers: [
          { name: 'sidecar', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 3000'], resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '50m', memory: '64Mi' } } },
          { name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 2000'], env: [{ name: 'LOG_LEVEL', value: 'info' }] },
        ],
      },
    },
  };
}

export function prometheus(over: Record<string, unknown> = {}): Record<string, any> {
  return {
    address: ['http://prometheus:9090'],
    ratePerCore: 1000,
    ramPerCore: '100M',
    offset: { query: 'sum(kafka_consumergroup_lag) by (partition)' },
    production: { query: 'sum(rate(kafka_produced_total[5m])) by (partition)' },
    consumption: { query: 'sum(rate(kafka_consumed_total[5m])) by (partition)' },
    ...over,
  };
}

export const MAIN_POLICY = { containerName: 'main', minAllowed: { cpu: '100m', memory: '100M' }, maxAllowed: { cpu: '4', memory: '4G' } };

/** numPartitions 4, one per instance, Prometheus autoscaling, a policy for `main`. */
export function specInput(over: Record<string, unknown> = {}): ConsumerSpecInput {
  return {
    numPartitions: 4,
    numPartitionsPerInstance: 1,
    name: 'orders',
    autoscaler: { mode: 'prometheus', prometheus: prometheus() },
    deploymentTemplate: deploymentTemplate(),
    resourcePolicy: { containerPolicies: [MAIN_POLICY] },
    ...over,
  } as unknown as ConsumerSpecInput;
}

export function consumer(spec: unknown = specInput(), meta: { name?: string; namespace?: string; uid?: string; generation?: number; annotations?: Record<string, string>; finalizers?: string[]; deletionTimestamp?: string } = {}): ConsumerObject {
  return {
    apiVersion: KONSUMERATOR_API_VERSION,
    kind: 'Consumer',
    metadata: {
      name: meta.name ?? 'orders',
      namespace: meta.namespace ?? NS,
      uid: meta.uid ?? UID,
      generation: meta.generation ?? 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ...(meta.finalizers ? { finalizers: meta.finalizers } : {}),
      ...(meta.deletionTimestamp ? { deletionTimestamp: meta.deletionTimestamp } : {}),
    },
    spec,
  } as unknown as ConsumerObject;
}

/** The checked view of a Consumer; throws when the spec is invalid. */
export function view(spec: unknown = specInput(), meta: Parameters<typeof consumer>[1] = {}): ConsumerView {
  const v = viewOfConsumer(consumer(spec, meta));
  if (!v.spec) throw new Error(`test spec invalid: ${v.specError}`);
  return v;
}

export interface Reading {
  production?: number;
  consumption?: number;
  behind?: number;
}

/** A Prometheus answer: the same reading for partitions 0..n-1, or per partition. */
export function answered(readings: Record<number, Reading>): PromFetchResult {
  return { ok: true, partitions: new Map(Object.entries(readings).map(([p, r]) => [Number(p), { ...r }])), problems: [], failedQueries: [], address: 'http://prometheus:9090' };
}

export function every(n: number, r: Reading): Record<number, Reading> {
  return Object.fromEntries(Array.from({ length: n }, (_, p) => [p, r]));
}

export const unreachable: PromFetchResult = { ok: false, reason: 'Unreachable', message: 'no Prometheus answered: http://prometheus:9090: connect ECONNREFUSED' };

/** A JSON copy in this realm. */
export const local = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
