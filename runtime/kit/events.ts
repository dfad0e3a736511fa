import { rfc3339 } from './time.js';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { rawRequest, resourcePath, type KubeClient } from './client.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { KitMetrics } from './metrics.js';

export interface EventSink {
  create(namespace: string, event: Record<string, unknown>): Promise<unknown>;
}

export function apiEventSink(kc: KubeConfig, metrics?: KitMetrics): EventSink {
  return {
    create(namespace, event) {
      metrics?.apiRequests.inc({ verb: 'create', resource: 'events' });
      return rawRequest(kc, resourcePath({ apiVersion: 'v1', resource: 'events', namespace }), {
        method: 'POST',
        body: event,
        timeoutMs: 10_000,
      });
    },
  };
}

/** Events through a typed client (its write guard applies: a replica that lost the lease records nothing). */
export function clientEventSink(client: KubeClient): EventSink {
  return {
    create: (namespace, event) => client.create({ apiVersion: 'v1', resource: 'events', namespace }, event),
  };
}

/** The object an Event is about: its kind and apiVersion are required (they name it in `kubectl describe`). */
export type InvolvedObject = KubernetesObject & { readonly apiVersion: string; readonly kind: string };

export interface EventRecorderOptions {
  readonly sink: EventSink;
  /** `source.component` / `reportingComponent`, e.g. `config-aggregator`. */
  readonly component: string;
  /** `reportingInstance`, usually the pod name. */
  readonly instance: string;
  readonly logger?: Logger;
  /** How many distinct events to remember for de-duplication. @default 10000 */
  readonly memory?: number;
}

/**
 * Records core/v1 Events on objects (in the object's namespace, where `kubectl describe` shows
 * them). An event with the same `dedupKey` is recorded once: repeated reconciles of an unchanged
 * problem cause no further writes. Failures are logged, never thrown: an Event is best effort.
 */
export class EventRecorder {
  private readonly seen = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly options: EventRecorderOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'events' });
  }

  async record(
    obj: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    dedupKey?: string,
  ): Promise<boolean> {
    const key = dedupKey ?? `${obj.metadata?.uid}/${obj.metadata?.resourceVersion}/${reason}/${message}`;
    if (this.seen.has(key)) return false;
    this.remember(key);
    const namespace = obj.metadata?.namespace ?? 'default';
    const now = new Date();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${obj.metadata?.name ?? 'object'}.`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata?.name,
        namespace,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      type,
      reason,
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      source: { component: this.options.component },
      reportingComponent: this.options.component,
      reportingInstance: this.options.instance,
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
    };
    try {
      await this.options.sink.create(namespace, event);
      return true;
    } catch (err) {
      this.seen.delete(key);
      this.log.warn({ err: String(err), reason, object: `${namespace}/${obj.metadata?.name}` }, 'could not record event');
      return false;
    }
  }

  private remember(key: string): void {
    if (this.seen.size >= (this.options.memory ?? 10_000)) {
      const first = this.seen.values().next().value;
      if (first !== undefined) this.seen.delete(first);
    }
    this.seen.add(key);
  }
}
