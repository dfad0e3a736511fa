import type { App as Cdk8sApp } from 'cdk8s';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { HashicorpKubernetesProvider, isCustomResourceDefinition, KubectlProvider, KubernetesManifests, ManifestEngine, StateBackend } from '../../tf.js';
import { buildExampleApp } from '../cdk8s/app.js';

/** Props of {@link ExampleStacks}. */
export interface ExampleStacksProps {
  /** Kubeconfig the provider reads. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
  /** The cdk8s app to deploy. @default buildExampleApp() */
  readonly source?: Cdk8sApp;
  /** Where the state lives. @default StateBackend.local() */
  readonly backend?: StateBackend;
  /** How objects become resources. @default ManifestEngine.kubectl() */
  readonly engine?: ManifestEngine;
  /** Version constraint on hashicorp/kubernetes (the `kubernetesManifest()` engine). @default '>= 2.36.0, < 4.0.0' */
  readonly kubernetesProviderVersion?: string;
}

/**
 * The example stack of `examples/cdk8s`, deployed through Terraform as two stacks: `<id>-crds`
 * (every CustomResourceDefinition) and `<id>` (everything else, depending on the first). CRDs are
 * cluster-wide and outlive any one stack's objects; the `kubernetesManifest()` engine moreover
 * reads a custom resource's schema from the cluster at plan time, so the CRDs must exist before
 * the stack that uses them is planned. cdktf deploys dependent stacks in order
 * (`cdktf deploy '*'`) and destroys them in reverse.
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
    const engine = props.engine ?? ManifestEngine.kubectl();
    const stack = (name: string) => {
      const s = new TerraformStack(scope, name);
      backend.bind(s, name, kubeconfig);
      const provider = engine.providerName === 'kubectl'
        ? new KubectlProvider(s, 'kubectl', { configPath: kubeconfig })
        : new HashicorpKubernetesProvider(s, 'kubernetes', { configPath: kubeconfig, version: props.kubernetesProviderVersion });
      return { stack: s, provider };
    };

    const crds = stack(`${id}-crds`);
    new KubernetesManifests(crds.stack, id, { source, engine, provider: crds.provider, select: isCustomResourceDefinition });
    const workloads = stack(id);
    new KubernetesManifests(workloads.stack, id, { source, engine, provider: workloads.provider, select: (o) => !isCustomResourceDefinition(o) });
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
 * The whole example in one stack, CRDs included: the kubectl engine plans a custom resource
 * without its CRD, and applies the CRDs first. {@link ExampleStacks} is what `cdktf deploy` uses.
 */
export class ExampleStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id);
    const provider = new KubectlProvider(this, 'kubectl', { configPath: props.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config' });
    new KubernetesManifests(this, 'example', { source: buildExampleApp(), provider });
  }
}
