/**
 * The monitor's report (lib/api/servo/monitor-report.ts): JSON in the monitor's termination
 * message, never above the kubelet's 4096 bytes, read back by the daemon, and the group of the
 * job container found by its containerID in the cgroup paths.
 */
import fc from 'fast-check';
import {
  encodeMonitorReport, groupOfContainer, MAX_REPORT_GROUPS, parseMonitorReport, TERMINATION_MESSAGE_LIMIT, type MonitorGroup, type MonitorReport,
} from '../../../lib/api/servo/monitor-report.js';

const SEED = 4096;
const ID = '0f3a9c1d2b7e4f5a6b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a';
const OTHER_ID = 'a'.repeat(64);

const group = (cgroup: string, cpuSeconds: number, maxMemoryBytes = 1 << 20, processes = 1): MonitorGroup => ({ cgroup, cpuSeconds, maxMemoryBytes, processes });
const report = (groups: MonitorGroup[], extra: Partial<MonitorReport> = {}): MonitorReport => ({ v: 1, intervalMs: 100, samples: 42, groups, ...extra });
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function parsed(message: string): MonitorReport {
  const r = parseMonitorReport(message);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('encodeMonitorReport', () => {
  it('compact JSON of the report, groups by CPU time, largest first', () => {
    const text = encodeMonitorReport(report([group('/a', 1), group('/b', 3), group('/c', 2)], { error: 'e' }));
    expect(text).not.toMatch(/\s/);
    expect(JSON.parse(text)).toEqual(report([group('/b', 3), group('/c', 2), group('/a', 1)], { error: 'e' }));
  });

  it(`at most ${MAX_REPORT_GROUPS} groups: the ones with the most CPU time`, () => {
    const groups = Array.from({ length: 20 }, (_, i) => group(`/g${i}`, i));
    const kept = parsed(encodeMonitorReport(report(groups))).groups.map((g) => g.cpuSeconds);
    expect(MAX_REPORT_GROUPS).toBe(8);
    expect(kept).toEqual([19, 18, 17, 16, 15, 14, 13, 12]);
  });

  it('does not change the report it is given', () => {
    const groups = [group('/a', 1), group('/b', 3)];
    const r = report(groups);
    encodeMonitorReport(r);
    expect(r.groups).toBe(groups);
    expect(groups.map((g) => g.cgroup)).toEqual(['/a', '/b']);
  });

  it('long groups are dropped, smallest CPU time first, until the report fits the kubelet\'s 4096 bytes', () => {
    const long = (c: string, cpu: number) => group(`/kubepods/${c.repeat(1500)}`, cpu);
    const text = encodeMonitorReport(report([long('a', 1), long('b', 3), long('c', 2), long('d', 0.5)]));
    expect(TERMINATION_MESSAGE_LIMIT).toBe(4096);
    expect(bytes(text)).toBeLessThanOrEqual(4096);
    expect(parsed(text).groups.map((g) => g.cpuSeconds)).toEqual([3, 2]);
  });

  it('counts bytes, not characters: multi-byte cgroup paths still fit', () => {
    const text = encodeMonitorReport(report(Array.from({ length: 8 }, (_, i) => group(`/€${'ü'.repeat(300)}${i}`, i))));
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(bytes(text)).toBeLessThanOrEqual(4096);
    expect(parsed(text).groups.length).toBeGreaterThan(0);
  });

  it('never exceeds 4096 bytes with many and long groups, keeps a prefix of the groups by CPU time, and parses back (property)', () => {
    const cgroup = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 1200 }), fc.string({ unit: 'binary-ascii', minLength: 500, maxLength: 5000 }));
    const g = fc.record({
      cgroup,
      cpuSeconds: fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }),
      maxMemoryBytes: fc.nat({ max: 2 ** 40 }),
      processes: fc.nat({ max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.array(g, { maxLength: 60 }), fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), (groups, error) => {
        const r = report(groups, error === undefined ? {} : { error });
        const text = encodeMonitorReport(r);
        expect(bytes(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
        const back = parsed(text);
        const sorted = [...groups].sort((a, b) => b.cpuSeconds - a.cpuSeconds);
        expect(back.groups.length).toBeLessThanOrEqual(MAX_REPORT_GROUPS);
        expect(back.groups).toEqual(sorted.slice(0, back.groups.length));
        expect(back.error).toBe(error);
        // only as many groups are dropped as needed: one more would not have fitted
        if (back.groups.length < Math.min(MAX_REPORT_GROUPS, groups.length)) {
          expect(bytes(JSON.stringify({ ...r, groups: sorted.slice(0, back.groups.length + 1) }))).toBeGreaterThan(TERMINATION_MESSAGE_LIMIT);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  // Regression: only groups are dropped; a long `error` (or anything but the groups) is kept whole, so the
  // message exceeds 4096 bytes (5059 here), the kubelet truncates it and the daemon cannot parse it.
  it('never exceeds 4096 bytes, even with a long error', () => {
    const text = encodeMonitorReport(report([group('/a', 1)], { error: `cannot read /proc: ${'x'.repeat(5000)}` }));
    expect(bytes(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    expect(typeof parseMonitorReport(text)).toBe('object');
  });
});

describe('parseMonitorReport', () => {
  it('reads what encodeMonitorReport writes (property)', () => {
    const g = fc.record({ cgroup: fc.string({ maxLength: 60 }), cpuSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }), maxMemoryBytes: fc.nat(), processes: fc.nat() });
    fc.assert(
      fc.property(fc.array(g, { maxLength: MAX_REPORT_GROUPS }), fc.nat(), fc.nat(), (groups, intervalMs, samples) => {
        const r: MonitorReport = { v: 1, intervalMs, samples, groups };
        expect(parsed(encodeMonitorReport(r))).toEqual({ ...r, groups: [...groups].sort((a, b) => b.cpuSeconds - a.cpuSeconds) });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('missing optional figures default to 0; an error is kept only as a string', () => {
    expect(parseMonitorReport('{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":1.5,"maxMemoryBytes":2}],"error":5}')).toEqual({
      v: 1,
      intervalMs: 0,
      samples: 0,
      groups: [{ cgroup: '/a', cpuSeconds: 1.5, maxMemoryBytes: 2, processes: 0 }],
    });
    expect(parseMonitorReport('{"v":1,"intervalMs":-1,"samples":"3","groups":[],"error":"no pid namespace"}')).toEqual({ v: 1, intervalMs: 0, samples: 0, groups: [], error: 'no pid namespace' });
  });

  it('drops unknown fields', () => {
    expect(parseMonitorReport('{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":0,"maxMemoryBytes":0,"processes":1,"x":1}],"extra":true}')).toEqual({
      v: 1, intervalMs: 0, samples: 0, groups: [{ cgroup: '/a', cpuSeconds: 0, maxMemoryBytes: 0, processes: 1 }],
    });
  });

  it.each([
    [undefined, /left no termination message/],
    ['', /left no termination message/],
    ['  \n', /left no termination message/],
    ['Killed', /not JSON: "Killed"/],
    [`{"v":1,"groups":[${'x'.repeat(200)}`, /not JSON/],
    ['null', /not a version 1 report/],
    ['5', /not a version 1 report/],
    ['[]', /not a version 1 report/],
    ['{"v":2,"groups":[]}', /not a version 1 report/],
    ['{"v":"1","groups":[]}', /not a version 1 report/],
    ['{"v":1}', /has no groups list/],
    ['{"v":1,"groups":{}}', /has no groups list/],
    ['{"v":1,"groups":[null]}', /bad groups\[0\]/],
    ['{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":1,"maxMemoryBytes":1},{"cpuSeconds":1,"maxMemoryBytes":1}]}', /bad groups\[1\]/],
    ['{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":-1,"maxMemoryBytes":1}]}', /bad groups\[0\]/],
    ['{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":"1","maxMemoryBytes":1}]}', /bad groups\[0\]/],
    ['{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":1,"maxMemoryBytes":null}]}', /bad groups\[0\]/],
    ['{"v":1,"groups":[{"cgroup":"/a","cpuSeconds":1e400,"maxMemoryBytes":1}]}', /bad groups\[0\]/],
    ['{"v":1,"groups":[7]}', /bad groups\[0\]/],
  ])('%j is refused: %s', (message, reason) => {
    const r = parseMonitorReport(message);
    expect(typeof r).toBe('string');
    expect(r).toMatch(reason);
  });

  it('quotes at most 80 characters of a message that is not JSON', () => {
    const r = parseMonitorReport(`oops ${'y'.repeat(500)}`) as string;
    expect(r).toBe(`the monitor's termination message is not JSON: ${JSON.stringify(`oops ${'y'.repeat(75)}`)}`);
  });

  it('never throws (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ v: 1, groups: [v] }))), (message) => {
        const r = parseMonitorReport(message);
        expect(typeof r === 'string' || (r.v === 1 && Array.isArray(r.groups))).toBe(true);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('groupOfContainer', () => {
  const job = group(`/kubepods/burstable/pod1234/${ID}`, 5);
  const side = group(`/kubepods/burstable/pod1234/${OTHER_ID}`, 9);
  const two = report([side, job]);

  it.each([
    ['containerd', `containerd://${ID}`],
    ['cri-o', `cri-o://${ID}`],
    ['docker', `docker://${ID}`],
    ['no scheme', ID],
  ])('the group whose cgroup path holds the container ID (%s)', (_, containerID) => {
    expect(groupOfContainer(two, containerID)).toBe(job);
  });

  it('systemd cgroup paths and cgroup namespaces (paths relative to the monitor\'s own) match too', () => {
    const systemd = group(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope`, 1);
    const relative = group(`/../cri-containerd-${ID}.scope`, 1);
    expect(groupOfContainer(report([side, systemd]), `containerd://${ID}`)).toBe(systemd);
    expect(groupOfContainer(report([relative, side]), `containerd://${ID}`)).toBe(relative);
  });

  it('no ID, an empty ID or no match: the only group when there is exactly one, else none', () => {
    expect(groupOfContainer(report([job]), undefined)).toBe(job);
    expect(groupOfContainer(report([job]), 'containerd://')).toBe(job);
    expect(groupOfContainer(report([side]), `containerd://${ID}`)).toBe(side);
    expect(groupOfContainer(two, undefined)).toBeUndefined();
    expect(groupOfContainer(two, 'containerd://')).toBeUndefined();
    expect(groupOfContainer(report([side, group('/other', 1)]), `containerd://${ID}`)).toBeUndefined();
    expect(groupOfContainer(report([]), `containerd://${ID}`)).toBeUndefined();
  });

  it('the scheme is not part of the ID: a cgroup path holding "containerd" does not match an empty ID', () => {
    const named = group('/system.slice/containerd.service', 1);
    expect(groupOfContainer(report([named, side]), 'containerd://')).toBeUndefined();
  });
});
