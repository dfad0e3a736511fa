import type { V1Pod } from '@kubernetes/client-node';
import { GLOBAL_APP_ID, MEASURED_ANNOTATION, MEASUREMENT_FINALIZER, MONITOR_CONTAINER, NEVER_RAN_MESSAGE, encodeMonitorReport } from '../../../../lib/api/servo/index.js';
import { ApiError } from '../../../../runtime/kit/index.js';
import { JOB_POD_FIELD_SELECTOR } from '../../../../runtime/servo/controller.js';
import { deferred } from '../../../fixtures/deferred.js';
import {
  ACCOUNT,
  FakeOptimizer,
  JOB_CONTAINER_ID,
  NS,
  NS2,
  OTHER_FINALIZER,
  PodWorld,
  T0,
  UNWATCHED,
  drain,
  harness,
  iso,
  jobPod,
  local,
  settle,
  until,
  type Harness,
} from './fakes.js';

const SEC = 1000;
const measured = (pod: V1Pod | undefined) => {
  const raw = pod?.metadata?.annotations?.[MEASURED_ANNOTATION];
  return raw === undefined ? undefined : (JSON.parse(raw) as { at: string; status: number });
};
const report = (groups: Array<{ cgroup: string; cpuSeconds: number; maxMemoryBytes: number }>, error?: string) =>
  encodeMonitorReport({ v: 1, intervalMs: 100, samples: 500, groups: groups.map((g) => ({ ...g, processes: 1 })), ...(error ? { error } : {}) });
/** The monitor's report: the job container's group (its cgroup names JOB_CONTAINER_ID) and a bigger one of another container. */
const MONITOR_MESSAGE = report([
  { cgroup: '/kubepods/pod1/cri-containerd-aaaaaaaaaaaaaaaa.scope', cpuSeconds: 99, maxMemoryBytes: 999 },
  { cgroup: `/kubepods/burstable/pod1/cri-containerd-${JOB_CONTAINER_ID.replace('containerd://', '')}.scope`, cpuSeconds: 12.5, maxMemoryBytes: 104_857_600 },
]);

describe('ServoController', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  /** Reconciles until the measurement is delivered and recorded (and the informer has the result). */
  async function deliverAndRecord(name = 'job-1', namespace = NS): Promise<void> {
    await h.reconcile(name, namespace);
    await h.reconcile(name, namespace);
  }

  describe('informers', () => {
    it('one pod informer per watched namespace with the field selector spec.restartPolicy!=Always, nothing else', async () => {
      h = await harness();
      expect(JOB_POD_FIELD_SELECTOR).toBe('spec.restartPolicy!=Always');
      expect(h.cache.asked).toEqual([
        { resource: { apiVersion: 'v1', resource: 'pods', namespace: NS }, selectors: { fieldSelector: 'spec.restartPolicy!=Always' }, name: `job-pods-${NS}` },
        { resource: { apiVersion: 'v1', resource: 'pods', namespace: NS2 }, selectors: { fieldSelector: 'spec.restartPolicy!=Always' }, name: `job-pods-${NS2}` },
      ]);
      expect(h.controller.informers.map((i) => i.name)).toEqual([`job-pods-${NS}`, `job-pods-${NS2}`]);
      expect(h.controller.notReadyReason()).toBeUndefined();
    });

    it('a job pod in the cache of an unwatched namespace (another consumer\'s informer) is never reconciled', async () => {
      h = await harness([jobPod({ namespace: UNWATCHED, monitor: { message: MONITOR_MESSAGE } })], { foreign: [UNWATCHED] });
      // The cache holds it...
      expect(h.cache.all().some((i) => i.get(UNWATCHED, 'job-1'))).toBe(true);
      // ...its changes enqueue nothing in the daemon...
      const pod = local(h.world.pod(UNWATCHED, 'job-1')!);
      pod.metadata!.labels = { touched: 'yes' };
      h.world.lw(UNWATCHED).upsert(pod);
      await settle();
      expect(h.controller.controller.queue.length).toBe(0);
      // ...and a reconcile of its key does nothing.
      await h.reconcile('job-1', UNWATCHED);
      expect(h.optimizer.calls).toEqual([]);
      expect(h.api.patches).toEqual([]);
      expect(h.controller.deliveries.pending).toBe(0);
    });

    it('the pods of the watched namespaces are enqueued when listed and when they change', async () => {
      const world = new PodWorld();
      world.seed([jobPod({ namespace: NS2 }), jobPod({ namespace: NS, name: 'job-7' })]);
      h = await harness([], { world, sync: false });
      await h.cache.waitForSync();
      await until(() => world.lw(NS).watching && world.lw(NS2).watching, 3000, 'watches open');
      await settle();
      expect((await drain(h.controller)).sort()).toEqual([`${NS2}/job-1`, `${NS}/job-7`]);
      const pod = local(h.world.pod(NS2, 'job-1')!);
      pod.metadata!.labels = { touched: 'yes' };
      h.world.lw(NS2).upsert(pod);
      await settle();
      expect(await drain(h.controller)).toEqual([`${NS2}/job-1`]);
    });

    it('before every informer has synced: requeued after 1 s, nothing sent', async () => {
      const world = new PodWorld();
      world.lw(NS2).hangLists = true;
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })], { world, sync: false });
      await until(() => h.controller.informers[0].hasSynced(), 3000, `${NS} synced`);
      expect(h.controller.notReadyReason()).toBe(`waiting for first sync of job-pods-${NS2}`);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 1000 });
      expect(h.optimizer.calls).toEqual([]);
      expect(h.api.patches).toEqual([]);
    });
  });

  describe('a running job', () => {
    it('nothing sent, nothing written, no requeue', async () => {
      h = await harness([jobPod({ job: 'running' })]);
      for (let i = 0; i < 3; i++) expect(await h.reconcile()).toBeUndefined();
      expect(h.optimizer.calls).toEqual([]);
      expect(h.api.patches).toEqual([]);
    });

    it('OnFailure with a failed container (it will be restarted): still running', async () => {
      h = await harness([jobPod({ restartPolicy: 'OnFailure', job: { startedAt: iso(T0 - 60 * SEC), finishedAt: iso(T0 - 10 * SEC), exitCode: 1 } })]);
      expect(await h.reconcile()).toBeUndefined();
      expect(h.optimizer.calls).toEqual([]);
    });
  });

  describe('waiting for the monitor', () => {
    it('requeued until the deadline (finishedAt + statsTimeout), then sent without cpu_time and max_memory', async () => {
      // Finished at T0-10 s; stats timeout 30 s: deadline T0+20 s.
      h = await harness([jobPod({ monitor: 'running' })]);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 20 * SEC });
      h.clock.jump(15 * SEC);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 5 * SEC });
      h.clock.jump(5 * SEC - 1);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 100 });
      expect(h.optimizer.calls).toEqual([]);
      h.clock.jump(1);
      expect(await h.reconcile()).toBeUndefined();
      expect(h.optimizer.measurements()).toHaveLength(1);
      const param = h.optimizer.measurements()[0].event.param as any;
      expect(param.metrics).toEqual({ duration: { value: 50, unit: 's' }, perf: { value: 0.02, unit: '1/s' } });
      expect(param.metrics).not.toHaveProperty('cpu_time');
      expect(param.metrics).not.toHaveProperty('max_memory');
    });

    it('the monitor\'s report arriving before the deadline: sent at once with cpu_time and max_memory', async () => {
      h = await harness([jobPod({ monitor: 'running' })]);
      expect(await h.reconcile()).toEqual({ requeueAfterMs: 20 * SEC });
      const pod = local(h.world.pod(NS, 'job-1')!);
      pod.status!.initContainerStatuses![0].state = { terminated: { exitCode: 0, message: MONITOR_MESSAGE } };
      h.world.lw(NS).upsert(pod);
      await settle();
      h.clock.jump(2 * SEC);
      expect(await h.reconcile()).toBeUndefined();
      expect((h.optimizer.measurements()[0].event.param as any).metrics.cpu_time).toEqual({ value: 12.5, unit: 's' });
    });

    it('a pod that is already Succeeded does not wait', async () => {
      h = await harness([jobPod({ monitor: 'running', phase: 'Succeeded' })]);
      expect(await h.reconcile()).toBeUndefined();
      expect(h.optimizer.measurements()).toHaveLength(1);
    });
  });

  describe('the measurement', () => {
    it('with the monitor\'s termination message: cpu_time and max_memory of the job container\'s group', async () => {
      h = await harness([
        jobPod({
          appId: 'team/a b',
          monitor: { message: MONITOR_MESSAGE },
          annotations: { 'done-at': String(Math.floor(T0 / 1000) - 30) },
          resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
        }),
      ]);
      expect(await h.reconcile()).toBeUndefined();
      expect(h.optimizer.calls).toHaveLength(1);
      const call = h.optimizer.calls[0];
      // {acct} and {app_id} each one percent-encoded path segment.
      expect(call.url).toBe('http://optimizer.test/metrics/acme/team%2Fa%20b/servo');
      expect(call.key).toBe(`uid-${NS}-job-1`);
      expect(call.event).toEqual({
        event: 'MEASUREMENT',
        param: {
          metrics: {
            duration: { value: 50, unit: 's' },
            perf: { value: 0.02, unit: '1/s' },
            cpu_time: { value: 12.5, unit: 's' },
            max_memory: { value: 104_857_600, unit: 'bytes' },
            // done-at (T0 - 30 s) minus creation (T0 - 120 s)
            est_duration: { value: 90, unit: 's' },
          },
          annotations: { resources: JSON.stringify({ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } }), exitcode: 0 },
        },
      });
    });

    it('a report whose groups do not match the container: no cpu_time, still sent', async () => {
      h = await harness([
        jobPod({
          monitor: {
            message: report([
              { cgroup: '/a', cpuSeconds: 1, maxMemoryBytes: 1 },
              { cgroup: '/b', cpuSeconds: 2, maxMemoryBytes: 2 },
            ]),
          },
        }),
      ]);
      await h.reconcile();
      const metrics = (h.optimizer.measurements()[0].event.param as any).metrics;
      expect(Object.keys(metrics).sort()).toEqual(['duration', 'perf']);
    });

    it('a failed job (Never, exit code 3) reports its exit code', async () => {
      h = await harness([jobPod({ job: { startedAt: iso(T0 - 20 * SEC), finishedAt: iso(T0 - 10 * SEC), exitCode: 3 }, monitor: 'absent' })]);
      await h.reconcile();
      const param = h.optimizer.measurements()[0].event.param as any;
      expect(param.annotations.exitcode).toBe(3);
      expect(param.metrics.duration).toEqual({ value: 10, unit: 's' });
    });

    it('a zero-duration job: duration 0, no perf, no Infinity or NaN in the body', async () => {
      const at = iso(T0 - 10 * SEC);
      h = await harness([jobPod({ job: { startedAt: at, finishedAt: at, exitCode: 0 }, monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      const event = h.optimizer.measurements()[0].event;
      const metrics = (event.param as any).metrics;
      expect(metrics.duration).toEqual({ value: 0, unit: 's' });
      expect(metrics).not.toHaveProperty('perf');
      expect(JSON.stringify(event)).not.toMatch(/null|Infinity|NaN/);
    });

    it('a pod deleted before it was scheduled: {"status":"failed","message":"job deleted before it ran"}', async () => {
      // Never scheduled: no node, no container status, Pending.
      const pod = jobPod({ job: 'running', nodeName: null, deletionTimestamp: iso(T0 - SEC), monitor: 'absent' });
      delete pod.status!.containerStatuses;
      pod.status!.phase = 'Pending';
      h = await harness([pod]);
      await h.reconcile();
      expect(h.optimizer.measurements().map((c) => c.event)).toEqual([{ event: 'MEASUREMENT', param: { status: 'failed', message: 'job deleted before it ran' } }]);
      expect(NEVER_RAN_MESSAGE).toBe('job deleted before it ran');
      await h.reconcile();
      // The finalizer released: the pod being deleted is gone.
      expect(h.api.patches).toHaveLength(1);
      expect(h.api.patches[0].body.metadata.finalizers).toBeNull();
      expect(h.world.pod(NS, 'job-1')).toBeUndefined();
      expect(await h.metric('servo_measurements_sent_total')).toBe(1);
    });

    // Regression (lib/api/servo/job.ts assessJob): an OnFailure pod that ended Failed (e.g. activeDeadlineSeconds) whose container ran and exited 1 is reported as "job deleted before it ran": a terminal pod's terminated container is final too.
    it('an OnFailure pod that ended Failed after its container ran: its measurement, not "deleted before it ran"', async () => {
      h = await harness([jobPod({ restartPolicy: 'OnFailure', phase: 'Failed', job: { startedAt: iso(T0 - 60 * SEC), finishedAt: iso(T0 - 10 * SEC), exitCode: 1 }, monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      const param = h.optimizer.measurements()[0].event.param as any;
      expect(param).not.toHaveProperty('status');
      expect(param.metrics.duration).toEqual({ value: 50, unit: 's' });
      expect(param.annotations.exitcode).toBe(1);
    });
  });

  describe('recording the outcome', () => {
    it('accepted: one merge patch with the resourceVersion precondition, the annotation, and the other finalizers kept', async () => {
      h = await harness([jobPod({ finalizers: [OTHER_FINALIZER, MEASUREMENT_FINALIZER], monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      // Delivered: the key is enqueued again (level-triggered), the next reconcile records it.
      expect(h.controller.controller.queue.length).toBe(1);
      const acceptedAt = h.clock.now();
      h.clock.jump(3 * SEC);
      const rv = h.world.pod(NS, 'job-1')!.metadata!.resourceVersion;
      await h.reconcile();
      expect(h.api.patches).toEqual([
        {
          namespace: NS,
          name: 'job-1',
          type: 'merge',
          body: {
            metadata: {
              resourceVersion: rv,
              finalizers: [OTHER_FINALIZER],
              annotations: { [MEASURED_ANNOTATION]: JSON.stringify({ at: iso(acceptedAt), status: 200 }) },
            },
          },
        },
      ]);
      const pod = h.world.pod(NS, 'job-1')!;
      expect(measured(pod)).toEqual({ at: iso(acceptedAt), status: 200 });
      expect(pod.metadata!.finalizers).toEqual([OTHER_FINALIZER]);
      expect(h.events.events).toEqual([]);
    });

    it('our finalizer the only one: finalizers null (removed)', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      await deliverAndRecord();
      expect(h.api.patches).toHaveLength(1);
      expect(h.api.patches[0].body.metadata.finalizers).toBeNull();
      expect(h.world.pod(NS, 'job-1')!.metadata!.finalizers).toBeUndefined();
    });

    it('exactly one MEASUREMENT per pod across repeated reconciles (pending, settled, recorded)', async () => {
      const gate = deferred<{ kind: 'accepted'; status: number }>();
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } }), jobPod({ name: 'job-2', monitor: { message: MONITOR_MESSAGE } })]);
      h.optimizer.answer = () => gate.promise;
      for (let i = 0; i < 3; i++) {
        await h.reconcile();
        await h.reconcile('job-2');
      }
      expect(h.optimizer.measurements().map((c) => c.key)).toEqual([`uid-${NS}-job-1`, `uid-${NS}-job-2`]);
      gate.resolve({ kind: 'accepted', status: 200 });
      await settle();
      for (let i = 0; i < 5; i++) {
        await h.reconcile();
        await h.reconcile('job-2');
        await h.clock.advance(60 * SEC);
      }
      expect(h.optimizer.measurements()).toHaveLength(2);
      expect(h.api.patches.map((p) => p.name)).toEqual(['job-1', 'job-2']);
      expect(await h.metric('servo_measurements_sent_total')).toBe(2);
    });

    it('after a restart, a pod carrying the annotation is never sent again; its finalizer (if still held) is released', async () => {
      const world = new PodWorld();
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })], { world });
      await deliverAndRecord();
      expect(h.optimizer.measurements()).toHaveLength(1);
      await h.stop();
      // A pod recorded by hand (or by an older replica) but still holding the finalizer.
      world.seed([jobPod({ name: 'job-2', annotations: { [MEASURED_ANNOTATION]: JSON.stringify({ at: iso(T0), status: 202 }) }, finalizers: [MEASUREMENT_FINALIZER, OTHER_FINALIZER], monitor: { message: MONITOR_MESSAGE } })]);
      h = await harness([], { world });
      for (let i = 0; i < 3; i++) {
        await h.reconcile();
        await h.reconcile('job-2');
      }
      expect(h.optimizer.measurements()).toEqual([]);
      expect(h.api.patches).toHaveLength(1);
      expect(h.api.patches[0]).toMatchObject({ name: 'job-2', body: { metadata: { resourceVersion: expect.any(String), finalizers: [OTHER_FINALIZER] } } });
      expect(h.api.patches[0].body.metadata).not.toHaveProperty('annotations');
      expect(world.pod(NS, 'job-2')!.metadata!.finalizers).toEqual([OTHER_FINALIZER]);
    });

    it('a pod recorded by someone else while its delivery is retrying: the delivery is cancelled, the finalizer released', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      h.optimizer.answer = () => ({ kind: 'retry', status: 503, reason: 'HTTP 503' });
      await h.reconcile();
      expect(h.controller.deliveries.pending).toBe(1);
      // kubectl annotate pod job-1 servo.platform-constructs.io/measured=...
      const pod = local(h.world.pod(NS, 'job-1')!);
      pod.metadata!.annotations = { [MEASURED_ANNOTATION]: JSON.stringify({ at: iso(T0), status: 299 }) };
      h.world.lw(NS).upsert(pod);
      await settle();
      await h.reconcile();
      expect(h.controller.deliveries.pending).toBe(0);
      await h.clock.advance(30 * 60 * SEC);
      expect(h.optimizer.measurements()).toHaveLength(1);
      expect(h.api.patches.map((p) => p.body.metadata)).toEqual([{ resourceVersion: expect.any(String), finalizers: null }]);
    });

    it('a 409 on the patch: retried on the next reconcile, without a second POST', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      h.api.fail.push(new ApiError(409, 'Conflict', 'the object has been modified'));
      await expect(h.controller.reconcile(`${NS}/job-1`)).resolves.toBeUndefined();
      expect(h.api.patches).toHaveLength(1);
      expect(measured(h.world.pod(NS, 'job-1'))).toBeUndefined();
      expect(await h.metric('servo_measurements_sent_total')).toBe(0);
      await h.reconcile();
      expect(h.api.patches).toHaveLength(2);
      expect(measured(h.world.pod(NS, 'job-1'))).toMatchObject({ status: 200 });
      expect(h.optimizer.measurements()).toHaveLength(1);
      expect(await h.metric('servo_measurements_sent_total')).toBe(1);
    });

    it('a real conflict (the pod changed since the cache saw it): the precondition fails, the update re-reconciles, one POST', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      // The kubelet updates the pod; the watch has not told the informer yet.
      const changed = local(h.world.pod(NS, 'job-1')!);
      changed.status!.phase = 'Succeeded';
      h.world.lw(NS).upsertSilently(changed);
      const serverRv = h.world.pod(NS, 'job-1')!.metadata!.resourceVersion;
      await h.reconcile();
      expect(h.api.patches).toHaveLength(1);
      expect(h.api.patches[0].body.metadata.resourceVersion).not.toBe(serverRv);
      expect(measured(h.world.pod(NS, 'job-1'))).toBeUndefined();
      // The event arrives.
      h.world.lw(NS).send('MODIFIED', local(h.world.pod(NS, 'job-1')!));
      await settle();
      await h.reconcile();
      expect(h.api.patches).toHaveLength(2);
      expect(h.api.patches[1].body.metadata.resourceVersion).toBe(serverRv);
      expect(measured(h.world.pod(NS, 'job-1'))).toMatchObject({ status: 200 });
      expect(h.optimizer.measurements()).toHaveLength(1);
    });

    it('another API error on the patch is thrown (the work queue retries it), still one POST', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      h.api.fail.push(new ApiError(500, 'InternalError', 'etcd timeout'));
      await expect(h.controller.reconcile(`${NS}/job-1`)).rejects.toThrow('etcd timeout');
      await h.reconcile();
      expect(measured(h.world.pod(NS, 'job-1'))).toMatchObject({ status: 200 });
      expect(h.optimizer.measurements()).toHaveLength(1);
    });

    it('a 404 on the patch (the pod went away): counted as done', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      h.api.fail.push(new ApiError(404, 'NotFound', 'gone'));
      await h.reconcile();
      expect(await h.metric('servo_measurements_sent_total')).toBe(1);
      expect(h.controller.deliveries.outcome(`uid-${NS}-job-1`)).toBeUndefined();
    });

    // Regression (runtime/servo/controller.ts reconcile/done): once the patch succeeded, the delivery is forgotten at once; a reconcile that runs before the watch delivers the patched pod (resync, leader start, requeue) sees no annotation and POSTs the measurement again.
    it('a reconcile before the informer has seen the recorded annotation does not send again', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      h.api.deliver = false;
      await h.reconcile();
      expect(measured(h.world.pod(NS, 'job-1'))).toMatchObject({ status: 200 });
      await h.reconcile();
      expect(h.optimizer.measurements()).toHaveLength(1);
    });
  });

  describe('a rejected measurement', () => {
    it('one Warning Event MeasurementRejected on the pod, the annotation with status 400, no retry', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      h.optimizer.answer = () => ({ kind: 'rejected', status: 400, reason: 'HTTP 400: unknown app' });
      await h.reconcile();
      // The first record fails with a conflict (the pod changed meanwhile): the Event is not repeated on the retry.
      const changed = local(h.world.pod(NS, 'job-1')!);
      changed.status!.phase = 'Succeeded';
      h.world.lw(NS).upsertSilently(changed);
      await h.reconcile();
      expect(measured(h.world.pod(NS, 'job-1'))).toBeUndefined();
      h.world.lw(NS).send('MODIFIED', local(h.world.pod(NS, 'job-1')!));
      await settle();
      await h.reconcile();
      expect(h.api.patches).toHaveLength(2);
      for (let i = 0; i < 3; i++) {
        await h.clock.advance(10 * 60 * SEC);
        await h.reconcile();
      }
      expect(h.optimizer.measurements()).toHaveLength(1);
      expect(h.events.events).toEqual([
        { namespace: NS, reason: 'MeasurementRejected', type: 'Warning', on: 'job-1', kind: 'Pod', message: expect.stringContaining('HTTP 400: unknown app') },
      ]);
      const pod = h.world.pod(NS, 'job-1')!;
      expect(measured(pod)).toEqual({ at: iso(T0), status: 400 });
      expect(pod.metadata!.finalizers).toBeUndefined();
      expect(await h.metric('servo_measurements_failed_total', { reason: 'http_400' })).toBe(1);
      expect(await h.metric('servo_measurements_sent_total')).toBe(0);
    });
  });

  describe('pods that are not (or no longer) jobs', () => {
    it('a pod without an app id carrying our finalizer: the finalizer released, nothing sent', async () => {
      h = await harness([jobPod({ appId: null, finalizers: [MEASUREMENT_FINALIZER, OTHER_FINALIZER], monitor: { message: MONITOR_MESSAGE } })]);
      await h.reconcile();
      expect(h.optimizer.calls).toEqual([]);
      expect(h.api.patches).toHaveLength(1);
      expect(h.api.patches[0].body).toEqual({ metadata: { resourceVersion: expect.any(String), finalizers: [OTHER_FINALIZER] } });
      await h.reconcile();
      expect(h.api.patches).toHaveLength(1);
    });

    it('a pod without an app id and without our finalizer: nothing at all', async () => {
      h = await harness([jobPod({ appId: null, finalizers: [] })]);
      await h.reconcile();
      expect(h.optimizer.calls).toEqual([]);
      expect(h.api.patches).toEqual([]);
    });

    it('pods missing status or spec fields never throw', async () => {
      const bare = (name: string, extra: Record<string, unknown>) => ({ metadata: { name, namespace: NS, uid: `uid-${name}` }, ...extra }) as V1Pod;
      const env = [{ name: 'JOBID', value: 'a' }];
      const pods = [
        bare('no-spec', {}),
        bare('no-containers', { spec: { restartPolicy: 'Never' } }),
        bare('no-status', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }] } }),
        bare('empty-status', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }] }, status: {} }),
        bare('no-state', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }] }, status: { containerStatuses: [{ name: 'c' }] } }),
        bare('empty-terminated', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }] }, status: { containerStatuses: [{ name: 'c', state: { terminated: {} } }] } }),
        bare('bad-times', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }] }, status: { containerStatuses: [{ name: 'c', state: { terminated: { startedAt: 'yesterday', finishedAt: null } } }] } }),
        bare('monitor-no-status', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }], initContainers: [{ name: MONITOR_CONTAINER }] }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'c', state: { terminated: { startedAt: iso(T0 - 5000), finishedAt: iso(T0) } } }] } }),
        bare('garbage-report', { spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }], initContainers: [{ name: MONITOR_CONTAINER }] }, status: { containerStatuses: [{ name: 'c', state: { terminated: { startedAt: iso(T0 - 5000), finishedAt: iso(T0) } } }], initContainerStatuses: [{ name: MONITOR_CONTAINER, state: { terminated: { message: '{"v":1,"groups":[{"cgroup":5}]}' } } }] } }),
        bare('no-uid', { metadata: { name: 'no-uid', namespace: NS }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', env }] }, status: { phase: 'Failed' } }),
      ];
      h = await harness(pods);
      for (const p of pods) {
        await h.reconcile(p.metadata!.name!);
        await h.reconcile(p.metadata!.name!);
      }
      // Those that ended or never ran are reported; the others wait.
      const sent = Object.fromEntries(h.optimizer.measurements().map((c) => [c.key, c.event.param]));
      expect(Object.keys(sent).sort()).toEqual([`${NS}/no-uid`, 'uid-bad-times', 'uid-empty-terminated', 'uid-garbage-report', 'uid-monitor-no-status'].sort());
      expect(sent['uid-bad-times']).toEqual({ status: 'failed', message: NEVER_RAN_MESSAGE });
      expect(sent[`${NS}/no-uid`]).toEqual({ status: 'failed', message: NEVER_RAN_MESSAGE });
      expect((sent['uid-garbage-report'] as any).metrics.duration).toEqual({ value: 5, unit: 's' });
      expect((sent['uid-garbage-report'] as any).metrics).not.toHaveProperty('cpu_time');
      expect((sent['uid-monitor-no-status'] as any).annotations.exitcode).toBe(-1);
    });
  });

  describe('a pod gone from the cache', () => {
    it('while its delivery is pending: the delivery goes on, and its outcome is counted and dropped', async () => {
      const gate = deferred<{ kind: 'accepted'; status: number }>();
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      h.optimizer.answer = () => gate.promise;
      await h.reconcile();
      h.world.lw(NS).remove(NS, 'job-1');
      await settle();
      await h.reconcile();
      expect(h.controller.deliveries.pending).toBe(1);
      gate.resolve({ kind: 'accepted', status: 200 });
      await settle();
      await h.reconcile();
      expect(h.controller.deliveries.outcome(`uid-${NS}-job-1`)).toBeUndefined();
      expect(await h.metric('servo_measurements_sent_total')).toBe(1);
      expect(h.api.patches).toEqual([]);
    });
  });

  describe('metrics', () => {
    it('pending while retrying, sent once recorded, failed by reason', async () => {
      h = await harness(
        [jobPod({ monitor: { message: MONITOR_MESSAGE } }), jobPod({ name: 'job-2', monitor: { message: MONITOR_MESSAGE } }), jobPod({ name: 'job-3', monitor: { message: MONITOR_MESSAGE } })],
        { initialBackoffMs: 1000 },
      );
      const perPod = new Map<string, number>();
      h.optimizer.answer = (c) => {
        const n = (perPod.get(c.key) ?? 0) + 1;
        perPod.set(c.key, n);
        if (c.key.endsWith('job-3')) return { kind: 'rejected', status: 422, reason: 'HTTP 422' };
        return n <= 2 ? { kind: 'retry', status: 503, reason: 'HTTP 503' } : { kind: 'accepted', status: 201 };
      };
      for (const p of ['job-1', 'job-2', 'job-3']) await h.reconcile(p);
      expect(await h.metric('servo_measurements_pending')).toBe(2);
      expect(await h.metric('servo_measurements_sent_total')).toBe(0);
      await h.reconcile('job-3');
      expect(await h.metric('servo_measurements_failed_total', { reason: 'http_422' })).toBe(1);
      // 1 s, then 2 s of backoff (each with up to 20% of jitter).
      await h.clock.advance(4 * SEC);
      expect(await h.metric('servo_measurements_pending')).toBe(0);
      expect(await h.metric('servo_measurements_sent_total')).toBe(0);
      await h.reconcile('job-1');
      expect(await h.metric('servo_measurements_sent_total')).toBe(1);
      await h.reconcile('job-2');
      expect(await h.metric('servo_measurements_sent_total')).toBe(2);
      expect(await h.metric('servo_post_attempts_total', { result: 'retry' })).toBe(4);
      expect(await h.metric('servo_post_attempts_total', { result: 'accepted' })).toBe(2);
      expect(await h.metric('servo_post_attempts_total', { result: 'rejected' })).toBe(1);
      expect(measured(h.world.pod(NS, 'job-1'))).toEqual({ at: iso(T0 + 3 * SEC), status: 201 });
    });
  });

  describe('start and stop', () => {
    it('HELLO on start and GOODBYE on stop, to the _global_ app id; the workers deliver and record on their own', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } }), jobPod({ namespace: NS2, name: 'job-9', monitor: { message: MONITOR_MESSAGE } })]);
      h.controller.start();
      await until(() => h.world.pod(NS, 'job-1')?.metadata?.annotations?.[MEASURED_ANNOTATION] !== undefined && h.world.pod(NS2, 'job-9')?.metadata?.annotations?.[MEASURED_ANNOTATION] !== undefined, 3000, 'both recorded');
      await h.controller.stop();
      const global = `http://optimizer.test/metrics/${ACCOUNT}/${GLOBAL_APP_ID}/servo`;
      const events = h.optimizer.calls.map((c) => c.event.event);
      expect(events[0]).toBe('HELLO');
      expect(events[events.length - 1]).toBe('GOODBYE');
      expect(events.filter((e) => e === 'MEASUREMENT')).toHaveLength(2);
      expect(h.optimizer.calls[0]).toMatchObject({ url: global, event: { event: 'HELLO', param: { account: ACCOUNT } }, key: 'HELLO-servo-0' });
      expect(h.optimizer.calls[h.optimizer.calls.length - 1]).toMatchObject({ url: global, event: { event: 'GOODBYE', param: { account: ACCOUNT, reason: 'shutdown' } }, key: 'GOODBYE-servo-0' });
      expect(h.api.patches).toHaveLength(2);
    });

    it('HELLO is retried with backoff while the optimizer cannot be reached, and stops with the leadership', async () => {
      h = await harness([]);
      let refusals = 2;
      h.optimizer.answer = () => (refusals-- > 0 ? { kind: 'retry', reason: 'connect ECONNREFUSED' } : { kind: 'accepted', status: 200 });
      h.controller.start();
      await until(() => h.optimizer.calls.length === 1, 3000, 'first HELLO');
      await h.clock.advance(1300); // first backoff: 1 s, +20 % jitter at most
      await until(() => h.optimizer.calls.length === 2, 3000, 'second HELLO');
      await h.clock.advance(2500); // second: 2 s, +20 %
      await until(() => h.optimizer.calls.length === 3, 3000, 'third HELLO, accepted');
      await h.clock.advance(60_000);
      expect(h.optimizer.calls.map((c) => c.event.event)).toEqual(['HELLO', 'HELLO', 'HELLO']);

      // Refused for ever: the attempts end when leadership does.
      h.optimizer.calls.length = 0;
      h.optimizer.answer = (c) => (c.event.event === 'HELLO' ? { kind: 'retry', reason: 'HTTP 503', status: 503 } : { kind: 'accepted', status: 200 });
      h.controller.start();
      await until(() => h.optimizer.calls.length === 1, 3000, 'HELLO of the new leadership');
      await h.controller.stop();
      await h.clock.advance(600_000);
      expect(h.optimizer.calls.map((c) => c.event.event)).toEqual(['HELLO', 'GOODBYE']);
    });

    it('no account: HELLO carries account null and an empty {acct}', async () => {
      h = await harness([], { options: { account: undefined }, optimizer: new FakeOptimizer() });
      h.controller.start();
      await until(() => h.optimizer.calls.length === 1, 3000, 'HELLO');
      expect(h.optimizer.calls[0]).toMatchObject({ url: `http://optimizer.test/metrics//${GLOBAL_APP_ID}/servo`, event: { event: 'HELLO', param: { account: null } } });
    });

    it('stop() aborts the measurements in flight (not counted, not recorded)', async () => {
      h = await harness([jobPod({ monitor: { message: MONITOR_MESSAGE } })]);
      h.optimizer.answer = (c) => (c.event.event === 'MEASUREMENT' ? new Promise(() => {}) : { kind: 'accepted', status: 200 });
      await h.reconcile();
      const flying = h.optimizer.measurements()[0].signal;
      await h.controller.stop();
      expect(flying.aborted).toBe(true);
      expect(h.controller.deliveries.pending).toBe(0);
      expect(h.api.patches).toEqual([]);
      expect(h.optimizer.calls.map((c) => c.event.event)).toEqual(['MEASUREMENT', 'GOODBYE']);
    });
  });
});
