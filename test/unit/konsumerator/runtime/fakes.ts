/**
 * Fakes for the Konsumerator operator: its informers (Consumers or guest ConfigMaps, and the
 * managed Deployments) in a real InformerCache over in-memory ListerWatchers, an API server that
 * applies the operator's writes to them (so the informers see them, as on a cluster), an Event
 * sink, a Prometheus answering what the test says, and a fake clock.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { CONSUMER_UID_LABEL, type KonsumeratorOptions } from '../../../../lib/api/konsumerator/index.js';
import { KonsumeratorController, type MetricsSource } from '../../../../runtime/konsumerator/controller.js';
import type { Deployment } from '../../../../runtime/konsumerator/instance.js';
import type { PromFetchResult, PromQueries } from '../../../../runtime/konsumerator/prometheus.js';
import { CONFIGMAPS, CONSUMERS, DEPLOYMENTS, type ConfigMapObject, type ConsumerObject } from '../../../../runtime/konsumerator/source.js';
import { InformerCache, KitMetrics, type ResourceRef, type Result } from '../../../../runtime/kit/index.js';
import { FakeClock, flush } from '../../kit/fake-clock.js';
import { FakeListerWatcher, mergePatch, sameRealm, until } from '../../kit/fake-lister-watcher.js';
import { NS, answered, every, local, type Reading } from './fixtures.js';
import { FakeEvents } from '../../kit/fake-events.js';
export { FakeEvents, type RecordedEvent } from '../../kit/fake-events.js';

export { until };

/** Lets promise chains and informer handlers run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await flush();
}

export interface Write {
  readonly verb: 'apply' | 'delete' | 'patch' | 'patchStatus';
  readonly resource: string;
  readonly namespace?: string;
  readonly name: string;
  readonly body?: any;
  readonly options?: any;
  /** Fake time of the write. */
  readonly at: number;
}

let uidSeq = 0;

/**
 * What the API server does to a Deployment on the way in and out, for "a steady state writes
 * nothing": server fields and defaults, and quantities in another spelling.
 */
export function serverDefaults(d: any): any {
  const o = local(d);
  o.spec = { revisionHistoryLimit: 10, progressDeadlineSeconds: 600, ...o.spec };
  const tpl = o.spec.template ?? {};
  tpl.spec = { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30, ...tpl.spec };
  for (const c of tpl.spec.containers ?? []) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= 'IfNotPresent';
    c.resources ??= {};
    for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    for (const part of ['requests', 'limits']) {
      const r = c.resources[part];
      if (!r) continue;
      if (/^\d+$/.test(r.cpu ?? '')) r.cpu = `${Number(r.cpu) * 1000}m`;
      if (/^\d+000000$/.test(r.memory ?? '')) r.memory = `${Number(r.memory) / 1e6}M`;
    }
  }
  return o;
}

/**
 * The API server's side of the operator's writes. apply is server-side apply with force: it
 * replaces the spec and the labels and annotations the operator applied before, keeps labels and
 * annotations set by someone else (kubectl annotate), keeps status and uid, and bumps
 * generation on a spec change. delete honours the uid precondition (409). patch and
 * patchStatus are merge patches.
 */
export class FakeApi {
  readonly writes: Write[] = [];
  /** Annotation and label keys the operator applied last, per object. */
  private readonly applied = new Map<string, { labels: Set<string>; annotations: Set<string> }>();
  defaults = serverDefaults;

  constructor(private readonly world: KonsumeratorWorld, private readonly clock: FakeClock) {}

  get client(): any {
    return this;
  }

  of(verb: Write['verb']): Write[] {
    return this.writes.filter((w) => w.verb === verb);
  }

  private lw(ref: ResourceRef): FakeListerWatcher<KubernetesObject> {
    if (ref.resource === 'deployments') return this.world.deploymentsLw as FakeListerWatcher<KubernetesObject>;
    if (ref.resource === 'consumers') return this.world.consumers as FakeListerWatcher<KubernetesObject>;
    if (ref.resource === 'configmaps') return this.world.configMaps as FakeListerWatcher<KubernetesObject>;
    throw new Error(`FakeApi: no ${ref.resource}`);
  }

  async apply(ref: ResourceRef, obj: any, options?: any): Promise<any> {
    this.writes.push({ verb: 'apply', resource: ref.resource, namespace: ref.namespace, name: obj.metadata.name, body: local(obj), options, at: this.clock.now() });
    const lw = this.lw(ref);
    const key = `${ref.namespace}/${obj.metadata.name}`;
    const existing = lw.objects.get(key) as any;
    const mine = this.applied.get(key) ?? { labels: new Set<string>(), annotations: new Set<string>() };
    const keepForeign = (cur: Record<string, string> | undefined, owned: Set<string>) => Object.fromEntries(Object.entries(cur ?? {}).filter(([k]) => !owned.has(k)));
    const labels = { ...keepForeign(existing?.metadata?.labels, mine.labels), ...(obj.metadata.labels ?? {}) };
    const annotations = { ...keepForeign(existing?.metadata?.annotations, mine.annotations), ...(obj.metadata.annotations ?? {}) };
    this.applied.set(key, { labels: new Set(Object.keys(obj.metadata.labels ?? {})), annotations: new Set(Object.keys(obj.metadata.annotations ?? {})) });
    const spec = this.defaults({ spec: obj.spec }).spec;
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(spec);
    const generation = existing ? (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0) : 1;
    return lw.upsert({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      metadata: {
        ...(existing?.metadata ?? { uid: `deploy-uid-${++uidSeq}`, creationTimestamp: '2026-01-01T00:00:00Z' }),
        ...obj.metadata,
        labels,
        annotations: { ...annotations, 'deployment.kubernetes.io/revision': String(generation) },
        generation,
      },
      spec,
      ...(existing?.status ? { status: existing.status } : {}),
    } as KubernetesObject);
  }

  async delete(ref: ResourceRef, name: string, options: any = {}): Promise<boolean> {
    this.writes.push({ verb: 'delete', resource: ref.resource, namespace: ref.namespace, name, options, at: this.clock.now() });
    const lw = this.lw(ref);
    const existing = lw.objects.get(`${ref.namespace}/${name}`);
    if (!existing) throw Object.assign(new Error(`${name} not found`), { statusCode: 404 });
    const uid = options.preconditions?.uid;
    if (uid && existing.metadata?.uid !== uid) throw Object.assign(new Error('precondition failed: uid'), { statusCode: 409 });
    lw.remove(ref.namespace!, name);
    return true;
  }

  async patch(ref: ResourceRef, name: string, patch: any, type = 'merge'): Promise<any> {
    this.writes.push({ verb: 'patch', resource: ref.resource, namespace: ref.namespace, name, body: local(patch), options: type, at: this.clock.now() });
    const lw = this.lw(ref);
    const existing = lw.objects.get(`${ref.namespace}/${name}`);
    if (!existing) throw Object.assign(new Error(`${name} not found`), { statusCode: 404 });
    const { resourceVersion, ...meta } = patch.metadata ?? {};
    if (resourceVersion !== undefined && resourceVersion !== existing.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { statusCode: 409 });
    return lw.upsert(mergePatch(existing, { ...patch, metadata: meta }) as KubernetesObject);
  }

  async patchStatus(ref: ResourceRef, name: string, patch: any, type = 'merge'): Promise<any> {
    this.writes.push({ verb: 'patchStatus', resource: ref.resource, namespace: ref.namespace, name, body: local(patch), options: type, at: this.clock.now() });
    const lw = this.lw(ref);
    const existing = lw.objects.get(`${ref.namespace}/${name}`);
    if (!existing) throw Object.assign(new Error(`${ref.resource} ${name} not found`), { statusCode: 404 });
    return lw.upsert(mergePatch(existing, patch) as KubernetesObject);
  }
}


/** Prometheus as the test says: a fixed answer (or a function of the call), every call recorded with its fake time. */
export class FakePrometheus {
  readonly calls: Array<{ at: number; addresses: readonly string[]; queries: PromQueries; timeoutMs: number }> = [];
  answer: PromFetchResult | (() => PromFetchResult) = answered({});

  constructor(private readonly clock: FakeClock) {}

  /** Every partition of 0..n-1 reads `r`. */
  set(n: number, r: Reading): void {
    this.answer = answered(every(n, r));
  }

  get source(): MetricsSource {
    return async (addresses, queries, timeoutMs) => {
      this.calls.push({ at: this.clock.now(), addresses, queries, timeoutMs });
      return typeof this.answer === 'function' ? this.answer() : this.answer;
    };
  }
}

/** The operator's informers over FakeListerWatchers (cluster mode or guest mode). */
export class KonsumeratorWorld {
  readonly consumers = new FakeListerWatcher<ConsumerObject>();
  readonly configMaps = new FakeListerWatcher<ConfigMapObject>();
  readonly deploymentsLw = new FakeListerWatcher<Deployment>();
  readonly cache = new InformerCache();

  constructor(readonly guestMode = false, readonly namespace = NS) {
    if (guestMode) {
      this.cache.informer({ ...CONFIGMAPS, namespace }, {}, { name: 'guest-configmaps', listerWatcher: sameRealm(this.configMaps) });
      this.cache.informer({ ...DEPLOYMENTS, namespace }, { labelSelector: CONSUMER_UID_LABEL }, { name: 'managed-deployments', listerWatcher: sameRealm(this.deploymentsLw) });
    } else {
      this.cache.informer(CONSUMERS, {}, { name: 'consumers', listerWatcher: sameRealm(this.consumers) });
      this.cache.informer(DEPLOYMENTS, { labelSelector: CONSUMER_UID_LABEL }, { name: 'managed-deployments', listerWatcher: sameRealm(this.deploymentsLw) });
    }
  }

  async start(): Promise<void> {
    this.cache.start();
    await this.cache.waitForSync();
    const lws = this.guestMode ? [this.configMaps, this.deploymentsLw] : [this.consumers, this.deploymentsLw];
    await until(() => lws.every((lw) => (lw as FakeListerWatcher<KubernetesObject>).watching), 3000, 'every watch open');
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }
}

export interface Harness {
  readonly world: KonsumeratorWorld;
  readonly api: FakeApi;
  readonly events: FakeEvents;
  readonly prom: FakePrometheus;
  readonly clock: FakeClock;
  readonly controller: KonsumeratorController;
  /** Runs one reconcile of the Consumer (or ConfigMap) and lets the informers catch up. */
  reconcile(name?: string, namespace?: string): Promise<Result | void>;
  /** The stored Deployment. */
  deployment(name: string, namespace?: string): Deployment | undefined;
  deployments(): Deployment[];
  /** The stored Consumer. */
  stored(name?: string, namespace?: string): ConsumerObject | undefined;
  /** Marks a Deployment rolled out (status as the deployment controller would write it). */
  rolledOut(name: string, namespace?: string): Promise<void>;
  /** Changes the stored Consumer's spec or metadata (generation bumped), and waits for the informer. */
  updateConsumer(f: (c: any) => void, name?: string, namespace?: string): Promise<void>;
  /** Changes a stored Deployment like kubectl would (not the operator), and waits for the informer. */
  edit(name: string, f: (d: any) => void, namespace?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function harness(objects: { consumers?: ConsumerObject[]; configMaps?: ConfigMapObject[]; deployments?: Deployment[] }, opts: Partial<KonsumeratorOptions> = {}): Promise<Harness> {
  const guestMode = opts.guestMode ?? false;
  const world = new KonsumeratorWorld(guestMode, opts.namespace ?? NS);
  for (const c of objects.consumers ?? []) world.consumers.upsertSilently(c);
  for (const c of objects.configMaps ?? []) world.configMaps.upsertSilently(c);
  for (const d of objects.deployments ?? []) world.deploymentsLw.upsertSilently(d);
  await world.start();
  const clock = new FakeClock();
  const api = new FakeApi(world, clock);
  const events = new FakeEvents();
  const prom = new FakePrometheus(clock);
  const controller = new KonsumeratorController({
    options: { namespace: NS, guestMode, workers: 1, prometheusTimeoutMs: 5000, ...opts },
    cache: world.cache,
    client: api.client,
    events,
    identity: 'konsumerator-0',
    metrics: new KitMetrics(),
    isLeader: () => true,
    clock,
    metricsSource: prom.source,
    resyncIntervalMs: 0,
  });
  const deployment = (name: string, namespace = NS) => world.deploymentsLw.objects.get(`${namespace}/${name}`) as Deployment | undefined;
  const informerHas = (name: string, namespace: string, rv: string | undefined) => controller.deployments.get(namespace, name)?.metadata?.resourceVersion === rv;
  const h: Harness = {
    world,
    api,
    events,
    prom,
    clock,
    controller,
    async reconcile(name = 'orders', namespace = NS) {
      const r = await controller.reconcile(`${namespace}/${name}`);
      await settle();
      // The informers have every object the fake API holds.
      await until(
        () =>
          [...world.deploymentsLw.objects.values()].every((d) => informerHas(d.metadata!.name!, d.metadata!.namespace!, d.metadata!.resourceVersion)) &&
          controller.deployments.list().length === world.deploymentsLw.objects.size &&
          [...(guestMode ? world.configMaps : world.consumers).objects.values()].every(
            (o) => controller.sources.get(o.metadata!.namespace!, o.metadata!.name!)?.metadata?.resourceVersion === o.metadata!.resourceVersion,
          ),
        3000,
        'informers caught up',
      );
      return r;
    },
    deployment,
    deployments: () => [...world.deploymentsLw.objects.values()].sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!, 'en', { numeric: true })),
    stored: (name = 'orders', namespace = NS) => world.consumers.objects.get(`${namespace}/${name}`),
    async rolledOut(name, namespace = NS) {
      await h.edit(name, (d) => {
        const n = d.spec?.replicas ?? 1;
        d.status = { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, availableReplicas: n, readyReplicas: n };
      }, namespace);
    },
    async updateConsumer(f, name = 'orders', namespace = NS) {
      const c = local(world.consumers.objects.get(`${namespace}/${name}`)) as any;
      f(c);
      c.metadata.generation = (c.metadata.generation ?? 1) + 1;
      const stored = world.consumers.upsert(c);
      await until(() => controller.sources.get(namespace, name)?.metadata?.resourceVersion === stored.metadata!.resourceVersion, 3000, `informer has Consumer ${name}`);
    },
    async edit(name, f, namespace = NS) {
      const d = local(deployment(name, namespace)) as any;
      f(d);
      const stored = world.deploymentsLw.upsert(d);
      await until(() => informerHas(name, namespace, stored.metadata!.resourceVersion), 3000, `informer has ${name}`);
    },
    async stop() {
      await controller.stop();
      await world.stop();
    },
  };
  return h;
}
