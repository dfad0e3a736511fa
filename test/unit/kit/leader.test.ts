import { ApiError, LeaderElector, type Lease, type LeaseClient } from '../../../runtime/kit/index.js';

/** One Lease with resourceVersion checks, shared by several electors; can hang or fail. */
class FakeLeaseStore {
  lease?: Lease;
  rv = 0;
  down = false;
  /** Identities whose requests fail (a crashed or partitioned replica). */
  readonly cut = new Set<string>();
  client(identity = ''): LeaseClient {
    const check = () => {
      if (this.down || this.cut.has(identity)) throw new ApiError(503, 'ServiceUnavailable', 'down');
    };
    return {
      get: async () => {
        check();
        return this.lease && structuredClone(this.lease);
      },
      create: async (l) => {
        check();
        if (this.lease) throw new ApiError(409, 'AlreadyExists', 'exists');
        this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
      replace: async (l) => {
        check();
        if (l.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'conflict');
        this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
    };
  }
}

const timing = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 };

function elector(store: FakeLeaseStore, identity: string) {
  return new LeaderElector({ client: store.client(identity), name: 'lease', namespace: 'ns', identity, ...timing });
}

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

describe('LeaderElector', () => {
  it('exactly one of two candidates leads; the other takes over after the leader dies', async () => {
    const store = new FakeLeaseStore();
    const a = elector(store, 'a');
    const b = elector(store, 'b');
    const ca = new AbortController();
    const cb = new AbortController();
    const ra = a.run(ca.signal);
    await until(() => a.isLeader(), 1000);
    const rb = b.run(cb.signal);
    await new Promise((r) => setTimeout(r, 800));
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    // The leader is cut off (crash, partition): it cannot renew or release.
    store.cut.add('a');
    const lostAfter = await until(() => !a.isLeader(), 2000);
    expect(lostAfter).toBeLessThanOrEqual(timing.renewDeadlineMs + 50);
    const took = await until(() => b.isLeader(), 2000);
    // b waited out the lease, and a had stopped writing before b could start.
    expect(took).toBeGreaterThan(lostAfter);
    expect(took).toBeLessThanOrEqual(timing.leaseDurationMs + 2 * timing.retryPeriodMs + 100);
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
    const store = new FakeLeaseStore();
    const a = elector(store, 'a');
    const b = elector(store, 'b');
    const ca = new AbortController();
    const cb = new AbortController();
    const ra = a.run(ca.signal);
    await until(() => a.isLeader(), 1000);
    const rb = b.run(cb.signal);
    await new Promise((r) => setTimeout(r, 150));
    ca.abort();
    await ra;
    const took = await until(() => b.isLeader(), 2000);
    expect(took).toBeLessThan(400);
    cb.abort();
    await rb;
  });

  it('stops leading (isLeader false) within the renew deadline when the API server is unreachable', async () => {
    const store = new FakeLeaseStore();
    let lost = 0;
    const a = new LeaderElector({
      client: store.client(),
      name: 'lease',
      namespace: 'ns',
      identity: 'a',
      ...timing,
      onStoppedLeading: () => lost++,
    });
    const ca = new AbortController();
    const ra = a.run(ca.signal);
    await until(() => a.isLeader(), 1000);
    store.down = true;
    const t = await until(() => !a.isLeader(), 2000);
    expect(t).toBeLessThanOrEqual(timing.renewDeadlineMs + 50);
    await until(() => lost === 1, 1000);
    store.down = false;
    await until(() => a.isLeader(), 2000);
    ca.abort();
    await ra;
  });

  it('rejects timings where writes could overlap', () => {
    const store = new FakeLeaseStore();
    expect(
      () => new LeaderElector({ client: store.client(), name: 'l', namespace: 'n', identity: 'a', leaseDurationMs: 10, renewDeadlineMs: 10 }),
    ).toThrow(/renew deadline/);
  });
});
