import type { Construct } from 'constructs';
import { hclArguments, providerArguments, type ClusterConnectionProps } from './cluster-connection.js';
import { TerraformProvider } from './core.js';

/** Props of {@link KubectlProvider}. */
export interface KubectlProviderProps extends ClusterConnectionProps {
  /** Read a kubeconfig at all. @default true */
  readonly loadConfigFile?: boolean;
  /** Retries of a failed apply (with backoff). @default 0 */
  readonly applyRetryCount?: number;
  /**
   * Provider source address. The full address works with Terraform and OpenTofu alike (OpenTofu
   * reads a bare `alekc/kubectl` as registry.opentofu.org/alekc/kubectl, which mirrors it).
   * @default 'registry.terraform.io/alekc/kubectl'
   */
  readonly source?: string;
  /** Version constraint. @default '>= 2.1.0, < 3.0.0' */
  readonly version?: string;
}

/**
 * The alekc/kubectl provider, which {@link ManifestEngine.kubectl} resources use, declared
 * through the core library (no prebuilt provider package):
 * `new KubectlProvider(stack, 'kubectl', { configPath: '~/.kube/config' })`.
 */
export class KubectlProvider extends TerraformProvider {
  private readonly arguments: Record<string, string | number | boolean>;
  private providerAlias?: string;

  constructor(scope: Construct, id: string, props: KubectlProviderProps = {}) {
    super(scope, id, {
      terraformResourceType: 'kubectl',
      terraformGeneratorMetadata: { providerName: 'kubectl', providerVersionConstraint: props.version ?? '>= 2.1.0, < 3.0.0' },
      terraformProviderSource: props.source ?? 'registry.terraform.io/alekc/kubectl',
    });
    this.arguments = providerArguments(props, { load_config_file: props.loadConfigFile, apply_retry_count: props.applyRetryCount });
    this.alias = props.alias;
  }

  /** The alias, which the core library reads (its own accessor is a stub for generated providers to override). */
  public override get alias(): string | undefined {
    return this.providerAlias;
  }

  public override set alias(value: string | undefined) {
    this.providerAlias = value;
  }

  protected override synthesizeAttributes(): { [name: string]: any } {
    return this.arguments;
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    return hclArguments(this.arguments);
  }
}
