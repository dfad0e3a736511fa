/**
 * Fakes for WAO's runtime: the shared informers over in-memory ListerWatchers, an API server
 * that applies the controllers' writes to them (so that the informers see them, as they would
 * on a cluster), an Event sink, and WaoClients whose calls are recorded.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { WAO_API_VERSION } from '../../../../lib/api/wao/index.js';
import { InformerCache, type KubeClient, type ResourceRef } from '../../../../runtime/kit/index.js';
import type { CallOptions, EndpointAccess, PowerInput, WaoClients } from '../../../../runtime/wao/clients/index.js';
import { WaoInformers } from '../../../../runtime/wao/informers.js';
import type { Node, NodeConfig, NodeConfigTemplate } from '../../../../runtime/wao/resources.js';
import { flush } from '../../kit/fake-clock.js';
import { FakeListerWatcher, mergePatch, sameRealm, until } from '../../kit/fake-lister-watcher.js';
export { FakeEvents, type RecordedEvent } from '../../kit/fake-events.js';
export { deferred } from '../../../fixtures/deferred.js';

export const NS = 'wao-system';


/** Lets promise chains and informer handlers run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await flush();
}

export { until };

let uidSeq = 0;
export const newUid = (what = 'obj') => `${what}-uid-${++uidSeq}`;

export function node(name: string, labels: Record<string, string> = {}, internalIP?: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: newUid('node'), labels },
    ...(internalIP ? { status: { addresses: [{ type: 'InternalIP', address: internalIP }] } } : {}),
  };
}

/**
 * WaoInformers over FakeListerWatchers (one per resource and namespace), in a fresh
 * InformerCache. `start()` lists and waits until every watch is open.
 */
export class WaoWorld {
  readonly nodes = new FakeListerWatcher<Node>();
  readonly nodeConfigLws = new Map<string, FakeListerWatcher<NodeConfig>>();
  readonly templateLws = new Map<string, FakeListerWatcher<NodeConfigTemplate>>();
  readonly cache = new InformerCache();
  readonly informers: WaoInformers;

  constructor(readonly namespaces: readonly string[] = [NS]) {
    for (const ns of namespaces) {
      this.nodeConfigLws.set(ns, new FakeListerWatcher<NodeConfig>());
      this.templateLws.set(ns, new FakeListerWatcher<NodeConfigTemplate>());
    }
    this.informers = new WaoInformers(this.cache, namespaces, {
      nodes: sameRealm(this.nodes),
      nodeConfigs: (ns) => sameRealm(this.nodeConfigLws.get(ns)!),
      templates: (ns) => sameRealm(this.templateLws.get(ns)!),
    });
  }

  nodeConfigs(ns = NS): FakeListerWatcher<NodeConfig> {
    return this.nodeConfigLws.get(ns)!;
  }

  templates(ns = NS): FakeListerWatcher<NodeConfigTemplate> {
    return this.templateLws.get(ns)!;
  }

  private all(): FakeListerWatcher<KubernetesObject>[] {
    return [this.nodes, ...this.nodeConfigLws.values(), ...this.templateLws.values()] as FakeListerWatcher<KubernetesObject>[];
  }

  async start(): Promise<void> {
    this.cache.start();
    await this.cache.waitForSync();
    await until(() => this.all().every((lw) => lw.watching), 3000, 'every watch open');
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }
}

export interface Write {
  readonly verb: 'apply' | 'delete' | 'patchStatus';
  readonly resource: string;
  readonly namespace?: string;
  readonly name: string;
  readonly body?: any;
  readonly options?: any;
}

/**
 * The API server's side of the controllers' writes, applied to the world's ListerWatchers (so the
 * informers deliver them like a cluster would): apply creates or replaces (uid and generation
 * kept, generation bumped on a spec change), delete honours the uid precondition (409), status
 * patches are merge patches. `fail` makes the next writes of a verb throw.
 */
export class FakeApi {
  readonly writes: Write[] = [];
  readonly fail: Partial<Record<Write['verb'], unknown[]>> = {};

  constructor(private readonly world: WaoWorld) {}

  /** What the controllers get: typed as the parts of KubeClient they use. */
  get client(): Pick<KubeClient, 'apply' | 'delete' | 'patchStatus'> {
    return this as unknown as Pick<KubeClient, 'apply' | 'delete' | 'patchStatus'>;
  }

  of(verb: Write['verb']): Write[] {
    return this.writes.filter((w) => w.verb === verb);
  }

  private lw(ref: ResourceRef): FakeListerWatcher<KubernetesObject> {
    const ns = ref.namespace!;
    if (ref.resource === 'nodeconfigs') return this.world.nodeConfigs(ns) as FakeListerWatcher<KubernetesObject>;
    if (ref.resource === 'nodeconfigtemplates') return this.world.templates(ns) as FakeListerWatcher<KubernetesObject>;
    throw new Error(`FakeApi: no ${ref.resource}`);
  }

  private failure(verb: Write['verb']): void {
    const queue = this.fail[verb];
    if (queue?.length) throw queue.shift();
  }

  async apply(ref: ResourceRef, obj: any, options?: any): Promise<any> {
    this.writes.push({ verb: 'apply', resource: ref.resource, namespace: ref.namespace, name: obj.metadata.name, body: structuredClone(obj), options });
    this.failure('apply');
    const lw = this.lw(ref);
    const existing = lw.objects.get(`${ref.namespace}/${obj.metadata.name}`) as any;
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(obj.spec);
    const generation = existing ? (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0) : 1;
    return lw.upsert({
      ...obj,
      metadata: {
        ...(existing?.metadata ?? { uid: newUid(ref.resource), creationTimestamp: new Date().toISOString() }),
        ...obj.metadata,
        generation,
      },
      ...(existing?.status ? { status: existing.status } : {}),
    });
  }

  async delete(ref: ResourceRef, name: string, options: any = {}): Promise<boolean> {
    this.writes.push({ verb: 'delete', resource: ref.resource, namespace: ref.namespace, name, options });
    this.failure('delete');
    const lw = this.lw(ref);
    const existing = lw.objects.get(`${ref.namespace}/${name}`);
    if (!existing) return false;
    const uid = options.preconditions?.uid;
    if (uid && existing.metadata?.uid !== uid) throw Object.assign(new Error('precondition failed: uid'), { statusCode: 409 });
    lw.remove(ref.namespace!, name);
    return true;
  }

  async patchStatus(ref: ResourceRef, name: string, patch: any, type = 'merge'): Promise<any> {
    this.writes.push({ verb: 'patchStatus', resource: ref.resource, namespace: ref.namespace, name, body: structuredClone(patch), options: type });
    this.failure('patchStatus');
    const lw = this.lw(ref);
    const existing = lw.objects.get(`${ref.namespace}/${name}`);
    if (!existing) throw Object.assign(new Error(`${ref.resource} ${name} not found`), { statusCode: 404 });
    return lw.upsert(mergePatch(existing, patch) as KubernetesObject);
  }
}


export interface ClientCall {
  readonly method: 'fetchInletTemp' | 'fetchDeltaP' | 'predictPowerConsumption' | 'providePowerConsumptionEndpoint';
  readonly access: EndpointAccess;
  readonly node?: string;
  readonly input?: PowerInput;
  readonly opts: CallOptions;
}

type Answer<T> = (call: ClientCall) => T | Promise<T>;

/**
 * WaoClients that record every call and answer what the test says; a call honours its signal
 * (rejects with reason Timeout when aborted), like the real clients.
 */
export class FakeClients {
  readonly calls: ClientCall[] = [];
  inletTemp: Answer<number> = () => 21.5;
  deltaP: Answer<number> = () => 4.25;
  power: Answer<number> = (c) => 100 + (c.input?.cpuUsage ?? 0);
  endpoint: Answer<{ type: 'V2InferenceProtocol' | 'Fake'; endpoint: string }> = () => ({ type: 'V2InferenceProtocol', endpoint: 'http://10.0.0.1:8080/v2/models/m/infer' });

  get clients(): WaoClients {
    return this as unknown as WaoClients;
  }

  of(method: ClientCall['method']): ClientCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private run<T>(call: ClientCall, answer: Answer<T>): Promise<T> {
    this.calls.push(call);
    return new Promise<T>((resolve, reject) => {
      const signal = call.opts.signal;
      const onAbort = () => reject(Object.assign(new Error('the call was aborted'), { reason: 'Timeout' }));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      Promise.resolve()
        .then(() => answer(call))
        .then(resolve, reject)
        .finally(() => signal?.removeEventListener('abort', onAbort));
    });
  }

  fetchInletTemp(access: EndpointAccess, opts: CallOptions): Promise<number> {
    return this.run({ method: 'fetchInletTemp', access, opts }, this.inletTemp);
  }
  fetchDeltaP(access: EndpointAccess, node: string, opts: CallOptions): Promise<number> {
    return this.run({ method: 'fetchDeltaP', access, node, opts }, this.deltaP);
  }
  predictPowerConsumption(access: EndpointAccess, input: PowerInput, opts: CallOptions): Promise<number> {
    return this.run({ method: 'predictPowerConsumption', access, input, opts }, this.power);
  }
  providePowerConsumptionEndpoint(access: EndpointAccess, opts: CallOptions): Promise<{ type: 'V2InferenceProtocol' | 'Fake'; endpoint: string }> {
    return this.run({ method: 'providePowerConsumptionEndpoint', access, opts }, this.endpoint);
  }
}

/** A NodeConfig as the API server stores it (defaults applied). */
export function nodeConfig(
  name: string,
  spec: { nodeName: string; metricsCollector?: any; predictor?: any },
  meta: { namespace?: string; uid?: string; generation?: number; creationTimestamp?: string; status?: any; ownerReferences?: any[] } = {},
): NodeConfig {
  const term = (t: any) => (t ? { fetchInterval: '15s', insecureSkipVerify: false, ...t } : undefined);
  const mc = spec.metricsCollector ?? { inletTemp: { type: 'Fake' }, deltaP: { type: 'Fake' } };
  return {
    apiVersion: WAO_API_VERSION,
    kind: 'NodeConfig',
    metadata: {
      name,
      namespace: meta.namespace ?? NS,
      uid: meta.uid ?? newUid('nc'),
      generation: meta.generation ?? 1,
      creationTimestamp: meta.creationTimestamp ?? '2026-01-01T00:00:00Z',
      ...(meta.ownerReferences ? { ownerReferences: meta.ownerReferences } : {}),
    },
    spec: {
      nodeName: spec.nodeName,
      metricsCollector: { inletTemp: term(mc.inletTemp), deltaP: term(mc.deltaP) },
      ...(spec.predictor
        ? { predictor: Object.fromEntries(Object.entries(spec.predictor).map(([k, v]) => [k, term(v)])) }
        : {}),
    },
    ...(meta.status ? { status: meta.status } : {}),
  } as unknown as NodeConfig;
}
