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
}

export async function deployKonsumerator(cluster: ClusterClient, namespace: string, guestMode = false): Promise<KonsumeratorDeployment> {
  const chart = new Chart(Testing.app(), 'konsumerator', { namespace });
  const controller = new Konsumerator(chart, 'konsumerator', { guestMode });
  const objects = chart.toJson() as KubeObject[];
  await cluster.applyObjects(objects, { fieldManager: 'konsumerator-test', namespace, force: true });
  const deployment = objects.find((o) => o.kind === 'Deployment') as any;
  const args = (deployment.spec.template.spec.containers[0].args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port='));
  return { namespace, serviceAccountName: controller.serviceAccountName, args };
}

export async function startKonsumerator(cluster: ClusterClient, d: KonsumeratorDeployment, podName = 'konsumerator-0', extra: readonly string[] = []): Promise<ControllerProcess> {
  const kubeconfig = await serviceAccountKubeconfig(cluster, d.namespace, d.serviceAccountName);
  return ControllerProcess.start({ kubeconfig, namespace: d.namespace, podName, controller: KONSUMERATOR, args: [...d.args, ...extra] });
}
