/**
 * The pod-deletion-cost updater against ArmoniK.Infra 0.15.1 (`armonik/pdc.tf`, `variables.tf`)
 * and the binary it runs, ArmoniK.Infra.Plugins 0.3.0 `pdc-update` (`src/main.rs` reads the env,
 * `src/updater/pod.rs` patches pods and makes no other API call, `Dockerfile` runs as 65534):
 * the objects, the least Role, the env with the binary's defaults, the restricted pod, the
 * checks of every prop, and the ArmoniK umbrella deploying it by default.
 */
import { Chart, Testing } from 'cdk8s';
import { ARMONIK_IMAGES, ARMONIK_VERSIONS, ArmoniK, PodDeletionCost, type ArmoniKProps } from '../../../constructs/armonik/index.js';
import { refused } from '../../fixtures/validation.js';

const chart = (namespace = 'armonik') => new Chart(Testing.app(), 'test', { namespace });
const any = (v: unknown) => v as any;
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
const synth = (props: Record<string, unknown> = {}, namespace = 'armonik') => {
  const c = chart(namespace);
  new PodDeletionCost(c, 'pdc', any(props));
  return Testing.synth(c);
};
const deploymentOf = (objects: any[]) => objects.find((o) => o.kind === 'Deployment');

/** What every object of the updater carries: the recommended labels and Infra's `app` and `service`. */
const LABELS = {
  'app.kubernetes.io/name': 'pod-deletion-cost',
  'app.kubernetes.io/instance': 'pdc-update',
  'app.kubernetes.io/managed-by': 'platform-constructs',
  'app.kubernetes.io/component': 'pod-deletion-cost',
  'app.kubernetes.io/part-of': 'armonik',
  app: 'armonik',
  service: 'pod-deletion-cost',
};

describe('PodDeletionCost as ArmoniK.Infra deploys it', () => {
  const objects = synth();
  const deployment = deploymentOf(objects);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('is a ServiceAccount, a Role, a RoleBinding and a Deployment named pdc-update, in the namespace', () => {
    expect(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'v1 ServiceAccount armonik/pdc-update',
      'rbac.authorization.k8s.io/v1 Role armonik/pdc-update',
      'rbac.authorization.k8s.io/v1 RoleBinding armonik/pdc-update',
      'apps/v1 Deployment armonik/pdc-update',
      'networking.k8s.io/v1 NetworkPolicy armonik/pdc-update',
    ]);
    for (const o of objects) expect(o.metadata.labels).toEqual(LABELS);
  });

  it('may patch pods in its namespace and nothing else (the binary never gets, lists or watches)', () => {
    const role = objects.find((o) => o.kind === 'Role');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['patch'] }]);
    const binding = objects.find((o) => o.kind === 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pdc-update' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'pdc-update', namespace: 'armonik' }]);
    expect(objects.filter((o) => /Cluster/.test(o.kind))).toEqual([]);
  });

  it('runs one pod of dockerhubaneo/armonik_pdc_update at the infra_plugins version of ArmoniK 2.23.0, with its ServiceAccount token', () => {
    expect(ARMONIK_VERSIONS.infraPlugins).toBe('0.3.0');
    expect(ARMONIK_IMAGES.podDeletionCost).toBe('dockerhubaneo/armonik_pdc_update');
    expect(container.image).toBe('dockerhubaneo/armonik_pdc_update:0.3.0');
    expect(container.name).toBe('pdc-update');
    expect(deployment.spec.replicas).toBe(1);
    expect(pod.serviceAccountName).toBe('pdc-update');
    // kube::Client::try_default() needs the mounted token: nothing may turn it off.
    expect(pod.automountServiceAccountToken).toBeUndefined();
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'pod-deletion-cost', 'app.kubernetes.io/instance': 'pdc-update', 'app.kubernetes.io/component': 'pod-deletion-cost',
    });
    expect(deployment.spec.template.metadata.labels).toEqual(LABELS);
  });

  it('passes the env main.rs reads, with its defaults; Prometheus and the query of its own namespace', () => {
    expect(envOf(container)).toEqual({
      PrometheusUrl: 'http://prometheus.armonik.svc.cluster.local:9090/',
      MetricsName: 'TaskStartTime_Seconds{kubernetes_namespace="armonik"}',
      Period: '10',
      IgnoreYoungerThan: '10',
      Concurrency: '10',
      Granularity: '2',
    });
    expect(container.env.every((e: any) => typeof e.value === 'string' && e.valueFrom === undefined)).toBe(true);
  });

  it('runs under PodSecurity restricted as the image user 65534, read-only root filesystem, no volume', () => {
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.volumes).toBeUndefined();
    expect(container.volumeMounts).toBeUndefined();
  });

  it('has requests and limits, and no port or probe (the binary serves nothing)', () => {
    expect(container.resources).toEqual({
      requests: { cpu: '10m', memory: '32Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
    });
    for (const field of ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe']) expect(container[field]).toBeUndefined();
  });

  it('has no node selector, toleration, pull secret or annotation unless asked', () => {
    for (const field of ['nodeSelector', 'tolerations', 'imagePullSecrets']) expect(pod[field]).toBeUndefined();
    expect(deployment.spec.template.metadata.annotations).toBeUndefined();
  });

  it('is deterministic', () => {
    expect(synth()).toEqual(objects);
  });
});

describe('PodDeletionCost options', () => {
  it("renders each of Infra's options", () => {
    const objects = synth({
      name: 'pdc', labelApp: 'armonik-hpc', image: 'registry.example.com/pdc:1.0',
      prometheusUrl: 'https://prometheus.monitoring.svc:9090/prom/', metricsName: 'max by (kubernetes_namespace, kubernetes_pod_name) (TaskStartTime_Seconds)',
      period: 2.5, ignoreYoungerThan: 0, concurrency: 32, granularity: 1, extraConf: { RUST_LOG: 'info' },
      resources: { cpuLimit: '200m', memoryRequest: '64Mi' }, nodeSelector: { service: 'metrics', 'node.example.com/pool': 'ops' },
      imagePullSecrets: ['regcred', 'mirror'], annotations: { 'example.com/team': 'hpc' },
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/pdc', 'Role/pdc', 'RoleBinding/pdc', 'Deployment/pdc', 'NetworkPolicy/pdc']);
    expect(objects.find((o) => o.kind === 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'pdc', namespace: 'armonik' }]);
    expect(objects.find((o) => o.kind === 'RoleBinding').roleRef.name).toBe('pdc');
    const d = deploymentOf(objects);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.name).toBe('pdc');
    expect(c.image).toBe('registry.example.com/pdc:1.0');
    expect(pod.serviceAccountName).toBe('pdc');
    expect(d.spec.template.metadata.labels).toMatchObject({ app: 'armonik-hpc', service: 'pod-deletion-cost', 'app.kubernetes.io/instance': 'pdc' });
    expect(envOf(c)).toEqual({
      PrometheusUrl: 'https://prometheus.monitoring.svc:9090/prom/',
      MetricsName: 'max by (kubernetes_namespace, kubernetes_pod_name) (TaskStartTime_Seconds)',
      Period: '2.5',
      IgnoreYoungerThan: '0',
      Concurrency: '32',
      Granularity: '1',
      RUST_LOG: 'info',
    });
    expect(c.resources).toEqual({
      requests: { cpu: '10m', memory: '64Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
    });
    expect(pod.nodeSelector).toEqual({ service: 'metrics', 'node.example.com/pool': 'ops' });
    // ArmoniK.Infra `pdc.tf`: every node-selector label is tolerated as a NoSchedule taint.
    expect(pod.tolerations).toEqual([
      { key: 'service', operator: 'Equal', value: 'metrics', effect: 'NoSchedule' },
      { key: 'node.example.com/pool', operator: 'Equal', value: 'ops', effect: 'NoSchedule' },
    ]);
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
    expect(d.spec.template.metadata.annotations).toEqual({ 'example.com/team': 'hpc' });
  });

  it('derives the default Prometheus and query from the namespace it is given', () => {
    const c = chart();
    new PodDeletionCost(c, 'pdc', { namespace: 'hpc' });
    const env = envOf(deploymentOf(Testing.synth(c)).spec.template.spec.containers[0]);
    expect(env.PrometheusUrl).toBe('http://prometheus.hpc.svc.cluster.local:9090/');
    expect(env.MetricsName).toBe('TaskStartTime_Seconds{kubernetes_namespace="hpc"}');
    expect(Testing.synth(c).every((o) => o.metadata.namespace === 'hpc')).toBe(true);
  });

  it('accepts a Prometheus URL without a path (the updater joins api/v1/query at its root)', () => {
    const env = envOf(deploymentOf(synth({ prometheusUrl: 'http://prometheus:9090' })).spec.template.spec.containers[0]);
    expect(env.PrometheusUrl).toBe('http://prometheus:9090');
  });
});

describe('PodDeletionCost refuses bad props, naming them', () => {
  const S = 'PodDeletionCost test/pdc';
  const build = (props: unknown) => () => new PodDeletionCost(chart(), 'pdc', any(props));

  it('props, names and labels', () => {
    refused(build('x'), S, 'props', /must be an object/);
    refused(build({ perioud: 5 }), S, 'perioud', /unknown field \(expected one of namespace, name, labelApp/);
    refused(build({ name: 'PDC' }), S, 'name', /"PDC" is not a DNS-1123 label/);
    refused(build({ name: 'p'.repeat(64) }), S, 'name', /at most 63/);
    refused(build({ labelApp: 'arm onik' }), S, 'labelApp', '"arm onik" is not a valid label value');
    refused(build({ labelApp: '' }), S, 'labelApp', 'must be a non-empty label value, not string ""');
    refused(build({ image: 'Bad Image' }), S, 'image', /is not an image reference/);
    refused(build({ namespace: 'Armonik' }), S, 'namespace', /is not a DNS-1123 label/);
  });

  it('the Prometheus URL: http(s), no credentials, no query, a path ending with "/"', () => {
    refused(build({ prometheusUrl: 'prometheus:9090' }), S, 'prometheusUrl', '"prometheus:9090" is not an http(s) URL');
    refused(build({ prometheusUrl: 'ftp://prometheus/' }), S, 'prometheusUrl', /is not an http\(s\) URL/);
    refused(build({ prometheusUrl: 'http://[bad/' }), S, 'prometheusUrl', /is not an http\(s\) URL/);
    refused(build({ prometheusUrl: 42 }), S, 'prometheusUrl', 'number 42 is not an http(s) URL');
    const err = refused(build({ prometheusUrl: 'http://admin:s3cret@prometheus:9090/' }), S, 'prometheusUrl', /"http:\/\/\*\*\*@prometheus:9090\/" carries credentials/);
    expect(err.message).not.toContain('s3cret');
    expect(err.value).toBeUndefined();
    refused(build({ prometheusUrl: 'http://prometheus:9090/prom' }), S, 'prometheusUrl',
      '"http://prometheus:9090/prom" would be queried at "http://prometheus:9090/api/v1/query": the updater joins "api/v1/query" to it (Url::join), which replaces the last path segment; end the path with "/"');
    refused(build({ prometheusUrl: 'http://prometheus:9090/?x=1' }), S, 'prometheusUrl', /has a query or fragment/);
    refused(build({ prometheusUrl: 'http://prometheus:9090/#x' }), S, 'prometheusUrl', /has a query or fragment/);
  });

  it('the query', () => {
    refused(build({ metricsName: '' }), S, 'metricsName', /must be a PromQL query/);
    refused(build({ metricsName: '  ' }), S, 'metricsName', /must be a PromQL query/);
    refused(build({ metricsName: 5 }), S, 'metricsName', /not number 5/);
  });

  it('durations and counts: positive, finite, in the range the binary takes', () => {
    refused(build({ period: 0 }), S, 'period', '0 is not a number of seconds from 0.001 to 86400');
    refused(build({ period: -1 }), S, 'period', /^-1 is not a number of seconds/);
    refused(build({ period: 1e-10 }), S, 'period', /from 0.001/);
    refused(build({ period: 86_401 }), S, 'period', /to 86400/);
    refused(build({ period: NaN }), S, 'period', /^NaN is not a number of seconds/);
    refused(build({ period: '10' }), S, 'period', 'string "10" is not a number of seconds from 0.001 to 86400');
    refused(build({ ignoreYoungerThan: -0.5 }), S, 'ignoreYoungerThan', '-0.5 is not a number of seconds of at least 0');
    refused(build({ ignoreYoungerThan: Infinity }), S, 'ignoreYoungerThan', /^Infinity is not/);
    refused(build({ granularity: 0 }), S, 'granularity', '0 is not a number of seconds of at least 1');
    refused(build({ granularity: 0.5 }), S, 'granularity', /of at least 1/);
    refused(build({ concurrency: 0 }), S, 'concurrency', '0 is not an integer from 1 to 4294967295');
    refused(build({ concurrency: 1.5 }), S, 'concurrency', /is not an integer/);
    refused(build({ concurrency: 2 ** 32 }), S, 'concurrency', /is not an integer from 1 to 4294967295/);
  });

  it('extraConf: valid env, not a variable another prop sets', () => {
    refused(build({ extraConf: { '1X': 'a' } }), S, 'extraConf.1X', /not a valid environment variable name/);
    refused(build({ extraConf: { RUST_LOG: 1 } }), S, 'extraConf.RUST_LOG', 'must be a string, not number 1');
    refused(build({ extraConf: ['RUST_LOG=info'] }), S, 'extraConf', /must be an object/);
    // Names of Object.prototype are env names like any other.
    const env = envOf(deploymentOf(synth({ extraConf: { constructor: 'a', toString: 'b', period: 'c' } })).spec.template.spec.containers[0]);
    expect(env).toMatchObject({ constructor: 'a', toString: 'b', period: 'c', Period: '10' });
    for (const [name, prop] of [['PrometheusUrl', 'prometheusUrl'], ['MetricsName', 'metricsName'], ['Period', 'period'], ['IgnoreYoungerThan', 'ignoreYoungerThan'], ['Concurrency', 'concurrency'], ['Granularity', 'granularity']]) {
      refused(build({ extraConf: { [name]: '1' } }), S, `extraConf.${name}`, `"${name}" is set from ${prop}; remove it from extraConf`);
    }
  });

  it('resources, node selector, pull secrets, annotations', () => {
    refused(build({ resources: { memoryLimit: '0' } }), S, 'resources.memoryLimit');
    refused(build({ resources: { cpuRequest: '1' } }), S, 'resources.cpuRequest', /is above cpuLimit "100m"/);
    refused(build({ nodeSelector: { service: 'a b' } }), S, 'nodeSelector.service', /is not a valid label value/);
    refused(build({ nodeSelector: { 'bad key!': 'a' } }), S, 'nodeSelector.bad key!', /is not a valid label key/);
    refused(build({ nodeSelector: 'service=metrics' }), S, 'nodeSelector', /must be an object of label key: value strings/);
    refused(build({ imagePullSecrets: 'regcred' }), S, 'imagePullSecrets', /must be a list of strings/);
    refused(build({ imagePullSecrets: ['Reg_Cred'] }), S, 'imagePullSecrets[0]', /is not a valid Secret name/);
    refused(build({ annotations: { 'a b': 'c' } }), S, 'annotations.a b', /is not a valid annotation key/);
    refused(build({ annotations: { a: 1 } }), S, 'annotations.a', 'must be a string, not number 1');
  });
});

describe('ArmoniK deploys the updater by default', () => {
  const base: ArmoniKProps = { controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {} };
  const build = (extra: Record<string, unknown> = {}) => {
    const c = chart();
    const armonik = new ArmoniK(c, 'a', any({ ...base, ...extra }));
    return { armonik, objects: Testing.synth(c) };
  };
  const pdcObjects = (objects: any[]) => objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'pod-deletion-cost');

  it('with the defaults, querying the Prometheus its KEDA triggers query', () => {
    const { armonik, objects } = build();
    expect(armonik.podDeletionCost).toBeInstanceOf(PodDeletionCost);
    expect(pdcObjects(objects).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/pdc-update', 'Role/pdc-update', 'RoleBinding/pdc-update', 'Deployment/pdc-update', 'NetworkPolicy/pdc-update']);
    // The same objects as the construct alone.
    expect(pdcObjects(objects)).toEqual(synth());
    const env = envOf(deploymentOf(pdcObjects(objects)).spec.template.spec.containers[0]);
    const trigger = objects.find((o) => o.kind === 'ScaledObject').spec.triggers[0];
    expect(env.PrometheusUrl).toBe(`${trigger.metadata.serverAddress}/`);
  });

  it('not with podDeletionCost: false', () => {
    const { armonik, objects } = build({ podDeletionCost: false });
    expect(armonik.podDeletionCost).toBeUndefined();
    expect(pdcObjects(objects)).toEqual([]);
    expect(objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort()).toEqual(['compute-plane-default', 'control-plane', 'metrics-exporter']);
  });

  it('with its options, in the ArmoniK namespace', () => {
    const c = chart();
    new ArmoniK(c, 'a', { ...base, namespace: 'hpc', podDeletionCost: { period: 30, extraConf: { RUST_LOG: 'info' } } });
    const d = deploymentOf(pdcObjects(Testing.synth(c)));
    expect(d.metadata.namespace).toBe('hpc');
    expect(envOf(d.spec.template.spec.containers[0])).toMatchObject({ Period: '30', RUST_LOG: 'info', PrometheusUrl: 'http://prometheus.hpc.svc.cluster.local:9090/' });
  });

  it('refuses bad options, naming them', () => {
    const S = 'ArmoniK test/a';
    refused(() => build({ podDeletionCost: true }), S, 'podDeletionCost', 'must be its options ({} for the defaults) or false for none, not boolean true');
    refused(() => build({ podDeletionCost: null }), S, 'podDeletionCost', /not null/);
    refused(() => build({ podDeletionCost: [] }), S, 'podDeletionCost', /must be an object, not a list/);
    refused(() => build({ podDeletionCost: { namespace: 'other' } }), S, 'podDeletionCost.namespace', /unknown field/);
    refused(() => build({ podDeletionCost: { period: 0 } }), 'PodDeletionCost test/a/pod-deletion-cost', 'period', /is not a number of seconds/);
  });

  it('refuses an updater named like another component’s object, naming both', () => {
    const err = refused(() => build({ podDeletionCost: { name: 'control-plane' } }), 'PodDeletionCost test/a/pod-deletion-cost', 'name', /Deployment.apps "armonik\/control-plane" would be synthesized twice/);
    expect(err.reason).toContain('test/a/control-plane/');
  });
});
