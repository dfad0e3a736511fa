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

/** The same arguments as `synth --hcl` wants them. */
export function hclArguments(args: Record<string, string | number | boolean>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, { value: v, isBlock: false, type: 'simple', storageClassType: typeof v }]));
}
