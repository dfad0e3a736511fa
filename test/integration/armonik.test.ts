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
import { appObjects, connectToTestCluster, objectRef, proveApply, thirdPartyCrds } from '../cluster/index.js';

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
