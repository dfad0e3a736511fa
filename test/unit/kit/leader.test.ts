import { ApiError, KitMetrics, LeaderElector, type Lease, type LeaseClient } from '../../../runtime/kit/index.js';
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
    // b waited out a whole lease duration after a's last renewal: a had stopped writing long before.
    expect(took).toBeGreaterThanOrEqual(timing.leaseDurationMs - timing.retryPeriodMs);
    expect(took).toBeLessThanOrEqual(timing.leaseDurationMs + 1.2 * timing.retryPeriodMs + STEP);
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

  it('rejects timings where writes could overlap', () => {
    const store = new FakeLeaseStore();
    const base = { client: store.client(), name: 'l', namespace: 'n', identity: 'a' };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10, renewDeadlineMs: 10 })).toThrow(/renew deadline must be shorter/);
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 20, renewDeadlineMs: 10, retryPeriodMs: 10 })).toThrow(/retry period must be shorter/);
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 20, renewDeadlineMs: 10, retryPeriodMs: 9 })).not.toThrow();
  });
});
