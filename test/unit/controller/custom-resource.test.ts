import { App, Chart, Testing } from 'cdk8s';
import { crdVersion, defineCustomResource } from '../../../lib/api/crd/definition.js';
import { Schema } from '../../../lib/api/crd/schema.js';
import { CustomResource } from '../../../constructs/controller/custom-resource.js';
import { CustomResourceDefinition } from '../../../constructs/controller/custom-resource-definition.js';
import { Widget } from '../../fixtures/widget-crd.js';
import { errorOf } from '../../fixtures/validation.js';

function chart(namespace?: string): Chart {
  return new Chart(Testing.app(), 'test', { namespace });
}


const Cluster = defineCustomResource({
  group: 'a.example.com',
  kind: 'Zone',
  scope: 'Cluster',
  versions: [crdVersion('v1', { storage: true, spec: Schema.object({ size: Schema.integer({ default: 1 }) }) })],
});

test('the CRD construct emits the declaration, without the chart namespace', () => {
  const c = chart('apps');
  const crd = new CustomResourceDefinition(c, 'widgets', { definition: Widget, labels: { 'app.kubernetes.io/part-of': 'examples' } });
  const [out] = Testing.synth(c);
  expect(crd.name).toBe('widgets.examples.platform-constructs.io');
  expect(out.metadata).toEqual({ name: 'widgets.examples.platform-constructs.io', labels: { 'app.kubernetes.io/part-of': 'examples' } });
  expect(out.spec).toEqual(Widget.manifest().spec);
});

test('the CRD construct refuses bad labels, naming the construct path', () => {
  const e = errorOf(() => new CustomResourceDefinition(chart(), 'widgets', { definition: Widget, labels: { 'bad key!': 'x' } }));
  expect(e.message).toBe('test/widgets: labels: "bad key!" is not a valid label key');
});

test('an instance: typed spec, written as given (the API server defaults), namespace from the chart', () => {
  const c = chart('apps');
  const w = new CustomResource(c, 'small', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 3, labels: { team: 'a' } } });
  const [out] = Testing.synth(c);
  expect(w.apiVersion).toBe('examples.platform-constructs.io/v1');
  expect(out).toEqual({
    apiVersion: 'examples.platform-constructs.io/v1',
    kind: 'Widget',
    metadata: { name: 'small', namespace: 'apps' },
    spec: { minReplicas: 1, maxReplicas: 3, labels: { team: 'a' } },
  });
});

test('an instance of another served version, after its CRD construct', () => {
  const c = chart('apps');
  const crd = new CustomResourceDefinition(c, 'widgets', { definition: Widget });
  new CustomResource(c, 'old', { definition: crd, version: 'v1alpha1', metadata: { name: 'old-one', labels: { a: 'b' } }, spec: { minReplicas: 0, maxReplicas: 1 } });
  const out = Testing.synth(c);
  expect(out.map((o) => `${o.kind} ${o.apiVersion}`)).toEqual([
    'CustomResourceDefinition apiextensions.k8s.io/v1',
    'Widget examples.platform-constructs.io/v1alpha1',
  ]);
  expect(out[1].metadata).toEqual({ name: 'old-one', namespace: 'apps', labels: { a: 'b' } });
});

test('a bad spec fails at synth time, naming the construct path and the field', () => {
  const c = chart('apps');
  const bad = { minReplicas: -1, maxReplicas: 3 };
  const e = errorOf(() => new CustomResource(c, 'bad', { definition: Widget, spec: bad }));
  expect(e.source).toBe('test/bad');
  expect(e.field).toBe('/spec/minReplicas');
  expect(e.message).toBe('test/bad: /spec/minReplicas: must be >= 0, got -1');
  const unknown = { minReplicas: 1, maxReplicas: 3, endpoints: [{ name: 'a', url: 'u', wieght: 2 }] };
  // A spec held in a variable may carry extra fields past the type checker: the schema catches them.
  const e2 = errorOf(() => new CustomResource(c, 'typo', { definition: Widget, spec: unknown }));
  expect(e2.message).toBe('test/typo: /spec/endpoints/0/wieght: is not a field of the schema');
});

test('the spec type comes from the declaration', () => {
  const c = chart('apps');
  // @ts-expect-error maxReplicas missing
  expect(() => new CustomResource(c, 'a', { definition: Widget, spec: { minReplicas: 1 } })).toThrow('/spec/maxReplicas: is required');
  // @ts-expect-error not one of the enum's values
  expect(() => new CustomResource(c, 'b', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 2, mode: 'Medium' } })).toThrow('/spec/mode');
  // @ts-expect-error a typo in a literal is caught by the type checker
  expect(() => new CustomResource(c, 'd', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 2, replicaz: 1 } })).toThrow('/spec/replicaz');
  // @ts-expect-error no such version
  expect(() => new CustomResource(c, 'c', { definition: Widget, version: 'v2', spec: { minReplicas: 1, maxReplicas: 2 } })).toThrow(
    'test/c: version: Widget has no version "v2" (has v1alpha1, v1)',
  );
});

test('names and namespaces are checked', () => {
  expect(errorOf(() => new CustomResource(chart(), 'Not_A_Name', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 2 } })).field).toBe('metadata.name');
  expect(errorOf(() => new CustomResource(chart(), 'z', { definition: Cluster, metadata: { namespace: 'x' }, spec: {} })).message).toBe(
    'test/z: metadata.namespace: Zone is cluster-scoped and takes no namespace',
  );
});

test('a cluster-scoped instance carries no namespace, even in a namespaced chart', () => {
  const c = chart('apps');
  new CustomResource(c, 'z', { definition: Cluster, spec: {} });
  expect(Testing.synth(c)[0].metadata).toEqual({ name: 'z' });
});

test('two cluster-scoped instances of one name clash across charts of other namespaces; namespaced ones do not', () => {
  const app = Testing.app();
  const a = new Chart(app, 'a', { namespace: 'one' });
  const b = new Chart(app, 'b', { namespace: 'two' });
  new CustomResource(a, 'w', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 2 } });
  new CustomResource(b, 'w', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 2 } });
  new CustomResource(a, 'z', { definition: Cluster, spec: {} });
  expect(errorOf(() => new CustomResource(b, 'z', { definition: Cluster, spec: {} })).message).toBe(
    'b/z: name: Zone.a.example.com "z" would be synthesized twice: by b/z/Resource and by a/z/Resource; give one of them another name or namespace',
  );
});

test('synthesis is deterministic', () => {
  const synth = () => {
    const app = new App({ outdir: '/tmp/unused' });
    const c = new Chart(app, 'c', { namespace: 'apps' });
    const crd = new CustomResourceDefinition(c, 'widgets', { definition: Widget });
    new CustomResource(c, 'w', { definition: crd, spec: { minReplicas: 1, maxReplicas: 2 } });
    return app.synthYaml();
  };
  expect(synth()).toBe(synth());
});
