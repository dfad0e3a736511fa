import http from 'node:http';
import { jest } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, KitMetrics, LeaderElector, apiLeaseClient, microTime, type Lease, type LeaseClient } from '../../../runtime/kit/index.js';
import { FakeClock, flush } from './fake-clock.js';

/** One Lease with resourceVersion checks, shared by several electors; requests can hang or fail. */
class FakeLeaseStore {
  lease?: Lease;
  rv = 0;
  down = false;
  /** Identities whose requests fail at once (a crashed replica, a refused connection). */
  readonly cut = new Set<string>();
  /** Identities whose requests never answer (a partition that drops packets). */
  readonly hung = new Set<string>();
  /** Requests sent by each identity. */
  readonly sent = new Map<string, number>();
  client(identity = ''): LeaseClient {
    const check = async () => {
      this.sent.set(identity, (this.sent.get(identity) ?? 0) + 1);
      if (this.hung.has(identity)) await new Promise(() => {});
      if (this.down || this.cut.has(identity)) throw new ApiError(503, 'ServiceUnavailable', 'down');
    };
    return {
      get: async () => {
        await check();
        return this.lease && structuredClone(this.lease);
      },
      create: async (l) => {
        await check();
        if (this.lease) throw new ApiError(409, 'AlreadyExists', 'exists');
        this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
      replace: async (l) => {
        await check();
        if (l.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'conflict');
        this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
    };
  }
}

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
/** Fake-time step of the tests: the precision of every time assertion below. */
const STEP = 100;

function elector(store: FakeLeaseStore, clock: FakeClock, identity: string, extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {}) {
  return new LeaderElector({ client: store.client(identity), name: 'lease', namespace: 'ns', identity, clock, ...timing, ...extra });
}

describe('LeaderElector', () => {
  it('exactly one of two candidates leads; the other takes over after the leader dies, never overlapping', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    const ca = new AbortController();
    const cb = new AbortController();
    let overlap = false;
    const both = () => (overlap ||= a.isLeader() && b.isLeader());
    const ra = a.run(ca.signal);
    await flush();
    expect(a.isLeader()).toBe(true); // acquired without any time passing
    const rb = b.run(cb.signal);
    await clock.until(() => both() && false, 3 * timing.leaseDurationMs, STEP).catch(() => undefined);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    // The leader is cut off (crash, refused connections): it cannot renew or release.
    store.cut.add('a');
    const lostAfter = await clock.until(() => (both(), !a.isLeader()), 2 * timing.leaseDurationMs, STEP);
    // Counted from the last renewal, sent at most one retry period before the cut.
    expect(lostAfter).toBeLessThanOrEqual(timing.renewDeadlineMs);
    expect(lostAfter).toBeGreaterThan(timing.renewDeadlineMs - timing.retryPeriodMs - STEP);
    const took = lostAfter + (await clock.until(() => (both(), b.isLeader()), 2 * timing.leaseDurationMs, STEP));
    // b waited out a whole lease duration after it saw a's last renewal: a had stopped writing long
    // before. Each wait is the retry period with up to 20 % jitter (1.2 R): a renewed at most 1.2 R
    // before the cut, b saw that renewal at most 1.2 R after it, and polls again at most 1.2 R after
    // the lease expired by its clock.
    expect(took).toBeGreaterThanOrEqual(timing.leaseDurationMs - 1.2 * timing.retryPeriodMs - STEP);
    expect(took).toBeLessThanOrEqual(timing.leaseDurationMs + 2 * 1.2 * timing.retryPeriodMs + STEP);
    expect(overlap).toBe(false);
    ca.abort();
    await ra;
    expect(store.lease?.spec?.holderIdentity).toBe('b');
    expect(store.lease?.spec?.leaseTransitions).toBe(1);
    cb.abort();
    await rb;
    // Released on shutdown: holder cleared.
    expect(store.lease?.spec?.holderIdentity).toBe('');
  });

  it('a released lease is taken over at once', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    const ca = new AbortController();
    const cb = new AbortController();
    const ra = a.run(ca.signal);
    await clock.until(() => a.isLeader(), 1000, STEP);
    const rb = b.run(cb.signal);
    await clock.advance(5 * timing.retryPeriodMs);
    expect(b.isLeader()).toBe(false);
    ca.abort();
    await ra;
    expect(store.lease?.spec?.holderIdentity).toBe('');
    const took = await clock.until(() => b.isLeader(), timing.leaseDurationMs, STEP);
    // One retry period (with its jitter) at most, not a lease duration.
    expect(took).toBeLessThanOrEqual(1.2 * timing.retryPeriodMs + STEP);
    cb.abort();
    await rb;
  });

  it('stops leading at the renew deadline when the API server refuses requests, and leads again when it is back', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    let lost = 0;
    const metrics = new KitMetrics();
    const a = elector(store, clock, 'a', { onStoppedLeading: () => lost++, metrics });
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await clock.until(() => a.isLeader(), 1000, STEP);
    store.down = true;
    const t = await clock.until(() => !a.isLeader(), 2 * timing.leaseDurationMs, STEP);
    expect(t).toBeLessThanOrEqual(timing.renewDeadlineMs);
    expect(t).toBeGreaterThan(timing.renewDeadlineMs - timing.retryPeriodMs - STEP);
    await clock.until(() => lost === 1, timing.retryPeriodMs, STEP);
    expect((await metrics.leader.get()).values[0]?.value).toBe(0);
    store.down = false;
    await clock.until(() => a.isLeader(), 2 * timing.retryPeriodMs, STEP);
    expect((await metrics.leader.get()).values[0]?.value).toBe(1);
    ca.abort();
    await ra;
  });

  it('a renew that hangs: writes stop exactly at the renew deadline and the loss is reported then', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    let lost = 0;
    const a = elector(store, clock, 'a', { onStoppedLeading: () => lost++ });
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await flush();
    expect(a.isLeader()).toBe(true);
    const acquiredAt = clock.now();
    // The next renew (one retry period later) is sent and never answered.
    store.hung.add('a');
    // A writer that writes every 100 ms while it leads.
    const writes: number[] = [];
    const writeWhileLeading = () => {
      if (a.isLeader()) writes.push(clock.now() - acquiredAt);
      return false;
    };
    await clock.until(writeWhileLeading, timing.renewDeadlineMs - 1, 1).catch(() => undefined);
    expect(clock.now() - acquiredAt).toBe(timing.renewDeadlineMs - 1);
    expect(a.isLeader()).toBe(true);
    expect(lost).toBe(0);
    await clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(lost).toBe(1); // onStoppedLeading at the deadline, not when the request gives up
    await clock.until(writeWhileLeading, timing.leaseDurationMs, STEP).catch(() => undefined);
    expect(Math.max(...writes)).toBe(timing.renewDeadlineMs - 1);
    // The campaign after the loss hangs too (the fake's hung requests never answer): not awaited.
    ca.abort();
    void ra;
  });

  it('turns isLeader() false from the clock alone, before any timer could run (a blocked event loop)', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(store, clock, 'a');
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await flush();
    expect(a.isLeader()).toBe(true);
    store.hung.add('a');
    await clock.advance(timing.retryPeriodMs); // the renew is sent, and hangs
    clock.jump(timing.renewDeadlineMs - timing.retryPeriodMs - 1);
    expect(a.isLeader()).toBe(true);
    clock.jump(1);
    expect(a.isLeader()).toBe(false);
    ca.abort();
    await clock.advance(timing.renewDeadlineMs); // the deadline timer ends the hung renew
    await ra;
  });

  it('a renew that never answers does not wedge the elector: at the deadline it campaigns again with a fresh request', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    let lost = 0;
    const a = elector(store, clock, 'a', { onStoppedLeading: () => lost++ });
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await flush();
    expect(a.isLeader()).toBe(true);
    store.hung.add('a');
    await clock.advance(timing.renewDeadlineMs - 1); // the renew sent one retry period in hangs
    expect(store.sent.get('a')).toBe(3); // get + create, then the hung get of the renew
    // That request stays hung forever; new ones are answered again.
    store.hung.delete('a');
    await clock.advance(1);
    expect(lost).toBe(1);
    // Campaigning again at once: the lease is still ours, so it is renewed.
    expect(a.isLeader()).toBe(true);
    expect(store.sent.get('a')).toBe(5);
    ca.abort();
    await ra;
  });

  it('writes the Lease fields of client-go: holder, duration, acquire and renew times, transitions', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    let started = 0;
    const metrics = new KitMetrics();
    const a = elector(store, clock, 'a', { onStartedLeading: () => started++, metrics });
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await flush();
    const t0 = clock.now();
    expect(store.lease).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lease', namespace: 'ns', resourceVersion: '1' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: microTime(new Date(t0)), renewTime: microTime(new Date(t0)), leaseTransitions: 0 },
    });
    expect(started).toBe(1);
    await clock.advance(timing.retryPeriodMs);
    // A renewal moves renewTime only.
    expect(store.lease?.spec).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: microTime(new Date(t0)),
      renewTime: microTime(new Date(t0 + timing.retryPeriodMs)),
      leaseTransitions: 0,
    });
    expect(store.lease?.metadata.resourceVersion).toBe('2');
    ca.abort();
    await ra;
    // Released: holder cleared and a one-second lease, so that anyone may take it at once.
    expect(store.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: microTime(new Date(clock.now())), leaseTransitions: 0 });
    expect(started).toBe(1);
    const transitions = (await metrics.leaderTransitions.get()).values.map((v) => [v.labels.event, v.value]);
    expect(transitions.sort()).toEqual([['acquired', 1], ['lost', 1]]);
    expect(microTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toBe('2026-01-02T03:04:05.678000Z');
  });

  it('waits out the lease duration the holder wrote, not its own, and counts the transition', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    store.lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lease', namespace: 'ns', resourceVersion: '7' },
      spec: { holderIdentity: 'x', leaseDurationSeconds: 30, acquireTime: 'then', renewTime: 'then', leaseTransitions: 4 },
    };
    store.rv = 7;
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const b = elector(store, clock, 'b');
      const cb = new AbortController();
      const rb = b.run(cb.signal);
      const took = await clock.until(() => b.isLeader(), 3 * 30_000, STEP);
      // Observed unchanged for 30 s, checked every retry period * 1.1 (jitter with random() = 0.5).
      expect(took).toBe(Math.ceil(30_000 / 2_200) * 2_200);
      expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 15, leaseTransitions: 5, acquireTime: microTime(new Date(clock.now())) });
      cb.abort();
      await rb;
    } finally {
      random.mockRestore();
    }
  });

  it('steps down at the next renewal when another holder took the lease, without waiting for the deadline', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    let lost = 0;
    const a = elector(store, clock, 'a', { onStoppedLeading: () => lost++ });
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await flush();
    expect(a.isLeader()).toBe(true);
    // Someone overwrote the lease (a forced takeover).
    store.lease = { ...store.lease!, metadata: { ...store.lease!.metadata, resourceVersion: String(++store.rv) }, spec: { ...store.lease!.spec, holderIdentity: 'x' } };
    await clock.advance(timing.retryPeriodMs - 1);
    expect(a.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(lost).toBe(1);
    ca.abort();
    await ra;
    expect(store.lease?.spec?.holderIdentity).toBe('x'); // not ours to release
  });

  it('sends nothing more once stopped while waiting between renewals', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = elector(store, clock, 'a');
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await flush();
    await clock.advance(timing.retryPeriodMs / 2);
    const sent = store.sent.get('a')!;
    ca.abort();
    await ra;
    expect(store.sent.get('a')).toBe(sent + 1); // the release (one replace), no renewal after the abort
    expect(store.lease?.spec?.holderIdentity).toBe('');
  });

  it('rejects timings where writes could overlap', () => {
    const store = new FakeLeaseStore();
    const base = { client: store.client(), name: 'l', namespace: 'n', identity: 'a' };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10, renewDeadlineMs: 10 })).toThrow(/renew deadline must be shorter/);
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 20, renewDeadlineMs: 10, retryPeriodMs: 10 })).toThrow(/retry period must be shorter/);
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 20, renewDeadlineMs: 10, retryPeriodMs: 9 })).not.toThrow();
  });
});

describe('apiLeaseClient', () => {
  it('gets (404 is no lease), creates and replaces the Lease through the API server, counting requests', async () => {
    const seen: string[] = [];
    let stored: any;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', (): void => {
        seen.push(`${req.method} ${req.url}`);
        res.setHeader('content-type', 'application/json');
        if (req.method === 'GET' && !stored) {
          res.statusCode = 404;
          res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' }));
          return;
        }
        if (req.method === 'GET' && stored) {
          res.end(JSON.stringify(stored));
          return;
        }
        if (req.method === 'PUT' && JSON.parse(body).metadata.resourceVersion !== stored.metadata.resourceVersion) {
          res.statusCode = 409;
          res.end(JSON.stringify({ kind: 'Status', code: 409, reason: 'Conflict', message: 'conflict' }));
          return;
        }
        stored = { ...JSON.parse(body), metadata: { ...JSON.parse(body).metadata, resourceVersion: String(seen.length) } };
        res.statusCode = req.method === 'POST' ? 201 : 200;
        res.end(JSON.stringify(stored));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      const metrics = new KitMetrics();
      const client = apiLeaseClient(kc, 'ns', 'my-lease', metrics);
      expect(await client.get()).toBeUndefined();
      const created = await client.create({ metadata: { name: 'my-lease', namespace: 'ns' }, spec: { holderIdentity: 'a' } });
      expect(created.metadata.resourceVersion).toBe('2');
      expect((await client.get())?.spec?.holderIdentity).toBe('a');
      const replaced = await client.replace({ ...created, spec: { holderIdentity: 'b' } });
      expect(replaced.spec?.holderIdentity).toBe('b');
      await expect(client.replace({ ...created, spec: { holderIdentity: 'c' } })).rejects.toMatchObject({ statusCode: 409 });
      expect(seen).toEqual([
        'GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/my-lease',
        'POST /apis/coordination.k8s.io/v1/namespaces/ns/leases',
        'GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/my-lease',
        'PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/my-lease',
        'PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/my-lease',
      ]);
      const counts = Object.fromEntries((await metrics.apiRequests.get()).values.map((v) => [`${v.labels.verb} ${v.labels.resource}`, v.value]));
      expect(counts).toEqual({ 'get leases': 2, 'create leases': 1, 'update leases': 2 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
