/**
 * Every object of the example cdk8s app is accepted by a real API server: applied
 * server-side (CRDs first, Established), under RBAC, into namespaces that enforce
 * PodSecurity `restricted`, its pods admitted; a second apply changes nothing.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import { appObjects, connectToTestCluster, objectRef, proveApply, thirdPartyCrds } from '../cluster/index.js';

const cluster = connectToTestCluster();

test('every example manifest applies under RBAC and PodSecurity restricted; re-applying is a no-op', async () => {
  const objects = appObjects(buildExampleApp());
  expect(objects.length).toBeGreaterThan(0);
  // The operators the stack expects (KEDA, Percona) are installed: their CRDs define ScaledObject and PerconaServerMongoDB.
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });

  const report = await proveApply(cluster, objects, { fieldManager: 'platform-constructs-examples', namespacePrefix: 'examples' });

  // Applied: every object (plus any namespace the objects only referenced), each stored.
  expect(report.applied.length).toBeGreaterThanOrEqual(objects.length);
  for (const o of report.applied) expect(o.metadata?.resourceVersion).toMatch(/^\d+$/);
  // Pods of every workload with replicas were admitted in a restricted namespace.
  const scaled = report.applied.filter(
    (o) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind) && ((o.spec as { replicas?: number }).replicas ?? 1) > 0,
  );
  expect(report.workloads.map((w) => w.ref)).toEqual(expect.arrayContaining(scaled.map(objectRef)));
  for (const w of report.workloads) expect(w.pods).toBeGreaterThan(0);
  expect(report.changedBySecondApply).toEqual([]);
  // The derived NetworkPolicies (one per workload) are stored as sent: no field pruned or defaulted away.
  const sent = objects.filter((o) => o.kind === 'NetworkPolicy');
  expect(sent.length).toBeGreaterThanOrEqual(15);
  for (const policy of sent) {
    const stored = report.applied.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === policy.metadata!.name && o.metadata?.namespace?.endsWith(policy.metadata!.namespace!));
    expect([policy.metadata!.name, stored?.spec]).toEqual([policy.metadata!.name, policy.spec]);
  }
}, 180_000);

test('a pod spec that breaks the restricted profile fails the proof', async () => {
  const app = new App();
  const chart = new Chart(app, 'bad');
  new ApiObject(chart, 'deploy', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'root' },
    spec: {
      selector: { matchLabels: { app: 'root' } },
      template: {
        metadata: { labels: { app: 'root' } },
        spec: { containers: [{ name: 'c', image: 'example/root:1', securityContext: { runAsUser: 0 } }] },
      },
    },
  });
  await expect(proveApply(cluster, appObjects(app), { namespacePrefix: 'bad' })).rejects.toThrow(
    /Deployment .*root.*would violate PodSecurity "restricted:latest"/,
  );
}, 60_000);
