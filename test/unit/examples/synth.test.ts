import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import { Testing as Cdk8sTesting } from 'cdk8s';
import { App as TfApp, Testing as TfTesting } from 'cdktf';
import { ExampleChart, buildExampleApp } from '../../../examples/cdk8s/app.js';
import { ExampleStack } from '../../../examples/cdktf/stack.js';

describe('the cdk8s example', () => {
  it('synthesizes a namespace and a Deployment that consumes both modules', () => {
    const objects = Cdk8sTesting.synth(new ExampleChart(Cdk8sTesting.app(), 'example'));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/platform-example', 'Deployment/control-plane']);
    const container = objects[1].spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.Amqp__Port).toBe('5672'); // from the terraform output file
    expect(env.S3__MustForcePathStyle).toBe('true'); // from the TypeScript module
    expect(container.envFrom).toEqual([{ secretRef: { name: 'activemq-user-credentials' } }]);
    expect(container.volumeMounts).toEqual([{ mountPath: '/amqp', name: 'certificate', readOnly: true }]);
    expect(container.resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
  });

  it('is deterministic: two synths give identical bytes', () => {
    expect(buildExampleApp().synthYaml()).toBe(buildExampleApp().synthYaml());
  });
});

describe('the cdktf example', () => {
  const synth = () => TfTesting.synth(new ExampleStack(TfTesting.app() as TfApp, 'example', { kubeconfig: '/tmp/kubeconfig' }));

  it('renders each object as a kubernetes_manifest, the Namespace first', () => {
    const out = synth();
    const resources = JSON.parse(out).resource[Manifest.tfResourceType];
    const deployment = resources['example_deployment_platform-example_control-plane'];
    expect(deployment.manifest.metadata).toMatchObject({ name: 'control-plane', namespace: 'platform-example' });
    expect(deployment.manifest.spec.template.spec.containers[0].env).toContainEqual({ name: 'Amqp__Port', value: '5672' });
    expect(deployment.field_manager).toEqual({ name: 'platform-constructs' });
    expect(Object.keys(resources).sort()).toEqual(['example_deployment_platform-example_control-plane', 'example_namespace_platform-example']);
    expect(resources['example_deployment_platform-example_control-plane'].depends_on).toEqual(['kubernetes_manifest.example_namespace_platform-example']);
    expect(TfTesting.toHaveProvider(out, 'kubernetes')).toBe(true);
  });

  it('is deterministic', () => {
    expect(synth()).toBe(synth());
  });
});
