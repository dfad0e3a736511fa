import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import type { App as Cdk8sApp } from 'cdk8s';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { isCustomResourceDefinition, KubernetesManifests, StateBackend } from '../../tf.js';
import { buildExampleApp } from '../cdk8s/app.js';

/** Props of {@link ExampleStacks}. */
export interface ExampleStacksProps {
  /** Kubeconfig the provider reads. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
  /** The cdk8s app to deploy. @default buildExampleApp() */
  readonly source?: Cdk8sApp;
  /** Where the state lives. @default StateBackend.local() */
  readonly backend?: StateBackend;
  /**
   * Version constraint on hashicorp/kubernetes. The prebuilt bindings (generated from 2.38) would
   * pin `~> 2.0`; `kubernetes_manifest` is the same in 3.x, which is what the tests run.
   * @default '>= 2.36.0, < 4.0.0'
   */
  readonly kubernetesProviderVersion?: string;
}

/**
 * The example stack of `examples/cdk8s`, deployed through Terraform's kubernetes provider as two
 * stacks: `<id>-crds` (every CustomResourceDefinition) and `<id>` (everything else, depending on
 * the first). `kubernetes_manifest` reads a custom resource's schema from the cluster at plan
 * time, so the CRDs must exist before the stack that uses them is planned; cdktf deploys
 * dependent stacks in order (`cdktf deploy '*'`) and destroys them in reverse.
 */
export class ExampleStacks {
  /** The CRD stack, deployed first. */
  public readonly crds: TerraformStack;
  /** Every other object. */
  public readonly workloads: TerraformStack;

  constructor(scope: Construct, id: string, props: ExampleStacksProps = {}) {
    const source = props.source ?? buildExampleApp();
    const kubeconfig = props.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config';
    const backend = props.backend ?? StateBackend.local();
    const stack = (name: string) => {
      const s = new TerraformStack(scope, name);
      backend.bind(s, name, kubeconfig);
      // The full source address: OpenTofu reads a bare `kubernetes` as registry.opentofu.org/hashicorp/kubernetes.
      s.addOverride('terraform.required_providers.kubernetes', {
        source: 'registry.terraform.io/hashicorp/kubernetes',
        version: props.kubernetesProviderVersion ?? '>= 2.36.0, < 4.0.0',
      });
      return { stack: s, provider: new KubernetesProvider(s, 'kubernetes', { configPath: kubeconfig }) };
    };

    const crds = stack(`${id}-crds`);
    new KubernetesManifests(crds.stack, id, { source, provider: crds.provider, select: isCustomResourceDefinition });
    const workloads = stack(id);
    new KubernetesManifests(workloads.stack, id, { source, provider: workloads.provider, select: (o) => !isCustomResourceDefinition(o) });
    workloads.stack.addDependency(crds.stack);

    this.crds = crds.stack;
    this.workloads = workloads.stack;
  }
}

/** Props of {@link ExampleStack}. */
export interface ExampleStackProps {
  /** Kubeconfig the provider reads. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
}

/**
 * The whole example in one stack (CRDs included): enough while no object of the stack is a
 * custom resource; {@link ExampleStacks} is what `cdktf deploy` uses.
 */
export class ExampleStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id);
    const provider = new KubernetesProvider(this, 'kubernetes', { configPath: props.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config' });
    new KubernetesManifests(this, 'example', { source: buildExampleApp(), provider });
  }
}
