/**
 * Issue #14 for the ArmoniK constructs: every prop is checked where it enters, against what
 * Kubernetes (and Core, KEDA) accept, and a bad one is a ValidationError naming the construct,
 * the prop, the value and what is accepted; never a TypeError for plain-JavaScript callers, never
 * a silently wrong manifest. Two constructs that would synthesize one object are refused at
 * construct time, naming both.
 */
import { App, Chart, Testing } from 'cdk8s';
import {
  ArmoniK,
  ComputePlane,
  ControlPlane,
  ControlPlaneScaling,
  CoreSettings,
  CoreVersion,
  InitJob,
  MetricsExporter,
  ModuleEnv,
  PartitionMetricsExporter,
  PartitionScaling,
  PodDeletionCost,
  queuedTasksMetric,
} from '../../../constructs/armonik/index.js';
import { ModuleOutputs } from '../../../lib/contract/index.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import { refused } from '../../fixtures/validation.js';

const chart = (app = Testing.app(), id = 'test', namespace = 'armonik') => new Chart(app, id, { namespace });
const any = (v: unknown) => v as any;
/** The pod settings every component takes (constructs/armonik/props.ts). */
const POD_SETTINGS = ['serviceAccountName', 'serviceAccount', 'nodeSelector', 'tolerations', 'imagePullSecrets', 'imagePullPolicy', 'annotations'];

/** The error `fn` throws: a ValidationError of `source` and `field`, its message `source: field: reason`. */

describe('ControlPlane', () => {
  const cp = (props: unknown) => () => new ControlPlane(chart(), 'cp', any(props));
  const S = 'ControlPlane test/cp';

  it('refuses names that make an invalid Service, Deployment or label (DNS-1035, at most 63, no dot)', () => {
    refused(cp({ name: 'Control-Plane' }), S, 'name', /"Control-Plane" is not a valid Service name \(DNS-1035 label/);
    refused(cp({ name: '1-control-plane' }), S, 'name', /starting with a letter/);
    refused(cp({ name: 'control.plane' }), S, 'name', /"control.plane" is not a valid Service name/);
    refused(cp({ name: 'c'.repeat(64) }), S, 'name', /at most 63 characters/);
    refused(cp({ name: 42 }), S, 'name', /^number 42 is not a valid Service name/);
    expect(() => new ControlPlane(chart(), 'cp', { name: 'c'.repeat(63) })).not.toThrow();
  });

  it('truncates a huge value in the message', () => {
    const err = refused(cp({ name: 'x'.repeat(1_000_000) }), S, 'name');
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toContain('(1000000 characters)');
  });

  it('refuses ports, replicas and quantities Kubernetes refuses', () => {
    refused(cp({ servicePort: 70000 }), S, 'servicePort', '70000 is not a TCP port');
    refused(cp({ servicePort: 0 }), S, 'servicePort', '0 is not a TCP port');
    refused(cp({ servicePort: '5001' }), S, 'servicePort', 'string "5001" is not a TCP port');
    refused(cp({ servicePort: 1081 }), S, 'servicePort', /1081 is the Service's metrics port already/);
    refused(cp({ replicas: -1 }), S, 'replicas', '-1 is not a non-negative integer');
    refused(cp({ replicas: 1.5 }), S, 'replicas', '1.5 is not a non-negative integer');
    refused(cp({ replicas: NaN }), S, 'replicas', 'NaN is not a non-negative integer');
    refused(cp({ resources: { cpuLimit: 'abc' } }), S, 'resources.cpuLimit', /"abc" is not a Kubernetes quantity/);
    refused(cp({ resources: { cpuRequest: '2' } }), S, 'resources.cpuRequest', /"2" is above cpuLimit "1"/);
    refused(cp({ resources: { memoryLimit: '0' } }), S, 'resources.memoryLimit', /must be greater than zero/);
    refused(cp({ resources: { cpu: '1' } }), S, 'resources.cpu', /unknown field/);
    refused(cp({ resources: '1 cpu' }), S, 'resources', /must be an object/);
    expect(() => new ControlPlane(chart(), 'cp', { replicas: 0, servicePort: 443 })).not.toThrow();
  });

  it('refuses env names Kubernetes refuses and values that are not strings', () => {
    refused(cp({ env: { '1X': 'a' } }), S, 'env.1X', /is not a valid environment variable name/);
    refused(cp({ env: { A: 5 } }), S, 'env.A', 'must be a string, not number 5');
    refused(cp({ env: { A: null } }), S, 'env.A', 'must be a string, not null');
    refused(cp({ env: new Map([['A', 'b']]) }), S, 'env', /not a Map/);
    refused(cp({ env: 'A=b' }), S, 'env', /not string "A=b"/);
  });

  it('gives a ValidationError, not a TypeError, for missing or wrong-typed props', () => {
    refused(cp('abc'), S, 'props', /must be an object, not string "abc"/);
    refused(cp([]), S, 'props', /not a list/);
    refused(cp(null), S, 'props', /not null/);
    refused(cp({ nmae: 'cp' }), S, 'nmae', /unknown field \(expected one of conf, core, namespace, name/);
    refused(cp({ conf: 'abc' }), S, 'conf', 'must be a list of modules, not string "abc"');
    refused(cp({ conf: { mongodb: {} } }), S, 'conf', /not an object/);
    refused(cp({ core: { Amqp__MaxPriority: '10' } }), S, 'core', /must be a CoreSettings, another module \(with `outputs`\) or ModuleOutputs, not an object/);
    refused(cp({ core: 'core-configmap' }), S, 'core', /not string "core-configmap"/);
    refused(cp({ defaultPartition: null }), S, 'defaultPartition', /^null is not a DNS-1123 label/);
    refused(cp({ defaultPartition: 'Default' }), S, 'defaultPartition', /"Default" is not a DNS-1123 label of at most 49/);
    refused(cp({ env: { Submitter__DefaultPartition: 'Default' } }), S, 'env.Submitter__DefaultPartition', /"Default" is not a DNS-1123 label of at most 49/);
    refused(cp({ moduleEnv: 'ConfigMap' }), S, 'moduleEnv', `"ConfigMap" is not a ModuleEnv ('inline' or 'configmap')`);
    refused(cp({ scaling: { cpuUtilization: 80 } }), S, 'scaling', /must be made with ControlPlaneScaling.keda\(\), not an object/);
    refused(cp({ scaling: ControlPlaneScaling.keda(any('fast')) }), S, 'scaling', /must be an object, not string "fast"/);
    refused(cp({ scaling: ControlPlaneScaling.keda(any({ cpuUtilization: 80, maxReplica: 3 })) }), S, 'scaling.maxReplica', /unknown field/);
    refused(cp({ scaling: ControlPlaneScaling.keda({ cpuUtilization: 80, scaleDown: any(5) }) }), `${S}: scaling`, 'scaleDown', /not number 5/);
    refused(cp({ serviceAccountName: 'S3_Writer' }), S, 'serviceAccountName', /"S3_Writer" is not a valid ServiceAccount name/);
    refused(cp({ image: 5 }), S, 'image', /^number 5 is not an image reference/);
    refused(cp({ namespace: 'Armonik' }), S, 'namespace', /"Armonik" is not a DNS-1123 label/);
    expect(() => new ControlPlane(chart(), 'cp', { moduleEnv: ModuleEnv.CONFIG_MAP })).not.toThrow();
  });

  it('takes props from a class implementing the interface, but refuses a construct given as props', () => {
    class Props {
      readonly name = 'cp-from-class';
    }
    expect(new ControlPlane(chart(), 'cp', new Props()).name).toBe('cp-from-class');
    const c = chart();
    refused(() => new ControlPlane(c, 'cp', any(new MetricsExporter(c, 'm'))), S, 'node', /unknown field/);
  });
});

describe('ComputePlane', () => {
  const S = 'ComputePlane test/cp';
  const P = `${S}: partitions.default`;
  const plane = (props: unknown) => () => new ComputePlane(chart(), 'cp', any(props));
  const partition = (p: unknown, more: object = {}) => plane({ partitions: { default: p }, ...more });

  it('gives a ValidationError naming the prop for missing or wrong-typed props', () => {
    refused(plane({}), S, 'partitions', /must be an object of partitions by name .*, not undefined/);
    refused(plane(undefined), S, 'props', /is required/);
    refused(plane('abc'), S, 'props', /not string "abc"/);
    refused(plane({ partitions: [] }), S, 'partitions', /not a list/);
    refused(plane({ partitions: 'default' }), S, 'partitions', /not string "default"/);
    refused(plane({ partitions: new Map([['default', {}]]) }), S, 'partitions', /not a Map/);
    refused(plane({ partitions: { default: {} }, partition: {} }), S, 'partition', /unknown field/);
    refused(plane({ partitions: { default: {} }, conf: 'abc' }), S, 'conf', 'must be a list of modules, not string "abc"');
    refused(partition('abc'), S, 'partitions.default', /must be an object, not string "abc"/);
    refused(partition({ podmax: 3 }), S, 'partitions.default.podmax', /unknown field/);
    refused(partition({ conf: 'abc' }), P, 'conf', /must be a list of modules/);
    refused(partition({ scaling: {} }), P, 'scaling', /must be made with PartitionScaling.keda\(\), .hpa\(\) or .fixed\(\)/);
    refused(partition({ parentPartitionIds: 'other' }), P, 'parentPartitionIds', /must be a list of strings, not string "other"/);
    refused(partition({ podConfiguration: new Map() }), P, 'podConfiguration', /not a Map/);
    refused(partition({ podConfiguration: { gpu: 1 } }), P, 'podConfiguration.gpu', 'must be a string, not number 1');
    refused(partition({ socketType: 'udp' }), P, 'socketType', `"udp" is not 'unixdomainsocket' or 'tcp'`);
    refused(partition({ podReserved: 5, podMax: 2 }), S, 'partitions.default', 'podMax (2) is below podReserved (5)');
    refused(partition({ priority: '2' }), P, 'priority', 'string "2" is not a non-negative integer');
    refused(partition({}, { init: 'daily' }), S, 'init', /must be an object, not string "daily"/);
    refused(partition({}, { pollingAgent: [] }), S, 'pollingAgent', /not a list/);
    refused(partition({}, { moduleEnv: 'inline ' }), S, 'moduleEnv', /is not a ModuleEnv/);
    refused(partition({}, { core: new Map() }), S, 'core', /not a Map/);
  });

  it('refuses partition names that make invalid object names ("compute-plane-<partition>" within 63)', () => {
    refused(plane({ partitions: { 'a.b': {} } }), S, 'partitions.a.b', /"a.b" is not a DNS-1123 label of at most 49 characters/);
    refused(plane({ partitions: { ['p'.repeat(50)]: {} } }), S, `partitions.${'p'.repeat(50)}`, /at most 49/);
    refused(plane({ partitions: { GPU: {} } }), S, 'partitions.GPU', /"GPU" is not a DNS-1123 label/);
    const c = chart();
    new ComputePlane(c, 'cp', { partitions: { ['p'.repeat(49)]: {} } });
    expect(Testing.synth(c).find((o) => o.kind === 'Deployment').metadata.name).toHaveLength(63);
  });

  it('refuses a priorityClassName Kubernetes refuses', () => {
    refused(partition({ priorityClassName: 'High_Priority' }), P, 'priorityClassName', /"High_Priority" is not a valid PriorityClass name/);
    refused(partition({ priorityClassName: 5 }), P, 'priorityClassName', /number 5 is not a valid PriorityClass name/);
    expect(partition({ priorityClassName: 'armonik.high' })).not.toThrow();
  });

  it('refuses quantities, env and images of either container, naming the level they were given at', () => {
    refused(partition({}, { pollingAgent: { resources: { cpuLimit: 'abc' } } }), S, 'pollingAgent.resources.cpuLimit', /"abc" is not a Kubernetes quantity/);
    refused(partition({ pollingAgent: { resources: { cpuLimit: 'abc' } } }), P, 'pollingAgent.resources.cpuLimit', /"abc" is not a Kubernetes quantity/);
    refused(partition({ worker: { resources: { memoryRequest: '2Gi' } } }), P, 'worker.resources.memoryRequest', /"2Gi" is above memoryLimit "1Gi"/);
    refused(partition({}, { worker: { env: { X: 5 } } }), S, 'worker.env.X', 'must be a string, not number 5');
    refused(partition({ worker: { env: new Map() } }), P, 'worker.env', /not a Map/);
    refused(partition({ pollingAgent: { env: { 'bad name': 'x' } } }), P, 'pollingAgent.env.bad name', /not a valid environment variable name/);
    refused(partition({}, { pollingAgent: { conf: 'abc' } }), S, 'pollingAgent.conf', /must be a list of modules/);
    refused(partition({}, { worker: { image: 'Acme/Worker' } }), S, 'worker.image', /is not an image reference/);
    refused(partition({ worker: { imgae: 'acme/worker:1' } }), P, 'worker.imgae', /unknown field \(expected one of conf, image, resources, env, name, securityContext\)/);
    // A plane-level value that every partition overrides is still checked.
    refused(plane({ partitions: { default: { worker: { resources: {} } } }, worker: { resources: { cpuLimit: '-1' } } }), S, 'worker.resources.cpuLimit');
  });

  it('refuses, in env props, what the compute plane derives from other props', () => {
    refused(partition({ pollingAgent: { env: { Pollster__PartitionId: 'other' } } }), P, 'pollingAgent.env.Pollster__PartitionId', `"Pollster__PartitionId" is set from the partition's name; remove it from pollingAgent.env`);
    refused(partition({}, { pollingAgent: { env: { Amqp__PartitionId: 'other' } } }), S, 'pollingAgent.env.Amqp__PartitionId', /set from the partition's name/);
    refused(partition({ worker: { env: { ComputePlane__WorkerChannel__Address: '/tmp/w.sock' } } }), P, 'worker.env.ComputePlane__WorkerChannel__Address', /set from the partition's socketType/);
    refused(partition({}, { init: { env: { InitServices__Partitioning__Partitions__0: '{}' } } }), S, 'init.env.InitServices__Partitioning__Partitions__0', /set from the partitions of the compute plane/);
    // The worker may have a variable of its own named like the agent's partition: only the agent reads it.
    expect(partition({ worker: { env: { Pollster__PartitionId: 'x' } } })).not.toThrow();
  });

  it('refuses a bad init and uid', () => {
    refused(partition({}, { init: { env: { 'A B': 'x' } } }), S, 'init.env.A B', /not a valid environment variable name/);
    refused(partition({}, { init: { env: { A: 1 } } }), S, 'init.env.A', 'must be a string, not number 1');
    refused(partition({}, { init: { resources: { cpuLimit: 'lots' } } }), S, 'init.resources.cpuLimit', /"lots" is not a Kubernetes quantity/);
    refused(partition({}, { init: { schedule: 5 } }), S, 'init.schedule', /^number 5 is not a cron schedule/);
    refused(partition({}, { init: { image: 'bad image' } }), S, 'init.image', /is not an image reference/);
    refused(partition({}, { init: { shedule: '@daily' } }), S, 'init.shedule', /unknown field/);
    refused(partition({}, { uid: 0 }), S, 'uid', '0 is not a positive integer');
    refused(partition({}, { uid: '5000' }), S, 'uid', 'string "5000" is not a positive integer');
  });

  it('refuses bad scaling options of a partition, naming the partition', () => {
    const scaled = (scaling: PartitionScaling) => partition({ scaling });
    refused(scaled(PartitionScaling.fixed(-1)), `${P}: scaling`, 'replicas', '-1 is not a non-negative integer');
    refused(scaled(PartitionScaling.fixed(any('3'))), `${P}: scaling`, 'replicas', 'string "3" is not a non-negative integer');
    refused(scaled(PartitionScaling.keda(any('fast'))), P, 'scaling', /must be an object, not string "fast"/);
    refused(scaled(PartitionScaling.keda(any({ maxReplica: 3 }))), P, 'scaling.maxReplica', /unknown field/);
    refused(scaled(PartitionScaling.keda({ scaleDown: any([]) })), `${P}: scaling`, 'scaleDown', /not a list/);
    refused(scaled(PartitionScaling.keda({ minReplicas: -1 })), `${P}: scaling`, 'minReplicas', '-1 is not a non-negative integer');
    refused(scaled(PartitionScaling.keda({ prometheusAddress: 'prometheus:9090' })), P, 'scaling.prometheusAddress', '"prometheus:9090" is not an http(s) URL');
    refused(scaled(PartitionScaling.keda({ prometheusAddress: any(9090) })), P, 'scaling.prometheusAddress', /number 9090 is not an http\(s\) URL/);
    refused(scaled(PartitionScaling.keda({ metricsJob: any(5) })), P, 'scaling.metricsJob', /number 5 is not a Prometheus job name/);
    refused(scaled(PartitionScaling.keda({ metricsJob: 'metrics exporter' })), P, 'scaling.metricsJob', '"metrics exporter" is not a Prometheus job name');
    refused(scaled(PartitionScaling.keda({ restoreToOriginalReplicaCount: any('no') })), P, 'scaling.restoreToOriginalReplicaCount', /must be true or false/);
    refused(scaled(PartitionScaling.hpa({ metricName: any(5) })), P, 'scaling.metricName', 'must be a string, not number 5');
    refused(scaled(PartitionScaling.hpa(any({ metric: 'x' }))), P, 'scaling.metric', /unknown field/);
  });

  it('refuses credentials in the Prometheus address (KEDA serverAddress) without repeating them, saying where they belong', () => {
    const err = refused(partition({ scaling: PartitionScaling.keda({ prometheusAddress: 'http://user:pass@prometheus:9090' }) }), P, 'scaling.prometheusAddress');
    expect(err.reason).toContain('"http://***@prometheus:9090" carries credentials');
    expect(err.reason).toMatch(/Secret .*TriggerAuthentication.*authenticationRef/);
    expect(err.message).not.toContain('pass');
    expect(err.value).toBeUndefined();
  });
});

describe('MetricsExporter and PartitionMetricsExporter', () => {
  const S = 'MetricsExporter test/m';
  const exporter = (props: unknown) => () => new MetricsExporter(chart(), 'm', any(props));

  it('refuses names that make an invalid Service', () => {
    refused(exporter({ name: 'metrics.exporter' }), S, 'name', /"metrics.exporter" is not a valid Service name/);
    refused(exporter({ name: '9-metrics' }), S, 'name', /starting with a letter/);
    refused(exporter({ name: 'm'.repeat(64) }), S, 'name', /at most 63/);
  });

  it('refuses bad props with a ValidationError naming them', () => {
    refused(exporter('abc'), S, 'props', /not string "abc"/);
    refused(exporter({ conf: 'abc' }), S, 'conf', /must be a list of modules/);
    refused(exporter({ env: { A: 1 } }), S, 'env.A', 'must be a string, not number 1');
    refused(exporter({ env: new Map() }), S, 'env', /not a Map/);
    refused(exporter({ resources: { cpuLimit: 'abc' } }), S, 'resources.cpuLimit', /"abc" is not a Kubernetes quantity/);
    refused(exporter({ moduleEnv: 'x' }), S, 'moduleEnv', /"x" is not a ModuleEnv/);
    refused(exporter({ coreversion: '0.37.2' }), S, 'coreversion', /unknown field/);
    refused(exporter({ core: [] }), S, 'core', /not a list/);
  });

  it('the partition metrics exporter needs a MetricsExporter to read', () => {
    const S2 = 'PartitionMetricsExporter test/pm';
    const pme = (props: unknown) => () => new PartitionMetricsExporter(chart(), 'pm', any(props));
    refused(pme(undefined), S2, 'props', /is required/);
    refused(pme({ coreVersion: '0.37.0' }), S2, 'metricsExporter', /is required/);
    refused(pme({ coreVersion: '0.37.0', metricsExporter: { host: 'metrics-exporter' } }), S2, 'metricsExporter', /must be made with new MetricsExporter\(...\), not an object/);
    const c = chart();
    const m = new MetricsExporter(c, 'm');
    refused(() => new PartitionMetricsExporter(c, 'pm', { metricsExporter: m, coreVersion: '0.37.0', env: { MetricsExporter__Host: 'elsewhere' } }), S2, 'env.MetricsExporter__Host', /set from metricsExporter/);
    expect(() => new PartitionMetricsExporter(c, 'pm2', { metricsExporter: m, coreVersion: '0.37.0', name: 'partition.metrics' }))
      .toThrow('PartitionMetricsExporter test/pm2: name: "partition.metrics" is not a valid Service name');
  });
});

describe('CoreSettings', () => {
  const S = 'CoreSettings test/core';
  const settings = (props: unknown) => () => new CoreSettings(chart(), 'core', any(props));

  it('refuses settings that are not an object of strings', () => {
    refused(settings({ env: new Map([['Amqp__MaxPriority', '4']]) }), S, 'env', /not a Map/);
    refused(settings({ env: ['Amqp__MaxPriority=4'] }), S, 'env', /not a list/);
    refused(settings({ env: { Amqp__MaxPriority: 4 } }), S, 'env.Amqp__MaxPriority', 'must be a string, not number 4');
    refused(settings('abc'), S, 'props', /not string "abc"/);
    refused(settings({ data: {} }), S, 'data', /unknown field \(expected one of env, name, namespace, authentication\)/);
    refused(() => CoreSettings.defaults(any(new Map())), 'CoreSettings.defaults()', 'env', /not a Map/);
  });
});

describe('the other public entry points', () => {
  it('InitJob made directly checks what the compute plane would have', () => {
    const S = 'InitJob test/init';
    const base = { where: S, namespace: 'armonik', image: 'dockerhubaneo/armonik_control:0.37.2', uid: 1654, conf: ModuleOutputs.empty(), partitions: [], resources: {} };
    const init = (props: unknown) => () => new InitJob(chart(), 'init', any(props));
    refused(init(undefined), S, 'props', /not undefined/);
    refused(init({ ...base, where: undefined, conf: {} }), S, 'conf', /must be ModuleOutputs \(merged\), not an object/);
    refused(init({ ...base, partitions: {} }), S, 'partitions', /must be a list of partitions/);
    refused(init({ ...base, image: undefined }), S, 'init.image', /undefined is not an image reference/);
    refused(init({ ...base, uid: 0 }), S, 'uid', '0 is not a positive integer');
    refused(init({ ...base, namespace: 'A' }), S, 'namespace');
    refused(init({ ...base, resources: 'small' }), S, 'init.resources', /not string "small"/);
    refused(init({ ...base, name: 'i'.repeat(53) }), S, 'init.name', /at most 52 characters/);
    refused(init({ ...base, env: new Map() }), S, 'init.env', /not a Map/);
    expect(init(base)).not.toThrow();
  });

  it('functions refuse wrong-typed arguments', () => {
    refused(() => queuedTasksMetric(any(5)), 'queuedTasksMetric()', 'partition', /not number 5/);
    refused(() => CoreVersion.parse('0.37.2', 'x').atLeast(any(36)), 'CoreVersion.atLeast()', 'other', /number 36 is not a version/);
  });
});

describe('ArmoniK', () => {
  const S = 'ArmoniK test/a';
  const valid = { controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {} };
  const armonik = (props: unknown) => () => new ArmoniK(chart(), 'a', any(props));

  it('gives a ValidationError naming the prop for missing or wrong-typed props', () => {
    refused(armonik(undefined), S, 'props', /is required/);
    refused(armonik({}), S, 'controlPlane', /is required \(fields: conf, name/);
    refused(armonik({ ...valid, computePlane: undefined }), S, 'computePlane', /is required/);
    refused(armonik({ ...valid, metricsExporter: undefined }), S, 'metricsExporter', /is required/);
    refused(armonik({ ...valid, controlPlane: 'control-plane' }), S, 'controlPlane', /not string "control-plane"/);
    refused(armonik({ ...valid, computePlane: { partitions: [] } }), S, 'computePlane.partitions', /not a list/);
    refused(armonik({ ...valid, computePlane: { partitions: {} } }), S, 'computePlane.partitions', 'give at least one partition');
    refused(armonik({ ...valid, computePlane: { partitions: { GPU: {} } } }), S, 'computePlane.partitions.GPU', /"GPU" is not a DNS-1123 label of at most 49/);
    refused(armonik({ ...valid, controlPlane: { namespace: 'other' } }), S, 'controlPlane.namespace', /unknown field/);
    refused(armonik({ ...valid, controlplane: {} }), S, 'controlplane', /unknown field/);
    refused(armonik({ ...valid, controlPlane: { env: new Map() } }), S, 'controlPlane.env', /not a Map/);
    refused(armonik({ ...valid, controlPlane: { env: { Submitter__DefaultPartition: 5 } } }), S, 'controlPlane.env.Submitter__DefaultPartition', 'must be a string, not number 5');
    refused(armonik({ ...valid, controlPlane: { defaultPartition: 'default', env: { Submitter__DefaultPartition: 'default' } } }), S, 'controlPlane.env', /give one of them/);
    refused(armonik({ ...valid, controlPlane: { defaultPartition: 7 } }), S, 'controlPlane.defaultPartition', /^number 7 is not a partition of the compute plane \(default\)/);
    // The log settings come first of each component's modules: its lists are checked before they are joined.
    refused(armonik({ ...valid, controlPlane: { conf: 'abc' } }), S, 'controlPlane.conf', /must be a list of modules/);
    refused(armonik({ ...valid, computePlane: { partitions: { default: {} }, conf: {} } }), S, 'computePlane.conf', /must be a list of modules/);
  });

  it('the props it passes on are checked by the component, which names its own path', () => {
    refused(armonik({ ...valid, metricsExporter: { conf: [{}] } }), 'ArmoniK test/a', 'metricsExporter.conf[0]', /must be a module/);
    refused(armonik({ ...valid, metricsExporter: { resources: { cpuLimit: 'abc' } } }), 'MetricsExporter test/a/metrics-exporter', 'resources.cpuLimit');
    refused(armonik({ ...valid, coreSettings: { Amqp__MaxPriority: 10 } }), 'CoreSettings test/a/core', 'env.Amqp__MaxPriority', 'must be a string, not number 10');
    refused(armonik({ ...valid, pollingAgent: { env: { A: null } } }), 'ComputePlane test/a/compute-plane', 'pollingAgent.env.A', 'must be a string, not null');
    refused(armonik({ ...valid, computePlane: { partitions: { default: { priorityClassName: 'Bad' } } } }), 'ComputePlane test/a/compute-plane: partitions.default', 'priorityClassName');
  });
});

describe('two constructs, one object', () => {
  it('refuses two ControlPlanes in one namespace, naming both construct paths', () => {
    const c = chart();
    new ControlPlane(c, 'cp1');
    const err = refused(() => new ControlPlane(c, 'cp2'), 'ControlPlane test/cp2', 'name', /would be synthesized twice/);
    expect(err.reason).toContain('test/cp1/');
    expect(err.reason).toContain('test/cp2/');
  });

  it('across charts of one app too; another name or namespace is fine', () => {
    const app = Testing.app();
    new ControlPlane(chart(app, 'one'), 'cp');
    refused(() => new ControlPlane(chart(app, 'two'), 'cp'), 'ControlPlane two/cp', 'name', /"armonik\/control-plane" would be synthesized twice/);
    expect(() => new ControlPlane(chart(app, 'three', 'other'), 'cp')).not.toThrow();
    expect(() => new ControlPlane(chart(app, 'four'), 'cp', { name: 'control-plane-2' })).not.toThrow();
    // Separate apps never clash.
    expect(() => new ControlPlane(chart(new App()), 'cp')).not.toThrow();
  });

  it('refuses an ArmoniK whose control plane is named like its metrics exporter', () => {
    const err = refused(
      () => new ArmoniK(chart(), 'a', { controlPlane: { name: 'metrics-exporter' }, computePlane: { partitions: { default: {} } }, metricsExporter: {} }),
      'MetricsExporter test/a/metrics-exporter',
      'name',
      /would be synthesized twice/,
    );
    expect(err.reason).toContain('test/a/control-plane/');
    expect(err.reason).toContain('test/a/metrics-exporter/');
  });

  it('refuses two ArmoniKs, or an ArmoniK and a Core settings ConfigMap, in one namespace; two namespaces are fine', () => {
    const props = { controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {} };
    const c = chart();
    new ArmoniK(c, 'a', props);
    refused(() => new ArmoniK(c, 'b', props), 'CoreSettings test/b/core', 'name', /ConfigMap "armonik\/core-configmap" would be synthesized twice: by test\/b\/core\/configmap and by test\/a\/core\/configmap/);
    refused(() => new CoreSettings(c, 'settings'), 'CoreSettings test/settings', 'name', /would be synthesized twice/);
    expect(() => new ArmoniK(c, 'c', { ...props, namespace: 'armonik-2' })).not.toThrow();
  });

  it('refuses a control plane named like a partition\'s derived objects', () => {
    const c = chart();
    new ComputePlane(c, 'compute', { partitions: { default: {} } });
    refused(() => new ControlPlane(c, 'cp', { name: 'compute-plane-default' }), 'ControlPlane test/cp', 'name', /Deployment.apps "armonik\/compute-plane-default" would be synthesized twice/);
    refused(() => new ControlPlane(c, 'cp2', { name: 'default-compute-plane', scaling: ControlPlaneScaling.keda({ cpuUtilization: 80 }) }), 'ControlPlane test/cp2', 'name', /ScaledObject.keda.sh "armonik\/default-compute-plane" would be synthesized twice/);
  });

  it('refuses two compute planes in one namespace (their init CronJob and partition Deployments)', () => {
    const c = chart();
    new ComputePlane(c, 'cp1', { partitions: { default: {} } });
    refused(() => new ComputePlane(c, 'cp2', { partitions: { other: {} } }), 'ComputePlane test/cp2', 'name', /CronJob.batch "armonik\/init" would be synthesized twice/);
  });
});

describe('what was valid still is', () => {
  it('a full ArmoniK with every prop given synthesizes', () => {
    const c = chart();
    const tables = ModuleOutputs.of('mongodb', { env: { Components__TableStorage: 'ArmoniK.Adapters.MongoDB.TableStorage' } });
    new ArmoniK(c, 'a', {
      namespace: 'armonik',
      coreVersion: '0.37.2',
      coreSettings: { Amqp__MaxPriority: '4' },
      controlPlane: {
        conf: [tables], name: 'control-plane', image: 'dockerhubaneo/armonik_control:0.37.2', scaling: ControlPlaneScaling.keda({ cpuUtilization: 80, scaleDown: { percent: 50 } }),
        resources: { cpuLimit: '2' }, servicePort: 5001, defaultPartition: 'default', moduleEnv: ModuleEnv.CONFIG_MAP, env: { Submitter__MaxErrorAllowed: '50' },
        serviceAccountName: 'armonik-s3',
      },
      computePlane: {
        conf: [tables],
        partitions: {
          default: { priority: 1, podReserved: 0, podMax: 10, preemptionPercentage: 20, podConfiguration: { gpu: 'none' }, priorityClassName: 'armonik-high', socketType: 'tcp', conf: [], pollingAgent: { env: { A: 'b' } }, worker: { image: 'acme/worker:1', resources: { memoryLimit: '4Gi' } } },
          gpu: { parentPartitionIds: ['default'], scaling: PartitionScaling.keda({ prometheusAddress: 'https://prometheus.monitoring:9090', metricsJob: 'armonik', restoreToOriginalReplicaCount: false }) },
          batch: { scaling: PartitionScaling.fixed(0) },
          stream: { scaling: PartitionScaling.hpa({ metricName: 'armonik_{partition}_queued' }) },
        },
        moduleEnv: ModuleEnv.INLINE,
        init: { image: 'dockerhubaneo/armonik_control:0.37.2', schedule: '@hourly', env: { MongoDB__DataRetention: '10:00:00' }, resources: { cpuRequest: '100m' } },
        serviceAccountName: 'armonik-s3',
      },
      pollingAgent: { conf: [], image: 'dockerhubaneo/armonik_pollingagent:0.37.2', resources: { cpuRequest: '1' }, env: { Pollster__GraceDelay: '00:00:30' } },
      worker: { env: { WORKER: 'yes' } },
      metricsExporter: { conf: [tables], name: 'metrics-exporter', resources: { memoryLimit: '1Gi' }, env: { A: 'b' }, moduleEnv: ModuleEnv.INLINE },
      podDeletionCost: {
        name: 'pdc', labelApp: 'armonik', image: 'dockerhubaneo/armonik_pdc_update:0.3.0', prometheusUrl: 'https://prometheus.monitoring:9090/prom/',
        metricsName: 'TaskStartTime_Seconds', period: 5, ignoreYoungerThan: 20, concurrency: 4, granularity: 1, extraConf: { RUST_LOG: 'info' },
        resources: { memoryLimit: '256Mi' }, nodeSelector: { service: 'metrics' }, imagePullSecrets: ['regcred'], annotations: { 'example.com/team': 'hpc' },
      },
    });
    const objects = Testing.synth(c);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort())
      .toEqual(['compute-plane-batch', 'compute-plane-default', 'compute-plane-gpu', 'compute-plane-stream', 'control-plane', 'metrics-exporter', 'pdc']);
  });
});

/**
 * A plain-JavaScript caller may pass anything anywhere: each construct, with each prop set to
 * each wrong kind of value, either accepts it (e.g. `null` as "not given") or throws a
 * ValidationError (ModuleOutputsError is one); never a TypeError or another Error.
 */
describe('no TypeError for any wrong-typed prop', () => {
  const wrong: unknown[] = [null, 0, -1, 1.5, NaN, 'x', '', true, [], ['x'], {}, { a: 1 }, new Map(), () => 1, Symbol('s'), 10n];
  const cases: Array<[string, string[], (props: Record<string, unknown>) => unknown]> = [
    ['ControlPlane', ['conf', 'core', 'namespace', 'name', 'coreVersion', 'image', 'replicas', 'scaling', 'resources', 'servicePort', 'defaultPartition', 'moduleEnv', 'env', ...POD_SETTINGS],
      (p) => new ControlPlane(chart(), 'cp', any(p))],
    ['ComputePlane', ['partitions', 'conf', 'core', 'pollingAgent', 'worker', 'coreVersion', 'init', 'namespace', 'moduleEnv', 'uid', ...POD_SETTINGS],
      (p) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, ...p }))],
    ['a partition', ['priority', 'podReserved', 'podMax', 'preemptionPercentage', 'parentPartitionIds', 'podConfiguration', 'scaling', 'pollingAgent', 'worker', 'conf', 'priorityClassName', 'socketType', 'terminationGracePeriodSeconds', ...POD_SETTINGS],
      (p) => new ComputePlane(chart(), 'cp', any({ partitions: { default: p, other: {} } }))],
    ['MetricsExporter', ['conf', 'core', 'coreVersion', 'namespace', 'name', 'image', 'resources', 'moduleEnv', 'env', ...POD_SETTINGS],
      (p) => new MetricsExporter(chart(), 'm', any(p))],
    ['CoreSettings', ['env', 'name', 'namespace'], (p) => new CoreSettings(chart(), 'core', any(p))],
    ['ArmoniK', ['namespace', 'coreVersion', 'coreSettings', 'controlPlane', 'computePlane', 'pollingAgent', 'worker', 'metricsExporter', 'podDeletionCost'],
      (p) => new ArmoniK(chart(), 'a', any({ controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {}, ...p }))],
    ['ArmoniK controlPlane', ['conf', 'name', 'image', 'replicas', 'scaling', 'resources', 'servicePort', 'defaultPartition', 'moduleEnv', 'env', ...POD_SETTINGS],
      (p) => new ArmoniK(chart(), 'a', any({ controlPlane: p, computePlane: { partitions: { default: {} } }, metricsExporter: {} }))],
    ['ArmoniK computePlane', ['conf', 'partitions', 'moduleEnv', 'init', ...POD_SETTINGS],
      (p) => new ArmoniK(chart(), 'a', any({ controlPlane: {}, computePlane: { partitions: { default: {} }, ...p }, metricsExporter: {} }))],
    ['KEDA options', ['prometheusAddress', 'metricsJob', 'minReplicas', 'maxReplicas', 'tasksPerPod', 'pollingInterval', 'cooldownPeriod', 'scaleDown', 'restoreToOriginalReplicaCount', 'cpuUtilization', 'memoryUtilization'],
      (p) => new ComputePlane(chart(), 'cp', { partitions: { default: { scaling: PartitionScaling.keda(any(p)) } } })],
    ['control plane KEDA options', ['cpuUtilization', 'memoryUtilization', 'minReplicas', 'maxReplicas', 'pollingInterval', 'cooldownPeriod', 'scaleDown'],
      (p) => new ControlPlane(chart(), 'cp', { scaling: ControlPlaneScaling.keda(any({ cpuUtilization: 80, ...p })) })],
    ['HPA options', ['minReplicas', 'maxReplicas', 'tasksPerPod', 'metricName'],
      (p) => new ComputePlane(chart(), 'cp', { partitions: { default: { scaling: PartitionScaling.hpa(any(p)) } } })],
    ['PartitionScaling.fixed', ['replicas'], (p) => new ComputePlane(chart(), 'cp', { partitions: { default: { scaling: PartitionScaling.fixed(any(p.replicas)) } } })],
    ['scaleDown', ['stabilizationWindowSeconds', 'percent', 'periodSeconds'],
      (p) => new ComputePlane(chart(), 'cp', { partitions: { default: { scaling: PartitionScaling.keda({ scaleDown: any(p) }) } } })],
    ['pollingAgent', ['conf', 'image', 'resources', 'env'], (p) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, pollingAgent: p }))],
    ['a partition\'s worker', ['conf', 'image', 'resources', 'env'], (p) => new ComputePlane(chart(), 'cp', any({ partitions: { default: { worker: p } } }))],
    ['init', ['image', 'schedule', 'env', 'resources'], (p) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, init: p }))],
    ['PodDeletionCost', ['namespace', 'name', 'labelApp', 'image', 'prometheusUrl', 'metricsName', 'period', 'ignoreYoungerThan', 'concurrency', 'granularity', 'extraConf', 'resources', 'nodeSelector', 'imagePullSecrets', 'annotations'],
      (p) => new PodDeletionCost(chart(), 'pdc', any(p))],
    ['ArmoniK podDeletionCost', ['name', 'labelApp', 'image', 'prometheusUrl', 'metricsName', 'period', 'ignoreYoungerThan', 'concurrency', 'granularity', 'extraConf', 'resources', 'nodeSelector', 'imagePullSecrets', 'annotations'],
      (p) => new ArmoniK(chart(), 'a', any({ controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {}, podDeletionCost: p }))],
    ['resources', ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'], (p) => new MetricsExporter(chart(), 'm', any({ resources: p }))],
    ['PartitionMetricsExporter', ['metricsExporter', 'conf', 'core', 'coreVersion', 'namespace', 'name', 'image', 'resources', 'moduleEnv', 'env', ...POD_SETTINGS], (p) => {
      const c = chart();
      return new PartitionMetricsExporter(c, 'pm', any({ metricsExporter: new MetricsExporter(c, 'm'), coreVersion: '0.37.0', ...p }));
    }],
    ['InitJob', ['where', 'namespace', 'name', 'image', 'uid', 'conf', 'env', 'partitions', 'schedule', 'resources', 'hashInputs', 'moduleEnv', 'serviceAccountName'],
      (p) => new InitJob(chart(), 'init', any({ where: 'w', namespace: 'armonik', image: 'a/b:1', uid: 1654, conf: ModuleOutputs.empty(), partitions: [], resources: {}, ...p }))],
  ];
  for (const [what, props, build] of cases) {
    it(`${what}`, () => {
      const unexpected: string[] = [];
      for (const prop of props) {
        for (const value of wrong) {
          try {
            build({ [prop]: value });
          } catch (err) {
            if (!(err instanceof ValidationError)) unexpected.push(`${prop} = ${String(typeof value === 'symbol' ? 'symbol' : value)}: ${(err as Error).name}: ${(err as Error).message}`);
          }
        }
      }
      expect(unexpected).toEqual([]);
    });
  }
});
