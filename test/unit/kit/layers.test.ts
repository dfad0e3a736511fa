import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ApiError,
  Backoff,
  Controller,
  EventRecorder,
  InformerCache,
  KubeClient,
  NotLeaderError,
  WorkQueue,
  backoffDelay,
  cacheKey,
  enqueueOwner,
  generationChanged,
  guardWrites,
  keyOf,
  labelsChanged,
  resourceVersionChanged,
  retryOnConflict,
  silentLogger,
  type Reconciler,
} from '../../../runtime/kit/index.js';
import { FakeListerWatcher, until } from './fake-lister-watcher.js';

type Pod = KubernetesObject & { spec?: { nodeName?: string } };
const pod = (ns: string, name: string, node?: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: ns, name, uid: `uid-${name}`, ...extra },
  spec: { nodeName: node },
});

describe('one backoff', () => {
  it('doubles from the initial delay up to the cap; jitter only adds', () => {
    const o = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(2, { ...o, jitter: 0.5 }, () => 1)).toBe(600);
    const b = new Backoff(10, 40, 0);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([10, 20, 40, 40]);
    b.reset();
    expect(b.next()).toBe(10);
  });

  it('the work queue retries a failing key with the same doubling', () => {
    const q = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 300 });
    expect([q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k')]).toEqual([100, 200, 300]);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(100);
    q.shutDown();
  });
});

describe('shared informer cache', () => {
  let cache: InformerCache;
  afterEach(() => cache?.stop());

  it('hands the same informer to every consumer of the same resource, namespace and selectors', () => {
    cache = new InformerCache();
    const lw = new FakeListerWatcher<Pod>();
    const pods = { apiVersion: 'v1', resource: 'pods' };
    const a = cache.informer<Pod>(pods, { labelSelector: 'app=x' }, { name: 'first', listerWatcher: lw });
    const b = cache.informer<Pod>(pods, { labelSelector: 'app=x' }, { name: 'second', listerWatcher: new FakeListerWatcher<Pod>() });
    const c = cache.informer<Pod>({ ...pods, namespace: 'ns' }, { labelSelector: 'app=x' }, { listerWatcher: lw });
    const d = cache.informer<Pod>(pods, { labelSelector: 'app=x', fieldSelector: 'spec.nodeName=n1' }, { listerWatcher: lw });
    expect(b).toBe(a);
    expect(b.name).toBe('first');
    expect(c).not.toBe(a);
    expect(d).not.toBe(a);
    expect(cache.all()).toHaveLength(3);
    expect(c.name).toBe(cacheKey({ ...pods, namespace: 'ns' }, { labelSelector: 'app=x' }));
    expect(() => new InformerCache().informer(pods)).toThrow(/no kubeconfig/);
  });

  it('indexes objects (pods by node) through adds, moves, deletes and relists; informers asked for late start at once', async () => {
    cache = new InformerCache({ backoff: () => new Backoff(10, 20, 0) });
    const lw = new FakeListerWatcher<Pod>();
    lw.upsertSilently(pod('a', 'p1', 'n1'));
    lw.upsertSilently(pod('a', 'p2', 'n2'));
    const pods = cache.informer<Pod>({ apiVersion: 'v1', resource: 'pods' }, {}, { listerWatcher: lw });
    const byNodeSeen: string[][] = [];
    pods.addHandler({ onAdd: (p) => byNodeSeen.push(pods.byIndex('node', p.spec!.nodeName!).map(keyOf)) });
    pods.addIndexer('node', (p) => p.spec?.nodeName);
    expect(() => pods.addIndexer('node', () => undefined)).toThrow(/already exists/);
    expect(() => pods.byIndex('nope', 'x')).toThrow(/no indexer "nope"/);
    cache.start();
    await cache.waitForSync();
    expect(cache.hasSynced()).toBe(true);
    expect(pods.byIndex('node', 'n1').map(keyOf)).toEqual(['a/p1']);
    await until(() => lw.watching);
    lw.upsert(pod('b', 'p3', 'n1'));
    await until(() => pods.byIndex('node', 'n1').length === 2);
    expect(byNodeSeen.at(-1)).toContain('b/p3'); // the index is current when consumers hear of the add
    lw.upsert(pod('a', 'p1', 'n2')); // moved
    await until(() => pods.byIndex('node', 'n1').length === 1);
    expect(pods.byIndex('node', 'n2').map(keyOf).sort()).toEqual(['a/p1', 'a/p2']);
    lw.remove('a', 'p2');
    await until(() => pods.byIndex('node', 'n2').length === 1);
    // A relist that misses an object removes it from the index.
    lw.removeSilently('b', 'p3');
    lw.close(new ApiError(500, 'InternalError', 'boom'));
    await until(() => pods.byIndex('node', 'n1').length === 0, 3000, 'relist');
    expect(pods.indexValues('node')).toEqual(['n2']);
    // An indexer added later indexes what is cached.
    pods.addIndexer('ns', (p) => p.metadata?.namespace);
    expect(pods.byIndex('ns', 'a').map(keyOf)).toEqual(['a/p1']);
    const late = new FakeListerWatcher<Pod>();
    late.upsertSilently(pod('c', 'x'));
    const other = cache.informer<Pod>({ apiVersion: 'v1', resource: 'pods', namespace: 'c' }, {}, { listerWatcher: late });
    await other.waitForSync();
    expect(other.list().map(keyOf)).toEqual(['c/x']);
  });
});

describe('controller: watches, predicates, enqueueOwner, leader gate, restart', () => {
  it('enqueues the owner of owned objects, filtered by predicates', async () => {
    const seen: string[] = [];
    const reconciler: Reconciler<string> = { reconcile: async (k) => void seen.push(k) };
    const c = new Controller<string>({ name: 't', reconciler });
    const cache = new InformerCache();
    const lw = new FakeListerWatcher<Pod>();
    const pods = cache.informer<Pod>({ apiVersion: 'v1', resource: 'pods' }, {}, { listerWatcher: lw });
    const owned = (name: string, generation: number, labels: Record<string, string> = {}) =>
      pod('ns', name, undefined, {
        generation,
        labels,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs-1', uid: 'u1', controller: true },
          { apiVersion: 'example.io/v1', kind: 'ReplicaSet', name: 'other-group', uid: 'u2' },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'u3' },
        ],
      });
    c.watches(pods, enqueueOwner<Pod>('ReplicaSet', { apiVersion: 'apps/v1' }), generationChanged());
    c.watches(pods, (p) => `labels:${keyOf(p)}`, labelsChanged());
    c.start();
    cache.start();
    await until(() => lw.watching);
    lw.upsert(owned('p', 1));
    await until(() => seen.includes('ns/rs-1') && seen.includes('labels:ns/p'));
    expect(seen).not.toContain('ns/other-group');
    expect(seen).not.toContain('ns/cm');
    seen.length = 0;
    lw.upsert(owned('p', 1, { a: 'b' })); // labels changed, generation not
    await until(() => seen.includes('labels:ns/p'));
    lw.upsert(owned('p', 2, { a: 'b' })); // generation changed, labels not
    await until(() => seen.includes('ns/rs-1'));
    expect(seen.filter((k) => k.startsWith('labels:'))).toEqual(['labels:ns/p']);
    await c.stop();
    await cache.stop();
  });

  it('predicates: adds and deletes pass; updates by what changed', () => {
    const old = pod('n', 'a', undefined, { resourceVersion: '1', generation: 1, labels: { x: '1' } });
    const same = pod('n', 'a', undefined, { resourceVersion: '1', generation: 1, labels: { x: '1' } });
    const next = pod('n', 'a', undefined, { resourceVersion: '2', generation: 1, labels: { x: '2' } });
    expect(resourceVersionChanged<Pod>()({ type: 'update', obj: same, old })).toBe(false);
    expect(resourceVersionChanged<Pod>()({ type: 'update', obj: next, old })).toBe(true);
    expect(generationChanged<Pod>()({ type: 'update', obj: next, old })).toBe(false);
    expect(labelsChanged<Pod>()({ type: 'update', obj: next, old })).toBe(true);
    expect(labelsChanged<Pod>()({ type: 'update', obj: same, old })).toBe(false);
    expect(generationChanged<Pod>()({ type: 'add', obj: next })).toBe(true);
    expect(generationChanged<Pod>()({ type: 'delete', obj: next })).toBe(true);
    expect(enqueueOwner<Pod>('Node', { clusterScoped: true, onlyController: true })(pod('n', 'p', undefined, {
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'x', controller: true }, { apiVersion: 'v1', kind: 'Node', name: 'n2', uid: 'y' }],
    }))).toEqual(['n1']);
  });

  it('does not reconcile while the gate is closed; a NotLeaderError is not retried; restarts on a fresh queue', async () => {
    let leader = false;
    const seen: string[] = [];
    let throwNotLeader = false;
    const c = new Controller<string>({
      name: 'gated',
      isLeader: () => leader,
      reconciler: {
        reconcile: async (k) => {
          seen.push(k);
          if (throwNotLeader) throw new NotLeaderError('apply configmaps');
        },
      },
    });
    c.start();
    c.queue.add('a');
    await until(() => c.queue.length === 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([]);
    leader = true;
    throwNotLeader = true;
    c.queue.add('b');
    await until(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 300)); // a retried key would be back after 100 ms
    expect(seen).toEqual(['b']);
    expect(c.queue.numRequeues('b')).toBe(0);
    const first = c.queue;
    await c.stop();
    c.queue.add('dropped');
    c.start();
    expect(c.queue).not.toBe(first);
    throwNotLeader = false;
    c.queue.add('c');
    await until(() => seen.includes('c'));
    expect(seen).not.toContain('dropped');
    await c.stop();
  });
});

describe('typed client and write guards', () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });

  it('refuses every write while the guard is false, without a request; reads still go out', async () => {
    const counted: string[] = [];
    const metrics = { apiRequests: { inc: (l: { verb: string; resource: string }) => void counted.push(`${l.verb} ${l.resource}`) } };
    const client = new KubeClient(kc, { fieldManager: 'test', metrics, timeoutMs: 500 }).withWriteGuard(() => false);
    const cms = { apiVersion: 'v1', resource: 'configmaps', namespace: 'n' };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } };
    for (const write of [
      () => client.apply(cms, cm, { force: true }),
      () => client.applyStatus(cms, cm),
      () => client.create(cms, cm),
      () => client.update(cms, cm),
      () => client.patch(cms, 'a', { data: {} }),
      () => client.patchStatus(cms, 'a', { status: {} }),
      () => client.delete(cms, 'a', { preconditions: { uid: 'u' } }),
    ]) {
      await expect(write()).rejects.toBeInstanceOf(NotLeaderError);
    }
    expect(counted).toEqual([]);
    await expect(client.get(cms, 'a')).rejects.toThrow(); // nothing listens on port 1: the read was sent
    expect(counted).toEqual(['get configmaps']);
  });

  it('guardWrites checks at each call and calls the current method', async () => {
    let leader = true;
    const target = { apply: async (x: number) => x + 1, get: async () => 'read' };
    const guarded = guardWrites(target, () => leader, ['apply']);
    expect(await guarded.apply(1)).toBe(2);
    target.apply = async (x: number) => x + 10;
    expect(await guarded.apply(1)).toBe(11);
    leader = false;
    await expect(guarded.apply(1)).rejects.toBeInstanceOf(NotLeaderError);
    expect(await guarded.get()).toBe('read');
  });

  it('retryOnConflict reruns on 409 with a fresh read, and gives up on other errors or after the attempts', async () => {
    let stored = { rv: 1, value: 0 };
    let conflictsLeft = 2;
    const attempts: number[] = [];
    const result = await retryOnConflict(async (n) => {
      attempts.push(n);
      const read = { ...stored };
      if (conflictsLeft-- > 0) {
        stored = { rv: stored.rv + 1, value: stored.value + 100 }; // someone else wrote in between
        throw new ApiError(409, 'Conflict', 'modified');
      }
      stored = { rv: read.rv + 1, value: read.value + 1 };
      return stored;
    }, { backoff: { initialMs: 1, maxMs: 2 } });
    expect(attempts).toEqual([0, 1, 2]);
    expect(result).toEqual({ rv: 4, value: 201 });
    let calls = 0;
    await expect(retryOnConflict(async () => {
      calls++;
      throw new ApiError(409, 'Conflict', 'always');
    }, { attempts: 3, backoff: { initialMs: 1, maxMs: 1 } })).rejects.toThrow('always');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnConflict(async () => {
      calls++;
      throw new ApiError(500, 'InternalError', 'no');
    })).rejects.toThrow('no');
    expect(calls).toBe(1);
  });
});

describe('event recorder', () => {
  it('names the involved object by its own kind and apiVersion', async () => {
    const events: any[] = [];
    const r = new EventRecorder({ sink: { create: async (_ns, e) => events.push(e) }, component: 'c', instance: 'i', logger: silentLogger() });
    await r.record({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n', uid: 'u' } }, 'Warning', 'R', 'm');
    await r.record({ apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n', uid: 'v' } }, 'Normal', 'R', 'm');
    expect(events.map((e) => `${e.involvedObject.apiVersion} ${e.involvedObject.kind}`)).toEqual(['v1 Secret', 'example.io/v1 Widget']);
  });
});
