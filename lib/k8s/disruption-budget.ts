import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

/**
 * The PodDisruptionBudget (`<scope>/pdb`) of a workload that may run several pods: a node drain
 * evicts one of the selected pods at a time. A single pod gets none (it would block every drain).
 */
export function onePodAtATime(
  scope: Construct,
  metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> },
  selector: Readonly<Record<string, string>>,
): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: { ...metadata, labels: metadata.labels && { ...metadata.labels } },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...selector } } },
  });
}
