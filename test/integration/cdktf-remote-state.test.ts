/**
 * Module outputs that live in another Terraform state (`terraform_remote_state`), offline, on a
 * real API server: a "producer" Terraform root publishes a module's outputs; a cdktf stack reads
 * them with TerraformModuleOutputs.fromRemoteState, and `tofu apply` puts them into a
 * Deployment's container (env, envFrom, volumes, mounts). The contract's checks run in
 * Terraform, as preconditions: bad outputs fail the plan with messages that name the module and
 * the field. Also: the `kubernetes` state backend of the example keeps state in a Secret.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { ApiObject, Chart, Testing as Cdk8sTesting } from 'cdk8s';
import { App as TfApp, DataTerraformRemoteStateLocal, LocalBackend, TerraformStack } from 'cdktf';
import { ExampleStacks } from '../../examples/cdktf/stack.js';
import { StateBackend } from '../../tf.js';
import { KubectlProvider, KubernetesManifests, ManifestEngine, TerraformModuleOutputs } from '../../lib/tf/index.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/index.js';
import { connectToTestCluster, startCluster } from '../cluster/index.js';
import { ensureTerraformTools, terraformEnv, tofu, type TerraformTools } from '../cluster/terraform.js';

const cluster = connectToTestCluster();
let tools: TerraformTools;
let work: string;
let namespace: string;

beforeAll(async () => {
  tools = await ensureTerraformTools();
  work = mkdtempSync(join(tmpdir(), 'cdktf-remote-'));
  namespace = await cluster.createNamespace('remote-state');
}, 1_800_000);

afterAll(async () => {
  if (namespace) await cluster.deleteNamespace(namespace);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Applies a Terraform root that only publishes `outputs` (no provider): the other state. */
async function produce(outputs: Record<string, unknown>): Promise<string> {
  const dir = join(work, 'producer');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ output: Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value }])) }));
  await tofu(tools, dir, ['init', '-input=false']);
  await tofu(tools, dir, ['apply', '-input=false', '-auto-approve']);
  return join(dir, 'terraform.tfstate');
}

const GOOD = {
  env: { MongoDB__Host: 'mongodb.storage.svc', MongoDB__Port: 27017, MongoDB__Tls: true },
  env_secret: ['mongodb-user-credentials'],
  env_from_secret: { MongoDB__Password: { secret: 'mongodb-user', field: 'password' } },
  mount_secret: { certificate: { secret: 'mongodb-ca', path: '/mongodb/certs' } },
};

/** The consumer: one Deployment, the module read from the producer's state. */
function synthConsumer(statePath: string, kubeconfig: string, engineName: 'kubectl' | 'kubernetesManifest'): string {
  const outdir = join(work, `consumer-${engineName}.out`);
  const app = new TfApp({ outdir });
  const stack = new TerraformStack(app, 'consumer');
  new LocalBackend(stack, { path: join(work, `consumer-${engineName}.tfstate`) });
  let provider: KubectlProvider | KubernetesProvider;
  if (engineName === 'kubectl') {
    provider = new KubectlProvider(stack, 'kubectl', { configPath: kubeconfig });
  } else {
    stack.addOverride('terraform.required_providers.kubernetes', { source: 'registry.terraform.io/hashicorp/kubernetes', version: '>= 2.36.0, < 4.0.0' });
    provider = new KubernetesProvider(stack, 'kubernetes', { configPath: kubeconfig });
  }
  const state = new DataTerraformRemoteStateLocal(stack, 'mongodb-state', { path: statePath });

  const chart = new Chart(Cdk8sTesting.app(), 'app');
  new ApiObject(chart, 'deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `consumer-${engineName.toLowerCase()}`, namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'consumer' } },
      template: {
        metadata: { labels: { app: 'consumer' } },
        spec: {
          securityContext: restrictedPodSecurityContext(),
          containers: [
            {
              name: 'main',
              image: 'registry.example/consumer:1',
              env: [{ name: 'Own__Setting', value: 'x' }],
              securityContext: restrictedContainerSecurityContext(),
              resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  });
  new KubernetesManifests(stack, 'app', {
    source: chart,
    provider,
    engine: ManifestEngine[engineName](),
    terraformModules: [{ kind: 'Deployment', name: `consumer-${engineName.toLowerCase()}`, modules: [TerraformModuleOutputs.fromRemoteState('mongodb', state)] }],
  });
  app.synth();
  return join(outdir, 'stacks', 'consumer');
}

test.each(['kubectl', 'kubernetesManifest'] as const)('%s engine: outputs of a module in another Terraform state reach the container at apply time; bad ones fail the plan naming module and field', async (engineName) => {
  const env = terraformEnv(tools);
  const statePath = await produce(GOOD);
  const dir = synthConsumer(statePath, cluster.kubeconfigPath, engineName);
  await tofu(tools, dir, ['init', '-input=false'], env);
  await tofu(tools, dir, ['apply', '-input=false', '-auto-approve'], env);

  const stored = await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `consumer-${engineName.toLowerCase()}`, namespace } });
  const pod = (stored!.spec as any).template.spec;
  const container = pod.containers[0];
  expect(container.env).toEqual([
    { name: 'Own__Setting', value: 'x' },
    { name: 'MongoDB__Host', value: 'mongodb.storage.svc' },
    { name: 'MongoDB__Port', value: '27017' },
    { name: 'MongoDB__Tls', value: 'true' },
    { name: 'MongoDB__Password', valueFrom: { secretKeyRef: { name: 'mongodb-user', key: 'password' } } },
  ]);
  expect(container.envFrom).toEqual([{ secretRef: { name: 'mongodb-user-credentials' } }]);
  expect(container.volumeMounts).toEqual([{ name: 'mongodb-s-certificate', mountPath: '/mongodb/certs', readOnly: true }]);
  expect(pod.volumes).toEqual([{ name: 'mongodb-s-certificate', secret: { secretName: 'mongodb-ca', defaultMode: 420 } }]);

  // Idempotent.
  await expect(tofu(tools, dir, ['plan', '-input=false', '-detailed-exitcode'], env)).resolves.toMatch(/No changes/);

  // The other state changes to outputs the contract rejects: the plan fails, naming module and field.
  await produce({
    ...GOOD,
    env: { ...GOOD.env, '1_BAD': 'x', Own__Setting: 'y' },
    env_secret: ['Bad_Name'],
    mount_secret: { certificate: { secret: 'mongodb-ca', path: 'relative/certs' } },
  });
  const failure = await tofu(tools, dir, ['plan', '-input=false'], env).then(
    () => '',
    (err: Error) => err.message.replace(/\s*│\s*/g, ' ').replace(/\s+/g, ' '),
  );
  expect(failure).toContain('Resource precondition failed');
  expect(failure).toContain('module "mongodb": /env/1_BAD: "1_BAD" is not a valid environment variable name');
  expect(failure).toContain('module "mongodb": /env/Own__Setting: "Own__Setting" is already set by container "main"; a module must not override it');
  expect(failure).toContain('module "mongodb": /env_secret/0: "Bad_Name" is not a valid Kubernetes object name');
  expect(failure).toContain('module "mongodb": /mount_secret/certificate/path: "relative/certs" is not an absolute path');
}, 600_000);

test("the example's kubernetes state backend keeps each stack's state in a Secret of the cluster", async () => {
  // Its own API server: the example's CRD stack creates and destroys cluster-wide CRDs that other
  // tests of the shared cluster apply and use at the same time.
  const own = await startCluster();
  try {
    const ns = await own.createNamespace('remote-state');
    const outdir = join(work, 'k8s-backend.out');
    const app = new TfApp({ outdir });
    new ExampleStacks(app, 'example', { kubeconfig: own.kubeconfigPath, backend: StateBackend.kubernetes({ namespace: ns }) });
    app.synth();
    // The CRD stack is cheap to apply: its state lands in the Secret.
    const dir = join(outdir, 'stacks', 'example-crds');
    const env = terraformEnv(tools, { KUBE_CONFIG_PATH: own.kubeconfigPath });
    await tofu(tools, dir, ['init', '-input=false'], env);
    await tofu(tools, dir, ['apply', '-input=false', '-auto-approve'], env);
    const secret = await own.get({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tfstate-default-example-crds', namespace: ns } });
    expect(secret?.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'terraform' });
    await tofu(tools, dir, ['destroy', '-input=false', '-auto-approve'], env);
  } finally {
    await own.stop();
  }
}, 600_000);
