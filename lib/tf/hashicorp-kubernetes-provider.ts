import type { Construct } from 'constructs';
import { ClusterProvider, type ClusterConnectionProps } from './cluster-connection.js';

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
export class HashicorpKubernetesProvider extends ClusterProvider {
  constructor(scope: Construct, id: string, props: HashicorpKubernetesProviderProps = {}) {
    super(scope, id, 'kubernetes', props.source ?? 'registry.terraform.io/hashicorp/kubernetes', props.version ?? '>= 2.36.0, < 4.0.0', props);
  }
}
