import type { Construct } from 'constructs';
import { hclArguments, providerArguments, type ClusterConnectionProps } from './cluster-connection.js';
import { TerraformProvider } from './core.js';

/** Props of {@link HashicorpKubernetesProvider}. */
export interface HashicorpKubernetesProviderProps extends ClusterConnectionProps {
  /**
   * Provider source address; the full address works with Terraform and OpenTofu alike.
   * @default 'registry.terraform.io/hashicorp/kubernetes'
   */
  readonly source?: string;
  /** Version constraint (`kubernetes_manifest` is the same in 2.36+ and 3.x). @default '>= 2.36.0, < 4.0.0' */
  readonly version?: string;
}

/**
 * The hashicorp/kubernetes provider, for {@link ManifestEngine.kubernetesManifest}, declared
 * through the core library: what a CDK Terrain project has no prebuilt package for. (On cdktf,
 * the provider of `@cdktf/provider-kubernetes` serves as well.)
 */
export class HashicorpKubernetesProvider extends TerraformProvider {
  private readonly arguments: Record<string, string | number | boolean>;
  private providerAlias?: string;

  constructor(scope: Construct, id: string, props: HashicorpKubernetesProviderProps = {}) {
    super(scope, id, {
      terraformResourceType: 'kubernetes',
      terraformGeneratorMetadata: { providerName: 'kubernetes', providerVersionConstraint: props.version ?? '>= 2.36.0, < 4.0.0' },
      terraformProviderSource: props.source ?? 'registry.terraform.io/hashicorp/kubernetes',
    });
    this.arguments = providerArguments(props);
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
