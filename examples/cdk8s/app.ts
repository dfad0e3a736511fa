/**
 * The example stack: a component consuming two modules, one a TypeScript construct (an external
 * S3 bucket), one deployed elsewhere by Terraform and read from `terraform output -json`.
 * Shared by `examples/cdk8s/main.ts`, `examples/cdktf/main.ts` and the tests.
 */
import { readFileSync } from 'node:fs';
import { App, Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ExternalS3 } from '../../constructs/modules/index.js';
import { applyToPodSpec, ModuleOutputs } from '../../lib/contract/index.js';
import { appLabels, resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext, selectorLabels } from '../../lib/k8s/index.js';

export const EXAMPLE_NAMESPACE = 'platform-example';

/** The example's one chart: namespace, the modules, and a Deployment that consumes them. */
export class ExampleChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: EXAMPLE_NAMESPACE,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    });

    const s3 = new ExternalS3(this, 's3', {
      endpointUrl: 'https://minio.storage.svc.cluster.local:9000',
      bucketName: 'armonik-results',
      credentialsSecret: 's3-user',
      mustForcePathStyle: true,
    });
    const activemq = ModuleOutputs.fromTerraformOutput(
      'activemq',
      readFileSync(new URL('../modules/activemq.tf-output.json', import.meta.url), 'utf8'),
    );
    const parts = ModuleOutputs.merge([activemq, s3]).toPodSpecParts();

    const labels = { name: 'control-plane', instance: 'example', component: 'control-plane', partOf: 'armonik' };
    new k8s.KubeDeployment(this, 'control-plane', {
      metadata: { name: 'control-plane', namespace: EXAMPLE_NAMESPACE, labels: appLabels(labels) },
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels(labels) },
        template: {
          metadata: { labels: appLabels(labels) },
          spec: applyToPodSpec<k8s.PodSpec>(
            {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(),
              containers: [
                {
                  name: 'control-plane',
                  image: 'dockerhubaneo/armonik_control_plane:0.27.3',
                  ports: [{ name: 'grpc', containerPort: 1080 }],
                  securityContext: restrictedContainerSecurityContext(),
                  resources: resourceRequirements(),
                  readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(1080) } },
                  livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(1080) }, initialDelaySeconds: 15 },
                },
              ],
            },
            parts,
          ),
        },
      },
    });
  }
}

/** The example app, not yet synthesized. */
export function buildExampleApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  new ExampleChart(app, 'example');
  return app;
}
