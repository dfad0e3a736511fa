import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { KubernetesManifests } from '../../lib/tf/index.js';
import { buildExampleApp } from '../cdk8s/app.js';

/** Props of {@link ExampleStack}. */
export interface ExampleStackProps {
  /** Kubeconfig the provider reads. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
}

/** The example stack of `examples/cdk8s`, deployed through Terraform's kubernetes provider. */
export class ExampleStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id);
    const provider = new KubernetesProvider(this, 'kubernetes', { configPath: props.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config' });
    new KubernetesManifests(this, 'example', { source: buildExampleApp(), provider });
  }
}
