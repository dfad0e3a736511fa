/**
 * Issue #19 item 5, the compute plane's pod: several workers per partition (Infra's `worker`
 * list), a worker's security settings beyond the restricted default, the socket volume's medium
 * and size (`cache_config`), the node-local results cache (`node_cache`), the init Job's pod
 * settings, and the pod-deletion-cost updater's tolerations and pull policy. ArmoniK.Infra 0.15.1
 * `armonik/compute-plane.tf`, `init.tf`, `pdc.tf`, `variables.tf`.
 */
import { Chart, Testing } from 'cdk8s';
import { ArmoniKServiceAccount, ComputePlane, PodDeletionCost } from '../../../constructs/armonik/index.js';
import { ModuleOutputs } from '../../../lib/contract/index.js';
import { refused } from '../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const S = 'ComputePlane test/compute';
const P = `${S}: partitions.default`;
function synth(props: Record<string, unknown>, partition: Record<string, unknown> = {}) {
  const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
  new ComputePlane(c, 'compute', any({ partitions: { default: partition }, ...props }));
  return Testing.synth(c);
}
const plane = (props: Record<string, unknown>, partition: Record<string, unknown> = {}) => () => synth(props, partition);
const podOf = (objects: any[], name = 'compute-plane-default') => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec;
const container = (pod: any, name: string) => pod.containers.find((c: any) => c.name === name);
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
const volume = (pod: any, name: string) => pod.volumes.find((v: any) => v.name === name);

describe('workers: several worker containers per partition (Infra: compute_plane[partition].worker is a list)', () => {
  it('each entry is a container on top of the compute plane worker, with the channel settings and the shared cache', () => {
    const shared = ModuleOutputs.of('shared', { env: { Shared__Host: 'nfs' } });
    const own = ModuleOutputs.of('own', { env: { Own__Key: 'v' } });
    const pod = podOf(synth({ worker: { conf: [shared], env: { A: '1' }, image: 'acme/base:1' } }, {
      workers: [{ image: 'acme/main:2' }, { name: 'helper', env: { B: '2' }, conf: [own] }],
    }));
    expect(pod.containers.map((c: any) => c.name)).toEqual(['polling-agent', 'worker', 'helper']);
    const main = container(pod, 'worker');
    const helper = container(pod, 'helper');
    expect(main.image).toBe('acme/main:2');
    expect(helper.image).toBe('acme/base:1');
    for (const w of [main, helper]) {
      expect(envOf(w)).toMatchObject({ A: '1', Shared__Host: 'nfs', ComputePlane__WorkerChannel__Address: '/cache/shared/armonik_worker.sock' });
      expect(w.volumeMounts).toEqual(expect.arrayContaining([{ name: 'comm-volume', mountPath: '/cache/shared' }]));
      expect(w.livenessProbe.httpGet).toEqual({ path: '/liveness', port: 1080 });
    }
    expect(envOf(helper)).toMatchObject({ B: '2', Own__Key: 'v' });
    expect(envOf(main).Own__Key).toBeUndefined();
  });

  it('unnamed entries after the first are worker-<index>', () => {
    const pod = podOf(synth({}, { workers: [{}, {}, {}] }));
    expect(pod.containers.map((c: any) => c.name)).toEqual(['polling-agent', 'worker', 'worker-1', 'worker-2']);
  });

  it('a single worker may be renamed', () => {
    expect(podOf(synth({ worker: { name: 'compute' } })).containers.map((c: any) => c.name)).toEqual(['polling-agent', 'compute']);
  });

  it('refuses worker with workers, an empty list, duplicate or reserved names, and a conflict between a worker\'s modules', () => {
    refused(plane({}, { worker: {}, workers: [{}] }), P, 'workers', /give worker or workers, not both/);
    refused(plane({}, { workers: [] }), P, 'workers', /give at least one worker/);
    refused(plane({}, { workers: {} }), P, 'workers', /must be a list of workers/);
    refused(plane({}, { workers: [{ name: 'a' }, { name: 'a' }] }), P, 'workers[1].name', /"a" names workers\[0\] already/);
    refused(plane({}, { workers: [{ name: 'polling-agent' }] }), P, 'workers[0].name', /polling agent's container/);
    refused(plane({}, { workers: [{ name: 'Bad_Name' }] }), P, 'workers[0].name');
    refused(plane({ worker: { name: 'x y' } }), S, 'worker.name');
    refused(plane({}, { workers: [{ imgae: 'x' }] }), P, 'workers[0].imgae', /unknown field/);
    refused(plane({}, { workers: [{ env: { ComputePlane__WorkerChannel__Address: 'x' } }] }), P, 'workers[0].env.ComputePlane__WorkerChannel__Address', /socketType/);
    const a = ModuleOutputs.of('a', { env: { X: '1' } });
    const b = ModuleOutputs.of('b', { env: { X: '2' } });
    expect(() => synth({ worker: { conf: [a] } }, { workers: [{}, { conf: [b] }] })).toThrow(/modules "a" and "b".*partitions\.default\.workers\[1\]\.conf/);
  });
});

describe('worker securityContext: what restricted still allows, the rest stays restricted', () => {
  it('by default the worker has a read-only root filesystem and the pod uid', () => {
    const w = container(podOf(synth({})), 'worker');
    expect(w.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('readOnlyRootFilesystem false, runAsUser and runAsGroup; the partition\'s fields over the plane\'s; the agent unchanged', () => {
    const pod = podOf(synth({ worker: { securityContext: { readOnlyRootFilesystem: false, runAsUser: 1000 } } }, { worker: { securityContext: { runAsUser: 2000, runAsGroup: 3000 } } }));
    expect(container(pod, 'worker').securityContext).toEqual({
      allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 2000, runAsGroup: 3000,
    });
    expect(container(pod, 'polling-agent').securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('refuses root, privileges and non-booleans, naming the field', () => {
    refused(plane({ worker: { securityContext: { runAsUser: 0 } } }), S, 'worker.securityContext.runAsUser');
    refused(plane({}, { worker: { securityContext: { runAsGroup: -1 } } }), P, 'worker.securityContext.runAsGroup');
    refused(plane({}, { worker: { securityContext: { privileged: true } } }), P, 'worker.securityContext.privileged', /unknown field \(expected one of readOnlyRootFilesystem, runAsUser, runAsGroup\)/);
    refused(plane({}, { worker: { securityContext: { readOnlyRootFilesystem: 'false' } } }), P, 'worker.securityContext.readOnlyRootFilesystem', /must be true or false/);
    refused(plane({}, { workers: [{}, { securityContext: 'x' }] }), P, 'workers[1].securityContext');
  });
});

describe('cacheConfig and nodeCache: the two cache volumes (Infra: cache_config, node_cache)', () => {
  it('by default /cache/shared and /cache/internal are emptyDirs on the node\'s disk and Core\'s results cache is off', () => {
    const pod = podOf(synth({}));
    expect(volume(pod, 'comm-volume')).toEqual({ name: 'comm-volume', emptyDir: { sizeLimit: '1Gi' } });
    expect(volume(pod, 'cache-volume')).toEqual({ name: 'cache-volume', emptyDir: { sizeLimit: '1Gi' } });
    expect(envOf(container(pod, 'polling-agent')).Pollster__CacheEvictionThreshold).toBe('0');
    expect(container(pod, 'polling-agent').volumeMounts).toEqual(expect.arrayContaining([
      { name: 'comm-volume', mountPath: '/cache/shared' }, { name: 'cache-volume', mountPath: '/cache/internal' },
    ]));
  });

  it('the socket volume in memory with a size limit; a partition\'s replaces the plane\'s', () => {
    expect(volume(podOf(synth({ cacheConfig: { memory: true, sizeLimit: '1Gi' } })), 'comm-volume').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Gi' });
    expect(volume(podOf(synth({ cacheConfig: { memory: true } }, { cacheConfig: { sizeLimit: '5Gi' } })), 'comm-volume').emptyDir).toEqual({ sizeLimit: '5Gi' });
  });

  it('a node cache is a hostPath created if missing, and sets the eviction threshold (0.8 by default, 0 would turn it off)', () => {
    const pod = podOf(synth({ nodeCache: { path: '/var/cache/armonik' } }));
    expect(volume(pod, 'cache-volume')).toEqual({ name: 'cache-volume', hostPath: { path: '/var/cache/armonik', type: 'DirectoryOrCreate' } });
    expect(envOf(container(pod, 'polling-agent')).Pollster__CacheEvictionThreshold).toBe('0.8');
    const own = podOf(synth({ nodeCache: { path: '/a' } }, { nodeCache: { path: '/b', threshold: 0.5 } }));
    expect(volume(own, 'cache-volume').hostPath.path).toBe('/b');
    expect(envOf(container(own, 'polling-agent')).Pollster__CacheEvictionThreshold).toBe('0.5');
  });

  it('refuses bad sizes, media, paths and thresholds, naming the field', () => {
    refused(plane({ cacheConfig: { sizeLimit: 'lots' } }), S, 'cacheConfig.sizeLimit', /not a Kubernetes quantity/);
    refused(plane({}, { cacheConfig: { sizeLimit: '0' } }), P, 'cacheConfig.sizeLimit', /greater than zero/);
    refused(plane({}, { cacheConfig: { memory: 'yes' } }), P, 'cacheConfig.memory', /true or false/);
    refused(plane({}, { cacheConfig: { medium: 'Memory' } }), P, 'cacheConfig.medium', /unknown field/);
    refused(plane({ nodeCache: {} }), S, 'nodeCache.path', /give the directory/);
    refused(plane({}, { nodeCache: { path: 'relative' } }), P, 'nodeCache.path');
    refused(plane({}, { nodeCache: { path: '/' } }), P, 'nodeCache.path', /node's root/);
    refused(plane({}, { nodeCache: { path: '/c', threshold: 1.5 } }), P, 'nodeCache.threshold', /fraction of the disk from 0 to 1/);
  });
});

describe('init: the init Job and CronJob take pod settings (Infra: init.node_selector, image_pull_secrets, annotations)', () => {
  const jobPods = (objects: any[]) => [
    objects.find((o) => o.kind === 'Job').spec.template,
    objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template,
  ];

  it('by default the compute plane\'s settings', () => {
    for (const t of jobPods(synth({ nodeSelector: { pool: 'compute' }, imagePullSecrets: ['regcred'], imagePullPolicy: 'Always' }))) {
      expect(t.spec.nodeSelector).toEqual({ pool: 'compute' });
      expect(t.spec.tolerations).toEqual([{ key: 'pool', operator: 'Equal', value: 'compute', effect: 'NoSchedule' }]);
      expect(t.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      expect(t.spec.containers[0].imagePullPolicy).toBe('Always');
    }
  });

  it('its own replace them field by field, with its annotations and ServiceAccount', () => {
    const objects = synth({ nodeSelector: { pool: 'compute' }, imagePullSecrets: ['regcred'] }, {});
    const own = synth({ nodeSelector: { pool: 'compute' }, imagePullSecrets: ['regcred'], init: {
      nodeSelector: { pool: 'system' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }], annotations: { team: 'core' },
      serviceAccount: ArmoniKServiceAccount.create({ name: 'armonik-init' }),
    } });
    for (const t of jobPods(own)) {
      expect(t.spec.nodeSelector).toEqual({ pool: 'system' });
      expect(t.spec.tolerations).toEqual([{ key: 'pool', operator: 'Equal', value: 'system', effect: 'NoSchedule' }, { key: 'dedicated', operator: 'Exists' }]);
      expect(t.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      expect(t.metadata.annotations.team).toBe('core');
      expect(t.spec.serviceAccountName).toBe('armonik-init');
    }
    expect(own.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['armonik-init']);
    // The partitions keep the plane's.
    expect(podOf(own).nodeSelector).toEqual({ pool: 'compute' });
    expect(jobPods(objects)[0].metadata.annotations?.team).toBeUndefined();
  });

  it('refuses bad init pod settings, naming the field under init', () => {
    refused(plane({ init: { nodeSelector: { 'bad key!': 'x' } } }), S, 'init.nodeSelector.bad key!');
    refused(plane({ init: { imagePullPolicy: 'Sometimes' } }), S, 'init.imagePullPolicy');
    refused(plane({ init: { tolerations: [{ operator: 'Equal' }] } }), S, 'init.tolerations[0].key');
    refused(plane({ init: { serviceAccountName: 'a', serviceAccount: ArmoniKServiceAccount.fromName('b') } }), S, 'init.serviceAccountName', /not both/);
  });
});

describe('PodDeletionCost: tolerations and image pull policy (Infra: pod_deletion_cost.image_pull_policy)', () => {
  const pdc = (props: Record<string, unknown>) => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    new PodDeletionCost(c, 'pdc', any(props));
    return Testing.synth(c).find((o: any) => o.kind === 'Deployment').spec.template.spec;
  };

  it('IfNotPresent by default; tolerations after the node selector\'s', () => {
    expect(pdc({}).containers[0].imagePullPolicy).toBe('IfNotPresent');
    const pod = pdc({ imagePullPolicy: 'Always', nodeSelector: { pool: 'system' }, tolerations: [{ key: 'x', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(pod.containers[0].imagePullPolicy).toBe('Always');
    expect(pod.tolerations).toEqual([
      { key: 'pool', operator: 'Equal', value: 'system', effect: 'NoSchedule' },
      { key: 'x', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('refuses a bad policy or toleration, naming the field', () => {
    refused(() => pdc({ imagePullPolicy: 'always' }), 'PodDeletionCost test/pdc', 'imagePullPolicy');
    refused(() => pdc({ tolerations: [{ key: 'x', value: 'y', operator: 'Exists' }] }), 'PodDeletionCost test/pdc', 'tolerations[0].value', /no value/);
  });
});

test('a partition may be named init: the init Job is another child of the compute plane', () => {
  const objects = synth({}, {});
  const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
  new ComputePlane(c, 'compute', any({ partitions: { init: {} } }));
  const named = Testing.synth(c);
  expect(named.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining(['Deployment/compute-plane-init', 'CronJob/init']));
  expect(objects.some((o: any) => o.kind === 'CronJob' && o.metadata.name === 'init')).toBe(true);
});
