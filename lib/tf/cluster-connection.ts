import type { Construct } from 'constructs';
import { TerraformProvider } from './core.js';

/** How a provider reaches the cluster: the arguments kubectl and hashicorp/kubernetes share. */
export interface ClusterConnectionProps {
  /** Kubeconfig file. @default the provider's: $KUBE_CONFIG_PATH, else none */
  readonly configPath?: string;
  /** Context of the kubeconfig. @default its current context */
  readonly configContext?: string;
  /** API server URL, instead of a kubeconfig. @default from the kubeconfig */
  readonly host?: string;
  /** Bearer token. @default from the kubeconfig */
  readonly token?: string;
  /** PEM CA bundle of the API server. @default from the kubeconfig */
  readonly clusterCaCertificate?: string;
  /** PEM client certificate. @default from the kubeconfig */
  readonly clientCertificate?: string;
  /** PEM client key. @default from the kubeconfig */
  readonly clientKey?: string;
  /** Provider alias, for several clusters in one stack. @default none */
  readonly alias?: string;
}

/** The provider arguments of `props` that are set, snake_cased, plus `extra`. */
export function providerArguments(props: ClusterConnectionProps, extra: Record<string, unknown> = {}): Record<string, string | number | boolean> {
  const all: Record<string, unknown> = {
    config_path: props.configPath, config_context: props.configContext, host: props.host, token: props.token,
    cluster_ca_certificate: props.clusterCaCertificate, client_certificate: props.clientCertificate, client_key: props.clientKey,
    ...extra,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
}

/**
 * A provider declared through the core library from its arguments (no generated bindings):
 * the base of {@link KubectlProvider} and {@link HashicorpKubernetesProvider}.
 */
export abstract class ClusterProvider extends TerraformProvider {
  private readonly arguments: Record<string, string | number | boolean>;
  private providerAlias?: string;

  protected constructor(scope: Construct, id: string, name: string, source: string, version: string, props: ClusterConnectionProps, extra: Record<string, unknown> = {}) {
    super(scope, id, { terraformResourceType: name, terraformGeneratorMetadata: { providerName: name, providerVersionConstraint: version }, terraformProviderSource: source });
    this.arguments = providerArguments(props, extra);
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
    return Object.fromEntries(Object.entries(this.arguments).map(([k, v]) => [k, { value: v, isBlock: false, type: 'simple', storageClassType: typeof v }]));
  }
}
