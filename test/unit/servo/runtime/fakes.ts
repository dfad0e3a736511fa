/**
 * Fakes for the servo daemon: job pods in FakeListerWatchers (one per namespace) behind a real
 * InformerCache that records which informers it was asked for, an API server applying the
 * daemon's merge patches to them (so the informers see the result, as on a cluster), the
 * optimizer as a recording Sender, and job pod fixtures.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import {
  MEASUREMENT_FINALIZER,
  MONITOR_CONTAINER,
  parseAppIdPath,
  type AppIdPath,
  type OptimizerEvent,
  type ServoOptions,
} from '../../../../lib/api/servo/index.js';
import {
  ApiError,
  InformerCache,
  KitMetrics,
  type KubeClient,
  type ListerWatcher,
  type ResourceRef,
  type SelectorOptions,
  type SharedInformer,
  type SharedInformerOptions,
} from '../../../../runtime/kit/index.js';
import { ServoController } from '../../../../runtime/servo/controller.js';
import type { Sender } from '../../../../runtime/servo/deliveries.js';
import type { SendResult } from '../../../../runtime/servo/optimizer.js';
import { FakeClock, flush } from '../../kit/fake-clock.js';
import { FakeEvents } from '../../kit/fake-events.js';
import { FakeListerWatcher, mergePatch, sameRealm, until } from '../../kit/fake-lister-watcher.js';

export { until };

/** Watched namespaces of the default options (in the order given). */
export const NS = 'jobs';
export const NS2 = 'batch';
/** A namespace the daemon does not watch. */
export const UNWATCHED = 'elsewhere';
export const OTHER_FINALIZER = 'example.com/keep';
export const OPTIMIZER_URL = 'http://optimizer.test/metrics/{acct}/{app_id}/servo';
export const ACCOUNT = 'acme';
export const MONITOR_IMAGE = 'registry.example/platform-controllers:1.2.3';

/** A JSON copy made in this realm. */
export const local = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Lets promise chains and informer handlers run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await flush();
}

/** The "cluster": one FakeListerWatcher of pods per namespace. */
export class PodWorld {
  readonly lws = new Map<string, FakeListerWatcher<V1Pod>>();

  lw(namespace: string): FakeListerWatcher<V1Pod> {
    let lw = this.lws.get(namespace);
    if (!lw) this.lws.set(namespace, (lw = new FakeListerWatcher<V1Pod>()));
    return lw;
  }

  pod(namespace: string, name: string): V1Pod | undefined {
    return this.lws.get(namespace)?.objects.get(`${namespace}/${name}`);
  }

  /** Adds pods before the informers list them. */
  seed(pods: readonly V1Pod[]): void {
    for (const p of pods) this.lw(p.metadata!.namespace!).upsertSilently(p);
  }
}

export interface InformerRequest {
  readonly resource: ResourceRef;
  readonly selectors: SelectorOptions;
  readonly name?: string;
}

/** A real InformerCache whose informers read the world; records what it was asked for. */
export class RecordingCache extends InformerCache {
  readonly asked: InformerRequest[] = [];

  constructor(private readonly world: PodWorld) {
    super();
  }

  override informer<T extends KubernetesObject>(resource: ResourceRef, selectors: SelectorOptions = {}, options: SharedInformerOptions<T> = {}): SharedInformer<T> {
    this.asked.push({ resource, selectors, name: options.name });
    return this.unrecorded<T>(resource, selectors, options);
  }

  /** An informer of someone else sharing the cache (not recorded). */
  unrecorded<T extends KubernetesObject>(resource: ResourceRef, selectors: SelectorOptions = {}, options: SharedInformerOptions<T> = {}): SharedInformer<T> {
    const lw = sameRealm(this.world.lw(resource.namespace ?? '')) as unknown as ListerWatcher<T>;
    return super.informer<T>(resource, selectors, { ...options, listerWatcher: options.listerWatcher ?? lw });
  }
}

export interface PatchCall {
  readonly namespace?: string;
  readonly name: string;
  readonly body: any;
  readonly type?: string;
}

/**
 * The API server's side of the daemon's pod patches: merge patches honouring the
 * `metadata.resourceVersion` precondition (409), 404 for a missing pod, and the removal of a
 * pod being deleted once its last finalizer is gone. `fail` makes the next patches throw;
 * `deliver = false` lands the write without telling the watches (an informer lagging behind).
 */
export class FakePodApi {
  readonly patches: PatchCall[] = [];
  readonly fail: unknown[] = [];
  deliver = true;

  constructor(private readonly world: PodWorld) {}

  get client(): Pick<KubeClient, 'patch'> {
    return this as unknown as Pick<KubeClient, 'patch'>;
  }

  async patch(ref: ResourceRef, name: string, body: unknown, type?: string): Promise<unknown> {
    this.patches.push({ namespace: ref.namespace, name, body: local(body), type });
    if (ref.resource !== 'pods' || ref.apiVersion !== 'v1') throw new Error(`FakePodApi: ${ref.apiVersion} ${ref.resource}`);
    if (this.fail.length) throw this.fail.shift();
    const lw = this.world.lw(ref.namespace!);
    const current = lw.objects.get(`${ref.namespace}/${name}`);
    if (!current) throw new ApiError(404, 'NotFound', `pods "${name}" not found`);
    const rv = (body as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata?.resourceVersion) throw new ApiError(409, 'Conflict', 'the object has been modified');
    const next = mergePatch(local(current), body) as V1Pod;
    if (next.metadata?.deletionTimestamp && !next.metadata.finalizers?.length) {
      if (this.deliver) lw.remove(ref.namespace!, name);
      else lw.removeSilently(ref.namespace!, name);
      return next;
    }
    return this.deliver ? lw.upsert(next) : (lw.upsertSilently(next), next);
  }
}

export interface SendCall {
  readonly url: string;
  readonly event: OptimizerEvent;
  readonly signal: AbortSignal;
  readonly key: string;
  /** Fake time of the call. */
  readonly at: number;
}

/** The optimizer as a Sender: records every call; `answer` decides (accepted 200 by default). */
export class FakeOptimizer {
  readonly calls: SendCall[] = [];
  answer: (call: SendCall) => SendResult | Promise<SendResult> = () => ({ kind: 'accepted', status: 200 });

  constructor(private readonly now: () => number = Date.now) {}

  readonly send: Sender = async (url, event, signal, key) => {
    const call = { url, event: local(event), signal, key, at: this.now() };
    this.calls.push(call);
    return this.answer(call);
  };

  measurements(): SendCall[] {
    return this.calls.filter((c) => c.event.event === 'MEASUREMENT');
  }
}

export const appIdPath = (text = 'spec/containers/0/env/[JOBID]'): AppIdPath => {
  const p = parseAppIdPath(text);
  if (typeof p === 'string') throw new Error(p);
  return p;
};

export function servoOptions(over: Partial<ServoOptions> = {}): ServoOptions {
  return {
    namespace: 'servo-system',
    namespaces: [NS, NS2],
    url: OPTIMIZER_URL,
    account: ACCOUNT,
    appIdPath: appIdPath(),
    monitor: { image: MONITOR_IMAGE, imagePullPolicy: 'IfNotPresent', intervalMs: 100, cpu: '50m', memory: '64Mi', heapMiB: 24 },
    statsTimeoutMs: 30_000,
    sendTimeoutMs: 1000,
    maxBackoffMs: 60_000,
    concurrency: 4,
    workers: 1,
    ...over,
  };
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Start of the fake clock (FakeClock's default). */
export const T0 = 1_700_000_000_000;

export interface JobPodInput {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  /** The JOBID env value; null for none (not a job). */
  readonly appId?: string | null;
  readonly restartPolicy?: string;
  readonly phase?: string;
  /** The job container: terminated (with times) or still running. */
  readonly job?: { readonly startedAt?: string | null; readonly finishedAt?: string | null; readonly exitCode?: number } | 'running';
  readonly containerID?: string;
  /** The monitor sidecar: absent from the pod, still running, or terminated with this message. */
  readonly monitor?: 'absent' | 'running' | { readonly message?: string };
  readonly finalizers?: readonly string[];
  readonly annotations?: Record<string, string>;
  readonly deletionTimestamp?: string;
  readonly nodeName?: string | null;
  readonly resources?: Record<string, unknown>;
  readonly creationTimestamp?: string;
}

export const JOB_CONTAINER_ID = 'containerd://0123456789abcdef';

/**
 * A job pod (JOBID env on the first container, the monitor as a native sidecar, our finalizer)
 * whose job container ran from T0-60 s to T0-10 s by default, with the monitor still running.
 */
export function jobPod(input: JobPodInput = {}): V1Pod {
  const name = input.name ?? 'job-1';
  const namespace = input.namespace ?? NS;
  const job = input.job ?? { startedAt: iso(T0 - 60_000), finishedAt: iso(T0 - 10_000), exitCode: 0 };
  const monitor = input.monitor ?? 'running';
  const env = input.appId === null ? [] : [{ name: 'JOBID', value: input.appId ?? 'app-1' }];
  // As list items and watch events of pods arrive: no apiVersion or kind.
  return {
    metadata: {
      name,
      namespace,
      uid: input.uid ?? `uid-${namespace}-${name}`,
      creationTimestamp: (input.creationTimestamp ?? iso(T0 - 120_000)) as never,
      finalizers: [...(input.finalizers ?? [MEASUREMENT_FINALIZER])],
      ...(input.annotations ? { annotations: input.annotations } : {}),
      ...(input.deletionTimestamp ? { deletionTimestamp: input.deletionTimestamp as never } : {}),
    },
    spec: {
      restartPolicy: input.restartPolicy ?? 'Never',
      ...(input.nodeName === null ? {} : { nodeName: input.nodeName ?? 'node-1' }),
      shareProcessNamespace: true,
      containers: [{ name: 'main', image: 'job:1', env, resources: (input.resources ?? { requests: { cpu: '1' }, limits: { cpu: '1' } }) as never }],
      ...(monitor === 'absent' ? {} : { initContainers: [{ name: MONITOR_CONTAINER, image: MONITOR_IMAGE, restartPolicy: 'Always' }] }),
    },
    status: {
      phase: input.phase ?? 'Running',
      containerStatuses: [
        {
          name: 'main',
          image: 'job:1',
          imageID: '',
          ready: false,
          restartCount: 0,
          containerID: input.containerID ?? JOB_CONTAINER_ID,
          state: job === 'running' ? { running: { startedAt: iso(T0 - 60_000) as never } } : { terminated: { exitCode: job.exitCode as number, startedAt: job.startedAt as never, finishedAt: job.finishedAt as never } },
        },
      ],
      ...(monitor === 'absent'
        ? {}
        : {
            initContainerStatuses: [
              {
                name: MONITOR_CONTAINER,
                image: MONITOR_IMAGE,
                imageID: '',
                ready: monitor === 'running',
                restartCount: 0,
                containerID: 'containerd://feedfacefeedface',
                state: monitor === 'running' ? { running: { startedAt: iso(T0 - 61_000) as never } } : { terminated: { exitCode: 0, message: monitor.message } },
              },
            ],
          }),
    },
  };
}

export interface Harness {
  readonly world: PodWorld;
  readonly cache: RecordingCache;
  readonly api: FakePodApi;
  readonly events: FakeEvents;
  readonly optimizer: FakeOptimizer;
  readonly clock: FakeClock;
  readonly metrics: KitMetrics;
  readonly controller: ServoController;
  readonly options: ServoOptions;
  /** One reconcile of `namespace/name`, then the promise chains and informer handlers it woke. */
  reconcile(name?: string, namespace?: string): Promise<unknown>;
  /** The sum of a metric's values with these labels. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly options?: Partial<ServoOptions>;
  readonly world?: PodWorld;
  readonly clock?: FakeClock;
  readonly optimizer?: FakeOptimizer;
  readonly initialBackoffMs?: number;
  /** Informers of the world's other namespaces, made by someone else sharing the cache. */
  readonly foreign?: readonly string[];
  /** Wait for the informers' first sync (and empty the queue their initial adds filled). @default true */
  readonly sync?: boolean;
}

/** Takes every queued key off the controller's queue (as a worker would, without reconciling); returns them. */
export async function drain(controller: ServoController): Promise<string[]> {
  const q = controller.controller.queue;
  const keys: string[] = [];
  while (q.length) {
    const k = (await q.get())!;
    q.done(k);
    keys.push(k);
  }
  return keys;
}

/** A ServoController over a fresh cache of `world` (a restart when the world is reused), synced. */
export async function harness(pods: readonly V1Pod[] = [], o: HarnessOptions = {}): Promise<Harness> {
  const world = o.world ?? new PodWorld();
  world.seed(pods);
  const options = servoOptions(o.options);
  const cache = new RecordingCache(world);
  for (const ns of o.foreign ?? []) cache.unrecorded({ apiVersion: 'v1', resource: 'pods', namespace: ns }, {}, { name: `foreign-${ns}` });
  cache.start();
  const clock = o.clock ?? new FakeClock(T0);
  const api = new FakePodApi(world);
  const events = new FakeEvents();
  const optimizer = o.optimizer ?? new FakeOptimizer(() => clock.now());
  const metrics = new KitMetrics();
  const controller = new ServoController({
    options,
    cache,
    client: api.client,
    events,
    identity: 'servo-0',
    metrics,
    isLeader: () => true,
    send: optimizer.send,
    clock,
    resyncIntervalMs: 0,
    initialBackoffMs: o.initialBackoffMs,
  });
  if (o.sync !== false) {
    await cache.waitForSync();
    await until(() => [...options.namespaces, ...(o.foreign ?? [])].every((ns) => world.lw(ns).watching), 3000, 'every watch open');
    await settle();
    await drain(controller);
  }
  return {
    world,
    cache,
    api,
    events,
    optimizer,
    clock,
    metrics,
    controller,
    options,
    async reconcile(name = 'job-1', namespace = NS) {
      const r = await controller.reconcile(`${namespace}/${name}`);
      await settle();
      return r;
    },
    async metric(name, labels = {}) {
      const m = metrics.registry.getSingleMetric(name);
      if (!m) throw new Error(`no metric ${name}`);
      const values = (await m.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
      return values.reduce((s, v) => s + v.value, 0);
    },
    async stop() {
      optimizer.answer = () => ({ kind: 'accepted', status: 200 });
      await controller.stop();
      await cache.stop();
    },
  };
}
