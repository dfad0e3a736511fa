/**
 * Which pods are jobs and what their measurement is (lib/api/servo/job.ts): the original's
 * `get_jobid()` and `report_task()`, with its crashes and its division by zero fixed.
 */
import fc from 'fast-check';
import { parseAppIdPath, type AppIdPath } from '../../../lib/api/servo/app-id.js';
import {
  assessJob, hasFinalizer, hasMonitor, jobAppId, jobContainer, measuredRecordOf, NEVER_RAN_MESSAGE, type AssessOptions, type JobAssessment,
} from '../../../lib/api/servo/job.js';
import { encodeMonitorReport, type MonitorReport } from '../../../lib/api/servo/monitor-report.js';
import {
  DEFAULT_APP_ID_PATH, DONE_AT_ANNOTATION, MEASURED_ANNOTATION, MEASUREMENT_FINALIZER, MONITOR_CONTAINER,
} from '../../../lib/api/servo/names.js';
import { isPodTerminal, podRef, type ContainerStatus, type JobPodObject } from '../../../lib/api/servo/pod.js';
import { appIdOf } from '../../../lib/api/servo/app-id.js';
import type { MeasurementParam } from '../../../lib/api/servo/wire.js';

const SEED = 2024;

function path(text: string): AppIdPath {
  const p = parseAppIdPath(text);
  if (typeof p === 'string') throw new Error(`${text}: ${p}`);
  return p;
}

const DEFAULT_PATH = path(DEFAULT_APP_ID_PATH);
const STATS_TIMEOUT = 30_000;
const opts = (appIdPath: AppIdPath = DEFAULT_PATH, namespaces: string[] = ['default', 'jobs']): AssessOptions => ({ selection: { namespaces, appIdPath }, statsTimeoutMs: STATS_TIMEOUT });

const T0 = '2024-05-01T10:00:00Z';
const T0_MS = Date.parse(T0);
const at = (seconds: number) => new Date(T0_MS + seconds * 1000).toISOString().replace('.000Z', 'Z');
const CID = 'containerd://4f1c2a9e0b7d';
const RESOURCES = { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '256Mi' } };

interface PodOpts {
  namespace?: string;
  restartPolicy?: string | null;
  jobId?: string;
  phase?: string;
  statuses?: ContainerStatus[];
  initStatuses?: ContainerStatus[];
  monitor?: boolean;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  nodeName?: string | null;
  resources?: boolean;
}

/** A job pod in `default`: container `main` with env JOBID, Never, scheduled. */
function jobPod(o: PodOpts = {}): JobPodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'job-1',
      namespace: o.namespace ?? 'default',
      uid: 'u-1',
      creationTimestamp: T0,
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}),
    },
    spec: {
      ...(o.restartPolicy === null ? {} : { restartPolicy: o.restartPolicy ?? 'Never' }),
      ...(o.nodeName === null ? {} : { nodeName: o.nodeName ?? 'node-a' }),
      containers: [{ name: 'main', image: 'job:1', env: [{ name: 'JOBID', value: o.jobId ?? 'job-42' }], ...(o.resources === false ? {} : { resources: RESOURCES }) }],
      ...(o.monitor ? { initContainers: [{ name: MONITOR_CONTAINER, image: 'pc:1', restartPolicy: 'Always' }], shareProcessNamespace: true } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.statuses ? { containerStatuses: o.statuses } : {}),
      ...(o.initStatuses ? { initContainerStatuses: o.initStatuses } : {}),
    },
  };
}

const terminated = (name: string, exitCode: number | undefined, startedAt: string | null, finishedAt: string | null, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  containerID: CID,
  state: { terminated: { ...(exitCode === undefined ? {} : { exitCode }), startedAt, finishedAt, reason: exitCode ? 'Error' : 'Completed' } },
  ...extra,
});
const running = (name: string): ContainerStatus => ({ name, containerID: CID, state: { running: { startedAt: T0 } } });
const monitorDone = (report: MonitorReport | string): ContainerStatus => ({
  name: MONITOR_CONTAINER,
  state: { terminated: { exitCode: 0, startedAt: T0, finishedAt: at(20), message: typeof report === 'string' ? report : encodeMonitorReport(report) } },
});
const group = (cgroup: string, cpuSeconds: number, maxMemoryBytes: number) => ({ cgroup, cpuSeconds, maxMemoryBytes, processes: 2 });
const report = (groups: ReturnType<typeof group>[], error?: string): MonitorReport => ({ v: 1, intervalMs: 100, samples: 150, groups, ...(error ? { error } : {}) });

function reported(a: JobAssessment): Extract<JobAssessment, { state: 'report' }> & { param: MeasurementParam } {
  if (a.state !== 'report' || !('metrics' in a.param)) throw new Error(`not a measurement: ${JSON.stringify(a)}`);
  return a as Extract<JobAssessment, { state: 'report' }> & { param: MeasurementParam };
}

describe('pod helpers', () => {
  it('isPodTerminal: Succeeded and Failed only', () => {
    expect(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', undefined].map((phase) => isPodTerminal({ status: phase ? { phase } : {} }))).toEqual([false, false, true, true, false, false]);
    expect(isPodTerminal({})).toBe(false);
  });

  it('podRef: namespace/name, generateName, or ?', () => {
    expect(podRef(jobPod())).toBe('default/job-1');
    expect(podRef({ metadata: { namespace: 'jobs', generateName: 'run-' } })).toBe('jobs/run-');
    expect(podRef({})).toBe('?/?');
  });
});

describe('jobAppId: which pods are jobs', () => {
  it('a pod in a watched namespace with JOBID and restartPolicy Never or OnFailure', () => {
    expect(jobAppId(jobPod(), opts().selection)).toBe('job-42');
    expect(jobAppId(jobPod({ restartPolicy: 'OnFailure', namespace: 'jobs' }), opts().selection)).toBe('job-42');
  });

  it('restartPolicy Always, or absent (the API server defaults it to Always), is never a job', () => {
    expect(jobAppId(jobPod({ restartPolicy: 'Always' }), opts().selection)).toBeUndefined();
    expect(jobAppId(jobPod({ restartPolicy: null }), opts().selection)).toBeUndefined();
  });

  it('a namespace that is not watched, or none', () => {
    expect(jobAppId(jobPod({ namespace: 'kube-system' }), opts().selection)).toBeUndefined();
    const noNs = jobPod();
    expect(jobAppId({ ...noNs, metadata: { name: 'x' } }, opts().selection)).toBeUndefined();
  });

  it('an empty or missing app id is not a job', () => {
    expect(jobAppId(jobPod({ jobId: '' }), opts().selection)).toBeUndefined();
    expect(jobAppId({ metadata: { namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main' }] } }, opts().selection)).toBeUndefined();
  });
});

describe('jobContainer', () => {
  const pod: JobPodObject = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };

  it('by index, by name, the first when the index is out of range', () => {
    expect(jobContainer(pod, path('spec/containers/1/env/[JOBID]'))?.name).toBe('b');
    expect(jobContainer(pod, path('spec/containers/[b,name,env]/[JOBID]'))?.name).toBe('b');
    expect(jobContainer(pod, path('spec/containers/5/env/[JOBID]'))?.name).toBe('a');
    expect(jobContainer(pod, path('metadata/labels/app-id'))?.name).toBe('a');
  });

  it('a name that is not there gives no container, nor does a pod without containers', () => {
    expect(jobContainer(pod, path('spec/containers/[c,name,env]/[JOBID]'))).toBeUndefined();
    expect(jobContainer({}, DEFAULT_PATH)).toBeUndefined();
  });
});

describe('measuredRecordOf, hasFinalizer, hasMonitor', () => {
  it('the measured annotation as written; a hand-written value still settles, as status 0', () => {
    expect(measuredRecordOf(jobPod({ annotations: { [MEASURED_ANNOTATION]: '{"at":"2024-05-01T10:01:00Z","status":202}' } }))).toEqual({ at: '2024-05-01T10:01:00Z', status: 202 });
    for (const raw of ['done', '', '{"status":"200"}', '{"at":1,"status":200}', 'null', '[]']) {
      expect([raw, measuredRecordOf(jobPod({ annotations: { [MEASURED_ANNOTATION]: raw } }))]).toEqual([raw, { at: '', status: 0 }]);
    }
    expect(measuredRecordOf(jobPod())).toBeUndefined();
  });

  it('hasFinalizer looks for ours only', () => {
    expect(hasFinalizer({ metadata: { finalizers: ['x', MEASUREMENT_FINALIZER] } })).toBe(true);
    expect(hasFinalizer({ metadata: { finalizers: ['x'] } })).toBe(false);
    expect(hasFinalizer({})).toBe(false);
  });

  it('hasMonitor: the monitor as an init container or a regular container', () => {
    expect(hasMonitor(jobPod({ monitor: true }))).toBe(true);
    expect(hasMonitor({ spec: { containers: [{ name: MONITOR_CONTAINER }] } })).toBe(true);
    expect(hasMonitor(jobPod())).toBe(false);
    expect(hasMonitor({})).toBe(false);
  });
});

describe('assessJob', () => {
  const NOW = T0_MS + 3_600_000;

  it('not a job: nothing to do', () => {
    expect(assessJob(jobPod({ restartPolicy: 'Always' }), opts(), NOW)).toEqual({ state: 'not-a-job' });
    expect(assessJob(jobPod({ namespace: 'other' }), opts(), NOW)).toEqual({ state: 'not-a-job' });
  });

  it('settled: the measured annotation wins over anything else in the pod', () => {
    const pod = jobPod({ annotations: { [MEASURED_ANNOTATION]: '{"at":"x","status":200}' }, statuses: [terminated('main', 0, at(0), at(10))] });
    expect(assessJob(pod, opts(), NOW)).toEqual({ state: 'settled', record: { at: 'x', status: 200 } });
  });

  it('running: no status yet, waiting, running', () => {
    expect(assessJob(jobPod({ phase: 'Pending' }), opts(), NOW)).toEqual({ state: 'running', appId: 'job-42' });
    expect(assessJob(jobPod({ statuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }] }), opts(), NOW)).toEqual({ state: 'running', appId: 'job-42' });
    expect(assessJob(jobPod({ statuses: [running('main')] }), opts(), NOW)).toEqual({ state: 'running', appId: 'job-42' });
  });

  it('another container\'s end is not the job\'s end', () => {
    expect(assessJob(jobPod({ statuses: [terminated('side', 0, at(0), at(5)), running('main')] }), opts(), NOW).state).toBe('running');
  });

  it('a finished job: duration = finishedAt - startedAt of its container, perf = 1/duration, the exit code and its resources', () => {
    const a = reported(assessJob(jobPod({ phase: 'Failed', statuses: [running('side'), terminated('main', 3, at(0), at(8))] }), opts(), NOW));
    expect(a).toEqual({
      state: 'report',
      appId: 'job-42',
      finishedAtMs: T0_MS + 8000,
      notes: [],
      param: {
        metrics: { duration: { value: 8, unit: 's' }, perf: { value: 0.125, unit: '1/s' } },
        annotations: { resources: JSON.stringify(RESOURCES), exitcode: 3 },
      },
    });
    expect(JSON.parse(a.param.annotations.resources)).toEqual(RESOURCES);
  });

  it('the resources annotation is {} for a container without resources; a missing exit code is -1', () => {
    const a = reported(assessJob(jobPod({ resources: false, statuses: [terminated('main', undefined, at(0), at(1))] }), opts(), NOW));
    expect(a.param.annotations).toEqual({ resources: '{}', exitcode: -1 });
  });

  it('a zero duration (the original divided by it): perf omitted, with a note', () => {
    const a = reported(assessJob(jobPod({ statuses: [terminated('main', 0, at(4), at(4))] }), opts(), NOW));
    expect(a.param.metrics).toEqual({ duration: { value: 0, unit: 's' } });
    expect(a.param.metrics.perf).toBeUndefined();
    expect(a.notes).toEqual([expect.stringMatching(/perf omitted/)]);
  });

  it('finishedAt before startedAt: duration 0, perf omitted, both noted', () => {
    const a = reported(assessJob(jobPod({ statuses: [terminated('main', 0, at(9), at(4))] }), opts(), NOW));
    expect(a.param.metrics).toEqual({ duration: { value: 0, unit: 's' } });
    expect(a.notes).toEqual([expect.stringMatching(/before startedAt/), expect.stringMatching(/perf omitted/)]);
  });

  it('OnFailure: exit 0 is final; a non-zero exit is not (the kubelet restarts it)', () => {
    expect(reported(assessJob(jobPod({ restartPolicy: 'OnFailure', statuses: [terminated('main', 0, at(0), at(2))] }), opts(), NOW)).param.metrics.duration.value).toBe(2);
    expect(assessJob(jobPod({ restartPolicy: 'OnFailure', statuses: [terminated('main', 1, at(0), at(2))] }), opts(), NOW)).toEqual({ state: 'running', appId: 'job-42' });
  });

  // Regression: `ended` requires Never or exit 0, ignoring that a Failed pod restarts nothing (activeDeadlineSeconds,
  // eviction): the job ran for 30 s and exited 1, yet it is reported as "job deleted before it ran".
  it('OnFailure in a Failed pod: the last non-zero exit is final and measured', () => {
    const a = assessJob(jobPod({ restartPolicy: 'OnFailure', phase: 'Failed', statuses: [terminated('main', 1, at(0), at(30))] }), opts(), NOW);
    expect(reported(a).param).toEqual({
      metrics: { duration: { value: 30, unit: 's' }, perf: { value: 1 / 30, unit: '1/s' } },
      annotations: { resources: JSON.stringify(RESOURCES), exitcode: 1 },
    });
  });

  it('never ran: terminated without startedAt or finishedAt (as the original), a finished pod without the job\'s end, deleted before scheduling', () => {
    const neverRan = { state: 'report', appId: 'job-42', param: { status: 'failed', message: NEVER_RAN_MESSAGE }, notes: [] };
    expect(NEVER_RAN_MESSAGE).toBe('job deleted before it ran');
    expect(assessJob(jobPod({ statuses: [terminated('main', 128, null, null)] }), opts(), NOW)).toEqual(neverRan);
    expect(assessJob(jobPod({ statuses: [terminated('main', 128, null, at(3))] }), opts(), NOW)).toEqual(neverRan);
    expect(assessJob(jobPod({ statuses: [terminated('main', 0, at(0), 'garbage')] }), opts(), NOW)).toEqual(neverRan);
    expect(assessJob(jobPod({ phase: 'Failed' }), opts(), NOW)).toEqual(neverRan);
    expect(assessJob(jobPod({ phase: 'Succeeded', statuses: [running('main')] }), opts(), NOW)).toEqual(neverRan);
    expect(assessJob(jobPod({ phase: 'Pending', deletionTimestamp: at(1), nodeName: null }), opts(), NOW)).toEqual(neverRan);
  });

  it('deleted while scheduled: still running (the kubelet will end it and its status will say how)', () => {
    expect(assessJob(jobPod({ deletionTimestamp: at(1), statuses: [running('main')] }), opts(), NOW)).toEqual({ state: 'running', appId: 'job-42' });
  });

  it('the job container is the one of the path, its status found by name wherever it is listed', () => {
    const pod: JobPodObject = {
      metadata: { namespace: 'default', name: 'p' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          { name: 'proxy', resources: { limits: { cpu: '100m' } } },
          { name: 'worker', env: [{ name: 'JOBID', value: 'w-1' }], resources: { limits: { cpu: '2' } } },
        ],
      },
      status: { containerStatuses: [terminated('worker', 0, at(0), at(20)), terminated('proxy', 0, at(0), at(1))] },
    };
    for (const p of ['spec/containers/1/env/[JOBID]', 'spec/containers/[worker,name,env]/[JOBID]']) {
      const a = reported(assessJob(pod, opts(path(p)), NOW));
      expect([p, a.appId, a.param.metrics.duration.value, a.param.annotations.resources]).toEqual([p, 'w-1', 20, '{"limits":{"cpu":"2"}}']);
    }
  });

  describe('with the monitor', () => {
    const ended = terminated('main', 0, at(0), at(10));

    it('awaits the monitor\'s figures until statsTimeout after the job\'s end', () => {
      const pod = jobPod({ monitor: true, statuses: [ended], initStatuses: [{ name: MONITOR_CONTAINER, state: { running: {} } }] });
      const deadlineMs = T0_MS + 10_000 + STATS_TIMEOUT;
      expect(assessJob(pod, opts(), deadlineMs - 1)).toEqual({ state: 'awaiting-monitor', appId: 'job-42', deadlineMs });
      const late = reported(assessJob(pod, opts(), deadlineMs));
      expect(late.param.metrics).toEqual({ duration: { value: 10, unit: 's' }, perf: { value: 0.1, unit: '1/s' } });
      expect(late.notes).toEqual([expect.stringMatching(/did not report in time/)]);
    });

    it('a finished pod is not waited for', () => {
      const pod = jobPod({ monitor: true, phase: 'Succeeded', statuses: [ended] });
      expect(reported(assessJob(pod, opts(), T0_MS)).notes).toEqual([expect.stringMatching(/did not report in time/)]);
    });

    it('cpu_time and max_memory of the group of the job container, matched by its containerID', () => {
      const id = CID.replace('containerd://', '');
      const r = report([group(`/kubepods/burstable/podu-1/${'9'.repeat(12)}`, 50, 9e9), group(`/kubepods/burstable/podu-1/${id}`, 7.25, 123_456_789)]);
      const a = reported(assessJob(jobPod({ monitor: true, statuses: [ended], initStatuses: [monitorDone(r)] }), opts(), T0_MS));
      expect(a.param.metrics).toEqual({
        duration: { value: 10, unit: 's' },
        perf: { value: 0.1, unit: '1/s' },
        cpu_time: { value: 7.25, unit: 's' },
        max_memory: { value: 123_456_789, unit: 'bytes' },
      });
      expect(a.notes).toEqual([]);
    });

    it('the monitor listed among the regular containers is read as well', () => {
      const pod: JobPodObject = {
        ...jobPod(),
        spec: { ...jobPod().spec, containers: [...jobPod().spec!.containers!, { name: MONITOR_CONTAINER }] },
        status: { phase: 'Running', containerStatuses: [ended, monitorDone(report([group('/x', 1, 2)]))] },
      };
      expect(reported(assessJob(pod, opts(), T0_MS)).param.metrics.cpu_time).toEqual({ value: 1, unit: 's' });
    });

    it.each([
      ['no message', '', /left no termination message/],
      ['not JSON', 'Killed', /not JSON/],
      ['another version', '{"v":2,"groups":[]}', /not a version 1 report/],
    ])('a report that cannot be read (%s): the measurement without cpu_time and max_memory, noted', (_, message, note) => {
      const a = reported(assessJob(jobPod({ monitor: true, statuses: [ended], initStatuses: [monitorDone(message)] }), opts(), T0_MS));
      expect(a.param.metrics.cpu_time).toBeUndefined();
      expect(a.param.metrics.max_memory).toBeUndefined();
      expect(a.param.metrics.duration.value).toBe(10);
      expect(a.notes).toEqual([expect.stringMatching(note)]);
    });

    it('no group of the job container: noted with the monitor\'s error', () => {
      const r = report([group('/a', 1, 1), group('/b', 2, 2)], 'shareProcessNamespace is false');
      const a = reported(assessJob(jobPod({ monitor: true, statuses: [ended], initStatuses: [monitorDone(r)] }), opts(), T0_MS));
      expect(a.param.metrics.cpu_time).toBeUndefined();
      expect(a.notes).toEqual(['the monitor saw no process of the job container (shareProcessNamespace is false): cpu_time and max_memory omitted']);
    });

    it('a pod without the monitor never waits and has no cpu_time', () => {
      const a = reported(assessJob(jobPod({ statuses: [ended], initStatuses: [monitorDone(report([group('/x', 1, 2)]))] }), opts(), T0_MS));
      expect(a.param.metrics.cpu_time).toBeUndefined();
      expect(a.notes).toEqual([]);
    });
  });

  describe('est_duration from the done-at annotation (Unix seconds) minus the creation', () => {
    const ended = terminated('main', 0, at(0), at(10));
    const created = Math.floor(T0_MS / 1000);

    it('a number of seconds, trimmed', () => {
      expect(reported(assessJob(jobPod({ annotations: { [DONE_AT_ANNOTATION]: String(created + 42) }, statuses: [ended] }), opts(), NOW)).param.metrics.est_duration).toEqual({ value: 42, unit: 's' });
      expect(reported(assessJob(jobPod({ annotations: { [DONE_AT_ANNOTATION]: ` ${created + 5} ` }, statuses: [ended] }), opts(), NOW)).param.metrics.est_duration).toEqual({ value: 5, unit: 's' });
    });

    it('anything else, or no creation time: absent', () => {
      for (const v of ['soon', '', '1.5', '-3', '12abc']) {
        expect([v, reported(assessJob(jobPod({ annotations: { [DONE_AT_ANNOTATION]: v }, statuses: [ended] }), opts(), NOW)).param.metrics.est_duration]).toEqual([v, undefined]);
      }
      const pod = jobPod({ annotations: { [DONE_AT_ANNOTATION]: String(created + 42) }, statuses: [ended] });
      const noCreation = { ...pod, metadata: { ...pod.metadata, creationTimestamp: undefined } };
      expect(reported(assessJob(noCreation, opts(), NOW)).param.metrics.est_duration).toBeUndefined();
    });
  });
});

// ---- properties: assessJob never throws --------------------------------------------------------

const TIMES = ['2024-05-01T10:00:00Z', '2024-05-01T10:00:07Z', '2024-05-01T09:59:00Z', '2024-05-01T11:30:00Z', 'not a time', ''];
const time = fc.oneof(fc.constantFrom(...TIMES), fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('2100-01-01') }).map((d) => d.toISOString()));
const monitorMessage = fc.oneof(
  fc.constantFrom('', 'Killed', '{"v":1}', '{"v":1,"groups":[{"cgroup":"/a"}]}', 'null'),
  fc.array(fc.record({ cgroup: fc.constantFrom('/kubepods/abc', '/kubepods/def', '/x'), cpuSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }), maxMemoryBytes: fc.nat(), processes: fc.nat() }), { maxLength: 4 })
    .map((groups) => encodeMonitorReport({ v: 1, intervalMs: 100, samples: 3, groups })),
  fc.string(),
);

interface Shape {
  /** Wraps the arbitrary of each field: identity for well-typed pods, or adding nulls and wrong types. */
  readonly f: <T>(arb: fc.Arbitrary<T>) => fc.Arbitrary<unknown>;
}

const ABSENT = Symbol('absent');

/**
 * A random partial pod: every key may be missing (one in eight), `f` may add nulls and values of
 * other types. Biased towards jobs (namespace, restartPolicy, JOBID and container names mostly
 * right), so that most samples reach the deeper parts of the assessment.
 */
function podArbitrary({ f }: Shape): fc.Arbitrary<JobPodObject> {
  const rec = (model: Record<string, fc.Arbitrary<unknown>>) =>
    fc
      .record(Object.fromEntries(Object.entries(model).map(([k, v]) => [k, fc.option(f(v), { freq: 8, nil: ABSENT })])))
      .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== ABSENT)));
  const list = <T>(arb: fc.Arbitrary<T>, maxLength: number) => fc.array(f(arb), { maxLength });
  const name = fc.constantFrom('main', 'main', 'main', 'side', MONITOR_CONTAINER);
  const envEntry = rec({ name: fc.constantFrom('JOBID', 'JOBID', 'OTHER'), value: fc.constantFrom('job-1', 'job-1', '', 'a/b') });
  const quantities = fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '64Mi'));
  const container = rec({ name, image: fc.constant('img'), env: list(envEntry, 3), resources: rec({ requests: quantities, limits: quantities }) });
  const terminatedState = rec({ exitCode: fc.integer({ min: -1, max: 3 }), startedAt: fc.option(time), finishedAt: fc.option(time), message: monitorMessage, reason: fc.string() });
  const status = rec({
    name,
    containerID: fc.constantFrom('containerd://abc', 'cri-o://def', 'containerd://', ''),
    state: fc.oneof(rec({ terminated: terminatedState }), rec({ running: fc.constant({}) }), rec({ waiting: fc.constant({}) }), rec({ terminated: terminatedState, running: fc.constant({}), waiting: fc.constant({}) })),
  });
  const annotations = fc.oneof(rec({}), rec({ [DONE_AT_ANNOTATION]: fc.constantFrom('1714557700', 'soon', ' 42 ') }), rec({ [MEASURED_ANNOTATION]: fc.constantFrom('{"at":"x","status":200}', 'junk') }));
  return rec({
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Pod'),
    metadata: rec({
      name: fc.constant('p'),
      namespace: fc.constantFrom('default', 'default', 'default', 'other'),
      creationTimestamp: time,
      deletionTimestamp: fc.option(time, { freq: 2, nil: ABSENT }),
      annotations,
      finalizers: list(fc.constantFrom(MEASUREMENT_FINALIZER, 'x'), 2),
    }),
    spec: rec({
      restartPolicy: fc.constantFrom('Never', 'Never', 'OnFailure', 'Always'),
      nodeName: fc.constant('node-a'),
      shareProcessNamespace: fc.boolean(),
      containers: list(container, 3),
      initContainers: list(container, 2),
    }),
    status: rec({ phase: fc.constantFrom('Pending', 'Running', 'Running', 'Succeeded', 'Failed'), containerStatuses: list(status, 3), initContainerStatuses: list(status, 2) }),
  }) as fc.Arbitrary<JobPodObject>;
}

const WELL_TYPED: Shape = { f: (arb) => arb };
const WRONG = fc.constantFrom<unknown>(null, 0, 7, -1.5, '', 'x', true, false, [], {}, [null], [1, 'a']);
const ANY_TYPE: Shape = { f: (arb) => fc.oneof({ weight: 15, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: WRONG }) };
const nowMs = fc.integer({ min: T0_MS - 3_600_000, max: T0_MS + 3_600_000 });
const PATHS = [DEFAULT_PATH, path('spec/containers/[main,name,env]/[JOBID]'), path('spec/containers/1/env/[JOBID]')];
const STATES = ['not-a-job', 'settled', 'running', 'awaiting-monitor', 'report'];

/** What must hold of any assessment. */
function checkAssessment(pod: JobPodObject, o: AssessOptions, a: JobAssessment): void {
  expect(STATES).toContain(a.state);
  const id = jobAppId(pod, o.selection);
  expect(a.state === 'not-a-job').toBe(id === undefined);
  if (a.state === 'not-a-job') return;
  if (a.state !== 'settled') expect(a.appId).toBe(id);
  expect(id).toBe(appIdOf(pod, o.selection.appIdPath));
  if (a.state !== 'report') return;
  // what is sent survives JSON unchanged: no NaN, no Infinity, no undefined in place of a value
  expect(JSON.parse(JSON.stringify(a.param))).toEqual(a.param);
  if (!('metrics' in a.param)) {
    expect(a.param).toEqual({ status: 'failed', message: NEVER_RAN_MESSAGE });
    return;
  }
  const { duration, perf, cpu_time, max_memory } = a.param.metrics;
  expect(duration.unit).toBe('s');
  expect(Number.isFinite(duration.value) && duration.value >= 0).toBe(true);
  if (duration.value > 0) expect(perf!.value * duration.value).toBeCloseTo(1, 9);
  else expect(perf).toBeUndefined();
  expect(cpu_time === undefined).toBe(max_memory === undefined);
  expect(Number.isInteger(a.param.annotations.exitcode)).toBe(true);
  expect(typeof JSON.parse(a.param.annotations.resources)).toBe('object');
}

describe('assessJob never throws (properties)', () => {
  it('a random partial pod (every field may be missing) gets a consistent assessment, and every state is reached', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(podArbitrary(WELL_TYPED), fc.constantFrom(...PATHS), nowMs, fc.constantFrom(0, 1000, 30_000), (pod, appIdPath, now, statsTimeoutMs) => {
        const o: AssessOptions = { selection: { namespaces: ['default'], appIdPath }, statsTimeoutMs };
        const a = assessJob(pod, o, now);
        seen.add(a.state);
        checkAssessment(pod, o, a);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    expect([...seen].sort()).toEqual([...STATES].sort());
  });

  it('the whole pod missing parts: {}, no status, no spec, no metadata', () => {
    for (const pod of [{}, { metadata: { namespace: 'default' } }, { metadata: { namespace: 'default' }, spec: { restartPolicy: 'Never' } }, { ...jobPod(), status: undefined }, { ...jobPod(), spec: { restartPolicy: 'Never' } }]) {
      expect(() => assessJob(pod, opts(), T0_MS)).not.toThrow();
    }
    expect(assessJob({ ...jobPod(), status: undefined }, opts(), T0_MS)).toEqual({ state: 'running', appId: 'job-42' });
  });

  // Regression: assessJob trusts the type of every field that is present: nulls and values of other types
  // (see the cases below) throw a TypeError instead of being treated as missing.
  it('a random partial pod with nulls and values of the wrong type anywhere never throws', () => {
    fc.assert(
      fc.property(podArbitrary(ANY_TYPE), fc.constantFrom(...PATHS), nowMs, (pod, appIdPath, now) => {
        const o: AssessOptions = { selection: { namespaces: ['default'], appIdPath }, statsTimeoutMs: 1000 };
        expect(STATES).toContain(assessJob(pod, o, now).state);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  const ended = terminated('main', 0, T0, at(10));
  const broken = (patch: (pod: Record<string, any>) => void): JobPodObject => {
    const pod = JSON.parse(JSON.stringify(jobPod({ statuses: [ended] }))) as Record<string, any>;
    patch(pod);
    return pod as JobPodObject;
  };
  // Regression: each of these throws a TypeError in assessJob (job.ts) instead of being handled as missing:
  // statusOf calls .find on a non-array and reads .name of a null entry; a null `terminated` passes
  // `!== undefined` and is dereferenced; hasMonitor calls .some on a non-array; done-at is .trim()med
  // without a string check.
  it.each([
    ['state.terminated: null', (p: Record<string, any>) => (p.status.containerStatuses[0].state.terminated = null)],
    ['containerStatuses: [null]', (p: Record<string, any>) => (p.status.containerStatuses = [null])],
    ['containerStatuses: "x"', (p: Record<string, any>) => (p.status.containerStatuses = 'x')],
    ['containerStatuses: {}', (p: Record<string, any>) => (p.status.containerStatuses = {})],
    ['spec.initContainers: "x"', (p: Record<string, any>) => (p.spec.initContainers = 'x')],
    ['spec.initContainers: [null]', (p: Record<string, any>) => (p.spec.initContainers = [null])],
    ['annotations done-at: 5', (p: Record<string, any>) => (p.metadata.annotations = { [DONE_AT_ANNOTATION]: 5 })],
  ])('%s does not throw', (_, patch) => {
    expect(() => assessJob(broken(patch), opts(), T0_MS)).not.toThrow();
  });

  it('the same pods with the field missing instead are handled', () => {
    expect(assessJob(broken((p) => delete p.status.containerStatuses[0].state.terminated), opts(), T0_MS).state).toBe('running');
    expect(assessJob(broken((p) => delete p.status.containerStatuses), opts(), T0_MS).state).toBe('running');
    expect(assessJob(broken((p) => (p.spec.initContainers = [])), opts(), T0_MS).state).toBe('report');
    expect(reported(assessJob(broken((p) => (p.metadata.annotations = {})), opts(), T0_MS)).param.metrics.est_duration).toBeUndefined();
  });
});
