/**
 * The stack the deploy benchmark deploys: the example's namespace, secrets and storage modules,
 * control plane, metrics exporter, and a compute plane of `partitions` partitions (HPA-scaled and
 * fixed ones alternating). `revision` labels the control-plane Service: the one-field change.
 * Written against the package's public entries, so a cdktn project can run it as is
 * (test/package/support.ts asConsumerFile).
 */
import { App, Chart } from 'cdk8s';
import { ComputePlane, ControlPlane, MetricsExporter, PartitionScaling, type PartitionProps } from '../../index.js';
import { EXAMPLE_NAMESPACE, NamespaceChart, SecretsChart, StorageChart } from '../../examples/cdk8s/app.js';

export function buildDeployStack(partitions: number, revision?: string): App {
  const app = new App();
  const chartProps = { disableResourceNameHashes: true };
  const namespace = new NamespaceChart(app, 'namespace');
  const secrets = new SecretsChart(app, 'secrets');
  secrets.addDependency(namespace);
  const storage = new StorageChart(app, 'storage');
  storage.addDependency(secrets);
  const { queue, objectStorage, tableStorage, sharedStorage } = storage;
  const ns = EXAMPLE_NAMESPACE;
  const controlPlaneChart = new Chart(app, 'control-plane', chartProps);
  const controlPlane = new ControlPlane(controlPlaneChart, 'control-plane', { namespace: ns, conf: [queue, objectStorage, tableStorage], env: { Submitter__DefaultPartition: 'default' } });
  if (revision) controlPlane.service.metadata.addLabel('platform-constructs.bench/revision', revision);
  const byName: Record<string, PartitionProps> = {};
  for (let i = 0; i < partitions; i++) {
    byName[i === 0 ? 'default' : `p${i}`] = i % 2 === 0 ? { scaling: PartitionScaling.hpa({ minReplicas: 1, maxReplicas: 10 }) } : { priority: 2, scaling: PartitionScaling.fixed(1) };
  }
  const computePlane = new Chart(app, 'compute-plane', chartProps);
  new ComputePlane(computePlane, 'compute-plane', { namespace: ns, pollingAgent: { conf: [queue, objectStorage, tableStorage] }, worker: { conf: [sharedStorage] }, partitions: byName });
  const metrics = new Chart(app, 'metrics', chartProps);
  new MetricsExporter(metrics, 'metrics-exporter', { namespace: ns, conf: [tableStorage] });
  for (const chart of [controlPlaneChart, computePlane, metrics]) chart.addDependency(storage);
  return app;
}
