/**
 * Support for Konsumerator's integration tests and benchmark: deploy the synthesized `Konsumerator`
 * construct (RBAC, Deployment, and the CRD in cluster mode) and run `platform-controllers konsumerator` as a child process with its
 * ServiceAccount's token, so RBAC is exactly what ships.
 */
import { Chart, Testing } from 'cdk8s';
import { KONSUMERATOR } from '../../lib/api/konsumerator/index.js';
import { Konsumerator } from '../../constructs/konsumerator/index.js';
import type { ClusterClient, KubeObject } from '../cluster/index.js';
import { ControllerProcess, serviceAccountKubeconfig } from './config-aggregator.support.js';

export interface KonsumeratorDeployment {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly args: string[];
  /** The Deployment's `NODE_OPTIONS` (its heap cap), if any. */
  readonly nodeOptions?: string;
}

export async function deployKonsumerator(cluster: ClusterClient, namespace: string, guestMode = false): Promise<KonsumeratorDeployment> {
  const chart = new Chart(Testing.app(), 'konsumerator', { namespace });
  const controller = new Konsumerator(chart, 'konsumerator', { guestMode });
  const objects = chart.toJson() as KubeObject[];
  await cluster.applyObjects(objects, { fieldManager: 'konsumerator-test', namespace, force: true });
  const deployment = objects.find((o) => o.kind === 'Deployment') as any;
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port='));
  const nodeOptions = ((container.env ?? []) as Array<{ name: string; value?: string }>).find((e) => e.name === 'NODE_OPTIONS')?.value;
  return { namespace, serviceAccountName: controller.serviceAccountName, args, ...(nodeOptions !== undefined ? { nodeOptions } : {}) };
}

/** How the operator process runs (the defaults are the integration tests': runtime/main.ts through tsx). */
export interface StartKonsumeratorOptions {
  /** An esbuild bundle of runtime/main.ts (see bundleControllers), run with plain `node` as in the image. */
  readonly bundle?: string;
  /** `NODE_OPTIONS` of the operator, e.g. the Deployment's heap cap (KonsumeratorDeployment.nodeOptions). */
  readonly nodeOptions?: string;
  /** Flags of `node` itself, e.g. `--cpu-prof` (which NODE_OPTIONS does not take). */
  readonly execArgv?: readonly string[];
}

export async function startKonsumerator(
  cluster: ClusterClient,
  d: KonsumeratorDeployment,
  podName = 'konsumerator-0',
  extra: readonly string[] = [],
  options: StartKonsumeratorOptions = {},
): Promise<ControllerProcess> {
  const kubeconfig = await serviceAccountKubeconfig(cluster, d.namespace, d.serviceAccountName);
  return ControllerProcess.start({
    kubeconfig,
    namespace: d.namespace,
    podName,
    controller: KONSUMERATOR,
    args: [...d.args, ...extra],
    ...(options.bundle ? { bundle: options.bundle } : {}),
    ...(options.nodeOptions ? { nodeOptions: options.nodeOptions } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
}
