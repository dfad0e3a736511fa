import { resolve } from 'node:path';
import { LocalBackend, TerraformBackend, type TerraformRemoteState, type TerraformStack } from './core.js';
import type { Construct } from 'constructs';
import { ValidationError } from '../k8s/validation.js';

/** Options of {@link StateBackend.kubernetes}. */
export interface KubernetesStateBackendOptions {
  /** Namespace of the state Secrets. */
  readonly namespace: string;
  /** Kubeconfig the backend reads. @default the kubeconfig of the stacks' provider */
  readonly kubeconfig?: string;
  /** Prefix of the Secret suffix, before the stack name. @default '' */
  readonly secretPrefix?: string;
}

/**
 * Where a stack keeps its Terraform state. `local()` is the default; `kubernetes()` keeps it in
 * a Secret of the target cluster (Terraform's `kubernetes` backend, with state locking through a
 * Lease), a remote backend that needs nothing but the cluster itself. Any other backend is one of
 * cdktf's backend classes (`new S3Backend(stack, { ... })`), or a subclass of this one.
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

  /** A Secret `tfstate-default-<secretPrefix><stack>` in `namespace` of the cluster the kubeconfig points at. */
  public static kubernetes(options: KubernetesStateBackendOptions): StateBackend {
    if (!options || typeof options.namespace !== 'string' || !options.namespace) {
      throw new ValidationError('StateBackend.kubernetes', 'namespace', 'give the namespace of the state Secrets', options?.namespace);
    }
    return new (class extends StateBackend {
      public bind(stack: TerraformStack, name: string, kubeconfig: string): void {
        new KubernetesBackend(stack, {
          secretSuffix: `${options.secretPrefix ?? ''}${name}`,
          namespace: options.namespace,
          configPath: options.kubeconfig ?? kubeconfig,
        });
      }
    })();
  }

  /**
   * Sets the backend of `stack`.
   * @param name the stack's name, which keeps each stack's state apart
   * @param kubeconfig the kubeconfig of the stack's provider, for backends that reach the cluster
   */
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
