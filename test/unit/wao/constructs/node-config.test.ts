/**
 * NodeConfig and NodeConfigTemplate constructs: the seed's YAML written with the constructs
 * synthesizes to the same objects; both forms of a template; the spec is checked at synth time
 * as the API server checks it (schema and CEL rules), errors naming the field; given a Wao, the
 * object is applied after its CRD and must be in a namespace it watches.
 */
import { App, Chart, Testing } from 'cdk8s';
import { NodeConfig, NodeConfigTemplate, Wao, type NodeConfigProps, type NodeConfigTemplateProps } from '../../../../constructs/wao/index.js';
import { checkNodeConfigTemplateSpec, NodeConfigDeclaration, NodeConfigTemplateDeclaration, type NodeConfigSpecInput } from '../../../../lib/api/wao/index.js';
import { GitOpsLayout } from '../../../../lib/gitops/index.js';
import { NODE_CONFIG_TEMPLATE_YAML, NODE_CONFIG_YAML, parseSeed, parseSnippet, PREDICTOR_VIA_PROVIDER_YAML } from '../../../fixtures/wao-seed.js';
import { refused } from '../../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const chart = (namespace?: string) => new Chart(Testing.app(), 'stack', namespace ? { namespace } : {});
const only = (c: Chart) => Testing.synth(c) as any[];

/** wao-core's README NodeConfig, written with the construct. */
const SEED_NODE_CONFIG: NodeConfigSpecInput = {
  nodeName: 'worker-0',
  metricsCollector: {
    inletTemp: { type: 'Redfish', endpoint: 'https://10.0.0.100', basicAuthSecret: { name: 'worker-0-redfish-basicauth' }, fetchInterval: '10s' },
    deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', fetchInterval: '10s' },
  },
  predictor: {
    powerConsumption: { type: 'V2InferenceProtocol', endpoint: 'http://10.0.0.1:8080/v2/models/myModel/versions/v0.1.0/infer' },
  },
};

/** wao-core's README NodeConfigTemplate (its flat form), written with the construct. */
const SEED_TEMPLATE: NodeConfigTemplateProps['spec'] = {
  nodeSelector: { matchLabels: { 'node.kubernetes.io/instance-type': 'redfish-enabled' } },
  metricsCollector: {
    inletTemp: { type: 'Redfish', endpoint: 'https://10.0.0.100', basicAuthSecret: { name: 'worker-0-redfish-basicauth' }, fetchInterval: '10s' },
    deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', fetchInterval: '10s' },
  },
  predictor: {
    powerConsumptionEndpointProvider: { type: 'Redfish', endpoint: 'https://10.0.0.1', basicAuthSecret: { name: 'worker-0-redfish-basicauth' } },
  },
};

const FAKE = { metricsCollector: { inletTemp: { type: 'Fake' }, deltaP: { type: 'Fake' } }, predictor: { powerConsumption: { type: 'Fake' } } } as const;

describe('the seed, written with the constructs', () => {
  it('NodeConfig worker-0 synthesizes to the seed\'s object, unchanged (no defaults added)', () => {
    const c = chart();
    const nc = new NodeConfig(c, 'worker-0', { spec: SEED_NODE_CONFIG });
    expect(only(c)).toEqual([parseSeed(NODE_CONFIG_YAML)]);
    expect(nc.namespace).toBe('wao-system');
    expect(nc.nodeName).toBe('worker-0');
    expect(nc.storedSpec.metricsCollector.inletTemp.insecureSkipVerify).toBe(false);
  });

  it('NodeConfigTemplate redfish-enabled-nodes synthesizes to the seed\'s object, unchanged', () => {
    const c = chart();
    const t = new NodeConfigTemplate(c, 'redfish-enabled-nodes', { spec: SEED_TEMPLATE });
    expect(only(c)).toEqual([parseSeed(NODE_CONFIG_TEMPLATE_YAML)]);
    expect(t.selector).toBe('node.kubernetes.io/instance-type=redfish-enabled');
    expect(t.nodeConfigName('worker-0')).toBe('redfish-enabled-nodes-worker-0');
  });

  it('the predictor whose endpoint the provider fills in (type "")', () => {
    const c = chart();
    const predictor = parseSnippet(PREDICTOR_VIA_PROVIDER_YAML) as NodeConfigSpecInput['predictor'];
    new NodeConfig(c, 'worker-1', { spec: { ...SEED_NODE_CONFIG, nodeName: 'worker-1', predictor } });
    expect(only(c)[0].spec.predictor).toEqual(predictor);
  });

  it('the template form (wao-core\'s CRD) and the flat form (its README) make the same template', () => {
    const c = chart();
    const { nodeSelector, metricsCollector, predictor } = SEED_TEMPLATE;
    const flat = new NodeConfigTemplate(c, 'flat', { spec: SEED_TEMPLATE });
    const nested = new NodeConfigTemplate(c, 'nested', { spec: { nodeSelector, template: { metricsCollector: metricsCollector!, predictor } } });
    expect(nested.template).toEqual(flat.template);
    expect(only(c)[1].spec).toEqual({ nodeSelector, template: { metricsCollector, predictor } });
  });
});

describe('namespace, metadata and the Wao', () => {
  it('namespace: the prop, else the chart\'s, else wao-system', () => {
    const c = chart('power');
    expect(new NodeConfig(c, 'a', { spec: { nodeName: 'a', ...FAKE } }).namespace).toBe('power');
    expect(new NodeConfig(c, 'b', { namespace: 'edge', spec: { nodeName: 'b', ...FAKE } }).namespace).toBe('edge');
    expect(new NodeConfigTemplate(chart(), 't', { spec: { nodeSelector: {}, ...FAKE } }).namespace).toBe('wao-system');
  });

  it('name, labels and annotations', () => {
    const c = chart();
    new NodeConfig(c, 'a', { name: 'worker-9', labels: { team: 'power' }, annotations: { note: 'x' }, spec: { nodeName: 'worker-9', ...FAKE } });
    expect(only(c)[0].metadata).toEqual({ name: 'worker-9', namespace: 'wao-system', labels: { team: 'power' }, annotations: { note: 'x' } });
  });

  it('given a Wao: applied after its CRD, in the same chart or another', () => {
    const app = new App();
    const controller = new Chart(app, 'controller');
    const wao = new Wao(controller, 'wao');
    const nodes = new Chart(app, 'nodes');
    const t = new NodeConfigTemplate(nodes, 'fake', { wao, spec: { nodeSelector: { matchLabels: { 'wao.example/fake': 'true' } }, ...FAKE } });
    const nc = new NodeConfig(controller, 'worker-0', { wao, spec: { nodeName: 'worker-0', ...FAKE } });
    expect(t.wao).toBe(wao);
    expect(t.apiObject.node.dependencies).toContain(wao.nodeConfigTemplateDefinition);
    expect(nc.apiObject.node.dependencies).toContain(wao.nodeConfigDefinition);
    // Same chart: the CRD comes first; across charts: the chart of the CRD comes first.
    const kinds = controller.toJson().map((o: any) => `${o.kind}/${o.metadata.name}`);
    expect(kinds.indexOf(`CustomResourceDefinition/${NodeConfigDeclaration.name}`)).toBeLessThan(kinds.indexOf('NodeConfig/worker-0'));
    expect(app.charts.map((ch) => ch.node.id)).toEqual(['controller', 'nodes']);
    // The GitOps layout puts both CRDs in 00-crds, the objects in their charts' folders.
    const layout = GitOpsLayout.fromApp(app);
    expect(layout.folders).toEqual(['00-crds', 'controller', 'nodes']);
    expect([...layout.files.keys()].filter((f) => f.startsWith('00-crds/') && f !== '00-crds/kustomization.yaml')).toHaveLength(2);
    expect([...layout.files.keys()].some((f) => f.startsWith('nodes/') && f.includes('nodeconfigtemplate'))).toBe(true);
  });

  it('given a Wao, the namespace must be one it watches', () => {
    const c = chart();
    const wao = new Wao(c, 'wao', { watchNamespaces: ['power'] });
    refused(
      () => new NodeConfig(c, 'a', { wao, spec: { nodeName: 'a', ...FAKE } }),
      'stack/a',
      'namespace',
      /"wao-system" is not watched by stack\/wao \(it watches "power"\): give one of those, or add it to its watchNamespaces/,
    );
    expect(() => new NodeConfig(c, 'b', { wao, namespace: 'power', spec: { nodeName: 'b', ...FAKE } })).not.toThrow();
  });
});

describe('checked at synth time, the error naming the field', () => {
  const nc = (spec: unknown, props: Partial<NodeConfigProps> = {}) => new NodeConfig(chart(), 'nc', { spec: spec as NodeConfigSpecInput, ...props });
  const nct = (spec: unknown, props: Partial<NodeConfigTemplateProps> = {}) => new NodeConfigTemplate(chart(), 'nct', { spec: spec as NodeConfigTemplateProps['spec'], ...props });
  const term = (extra: object) => ({ nodeName: 'n', metricsCollector: { inletTemp: { type: 'Redfish', endpoint: 'https://bmc', ...extra }, deltaP: { type: 'Fake' } } });

  it.each<[string, unknown, string, RegExp]>([
    ['an endpoint missing (CEL)', { nodeName: 'n', metricsCollector: { inletTemp: { type: 'Redfish' }, deltaP: { type: 'Fake' } } }, '/spec/metricsCollector/inletTemp/endpoint', /required unless type is Fake/],
    ['an empty endpoint (CEL)', term({ endpoint: '' }), '/spec/metricsCollector/inletTemp/endpoint', /required unless type is Fake/],
    ['a fetchInterval under 1s (CEL)', term({ fetchInterval: '500ms' }), '/spec/metricsCollector/inletTemp/fetchInterval', /at least 1s/],
    ['caBundle with insecureSkipVerify (CEL)', term({ insecureSkipVerify: true, caBundle: { secret: { name: 'ca' } } }), '/spec/metricsCollector/inletTemp/caBundle', /exclude each other/],
    ['type "" without a provider (CEL)', { nodeName: 'n', ...FAKE, predictor: { powerConsumption: { type: '' } } }, '/spec/predictor/powerConsumption/type', /needs a powerConsumptionEndpointProvider/],
    ['a type of another term (schema)', { nodeName: 'n', metricsCollector: { inletTemp: { type: 'V2InferenceProtocol', endpoint: 'x' }, deltaP: { type: 'Fake' } } }, '/spec/metricsCollector/inletTemp/type', /Redfish/],
    ['a fetchInterval that is not a duration (schema)', term({ fetchInterval: 'often' }), '/spec/metricsCollector/inletTemp/fetchInterval', /pattern|duration/],
    ['an unknown field (schema)', { ...term({}), extra: 1 }, '/spec/extra', /is not a field of the schema/],
    ['no nodeName (schema)', { ...FAKE }, '/spec/nodeName', /required/],
  ])('NodeConfig: %s', (_what, spec, field, reason) => {
    refused(() => nc(spec), 'stack/nc', field, reason);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['both forms', { nodeSelector: {}, template: { ...FAKE }, metricsCollector: FAKE.metricsCollector }, '/spec/metricsCollector', /either template or metricsCollector/],
    ['neither form', { nodeSelector: {} }, '/spec/template', /is required/],
    ['predictor beside template', { nodeSelector: {}, template: { metricsCollector: FAKE.metricsCollector }, predictor: FAKE.predictor }, '/spec/predictor', /goes into template/],
    ['a bad selector operator', { nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, ...FAKE }, '/spec/nodeSelector/matchExpressions/0/operator', /./],
    ['a bad selector key', { nodeSelector: { matchLabels: { 'bad key': 'x' } }, ...FAKE }, '/spec/nodeSelector/matchLabels/bad key', /./],
    ['a missing endpoint in the template (CEL)', { nodeSelector: {}, template: { metricsCollector: { inletTemp: { type: 'Redfish' }, deltaP: { type: 'Fake' } } } }, '/spec/template/metricsCollector/inletTemp/endpoint', /required unless type is Fake/],
    ['a type that is neither a type nor a template', { nodeSelector: {}, metricsCollector: { inletTemp: { type: 'SNMP', endpoint: 'x' }, deltaP: { type: 'Fake' } } }, '/spec/metricsCollector/inletTemp/type', /./],
  ])('NodeConfigTemplate: %s', (_what, spec, field, reason) => {
    const err = refused(() => nct(spec), 'stack/nct', field, reason);
    // The same words as the lib/api check (which the runtime and the integration test use).
    let direct: unknown;
    try {
      checkNodeConfigTemplateSpec(spec);
    } catch (e) {
      direct = e;
    }
    expect((direct as { field: string; reason: string }).field).toBe(err.field);
    expect((direct as { field: string; reason: string }).reason).toBe(err.reason);
  });

  it('a Go template type is left to the controller (checked per node after rendering)', () => {
    expect(() => nct({ nodeSelector: {}, metricsCollector: { inletTemp: { type: '{{ if .Hostname }}Redfish{{ end }}', endpoint: 'https://{{.IPv4.Address}}' }, deltaP: { type: 'Fake' } } })).not.toThrow();
  });

  it.each<[string, Partial<NodeConfigProps>, string, RegExp]>([
    ['a name that is not a subdomain', { name: 'Worker_0' }, 'name', /not a valid/],
    ['a name that is not a string', { name: any(5) }, 'name', /must be a string, not number 5/],
    ['a namespace that is not a label', { namespace: 'a.b' }, 'namespace', /not a DNS-1123 label/],
    ['a wao that is not a Wao', { wao: any({ name: 'wao' }) }, 'wao', /must be a Wao construct/],
    ['labels that are not an object', { labels: any('a=b') }, 'labels', /must be an object of label key: value strings/],
    ['a bad label key', { labels: { 'bad key': 'x' } }, 'labels.bad key', /not a valid label key/],
    ['a bad label value', { labels: { team: 'a b' } }, 'labels.team', /not a valid label value/],
    ['an annotation that is not a string', { annotations: any({ note: 1 }) }, 'annotations.note', /must be a string, not number 1/],
  ])('NodeConfig props: %s', (_what, props, field, reason) => {
    refused(() => nc({ nodeName: 'n', ...FAKE }, props), 'stack/nc', field, reason);
  });

  it('the props object, the spec, an id that is no name', () => {
    refused(() => new NodeConfig(chart(), 'nc', any(undefined)), 'stack/nc', 'props', /must be an object with spec/);
    refused(() => new NodeConfigTemplate(chart(), 'nct', any({})), 'stack/nct', 'spec', /is required/);
    refused(() => new NodeConfig(chart(), 'Worker 0', { spec: { nodeName: 'n', ...FAKE } }), 'stack/Worker 0', 'name', /the construct id "Worker 0" is not a DNS-1123 subdomain: give a name/);
    refused(() => nc('spec'), 'stack/nc', '/spec', /object/);
  });

  it('two objects of one name in one namespace are refused', () => {
    const c = chart();
    new NodeConfig(c, 'a', { name: 'w', spec: { nodeName: 'n', ...FAKE } });
    refused(() => new NodeConfig(c, 'b', { name: 'w', spec: { nodeName: 'n', ...FAKE } }), 'stack/b', 'name', /would be synthesized twice/);
  });
});

it('the declarations are the ones the constructs write', () => {
  const c = chart();
  const a = new NodeConfig(c, 'a', { spec: { nodeName: 'n', ...FAKE } });
  const t = new NodeConfigTemplate(c, 't', { spec: { nodeSelector: {}, ...FAKE } });
  expect([a.definition, t.definition]).toEqual([NodeConfigDeclaration, NodeConfigTemplateDeclaration]);
  expect(only(c).map((o) => o.apiVersion)).toEqual(['wao.bitmedia.co.jp/v1beta1', 'wao.bitmedia.co.jp/v1beta1']);
});
