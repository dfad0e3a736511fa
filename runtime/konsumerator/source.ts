/**
 * Where Consumer specs come from: Consumer objects (cluster mode), or, in guest mode, ConfigMaps
 * annotated `konsumerator.lwolf.org/managed` in one namespace with the spec as YAML under
 * `consumer.yaml` (the original took whichever data key came first; an ambiguous ConfigMap is now
 * an error naming its keys). Either way the operator sees a `ConsumerView`.
 */
import { parse } from 'yaml';
import {
  Annotations,
  GUEST_SPEC_KEY,
  KONSUMERATOR_API_VERSION,
  checkConsumerSpec,
  type ConsumerSpec,
  type ConsumerStatus,
} from '../../lib/api/konsumerator/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import type { KubernetesObject } from '@kubernetes/client-node';

export const CONSUMERS = { apiVersion: KONSUMERATOR_API_VERSION, resource: 'consumers' } as const;
export const CONFIGMAPS = { apiVersion: 'v1', resource: 'configmaps' } as const;
export const DEPLOYMENTS = { apiVersion: 'apps/v1', resource: 'deployments' } as const;

export interface ConsumerObject extends KubernetesObject {
  spec?: unknown;
  status?: ConsumerStatus;
}

export interface ConfigMapObject extends KubernetesObject {
  data?: Record<string, string>;
}

/** One Consumer, from either source. */
export interface ConsumerView {
  readonly kind: 'Consumer' | 'ConfigMap';
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation?: number;
  readonly annotations: Readonly<Record<string, string>>;
  readonly finalizers: readonly string[];
  readonly deleting: boolean;
  /** The checked spec with defaults; undefined when `specError` says why not. */
  readonly spec?: ConsumerSpec;
  readonly specError?: string;
  /** The Consumer's status (cluster mode). */
  readonly status?: ConsumerStatus;
  readonly object: KubernetesObject;
}

function base(obj: KubernetesObject, kind: 'Consumer' | 'ConfigMap') {
  const m = obj.metadata ?? {};
  return {
    kind,
    apiVersion: kind === 'Consumer' ? KONSUMERATOR_API_VERSION : 'v1',
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    generation: m.generation,
    annotations: m.annotations ?? {},
    finalizers: m.finalizers ?? [],
    deleting: !!m.deletionTimestamp,
    object: obj,
  };
}

function checked(source: string, spec: unknown): { spec?: ConsumerSpec; specError?: string } {
  try {
    return { spec: checkConsumerSpec(spec, { source }) };
  } catch (err) {
    if (err instanceof ValidationError) return { specError: err.message };
    throw err;
  }
}

export function viewOfConsumer(c: ConsumerObject): ConsumerView {
  const b = base(c, 'Consumer');
  return { ...b, ...checked(`Consumer ${b.namespace}/${b.name}`, c.spec), status: c.status };
}

/** Whether a ConfigMap is a guest-mode Consumer. */
export function isManagedConfigMap(cm: ConfigMapObject): boolean {
  return cm.metadata?.annotations?.[Annotations.managed] !== undefined;
}

export function viewOfConfigMap(cm: ConfigMapObject): ConsumerView {
  const b = base(cm, 'ConfigMap');
  const source = `ConfigMap ${b.namespace}/${b.name}`;
  const data = cm.data ?? {};
  let text = data[GUEST_SPEC_KEY];
  if (text === undefined) {
    const keys = Object.keys(data);
    // The original read whichever key came first; one key is still unambiguous.
    if (keys.length === 1) text = data[keys[0]];
    else return { ...b, specError: `${source}: key ${GUEST_SPEC_KEY} is missing${keys.length ? ` and the ConfigMap has several keys (${keys.join(', ')}): which one is the spec is ambiguous` : ' (the ConfigMap has no data)'}` };
  }
  let spec: unknown;
  try {
    spec = parse(text);
  } catch (err) {
    return { ...b, specError: `${source}: ${GUEST_SPEC_KEY} is not YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  return { ...b, ...checked(source, spec) };
}
