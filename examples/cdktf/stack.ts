import { resolve } from 'node:path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import type { App as Cdk8sApp } from 'cdk8s';
import { LocalBackend, TerraformBackend, TerraformStack, type TerraformRemoteState } from 'cdktf';
import type { Construct } from 'constructs';
import { isCustomResourceDefinition, KubernetesManifests } from '../../lib/tf/index.js';
import { buildExampleApp } from '../cdk8s/app.js';

/**
 * Where a stack keeps its Terraform state. `local()` is the default; `kubernetes()` keeps it in
 * a Secret of the target cluster (Terraform's `kubernetes` backend, with state locking through a
 * Lease), a remote backend that needs nothing but the cluster itself.
 */
export abstract class StateBackend {
  /** A local file `<dir>/<stack>.tfstate`; without `dir`, cdktf's default `terraform.<stack>.tfstate` in the project root. */
  public static local(dir?: string): StateBackend {
    return new (class extends StateBackend {
      public bind(stack: TerraformStack, name: string): void {
        new LocalBackend(stack, dir ? { path: resolve(dir, `${name}.tfstate`) } : {});
      }
    })();
  }

  /**
   * A Secret `tfstate-default-<prefix><stack>` in `namespace` of the cluster the kubeconfig points at.
   * Any other Terraform backend (s3, gcs, azurerm, pg, http ...) is set the same way, see README.
   */
  public static kubernetes(opts: { readonly namespace: string; readonly kubeconfig?: string; readonly secretPrefix?: string }): StateBackend {
    return new (class extends StateBackend {
      public bind(stack: TerraformStack, name: string, kubeconfig: string): void {
        new KubernetesBackend(stack, { secretSuffix: `${opts.secretPrefix ?? ''}${name}`, namespace: opts.namespace, configPath: opts.kubeconfig ?? kubeconfig });
      }
    })();
  }

  /** @internal */
  public abstract bind(stack: TerraformStack, name: string, kubeconfig: string): void;
}

/** Terraform's `kubernetes` backend (cdktf 0.21 has no class for it): state in a Secret, locking with a Lease. */
class KubernetesBackend extends TerraformBackend {
  constructor(
    scope: Construct,
    private readonly props: { readonly secretSuffix: string; readonly namespace: string; readonly configPath: string },
  ) {
    super(scope, 'backend', 'kubernetes');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const { secretSuffix, namespace, configPath } = this.props;
    return { secret_suffix: secretSuffix, namespace, config_path: configPath };
  }

  public getRemoteStateDataSource(): TerraformRemoteState {
    throw new Error('KubernetesBackend: cross-stack references through remote state are not supported; read the state with a terraform_remote_state data source');
  }
}

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
