/**
 * Support for the secret generator's integration tests and benchmark: deploy the synthesized
 * SecretGenerator (RBAC, Deployment) and run the controller as a child process with the token of
 * its ServiceAccount, so that RBAC is exactly what ships.
 */
import { Chart, Testing } from 'cdk8s';
import { SecretGenerator, type SecretGeneratorProps } from '../../constructs/secret-generator/index.js';
import type { ClusterClient, KubeObject } from '../cluster/index.js';
import { ControllerProcess, serviceAccountKubeconfig } from './config-aggregator.support.js';

export interface DeployedGenerator {
  readonly generator: SecretGenerator;
  readonly objects: KubeObject[];
  /** The container's args minus the controller name and the port. */
  readonly args: string[];
  readonly nodeOptions?: string;
  readonly kubeconfig: string;
  start(podName: string, extraArgs?: string[], bundle?: string): Promise<ControllerProcess>;
}

/** Synthesizes a SecretGenerator into `namespace`, applies it, and returns how to run it as its ServiceAccount. */
export async function deployGenerator(cluster: ClusterClient, namespace: string, props: SecretGeneratorProps = {}): Promise<DeployedGenerator> {
  const chart = new Chart(Testing.app(), 'gen', { namespace });
  const generator = new SecretGenerator(chart, 'generator', props);
  const objects = chart.toJson() as KubeObject[];
  await cluster.applyObjects(objects, { fieldManager: 'secret-generator-test', namespace });
  const deployment = objects.find((o) => o.kind === 'Deployment') as any;
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port='));
  const nodeOptions = (container.env as Array<{ name: string; value?: string }>).find((e) => e.name === 'NODE_OPTIONS')?.value;
  const kubeconfig = await serviceAccountKubeconfig(cluster, namespace, generator.serviceAccountName);
  return {
    generator,
    objects,
    args,
    nodeOptions,
    kubeconfig,
    start: (podName, extraArgs = [], bundle) =>
      ControllerProcess.start({ controller: 'secret-generator', kubeconfig, namespace, podName, args: [...args, ...extraArgs], bundle, nodeOptions: bundle ? nodeOptions : undefined }),
  };
}

/** A Secret's data decoded as text (binary keys as base64 with a `base64:` prefix). */
export function decodeData(secret: any): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(secret?.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}
