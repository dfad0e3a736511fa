import { ApiObject, Chart, Testing as Cdk8sTesting } from 'cdk8s';
import { App as TfApp, DataTerraformRemoteStateLocal, TerraformStack, Testing as TfTesting } from 'cdktf';
import { KubernetesManifests, ManifestEngine, TerraformModuleOutputs } from '../../../lib/tf/index.js';

function setup(bindings: (state: DataTerraformRemoteStateLocal) => any[], engine = ManifestEngine.kubernetesManifest()) {
  const chart = new Chart(Cdk8sTesting.app(), 'c');
  new ApiObject(chart, 'd', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'ns' },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'x', env: [{ name: 'A', value: '${not.an.expression}' }] }, { name: 'side', image: 'y' }] } } },
  });
  const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
  const state = new DataTerraformRemoteStateLocal(stack, 'mongo', { path: 'other.tfstate' });
  new KubernetesManifests(stack, 'k8s', { source: chart, engine, terraformModules: bindings(state) });
  const resources = JSON.parse(TfTesting.synth(stack)).resource;
  return (resources.kubernetes_manifest ?? resources.kubectl_manifest)['k8s_deployment_ns_app'];
}

describe('TerraformModuleOutputs', () => {
  it('renders the module into the chosen containers as Terraform expressions, with the checks as preconditions', () => {
    const r = setup((state) => [{ kind: 'Deployment', name: 'app', containers: ['main'], modules: [TerraformModuleOutputs.fromRemoteState('mongodb', state)] }]);
    const [main, side] = r.manifest.spec.template.spec.containers;
    // The container's own env stays first, escaped so Terraform does not interpolate it.
    expect(main.env).toMatch(/^\$\{concat\(jsondecode\("\[\{\\"name\\":\\"A\\",\\"value\\":\\"\$\$\{not\.an\.expression\}\\"\}\]"\), \[for k, v in try\(\{ for k, v in data\.terraform_remote_state\.mongo\.outputs\.env : k => v \}, \{\}\)/);
    expect(main.envFrom).toContain('data.terraform_remote_state.mongo.outputs.env_secret');
    expect(side.env).toBeUndefined();
    expect(r.manifest.spec.template.spec.volumes).toContain('"mongodb-s-${');
    const messages = r.lifecycle.precondition.map((p: { error_message: string }) => p.error_message).join('\n');
    expect(messages).toContain('module "mongodb": ${join("; ", [for k, v in');
    expect(messages).toContain('is already set by container \\"main\\"');
    expect(messages).toContain('/env_secret/${i}:');
    expect(r.lifecycle.precondition[0].condition).toMatch(/^\$\{length\(\[for /);
  });

  it('splices the same expressions into the kubectl engine\'s JSON document as jsonencode(...)', () => {
    const r = setup((state) => [{ kind: 'Deployment', name: 'app', containers: ['main'], modules: [TerraformModuleOutputs.fromRemoteState('mongodb', state)] }], ManifestEngine.kubectl());
    const body: string = r.yaml_body;
    // The container's env is one expression in the document, the literal part escaped once.
    expect(body).toMatch(/"env":\$\{jsonencode\(concat\(jsondecode\("\[\{\\"name\\":\\"A\\",\\"value\\":\\"\$\$\{not\.an\.expression\}\\"\}\]"\), \[for k, v in try\(/);
    expect(body).toMatch(/"envFrom":\$\{jsonencode\(concat\(.*data\.terraform_remote_state\.mongo\.outputs\.env_secret/);
    expect(body).toContain('{"image":"y","name":"side"}');
    expect(r.lifecycle.precondition.length).toBeGreaterThan(0);
  });

  it('reads a module published as one root output', () => {
    const r = setup((state) => [{ kind: 'Deployment', name: 'app', modules: [TerraformModuleOutputs.fromRemoteState('mongodb', state, { output: 'mongodb' })] }]);
    expect(r.manifest.spec.template.spec.containers[1].env).toContain('data.terraform_remote_state.mongo.outputs.mongodb.env');
  });

  it('refuses a binding that names no object, a missing container, and a module name unfit for volume names', () => {
    expect(() => setup((state) => [{ kind: 'Deployment', name: 'nope', modules: [TerraformModuleOutputs.fromRemoteState('m', state)] }])).toThrow(
      /terraformModules name no object of the source: Deployment "nope"/,
    );
    expect(() => setup((state) => [{ kind: 'Deployment', name: 'app', containers: ['x'], modules: [TerraformModuleOutputs.fromRemoteState('m', state)] }])).toThrow(
      /Deployment "app" has no container "x"/,
    );
    expect(() => setup((state) => [{ kind: 'Deployment', name: 'app', modules: [TerraformModuleOutputs.fromRemoteState('Mongo_DB', state)] }])).toThrow(
      /module name "Mongo_DB" must be a DNS-1123 label/,
    );
  });
});
