/**
 * A custom resource declared once in TypeScript (test/fixtures/widget-crd.ts), proven on the real
 * API server: the synthesized CRD is structural and Established, defaults are applied on create,
 * the CEL rule rejects with its field path and message, the schema rejects what `validate`
 * rejects at the same field, status is a subresource of its own, both versions are served and the
 * scale subresource reads the declared paths.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { App, Chart } from 'cdk8s';
import { CustomResource } from '../../constructs/controller/custom-resource.js';
import { CustomResourceDefinition } from '../../constructs/controller/custom-resource-definition.js';
import type { SpecOf, StatusOf } from '../../lib/api/crd/definition.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { appObjects, connectToTestCluster, KubeApiError, randomSuffix, type KubeObject } from '../cluster/index.js';
import { consumerDeclaration, nodeConfigDeclarations } from '../fixtures/next-crds.js';
import { widgetDeclaration } from '../fixtures/widget-crd.js';

const cluster = connectToTestCluster();
// A group of its own per run, so that a rerun on a kept cluster starts from nothing.
const Widget = widgetDeclaration(`examples-${randomSuffix()}.platform-constructs.io`);
const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: Widget.name } };
let namespace: string;

type Stored = KubeObject & { spec: SpecOf<typeof Widget>; status?: StatusOf<typeof Widget>; metadata: { name: string; generation: number; resourceVersion: string } };

function base(version: 'v1' | 'v1alpha1' = 'v1'): string {
  return `/apis/${Widget.group}/${version}/namespaces/${namespace}/widgets`;
}

/** The API error of a request that must fail. */
async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof KubeApiError)) throw new Error(`expected the API server to refuse, got ${e === undefined ? 'success' : String(e)}`);
  return e;
}

/** GET as a meta.k8s.io Table: what `kubectl get` prints, columns from the CRD. */
async function table(path: string): Promise<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }> {
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } };
  await cluster.kubeConfig.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, cluster.server), opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${path} -> ${res.statusCode}: ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  namespace = await cluster.createNamespace('custom-resources');
  const app = new App({ outdir: '/tmp/unused' });
  const chart = new Chart(app, 'crds');
  new CustomResourceDefinition(chart, 'widgets', { definition: Widget });
  await cluster.applyObjects(appObjects(app), { fieldManager: 'custom-resources-test' });
}, 120_000);

afterAll(async () => {
  if (namespace) await cluster.deleteNamespace(namespace);
  await cluster.delete(crdRef);
});

test('the synthesized CRD is accepted, structural and Established', async () => {
  const crd = await cluster.get(crdRef);
  const conditions = (crd!.status as { conditions: { type: string; status: string; message?: string }[] }).conditions;
  const byType = Object.fromEntries(conditions.map((c) => [c.type, c.status]));
  expect(byType).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
  expect(conditions.find((c) => c.type === 'NonStructuralSchema')).toBeUndefined();
  const spec = crd!.spec as { versions: { name: string; storage: boolean; additionalPrinterColumns: { name: string }[] }[] };
  expect(spec.versions.map((v) => [v.name, v.storage])).toEqual([
    ['v1alpha1', false],
    ['v1', true],
  ]);
  // What the server stored is what was declared (no field pruned or rewritten).
  expect(crd!.spec).toMatchObject(Widget.manifest().spec as object);
});

test('defaults are applied on create, nested ones too', async () => {
  const app = new App({ outdir: '/tmp/unused' });
  const chart = new Chart(app, 'widgets', { namespace });
  new CustomResource(chart, 'defaults', {
    definition: Widget,
    spec: { minReplicas: 1, maxReplicas: 3, endpoints: [{ name: 'a', url: 'http://a' }] },
  });
  const [object] = appObjects(app);
  const created = (await cluster.request<Stored>('POST', base(), object)).body;
  expect(created.spec).toEqual({
    minReplicas: 1,
    maxReplicas: 3,
    replicas: 1,
    mode: 'Fast',
    interval: '15s',
    endpoints: [{ name: 'a', url: 'http://a', weight: 1 }],
  });
  // The JS side computes the same defaults.
  expect(Widget.validate(object.spec)).toEqual(created.spec);
  const read = (await cluster.request<Stored>('GET', `${base()}/defaults`)).body;
  expect(read.spec).toEqual(created.spec);
});

test('the CEL rule rejects with its field path, reason and message', async () => {
  const body = { apiVersion: Widget.apiVersion(), kind: 'Widget', metadata: { name: 'inverted' }, spec: { minReplicas: 5, maxReplicas: 3 } };
  // CEL does not run in JS: the synth-time check lets this through, the API server does not.
  expect(() => Widget.validate(body.spec)).not.toThrow();
  const e = await rejection(cluster.request('POST', base(), body));
  expect(e.statusCode).toBe(422);
  expect(e.body.reason).toBe('Invalid');
  expect(e.body.details.causes).toEqual([
    { reason: 'FieldValueInvalid', message: 'Invalid value: "object": minReplicas must not exceed maxReplicas', field: 'spec.minReplicas' },
  ]);
  expect(e.body.message).toContain('spec.minReplicas: Invalid value: "object": minReplicas must not exceed maxReplicas');
});

test.each([
  [{ minReplicas: 1, maxReplicas: 3, mode: 'Medium' }, 'spec.mode', 'Unsupported value: "Medium"'],
  [{ minReplicas: 1, maxReplicas: 3, interval: '15 seconds' }, 'spec.interval', 'should match'],
  [{ minReplicas: -1, maxReplicas: 3 }, 'spec.minReplicas', 'should be greater than or equal to 0'],
  [{ minReplicas: 1, maxReplicas: 3, memory: '2 GB' }, 'spec.memory', 'should match'],
  [{ minReplicas: 1, maxReplicas: 3, sidecar: { kind: 'Pod' } }, 'spec.sidecar.apiVersion', 'Required value'],
])('the API server and validate() refuse %j at the same field', async (spec, field, message) => {
  const body = { apiVersion: Widget.apiVersion(), kind: 'Widget', metadata: { name: `bad-${randomSuffix()}` }, spec };
  const e = await rejection(cluster.request('POST', base(), body));
  expect(e.statusCode).toBe(422);
  const cause = (e.body.details.causes as { field: string; message: string }[]).find((c) => c.field === field);
  expect(cause?.message).toContain(message);
  let jsError: unknown;
  try {
    Widget.validate(spec);
  } catch (err) {
    jsError = err;
  }
  expect(jsError).toBeInstanceOf(ValidationError);
  expect((jsError as ValidationError).field).toBe(`/${field.replace(/\./g, '/')}`);
});

test('a duplicate key of a map list: refused by the API server and by validate() at the same entry', async () => {
  const spec = { minReplicas: 1, maxReplicas: 3, endpoints: [{ name: 'a', url: 'x' }, { name: 'a', url: 'y' }] };
  const e = await rejection(cluster.request('POST', base(), { apiVersion: Widget.apiVersion(), kind: 'Widget', metadata: { name: 'dup' }, spec }));
  expect(e.body.details.causes).toEqual([expect.objectContaining({ reason: 'FieldValueDuplicate', field: 'spec.endpoints[1]' })]);
  expect(() => Widget.validate(spec)).toThrow('/spec/endpoints/1: duplicate entry (name="a"), same as /spec/endpoints/0');
});

test('status is a subresource of its own', async () => {
  const body = { apiVersion: Widget.apiVersion(), kind: 'Widget', metadata: { name: 'status' }, spec: { minReplicas: 1, maxReplicas: 2 } };
  const created = (await cluster.request<Stored>('POST', base(), { ...body, status: { phase: 'Ready' } })).body;
  expect(created.status).toBeUndefined(); // status in a create is dropped

  // A write to /status updates status only: the spec in the same body is ignored, generation stays.
  const statusWrite = {
    ...created,
    spec: { ...created.spec, maxReplicas: 9 },
    status: { phase: 'Ready', replicas: 2, selector: 'app=w', conditions: [{ type: 'Ready', status: 'True', reason: 'Up', message: 'up', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
  const afterStatus = (await cluster.request<Stored>('PUT', `${base()}/status/status`, statusWrite)).body;
  expect(afterStatus.status).toMatchObject({ phase: 'Ready', replicas: 2 });
  expect(afterStatus.spec.maxReplicas).toBe(2);
  expect(afterStatus.metadata.generation).toBe(created.metadata.generation);
  // Status is checked against its schema on the subresource too.
  const badStatus = await rejection(cluster.request('PUT', `${base()}/status/status`, { ...afterStatus, status: { phase: 'Gone' } }));
  expect(badStatus.body.details.causes[0].field).toBe('status.phase');

  // An update of the main resource ignores status and changes spec (and generation).
  const mainWrite = { ...afterStatus, spec: { ...afterStatus.spec, maxReplicas: 4 }, status: { phase: 'Pending', replicas: 0 } };
  const afterMain = (await cluster.request<Stored>('PUT', `${base()}/status`, mainWrite)).body;
  expect(afterMain.spec.maxReplicas).toBe(4);
  expect(afterMain.status).toMatchObject({ phase: 'Ready', replicas: 2 });
  expect(afterMain.metadata.generation).toBe(created.metadata.generation + 1);

  // The printer columns read the declared paths.
  const t = await table(`${base()}/status`);
  expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Min', 'Max', 'Phase', 'Age']);
  expect(t.rows[0].cells.slice(0, 4)).toEqual(['status', 1, 4, 'Ready']);

  // The scale subresource reads the declared paths.
  const scale = (await cluster.request('GET', `${base()}/status/scale`)).body;
  expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 1 }, status: { replicas: 2, selector: 'app=w' } });
});

test('both versions are served: the same object through v1alpha1 and v1', async () => {
  const old = { apiVersion: Widget.apiVersion('v1alpha1'), kind: 'Widget', metadata: { name: 'versions' }, spec: { minReplicas: 0, maxReplicas: 1 } };
  await cluster.request('POST', base('v1alpha1'), old);
  const v1 = (await cluster.request<Stored>('GET', `${base('v1')}/versions`)).body;
  const v1alpha1 = (await cluster.request<Stored>('GET', `${base('v1alpha1')}/versions`)).body;
  expect(v1.apiVersion).toBe(`${Widget.group}/v1`);
  expect(v1alpha1.apiVersion).toBe(`${Widget.group}/v1alpha1`);
  expect(v1alpha1.spec).toEqual(v1.spec);
  expect(v1.spec).toMatchObject({ replicas: 1, mode: 'Fast' });
  expect(v1alpha1.metadata.uid).toBe(v1.metadata.uid);
});

describe('the shapes of the next controllers (test/fixtures/next-crds.ts) on the API server', () => {
  const suffix = randomSuffix();
  const { NodeConfig, NodeConfigTemplate } = nodeConfigDeclarations(`wao-${suffix}.platform-constructs.io`);
  const Consumer = consumerDeclaration(`konsumerator-${suffix}.platform-constructs.io`);
  const declarations = [NodeConfig, NodeConfigTemplate, Consumer];
  const path = (d: (typeof declarations)[number]) => `/apis/${d.group}/${d.storageVersion}/namespaces/${namespace}/${d.plural}`;
  const post = (d: (typeof declarations)[number], name: string, spec: unknown) =>
    cluster.request('POST', path(d), { apiVersion: d.apiVersion(), kind: d.kind, metadata: { name }, spec });

  beforeAll(async () => {
    const app = new App({ outdir: '/tmp/unused' });
    const chart = new Chart(app, 'next');
    declarations.forEach((d) => new CustomResourceDefinition(chart, d.kind.toLowerCase(), { definition: d }));
    await cluster.applyObjects(appObjects(app), { fieldManager: 'custom-resources-test' });
  }, 120_000);

  afterAll(async () => {
    for (const d of declarations) await cluster.delete({ ...crdRef, metadata: { name: d.name } });
  });

  test('their CRDs are structural and Established', async () => {
    for (const d of declarations) {
      const crd = await cluster.get({ ...crdRef, metadata: { name: d.name } });
      const conditions = (crd!.status as { conditions: { type: string; status: string }[] }).conditions;
      expect([d.kind, conditions.find((c) => c.type === 'Established')?.status]).toEqual([d.kind, 'True']);
      expect(conditions.find((c) => c.type === 'NonStructuralSchema')).toBeUndefined();
    }
  });

  test('NodeConfig: nested defaults, the nested CEL rule, a field selector on spec.nodeName', async () => {
    const fake = { type: 'Fake' };
    const created = (await post(NodeConfig, 'n1', { nodeName: 'worker-1', metricsCollector: { inletTemp: fake, deltaP: fake } })).body;
    expect(created.spec.metricsCollector.deltaP).toEqual({ type: 'Fake', fetchInterval: '15s', insecureSkipVerify: false });
    await post(NodeConfig, 'n2', { nodeName: 'worker-2', metricsCollector: { inletTemp: fake, deltaP: fake } });
    const selected = (await cluster.request('GET', `${path(NodeConfig)}?fieldSelector=spec.nodeName%3Dworker-2`)).body;
    expect(selected.items.map((i: KubeObject) => i.metadata!.name)).toEqual(['n2']);

    const e = await rejection(post(NodeConfig, 'n3', { nodeName: 'w', metricsCollector: { inletTemp: fake, deltaP: { type: 'Redfish' } } }));
    expect(e.body.details.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value: endpoint is required unless type is Fake', field: 'spec.metricsCollector.deltaP.endpoint' },
    ]);
    const bad = await rejection(post(NodeConfig, 'n4', { nodeName: 'w', metricsCollector: { inletTemp: { type: 'Snmp' }, deltaP: fake } }));
    expect(bad.body.details.causes[0].field).toBe('spec.metricsCollector.inletTemp.type');
  });

  test('NodeConfigTemplate: the template without nodeName, defaults inside it', async () => {
    const created = (
      await post(NodeConfigTemplate, 't1', {
        nodeSelector: { matchLabels: { role: 'worker' } },
        template: { metricsCollector: { inletTemp: { type: 'Redfish', endpoint: 'https://10.0.100.{{.IPv4.Octet4}}' }, deltaP: { type: 'Fake', fetchInterval: '30s' } } },
      })
    ).body;
    expect(created.spec.template.metricsCollector.inletTemp.fetchInterval).toBe('15s');
    expect(created.spec.template.metricsCollector.deltaP.fetchInterval).toBe('30s');
  });

  test('Consumer: the unstructured Deployment spec is kept whole; CEL rules on quantities and partitions', async () => {
    const deploymentTemplate = { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'main', image: 'busybox', args: ['x'] }] } } };
    const created = (
      await post(Consumer, 'c1', {
        numPartitions: 10,
        name: 'c1',
        deploymentTemplate,
        resourcePolicy: { containerPolicies: [{ containerName: 'main', minAllowed: { cpu: '100m' }, maxAllowed: { cpu: '2' } }] },
      })
    ).body;
    expect(created.spec.deploymentTemplate).toEqual(deploymentTemplate);
    expect(created.spec).toMatchObject({ numPartitionsPerInstance: 1, partitionEnvKey: 'KONSUMERATOR_PARTITION' });

    const inverted = await rejection(
      post(Consumer, 'c2', {
        numPartitions: 10,
        name: 'c2',
        deploymentTemplate,
        resourcePolicy: { containerPolicies: [{ containerName: 'main', minAllowed: { cpu: '3' }, maxAllowed: { cpu: '2500m' } }] },
      }),
    );
    expect(inverted.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: "object": minAllowed.cpu must not exceed maxAllowed.cpu', field: 'spec.resourcePolicy.containerPolicies[0].minAllowed' },
    ]);
    const partitions = await rejection(post(Consumer, 'c3', { numPartitions: 2, numPartitionsPerInstance: 3, name: 'c3', deploymentTemplate }));
    expect(partitions.body.details.causes[0]).toMatchObject({ field: 'spec.numPartitionsPerInstance', message: expect.stringContaining('must not exceed numPartitions') });
  });
});
