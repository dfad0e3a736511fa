import type { Construct } from 'constructs';
import { ClusterProvider, type ClusterConnectionProps } from './cluster-connection.js';

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
export class KubectlProvider extends ClusterProvider {
  constructor(scope: Construct, id: string, props: KubectlProviderProps = {}) {
    super(scope, id, 'kubectl', props.source ?? 'registry.terraform.io/alekc/kubectl', props.version ?? '>= 2.1.0, < 3.0.0', props, { load_config_file: props.loadConfigFile, apply_retry_count: props.applyRetryCount });
  }
}
