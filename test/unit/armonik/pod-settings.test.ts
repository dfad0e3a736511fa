/**
 * Issue #19 item 5: the pod settings every ArmoniK component takes, with ArmoniK.Infra's names
 * (`armonik/variables.tf`): each lands in the pod spec of every component that takes it (the
 * compute plane's per partition too), its default is Infra's, and bad input is an error naming
 * the component and the field.
 */
import { Chart, Testing } from 'cdk8s';
import { ArmoniK, ArmoniKServiceAccount, ComputePlane, ControlPlane, MetricsExporter, PartitionMetricsExporter } from '../../../constructs/armonik/index.js';
import { refused } from '../../fixtures/validation.js';

const chart = () => new Chart(Testing.app(), 'test', { namespace: 'armonik' });
const any = (v: unknown) => v as any;
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const podOf = (objects: any[], deployment: string) => named(objects, 'Deployment', deployment).spec.template.spec;

/** One of each component, each given `settings` (the compute plane's partitions none of their own). */
function components(settings: Record<string, unknown> = {}, partitions: Record<string, Record<string, unknown>> = { default: {} }) {
  const c = chart();
  new ControlPlane(c, 'control', any(settings));
  new ComputePlane(c, 'compute', any({ partitions, ...settings }));
  const exporter = new MetricsExporter(c, 'metrics', any(settings));
  new PartitionMetricsExporter(c, 'partition-metrics', any({ metricsExporter: exporter, coreVersion: '0.37.0', ...settings }));
  return Testing.synth(c);
}
const DEPLOYMENTS = ['control-plane', 'compute-plane-default', 'metrics-exporter', 'partition-metrics-exporter'];

describe('serviceAccountName / serviceAccount (Infra: control_plane and compute_plane[partition] service_account_name)', () => {
  it('by default the pods run with no ServiceAccount token (as Infra with service_account_name "")', () => {
    const objects = components();
    for (const d of DEPLOYMENTS) {
      expect(podOf(objects, d).serviceAccountName).toBeUndefined();
      expect(podOf(objects, d).automountServiceAccountToken).toBe(false);
    }
    expect(byKind(objects, 'ServiceAccount')).toEqual([]);
  });

  it('an existing ServiceAccount by name, in every component and the init', () => {
    for (const settings of [{ serviceAccountName: 'armonik-s3' }, { serviceAccount: ArmoniKServiceAccount.fromName('armonik-s3') }]) {
      const objects = components(settings);
      for (const d of DEPLOYMENTS) {
        expect(podOf(objects, d).serviceAccountName).toBe('armonik-s3');
        expect(podOf(objects, d).automountServiceAccountToken).toBeUndefined();
      }
      expect(byKind(objects, 'Job')[0].spec.template.spec.serviceAccountName).toBe('armonik-s3');
      expect(byKind(objects, 'ServiceAccount')).toEqual([]);
    }
  });

  it('one the component creates, annotated with an IAM role, named after the component by default', () => {
    const role = { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/armonik-s3' };
    const objects = components({ serviceAccount: ArmoniKServiceAccount.create({ annotations: role }) });
    const accounts = byKind(objects, 'ServiceAccount');
    expect(accounts.map((a) => a.metadata.name).sort()).toEqual(['compute-plane', 'control-plane', 'metrics-exporter', 'partition-metrics-exporter']);
    for (const a of accounts) expect(a.metadata).toMatchObject({ namespace: 'armonik', annotations: role });
    expect(podOf(objects, 'control-plane').serviceAccountName).toBe('control-plane');
    expect(podOf(objects, 'compute-plane-default').serviceAccountName).toBe('compute-plane');
    expect(byKind(objects, 'Job')[0].spec.template.spec.serviceAccountName).toBe('compute-plane');
    expect(podOf(objects, 'metrics-exporter').serviceAccountName).toBe('metrics-exporter');
    const c = chart();
    new ControlPlane(c, 'cp', { serviceAccount: ArmoniKServiceAccount.create({ name: 'armonik-s3' }) });
    expect(byKind(Testing.synth(c), 'ServiceAccount').map((a) => a.metadata.name)).toEqual(['armonik-s3']);
    expect(podOf(Testing.synth(c), 'control-plane').serviceAccountName).toBe('armonik-s3');
  });

  it('per partition, as Infra: the partition\'s replaces the compute plane\'s for its pods only', () => {
    const objects = components({}, {
      default: {},
      gpu: { serviceAccount: ArmoniKServiceAccount.create({ annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/gpu' } }) },
      cpu: { serviceAccountName: 'cpu-sa' },
    });
    expect(podOf(objects, 'compute-plane-default').serviceAccountName).toBeUndefined();
    expect(podOf(objects, 'compute-plane-gpu').serviceAccountName).toBe('compute-plane-gpu');
    expect(podOf(objects, 'compute-plane-cpu').serviceAccountName).toBe('cpu-sa');
    expect(named(objects, 'ServiceAccount', 'compute-plane-gpu').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/gpu' });
    expect(byKind(objects, 'Job')[0].spec.template.spec.serviceAccountName).toBeUndefined();
  });

  it('through ArmoniK, for each component', () => {
    const c = chart();
    new ArmoniK(c, 'a', {
      controlPlane: { serviceAccountName: 'cp-sa' },
      computePlane: { partitions: { default: {}, gpu: { serviceAccountName: 'gpu-sa' } }, serviceAccount: ArmoniKServiceAccount.create({ name: 'compute-sa' }) },
      metricsExporter: { serviceAccount: ArmoniKServiceAccount.fromName('metrics-sa') },
      podDeletionCost: false,
    });
    const objects = Testing.synth(c);
    expect(podOf(objects, 'control-plane').serviceAccountName).toBe('cp-sa');
    expect(podOf(objects, 'compute-plane-default').serviceAccountName).toBe('compute-sa');
    expect(podOf(objects, 'compute-plane-gpu').serviceAccountName).toBe('gpu-sa');
    expect(podOf(objects, 'metrics-exporter').serviceAccountName).toBe('metrics-sa');
    expect(byKind(objects, 'ServiceAccount').map((a) => a.metadata.name)).toEqual(['compute-sa']);
  });

  it('refuses bad names and annotations, both props at once, and anything else, naming the component and field', () => {
    const cases: Array<[(s: Record<string, unknown>) => unknown, string, string]> = [
      [(s) => new ControlPlane(chart(), 'cp', any(s)), 'ControlPlane test/cp', ''],
      [(s) => new MetricsExporter(chart(), 'm', any(s)), 'MetricsExporter test/m', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, ...s })), 'ComputePlane test/cp', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: s } })), 'ComputePlane test/cp', 'partitions.default.'],
    ];
    for (const [build, S, prefix] of cases) {
      const fn = (s: Record<string, unknown>) => () => build(s);
      refused(fn({ serviceAccountName: 'S3_Writer' }), S, `${prefix}serviceAccountName`, /"S3_Writer" is not a valid ServiceAccount name/);
      refused(fn({ serviceAccount: ArmoniKServiceAccount.fromName('S3_Writer') }), S, `${prefix}serviceAccount.name`, /"S3_Writer" is not a valid ServiceAccount name/);
      refused(fn({ serviceAccount: ArmoniKServiceAccount.create({ name: 'A' }) }), S, `${prefix}serviceAccount.name`, /"A" is not a valid ServiceAccount name/);
      refused(fn({ serviceAccount: ArmoniKServiceAccount.create({ annotations: { 'bad key!': 'x' } }) }), S, `${prefix}serviceAccount.annotations.bad key!`, /not a valid annotation key/);
      refused(fn({ serviceAccount: ArmoniKServiceAccount.create({ annotations: any({ a: 1 }) }) }), S, `${prefix}serviceAccount.annotations.a`, /must be a string/);
      refused(fn({ serviceAccount: ArmoniKServiceAccount.create(any({ role: 'x' })) }), S, `${prefix}serviceAccount.role`, /unknown field/);
      refused(fn({ serviceAccount: { name: 'sa' } }), S, `${prefix}serviceAccount`, /must be made with ArmoniKServiceAccount.fromName\(\) or .create\(\), not an object/);
      refused(fn({ serviceAccount: 'sa' }), S, `${prefix}serviceAccount`, /not string "sa"/);
      refused(fn({ serviceAccountName: 'a', serviceAccount: ArmoniKServiceAccount.fromName('b') }), S, `${prefix}serviceAccountName`, /give serviceAccountName or serviceAccount, not both/);
    }
  });

  it('refuses a created ServiceAccount named like another object of the chart', () => {
    const c = chart();
    new ControlPlane(c, 'cp', { serviceAccount: ArmoniKServiceAccount.create({ name: 'armonik' }) });
    expect(() => new MetricsExporter(c, 'm', { serviceAccount: ArmoniKServiceAccount.create({ name: 'armonik' }) })).toThrow(/ServiceAccount/);
  });
});

describe('nodeSelector (Infra: node_selector, with its NoSchedule tolerations) and tolerations', () => {
  it('none by default, as Infra with node_selector {}', () => {
    const objects = components();
    for (const d of DEPLOYMENTS) {
      expect(podOf(objects, d).nodeSelector).toBeUndefined();
      expect(podOf(objects, d).tolerations).toBeUndefined();
    }
  });

  it('the node selector, each label tolerated as a NoSchedule taint as Infra does, then the explicit tolerations, in every component', () => {
    const objects = components({
      nodeSelector: { service: 'workers', 'node.kubernetes.io/pool': 'spot' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }, { operator: 'Exists' }],
    });
    for (const d of DEPLOYMENTS) {
      const pod = podOf(objects, d);
      expect(pod.nodeSelector).toEqual({ service: 'workers', 'node.kubernetes.io/pool': 'spot' });
      expect(pod.tolerations).toEqual([
        { key: 'service', operator: 'Equal', value: 'workers', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pool', operator: 'Equal', value: 'spot', effect: 'NoSchedule' },
        { key: 'gpu', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
        { operator: 'Exists' },
      ]);
    }
  });

  it('per partition: the partition\'s node selector and tolerations replace the compute plane\'s', () => {
    const c = chart();
    new ComputePlane(c, 'cp', {
      nodeSelector: { service: 'workers' },
      tolerations: [{ key: 'spot', value: 'true' }],
      partitions: { default: {}, gpu: { nodeSelector: { service: 'gpu' } }, big: { tolerations: [{ key: 'big', operator: 'Exists' }] } },
    });
    const objects = Testing.synth(c);
    expect(podOf(objects, 'compute-plane-default')).toMatchObject({ nodeSelector: { service: 'workers' }, tolerations: [{ key: 'service', operator: 'Equal', value: 'workers', effect: 'NoSchedule' }, { key: 'spot', operator: 'Equal', value: 'true' }] });
    expect(podOf(objects, 'compute-plane-gpu')).toMatchObject({ nodeSelector: { service: 'gpu' }, tolerations: [{ key: 'service', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, { key: 'spot', operator: 'Equal', value: 'true' }] });
    expect(podOf(objects, 'compute-plane-big')).toMatchObject({ nodeSelector: { service: 'workers' }, tolerations: [{ key: 'service', operator: 'Equal', value: 'workers', effect: 'NoSchedule' }, { key: 'big', operator: 'Exists' }] });
  });

  it('refuses bad label keys and values and bad tolerations, naming the component and field', () => {
    const cases: Array<[(s: Record<string, unknown>) => unknown, string, string]> = [
      [(s) => new ControlPlane(chart(), 'cp', any(s)), 'ControlPlane test/cp', ''],
      [(s) => new MetricsExporter(chart(), 'm', any(s)), 'MetricsExporter test/m', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, ...s })), 'ComputePlane test/cp', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: s } })), 'ComputePlane test/cp', 'partitions.default.'],
    ];
    for (const [build, S, prefix] of cases) {
      const fn = (s: Record<string, unknown>) => () => build(s);
      refused(fn({ nodeSelector: { 'bad key!': 'x' } }), S, `${prefix}nodeSelector.bad key!`, /not a valid label key/);
      refused(fn({ nodeSelector: { pool: 'not ok' } }), S, `${prefix}nodeSelector.pool`, /label value/);
      refused(fn({ nodeSelector: { pool: 1 } }), S, `${prefix}nodeSelector.pool`, /must be a string/);
      refused(fn({ nodeSelector: 'pool=spot' }), S, `${prefix}nodeSelector`, /not string/);
      refused(fn({ tolerations: { key: 'a' } }), S, `${prefix}tolerations`, /must be a list of tolerations/);
      refused(fn({ tolerations: ['a'] }), S, `${prefix}tolerations[0]`, /must be an object/);
      refused(fn({ tolerations: [{ key: 'a', operator: 'In' }] }), S, `${prefix}tolerations[0].operator`, /"In" is not 'Equal' or 'Exists'/);
      refused(fn({ tolerations: [{ key: 'bad key!' }] }), S, `${prefix}tolerations[0].key`, /not a valid label key/);
      refused(fn({ tolerations: [{ value: 'x' }] }), S, `${prefix}tolerations[0].key`, /give a key, or operator 'Exists'/);
      refused(fn({ tolerations: [{ key: 'a', operator: 'Exists', value: 'x' }] }), S, `${prefix}tolerations[0].value`, /has no value/);
      refused(fn({ tolerations: [{ key: 'a', value: 'not ok' }] }), S, `${prefix}tolerations[0].value`, /label value/);
      refused(fn({ tolerations: [{ key: 'a', effect: 'NoSchedul' }] }), S, `${prefix}tolerations[0].effect`, /"NoSchedul" is not 'NoSchedule', 'PreferNoSchedule', 'NoExecute'/);
      refused(fn({ tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 5 }] }), S, `${prefix}tolerations[0].tolerationSeconds`, /'NoExecute' only/);
      refused(fn({ tolerations: [{ key: 'a', effect: 'NoExecute', tolerationSeconds: -1 }] }), S, `${prefix}tolerations[0].tolerationSeconds`, /-1/);
      refused(fn({ tolerations: [{ key: 'a', tolerationSecond: 5 }] }), S, `${prefix}tolerations[0].tolerationSecond`, /unknown field/);
    }
  });
});

describe('imagePullSecrets and imagePullPolicy (Infra: image_pull_secrets, image_pull_policy)', () => {
  it('by default no pull secret and IfNotPresent on every container, as Infra', () => {
    const objects = components({}, { default: {} });
    for (const d of DEPLOYMENTS) {
      const pod = podOf(objects, d);
      expect(pod.imagePullSecrets).toBeUndefined();
      for (const c of pod.containers) expect(c.imagePullPolicy).toBe('IfNotPresent');
    }
    expect(podOf(objects, 'compute-plane-default').containers).toHaveLength(2);
  });

  it('given, in every component and both containers of a partition; a partition\'s replace the compute plane\'s', () => {
    const objects = components({ imagePullSecrets: ['regcred', 'mirror'], imagePullPolicy: 'Always' }, { default: {}, gpu: { imagePullSecrets: ['gpu-cred'], imagePullPolicy: 'Never' } });
    for (const d of DEPLOYMENTS) {
      const pod = podOf(objects, d);
      expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
      for (const c of pod.containers) expect(c.imagePullPolicy).toBe('Always');
    }
    const gpu = podOf(objects, 'compute-plane-gpu');
    expect(gpu.imagePullSecrets).toEqual([{ name: 'gpu-cred' }]);
    expect(gpu.containers.map((c: any) => c.imagePullPolicy)).toEqual(['Never', 'Never']);
  });

  it('refuses bad Secret names and policies, naming the component and field', () => {
    const cases: Array<[(s: Record<string, unknown>) => unknown, string, string]> = [
      [(s) => new ControlPlane(chart(), 'cp', any(s)), 'ControlPlane test/cp', ''],
      [(s) => new MetricsExporter(chart(), 'm', any(s)), 'MetricsExporter test/m', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, ...s })), 'ComputePlane test/cp', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: s } })), 'ComputePlane test/cp', 'partitions.default.'],
    ];
    for (const [build, S, prefix] of cases) {
      const fn = (s: Record<string, unknown>) => () => build(s);
      refused(fn({ imagePullSecrets: ['Reg_Cred'] }), S, `${prefix}imagePullSecrets[0]`, /"Reg_Cred" is not a valid Secret name/);
      refused(fn({ imagePullSecrets: 'regcred' }), S, `${prefix}imagePullSecrets`, /must be a list of strings/);
      refused(fn({ imagePullSecrets: [1] }), S, `${prefix}imagePullSecrets[0]`, /must be a string/);
      refused(fn({ imagePullPolicy: 'ifnotpresent' }), S, `${prefix}imagePullPolicy`, /"ifnotpresent" is not 'Always', 'IfNotPresent', 'Never'/);
      refused(fn({ imagePullPolicy: null }), S, `${prefix}imagePullPolicy`, /null is not 'Always'/);
    }
  });
});

describe('annotations (Infra: annotations)', () => {
  it('none by default but the components\' own', () => {
    const objects = components();
    expect(named(objects, 'Deployment', 'control-plane').spec.template.metadata.annotations).toBeUndefined();
    expect(named(objects, 'Deployment', 'compute-plane-default').spec.template.metadata.annotations).toEqual({ 'armonik.aneo.fr/partition-priority': '1' });
  });

  it('on the pods of every component, beside the components\' own; a partition\'s replace the compute plane\'s', () => {
    const objects = components({ annotations: { 'example.com/team': 'hpc', note: 'x' } }, { default: {}, gpu: { annotations: { 'example.com/team': 'gpu' } } });
    for (const d of DEPLOYMENTS) expect(named(objects, 'Deployment', d).spec.template.metadata.annotations).toMatchObject({ 'example.com/team': 'hpc', note: 'x' });
    expect(named(objects, 'Deployment', 'compute-plane-default').spec.template.metadata.annotations).toEqual({ 'example.com/team': 'hpc', note: 'x', 'armonik.aneo.fr/partition-priority': '1' });
    expect(named(objects, 'Deployment', 'compute-plane-gpu').spec.template.metadata.annotations).toEqual({ 'example.com/team': 'gpu', 'armonik.aneo.fr/partition-priority': '1' });
    expect(named(objects, 'Deployment', 'control-plane').metadata.annotations).toBeUndefined();
  });

  it('refuses bad keys, non-string values and the components\' own, naming the component and field', () => {
    const cases: Array<[(s: Record<string, unknown>) => unknown, string, string]> = [
      [(s) => new ControlPlane(chart(), 'cp', any(s)), 'ControlPlane test/cp', ''],
      [(s) => new MetricsExporter(chart(), 'm', any(s)), 'MetricsExporter test/m', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, ...s })), 'ComputePlane test/cp', ''],
      [(s) => new ComputePlane(chart(), 'cp', any({ partitions: { default: s } })), 'ComputePlane test/cp', 'partitions.default.'],
    ];
    for (const [build, S, prefix] of cases) {
      const fn = (s: Record<string, unknown>) => () => build(s);
      refused(fn({ annotations: { 'bad key!': 'x' } }), S, `${prefix}annotations.bad key!`, /not a valid annotation key/);
      refused(fn({ annotations: { a: 1 } }), S, `${prefix}annotations.a`, /must be a string/);
      refused(fn({ annotations: 'a=b' }), S, `${prefix}annotations`, /not string/);
      refused(fn({ annotations: { 'armonik.aneo.fr/partition-priority': '9' } }), S, `${prefix}annotations.armonik.aneo.fr/partition-priority`, /is set by the component itself/);
      refused(fn({ annotations: { 'platform-constructs.io/module-env-hash': 'x' } }), S, `${prefix}annotations.platform-constructs.io/module-env-hash`, /is set by the component itself/);
    }
  });
});

describe('terminationGracePeriodSeconds per partition (Infra: compute_plane[partition].termination_grace_period_seconds)', () => {
  it('30 by default (Infra\'s quick-deploys), the partition\'s own when given', () => {
    const c = chart();
    new ComputePlane(c, 'cp', { partitions: { default: {}, long: { terminationGracePeriodSeconds: 600 }, now: { terminationGracePeriodSeconds: 0 } } });
    const objects = Testing.synth(c);
    expect(podOf(objects, 'compute-plane-default').terminationGracePeriodSeconds).toBe(30);
    expect(podOf(objects, 'compute-plane-long').terminationGracePeriodSeconds).toBe(600);
    expect(podOf(objects, 'compute-plane-now').terminationGracePeriodSeconds).toBe(0);
  });

  it('refuses a negative, fractional or non-number value, naming the partition and field', () => {
    const fn = (v: unknown) => () => new ComputePlane(chart(), 'cp', any({ partitions: { default: { terminationGracePeriodSeconds: v } } }));
    const S = 'ComputePlane test/cp: partitions.default';
    refused(fn(-1), S, 'terminationGracePeriodSeconds', /-1 is not/);
    refused(fn(1.5), S, 'terminationGracePeriodSeconds', /1.5 is not/);
    refused(fn('30'), S, 'terminationGracePeriodSeconds', /string "30" is not/);
    refused(() => new ComputePlane(chart(), 'cp', any({ partitions: { default: {} }, terminationGracePeriodSeconds: 30 })), 'ComputePlane test/cp', 'terminationGracePeriodSeconds', /unknown field/);
  });
});

it('a compute plane creating its ServiceAccount may have a partition named service-account', () => {
  const c = chart();
  new ComputePlane(c, 'cp', { serviceAccount: ArmoniKServiceAccount.create(), partitions: { 'service-account': {} } });
  expect(podOf(Testing.synth(c), 'compute-plane-service-account').serviceAccountName).toBe('compute-plane');
});
