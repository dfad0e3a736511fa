/**
 * The ArmoniK constructs on the real API server and controller manager:
 * - the RabbitMQ flavour of the stack, with module env in ConfigMaps and an HPA instead of KEDA, the GUI
 *   behind the ingress with mTLS and authentication on, applies
 *   server-side under PodSecurity `restricted`, its pods are admitted, a second apply is a no-op;
 * - with `ModuleEnv.CONFIG_MAP`, changing a module's env changes the ConfigMap and the pod
 *   template's hash annotation, and the Deployment controller rolls out a new ReplicaSet.
 */
import { App, Chart } from 'cdk8s';
import { ARMONIK_CORE_SETTINGS, ArmoniK, ControlPlane, MODULE_ENV_HASH_ANNOTATION, ModuleEnv, PartitionScaling } from '../../constructs/armonik/index.js';
import { MinIo, MongoDb, NfsStorage, RabbitMq } from '../../constructs/modules/index.js';
import { ModuleOutputs } from '../../lib/contract/index.js';
import { appObjects, connectToTestCluster, objectRef, prometheusOperatorCrds, proveApply, thirdPartyCrds } from '../cluster/index.js';

const cluster = connectToTestCluster();

test('the RabbitMQ flavour, module env in ConfigMaps, applies under PodSecurity restricted; re-applying is a no-op', async () => {
  const namespace = await cluster.createNamespace('armonik-rabbitmq');
  const app = new App();
  const chart = new Chart(app, 'armonik', { namespace, disableResourceNameHashes: true });
  const queue = new RabbitMq(chart, 'rabbitmq');
  const objects = new MinIo(chart, 'minio');
  const db = new MongoDb(chart, 'mongodb');
  const shared = new NfsStorage(chart, 'nfs', { storageClass: 'nfs-client' });
  new ArmoniK(chart, 'armonik', {
    controlPlane: { conf: [queue, objects, db], moduleEnv: ModuleEnv.CONFIG_MAP },
    computePlane: { moduleEnv: ModuleEnv.CONFIG_MAP, partitions: { default: { scaling: PartitionScaling.hpa() }, gpu: { scaling: PartitionScaling.fixed(1) } } },
    pollingAgent: { conf: [queue, objects, db] },
    worker: { conf: [shared] },
    metricsExporter: { conf: [db], moduleEnv: ModuleEnv.CONFIG_MAP },
    // Production-shaped: the GUI behind the ingress with mTLS, authentication on (their pods restricted too).
    adminGui: {},
    ingress: { mtls: { clientCertificates: { submitter: {}, monitoring: {} } }, service: { type: 'ClusterIP' } },
    authentication: { requireAuthentication: true },
  });
  const manifests = appObjects(app);
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  const report = await proveApply(cluster, manifests, { fieldManager: 'platform-constructs-armonik', namespacePrefix: 'armonik' });
  const applied = report.applied.map((o) => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`);
  for (const name of ['control-plane-control-plane-env', 'compute-plane-default-polling-agent-env', 'compute-plane-default-worker-env', 'metrics-exporter-metrics-exporter-env']) {
    expect(applied).toContain(`ConfigMap ${namespace}/${name}`);
  }
  expect(applied).toContain(`HorizontalPodAutoscaler ${namespace}/compute-plane-default`);
  for (const name of ['ingress', 'gui']) expect(applied).toContain(`Deployment ${namespace}/${name}`);
  expect(applied).toContain(`Secret ${namespace}/ingress-client-submitter`);
  const deployments = report.applied.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
  expect(report.workloads.map((w) => w.ref).sort()).toEqual(deployments.map(objectRef).sort());
  for (const w of report.workloads) expect(w.pods).toBeGreaterThan(0);
  // A PersistentVolumeClaim is the one exception: this API server bumps its resourceVersion on a
  // server-side apply that changes nothing (identical content, only our manager; measured here,
  // the class of kubernetes/kubernetes#95460). Everything else is untouched.
  expect(report.changedBySecondApply.filter((c) => !c.startsWith(`PersistentVolumeClaim ${namespace}/nfsvolume `))).toEqual([]);
}, 180_000);

test('a changed module env rolls the pods (ConfigMap style): new ConfigMap data, new hash, new ReplicaSet', async () => {
  const namespace = await cluster.createNamespace('armonik-roll');
  const build = (host: string) => {
    const app = new App();
    const chart = new Chart(app, 'armonik', { namespace, disableResourceNameHashes: true });
    new ControlPlane(chart, 'control-plane', {
      moduleEnv: ModuleEnv.CONFIG_MAP,
      conf: [ModuleOutputs.of('queue', { env: { Amqp__Host: host, Amqp__Port: 5672 }, envSecret: ['queue-credentials'] })],
    });
    return appObjects(app);
  };
  const opts = { fieldManager: 'platform-constructs-armonik', namespace };
  const replicaSets = async () => {
    const q = new URLSearchParams({ labelSelector: 'app.kubernetes.io/instance=control-plane' });
    const res = await cluster.request('GET', `/apis/apps/v1/namespaces/${namespace}/replicasets?${q}`);
    return res.body.items as any[];
  };

  const first = await cluster.applyObjects(build('queue-a.svc'), opts);
  const hashA = (first.find((o) => o.kind === 'Deployment')!.spec as any).template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION];
  await cluster.waitFor('the first ReplicaSet', async () => ((await replicaSets()).length === 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });

  const second = await cluster.applyObjects(build('queue-b.svc'), opts);
  const deployment = second.find((o) => o.kind === 'Deployment')! as any;
  expect(deployment.spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION]).not.toBe(hashA);
  expect(second.find((o) => o.kind === 'ConfigMap')!.data).toEqual({ ...ARMONIK_CORE_SETTINGS, Amqp__Host: 'queue-b.svc', Amqp__Port: '5672' });
  const sets = await cluster.waitFor('a second ReplicaSet', async () => {
    const rs = await replicaSets();
    return rs.length === 2 ? rs : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  const hashes = sets.map((rs) => rs.spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION]).sort();
  expect(hashes).toEqual([hashA, deployment.spec.template.metadata.annotations[MODULE_ENV_HASH_ANNOTATION]].sort());
}, 120_000);

test('the Prometheus Operator monitors are stored as its CRDs define them, and select the pods and Service they name', async () => {
  const namespace = await cluster.createNamespace('armonik-monitors');
  const app = new App();
  const chart = new Chart(app, 'armonik', { namespace, disableResourceNameHashes: true });
  const db = ModuleOutputs.of('tables', { env: { MongoDB__Host: 'mongodb' } });
  new ArmoniK(chart, 'armonik', {
    controlPlane: { conf: [db] },
    computePlane: { partitions: { default: { scaling: PartitionScaling.fixed(1) } } },
    metricsExporter: { conf: [db] },
    podDeletionCost: false,
    prometheusMonitors: { labels: { release: 'prometheus' }, interval: '30s' },
  });
  const objects = appObjects(app);
  await cluster.applyObjects(await prometheusOperatorCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  await cluster.applyObjects(await thirdPartyCrds(), { fieldManager: 'platform-constructs-crds', warnings: 'ignore' });
  // Warnings fail the apply: an unknown field of a monitor would warn.
  await cluster.applyObjects(objects, { fieldManager: 'platform-constructs-armonik', namespace, warnings: 'error' });
  const monitors = objects.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1') as any[];
  expect(monitors.map((m) => m.kind).sort()).toEqual(['PodMonitor', 'PodMonitor', 'ServiceMonitor']);
  for (const m of monitors) {
    const stored = (await cluster.get(m)) as any;
    // Structural schemas prune unknown fields: all we wrote is stored.
    expect(stored.spec).toEqual(m.spec);
    const selector = new URLSearchParams({ labelSelector: Object.entries(m.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',') });
    if (m.kind === 'ServiceMonitor') {
      const services = (await cluster.request('GET', `/api/v1/namespaces/${namespace}/services?${selector}`)).body.items as any[];
      expect(services.map((s) => s.metadata.name)).toEqual(['metrics-exporter']);
      expect(services[0].spec.ports.map((p: any) => p.name)).toContain(m.spec.endpoints[0].port);
    } else {
      const deployments = (await cluster.request('GET', `/apis/apps/v1/namespaces/${namespace}/deployments?${selector}`)).body.items as any[];
      expect(deployments.length).toBe(1);
      const ports = deployments[0].spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name));
      expect(ports).toContain(m.spec.podMetricsEndpoints[0].port);
    }
  }
}, 120_000);
