/**
 * The ArmoniK components against ArmoniK.Infra 0.15.1's `armonik` module and ArmoniK.Core 0.37.2:
 * images and versions, probes per Core version, the Core settings channel, the init Job with
 * the partitions, the polling agent's partition and caches, Infra's labels, KEDA scaling. The
 * storage modules are Infra's own outputs (test/fixtures/armonik), read as `terraform output -json`.
 */
import { Chart, Testing } from 'cdk8s';
import {
  ARMONIK_CORE_SETTINGS,
  ArmoniK,
  ComputePlane,
  ControlPlane,
  ControlPlaneScaling,
  CoreSettings,
  MetricsExporter,
  MODULE_ENV_HASH_ANNOTATION,
  ModuleEnv,
  PartitionMetricsExporter,
  PartitionScaling,
  queuedTasksMetric,
} from '../../../constructs/armonik/index.js';
import { ExternalS3 } from '../../../constructs/modules/index.js';
import { ModuleOutputs, ModuleOutputsError } from '../../../lib/contract/index.js';
import { terraformFixture, type TerraformFixture } from '../../fixtures/modules.js';

const chart = () => new Chart(Testing.app(), 'test', { namespace: 'armonik' });
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const infra = (name: TerraformFixture) => ModuleOutputs.fromTerraformOutput(name, terraformFixture(name));

/** ArmoniK as the localhost quick-deploy of ArmoniK 2.23.0: ActiveMQ, Redis, MongoDB (Percona), two partitions. */
function stack(c = chart(), opts: { moduleEnv?: ModuleEnv; coreSettings?: Record<string, string> } = {}) {
  const storage = [infra('activemq'), infra('redis'), infra('mongodb-percona')];
  const armonik = new ArmoniK(c, 'armonik', {
    coreSettings: opts.coreSettings,
    controlPlane: { conf: storage, moduleEnv: opts.moduleEnv, env: { Submitter__MaxErrorAllowed: '50' } },
    computePlane: {
      moduleEnv: opts.moduleEnv,
      partitions: {
        default: {},
        'high-mem': { priority: 2, podReserved: 0, podMax: 10, preemptionPercentage: 20, parentPartitionIds: ['default'], scaling: PartitionScaling.fixed(2), worker: { image: 'acme/bench-worker:1.0' } },
      },
    },
    pollingAgent: { conf: storage },
    worker: { conf: [infra('nfs')] },
    metricsExporter: { conf: [infra('mongodb-percona')], moduleEnv: opts.moduleEnv },
  });
  return { c, armonik };
}

describe('ArmoniK as ArmoniK 2.23.0 deploys it', () => {
  const objects = Testing.synth(stack().c);
  const deployments = Object.fromEntries(byKind(objects, 'Deployment').map((d) => [d.metadata.name, d]));
  const cp = deployments['control-plane'].spec.template.spec;
  const [agent, worker] = deployments['compute-plane-default'].spec.template.spec.containers;
  const exporter = deployments['metrics-exporter'].spec.template.spec.containers[0];
  const job = byKind(objects, 'Job')[0];
  const init = job.spec.template.spec.containers[0];

  it('deploys the control plane, a compute plane per partition, the metrics exporter, the pod-deletion-cost updater, the init Job and CronJob, no partition metrics exporter', () => {
    expect(Object.keys(deployments).sort()).toEqual(['compute-plane-default', 'compute-plane-high-mem', 'control-plane', 'metrics-exporter', 'pdc-update']);
    expect(byKind(objects, 'CronJob').map((o) => o.metadata.name)).toEqual(['init']);
    expect(job.metadata.name).toMatch(/^init-[0-9a-f]{10}$/);
    const services = Object.fromEntries(byKind(objects, 'Service').map((s) => [s.metadata.name, s]));
    expect(Object.keys(services).sort()).toEqual(['control-plane', 'metrics-exporter']);
    expect(services['control-plane'].spec.ports).toEqual([
      { name: 'control-port', port: 5001, targetPort: 1080, protocol: 'TCP' },
      { name: 'metrics-port', port: 1081, targetPort: 1081, protocol: 'TCP' },
    ]);
    expect(services['metrics-exporter'].spec.ports).toEqual([{ name: 'metrics', port: 9419, targetPort: 1080, protocol: 'TCP' }]);
  });

  it('runs the images of Core 0.37.2 and the C# dynamic worker of extcsharp 0.21.2', () => {
    expect(cp.containers[0].image).toBe('dockerhubaneo/armonik_control:0.37.2');
    expect(agent.image).toBe('dockerhubaneo/armonik_pollingagent:0.37.2');
    expect(worker.image).toBe('dockerhubaneo/armonik-dynamic-dotnet-worker:0.21.2');
    expect(exporter.image).toBe('dockerhubaneo/armonik_control_metrics:0.37.2');
    expect(init.image).toBe('dockerhubaneo/armonik_control:0.37.2');
    // Core's binaries are root-owned and world-readable: every Core pod runs as 10001, above the
    // image users ($APP_UID 1654, armonikuser 5000) so no uid collides with a node account.
    expect(cp.securityContext.runAsUser).toBe(10001);
    expect(job.spec.template.spec.securityContext.runAsUser).toBe(10001);
    expect(deployments['compute-plane-default'].spec.template.spec.securityContext.runAsUser).toBe(10001);
  });

  it('probes what Core 0.37.2 serves: readiness by TCP on the control plane and the metrics exporter (no /readiness yet)', () => {
    // Ready once the gRPC port accepts connections; alive while /liveness answers: two different checks.
    expect(cp.containers[0].readinessProbe).toEqual({ tcpSocket: { port: 1080 }, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 });
    expect(cp.containers[0].startupProbe).toEqual({ httpGet: { path: '/startup', port: 1081 }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 20 });
    expect(cp.containers[0].livenessProbe).toEqual({ httpGet: { path: '/liveness', port: 1081 }, initialDelaySeconds: 15, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 1 });
    expect(exporter.readinessProbe.tcpSocket).toEqual({ port: 1080 });
    expect(exporter.startupProbe.httpGet).toEqual({ path: '/startup', port: 1080 });
    expect(exporter.livenessProbe.httpGet).toEqual({ path: '/liveness', port: 1080 });
    expect(agent.readinessProbe).toEqual({ httpGet: { path: '/readiness', port: 1080 }, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 });
    expect(worker.livenessProbe.httpGet).toEqual({ path: '/liveness', port: 1080 });
    expect(init.livenessProbe).toBeUndefined();
  });

  it('loads the Core settings ConfigMap in every Core component, not in the workers', () => {
    const core = named(objects, 'ConfigMap', 'core-configmap');
    expect(core.data).toEqual(ARMONIK_CORE_SETTINGS);
    expect(core.data.Amqp__MaxPriority).toBe('10');
    for (const c of [cp.containers[0], agent, exporter, init]) expect(c.envFrom).toContainEqual({ configMapRef: { name: 'core-configmap' } });
    expect(worker.envFrom ?? []).not.toContainEqual({ configMapRef: { name: 'core-configmap' } });
    // The pods roll when the settings change.
    const hash = (settings?: Record<string, string>) =>
      named(Testing.synth(stack(chart(), { coreSettings: settings }).c), 'Deployment', 'control-plane').spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION];
    expect(hash()).toMatch(/^[0-9a-f]{16}$/);
    expect(hash({ Amqp__MaxPriority: '5' })).not.toBe(hash());
  });

  it('inserts the partitions through the init Job, as ArmoniK.Infra does; the long-running components do not init', () => {
    const env = envOf(init);
    expect(env).toMatchObject({
      InitServices__InitDatabase: 'true', InitServices__InitObjectStorage: 'true', InitServices__InitQueue: 'true', InitServices__StopAfterInit: 'true',
      Serilog__Properties__Application: 'ArmoniK.Control.Init',
    });
    expect(JSON.parse(env.InitServices__Partitioning__Partitions__0)).toEqual({ PartitionId: 'default', ParentPartitionIds: [], PodReserved: 1, PodMax: 100, PreemptionPercentage: 50, Priority: 1 });
    expect(JSON.parse(env.InitServices__Partitioning__Partitions__1)).toEqual({ PartitionId: 'high-mem', ParentPartitionIds: ['default'], PodReserved: 0, PodMax: 10, PreemptionPercentage: 20, Priority: 2 });
    expect(env.InitServices__Partitioning__Partitions__2).toBeUndefined();
    // It needs the storage: the same modules as the polling agents.
    expect(env.MongoDB__ConnectionString).toEqual({ secretKeyRef: { name: 'mongodb-connection-string', key: 'uri' } });
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
    for (const c of [cp.containers[0], agent]) expect(envOf(c)).toMatchObject({ InitServices__InitDatabase: 'false', InitServices__InitObjectStorage: 'false', InitServices__InitQueue: 'false' });
    expect(named(objects, 'CronJob', 'init').spec).toMatchObject({ schedule: '* * * * *', concurrencyPolicy: 'Replace', jobTemplate: { spec: { template: job.spec.template } } });
    expect(envOf(cp.containers[0])).toMatchObject({ Submitter__DefaultPartition: 'default', Submitter__MaxErrorAllowed: '50' });
  });

  it('names a changed init as a new Job (a Job pod template cannot change)', () => {
    const jobName = (priority: number) => {
      const c = chart();
      new ComputePlane(c, 'cp', { partitions: { default: { priority } } });
      return byKind(Testing.synth(c), 'Job')[0].metadata.name;
    };
    expect(jobName(1)).toBe(jobName(1));
    expect(jobName(1)).not.toBe(jobName(3));
  });

  it('gives the polling agent its partition, Infra polling settings, shared and internal caches', () => {
    expect(envOf(agent)).toMatchObject({
      Pollster__PartitionId: 'default',
      Amqp__PartitionId: 'default',
      ComputePlane__WorkerChannel__Address: '/cache/shared/armonik_worker.sock',
      ComputePlane__AgentChannel__Address: '/cache/shared/armonik_agent.sock',
      ComputePlane__WorkerChannel__SocketType: 'unixdomainsocket',
      Amqp__LinkCredit: '2',
      Amqp__Host: 'activemq.armonik.svc.cluster.local',
    });
    expect(agent.volumeMounts).toEqual(expect.arrayContaining([{ name: 'comm-volume', mountPath: '/cache/shared' }, { name: 'cache-volume', mountPath: '/cache/internal' }]));
    expect(worker.volumeMounts).toContainEqual({ name: 'comm-volume', mountPath: '/cache/shared' });
    expect(worker.volumeMounts.map((m: any) => m.name)).not.toContain('cache-volume');
    expect(envOf(worker)).toMatchObject({ LocalStorage__Path: '/local_storage', ComputePlane__AgentChannel__Address: '/cache/shared/armonik_agent.sock' });
    expect(envOf(worker).Amqp__Host).toBeUndefined();
    const tcp = new Chart(Testing.app(), 't', { namespace: 'armonik' });
    new ComputePlane(tcp, 'cp', { partitions: { htcmock: { socketType: 'tcp' } } });
    const tcpAgent = named(Testing.synth(tcp), 'Deployment', 'compute-plane-htcmock').spec.template.spec.containers[0];
    expect(envOf(tcpAgent)).toMatchObject({ ComputePlane__WorkerChannel__Address: 'http://localhost:10667', ComputePlane__AgentChannel__Address: 'http://localhost:10666', ComputePlane__AgentChannel__SocketType: 'tcp' });
  });

  it("carries ArmoniK.Infra's labels that its Prometheus jobs and dashboards select", () => {
    expect(deployments['control-plane'].spec.template.metadata.labels).toMatchObject({ app: 'armonik', service: 'control-plane' });
    expect(deployments['compute-plane-high-mem'].spec.template.metadata.labels).toMatchObject({ app: 'armonik', service: 'compute-plane', partition: 'high-mem' });
    expect(deployments['metrics-exporter'].spec.template.metadata.labels).toMatchObject({ app: 'armonik', service: 'metrics-exporter', type: 'monitoring' });
    expect(job.spec.template.metadata.labels).toMatchObject({ app: 'armonik', service: 'init' });
    // Selectors stay the stable app.kubernetes.io ones.
    expect(deployments['control-plane'].spec.selector.matchLabels.app).toBeUndefined();
  });

  it('scales partitions with KEDA by default, as ArmoniK.Infra renders it', () => {
    const [so] = byKind(objects, 'ScaledObject');
    expect(byKind(objects, 'ScaledObject')).toHaveLength(1); // high-mem is fixed
    expect(so).toEqual({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: expect.objectContaining({ name: 'default-compute-plane', namespace: 'armonik' }),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'compute-plane-default', envSourceContainerName: 'polling-agent' },
        pollingInterval: 15,
        cooldownPeriod: 300,
        minReplicaCount: 0,
        maxReplicaCount: 5,
        advanced: {
          restoreToOriginalReplicaCount: true,
          horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } },
        },
        triggers: [{
          type: 'prometheus',
          metadata: {
            serverAddress: 'http://prometheus.armonik.svc.cluster.local:9090',
            metricName: 'armonik_default_tasks_queued',
            threshold: '2',
            namespace: 'armonik',
            query: 'armonik_default_tasks_queued{job="metrics-exporter"}',
          },
        }],
      },
    });
    expect(deployments['compute-plane-default'].spec.replicas).toBeUndefined();
    expect(deployments['compute-plane-high-mem'].spec.replicas).toBe(2);
  });

  it('is deterministic', () => {
    expect(Testing.synth(stack().c)).toEqual(objects);
  });
});

describe('Core versions', () => {
  const images = (coreVersion: string) => {
    const c = chart();
    new ArmoniK(c, 'a', { coreVersion, controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {} });
    const objects = Testing.synth(c);
    return { objects, cp: named(objects, 'Deployment', 'control-plane').spec.template.spec };
  };

  it('one prop sets every Core image; the worker keeps the extcsharp release, the pod-deletion-cost updater the infra_plugins one', () => {
    const { objects } = images('0.40.1');
    const all = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Job')].flatMap((d) => d.spec.template.spec.containers.map((c: any) => c.image)).sort();
    expect(all).toEqual([
      'dockerhubaneo/armonik-dynamic-dotnet-worker:0.21.2', 'dockerhubaneo/armonik_control:0.40.1', 'dockerhubaneo/armonik_control:0.40.1',
      'dockerhubaneo/armonik_control_metrics:0.40.1', 'dockerhubaneo/armonik_pdc_update:0.3.0', 'dockerhubaneo/armonik_pollingagent:0.40.1',
    ]);
  });

  it('probes /readiness on the control plane from Core 0.40.1', () => {
    expect(images('0.40.1').cp.containers[0].readinessProbe.httpGet).toEqual({ path: '/readiness', port: 1081 });
    expect(images('0.40.0').cp.containers[0].readinessProbe.tcpSocket).toEqual({ port: 1080 });
  });

  it('runs Core images of every version as 10001 (the image user changed at 0.36; the binaries are root-owned in both)', () => {
    expect(images('0.35.2').cp.securityContext.runAsUser).toBe(10001);
    expect(images('0.36.0').cp.securityContext.runAsUser).toBe(10001);
  });

  it('refuses versions that do not exist or that it does not configure', () => {
    expect(() => new ControlPlane(chart(), 'cp', { coreVersion: '0.37' })).toThrow('ControlPlane test/cp: coreVersion: "0.37" is not an ArmoniK Core release (major.minor.patch, such as "0.37.2")');
    expect(() => new ControlPlane(chart(), 'cp', { coreVersion: 'latest' })).toThrow('is not an ArmoniK Core release');
    expect(() => new ControlPlane(chart(), 'cp', { coreVersion: '0.27.2' })).toThrow('ControlPlane test/cp: coreVersion: Core 0.27.2 is older than 0.34.0');
  });

  it('refuses the partition metrics exporter from Core 0.37.1, where it was removed', () => {
    const c = chart();
    const exporter = new MetricsExporter(c, 'm');
    expect(() => new PartitionMetricsExporter(c, 'pm', { metricsExporter: exporter })).toThrow('PartitionMetricsExporter test/pm: coreVersion: ArmoniK Core 0.37.2 has no partition metrics exporter (removed in 0.37.1)');
    const old = new PartitionMetricsExporter(c, 'pm-old', { metricsExporter: exporter, coreVersion: '0.37.0' });
    expect(old.workload.deployment.toJson().spec.template.spec.containers[0].image).toBe('dockerhubaneo/armonik_control_partition_metrics:0.37.0');
  });
});

describe('Core settings', () => {
  it('a component alone gets ArmoniK’s settings inline (Core’s AMQP queue throws without Amqp__MaxPriority)', () => {
    const c = chart();
    new ControlPlane(c, 'cp', { conf: [infra('activemq')] });
    const env = envOf(named(Testing.synth(c), 'Deployment', 'control-plane').spec.template.spec.containers[0]);
    expect(env).toMatchObject({ Amqp__MaxPriority: '10', Amqp__MaxRetries: '5', Submitter__DeletePayload: 'true' });
  });

  it('settings on top of the defaults, in a ConfigMap; bad names name the field', () => {
    const c = chart();
    const core = new CoreSettings(c, 'core', { env: { Amqp__MaxPriority: '4', MongoDB__AllowInsecureTls: 'true' } });
    expect(core.env).toMatchObject({ Amqp__MaxPriority: '4', MongoDB__AllowInsecureTls: 'true', Amqp__MaxRetries: '5' });
    expect(() => new CoreSettings(chart(), 'core', { env: { 'bad name': 'x' } })).toThrow('module "core": /env/bad name');
    expect(() => new CoreSettings(chart(), 'core', { name: 'Bad' })).toThrow('CoreSettings test/core: name: "Bad" is not a valid ConfigMap name');
  });
});

describe('partitions and the default partition', () => {
  it('checks the partition rows', () => {
    const cp = (p: object) => () => new ComputePlane(chart(), 'cp', { partitions: { default: p, other: {} } });
    expect(cp({ podReserved: 5, podMax: 2 })).toThrow('ComputePlane test/cp: partitions.default: podMax (2) is below podReserved (5)');
    expect(cp({ preemptionPercentage: 120 })).toThrow('ComputePlane test/cp: partitions.default: preemptionPercentage: 120 is not an integer from 0 to 100');
    expect(cp({ parentPartitionIds: ['nope'] })).toThrow('ComputePlane test/cp: partitions.default: parentPartitionIds: "nope" is not a partition of this compute plane (default, other)');
    expect(cp({ parentPartitionIds: ['default'] })).toThrow('a partition cannot be its own parent');
    expect(cp({ podConfiguration: { gpu: 'a100' } })).not.toThrow();
  });

  it('refuses a default partition the compute plane does not have (Core refuses its sessions)', () => {
    expect(() => new ArmoniK(chart(), 'a', { controlPlane: { defaultPartition: 'gpu' }, computePlane: { partitions: { default: {} } }, metricsExporter: {} }))
      .toThrow('ArmoniK test/a: controlPlane.defaultPartition: "gpu" is not a partition of the compute plane (default)');
    const c = chart();
    new ArmoniK(c, 'a', { controlPlane: {}, computePlane: { partitions: { batch: {}, stream: {} } }, metricsExporter: {} });
    expect(envOf(named(Testing.synth(c), 'Deployment', 'control-plane').spec.template.spec.containers[0]).Submitter__DefaultPartition).toBe('batch');
  });

  it('a CronJob schedule of the user’s, or none', () => {
    const cronJobs = (schedule: string | null) => {
      const c = chart();
      new ComputePlane(c, 'cp', { partitions: { default: {} }, init: { schedule } });
      return byKind(Testing.synth(c), 'CronJob');
    };
    expect(cronJobs('*/10 * * * *')[0].spec.schedule).toBe('*/10 * * * *');
    expect(cronJobs(null)).toEqual([]);
    expect(() => cronJobs('every minute')).toThrow('ComputePlane test/cp: init.schedule: "every minute" is not a cron schedule');
  });
});

describe('scaling', () => {
  const synthOne = (scaling: PartitionScaling, partition = 'gpu') => {
    const c = chart();
    new ComputePlane(c, 'cp', { partitions: { [partition]: { scaling } } });
    return Testing.synth(c);
  };

  it('names the metric as Core does: a "-" in a partition becomes "_"', () => {
    expect(queuedTasksMetric('high-mem')).toBe('armonik_high_mem_tasks_queued');
    const so = byKind(synthOne(PartitionScaling.keda(), 'high-mem'), 'ScaledObject')[0];
    expect(so.spec.triggers[0].metadata.query).toBe('armonik_high_mem_tasks_queued{job="metrics-exporter"}');
    const hpa = byKind(synthOne(PartitionScaling.hpa(), 'high-mem'), 'HorizontalPodAutoscaler')[0];
    expect(hpa.spec.metrics[0].external.metric.name).toBe('armonik_high_mem_tasks_queued');
  });

  it('an autoscaled or multi-replica partition gets a PodDisruptionBudget (one pod down at a time); one fixed pod does not', () => {
    for (const scaling of [PartitionScaling.keda(), PartitionScaling.hpa(), PartitionScaling.fixed(3)]) {
      const objects = synthOne(scaling);
      const pdbs = byKind(objects, 'PodDisruptionBudget');
      expect(pdbs).toHaveLength(1);
      expect(pdbs[0].metadata).toMatchObject({ name: 'compute-plane-gpu', namespace: 'armonik' });
      expect(pdbs[0].spec).toEqual({ maxUnavailable: 1, selector: named(objects, 'Deployment', 'compute-plane-gpu').spec.selector });
    }
    for (const n of [0, 1]) expect(byKind(synthOne(PartitionScaling.fixed(n)), 'PodDisruptionBudget')).toEqual([]);
  });

  it('KEDA options: Prometheus, job, bounds, cpu and memory triggers', () => {
    const so = byKind(synthOne(PartitionScaling.keda({ prometheusAddress: 'http://prometheus.monitoring:9090', metricsJob: 'armonik-metrics', minReplicas: 1, maxReplicas: 20, cpuUtilization: 70, memoryUtilization: 90 })), 'ScaledObject')[0];
    expect(so.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 20 });
    expect(so.spec.triggers).toEqual([
      { type: 'prometheus', metadata: { serverAddress: 'http://prometheus.monitoring:9090', metricName: 'armonik_gpu_tasks_queued', threshold: '2', namespace: 'armonik', query: 'armonik_gpu_tasks_queued{job="armonik-metrics"}' } },
      { type: 'cpu', metricType: 'Utilization', metadata: { value: '70' } },
      { type: 'memory', metricType: 'Utilization', metadata: { value: '90' } },
    ]);
    expect(() => synthOne(PartitionScaling.keda({ prometheusAddress: 'http://user:secret@prometheus:9090' }))).toThrow('scaling.prometheusAddress: "http://***@prometheus:9090" carries credentials');
    expect(() => synthOne(PartitionScaling.keda({ minReplicas: 3, maxReplicas: 2 }))).toThrow('ComputePlane test/cp: partitions.gpu: scaling: maxReplicas (2) is below minReplicas (3)');
    expect(() => synthOne(PartitionScaling.keda({ cpuUtilization: 0 }))).toThrow('cpuUtilization: 0 is not an integer from 1 to 1000');
  });

  it('the control plane scales on cpu and memory with KEDA when asked', () => {
    const c = chart();
    new ControlPlane(c, 'cp', { scaling: ControlPlaneScaling.keda({ cpuUtilization: 80, maxReplicas: 4 }) });
    const objects = Testing.synth(c);
    expect(named(objects, 'Deployment', 'control-plane').spec.replicas).toBeUndefined();
    expect(byKind(objects, 'ScaledObject')[0]).toMatchObject({
      metadata: { name: 'control-plane' },
      spec: { scaleTargetRef: { name: 'control-plane' }, minReplicaCount: 1, maxReplicaCount: 4, triggers: [{ type: 'cpu', metricType: 'Utilization', metadata: { value: '80' } }] },
    });
    expect(() => new ControlPlane(chart(), 'cp', { scaling: ControlPlaneScaling.keda({}) })).toThrow('ControlPlane test/cp: scaling: give cpuUtilization and/or memoryUtilization');
    expect(() => new ControlPlane(chart(), 'cp', { replicas: 2, scaling: ControlPlaneScaling.keda({ cpuUtilization: 80 }) })).toThrow('ControlPlane test/cp: replicas: the scaling owns the replica count');
  });
});

describe('object storage by IAM role', () => {
  it('AWS S3 without credentials, the pods with a ServiceAccount that can carry the role', () => {
    const c = chart();
    const s3 = ExternalS3.aws(c, 's3', { region: 'eu-west-3', bucketName: 'armonik-s3os' });
    expect(s3.outputs.toPodSpecParts()).toEqual(infra('s3-aws').toPodSpecParts());
    new ComputePlane(c, 'cp', { partitions: { default: {} }, pollingAgent: { conf: [s3] }, serviceAccountName: 'armonikserviceaccount' });
    const objects = Testing.synth(c);
    const pod = named(objects, 'Deployment', 'compute-plane-default').spec.template.spec;
    expect(pod.serviceAccountName).toBe('armonikserviceaccount');
    expect(pod.automountServiceAccountToken).toBeUndefined();
    expect(envOf(pod.containers[0])).toMatchObject({ Components__ObjectStorageAdaptorSettings__ClassName: 'ArmoniK.Core.Adapters.S3.ObjectBuilder', S3__EndpointUrl: 'https://s3.eu-west-3.amazonaws.com' });
    expect(envOf(pod.containers[0]).S3__Login).toBeUndefined();
    expect(byKind(objects, 'Job')[0].spec.template.spec.serviceAccountName).toBe('armonikserviceaccount');
    expect(() => new ExternalS3(chart(), 's3', { endpointUrl: 'https://key:secret@minio.example.com', bucketName: 'b' })).toThrow('ExternalS3 test/s3: endpointUrl: "https://***@minio.example.com" carries credentials, which would be written in plain text into manifests');
  });
});

describe('module env in a ConfigMap (ArmoniK.Infra style), opt-in', () => {
  const objects = Testing.synth(stack(chart(), { moduleEnv: ModuleEnv.CONFIG_MAP }).c);
  const cp = named(objects, 'Deployment', 'control-plane');

  it('writes the literal env into a ConfigMap loaded last with envFrom, keeps references inline', () => {
    const cm = named(objects, 'ConfigMap', 'control-plane-control-plane-env');
    expect(cm.data).toMatchObject({ Amqp__Host: 'activemq.armonik.svc.cluster.local', Redis__Ssl: 'true' });
    const container = cp.spec.template.spec.containers[0];
    expect(container.envFrom.at(-1)).toEqual({ configMapRef: { name: 'control-plane-control-plane-env' } });
    expect(container.envFrom[0]).toEqual({ configMapRef: { name: 'core-configmap' } });
  });

  it('annotates the pod template with a hash of the ConfigMaps, which changes with their content', () => {
    const other = (host: string) => {
      const c = chart();
      new ControlPlane(c, 'cp', { moduleEnv: ModuleEnv.CONFIG_MAP, conf: [ModuleOutputs.of('q', { env: { Amqp__Host: host } })] });
      return named(Testing.synth(c), 'Deployment', 'control-plane').spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION];
    };
    expect(other('a')).toBe(other('a'));
    expect(other('a')).not.toBe(other('b'));
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
    const err = fails((c) => new ControlPlane(c, 'cp', { conf: [infra('mongodb-percona'), infra('mongodb')] }));
    expect(err).toBeInstanceOf(ModuleOutputsError);
    expect(err.conflictsWith).toBe('mongodb-percona');
    expect(err.module).toBe('mongodb');
    expect(err.message).toMatch(/^modules "mongodb-percona" and "mongodb": \/env\/MongoDB__CAFile: "MongoDB__CAFile" is set to "\/mongodb\/certs\/ca.crt" by "mongodb-percona" but set to "\/mongodb\/certificate\/mongodb-ca-cert" by "mongodb"; remove it from one of them.*\(in ControlPlane test\/cp: core, conf\)$/);
  });

  it('ActiveMQ with RabbitMQ: two queues', () => {
    const err = fails((c) => new ControlPlane(c, 'cp', { conf: [infra('activemq'), infra('rabbitmq')] }));
    expect(err.message).toMatch(/^modules "activemq" and "rabbitmq": \/env\/Amqp__Host: /);
    expect(err.message).toContain('(in ControlPlane test/cp: core, conf)');
    const mountOnly = fails((c) => new ControlPlane(c, 'cp', {
      conf: [
        ModuleOutputs.of('activemq', { mountSecret: { certificate: { secret: 'activemq', path: '/amqp' } } }),
        ModuleOutputs.of('rabbitmq', { mountSecret: { certificate: { secret: 'rabbitmq', path: '/amqp/' } } }),
      ],
    }));
    expect(mountOnly.message).toMatch(/two different volumes are mounted at "\/amqp": Secret "activemq" by "activemq" and Secret "rabbitmq" by "rabbitmq"/);
  });

  it('two object stores at once', () => {
    const err = fails((c) => new ComputePlane(c, 'cp', { partitions: { default: {} }, pollingAgent: { conf: [infra('minio'), infra('redis')] } }));
    expect(err.message).toMatch(/^modules "minio" and "redis": \/env\/Components__ObjectStorage: "Components__ObjectStorage" is set to "ArmoniK.Adapters.S3.ObjectStorage" by "minio" but set to "ArmoniK.Adapters.Redis.ObjectStorage" by "redis"/);
    expect(err.message).toContain('(in ComputePlane test/cp: core, conf, pollingAgent.conf)');
  });

  it('a module setting what the component sets itself', () => {
    const err = fails((c) => new ComputePlane(c, 'cp', { partitions: { default: {} }, conf: [ModuleOutputs.of('sneaky', { env: { Pollster__PartitionId: 'other' } })] }));
    expect(err.message).toBe('module "sneaky": /env/Pollster__PartitionId: "Pollster__PartitionId" is set by ComputePlane test/cp (partition default) itself (container "polling-agent"); remove it from the module (in ComputePlane test/cp (partition default): pollingAgent)');
  });

  it('two containers of one pod with different volumes under one key: named apart pod-wide, each mount on its own source', () => {
    const a = ModuleOutputs.of('a', { mountSecret: { cert: { secret: 'a', path: '/a' } } });
    const b = ModuleOutputs.of('b', { mountSecret: { cert: { secret: 'b', path: '/b' } } });
    // The polling agent consumes a and b, the worker only b: b's volume is one volume, shared.
    const plane = new ComputePlane(chart(), 'cp', { partitions: { default: {} }, pollingAgent: { conf: [a, b] }, worker: { conf: [b] } });
    const pod = (plane.partitions.get('default')!.workload.deployment.toJson() as any).spec.template.spec;
    const secretOf = (container: string, path: string) => {
      const mount = pod.containers.find((c: any) => c.name === container).volumeMounts.find((m: any) => m.mountPath === path);
      return pod.volumes.find((v: any) => v.name === mount.name).secret.secretName;
    };
    expect([secretOf('polling-agent', '/a'), secretOf('polling-agent', '/b'), secretOf('worker', '/b')]).toEqual(['a', 'b', 'b']);
    const names = pod.volumes.map((v: any) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n: string) => n.startsWith('cert'))).toHaveLength(2);
  });

  it('a module key named like a pod volume (tmp) gets another name; a module mounting at a container\'s own path is an error naming it', () => {
    const plane = new ComputePlane(chart(), 'cp', {
      partitions: { default: {} },
      worker: { conf: [ModuleOutputs.of('m', { mountVolume: { tmp: { claimName: 'data', path: '/data' } } })] },
    });
    const pod = (plane.partitions.get('default')!.workload.deployment.toJson() as any).spec.template.spec;
    const mount = pod.containers.find((c: any) => c.name === 'worker').volumeMounts.find((m: any) => m.mountPath === '/data');
    expect(mount.name).not.toBe('tmp');
    expect(pod.volumes.find((v: any) => v.name === mount.name).persistentVolumeClaim.claimName).toBe('data');
    expect(pod.volumes.find((v: any) => v.name === 'tmp')).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } });
    expect(() => new ComputePlane(chart(), 'cp', {
      partitions: { default: {} },
      worker: { conf: [ModuleOutputs.of('m', { mountVolume: { scratch: { emptyDir: {}, path: '/tmp/' } } })] },
    })).toThrow('module "m": /mount_volume/scratch/path: mounts at "/tmp", where container "worker" of ComputePlane test/cp (partition default) mounts its own volume; mount it elsewhere');
  });

  it('bad partition names and props name the field', () => {
    expect(() => new ComputePlane(chart(), 'cp', { partitions: { Bad_Name: {} } })).toThrow('ComputePlane test/cp: partitions.Bad_Name: "Bad_Name" is not a DNS-1123 label of at most 49 characters');
    expect(() => new ComputePlane(chart(), 'cp', { partitions: {} })).toThrow('ComputePlane test/cp: partitions: give at least one partition');
    expect(() => new MetricsExporter(chart(), 'm', { image: 'bad image' })).toThrow('MetricsExporter test/m: image: "bad image" is not an image reference');
  });
});
