/**
 * WAO's NodeConfig and NodeConfigTemplate: the seed's YAML validates unchanged, bad input is
 * refused with the field named (schema and the CEL rules' TypeScript mirror), and the CRDs carry
 * what the issue asks for (enums, duration pattern and default, CEL, status, printer columns).
 */
import type { JSONSchemaProps } from '../../../lib/api/crd/schema.js';
import {
  checkNodeConfigSpec,
  checkNodeConfigTemplateSpec,
  NodeConfigDeclaration,
  NodeConfigTemplateDeclaration,
  templateOf,
  templatedTypePattern,
  WAO_CUSTOM_RESOURCES,
  type NodeConfigSpec,
  type NodeConfigSpecInput,
} from '../../../lib/api/wao/index.js';
import { FIELD_SNIPPETS_YAML, NODE_CONFIG_TEMPLATE_YAML, NODE_CONFIG_YAML, parseSeed, parseSnippet, PREDICTOR_VIA_PROVIDER_YAML } from '../../fixtures/wao-seed.js';
import { refused } from '../../fixtures/validation.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

const NC = 'NodeConfig (wao.bitmedia.co.jp/v1beta1)';
const NCT = 'NodeConfigTemplate (wao.bitmedia.co.jp/v1beta1)';
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const seedSpec = () => clone(parseSeed(NODE_CONFIG_YAML).spec) as any;
const seedTemplateSpec = () => clone(parseSeed(NODE_CONFIG_TEMPLATE_YAML).spec) as any;
const fake = { type: 'Fake' } as const;

describe('the seed YAML, unchanged', () => {
  it('NodeConfig validates, with the defaults the API server applies', () => {
    const obj = parseSeed(NODE_CONFIG_YAML);
    expect(obj.apiVersion).toBe(NodeConfigDeclaration.apiVersion());
    expect(obj.kind).toBe(NodeConfigDeclaration.kind);
    const stored = NodeConfigDeclaration.validate(obj.spec);
    expect(checkNodeConfigSpec(obj.spec)).toEqual(stored);
    expect(stored.metricsCollector.inletTemp).toEqual({
      type: 'Redfish',
      endpoint: 'https://10.0.0.100',
      basicAuthSecret: { name: 'worker-0-redfish-basicauth' },
      fetchInterval: '10s',
      insecureSkipVerify: false,
    });
    expect(stored.predictor?.powerConsumption?.fetchInterval).toBe('15s');
  });

  it('NodeConfigTemplate (the README form, fields directly in spec) validates', () => {
    const obj = parseSeed(NODE_CONFIG_TEMPLATE_YAML);
    expect(obj.apiVersion).toBe(NodeConfigTemplateDeclaration.apiVersion());
    const stored = checkNodeConfigTemplateSpec(obj.spec);
    expect(stored.nodeSelector).toEqual({ matchLabels: { 'node.kubernetes.io/instance-type': 'redfish-enabled' } });
    const body = templateOf(stored);
    expect(body.metricsCollector.deltaP.endpoint).toBe('http://10.0.0.1:5000');
    expect(body.predictor?.powerConsumptionEndpointProvider?.type).toBe('Redfish');
  });

  it('the same template under `template` (wao-core\'s CRD form, nodeName included) validates', () => {
    const { nodeSelector, ...rest } = seedTemplateSpec();
    const stored = checkNodeConfigTemplateSpec({ nodeSelector, template: { nodeName: '', ...rest } });
    expect(templateOf(stored).metricsCollector.inletTemp.type).toBe('Redfish');
  });

  it.each(Object.entries(FIELD_SNIPPETS_YAML))('the README snippet of %s validates in a NodeConfig', (name, text) => {
    const spec = seedSpec();
    const snippet = parseSnippet(text);
    if (name === 'inletTemp' || name === 'deltaP') Object.assign(spec.metricsCollector, snippet);
    else spec.predictor = { ...spec.predictor, ...snippet };
    expect(() => checkNodeConfigSpec(spec)).not.toThrow();
  });

  it('the README predictor whose endpoint the provider sets (type "", endpoint "") validates', () => {
    const spec = { ...seedSpec(), predictor: parseSnippet(PREDICTOR_VIA_PROVIDER_YAML) };
    const stored = checkNodeConfigSpec(spec);
    expect(stored.predictor?.powerConsumption).toMatchObject({ type: '', endpoint: '', basicAuthSecret: { name: 'predictor-basicauth' } });
  });
});

describe('bad input, refused with the field named', () => {
  it('an unknown type', () => {
    const spec = seedSpec();
    spec.metricsCollector.inletTemp.type = 'IPMI';
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/type', /must be one of "Redfish", "Fake", got "IPMI"/);
    refused(() => NodeConfigDeclaration.validate(spec), NC, '/spec/metricsCollector/inletTemp/type');
  });

  it('a type the term has no client for (the original knew only these per field)', () => {
    const spec = seedSpec();
    spec.metricsCollector.deltaP.type = 'Redfish';
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/deltaP/type', /"DifferentialPressureAPI", "Fake"/);
    const p = seedSpec();
    p.predictor.powerConsumption.type = 'Redfish';
    refused(() => checkNodeConfigSpec(p), NC, '/spec/predictor/powerConsumption/type');
  });

  it.each(['10', '10 s', '1d', '-5s', 's', ''])('a bad duration %j', (d) => {
    const spec = seedSpec();
    spec.metricsCollector.deltaP.fetchInterval = d;
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/deltaP/fetchInterval', /pattern/);
  });

  it('a fetch interval below 1s', () => {
    const spec = seedSpec();
    spec.metricsCollector.inletTemp.fetchInterval = '500ms';
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/fetchInterval', 'must be at least 1s, got "500ms"');
    spec.metricsCollector.inletTemp.fetchInterval = '1s';
    expect(() => checkNodeConfigSpec(spec)).not.toThrow();
  });

  it('a missing (or empty) endpoint unless the type is Fake', () => {
    const spec = seedSpec();
    delete spec.metricsCollector.inletTemp.endpoint;
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/endpoint', 'is required unless type is Fake (type is "Redfish")');
    spec.metricsCollector.inletTemp.endpoint = '';
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/endpoint');
    spec.metricsCollector.inletTemp = fake;
    expect(checkNodeConfigSpec(spec).metricsCollector.inletTemp).toEqual({ type: 'Fake', fetchInterval: '15s', insecureSkipVerify: false });
    const p = seedSpec();
    delete p.predictor.powerConsumption.endpoint;
    refused(() => checkNodeConfigSpec(p), NC, '/spec/predictor/powerConsumption/endpoint', /unless type is Fake or ""/);
  });

  it('metricsCollector.inletTemp and deltaP are required, predictor and its terms optional', () => {
    const spec = seedSpec();
    delete spec.metricsCollector.deltaP;
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/deltaP', 'is required');
    const s2 = seedSpec();
    delete s2.predictor;
    expect(checkNodeConfigSpec(s2).predictor).toBeUndefined();
    expect(() => checkNodeConfigSpec({ ...seedSpec(), predictor: {} })).not.toThrow();
    refused(() => checkNodeConfigSpec({ metricsCollector: { inletTemp: fake, deltaP: fake } }), NC, '/spec/nodeName', 'is required');
  });

  it('type "" without an endpoint provider', () => {
    const spec = { ...seedSpec(), predictor: { powerConsumption: { type: '' } } };
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/predictor/powerConsumption/type', '"" needs a powerConsumptionEndpointProvider');
    refused(() => checkNodeConfigSpec({ ...seedSpec(), metricsCollector: { inletTemp: { type: '' }, deltaP: fake } }), NC, '/spec/metricsCollector/inletTemp/type');
  });

  it('a CA bundle: exactly one of configMap and secret, not with insecureSkipVerify', () => {
    const spec = seedSpec();
    spec.metricsCollector.inletTemp.caBundle = { configMap: { name: 'bmc-ca' } };
    expect(checkNodeConfigSpec(spec).metricsCollector.inletTemp.caBundle).toEqual({ configMap: { name: 'bmc-ca', key: 'ca.crt' } });
    spec.metricsCollector.inletTemp.caBundle = { secret: { name: 'bmc-ca', key: 'root.pem' } };
    expect(() => checkNodeConfigSpec(spec)).not.toThrow();
    spec.metricsCollector.inletTemp.caBundle = { configMap: { name: 'a' }, secret: { name: 'b' } };
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/caBundle', 'takes exactly one of configMap and secret');
    spec.metricsCollector.inletTemp.caBundle = {};
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/caBundle');
    spec.metricsCollector.inletTemp.caBundle = { secret: { name: 'b', key: 'a/b' } };
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/caBundle/secret/key', /pattern/);
    spec.metricsCollector.inletTemp.caBundle = { secret: { name: 'b' } };
    spec.metricsCollector.inletTemp.insecureSkipVerify = true;
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/caBundle', 'and insecureSkipVerify: true exclude each other');
  });

  it('an unknown field (a typo at synth time)', () => {
    const spec = seedSpec();
    spec.metricsCollector.inletTemp.fetchIntervall = '10s';
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/fetchIntervall', 'is not a field of the schema');
  });

  it('a basic-auth Secret without a name', () => {
    const spec = seedSpec();
    spec.metricsCollector.inletTemp.basicAuthSecret = {};
    refused(() => checkNodeConfigSpec(spec), NC, '/spec/metricsCollector/inletTemp/basicAuthSecret/name', 'is required');
  });

  it('the source given is named', () => {
    const spec = seedSpec();
    spec.metricsCollector.inletTemp.type = 'x';
    refused(() => checkNodeConfigSpec(spec, { source: 'stack/wao/worker-0' }), 'stack/wao/worker-0', '/spec/metricsCollector/inletTemp/type');
  });
});

describe('NodeConfigTemplate', () => {
  const body = () => ({ metricsCollector: { inletTemp: { type: 'Redfish', endpoint: 'https://10.0.100.{{.IPv4.Octet4}}' }, deltaP: fake } });

  it('takes Go templates in type, endpoint and basicAuthSecret.name', () => {
    const t = body() as any;
    t.metricsCollector.inletTemp.type = '{{ "Redfish" }}';
    t.metricsCollector.inletTemp.basicAuthSecret = { name: 'redfish-basicauth-{{.Hostname}}' };
    expect(() => checkNodeConfigTemplateSpec({ nodeSelector: {}, template: t })).not.toThrow();
  });

  it('refuses a type that is neither a known one nor a template', () => {
    const t = body() as any;
    t.metricsCollector.inletTemp.type = 'IPMI';
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: {}, template: t }), NCT, '/spec/template/metricsCollector/inletTemp/type', /pattern/);
    expect(new RegExp(templatedTypePattern(['Redfish', 'Fake'])).test('')).toBe(false);
    expect(new RegExp(templatedTypePattern(['V2InferenceProtocol', 'Fake', ''])).test('')).toBe(true);
  });

  it('needs template or the README form, not both, and predictor goes with its form', () => {
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: {} }), NCT, '/spec/template', /is required/);
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: {}, template: body(), ...body() }), NCT, '/spec/metricsCollector', /not both/);
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: {}, template: body(), predictor: {} }), NCT, '/spec/predictor', 'goes into template when template is given');
    refused(() => checkNodeConfigTemplateSpec({ template: body() }), NCT, '/spec/nodeSelector', 'is required');
  });

  it('the CEL mirror applies inside the template, with the path of the form used', () => {
    const t = body() as any;
    delete t.metricsCollector.inletTemp.endpoint;
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: {}, template: t }), NCT, '/spec/template/metricsCollector/inletTemp/endpoint', /is required/);
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: {}, ...t }), NCT, '/spec/metricsCollector/inletTemp/endpoint', /is required/);
  });

  it('a bad label selector is named', () => {
    refused(
      () => checkNodeConfigTemplateSpec({ nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'In' }] }, template: body() }),
      NCT,
      '/spec/nodeSelector/matchExpressions/0/values',
      'must not be empty when operator is In',
    );
    refused(
      () => checkNodeConfigTemplateSpec({ nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'Near' }] }, template: body() }),
      NCT,
      '/spec/nodeSelector/matchExpressions/0/operator',
      /must be one of "In", "NotIn", "Exists", "DoesNotExist"/,
    );
    refused(() => checkNodeConfigTemplateSpec({ nodeSelector: { matchLabels: { 'bad key!': 'x' } }, template: body() }), NCT, '/spec/nodeSelector/matchLabels/bad key!', /not a valid label key/);
  });
});

describe('the CRDs', () => {
  const schemaOf = (crd: typeof NodeConfigDeclaration | typeof NodeConfigTemplateDeclaration) =>
    (crd.manifest().spec as any).versions[0].schema.openAPIV3Schema as JSONSchemaProps;
  const at = (s: JSONSchemaProps, path: string) => path.split('.').reduce<JSONSchemaProps>((n, k) => n.properties![k], s);

  it('names, group, version and scope as wao-core\'s', () => {
    expect(WAO_CUSTOM_RESOURCES.map((d) => d.name)).toEqual(['nodeconfigs.wao.bitmedia.co.jp', 'nodeconfigtemplates.wao.bitmedia.co.jp']);
    for (const d of WAO_CUSTOM_RESOURCES) {
      const m = d.manifest() as any;
      expect(m.spec.scope).toBe('Namespaced');
      expect(m.spec.versions.map((v: any) => [v.name, v.served, v.storage, v.subresources])).toEqual([['v1beta1', true, true, { status: {} }]]);
      expect(m.spec.names.listKind).toBe(`${d.kind}List`);
    }
  });

  it('NodeConfig: structural schema with enums, duration pattern and default, CEL rules', () => {
    const spec = at(schemaOf(NodeConfigDeclaration), 'spec');
    expect(spec.required).toEqual(['nodeName', 'metricsCollector']);
    expect(at(spec, 'metricsCollector').required).toEqual(['inletTemp', 'deltaP']);
    const inlet = at(spec, 'metricsCollector.inletTemp');
    expect(inlet.required).toEqual(['type']);
    expect(inlet.properties!.type.enum).toEqual(['Redfish', 'Fake']);
    expect(inlet.properties!.fetchInterval).toMatchObject({ type: 'string', default: '15s', pattern: expect.stringContaining('ms|s|m|h') });
    expect(inlet.properties!.insecureSkipVerify).toMatchObject({ type: 'boolean', default: false });
    expect(inlet['x-kubernetes-validations']?.map((r) => r.rule)).toEqual([
      "self.type in ['Fake'] || (has(self.endpoint) && self.endpoint != '')",
      '!(has(self.caBundle) && self.insecureSkipVerify)',
      "duration(self.fetchInterval) >= duration('1s')",
    ]);
    expect(at(spec, 'predictor.powerConsumption').properties!.type.enum).toEqual(['V2InferenceProtocol', 'Fake', '']);
    expect(at(spec, 'predictor.powerConsumption')['x-kubernetes-validations']![0].rule).toBe("self.type in ['Fake', ''] || (has(self.endpoint) && self.endpoint != '')");
    expect(at(spec, 'predictor').required).toBeUndefined();
    // Every string a CEL rule reads is bounded (the API server estimates the cost from it).
    expect(inlet.properties!.endpoint.maxLength).toBe(2048);
    expect(inlet.properties!.fetchInterval.maxLength).toBe(32);
  });

  it('NodeConfig: status with conditions and the last reading of each metric, printer columns', () => {
    const status = at(schemaOf(NodeConfigDeclaration), 'status');
    expect(status.properties!.conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(at(status, 'readings.inletTemp').required).toEqual(['value', 'time']);
    const cols = (NodeConfigDeclaration.manifest().spec as any).versions[0].additionalPrinterColumns;
    expect(cols.filter((c: any) => !c.priority).map((c: any) => [c.name, c.jsonPath])).toEqual([
      ['Node', '.spec.nodeName'],
      ['Inlet Temp', '.status.readings.inletTemp.value'],
      ['DeltaP', '.status.readings.deltaP.value'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
    const status1 = NodeConfigDeclaration.validateStatus({
      observedGeneration: 2,
      readings: { inletTemp: { value: 15.5, time: '2026-12-02T11:00:00Z' } },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Collected', message: '', lastTransitionTime: '2026-12-02T11:00:00Z' }],
    });
    expect(status1.readings?.inletTemp?.value).toBe(15.5);
    refused(() => NodeConfigDeclaration.validateStatus({ readings: { deltaP: { value: '7.5', time: 'now' } } }), NC, '/status/readings/deltaP/value', /type number/);
  });

  it('NodeConfigTemplate: nodeSelector, template without a required nodeName, templated types', () => {
    const spec = at(schemaOf(NodeConfigTemplateDeclaration), 'spec');
    expect(spec.required).toEqual(['nodeSelector']);
    expect(spec.properties!.nodeSelector.properties!.matchExpressions.items!.properties!.operator.enum).toEqual(['In', 'NotIn', 'Exists', 'DoesNotExist']);
    expect(at(spec, 'template').required).toEqual(['metricsCollector']);
    expect(at(spec, 'template.metricsCollector.inletTemp').properties!.type).toMatchObject({ type: 'string', pattern: '^(Redfish|Fake)$|\\{\\{' });
    expect(spec['x-kubernetes-validations']!.map((r) => r.fieldPath)).toEqual(['.template', '.predictor']);
  });

  it('the stored types follow the schema', () => {
    assertType<Equal<NodeConfigSpec['metricsCollector']['inletTemp']['type'], 'Redfish' | 'Fake'>>(true);
    assertType<Equal<NodeConfigSpec['metricsCollector']['inletTemp']['fetchInterval'], string>>(true);
    assertType<Equal<NonNullable<NodeConfigSpecInput['metricsCollector']['deltaP']['fetchInterval']>, string>>(true);
    const input: NodeConfigSpecInput = { nodeName: 'n', metricsCollector: { inletTemp: { type: 'Fake' }, deltaP: { type: 'Fake' } } };
    expect(checkNodeConfigSpec(input).nodeName).toBe('n');
  });
});

describe('the CEL rules and their TypeScript mirror', () => {
  const rules = (s: JSONSchemaProps, out = new Set<string>()): Set<string> => {
    for (const r of s['x-kubernetes-validations'] ?? []) out.add(r.rule);
    for (const c of Object.values(s.properties ?? {})) rules(c, out);
    if (s.items) rules(s.items, out);
    if (s.additionalProperties) rules(s.additionalProperties, out);
    return out;
  };

  it('are these (a new rule needs its mirror in crds.ts and a case in test/integration/wao-crds.test.ts)', () => {
    const all = new Set<string>();
    for (const d of WAO_CUSTOM_RESOURCES) rules((d.manifest().spec as any).versions[0].schema.openAPIV3Schema, all);
    expect([...all].sort()).toEqual(
      [
        "!(has(self.caBundle) && self.insecureSkipVerify)",
        "!has(self.powerConsumption) || self.powerConsumption.type != '' || has(self.powerConsumptionEndpointProvider)",
        '!has(self.template) || !has(self.predictor)',
        "duration(self.fetchInterval) >= duration('1s')",
        'has(self.configMap) != has(self.secret)',
        'has(self.template) != has(self.metricsCollector)',
        "self.type in ['Fake', ''] || (has(self.endpoint) && self.endpoint != '')",
        "self.type in ['Fake'] || (has(self.endpoint) && self.endpoint != '')",
      ].sort(),
    );
  });
});
