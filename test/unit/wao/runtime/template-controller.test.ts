import { WAO_API_VERSION } from '../../../../lib/api/wao/index.js';
import { KitMetrics } from '../../../../runtime/kit/index.js';
import type { NodeConfig, NodeConfigTemplate } from '../../../../runtime/wao/resources.js';
import { TEMPLATE_LABEL, TemplateController } from '../../../../runtime/wao/template-controller.js';
import { FakeApi, FakeEvents, NS, WaoWorld, deferred, newUid, node, nodeConfig, until } from './fakes.js';

const BODY = {
  metricsCollector: {
    inletTemp: { type: 'Redfish', endpoint: 'https://10.0.100.{{.IPv4.Octet4}}', fetchInterval: '10s', insecureSkipVerify: false },
    deltaP: { type: 'Fake', fetchInterval: '15s', insecureSkipVerify: false },
  },
};

function template(name: string, nodeSelector: unknown, opts: { uid?: string; generation?: number; creationTimestamp?: string; body?: unknown } = {}): NodeConfigTemplate {
  return {
    apiVersion: WAO_API_VERSION,
    kind: 'NodeConfigTemplate',
    metadata: { name, namespace: NS, uid: opts.uid ?? newUid('tpl'), generation: opts.generation ?? 1, creationTimestamp: opts.creationTimestamp ?? '2026-01-01T00:00:00Z' },
    spec: { nodeSelector, template: opts.body ?? BODY },
  } as unknown as NodeConfigTemplate;
}

const YES = { matchLabels: { wao: 'yes' } };

async function setup(build: (w: WaoWorld) => void, opts: { start?: boolean } = {}) {
  const world = new WaoWorld();
  build(world);
  const api = new FakeApi(world);
  const events = new FakeEvents();
  const controller = new TemplateController({
    informers: world.informers,
    client: api.client,
    events,
    identity: 'wao-0',
    metrics: new KitMetrics(),
    isLeader: () => true,
    workers: 1,
    resyncIntervalMs: 0,
  });
  if (opts.start !== false) {
    await world.start();
    controller.start();
  }
  /** Waits until the controller is idle: empty queue and no new write or Event for a few polls. */
  const quiet = async () => {
    let last = -1;
    let stable = 0;
    const deadline = Date.now() + 3000;
    while (stable < 4) {
      if (Date.now() > deadline) throw new Error('the controller never went quiet');
      await new Promise((r) => setTimeout(r, 5));
      const n = api.writes.length + events.events.length;
      stable = n === last && controller.controller.queue.length === 0 ? stable + 1 : 0;
      last = n;
    }
  };
  const applied = () => api.of('apply').map((w) => w.name);
  const deleted = () => api.of('delete').map((w) => w.name);
  const stored = (name: string) => world.nodeConfigs().objects.get(`${NS}/${name}`) as NodeConfig | undefined;
  const statusOf = (name: string) => (world.templates().objects.get(`${NS}/${name}`) as any)?.status;
  const cond = (name: string, type: string) => statusOf(name)?.conditions?.find((c: any) => c.type === type);
  return { world, api, events, controller, quiet, applied, deleted, stored, statusOf, cond };
}

describe('TemplateController', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => {
    await s?.controller.stop();
    await s?.world.stop();
  });

  const threeNodes = (w: WaoWorld) => {
    w.nodes.upsertSilently(node('n1', { wao: 'yes' }, '10.0.0.1'));
    w.nodes.upsertSilently(node('n2', { wao: 'yes' }, '10.0.0.2'));
    w.nodes.upsertSilently(node('n3', {}, '10.0.0.3'));
  };

  it('applies a NodeConfig <template>-<node> per selected node, owned by the template, with rendered fields', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES, { uid: 't-uid' }));
    });
    await until(() => s.applied().length === 2);
    await s.quiet();
    expect(s.applied().sort()).toEqual(['t-n1', 't-n2']);
    const w = s.api.of('apply').find((a) => a.name === 't-n1')!;
    expect(w.namespace).toBe(NS);
    expect(w.options).toEqual({ force: true });
    expect(w.body.metadata).toEqual({
      name: 't-n1',
      namespace: NS,
      labels: { [TEMPLATE_LABEL]: 't', 'app.kubernetes.io/managed-by': 'wao' },
      ownerReferences: [{ apiVersion: WAO_API_VERSION, kind: 'NodeConfigTemplate', name: 't', uid: 't-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(w.body.spec.nodeName).toBe('n1');
    expect(w.body.spec.metricsCollector.inletTemp.endpoint).toBe('https://10.0.100.1');
    expect(s.api.of('apply').find((a) => a.name === 't-n2')!.body.spec.metricsCollector.inletTemp.endpoint).toBe('https://10.0.100.2');
    expect(s.statusOf('t')).toMatchObject({ observedGeneration: 1, selectedNodes: 2, nodeConfigs: 2 });
    expect(s.cond('t', 'Ready')).toMatchObject({ status: 'True', reason: 'NodeConfigsApplied' });
    expect(s.cond('t', 'Conflict')).toMatchObject({ status: 'False' });
    expect(s.cond('t', 'RenderFailed')).toMatchObject({ status: 'False' });
    expect(s.deleted()).toEqual([]);
    expect(s.events.events).toEqual([]);
  });

  it('is idempotent: a reconcile with nothing changed writes nothing', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES));
    });
    await until(() => s.applied().length === 2);
    await s.quiet();
    const writes = s.api.writes.length;
    s.controller.controller.queue.add(`${NS}/t`);
    await s.quiet();
    expect(s.api.writes).toHaveLength(writes);
  });

  it('converges a hand-edited or deleted NodeConfig back to the template', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES));
    });
    await until(() => s.applied().length === 2);
    await s.quiet();
    const edited = structuredClone(s.stored('t-n1')!);
    (edited.spec.metricsCollector.inletTemp as { endpoint?: string }).endpoint = 'https://elsewhere';
    edited.metadata!.generation = (edited.metadata!.generation ?? 1) + 1; // as the API server does on a spec change
    s.world.nodeConfigs().upsert(edited);
    await until(() => s.applied().length === 3);
    await s.quiet();
    expect(s.stored('t-n1')!.spec.metricsCollector.inletTemp.endpoint).toBe('https://10.0.100.1');
    s.world.nodeConfigs().remove(NS, 't-n2');
    await until(() => s.applied().length === 4);
    expect(s.stored('t-n2')).toBeDefined();
  });

  it('deletes the NodeConfig of a node that no longer matches (uid precondition)', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES));
    });
    await until(() => s.applied().length === 2);
    await s.quiet();
    const uid = s.stored('t-n2')!.metadata!.uid;
    const n2 = structuredClone(s.world.nodes.objects.get('/n2')!);
    n2.metadata!.labels = {};
    s.world.nodes.upsert(n2);
    await until(() => s.deleted().length === 1);
    await s.quiet();
    expect(s.api.of('delete')[0]).toMatchObject({ name: 't-n2', namespace: NS, options: { preconditions: { uid } } });
    expect(s.stored('t-n2')).toBeUndefined();
    expect(s.stored('t-n1')).toBeDefined();
    expect(s.statusOf('t')).toMatchObject({ selectedNodes: 1, nodeConfigs: 1 });
  });

  it('a new node that matches gets its NodeConfig; a changed address re-renders it', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES));
    });
    await until(() => s.applied().length === 2);
    s.world.nodes.upsert(node('n4', { wao: 'yes' }, '10.0.0.4'));
    await until(() => s.applied().includes('t-n4'));
    expect(s.stored('t-n4')!.spec.metricsCollector.inletTemp.endpoint).toBe('https://10.0.100.4');
    await s.quiet();
    const n1 = structuredClone(s.world.nodes.objects.get('/n1')!);
    n1.status = { addresses: [{ type: 'InternalIP', address: '10.0.0.11' }] };
    s.world.nodes.upsert(n1);
    await until(() => s.stored('t-n1')!.spec.metricsCollector.inletTemp.endpoint === 'https://10.0.100.11');
  });

  it('a template added later: the earlier one, already converged, reports the overlap too', async () => {
    s = await setup((w) => {
      w.nodes.upsertSilently(node('n1', { wao: 'yes', rack: 'a' }, '10.0.0.1'));
      w.templates().upsertSilently(template('t1', YES));
    });
    await until(() => s.applied().length === 1);
    await s.quiet();
    expect(s.cond('t1', 'Conflict')).toMatchObject({ status: 'False' });
    s.world.templates().upsert(template('t2', { matchLabels: { rack: 'a' } }));
    await until(() => s.cond('t1', 'Conflict')?.status === 'True', 2000, 't1 reports the overlap');
    expect(s.events.events.filter((e) => e.reason === 'Conflict').map((e) => e.on).sort()).toEqual(['t1', 't2']);
  });

  it('two templates selecting one node: both apply, and each gets a Conflict Event naming the other', async () => {
    s = await setup((w) => {
      w.nodes.upsertSilently(node('n1', { wao: 'yes', rack: 'a' }, '10.0.0.1'));
      w.nodes.upsertSilently(node('n2', { wao: 'yes' }, '10.0.0.2'));
      w.templates().upsertSilently(template('t1', YES));
      w.templates().upsertSilently(template('t2', { matchLabels: { rack: 'a' } }));
    });
    await until(() => s.applied().length === 3);
    await s.quiet();
    expect(s.applied().sort()).toEqual(['t1-n1', 't1-n2', 't2-n1']);
    const conflicts = s.events.events.filter((e) => e.reason === 'Conflict');
    expect(conflicts.map((e) => [e.on, e.kind, e.type]).sort()).toEqual([
      ['t1', 'NodeConfigTemplate', 'Warning'],
      ['t2', 'NodeConfigTemplate', 'Warning'],
    ]);
    expect(conflicts.find((e) => e.on === 't1')!.message).toContain(`node n1 is also selected by NodeConfigTemplate ${NS}/t2`);
    expect(conflicts.find((e) => e.on === 't2')!.message).toContain(`${NS}/t1`);
    expect(s.cond('t1', 'Conflict')).toMatchObject({ status: 'True', reason: 'NodesSelectedTwice' });
    expect(s.cond('t2', 'Conflict')).toMatchObject({ status: 'True', reason: 'NodesSelectedTwice' });
    // Recorded once, not on every reconcile.
    s.controller.controller.queue.add(`${NS}/t1`);
    await s.quiet();
    expect(s.events.events.filter((e) => e.reason === 'Conflict')).toHaveLength(2);
  });

  it('a NodeConfig of the same name that the template does not own: NameTaken Event, no apply, no delete', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.nodeConfigs().upsertSilently(nodeConfig('t-n1', { nodeName: 'n1' }, { uid: 'hand-made' }));
      w.templates().upsertSilently(template('t', YES));
    });
    await until(() => s.applied().length === 1);
    await s.quiet();
    expect(s.applied()).toEqual(['t-n2']);
    expect(s.deleted()).toEqual([]);
    expect(s.stored('t-n1')!.metadata!.uid).toBe('hand-made');
    const taken = s.events.events.filter((e) => e.reason === 'NameTaken');
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ on: 't', type: 'Warning' });
    expect(taken[0].message).toContain(`${NS}/t-n1`);
    expect(s.cond('t', 'Ready')).toMatchObject({ status: 'False', reason: 'NameTaken' });
  });

  it('a name owned by another existing template is not taken over (a-b + c vs a + b-c)', async () => {
    s = await setup((w) => {
      w.nodes.upsertSilently(node('c', { x: '1' }, '10.0.0.1'));
      w.nodes.upsertSilently(node('b-c', { y: '1' }, '10.0.0.2'));
      w.templates().upsertSilently(template('a-b', { matchLabels: { x: '1' } }, { uid: 'ab' }));
      w.templates().upsertSilently(template('a', { matchLabels: { y: '1' } }, { uid: 'a' }));
    });
    await until(() => s.events.reasons().includes('NameTaken'));
    await s.quiet();
    // One of the two applied a-b-c; the other reports the name taken and never overwrites it.
    expect(s.applied()).toEqual(['a-b-c']);
    const owner = s.stored('a-b-c')!.metadata!.ownerReferences![0].uid;
    const loser = owner === 'ab' ? 'a' : 'a-b';
    expect(s.events.events.filter((e) => e.reason === 'NameTaken').map((e) => e.on)).toEqual([loser]);
    expect(s.deleted()).toEqual([]);
  });

  it('an invalid selector deletes nothing: InvalidSelector Event and Ready False', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES, { uid: 't-uid' }));
    });
    await until(() => s.applied().length === 2);
    await s.quiet();
    const writes = s.api.of('apply').length;
    s.world.templates().upsert(template('t', { matchExpressions: [{ key: 'wao', operator: 'Bogus' }] }, { uid: 't-uid', generation: 2 }));
    await until(() => s.events.reasons().includes('InvalidSelector'));
    await s.quiet();
    expect(s.deleted()).toEqual([]);
    expect(s.api.of('apply')).toHaveLength(writes);
    expect(s.stored('t-n1')).toBeDefined();
    expect(s.stored('t-n2')).toBeDefined();
    expect(s.cond('t', 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSelector', observedGeneration: 2 });
    expect(s.cond('t', 'Ready').message).toContain('"Bogus"');
    expect(s.events.events.find((e) => e.reason === 'InvalidSelector')).toMatchObject({ on: 't', type: 'Warning' });
  });

  // Regression test (fixed; runtime/wao/template-controller.ts, reconcile's InvalidSelector branch): the message is
  // `spec.nodeSelector: ${err.reason}`, so the pointer checkLabelSelector found
  // (/spec/nodeSelector/matchExpressions/1/operator) is lost: with several requirements the user
  // cannot tell which one is wrong. Fix: build the message from err.field (e.g.
  // `${err.field.slice(1).replace(/\//g, '.')}: ${err.reason}`).
  it('the InvalidSelector message names the bad requirement, not just spec.nodeSelector', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(
        template('t', { matchExpressions: [{ key: 'wao', operator: 'Exists' }, { key: 'rack', operator: 'Bogus' }] }),
      );
    });
    await until(() => s.events.reasons().includes('InvalidSelector'));
    await s.quiet();
    expect(s.cond('t', 'Ready').message).toMatch(/matchExpressions.1.operator/);
  });

  it('a deleted template takes its NodeConfigs with it, and only its own', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.templates().upsertSilently(template('t', YES));
      w.templates().upsertSilently(template('other', { matchLabels: { wao: 'yes' } }));
    });
    await until(() => s.applied().length === 4);
    await s.quiet();
    s.world.templates().remove(NS, 't');
    await until(() => s.deleted().length === 2);
    await s.quiet();
    expect(s.deleted().sort()).toEqual(['t-n1', 't-n2']);
    expect(s.stored('other-n1')).toBeDefined();
  });

  it('a field that does not render is kept as written and reported (RenderFailed Event and condition)', async () => {
    const body = { metricsCollector: { ...BODY.metricsCollector, inletTemp: { ...BODY.metricsCollector.inletTemp, endpoint: 'https://{{ .Nope }}' } } };
    s = await setup((w) => {
      w.nodes.upsertSilently(node('n1', { wao: 'yes' }, '10.0.0.1'));
      w.templates().upsertSilently(template('t', YES, { body }));
    });
    await until(() => s.applied().length === 1);
    await s.quiet();
    expect(s.stored('t-n1')!.spec.metricsCollector.inletTemp.endpoint).toBe('https://{{ .Nope }}');
    expect(s.events.reasons('t')).toContain('RenderFailed');
    expect(s.cond('t', 'RenderFailed')).toMatchObject({ status: 'True', reason: 'TemplateFieldsKept' });
  });

  // Regression test (fixed; runtime/wao/template-controller.ts, end of reconcile): status.nodeConfigs ("how many
  // NodeConfigs the template owns") is `owned + written - deleted`, but `written` counts updates of
  // NodeConfigs already in `owned` as well as creations, so an update is counted twice; the clamp to
  // selectedNodes hides it only while every selected node has its NodeConfig. The next reconcile
  // (triggered by the applied NodeConfig) writes the right number, so the status is wrong for one
  // write and costs one extra write. Fix: add only the NodeConfigs created in this reconcile
  // (`existing` undefined, or replaced after its owner went).
  it('status.nodeConfigs counts an updated NodeConfig once (never more than the template owns)', async () => {
    s = await setup((w) => {
      threeNodes(w);
      // t-n1: the template's, from an older generation (another endpoint); t-n2: made by hand.
      const stale = nodeConfig('t-n1', { nodeName: 'n1', metricsCollector: { inletTemp: { type: 'Redfish', endpoint: 'https://old' }, deltaP: { type: 'Fake' } } }, {
        ownerReferences: [{ apiVersion: WAO_API_VERSION, kind: 'NodeConfigTemplate', name: 't', uid: 't-uid', controller: true, blockOwnerDeletion: true }],
      });
      stale.metadata!.labels = { [TEMPLATE_LABEL]: 't' };
      w.nodeConfigs().upsertSilently(stale);
      w.nodeConfigs().upsertSilently(nodeConfig('t-n2', { nodeName: 'n2' }, { uid: 'hand-made' }));
      w.templates().upsertSilently(template('t', YES, { uid: 't-uid' }));
    });
    await until(() => s.applied().length === 1);
    await s.quiet();
    expect(s.applied()).toEqual(['t-n1']);
    expect(s.statusOf('t')).toMatchObject({ selectedNodes: 2, nodeConfigs: 1 });
    expect(s.api.of('patchStatus').map((w) => w.body.status.nodeConfigs)).toEqual([1]);
  });

  // Regression test (fixed; runtime/wao/template-controller.ts, the delete loop of reconcile): NodeConfigs found by
  // the owner *name* index but whose controller uid is an earlier template of that name (deleted and
  // made again while no replica led) are deleted only when their name is wanted again; one for a
  // node the new template does not select stays forever where no garbage collector runs, which is
  // the case the "template deleted" branch exists for. Fix: in the delete loop, also delete an
  // owned NodeConfig that is not wanted when `!this.ownerExists(nc)`.
  it('a NodeConfig left by an earlier template of the same name, for a node no longer selected, is deleted', async () => {
    s = await setup((w) => {
      threeNodes(w);
      w.nodeConfigs().upsertSilently(
        nodeConfig('t-n3', { nodeName: 'n3' }, { ownerReferences: [{ apiVersion: WAO_API_VERSION, kind: 'NodeConfigTemplate', name: 't', uid: 'earlier-uid', controller: true }] }),
      );
      w.templates().upsertSilently(template('t', YES, { uid: 'new-uid' }));
    });
    await until(() => s.applied().length === 2);
    await s.quiet();
    expect(s.deleted()).toEqual(['t-n3']);
  });

  // Regression test (fixed; runtime/wao/template-controller.ts, reconcile's first line): while any informer has not
  // synced, reconcile returns without a requeue. The manager starts leader runnables without
  // waiting for the cache (runtime/kit/manager.ts: cache.start(), then the elector / group.start()),
  // so templates enqueued by their first list can be dropped this way; when the NodeConfig
  // informer syncs last with no object (a fresh install) nothing enqueues them again, and no
  // NodeConfig is made until the resync (10 min). Fix: `return { requeueAfterMs: 1000 }` when not
  // ready, or make start() await informers' sync before enqueueAll.
  it('templates reconciled before every informer synced are converged once the last one syncs', async () => {
    const gate = deferred();
    s = await setup(
      (w) => {
        threeNodes(w);
        w.templates().upsertSilently(template('t', YES));
        const lw = w.nodeConfigs();
        const list = lw.list.bind(lw);
        // The NodeConfig list answers when the test says so (or fails when the informer stops).
        lw.list = async (o) => {
          await new Promise<void>((resolve, reject) => {
            gate.promise.then(resolve);
            o.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          });
          return list(o);
        };
      },
      { start: false },
    );
    s.world.cache.start();
    s.controller.start();
    await until(() => s.world.informers.nodes.hasSynced() && s.world.informers.templates.get(NS)!.hasSynced());
    await s.quiet();
    expect(s.applied()).toEqual([]); // not synced yet: nothing may be written
    gate.resolve();
    await s.world.cache.waitForSync();
    await until(() => s.applied().length === 2, 2500, 'NodeConfigs applied after the sync');
  });
});
