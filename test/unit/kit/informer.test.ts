import type { KubernetesObject } from '@kubernetes/client-node';
import { Backoff, Informer, KitMetrics } from '../../../runtime/kit/index.js';
import { FakeClock, flush } from './fake-clock.js';
import { FakeListerWatcher } from './fake-lister-watcher.js';

const cm = (ns: string, name: string, v = '1'): KubernetesObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: ns, name, managedFields: [{ manager: 'x' }] as any },
  data: { v },
});

function setup(lw: FakeListerWatcher<KubernetesObject>, extra: Partial<ConstructorParameters<typeof Informer>[0]> = {}) {
  const events: string[] = [];
  const clock = new FakeClock();
  /** Fake time of each list call, relative to the start. */
  const listedAt: number[] = [];
  const t0 = clock.now();
  const list = lw.list.bind(lw);
  lw.list = (o) => {
    listedAt.push(clock.now() - t0);
    return list(o);
  };
  const inf = new Informer<KubernetesObject>({
    name: 'test',
    listerWatcher: lw,
    pageSize: 2,
    backoff: new Backoff(5, 20, 0),
    metrics: new KitMetrics(),
    clock,
    ...extra,
  });
  /** Advances fake time 1 ms at a time until `cond` holds. */
  const until = (cond: () => boolean, limitMs = 1000, what = 'condition') => clock.until(cond, limitMs, 1, what);
  inf.addHandler({
    onAdd: (o) => events.push(`add ${o.metadata?.name}`),
    onUpdate: (o) => events.push(`update ${o.metadata?.name}`),
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
    onSync: () => events.push('sync'),
  });
  /** Fake time since the start. */
  const elapsed = () => clock.now() - t0;
  return { inf, events, clock, listedAt, until, elapsed };
}

describe('Informer', () => {
  let inf: Informer<KubernetesObject> | undefined;
  afterEach(async () => inf?.stop());

  it('lists in pages, strips managedFields, then watches from the list resourceVersion with bookmarks applied', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    for (const n of ['a', 'b', 'c', 'd', 'e']) lw.upsertSilently(cm('ns', n));
    const s = setup(lw);
    inf = s.inf;
    inf.start();
    await inf.waitForSync();
    expect(inf.size).toBe(5);
    expect(lw.lists.map((l) => l.continue)).toEqual([undefined, '2', '4']);
    expect(lw.lists.map((l) => l.limit)).toEqual([2, 2, 2]);
    expect(inf.get('ns', 'a')?.metadata?.managedFields).toBeUndefined();
    expect(s.events).toEqual(['add a', 'add b', 'add c', 'add d', 'add e', 'sync']);
    await s.until(() => lw.watching);
    expect(lw.watches[0].resourceVersion).toBe(String(lw.rv));
    lw.upsert(cm('ns', 'f'));
    lw.upsert(cm('ns', 'a', '2'));
    lw.remove('ns', 'b');
    lw.send('BOOKMARK', { metadata: { resourceVersion: '99' } });
    expect(s.events.slice(-3)).toEqual(['add f', 'update a', 'delete b']);
    expect(inf.get('ns', 'a')?.metadata?.managedFields).toBeUndefined();
    expect((inf.get('ns', 'a') as any).data).toEqual({ v: '2' });
    expect(inf.get('ns', 'b')).toBeUndefined();
    expect(inf.lastResourceVersion()).toBe('99');
    // A clean close (server timeout) resumes the watch from the last resourceVersion at once, no relist.
    lw.close(null);
    await flush();
    expect(lw.watches).toHaveLength(2);
    expect(lw.watches[1].resourceVersion).toBe('99');
    expect(lw.lists).toHaveLength(3);
    expect(s.listedAt).toEqual([0, 0, 0]);
  });

  it('relists at once on 410 Gone and emits only the differences', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.upsertSilently(cm('ns', 'a'));
    lw.upsertSilently(cm('ns', 'b'));
    const s = setup(lw);
    inf = s.inf;
    inf.start();
    await s.until(() => lw.watching);
    const before = lw.lists.length;
    // Meanwhile (history compacted): b deleted, c added, a unchanged.
    lw.removeSilently('ns', 'b');
    lw.upsertSilently(cm('ns', 'c'));
    s.events.length = 0;
    const at = s.clock.now();
    lw.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    await flush();
    expect(lw.lists.length).toBe(before + 1);
    expect(lw.watching).toBe(true);
    expect(s.clock.now()).toBe(at); // no backoff
    expect(s.events).toEqual(['add c', 'delete b', 'sync']);
    expect(inf.list().map((o) => o.metadata?.name).sort()).toEqual(['a', 'c']);
  });

  it('a lost connection relists after backoff; a failed list keeps the cache', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.upsertSilently(cm('ns', 'a'));
    lw.upsertSilently(cm('ns', 'b'));
    const s = setup(lw);
    inf = s.inf;
    inf.start();
    await s.until(() => lw.watching);
    lw.failLists = 3;
    lw.removeSilently('ns', 'b');
    const lostAt = s.elapsed();
    lw.close(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await s.until(() => lw.lists.length >= 4, 1000, 'failing lists');
    // While the API server is unreachable nothing is deleted.
    expect(inf.size).toBe(2);
    await s.until(() => lw.watching && inf!.size === 1, 1000, 'recovery');
    expect(s.events).toContain('delete b');
    // Backoff 5, 10, 20, 20 (capped) ms after the loss and each failed list.
    expect(s.listedAt.slice(1).map((t) => t - lostAt)).toEqual([5, 15, 35, 55]);
    // Reset after a successful list: the next loss waits the first delay again.
    const again = s.clock.now();
    lw.close(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await s.until(() => lw.lists.length === 6, 1000, 'relist');
    expect(s.clock.now() - again).toBe(5);
  });

  it('restarts a watch that delivers nothing for the idle timeout; any event re-arms it', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    const s = setup(lw, { idleTimeoutMs: 50 });
    inf = s.inf;
    inf.start();
    await s.until(() => lw.watching);
    await s.clock.advance(40);
    lw.send('BOOKMARK', { metadata: { resourceVersion: '7' } });
    await s.clock.advance(49);
    expect(lw.watches).toHaveLength(1);
    await s.clock.advance(1);
    expect(lw.watching).toBe(false); // aborted at 50 ms of silence
    await s.clock.advance(5); // backoff, relist, watch again
    expect(lw.watches).toHaveLength(2);
    expect(lw.watching).toBe(true);
  });

  it('stop() aborts a list that hangs', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.hangLists = true;
    const s = setup(lw);
    s.inf.start();
    await s.until(() => lw.lists.length === 1);
    const at = s.clock.now();
    let stopped = false;
    void s.inf.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(true); // without any time passing
    expect(s.clock.now()).toBe(at);
    expect(s.inf.hasSynced()).toBe(false);
    await s.inf.waitForSync(); // a stopped informer does not keep waiters waiting
  });

  it('a watch that cannot start relists with backoff', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.failWatchStart = 2;
    const s = setup(lw);
    inf = s.inf;
    inf.start();
    await s.until(() => lw.watching, 1000);
    expect(lw.lists.length).toBe(3);
    // Each list succeeds, so the backoff starts over: the first delay each time.
    expect(s.listedAt).toEqual([0, 5, 10]);
  });
});
