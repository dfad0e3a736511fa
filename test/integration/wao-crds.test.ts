/**
 * WAO's CRDs (lib/api/wao) on the real API server: both are accepted (structural, CEL rules
 * within the cost budget) and Established; the seed's YAML applies unchanged and is defaulted;
 * each CEL rule refuses what its TypeScript mirror refuses, at the same field; the status
 * subresource takes what validateStatus takes.
 */
import { NodeConfigDeclaration, NodeConfigTemplateDeclaration, checkNodeConfigSpec, checkNodeConfigTemplateSpec } from '../../lib/api/wao/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { connectToTestCluster, KubeApiError, randomSuffix, type KubeObject } from '../cluster/index.js';
import { NODE_CONFIG_TEMPLATE_YAML, NODE_CONFIG_YAML, parseSeed, parseSnippet, PREDICTOR_VIA_PROVIDER_YAML } from '../fixtures/wao-seed.js';

const cluster = connectToTestCluster();
let namespace: string;
const crds = [NodeConfigDeclaration.manifest(), NodeConfigTemplateDeclaration.manifest()] as unknown as KubeObject[];
const path = (plural: string) => `/apis/${NodeConfigDeclaration.apiVersion()}/namespaces/${namespace}/${plural}`;

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof KubeApiError)) throw new Error(`expected the API server to refuse, got ${e === undefined ? 'success' : String(e)}`);
  return e;
}

beforeAll(async () => {
  namespace = await cluster.createNamespace('wao-crds');
  await cluster.applyObjects(crds, { fieldManager: 'wao-crds-test' });
}, 120_000);

afterAll(async () => {
  // The CRDs stay: other tests of the shared cluster (the controller's) apply and use them at the same time.
  if (namespace) await cluster.deleteNamespace(namespace);
});

test('the CRDs are accepted, structural and Established', async () => {
  for (const c of crds) {
    const crd = await cluster.get(c);
    const conditions = (crd!.status as { conditions: { type: string; status: string }[] }).conditions;
    expect(Object.fromEntries(conditions.map((x) => [x.type, x.status]))).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
    expect(conditions.find((x) => x.type === 'NonStructuralSchema')).toBeUndefined();
  }
});

test('the seed YAML applies unchanged and is stored as checkNodeConfigSpec says', async () => {
  const nc = parseSeed(NODE_CONFIG_YAML);
  const created = (await cluster.request<{ spec: unknown }>('POST', path('nodeconfigs'), { ...nc, metadata: { name: nc.metadata.name } })).body;
  expect(created.spec).toEqual(checkNodeConfigSpec(nc.spec));
  const t = parseSeed(NODE_CONFIG_TEMPLATE_YAML);
  const createdT = (await cluster.request<{ spec: unknown }>('POST', path('nodeconfigtemplates'), { ...t, metadata: { name: t.metadata.name } })).body;
  expect(createdT.spec).toEqual(checkNodeConfigTemplateSpec(t.spec));
  const viaProvider = { ...nc, metadata: { name: 'via-provider' }, spec: { ...nc.spec, predictor: parseSnippet(PREDICTOR_VIA_PROVIDER_YAML) } };
  await cluster.request('POST', path('nodeconfigs'), viaProvider);
});

const seed = () => JSON.parse(JSON.stringify(parseSeed(NODE_CONFIG_YAML).spec)) as any;
const edit = (f: (s: any) => void) => {
  const s = seed();
  f(s);
  return s;
};

test.each([
  ['unknown type', edit((s) => (s.metricsCollector.inletTemp.type = 'IPMI')), 'spec.metricsCollector.inletTemp.type', 'Unsupported value'],
  ['bad duration', edit((s) => (s.metricsCollector.deltaP.fetchInterval = '10 s')), 'spec.metricsCollector.deltaP.fetchInterval', 'should match'],
  ['interval below 1s', edit((s) => (s.metricsCollector.deltaP.fetchInterval = '100ms')), 'spec.metricsCollector.deltaP.fetchInterval', 'fetchInterval must be at least 1s'],
  ['no endpoint for Redfish', edit((s) => delete s.metricsCollector.inletTemp.endpoint), 'spec.metricsCollector.inletTemp.endpoint', 'endpoint is required unless type is Fake'],
  ['empty endpoint', edit((s) => (s.metricsCollector.inletTemp.endpoint = '')), 'spec.metricsCollector.inletTemp.endpoint', 'endpoint is required unless type is Fake'],
  ['caBundle with insecureSkipVerify', edit((s) => Object.assign(s.metricsCollector.inletTemp, { caBundle: { secret: { name: 'ca' } }, insecureSkipVerify: true })), 'spec.metricsCollector.inletTemp.caBundle', 'exclude each other'],
  ['caBundle with both', edit((s) => (s.metricsCollector.inletTemp.caBundle = { secret: { name: 'a' }, configMap: { name: 'b' } })), 'spec.metricsCollector.inletTemp.caBundle', 'exactly one of configMap and secret'],
  ['type "" without provider', edit((s) => (s.predictor = { powerConsumption: { type: '' } })), 'spec.predictor.powerConsumption', 'needs a powerConsumptionEndpointProvider'],
])('NodeConfig: %s is refused by the API server and by checkNodeConfigSpec', async (_, spec, field, message) => {
  const e = await rejection(cluster.request('POST', path('nodeconfigs'), { apiVersion: NodeConfigDeclaration.apiVersion(), kind: 'NodeConfig', metadata: { name: `bad-${randomSuffix()}` }, spec }));
  expect(e.statusCode).toBe(422);
  const causes = e.body.details.causes as { field: string; message: string }[];
  expect(causes.find((c) => c.field === field && c.message.includes(message))).toBeDefined();
  let js: unknown;
  try {
    checkNodeConfigSpec(spec);
  } catch (err) {
    js = err;
  }
  expect(js).toBeInstanceOf(ValidationError);
  expect((js as ValidationError).field.replace(/^\//, '').replace(/\//g, '.').startsWith(field.replace(/\.type$/, ''))).toBe(true);
});

test.each([
  ['neither template nor metricsCollector', { nodeSelector: {} }, 'spec.template'],
  ['both', { nodeSelector: {}, template: seed(), metricsCollector: seed().metricsCollector }, 'spec.template'],
  ['predictor beside template', { nodeSelector: {}, template: { metricsCollector: seed().metricsCollector }, predictor: {} }, 'spec.predictor'],
])('NodeConfigTemplate: %s is refused', async (_, spec, field) => {
  const body = { apiVersion: NodeConfigTemplateDeclaration.apiVersion(), kind: 'NodeConfigTemplate', metadata: { name: `bad-${randomSuffix()}` }, spec };
  const e = await rejection(cluster.request('POST', path('nodeconfigtemplates'), body));
  expect((e.body.details.causes as { field: string }[]).map((c) => c.field)).toContain(field);
  expect(() => checkNodeConfigTemplateSpec(spec)).toThrow(ValidationError);
});

test('a templated type is accepted in a template', async () => {
  const spec = { nodeSelector: { matchExpressions: [{ key: 'wao', operator: 'Exists' }] }, template: { nodeName: '', metricsCollector: { inletTemp: { type: '{{ "Redfish" }}', endpoint: 'https://10.0.100.{{.IPv4.Octet4}}' }, deltaP: { type: 'Fake' } } } };
  await cluster.request('POST', path('nodeconfigtemplates'), { apiVersion: NodeConfigTemplateDeclaration.apiVersion(), kind: 'NodeConfigTemplate', metadata: { name: 'templated' }, spec });
});

test('the status subresource stores readings and conditions as validateStatus checks them', async () => {
  const status = NodeConfigDeclaration.validateStatus({
    observedGeneration: 1,
    readings: { inletTemp: { value: 15.5, time: '2026-12-02T11:00:00Z' }, deltaP: { value: 7.5, time: '2026-12-02T11:00:00Z' } },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Collected', message: 'both metrics read', lastTransitionTime: '2026-12-02T11:00:00Z' }],
  });
  const current = (await cluster.request<KubeObject>('GET', `${path('nodeconfigs')}/worker-0`)).body;
  const written = (await cluster.request<KubeObject & { status: unknown }>('PUT', `${path('nodeconfigs')}/worker-0/status`, { ...current, status })).body;
  expect(written.status).toEqual(status);
  const bad = await rejection(cluster.request('PUT', `${path('nodeconfigs')}/worker-0/status`, { ...written, status: { readings: { inletTemp: { value: 'hot', time: 'now' } } } }));
  expect(bad.statusCode).toBe(422);
});
