/**
 * The job measurement daemon against a real kube-apiserver (its own, watch cache off, so a watch
 * resumed from compacted history gets 410 Gone), running as its ServiceAccount with the RBAC the
 * `JobMeasurement` construct ships, its webhook called by the API server over TLS, and a
 * recording optimizer (test/peers/optimizer.ts). This file plays the kubelet: it writes the job
 * pods' status (the job container's termination, the monitor's termination message); the real
 * node's test (node.test.ts) runs a job pod for real.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { MEASURED_ANNOTATION, MEASUREMENT_FINALIZER, MONITOR_CONTAINER, encodeMonitorReport } from '../../lib/api/servo/index.js';
import { startCluster, type Cluster, type KubeObject } from '../cluster/index.js';
import { OptimizerPeer } from '../peers/optimizer.js';
import { PACKAGE_VERSION } from '../../lib/k8s/version.js';
import { removeKubeconfigs, waitFor, type ControllerProcess } from './config-aggregator.support.js';
import { deployServo, registerWebhook, startServo, tokenFile, type ServoDeployment } from './servo.support.js';

jest.setTimeout(180_000);

const TOKEN = 's3cr3t-token';
const ACCOUNT = 'acme.example';
let cluster: Cluster;
let optimizer: OptimizerPeer;
let servo: ServoDeployment;
let proc: ControllerProcess | undefined;
let webhookPort = 0;
let jobs: string;
let other: string;
let extra: string[];
let podSeq = 0;

const CONTAINER_ID = 'containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

function jobPod(ns: string, appId: string | undefined, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `job-${++podSeq}`, namespace: ns, annotations },
    spec: {
      restartPolicy: 'Never',
      containers: [{
        name: 'job',
        image: 'busybox:1.36',
        env: appId === undefined ? [{ name: 'OTHER', value: 'x' }] : [{ name: 'JOBID', value: appId }],
        resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      }],
    },
  } as KubeObject;
}

async function create(pod: KubeObject): Promise<any> {
  return (await cluster.request('POST', `/api/v1/namespaces/${pod.metadata!.namespace}/pods`, pod)).body;
}

async function get(ns: string, name: string): Promise<any | undefined> {
  const r = await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`, undefined, { allowStatus: [404] });
  return r.statusCode === 404 ? undefined : r.body;
}

interface Ending {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly exitCode?: number;
  /** The monitor's figures for the job container; undefined: no monitor status. */
  readonly monitor?: { cpuSeconds: number; maxMemoryBytes: number };
}

/** What the kubelet writes when the job container ended and the monitor sidecar stopped. */
async function finish(pod: any, e: Ending): Promise<void> {
  const fresh = await get(pod.metadata.namespace, pod.metadata.name);
  const status = {
    phase: (e.exitCode ?? 0) === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{
      name: 'job', ready: false, restartCount: 0, image: 'busybox:1.36', imageID: '', containerID: CONTAINER_ID,
      state: { terminated: { exitCode: e.exitCode ?? 0, reason: 'Completed', startedAt: e.startedAt, finishedAt: e.finishedAt } },
    }],
    ...(e.monitor
      ? {
          initContainerStatuses: [{
            name: MONITOR_CONTAINER, ready: false, restartCount: 0, image: 'platform-controllers', imageID: '', containerID: 'containerd://feed',
            state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: e.startedAt, finishedAt: e.finishedAt, message: encodeMonitorReport({
              v: 1, intervalMs: 100, samples: 42,
              groups: [{ cgroup: `/../cri-containerd-${CONTAINER_ID.slice(13)}.scope`, cpuSeconds: e.monitor.cpuSeconds, maxMemoryBytes: e.monitor.maxMemoryBytes, processes: 2 }],
            }) } },
          }],
        }
      : {}),
  };
  await cluster.request('PUT', `/api/v1/namespaces/${fresh.metadata.namespace}/pods/${fresh.metadata.name}/status`, { ...fresh, status });
}

/** The pod once the servo recorded its outcome and released its finalizer. */
async function settled(ns: string, name: string, timeoutMs = 30_000): Promise<any> {
  let pod: any;
  await waitFor(`pod ${name} settled`, async () => {
    pod = await get(ns, name);
    return !!pod?.metadata.annotations?.[MEASURED_ANNOTATION] && !(pod.metadata.finalizers ?? []).includes(MEASUREMENT_FINALIZER);
  }, timeoutMs, 100);
  return pod;
}

async function start(podName: string): Promise<void> {
  const s = await startServo(cluster, servo, podName, extra, webhookPort || undefined);
  proc = s.proc;
  webhookPort = s.webhookPort;
  await proc.waitReady();
  await waitFor('leadership', () => proc!.isLeader(), 40_000, 100);
}

beforeAll(async () => {
  cluster = await startCluster({ apiServerFlags: ['--watch-cache=false'] });
  optimizer = new OptimizerPeer();
  optimizer.token = TOKEN;
  const base = await optimizer.start();
  const ns = await cluster.createNamespace('servo');
  jobs = await cluster.createNamespace('jobs');
  other = await cluster.createNamespace('unwatched');
  servo = await deployServo(cluster, ns, { namespaces: [jobs], url: optimizer.urlPattern(base), account: ACCOUNT });
  const dir = mkdtempSync(join(tmpdir(), 'servo-token-'));
  // A short lease, so a killed leader's successor takes over within 8 s, yet a renew deadline (6 s)
  // longer than the 410 test's freeze: losing the lease there would stop the informers (and their
  // pending 410) before they relist. Watches end after 1 s (the informer's jitter floors to 1), so
  // the frozen daemon's watch is closed before the history it would resume from is compacted.
  extra = [`--auth-token-file=${tokenFile(dir, TOKEN)}`, '--lease-duration=8s', '--renew-deadline=6s', '--retry-period=500ms', '--watch-timeout=1s', '--stats-timeout=3s'];
  await start('servo-0');
  await registerWebhook(cluster, servo, webhookPort);
}, 300_000);

afterAll(async () => {
  await proc?.stop();
  await optimizer?.stop();
  await cluster?.stop();
  removeKubeconfigs();
});

it('says HELLO with the token, once it leads, to the _global_ app id', async () => {
  await waitFor('HELLO', () => optimizer.accepted('_global_', 'HELLO').length > 0, 10_000, 100);
  const hello = optimizer.accepted('_global_', 'HELLO')[0];
  expect(hello.account).toBe(ACCOUNT);
  expect(hello.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(hello.body).toEqual({ event: 'HELLO', param: { account: ACCOUNT } });
});

it('the webhook gives a job pod the finalizer and the monitor sidecar; other pods are left alone', async () => {
  const job = await create(jobPod(jobs, 'app-webhook'));
  expect(job.metadata.finalizers).toContain(MEASUREMENT_FINALIZER);
  const monitor = job.spec.initContainers.find((c: any) => c.name === MONITOR_CONTAINER);
  // The image's own monitor bundle, the same image as the servo's by default.
  expect(monitor).toMatchObject({ restartPolicy: 'Always', command: ['/nodejs/bin/node', '/app/servo-monitor.mjs'], image: `platform-controllers:${PACKAGE_VERSION}` });
  // cpu and memory equal (a Guaranteed pod stays Guaranteed); ephemeral storage for its log.
  expect(monitor.resources).toEqual({
    requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' },
    limits: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '128Mi' },
  });
  expect(job.status.qosClass).toBe('Burstable');
  expect(job.spec.shareProcessNamespace).toBe(true);

  // A BestEffort job pod stays BestEffort (the API server computes the class from cpu and memory):
  // the monitor gets ephemeral storage only.
  const bare = jobPod(jobs, 'app-webhook');
  delete (bare.spec as any).containers[0].resources;
  const bestEffort = await create(bare);
  expect(bestEffort.spec.initContainers.find((c: any) => c.name === MONITOR_CONTAINER).resources)
    .toEqual({ requests: { 'ephemeral-storage': '16Mi' }, limits: { 'ephemeral-storage': '128Mi' } });
  expect(bestEffort.status.qosClass).toBe('BestEffort');

  const plain = await create(jobPod(jobs, undefined));
  expect(plain.metadata.finalizers ?? []).toEqual([]);
  expect(plain.spec.initContainers ?? []).toEqual([]);
  const unwatched = await create(jobPod(other, 'app-unwatched'));
  expect(unwatched.metadata.finalizers ?? []).toEqual([]);
  expect(unwatched.spec.initContainers ?? []).toEqual([]);
  // An unwatched namespace's job is never reported, even when it ends.
  await finish(unwatched, { startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' });
  await finish(job, { startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' });
  await settled(jobs, job.metadata.name);
  expect(optimizer.of('app-unwatched')).toHaveLength(0);
});

it('a job that ends is reported once with duration, perf, cpu time, peak memory, resources and exit code', async () => {
  const job = await create(jobPod(jobs, 'app-one', { 'done-at': String(Math.floor(Date.now() / 1000) + 60) }));
  await finish(job, { startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T10:00:08Z', exitCode: 3, monitor: { cpuSeconds: 1.25, maxMemoryBytes: 12_345_678 } });
  const pod = await settled(jobs, job.metadata.name);
  expect(JSON.parse(pod.metadata.annotations[MEASURED_ANNOTATION])).toMatchObject({ status: 200 });
  const [m, ...more] = optimizer.of('app-one');
  expect(more).toHaveLength(0);
  expect(m.account).toBe(ACCOUNT);
  expect(m.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(m.headers['content-type']).toBe('application/json');
  expect(m.body.event).toBe('MEASUREMENT');
  expect(m.body.param.metrics).toMatchObject({
    duration: { value: 8, unit: 's' },
    perf: { value: 0.125, unit: '1/s' },
    cpu_time: { value: 1.25, unit: 's' },
    max_memory: { value: 12_345_678, unit: 'bytes' },
    est_duration: { unit: 's' },
  });
  expect(m.body.param.metrics.est_duration.value).toBeGreaterThanOrEqual(59);
  expect(m.body.param.annotations).toEqual({ resources: JSON.stringify({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m', memory: '32Mi' } }), exitcode: 3 });
  // Settled means settled: a resync or another status change sends nothing more.
  await cluster.request('PATCH', `/api/v1/namespaces/${jobs}/pods/${job.metadata.name}`, { metadata: { labels: { touched: 'yes' } } }, { contentType: 'application/merge-patch+json' });
  await new Promise((r) => setTimeout(r, 1000));
  expect(optimizer.of('app-one')).toHaveLength(1);
});

it('503 three times, then 200: exactly one measurement accepted', async () => {
  optimizer.script('app-503', [{ status: 503 }, { status: 503, retryAfter: '1' }, { status: 503 }, { status: 200 }]);
  const job = await create(jobPod(jobs, 'app-503'));
  await finish(job, { startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T10:00:02Z' });
  await settled(jobs, job.metadata.name, 60_000);
  expect(optimizer.of('app-503').map((r) => r.status)).toEqual([503, 503, 503, 200]);
  expect(optimizer.accepted('app-503')).toHaveLength(1);
  expect(await proc!.metric('servo_post_attempts_total', { result: 'retry' })).toBeGreaterThanOrEqual(3);
});

it('a 4xx is not retried: one attempt, a Warning Event on the pod, the pod released', async () => {
  optimizer.script('app-400', [{ status: 400, body: '{"error":"unknown app"}' }]);
  const job = await create(jobPod(jobs, 'app-400'));
  await finish(job, { startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T10:00:02Z' });
  const pod = await settled(jobs, job.metadata.name);
  expect(JSON.parse(pod.metadata.annotations[MEASURED_ANNOTATION]).status).toBe(400);
  expect(optimizer.of('app-400')).toHaveLength(1);
  const events = (await cluster.request('GET', `/api/v1/namespaces/${jobs}/events?fieldSelector=involvedObject.name=${job.metadata.name}`)).body.items;
  const rejected = events.find((e: any) => e.reason === 'MeasurementRejected');
  expect(rejected.type).toBe('Warning');
  expect(rejected.message).toContain('HTTP 400');
  expect(rejected.message).toContain('unknown app');
  expect(await proc!.metric('servo_measurements_failed_total', { reason: 'http_400' })).toBe(1);
});

it('a zero duration is reported without perf; a pod missing its start time is reported as never run', async () => {
  const zero = await create(jobPod(jobs, 'app-zero'));
  await finish(zero, { startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T10:00:00Z' });
  await settled(jobs, zero.metadata.name);
  const [m] = optimizer.of('app-zero');
  expect(m.body.param.metrics.duration).toEqual({ value: 0, unit: 's' });
  expect(m.body.param.metrics).not.toHaveProperty('perf');

  // A pod deleted before it was ever scheduled: the finalizer is released after the report.
  const never = await create(jobPod(jobs, 'app-never'));
  await cluster.request('DELETE', `/api/v1/namespaces/${jobs}/pods/${never.metadata.name}`);
  await waitFor('pod gone', async () => (await get(jobs, never.metadata.name)) === undefined, 30_000, 100);
  expect(optimizer.of('app-never').map((r) => r.body.param)).toEqual([{ status: 'failed', message: 'job deleted before it ran' }]);
  expect(proc!.exited).toBeUndefined();
});

it('killed while a POST hangs and restarted: the measurement is accepted exactly once', async () => {
  optimizer.script('app-kill', [{ hang: true }]);
  const job = await create(jobPod(jobs, 'app-kill'));
  await finish(job, { startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T10:00:03Z' });
  await waitFor('the POST in flight', () => optimizer.of('app-kill').length === 1, 20_000, 50);
  await proc!.kill();
  optimizer.script('app-kill', [{ status: 200 }]);
  expect((await get(jobs, job.metadata.name)).metadata.finalizers).toContain(MEASUREMENT_FINALIZER);
  await start('servo-1');
  await settled(jobs, job.metadata.name, 60_000);
  expect(optimizer.accepted('app-kill')).toHaveLength(1);
});

it('a watch whose history etcd compacted (410 Gone, or PrevKv=nil) relists and loses nothing', async () => {
  const job = await create(jobPod(jobs, 'app-410'));
  // The API server reports the lost history as 410 Gone when the watch resumes from a compacted
  // revision, or as a 500 error event ("etcd event received with PrevKv=nil") when its etcd watch
  // was open and the event's previous version was compacted: either way the informer relists.
  const relists = async () => (await proc!.metric('kit_informer_lists_total', { reason: 'expired' })) + (await proc!.metric('kit_informer_lists_total', { reason: 'error_event' }));
  const relistsBefore = await relists();
  // Frozen past its watch timeout, the daemon misses the job's end on the wire...
  process.kill(proc!.pid, 'SIGSTOP');
  try {
    await new Promise((r) => setTimeout(r, 1500));
    await finish(job, { startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T10:00:04Z' });
    // ...and the history it would resume from is compacted away.
    const etcd = async (path: string, body: unknown) => (await fetch(`${cluster.etcdEndpoint}/v3/${path}`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<any>;
    const { header } = await etcd('kv/range', { key: Buffer.from('/').toString('base64') });
    await etcd('kv/compaction', { revision: header.revision, physical: true });
  } finally {
    process.kill(proc!.pid, 'SIGCONT');
  }
  await settled(jobs, job.metadata.name, 60_000);
  expect(optimizer.accepted('app-410')).toHaveLength(1);
  expect(await relists()).toBeGreaterThan(relistsBefore);
});

it('says GOODBYE when stopped', async () => {
  await proc!.stop();
  proc = undefined;
  expect(optimizer.accepted('_global_', 'GOODBYE').length).toBeGreaterThan(0);
  expect(optimizer.accepted('_global_', 'GOODBYE').at(-1)!.body.param.account).toBe(ACCOUNT);
});
