/**
 * Konsumerator's CRD (lib/api/konsumerator) on the real API server: accepted (structural, CEL
 * within the cost budget) and Established; the seed's Consumer applies unchanged and is stored
 * as checkConsumerSpec says; each bad spec is refused at the field its TypeScript mirror names.
 */
import { ConsumerDeclaration, checkConsumerSpec } from '../../lib/api/konsumerator/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { connectToTestCluster, KubeApiError, type KubeObject } from '../cluster/index.js';
import { parseConsumer } from '../fixtures/konsumerator-seed.js';

const cluster = connectToTestCluster();
let namespace: string;
const crd = ConsumerDeclaration.manifest() as unknown as KubeObject;
const path = () => `/apis/${ConsumerDeclaration.apiVersion()}/namespaces/${namespace}/consumers`;

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof KubeApiError)) throw new Error(`expected the API server to refuse, got ${e === undefined ? 'success' : String(e)}`);
  return e;
}

beforeAll(async () => {
  namespace = await cluster.createNamespace('konsum-crds');
  await cluster.applyObjects([crd], { fieldManager: 'konsumerator-crds-test' });
  await cluster.waitFor('Consumer CRD established', async () => {
    const c = await cluster.get(crd);
    return (c?.status as any)?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True');
  }, { timeoutMs: 30_000, intervalMs: 200 });
}, 120_000);

afterAll(async () => {
  if (namespace) await cluster.deleteNamespace(namespace);
});

test('the CRD is accepted, structural and Established, with the original printer columns', async () => {
  const c = (await cluster.get(crd))!;
  const conditions = (c.status as { conditions: { type: string; status: string }[] }).conditions;
  expect(conditions.find((x) => x.type === 'NonStructuralSchema')).toBeUndefined();
  const columns = (c as any).spec.versions[0].additionalPrinterColumns.map((x: any) => x.name.toUpperCase());
  expect(columns).toEqual(['EXPECTED', 'RUNNING', 'PAUSED', 'MISSING', 'LAGGING', 'OUTDATED', 'AUTOSCALER', 'AGE']);
});

test('the seed Consumer applies unchanged and is stored with the defaults checkConsumerSpec applies', async () => {
  const seed = parseConsumer();
  const created = (await cluster.request<{ spec: unknown }>('POST', path(), seed)).body;
  expect(created.spec).toEqual(checkConsumerSpec(seed.spec));
  expect((created.spec as any).deploymentTemplate.template.spec.containers).toHaveLength(2);
});

const edit = (f: (s: any) => void) => {
  const s = parseConsumer().spec;
  f(s);
  return s;
};

const cases: Array<[string, any, string, RegExp]> = [
  ['no numPartitions', edit((s) => delete s.numPartitions), 'spec.numPartitions', /Required value/],
  ['0 partitions', edit((s) => (s.numPartitions = 0)), 'spec.numPartitions', /greater than or equal to 1/],
  ['0 per instance', edit((s) => (s.numPartitionsPerInstance = 0)), 'spec.numPartitionsPerInstance', /greater than or equal to 1/],
  ['more per instance than partitions', edit((s) => (s.numPartitionsPerInstance = 200)), 'spec.numPartitionsPerInstance', /must not exceed numPartitions/],
  ['bad duration', edit((s) => (s.autoscaler.prometheus.tolerableLag = '5 minutes')), 'spec.autoscaler.prometheus.tolerableLag', /should match/],
  ['criticalLag below tolerableLag', edit((s) => (s.autoscaler.prometheus.criticalLag = '1m')), 'spec.autoscaler.prometheus.criticalLag', /longer than tolerableLag/],
  ['bad quantity', edit((s) => (s.autoscaler.prometheus.ramPerCore = '100 MB')), 'spec.autoscaler.prometheus.ramPerCore', /should match/],
  ['min over max', edit((s) => (s.resourcePolicy.containerPolicies[0].minAllowed.cpu = '2')), 'spec.resourcePolicy.containerPolicies[0].minAllowed.cpu', /must not exceed maxAllowed.cpu/],
  ['unknown mode', edit((s) => (s.autoscaler.mode = 'vpa')), 'spec.autoscaler.mode', /Unsupported value/],
  ['prometheus mode without prometheus', edit((s) => delete s.autoscaler.prometheus), 'spec.autoscaler.prometheus', /needs prometheus/],
  ['bad name', edit((s) => (s.name = 'Test_Consumer')), 'spec.name', /should match/],
  ['zero ratePerCore', edit((s) => (s.autoscaler.prometheus.ratePerCore = 0)), 'spec.autoscaler.prometheus.ratePerCore', /greater than or equal to 1/],
  ['no template', edit((s) => delete s.deploymentTemplate.template), 'spec.deploymentTemplate.template', /Required value/],
];

test.each(cases.map(([what, spec, field, message]) => ({ what, spec, field, message })))('$what: refused by the API server at $field, and by checkConsumerSpec', async ({ spec, field, message }) => {
  const e = await rejection(cluster.request('POST', path(), { apiVersion: ConsumerDeclaration.apiVersion(), kind: 'Consumer', metadata: { name: `bad-${Math.random().toString(36).slice(2, 8)}` }, spec }));
  expect(e.message).toContain(field);
  expect(e.message).toMatch(message);
  let err: unknown;
  try {
    checkConsumerSpec(spec);
  } catch (x) {
    err = x;
  }
  expect(err).toBeInstanceOf(ValidationError);
  // The same field, as a JSON pointer.
  expect((err as ValidationError).field.replace(/\//g, '.').replace(/\.(\d+)/g, '[$1]')).toBe(`.${field}`);
});
