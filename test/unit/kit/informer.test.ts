import type { KubernetesObject } from '@kubernetes/client-node';
import { Backoff, Informer, KitMetrics } from '../../../runtime/kit/index.js';
import { FakeListerWatcher, until } from './fake-lister-watcher.js';

const cm = (ns: string, name: string, v = '1'): KubernetesObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: ns, name, managedFields: [{ manager: 'x' }] as any },
  data: { v },
});

function setup(lw: FakeListerWatcher<KubernetesObject>, extra: Partial<ConstructorParameters<typeof Informer>[0]> = {}) {
  const events: string[] = [];
  const inf = new Informer<KubernetesObject>({
    name: 'test',
    listerWatcher: lw,
    pageSize: 2,
    backoff: new Backoff(5, 20, 0),
    metrics: new KitMetrics(),
    ...extra,
  });
  inf.addHandler({
    onAdd: (o) => events.push(`add ${o.metadata?.name}`),
    onUpdate: (o) => events.push(`update ${o.metadata?.name}`),
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
    onSync: () => events.push('sync'),
  });
  return { inf, events };
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
    expect(inf.get('ns', 'a')?.metadata?.managedFields).toBeUndefined();
    await until(() => lw.watching);
    expect(lw.watches[0].resourceVersion).toBe(String(lw.rv));
    lw.upsert(cm('ns', 'f'));
    lw.upsert(cm('ns', 'a', '2'));
    lw.remove('ns', 'b');
    lw.send('BOOKMARK', { metadata: { resourceVersion: '99' } });
    expect(s.events.slice(-3)).toEqual(['add f', 'update a', 'delete b']);
    expect(inf.lastResourceVersion()).toBe('99');
    // A clean close (server timeout) resumes the watch from the last resourceVersion, no relist.
    lw.close(null);
    await until(() => lw.watches.length === 2);
    expect(lw.watches[1].resourceVersion).toBe('99');
    expect(lw.lists).toHaveLength(3);
  });

  it('relists at once on 410 Gone and emits only the differences', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.upsertSilently(cm('ns', 'a'));
    lw.upsertSilently(cm('ns', 'b'));
    const s = setup(lw);
    inf = s.inf;
    inf.start();
    await until(() => lw.watching);
    const before = lw.lists.length;
    // Meanwhile (history compacted): b deleted, c added, a unchanged.
    lw.removeSilently('ns', 'b');
    lw.upsertSilently(cm('ns', 'c'));
    s.events.length = 0;
    lw.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    await until(() => lw.lists.length > before && lw.watching);
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
    await until(() => lw.watching);
    lw.failLists = 3;
    lw.removeSilently('ns', 'b');
    lw.close(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await until(() => lw.lists.length >= 4, 3000, 'failing lists');
    // While the API server is unreachable nothing is deleted.
    expect(inf.size).toBe(2);
    await until(() => lw.watching && inf!.size === 1, 3000, 'recovery');
    expect(s.events).toContain('delete b');
  });

  it('restarts a watch that delivers nothing for the idle timeout', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    const s = setup(lw, { idleTimeoutMs: 50 });
    inf = s.inf;
    inf.start();
    await until(() => lw.watches.length >= 3, 3000, 'watch restarts');
  });

  it('stop() aborts a list that hangs', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.hangLists = true;
    const s = setup(lw);
    s.inf.start();
    await until(() => lw.lists.length === 1);
    const t0 = Date.now();
    await s.inf.stop();
    expect(Date.now() - t0).toBeLessThan(200);
    expect(s.inf.hasSynced()).toBe(false);
  });

  it('a watch that cannot start relists with backoff', async () => {
    const lw = new FakeListerWatcher<KubernetesObject>();
    lw.failWatchStart = 2;
    const s = setup(lw);
    inf = s.inf;
    inf.start();
    await until(() => lw.watching, 3000);
    expect(lw.lists.length).toBe(3);
  });
});
