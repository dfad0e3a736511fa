import { Chart, Testing } from 'cdk8s';
import {
  ArmoniK,
  ComputePlane,
  ControlPlane,
  MetricsExporter,
  MODULE_ENV_HASH_ANNOTATION,
  ModuleEnv,
  PartitionScaling,
} from '../../../constructs/armonik/index.js';
import { ActiveMq, ExternalMongoDb, MinIo, MongoDb, NfsStorage, RabbitMq, Redis } from '../../../constructs/modules/index.js';
import { ModuleOutputs, ModuleOutputsError } from '../../../lib/contract/index.js';

const chart = () => new Chart(Testing.app(), 'test', { namespace: 'armonik' });
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

function stack(c = chart(), opts: { queue?: 'activemq' | 'rabbitmq'; moduleEnv?: ModuleEnv } = {}) {
  const queue = opts.queue === 'rabbitmq' ? new RabbitMq(c, 'rabbitmq') : new ActiveMq(c, 'activemq');
  const objects = new MinIo(c, 'minio');
  const db = new MongoDb(c, 'mongodb');
  const shared = new NfsStorage(c, 'nfs', { storageClass: 'nfs' });
  const armonik = new ArmoniK(c, 'armonik', {
    controlPlane: { conf: [queue, objects, db], moduleEnv: opts.moduleEnv },
    computePlane: {
      moduleEnv: opts.moduleEnv,
      partitions: {
        default: { scaling: PartitionScaling.hpa({ maxReplicas: 5 }) },
        bench: { priority: 2, scaling: PartitionScaling.fixed(2), worker: { image: 'acme/bench-worker:1.0' } },
      },
    },
    pollingAgent: { conf: [queue, objects, db] },
    worker: { conf: [shared] },
    metricsExporter: { conf: [db], moduleEnv: opts.moduleEnv },
  });
  return { c, armonik };
}

describe('ArmoniK', () => {
  const objects = Testing.synth(stack().c);
  const deployments = Object.fromEntries(byKind(objects, 'Deployment').map((d) => [d.metadata.name, d]));

  it('deploys the control plane, one compute plane per partition and both exporters', () => {
    expect(Object.keys(deployments).sort()).toEqual([
      'compute-plane-bench', 'compute-plane-default', 'control-plane', 'metrics-exporter', 'partition-metrics-exporter',
    ]);
    const services = Object.fromEntries(byKind(objects, 'Service').map((s) => [s.metadata.name, s]));
    expect(services['control-plane'].spec.ports).toEqual([
      { name: 'grpc', port: 5001, targetPort: 1080, protocol: 'TCP' },
      { name: 'metrics', port: 1081, targetPort: 1081, protocol: 'TCP' },
    ]);
    expect(services['metrics-exporter'].metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9419', 'prometheus.io/path': '/metrics' });
    expect(services['partition-metrics-exporter'].metadata.annotations['prometheus.io/port']).toBe('9420');
    expect(envOf(deployments['partition-metrics-exporter'].spec.template.spec.containers[0]).MetricsExporter__Host).toBe('metrics-exporter.armonik.svc.cluster.local');
  });

  it('the control plane gets the env, secrets and mounts of its modules', () => {
    const pod = deployments['control-plane'].spec.template.spec;
    const env = envOf(pod.containers[0]);
    expect(env).toMatchObject({ Amqp__Host: 'activemq.armonik.svc.cluster.local', S3__MustForcePathStyle: 'true', Components__TableStorage: 'ArmoniK.Adapters.MongoDB.TableStorage' });
    expect(env.MongoDB__User).toEqual({ secretKeyRef: { name: 'mongodb-user', key: 'username' } });
    expect(pod.containers[0].envFrom).toEqual([{ secretRef: { name: 'activemq-user-credentials' } }, { secretRef: { name: 'minio-user-credentials' } }]);
    expect(pod.containers[0].volumeMounts.map((m: any) => m.mountPath)).toEqual(['/tmp', '/amqp', '/mongodb/certificate', '/mongodb/certs']);
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['certificate', 'mongo-certificate', 'mongo-certificate-helm', 'tmp']);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].livenessProbe.httpGet).toEqual({ path: '/liveness', port: 1081 });
    expect(pod.containers[0].resources.limits).toEqual({ cpu: '1', memory: '2Gi' });
  });

  it('a partition pod: polling agent and worker share the socket emptyDir, each gets its own modules', () => {
    const pod = deployments['compute-plane-default'].spec.template.spec;
    const [agent, worker] = pod.containers;
    expect([agent.name, worker.name]).toEqual(['polling-agent', 'worker']);
    for (const c of [agent, worker]) {
      expect(c.volumeMounts).toContainEqual({ name: 'cache-volume', mountPath: '/cache' });
      expect(envOf(c).ComputePlane__WorkerChannel__Address).toBe('/cache/armonik_worker.sock');
    }
    expect(pod.volumes).toContainEqual({ name: 'cache-volume', emptyDir: {} });
    expect(envOf(agent)).toMatchObject({ Amqp__PartitionId: 'default', Amqp__Host: 'activemq.armonik.svc.cluster.local' });
    expect(envOf(worker)).toMatchObject({ LocalStorage__Path: '/local_storage' });
    expect(envOf(worker).Amqp__Host).toBeUndefined();
    expect(worker.volumeMounts).toContainEqual({ name: 'nfs-nfsvolume', mountPath: '/local_storage' });
    expect(agent.volumeMounts.map((m: any) => m.name)).not.toContain('nfs-nfsvolume');
  });

  it('per-partition replicas, priorities, images and scaling', () => {
    expect(deployments['compute-plane-default'].spec.replicas).toBeUndefined(); // the HPA owns it
    expect(deployments['compute-plane-bench'].spec.replicas).toBe(2);
    expect(deployments['compute-plane-bench'].spec.template.spec.containers[1].image).toBe('acme/bench-worker:1.0');
    expect(deployments['compute-plane-bench'].spec.template.metadata.annotations).toEqual({ 'armonik.aneo.fr/partition-priority': '2' });
    const hpas = byKind(objects, 'HorizontalPodAutoscaler');
    expect(hpas).toHaveLength(1);
    expect(hpas[0]).toMatchObject({
      apiVersion: 'autoscaling/v2',
      metadata: { name: 'compute-plane-default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'compute-plane-default' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [{ type: 'External', external: { metric: { name: 'armonik_default_tasks_queued' }, target: { type: 'AverageValue', averageValue: '2' } } }],
      },
    });
    const partitions = JSON.parse(byKind(objects, 'ConfigMap').find((c) => c.metadata.name === 'compute-plane-partitions').data['partitions.json']);
    expect(partitions.map((p: any) => [p._id, p.Priority, p.PodReserved, p.PodMax])).toEqual([['bench', 2, 2, 2], ['default', 1, 1, 5]]);
  });

  it('KEDA as an option', () => {
    const c = chart();
    new ComputePlane(c, 'cp', { partitions: { gpu: { scaling: PartitionScaling.keda({ prometheusAddress: 'http://prometheus.monitoring:9090', maxReplicas: 20 }) } } });
    const so = Testing.synth(c).find((o) => o.kind === 'ScaledObject');
    expect(so).toMatchObject({
      apiVersion: 'keda.sh/v1alpha1',
      spec: { scaleTargetRef: { name: 'compute-plane-gpu' }, minReplicaCount: 0, maxReplicaCount: 20, triggers: [{ type: 'prometheus', metadata: { query: 'armonik_gpu_tasks_queued{job="metrics-exporter"}' } }] },
    });
    expect(() => PartitionScaling.hpa({ minReplicas: 3, maxReplicas: 2 })._bind(c, 'x', { name: 'n', namespace: 'ns', partition: 'p', labels: {} })).toThrow('x: scaling: maxReplicas (2) is below minReplicas (3)');
  });

  it('is deterministic', () => {
    expect(Testing.synth(stack().c)).toEqual(Testing.synth(stack().c));
  });
});

describe('module env in a ConfigMap (ArmoniK.Infra style), opt-in', () => {
  const objects = Testing.synth(stack(chart(), { moduleEnv: ModuleEnv.CONFIG_MAP }).c);
  const cp = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'control-plane');

  it('writes the literal env into a ConfigMap loaded last with envFrom, keeps references inline', () => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'control-plane-control-plane-env');
    expect(cm.data).toMatchObject({ Amqp__Host: 'activemq.armonik.svc.cluster.local', S3__UseChecksum: 'true' });
    const container = cp.spec.template.spec.containers[0];
    expect(container.envFrom.at(-1)).toEqual({ configMapRef: { name: 'control-plane-control-plane-env' } });
    expect(container.env.every((e: any) => e.valueFrom)).toBe(true);
  });

  it('annotates the pod template with a hash of the ConfigMaps, which changes with their content', () => {
    const hash = cp.spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION];
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const other = (host: string) => {
      const c = chart();
      new ControlPlane(c, 'cp', { moduleEnv: ModuleEnv.CONFIG_MAP, conf: [ModuleOutputs.of('q', { env: { Amqp__Host: host } })] });
      return Testing.synth(c).find((o) => o.kind === 'Deployment').spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION];
    };
    expect(other('a')).toBe(other('a'));
    expect(other('a')).not.toBe(other('b'));
  });

  it('inline by default: no ConfigMap, no annotation', () => {
    const inline = Testing.synth(stack().c);
    expect(inline.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(['compute-plane-partitions']);
    expect(inline.find((o) => o.metadata.name === 'control-plane' && o.kind === 'Deployment').spec.template.metadata.annotations).toBeUndefined();
  });
});

describe('conflicts fail at synth with a message naming both modules', () => {
  const fails = (build: (c: Chart) => void) => {
    try {
      build(chart());
    } catch (err) {
      return err as ModuleOutputsError;
    }
    throw new Error('did not fail');
  };

  it('two MongoDB flavours', () => {
    const err = fails((c) => new ControlPlane(c, 'cp', {
      conf: [new MongoDb(c, 'mongodb'), new ExternalMongoDb(c, 'atlas', { host: 'cluster0.mongodb.net', credentialsSecret: 'atlas-user', caSecret: 'atlas-ca' })],
    }));
    expect(err).toBeInstanceOf(ModuleOutputsError);
    expect(err.conflictsWith).toBe('mongodb');
    expect(err.module).toBe('atlas');
    expect(err.message).toMatch(/^modules "mongodb" and "atlas": \/env\/MongoDB__Host: "MongoDB__Host" is set to "mongodb-armonik-headless.armonik.svc.cluster.local" by "mongodb" but set to "cluster0.mongodb.net" by "atlas"; remove it from one of them.*\(in ControlPlane test\/cp: conf\)$/);
  });

  it('ActiveMQ with RabbitMQ, both mounting at /amqp', () => {
    const err = fails((c) => new ControlPlane(c, 'cp', { conf: [new ActiveMq(c, 'activemq'), new RabbitMq(c, 'rabbitmq')] }));
    expect(err.message).toMatch(/^modules "activemq" and "rabbitmq": /);
    expect(err.message).toContain('(in ControlPlane test/cp: conf)');
    // Only the mounts differing: the documented mount message.
    const mountOnly = fails((c) => new ControlPlane(c, 'cp', {
      conf: [
        ModuleOutputs.of('activemq', { mountSecret: { certificate: { secret: 'activemq', path: '/amqp' } } }),
        ModuleOutputs.of('rabbitmq', { mountSecret: { certificate: { secret: 'rabbitmq', path: '/amqp/' } } }),
      ],
    }));
    expect(mountOnly.message).toMatch(/two different volumes are mounted at "\/amqp": Secret "activemq" by "activemq" and Secret "rabbitmq" by "rabbitmq"/);
  });

  it('two object stores at once', () => {
    const err = fails((c) => new ComputePlane(c, 'cp', { partitions: { default: {} }, pollingAgent: { conf: [new MinIo(c, 'minio'), new Redis(c, 'redis')] } }));
    expect(err.message).toMatch(/^modules "minio" and "redis": \/env\/Components__ObjectStorage: "Components__ObjectStorage" is set to "ArmoniK.Adapters.S3.ObjectStorage" by "minio" but set to "ArmoniK.Adapters.Redis.ObjectStorage" by "redis"/);
    expect(err.message).toContain('(in ComputePlane test/cp: conf, pollingAgent.conf, partitions.default.conf, partitions.default.pollingAgent.conf)');
  });

  it('a module setting what the component sets itself', () => {
    const err = fails((c) => new ComputePlane(c, 'cp', { partitions: { default: {} }, conf: [ModuleOutputs.of('sneaky', { env: { Amqp__PartitionId: 'other' } })] }));
    expect(err.message).toBe('module "sneaky": /env/Amqp__PartitionId: "Amqp__PartitionId" is set by ComputePlane test/cp (partition default) itself (container "polling-agent"); remove it from the module (in ComputePlane test/cp (partition default): pollingAgent)');
  });

  it('two containers of one pod with different volumes of one name', () => {
    expect(() => new ComputePlane(chart(), 'cp', {
      partitions: { default: {} },
      pollingAgent: { conf: [ModuleOutputs.of('a', { mountSecret: { certificate: { secret: 'a', path: '/a' } } })] },
      worker: { conf: [ModuleOutputs.of('b', { mountSecret: { certificate: { secret: 'b', path: '/b' } } })] },
    })).toThrow('ComputePlane test/cp (partition default): two different volumes are named "certificate" in one pod: secret "a" from the modules of container "polling-agent" (pollingAgent) and secret "b" from the modules of container "worker" (worker); rename the mount key in one module, or give both containers the same module');
  });

  it('bad partition names and props name the field', () => {
    expect(() => new ComputePlane(chart(), 'cp', { partitions: { Bad_Name: {} } })).toThrow('ComputePlane test/cp: partitions.Bad_Name: "Bad_Name" is not a DNS-1123 label of at most 49 characters');
    expect(() => new ComputePlane(chart(), 'cp', { partitions: {} })).toThrow('ComputePlane test/cp: partitions: give at least one partition');
    expect(() => new MetricsExporter(chart(), 'm', { image: 'bad image' })).toThrow('MetricsExporter test/m: image: "bad image" is not an image reference');
  });
});
