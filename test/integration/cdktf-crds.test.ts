/**
 * CRDs and their custom resources through Terraform. The `kubernetesManifest()` engine reads a
 * custom resource's schema from the API server at plan time, so a custom resource cannot be
 * planned in the stack that creates its CRD: ExampleStacks puts every CRD in `<id>-crds`, applied
 * first; then the stack with the custom resources plans and applies; destroy in reverse order
 * removes both. The default `kubectl()` engine needs no CRD at plan time: one stack holds both,
 * the CRD applied first and destroyed last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App as Cdk8sApp, Chart } from 'cdk8s';
import { App as TfApp, LocalBackend, TerraformStack } from 'cdktf';
import { ExampleStacks } from '../../examples/cdktf/stack.js';
import { KubectlProvider, KubernetesManifests, ManifestEngine, StateBackend } from '../../tf.js';
import { connectToTestCluster, randomSuffix } from '../cluster/index.js';
import { ensureTerraformTools, terraformEnv, tofu, type TerraformTools } from '../cluster/terraform.js';

const cluster = connectToTestCluster();
let tools: TerraformTools;
let work: string;

beforeAll(async () => {
  tools = await ensureTerraformTools();
  work = mkdtempSync(join(tmpdir(), 'cdktf-crds-'));
}, 1_800_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A CRD, a namespace and a custom resource of that CRD in it, in two charts. */
function source(group: string, namespace: string, size: number): Cdk8sApp {
  const app = new Cdk8sApp();
  const platform = new Chart(app, 'platform');
  new ApiObject(platform, 'crd', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        },
      ],
    },
  });
  new ApiObject(platform, 'namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const workloads = new Chart(app, 'workloads');
  new ApiObject(workloads, 'widget', { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size } });
  return app;
}

test('kubernetesManifest engine: the CRD stack is applied first; the stack with custom resources then plans, applies and destroys', async () => {
  const suffix = randomSuffix();
  const group = `crds-${suffix}.platform-constructs.test`;
  const namespace = `crds-${suffix}`;
  const synth = (size: number) => {
    const app = new TfApp({ outdir: join(work, 'out') });
    new ExampleStacks(app, 'example', {
      source: source(group, namespace, size), engine: ManifestEngine.kubernetesManifest(), kubeconfig: cluster.kubeconfigPath, backend: StateBackend.local(join(work, 'state')),
    });
    app.synth();
  };
  const dir = (stack: string) => join(work, 'out', 'stacks', stack);
  const env = terraformEnv(tools);
  const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace } };

  synth(1);
  for (const stack of ['example-crds', 'example']) await tofu(tools, dir(stack), ['init', '-input=false'], env);
  // Planned before its CRD exists, the custom resource cannot be (which is why the stacks are split).
  const early = await tofu(tools, dir('example'), ['plan', '-input=false'], env).then(() => '', (e: Error) => e.message);
  expect(early).toContain('API did not recognize GroupVersionKind from manifest (CRD may not be installed)');

  await tofu(tools, dir('example-crds'), ['apply', '-input=false', '-auto-approve'], env);
  await tofu(tools, dir('example'), ['apply', '-input=false', '-auto-approve'], env);
  expect(((await cluster.get(widget))?.spec as { size: number }).size).toBe(1);
  await expect(tofu(tools, dir('example'), ['plan', '-input=false', '-detailed-exitcode'], env)).resolves.toMatch(/No changes/);

  // A changed custom resource is an in-place update.
  synth(2);
  await tofu(tools, dir('example'), ['apply', '-input=false', '-auto-approve'], env);
  expect(((await cluster.get(widget))?.spec as { size: number }).size).toBe(2);

  // Destroy in reverse order: the custom resource and namespace, then the CRD.
  await tofu(tools, dir('example'), ['destroy', '-input=false', '-auto-approve'], env);
  await tofu(tools, dir('example-crds'), ['destroy', '-input=false', '-auto-approve'], env);
  await cluster.waitFor(
    'the CRD and the namespace to be gone',
    async () => {
      const crd = await cluster.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `widgets.${group}` } });
      const ns = await cluster.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      return !crd && !ns ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}, 600_000);

test('kubectl engine: one stack plans a custom resource before its CRD exists, applies the CRD first and destroys it last', async () => {
  const suffix = randomSuffix();
  const group = `crds-${suffix}.platform-constructs.test`;
  const namespace = `crds-${suffix}`;
  const dir = join(work, 'one', 'stacks', 'one');
  const synth = (size: number) => {
    const app = new TfApp({ outdir: join(work, 'one') });
    const stack = new TerraformStack(app, 'one');
    new LocalBackend(stack, { path: join(work, 'one.tfstate') });
    new KubernetesManifests(stack, 'all', { source: source(group, namespace, size), provider: new KubectlProvider(stack, 'kubectl', { configPath: cluster.kubeconfigPath }) });
    app.synth();
  };
  const env = terraformEnv(tools);
  const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace } };
  const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `widgets.${group}` } };

  synth(1);
  await tofu(tools, dir, ['init', '-input=false'], env);
  expect(await tofu(tools, dir, ['plan', '-input=false'], env)).toMatch(/Plan: 3 to add/);
  await tofu(tools, dir, ['apply', '-input=false', '-auto-approve'], env);
  expect(((await cluster.get(widget))?.spec as { size: number }).size).toBe(1);
  await expect(tofu(tools, dir, ['plan', '-input=false', '-detailed-exitcode'], env)).resolves.toMatch(/No changes/);

  synth(2);
  expect(await tofu(tools, dir, ['apply', '-input=false', '-auto-approve'], env)).toMatch(/0 added, 1 changed, 0 destroyed/);
  expect(((await cluster.get(widget))?.spec as { size: number }).size).toBe(2);

  await tofu(tools, dir, ['destroy', '-input=false', '-auto-approve'], env);
  await cluster.waitFor('the CRD and the namespace to be gone', async () => (!(await cluster.get(crd)) && !(await cluster.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })) ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
}, 600_000);
