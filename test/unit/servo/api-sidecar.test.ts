/**
 * The webhook's patch for a job pod (lib/api/servo/sidecar.ts): the measurement finalizer and the
 * monitor as a native sidecar, as RFC 6902 operations that apply to the pod and leave nothing to
 * do when the webhook is called again.
 */
import fc from 'fast-check';
import { pointerSegments } from '../../../lib/k8s/json-pointer.js';
import { hasFinalizer, hasMonitor } from '../../../lib/api/servo/job.js';
import { MEASUREMENT_FINALIZER, MONITOR_CONTAINER } from '../../../lib/api/servo/names.js';
import type { JobPodObject, PodContainer } from '../../../lib/api/servo/pod.js';
import { injectionFor, monitorContainer, type MonitorSettings, type PatchOperation } from '../../../lib/api/servo/sidecar.js';

const SEED = 6901;
const MONITOR: MonitorSettings = { image: 'ghcr.io/platform-constructs/platform-controllers:1.2.3', intervalMs: 100, cpu: '50m', memory: '64Mi', heapMiB: 24 };
const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Applies RFC 6902 `add` operations to a copy of `doc` (the only op the webhook emits); anything else throws. */
function applyPatch<T>(doc: T, ops: readonly PatchOperation[]): T {
  const root = structuredClone(doc) as unknown;
  for (const op of ops) {
    if (op.op !== 'add') throw new Error(`unexpected op ${op.op} at ${op.path}`);
    const segments = pointerSegments(op.path);
    const last = segments.pop();
    if (last === undefined) throw new Error('add at the root');
    let parent = root as Record<string, unknown> | unknown[];
    for (const s of segments) {
      const next = Array.isArray(parent) ? parent[Number(s)] : Object.prototype.hasOwnProperty.call(parent, s) ? parent[s] : undefined;
      if (next === null || typeof next !== 'object') throw new Error(`${op.path}: no container at ${s}`);
      parent = next as Record<string, unknown> | unknown[];
    }
    const value = structuredClone(op.value);
    if (Array.isArray(parent)) {
      if (last === '-') parent.push(value);
      else if (/^(0|[1-9]\d*)$/.test(last) && Number(last) <= parent.length) parent.splice(Number(last), 0, value);
      else throw new Error(`${op.path}: bad array index`);
    } else parent[last] = value;
  }
  return root as T;
}

const withResources = (requests?: Record<string, string>, limits?: Record<string, string>): PodContainer => ({
  name: 'main',
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
});
const pod = (spec: JobPodObject['spec'] = {}, finalizers?: string[]): JobPodObject => ({
  metadata: { name: 'job', namespace: 'default', ...(finalizers ? { finalizers } : {}) },
  spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'job:1' }], ...spec },
});

describe('applyPatch (the test\'s RFC 6902 add)', () => {
  it('adds members, appends with -, inserts at an index, and refuses a missing parent', () => {
    const doc = { a: [1, 3], b: {} as Record<string, unknown> };
    expect(applyPatch(doc, [{ op: 'add', path: '/a/-', value: 4 }, { op: 'add', path: '/a/1', value: 2 }, { op: 'add', path: '/b/x~1y', value: true }])).toEqual({ a: [1, 2, 3, 4], b: { 'x/y': true } });
    expect(doc).toEqual({ a: [1, 3], b: {} });
    expect(() => applyPatch(doc, [{ op: 'add', path: '/c/d', value: 1 }])).toThrow(/no container/);
    expect(() => applyPatch(doc, [{ op: 'replace', path: '/a', value: 1 }])).toThrow(/unexpected op/);
  });
});

describe('monitorContainer', () => {
  it('a native sidecar: an init container with restartPolicy Always, the monitor command, its heap, its termination message as File', () => {
    expect(monitorContainer({ ...MONITOR, imagePullPolicy: 'Always' }, true)).toEqual({
      name: MONITOR_CONTAINER,
      image: MONITOR.image,
      imagePullPolicy: 'Always',
      command: ['/nodejs/bin/node', '/app/servo-monitor.mjs'],
      args: ['--interval=100ms'],
      restartPolicy: 'Always',
      env: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=24' }],
      resources: { requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' }, limits: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '128Mi' } },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      securityContext: RESTRICTED,
    });
  });

  it('pull policy IfNotPresent by default; no cpu or memory when asked (a BestEffort pod stays BestEffort), ephemeral storage always', () => {
    const c = monitorContainer(MONITOR, false);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.resources).toEqual({ requests: { 'ephemeral-storage': '16Mi' }, limits: { 'ephemeral-storage': '128Mi' } });
  });

  it('equal requests and limits, so a Guaranteed pod stays Guaranteed', () => {
    const { requests, limits } = monitorContainer({ ...MONITOR, cpu: '25m', memory: '128Mi' }, true).resources as { requests: object; limits: object };
    expect(requests).toMatchObject({ cpu: '25m', memory: '128Mi' });
    expect(limits).toMatchObject({ cpu: '25m', memory: '128Mi' });
  });

  it('passes PodSecurity restricted: no privilege escalation, all capabilities dropped, non-root, RuntimeDefault seccomp', () => {
    const sc = monitorContainer(MONITOR, true).securityContext as typeof RESTRICTED & { privileged?: boolean; runAsUser?: number };
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    expect(sc.runAsNonRoot).toBe(true);
    expect(['RuntimeDefault', 'Localhost']).toContain(sc.seccompProfile.type);
    expect(sc.privileged).toBeUndefined();
    expect(sc.runAsUser).toBeUndefined();
  });
});

describe('injectionFor', () => {
  it('without a monitor: the finalizer only, as a new list when there is none', () => {
    expect(injectionFor(pod(), undefined)).toEqual({ patch: [{ op: 'add', path: '/metadata/finalizers', value: [MEASUREMENT_FINALIZER] }], warnings: [] });
    expect(injectionFor(pod({}, []), undefined).patch).toEqual([{ op: 'add', path: '/metadata/finalizers', value: [MEASUREMENT_FINALIZER] }]);
  });

  it('the finalizer appended to a list that has others, which are kept', () => {
    const p = pod({}, ['a.io/x', 'b.io/y']);
    const { patch } = injectionFor(p, undefined);
    expect(patch).toEqual([{ op: 'add', path: '/metadata/finalizers/-', value: MEASUREMENT_FINALIZER }]);
    expect(applyPatch(p, patch).metadata!.finalizers).toEqual(['a.io/x', 'b.io/y', MEASUREMENT_FINALIZER]);
  });

  it('with a monitor: the finalizer, the monitor as the first init container, shareProcessNamespace true', () => {
    const { patch, warnings } = injectionFor(pod(), MONITOR);
    expect(patch).toEqual([
      { op: 'add', path: '/metadata/finalizers', value: [MEASUREMENT_FINALIZER] },
      { op: 'add', path: '/spec/initContainers', value: [monitorContainer(MONITOR, false)] },
      { op: 'add', path: '/spec/shareProcessNamespace', value: true },
    ]);
    expect(warnings).toEqual([]);
  });

  it('the monitor after the pod\'s own init containers, which are kept', () => {
    const p = pod({ initContainers: [{ name: 'setup', image: 'x' }] });
    const { patch } = injectionFor(p, MONITOR);
    expect(patch[1]).toEqual({ op: 'add', path: '/spec/initContainers/-', value: monitorContainer(MONITOR, false) });
    expect(applyPatch(p, patch).spec!.initContainers!.map((c) => c.name)).toEqual(['setup', MONITOR_CONTAINER]);
  });

  it('shareProcessNamespace: true is left alone; false is kept, with a warning that cpu_time and max_memory will be missing', () => {
    expect(injectionFor(pod({ shareProcessNamespace: true }), MONITOR)).toEqual({
      patch: [
        { op: 'add', path: '/metadata/finalizers', value: [MEASUREMENT_FINALIZER] },
        { op: 'add', path: '/spec/initContainers', value: [monitorContainer(MONITOR, false)] },
      ],
      warnings: [],
    });
    const off = injectionFor(pod({ shareProcessNamespace: false }), MONITOR);
    expect(off.patch.map((o) => o.path)).toEqual(['/metadata/finalizers', '/spec/initContainers']);
    expect(off.patch.some((o) => o.path === '/spec/shareProcessNamespace')).toBe(false);
    expect(off.warnings).toEqual([expect.stringMatching(/shareProcessNamespace is false.*cpu_time and max_memory/)]);
  });

  it('a pod that has both gets an empty patch; one that has one gets the other', () => {
    const full = pod({ initContainers: [{ name: MONITOR_CONTAINER }], shareProcessNamespace: true }, [MEASUREMENT_FINALIZER]);
    expect(injectionFor(full, MONITOR)).toEqual({ patch: [], warnings: [] });
    expect(injectionFor(pod({ initContainers: [{ name: MONITOR_CONTAINER }] }), MONITOR).patch).toEqual([{ op: 'add', path: '/metadata/finalizers', value: [MEASUREMENT_FINALIZER] }]);
    expect(injectionFor(pod({}, [MEASUREMENT_FINALIZER]), MONITOR).patch.map((o) => o.path)).toEqual(['/spec/initContainers', '/spec/shareProcessNamespace']);
    // a monitor the user put among the regular containers counts too
    expect(injectionFor(pod({ containers: [{ name: 'main' }, { name: MONITOR_CONTAINER }] }, [MEASUREMENT_FINALIZER]), MONITOR).patch).toEqual([]);
  });

  describe('the monitor\'s resources follow the pod\'s QoS class', () => {
    const monitorOf = (p: JobPodObject) => injectionFor(p, MONITOR).patch.find((o) => o.path.startsWith('/spec/initContainers'))!.value as Record<string, unknown> | Record<string, unknown>[];
    const resourcesOf = (p: JobPodObject) => {
      const v = monitorOf(p);
      return (Array.isArray(v) ? v[0] : v).resources;
    };
    const EQUAL = { requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' }, limits: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '128Mi' } };
    const DISK_ONLY = { requests: { 'ephemeral-storage': '16Mi' }, limits: { 'ephemeral-storage': '128Mi' } };

    it('BestEffort (no requests, no limits anywhere): no cpu or memory, so it stays BestEffort', () => {
      expect(resourcesOf(pod())).toEqual(DISK_ONLY);
      expect(resourcesOf(pod({ containers: [withResources({}, {})] }))).toEqual(DISK_ONLY);
      expect(resourcesOf(pod({ containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'setup' }] }))).toEqual(DISK_ONLY);
    });

    it('Guaranteed and Burstable: equal requests and limits', () => {
      expect(resourcesOf(pod({ containers: [withResources({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] }))).toEqual(EQUAL);
      expect(resourcesOf(pod({ containers: [withResources({ cpu: '100m' })] }))).toEqual(EQUAL);
      expect(resourcesOf(pod({ containers: [withResources(undefined, { memory: '1Gi' })] }))).toEqual(EQUAL);
      // an init container's resources count as well
      expect(resourcesOf(pod({ initContainers: [{ name: 'setup', resources: { requests: { cpu: '10m' } } }] }))).toEqual(EQUAL);
    });

    // Regression: isBestEffort counts any resource name, but Kubernetes computes the QoS class from cpu and memory only:
    // a pod asking only for a GPU or ephemeral-storage is BestEffort and becomes Burstable with the monitor's cpu/memory.
    it.each([
      ['a GPU only', withResources(undefined, { 'nvidia.com/gpu': '1' })],
      ['ephemeral-storage only', withResources({ 'ephemeral-storage': '1Gi' }, { 'ephemeral-storage': '1Gi' })],
    ])('BestEffort with %s: no cpu or memory either', (_, container) => {
      expect(resourcesOf(pod({ containers: [container] }))).toEqual(DISK_ONLY);
    });
  });

  describe('idempotent (property): the patch applies, and a second call on the patched pod gives nothing to do', () => {
    const container = (name: string) =>
      fc.record({ name: fc.constant(name), image: fc.constant('img'), resources: fc.option(fc.record({ requests: fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '1Gi')) }), { nil: undefined }) }, { requiredKeys: ['name'] });
    const podArb: fc.Arbitrary<JobPodObject> = fc.record(
      {
        metadata: fc.record({ name: fc.constant('job'), finalizers: fc.subarray(['a.io/x', MEASUREMENT_FINALIZER, 'b.io/y']) }, { requiredKeys: ['name'] }),
        spec: fc.record(
          {
            restartPolicy: fc.constantFrom('Never', 'OnFailure'),
            containers: fc.tuple(container('main'), fc.option(container('side'), { nil: undefined }), fc.boolean()).map(([m, s, mon]) => [m, ...(s ? [s] : []), ...(mon ? [{ name: MONITOR_CONTAINER }] : [])]),
            initContainers: fc.subarray([{ name: 'setup' }, { name: MONITOR_CONTAINER }, { name: 'other' }]),
            shareProcessNamespace: fc.boolean(),
          },
          { requiredKeys: ['containers'] },
        ),
      },
      { requiredKeys: ['metadata', 'spec'] },
    );

    it.each([
      ['with the monitor', MONITOR],
      ['without it', undefined],
    ])('%s', (_, monitor) => {
      fc.assert(
        fc.property(podArb, (p) => {
          const { patch, warnings } = injectionFor(p, monitor);
          expect(patch.every((o) => o.op === 'add')).toBe(true);
          const patched = applyPatch(p, patch);
          expect(injectionFor(patched, monitor)).toEqual({ patch: [], warnings: [] });
          expect(hasFinalizer(patched)).toBe(true);
          expect(hasMonitor(patched)).toBe(monitor !== undefined || hasMonitor(p));
          // what was there is kept, in order; the finalizer is there once
          expect(patched.metadata!.finalizers!.slice(0, (p.metadata!.finalizers ?? []).length)).toEqual(p.metadata!.finalizers ?? []);
          expect(patched.metadata!.finalizers!.filter((f) => f === MEASUREMENT_FINALIZER)).toHaveLength(1);
          expect(patched.spec!.containers).toEqual(p.spec!.containers);
          expect((patched.spec!.initContainers ?? []).slice(0, (p.spec!.initContainers ?? []).length)).toEqual(p.spec!.initContainers ?? []);
          expect(patched.spec!.initContainers?.filter((c) => c.name === MONITOR_CONTAINER).length ?? 0).toBeLessThanOrEqual(1);
          if (monitor && !hasMonitor(p)) {
            expect(patched.spec!.shareProcessNamespace).toBe(p.spec!.shareProcessNamespace ?? true);
            expect(warnings.length).toBe(p.spec!.shareProcessNamespace === false ? 1 : 0);
          } else {
            expect(patched.spec).toEqual(p.spec);
            expect(warnings).toEqual([]);
          }
        }),
        { seed: SEED, numRuns: 300 },
      );
    });
  });
});
