import { Counter, Registry } from 'prom-client';
import { MEASUREMENT_FINALIZER, MONITOR_CONTAINER, MONITOR_COMMAND, type JobPodObject, type PatchOperation } from '../../../../lib/api/servo/index.js';
import type { AdmissionRequest, AdmissionResult } from '../../../../runtime/kit/index.js';
import { servoAdmission } from '../../../../runtime/servo/webhook.js';
import { MONITOR_IMAGE, NS, OTHER_FINALIZER, UNWATCHED, appIdPath, local, servoOptions } from './fakes.js';

function request(object: JobPodObject | undefined, over: Partial<AdmissionRequest<JobPodObject>> = {}): AdmissionRequest<JobPodObject> {
  return {
    uid: 'req-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: NS,
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:job-controller' },
    object,
    ...over,
  };
}

/** A pod as the Job controller creates it: generateName, no namespace in the object, restartPolicy Never. */
function podOf(over: { spec?: Record<string, unknown>; metadata?: Record<string, unknown>; env?: unknown[] } = {}): JobPodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'pi-', labels: { 'job-name': 'pi' }, ...over.metadata },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'pi', image: 'perl:5', env: (over.env ?? [{ name: 'JOBID', value: 'pi-app' }]) as never, resources: { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' } } }],
      ...over.spec,
    },
  };
}

/** Applies the RFC 6902 `add` operations of a patch (the only ones the webhook emits). */
function applyPatch<T>(doc: T, patch: readonly PatchOperation[]): T {
  const out = local(doc) as any;
  for (const op of patch) {
    expect(op.op).toBe('add');
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let node = out;
    for (const p of parts) {
      if (node[p] === undefined) throw new Error(`path ${op.path}: ${p} missing`);
      node = node[p];
    }
    if (Array.isArray(node)) {
      if (last === '-') node.push(local(op.value));
      else node.splice(Number(last), 0, local(op.value));
    } else node[last] = local(op.value);
  }
  return out;
}

const patchOf = (r: AdmissionResult): readonly PatchOperation[] => (r.patch ?? []) as readonly PatchOperation[];

function counter() {
  const registry = new Registry();
  const c = new Counter({ name: 'servo_webhook_pods_total', help: 'x', labelNames: ['result'], registers: [registry] });
  const value = async (result: string) => (await c.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { c, value };
}

describe('servoAdmission', () => {
  it('a job pod CREATE in a watched namespace: the finalizer and the monitor sidecar, process namespace shared', async () => {
    const { c, value } = counter();
    const handle = servoAdmission(servoOptions(), c);
    const pod = podOf();
    const r = handle(request(pod));
    expect(r.allowed).toBe(true);
    const ops = patchOf(r);
    expect(ops.map((o) => [o.op, o.path])).toEqual([
      ['add', '/metadata/finalizers'],
      ['add', '/spec/initContainers'],
      ['add', '/spec/shareProcessNamespace'],
    ]);
    const after = applyPatch(pod, ops) as any;
    expect(after.metadata.finalizers).toEqual([MEASUREMENT_FINALIZER]);
    expect(after.spec.shareProcessNamespace).toBe(true);
    expect(after.spec.initContainers).toHaveLength(1);
    const m = after.spec.initContainers[0];
    expect(m).toMatchObject({
      name: MONITOR_CONTAINER,
      image: MONITOR_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      restartPolicy: 'Always',
      command: [...MONITOR_COMMAND],
      args: ['--interval=100ms'],
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    // A Guaranteed job stays Guaranteed: the monitor's cpu and memory requests equal its limits.
    expect(m.resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' },
      limits: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '128Mi' },
    });
    expect(m.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true });
    // The job container is untouched.
    expect(after.spec.containers).toEqual(pod.spec!.containers);
    expect(await value('injected')).toBe(1);
  });

  it('the image and pull policy come from the options', () => {
    const opts = servoOptions({ monitor: { image: 'mirror.local/pc:9', imagePullPolicy: 'Always', intervalMs: 250, cpu: '10m', memory: '48Mi', heapMiB: 16 } });
    const after = applyPatch(podOf(), patchOf(servoAdmission(opts)(request(podOf())))) as any;
    expect(after.spec.initContainers[0]).toMatchObject({ image: 'mirror.local/pc:9', imagePullPolicy: 'Always', command: [...MONITOR_COMMAND], args: ['--interval=250ms'] });
  });

  it('without a monitor image: only the finalizer', () => {
    const r = servoAdmission(servoOptions({ monitor: undefined }))(request(podOf()));
    expect(patchOf(r)).toEqual([{ op: 'add', path: '/metadata/finalizers', value: [MEASUREMENT_FINALIZER] }]);
  });

  it('existing finalizers and init containers are appended to, not replaced', () => {
    const pod = podOf({ metadata: { finalizers: [OTHER_FINALIZER] }, spec: { initContainers: [{ name: 'setup', image: 'busybox' }] } });
    const ops = patchOf(servoAdmission(servoOptions())(request(pod)));
    expect(ops.map((o) => o.path)).toEqual(['/metadata/finalizers/-', '/spec/initContainers/-', '/spec/shareProcessNamespace']);
    const after = applyPatch(pod, ops) as any;
    expect(after.metadata.finalizers).toEqual([OTHER_FINALIZER, MEASUREMENT_FINALIZER]);
    expect(after.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['setup', MONITOR_CONTAINER]);
  });

  it('a BestEffort pod stays BestEffort: the monitor gets no cpu or memory, only ephemeral storage', () => {
    const pod = podOf();
    (pod.spec!.containers![0] as { resources?: unknown }).resources = undefined;
    const after = applyPatch(pod, patchOf(servoAdmission(servoOptions())(request(pod)))) as any;
    expect(after.spec.initContainers[0].resources).toEqual({ requests: { 'ephemeral-storage': '16Mi' }, limits: { 'ephemeral-storage': '128Mi' } });
  });

  it('shareProcessNamespace: false set by the user is kept, with a warning', () => {
    const r = servoAdmission(servoOptions())(request(podOf({ spec: { shareProcessNamespace: false } })));
    expect(patchOf(r).map((o) => o.path)).toEqual(['/metadata/finalizers', '/spec/initContainers']);
    expect(r.warnings).toEqual([expect.stringContaining('shareProcessNamespace is false')]);
  });

  it('the namespace is taken from the request when the object has none; the object\'s own wins', () => {
    const handle = servoAdmission(servoOptions());
    expect(patchOf(handle(request(podOf(), { namespace: NS }))).length).toBeGreaterThan(0);
    expect(handle(request(podOf(), { namespace: UNWATCHED }))).toEqual({ allowed: true });
    expect(handle(request(podOf({ metadata: { namespace: UNWATCHED } }), { namespace: NS }))).toEqual({ allowed: true });
    expect(handle(request(podOf(), { namespace: undefined }))).toEqual({ allowed: true });
  });

  it('a non-job pod is allowed with no patch (no app id, restartPolicy Always or absent, unwatched namespace)', async () => {
    const { c, value } = counter();
    const handle = servoAdmission(servoOptions(), c);
    const nonJobs = [
      podOf({ env: [] }),
      podOf({ env: [{ name: 'JOBID', value: '' }] }),
      podOf({ spec: { restartPolicy: 'Always' } }),
      podOf({ spec: { restartPolicy: undefined } }),
      podOf({ metadata: { namespace: UNWATCHED } }),
    ];
    for (const p of nonJobs) {
      const r = handle(request(p));
      expect(r).toEqual({ allowed: true });
      expect(r.patch).toBeUndefined();
    }
    expect(await value('not-a-job')).toBe(nonJobs.length);
    expect(await value('injected')).toBe(0);
  });

  it('a pod already carrying the finalizer and the monitor: allowed, no patch', async () => {
    const { c, value } = counter();
    const handle = servoAdmission(servoOptions(), c);
    const pod = podOf();
    const once = applyPatch(pod, patchOf(handle(request(pod))));
    const again = handle(request(once));
    expect(again.allowed).toBe(true);
    expect(again.patch).toBeUndefined();
    expect(await value('injected')).toBe(1);
    expect(await value('unchanged')).toBe(1);
  });

  it('the monitor already present as a regular container counts as present', () => {
    const pod = podOf({ metadata: { finalizers: [MEASUREMENT_FINALIZER] } });
    (pod.spec as { containers: unknown[] }).containers.push({ name: MONITOR_CONTAINER, image: 'x' });
    expect(servoAdmission(servoOptions())(request(pod)).patch).toBeUndefined();
  });

  it('anything but a Pod CREATE is allowed untouched', () => {
    const handle = servoAdmission(servoOptions());
    for (const operation of ['UPDATE', 'DELETE', 'CONNECT'] as const) expect(handle(request(podOf(), { operation }))).toEqual({ allowed: true });
    expect(handle(request(podOf(), { kind: { group: 'batch', version: 'v1', kind: 'Job' } }))).toEqual({ allowed: true });
    expect(handle(request(undefined))).toEqual({ allowed: true });
  });

  it('the app id path of the options decides what a job is', () => {
    const opts = servoOptions({ appIdPath: appIdPath('metadata/labels/job-name') });
    expect(patchOf(servoAdmission(opts)(request(podOf({ env: [] })))).length).toBeGreaterThan(0);
    expect(servoAdmission(opts)(request(podOf({ metadata: { labels: {} } })))).toEqual({ allowed: true });
  });
});
