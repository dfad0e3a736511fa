import { ApiObject, App as Cdk8sApp, Chart, Chart as Cdk8sChart, Testing as Cdk8sTesting } from 'cdk8s';
import { App as TfApp, TerraformStack, TerraformVariable, Testing as TfTesting } from 'cdktf';
import { isCustomResourceDefinition, KubernetesManifests, ManifestEngine } from '../../../lib/tf/index.js';
import { manifestResources } from './support.js';

function chartWith(objects: Array<Record<string, any>>): Chart {
  const chart = new Chart(Cdk8sTesting.app(), 'c');
  objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o as never));
  return chart;
}

const ENGINES = [
  ['kubectl', ManifestEngine.kubectl(), 'kubectl_manifest'],
  ['kubernetesManifest', ManifestEngine.kubernetesManifest(), 'kubernetes_manifest'],
] as const;

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Widget', plural: 'widgets' }, versions: [] },
};

describe.each(ENGINES)('KubernetesManifests (%s engine)', (_name, engine, type) => {
  function synth(source: Chart, props: { defaultNamespace?: string } = {}) {
    const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
    new KubernetesManifests(stack, 'k8s', { source, engine, ...props });
    return manifestResources(TfTesting.synth(stack));
  }

  it('creates CRDs and Namespaces first and makes every other object depend on them', () => {
    const resources = synth(chartWith([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'team' } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      crd,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
    ]));
    // Terraform orders by depends_on, not by position in the file.
    expect(Object.keys(resources).sort()).toEqual([
      'k8s_configmap_team_cfg',
      'k8s_customresourcedefinition_widgets-example-com',
      'k8s_namespace_team',
      'k8s_widget_w',
    ]);
    expect(resources.k8s_widget_w.depends_on).toContain(`${type}.k8s_customresourcedefinition_widgets-example-com`);
    expect(resources.k8s_configmap_team_cfg.depends_on).toEqual([
      `${type}.k8s_customresourcedefinition_widgets-example-com`,
      `${type}.k8s_namespace_team`,
    ]);
    expect(resources.k8s_namespace_team.depends_on ?? []).toEqual([]);
  });

  it('spells out the namespace of namespaced objects, but not of cluster-scoped ones', () => {
    const resources = synth(chartWith([
      crd,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [] },
    ]), { defaultNamespace: 'apps' });
    expect(resources.k8s_configmap_apps_cfg.manifest.metadata.namespace).toBe('apps');
    expect(resources.k8s_widget_w.manifest.metadata.namespace).toBeUndefined();
    expect(resources.k8s_clusterrole_r.manifest.metadata.namespace).toBeUndefined();
  });

  it('refuses two objects with the same kind, namespace and name', () => {
    const chart = chartWith([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'a' } },
    ]);
    expect(() => synth(chart)).toThrow(/two objects are ConfigMap "cfg" in namespace "a"/);
  });

  it('splits one source over two stacks with select, keeping custom kinds cluster-scoped in both', () => {
    const source = chartWith([
      crd,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } },
    ]);
    const app = TfTesting.app() as TfApp;
    const crdStack = new TerraformStack(app, 'crds');
    const rest = new TerraformStack(app, 'rest');
    new KubernetesManifests(crdStack, 'k8s', { source, engine, select: isCustomResourceDefinition });
    new KubernetesManifests(rest, 'k8s', { source, engine, select: (o) => !isCustomResourceDefinition(o) });
    const crds = manifestResources(TfTesting.synth(crdStack));
    const others = manifestResources(TfTesting.synth(rest));
    expect(Object.keys(crds)).toEqual(['k8s_customresourcedefinition_widgets-example-com']);
    expect(Object.keys(others).sort()).toEqual(['k8s_configmap_default_cfg', 'k8s_widget_w']);
    // The Widget is still known to be cluster-scoped: no namespace added.
    expect(others.k8s_widget_w.manifest.metadata.namespace).toBeUndefined();
    expect(others.k8s_widget_w.depends_on ?? []).toEqual([]);
  });
});

describe.each(ENGINES)('Terraform templates in manifest strings (%s engine)', (_name, engine) => {
  it('escapes ${ and %{ in values and keys, so a ConfigMap holding them reaches the cluster as written', () => {
    const app = new Cdk8sApp();
    const chart = new Cdk8sChart(app, 'c', { namespace: 'ns' });
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'activemq.xml': '<value>${activemq.home}/x %{ if } $${kept}</value>', '${key}': 'v' } });
    const stack = new TerraformStack(TfTesting.app(), 's');
    new KubernetesManifests(stack, 'm', { source: app, engine });
    const resource = manifestResources(TfTesting.synth(stack))['m_configmap_ns_cfg'];
    expect(resource.manifest.data).toEqual({ 'activemq.xml': '<value>$${activemq.home}/x %%{ if } $$${kept}</value>', '$${key}': 'v' });
  });

  it('leaves cdktf tokens (references to other resources) as references', () => {
    const app = new Cdk8sApp();
    const chart = new Cdk8sChart(app, 'c', { namespace: 'ns' });
    const stack = new TerraformStack(TfTesting.app(), 's');
    const version = new TerraformVariable(stack, 'version', { type: 'string' });
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { version: version.stringValue } });
    new KubernetesManifests(stack, 'm', { source: app, engine });
    const resource = manifestResources(TfTesting.synth(stack))['m_configmap_ns_cfg'];
    expect(resource.manifest.data).toEqual({ version: '${var.version}' });
  });
});

describe('fields the API server fills in (kubernetesManifest engine; kubectl_manifest compares only the fields the manifest sets)', () => {
  it('makes a Job\'s selector and pod template labels computed, as the API server sets them on create', () => {
    const app = new Cdk8sApp();
    const chart = new Cdk8sChart(app, 'c', { namespace: 'ns' });
    new ApiObject(chart, 'job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'init' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } });
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    const stack = new TerraformStack(TfTesting.app(), 's');
    new KubernetesManifests(stack, 'm', { source: app, engine: ManifestEngine.kubernetesManifest() });
    const resources = JSON.parse(TfTesting.synth(stack)).resource.kubernetes_manifest;
    expect(resources['m_job_ns_init'].computed_fields).toEqual(['metadata.labels', 'metadata.annotations', 'spec.selector', 'spec.template.metadata.labels']);
    expect(resources['m_configmap_ns_cfg'].computed_fields).toBeUndefined();
  });

  it('makes an injected caBundle of a webhook configuration computed, and only where the manifest has none', () => {
    const app = new Cdk8sApp();
    const chart = new Cdk8sChart(app, 'c', { namespace: 'ns' });
    const hook = (name: string, caBundle?: string) => ({
      name, admissionReviewVersions: ['v1'], sideEffects: 'None',
      clientConfig: { service: { name: 's', namespace: 'ns' }, ...(caBundle ? { caBundle } : {}) },
    });
    new ApiObject(chart, 'injected', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'injected' }, webhooks: [hook('a.x.io'), hook('b.x.io', 'Q0E='), hook('c.x.io')] } as never);
    new ApiObject(chart, 'given', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'given' }, webhooks: [hook('a.x.io', 'Q0E=')] } as never);
    const stack = new TerraformStack(TfTesting.app(), 's');
    new KubernetesManifests(stack, 'm', { source: app, engine: ManifestEngine.kubernetesManifest() });
    const resources = JSON.parse(TfTesting.synth(stack)).resource.kubernetes_manifest;
    expect(resources['m_mutatingwebhookconfiguration_injected'].computed_fields).toEqual([
      'metadata.labels', 'metadata.annotations', 'webhooks[0].clientConfig.caBundle', 'webhooks[2].clientConfig.caBundle',
    ]);
    expect(resources['m_validatingwebhookconfiguration_given'].computed_fields).toBeUndefined();
  });
});
