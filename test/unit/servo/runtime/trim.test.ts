import type { V1Pod } from '@kubernetes/client-node';
import { DEFAULT_APP_ID_PATH, MEASURED_ANNOTATION, assessJob, encodeMonitorReport, parseAppIdPath, type AppIdPath, type JobPodObject } from '../../../../lib/api/servo/index.js';
import { trimPod } from '../../../../runtime/servo/trim.js';

const path = (text: string) => parseAppIdPath(text) as AppIdPath;

/** A job pod as the API server returns it: much more than the servo reads. */
function fullPod(): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'etl-1', namespace: 'jobs', uid: 'u1', resourceVersion: '42', creationTimestamp: '2026-01-01T09:59:00Z' as never,
      labels: { 'job-name': 'etl', 'batch.kubernetes.io/controller-uid': 'x'.repeat(36) },
      annotations: { 'done-at': '1767261600', 'kubectl.kubernetes.io/last-applied-configuration': 'y'.repeat(2000), [MEASURED_ANNOTATION]: undefined as never },
      finalizers: ['servo.platform-constructs.io/measurement', 'batch.kubernetes.io/job-tracking'],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'etl', uid: 'j' }],
    },
    spec: {
      restartPolicy: 'Never', nodeName: 'n1', shareProcessNamespace: true,
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
      initContainers: [{ name: 'servo-monitor', image: 'pc:1', args: ['--interval=100ms'], restartPolicy: 'Always' }],
      containers: [{
        name: 'etl', image: 'acme/etl:1', command: ['run'], args: ['--all'],
        env: [{ name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'JOBID', value: 'etl-nightly' }],
        resources: { limits: { cpu: '1', memory: '1Gi' } },
        volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
      }],
    },
    status: {
      phase: 'Failed', qosClass: 'Burstable', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{
        name: 'etl', containerID: 'containerd://abc', image: 'acme/etl:1', imageID: 'sha256:x', ready: false, restartCount: 0,
        state: { terminated: { exitCode: 2, startedAt: '2026-01-01T10:00:00Z' as never, finishedAt: '2026-01-01T10:00:30Z' as never } },
      }],
      initContainerStatuses: [{
        name: 'servo-monitor', containerID: 'containerd://mon', image: 'pc:1', imageID: 'x', ready: false, restartCount: 0,
        state: { terminated: { exitCode: 0, message: encodeMonitorReport({ v: 1, intervalMs: 100, samples: 3, groups: [{ cgroup: '/../abc', cpuSeconds: 12, maxMemoryBytes: 5, processes: 1 }] }) } as never },
      }],
    },
  };
}

const opts = (p: AppIdPath) => ({ selection: { namespaces: ['jobs'], appIdPath: p }, statsTimeoutMs: 30_000 });

describe('trimPod', () => {
  it('keeps what the assessment reads: the same measurement from the trimmed pod', () => {
    const p = path(DEFAULT_APP_ID_PATH);
    const full = fullPod();
    const trimmed = trimPod(JSON.parse(JSON.stringify(full)), p);
    const a = assessJob(full as unknown as JobPodObject, opts(p), Date.parse('2026-01-01T10:01:00Z'));
    expect(a.state).toBe('report');
    expect(assessJob(trimmed as unknown as JobPodObject, opts(p), Date.parse('2026-01-01T10:01:00Z'))).toEqual(a);
  });

  it('drops what it does not read, and is much smaller', () => {
    const trimmed = trimPod(fullPod(), path(DEFAULT_APP_ID_PATH));
    expect(trimmed.metadata).toEqual({
      name: 'etl-1', namespace: 'jobs', uid: 'u1', resourceVersion: '42', creationTimestamp: '2026-01-01T09:59:00Z',
      annotations: { 'done-at': '1767261600' },
      finalizers: ['servo.platform-constructs.io/measurement', 'batch.kubernetes.io/job-tracking'],
    });
    expect(trimmed.spec!.volumes).toBeUndefined();
    expect(trimmed.spec!.containers[0]).toEqual({ name: 'etl', env: [{ name: 'SECRET' }, { name: 'JOBID', value: 'etl-nightly' }], resources: { limits: { cpu: '1', memory: '1Gi' } } });
    expect(trimmed.status!.containerStatuses![0]).toEqual({ name: 'etl', containerID: 'containerd://abc', state: fullPod().status!.containerStatuses![0].state });
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify(fullPod()).length / 3);
  });

  it('keeps a pod whole when its app id lives in fields the trim drops', () => {
    const p = path('metadata/labels/job-name');
    const full = fullPod();
    expect(trimPod(full, p)).toBe(full);
    const byIndex = path('spec/containers/0/env/1/value');
    expect(assessJob(trimPod(fullPod(), byIndex) as unknown as JobPodObject, opts(byIndex), 0)).toMatchObject({ appId: 'etl-nightly' });
  });
});
