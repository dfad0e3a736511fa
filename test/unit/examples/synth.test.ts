import { App as TfApp, TerraformStack, Testing as TfTesting } from 'cdktf';
import {
  buildExampleApp, EXAMPLE_JOBS_NAMESPACE, EXAMPLE_KONSUMERATOR_NAMESPACE, EXAMPLE_NAMESPACE, EXAMPLE_OPTIMIZER_URL, EXAMPLE_SERVO_NAMESPACE, EXAMPLE_PROMETHEUS_URL, EXAMPLE_WAO_NAMESPACE, EXAMPLE_WAO_NODE_LABEL, type ExampleQueue,
} from '../../../examples/cdk8s/app.js';
import { GitOpsLayout } from '../../../lib/gitops/index.js';
import { NodeConfigDeclaration, NodeConfigTemplateDeclaration, WAO_FLAGS, waoOptionsFromFlags } from '../../../lib/api/wao/index.js';
import { parseFlags } from '../../../lib/api/flags.js';
import { checkConsumerSpec, ConsumerDeclaration, KONSUMERATOR_FLAGS, konsumeratorOptionsFromFlags } from '../../../lib/api/konsumerator/index.js';
import { KubernetesManifests } from '../../../lib/tf/index.js';
import { manifestResources } from '../tf/support.js';
import { SERVO_FLAGS, servoOptionsFromFlags } from '../../../lib/api/servo/index.js';
import { unresolvedInObjects } from '../../fixtures/references.js';

const objectsOf = (queue: ExampleQueue = 'activemq') =>
  Object.fromEntries(buildExampleApp(undefined, { queue }).charts.map((c) => [c.node.id, c.toJson() as any[]]));
const find = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('the cdk8s example: a real ArmoniK deployment', () => {
  const charts = objectsOf();

  it('has one chart per component, in dependency order', () => {
    const names = Object.fromEntries(Object.entries(charts).map(([id, objs]) => [id, objs.map((o) => `${o.kind}/${o.metadata.name}`)]));
    expect(Object.keys(names)).toEqual(['namespace', 'secrets', 'storage', 'control-plane', 'ingress', 'compute-plane', 'metrics', 'config-aggregator', 'wao', 'konsumerator', 'servo']);
    expect(names.namespace).toEqual([`Namespace/${EXAMPLE_NAMESPACE}`, `Namespace/${EXAMPLE_SERVO_NAMESPACE}`, `Namespace/${EXAMPLE_JOBS_NAMESPACE}`]);
    expect(names.secrets).toEqual(expect.arrayContaining(['ServiceAccount/secret-generator', 'Deployment/secret-generator']));
    expect(names.storage).toEqual(expect.arrayContaining([
      'StatefulSet/activemq', 'ConfigMap/activemq-configs', 'Secret/activemq-server-certificates', 'Secret/activemq-user-credentials',
      'StatefulSet/minio', 'Secret/minio-user-credentials', 'PerconaServerMongoDB/mongodb-db-ps', 'Secret/mongodb-connection-string',
    ]));
    expect(names['control-plane']).toEqual(['ConfigMap/core-configmap', 'Deployment/control-plane', 'NetworkPolicy/control-plane', 'Service/control-plane']);
    expect(names['compute-plane']).toEqual([
      'Deployment/compute-plane-default', 'PodDisruptionBudget/compute-plane-default', 'NetworkPolicy/compute-plane-default', 'ScaledObject/default-compute-plane',
      'Deployment/compute-plane-stream', 'PodDisruptionBudget/compute-plane-stream', 'NetworkPolicy/compute-plane-stream', 'ScaledObject/stream-compute-plane',
      expect.stringMatching(/^Job\/init-[0-9a-f]{10}$/), 'CronJob/init', 'NetworkPolicy/init',
    ]);
    expect(names.metrics).toEqual(['Deployment/metrics-exporter', 'NetworkPolicy/metrics-exporter', 'Service/metrics-exporter']);
    expect(names.ingress).toEqual([
      'Deployment/gui', 'NetworkPolicy/gui', 'Service/gui',
      'Secret/ingress-server-ca', 'Secret/ingress-server-tls', 'Secret/ingress-client-ca', 'Secret/ingress-client-submitter', 'Secret/ingress-client-monitoring',
      'ConfigMap/ingress', 'Deployment/ingress', 'NetworkPolicy/ingress', 'Service/ingress',
    ]);
    expect(names['config-aggregator']).toEqual([
      'ServiceAccount/config-aggregator', 'Role/config-aggregator', 'RoleBinding/config-aggregator',
      'ClusterRole/armonik-config-aggregator', 'ClusterRoleBinding/armonik-config-aggregator',
      'Deployment/config-aggregator', 'Service/config-aggregator', 'NetworkPolicy/config-aggregator', 'PodDisruptionBudget/config-aggregator',
      'ConfigMap/application-config-schema',
      'ConfigMap/config-aggregator-control-plane-anomaly-config-map',
    ]);
    expect(names.wao).toEqual([
      `Namespace/${EXAMPLE_WAO_NAMESPACE}`,
      `CustomResourceDefinition/${NodeConfigDeclaration.name}`,
      'ServiceAccount/wao', 'Role/wao', 'RoleBinding/wao', 'ClusterRole/wao-system-wao', 'ClusterRoleBinding/wao-system-wao',
      'Deployment/wao', 'Service/wao', 'Service/wao-prediction', 'NetworkPolicy/wao', 'PodDisruptionBudget/wao',
      `CustomResourceDefinition/${NodeConfigTemplateDeclaration.name}`,
      'NodeConfigTemplate/fake-nodes',
    ]);
    expect(names.konsumerator).toEqual([
      `Namespace/${EXAMPLE_KONSUMERATOR_NAMESPACE}`,
      'ServiceAccount/konsumerator', 'Role/konsumerator', 'RoleBinding/konsumerator',
      'ClusterRole/konsumerator-system-konsumerator', 'ClusterRoleBinding/konsumerator-system-konsumerator',
      'Deployment/konsumerator', 'Service/konsumerator', 'NetworkPolicy/konsumerator', 'PodDisruptionBudget/konsumerator',
      `CustomResourceDefinition/${ConsumerDeclaration.name}`,
      'Consumer/orders',
    ]);
    expect(names.servo).toEqual([
      'ServiceAccount/servo', 'Role/servo', 'RoleBinding/servo', 'Role/servo', 'RoleBinding/servo',
      'ClusterRole/servo-system-servo', 'ClusterRoleBinding/servo-system-servo',
      'Secret/servo-webhook-ca', 'Secret/servo-webhook-cert', 'Service/servo-webhook', 'MutatingWebhookConfiguration/servo-system-servo',
      'Deployment/servo', 'Service/servo', 'NetworkPolicy/servo', 'PodDisruptionBudget/servo',
    ]);
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration']);
    const namespaceOf: Record<string, string> = { wao: EXAMPLE_WAO_NAMESPACE, konsumerator: EXAMPLE_KONSUMERATOR_NAMESPACE, servo: EXAMPLE_SERVO_NAMESPACE };
    for (const [id, objs] of Object.entries(charts)) {
      for (const o of objs) {
        if (clusterScoped.has(o.kind)) continue;
        // The servo's Role and RoleBinding in the namespace it watches; the generator's in the servo's.
        const expected = o.kind.startsWith('Role') && o.metadata.namespace !== (namespaceOf[id] ?? EXAMPLE_NAMESPACE)
          ? (id === 'servo' ? EXAMPLE_JOBS_NAMESPACE : EXAMPLE_SERVO_NAMESPACE)
          : (namespaceOf[id] ?? EXAMPLE_NAMESPACE);
        expect([id, o.kind, o.metadata.namespace]).toEqual([id, o.kind, expected]);
      }
    }
  });

  it('is self-contained: every Secret and ConfigMap a pod reads is in the stack, with its keys (bar the Percona operator\'s users Secret, declared too)', () => {
    const all = Object.values(charts).flat();
    expect(unresolvedInObjects(all)).toEqual([]);
    for (const s of all.filter((o) => o.kind === 'Secret')) expect(s.data ?? {}).toEqual({});
  });

  it('labels the application config for the aggregator it feeds', () => {
    const config = charts['config-aggregator'];
    const app = find(config, 'ConfigMap', 'config-aggregator-control-plane-anomaly-config-map');
    expect(app.metadata.labels['numaprom.numaproj.io/component']).toBe('argo-rollouts');
    const args: string[] = find(config, 'Deployment', 'config-aggregator').spec.template.spec.containers[0].args;
    expect(args).toEqual(expect.arrayContaining(['--configmap-name=armonik-anomaly-config']));
  });

  it('WAO: its own restricted namespace, the controller watching it, Fake collectors on the labelled nodes', () => {
    const wao = charts.wao;
    expect(find(wao, 'Namespace', EXAMPLE_WAO_NAMESPACE).metadata.labels).toEqual(find(charts.namespace, 'Namespace', EXAMPLE_NAMESPACE).metadata.labels);
    const args: string[] = find(wao, 'Deployment', 'wao').spec.template.spec.containers[0].args;
    expect(waoOptionsFromFlags(parseFlags(WAO_FLAGS, args.slice(1), { NAMESPACE: EXAMPLE_WAO_NAMESPACE }).values)).toMatchObject({
      namespaces: [EXAMPLE_WAO_NAMESPACE],
      predictionPort: 5656,
    });
    const template = find(wao, 'NodeConfigTemplate', 'fake-nodes');
    expect(template.spec.nodeSelector).toEqual({ matchLabels: { [EXAMPLE_WAO_NODE_LABEL.key]: EXAMPLE_WAO_NODE_LABEL.value } });
    const terms = [...Object.values(template.spec.template.metricsCollector), ...Object.values(template.spec.template.predictor)] as any[];
    expect(terms.map((t) => t.type)).toEqual(['Fake', 'Fake', 'Fake']);
    expect(find(wao, 'Service', 'wao-prediction').spec.ports).toEqual([{ name: 'prediction', port: 5656, targetPort: 'prediction', protocol: 'TCP' }]);
  });

  it('Konsumerator: its own restricted namespace, the operator in cluster mode, a Consumer of 6 partitions whose pods run restricted', () => {
    const k = charts.konsumerator;
    expect(find(k, 'Namespace', EXAMPLE_KONSUMERATOR_NAMESPACE).metadata.labels).toEqual(find(charts.namespace, 'Namespace', EXAMPLE_NAMESPACE).metadata.labels);
    const args: string[] = find(k, 'Deployment', 'konsumerator').spec.template.spec.containers[0].args;
    expect(konsumeratorOptionsFromFlags(parseFlags(KONSUMERATOR_FLAGS, args.slice(1), { NAMESPACE: EXAMPLE_KONSUMERATOR_NAMESPACE }).values)).toEqual({
      namespace: EXAMPLE_KONSUMERATOR_NAMESPACE,
      guestMode: false,
      workers: 4,
      prometheusTimeoutMs: 10_000,
    });
    const consumer = find(k, 'Consumer', 'orders');
    const spec = checkConsumerSpec(consumer.spec);
    expect([spec.numPartitions, spec.numPartitionsPerInstance, spec.namespace]).toEqual([6, 2, undefined]);
    expect(spec.autoscaler?.prometheus?.address).toEqual([EXAMPLE_PROMETHEUS_URL]);
    expect(EXAMPLE_PROMETHEUS_URL).toBe('http://prometheus.armonik:9090');
    // What the restricted profile asks of every pod the operator makes from the template.
    const pod = (spec.deploymentTemplate.template as any).spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of pod.containers) expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(spec.resourcePolicy?.containerPolicies?.map((p) => p.containerName)).toEqual(pod.containers.map((c: any) => c.name));
  });

  it('servo: measuring the job pods of its own restricted namespace, its webhook certificate generated in the cluster', () => {
    const servo = charts.servo;
    for (const ns of [EXAMPLE_SERVO_NAMESPACE, EXAMPLE_JOBS_NAMESPACE]) {
      expect(find(charts.namespace, 'Namespace', ns).metadata.labels).toEqual(find(charts.namespace, 'Namespace', EXAMPLE_NAMESPACE).metadata.labels);
    }
    const args: string[] = find(servo, 'Deployment', 'servo').spec.template.spec.containers[0].args;
    expect(servoOptionsFromFlags(parseFlags(SERVO_FLAGS, args.slice(1), { NAMESPACE: EXAMPLE_SERVO_NAMESPACE }).values)).toMatchObject({
      namespaces: [EXAMPLE_JOBS_NAMESPACE],
      url: EXAMPLE_OPTIMIZER_URL,
      account: 'example',
      monitor: { image: expect.stringMatching(/^platform-controllers:/) },
    });
    expect(args).toContain('--webhook-ca-inject=mutating:servo-system-servo');
    // The generator that fills the certificate watches the servo's namespace.
    const genArgs: string[] = find(charts.secrets, 'Deployment', 'secret-generator').spec.template.spec.containers[0].args;
    expect(genArgs.find((a) => a.startsWith('--namespaces='))!.split('=')[1].split(',')).toContain(EXAMPLE_SERVO_NAMESPACE);
    expect(find(servo, 'MutatingWebhookConfiguration', 'servo-system-servo').webhooks[0].clientConfig.caBundle).toBeUndefined();
  });

  it('the GitOps layout: the CRDs in 00-crds, the rest in the chart\'s folder', () => {
    const layout = GitOpsLayout.fromApp(buildExampleApp());
    expect(layout.folders).toEqual(['00-crds', 'namespace', 'secrets', 'storage', 'control-plane', 'ingress', 'compute-plane', 'metrics', 'config-aggregator', 'wao', 'konsumerator', 'servo']);
    const files = [...layout.files.keys()];
    expect(files.filter((f) => f.startsWith('00-crds/'))).toEqual(expect.arrayContaining([
      `00-crds/customresourcedefinition-${NodeConfigDeclaration.name}.yaml`,
      `00-crds/customresourcedefinition-${NodeConfigTemplateDeclaration.name}.yaml`,
      `00-crds/customresourcedefinition-${ConsumerDeclaration.name}.yaml`,
    ]));
    expect(files.filter((f) => /^(wao|konsumerator)\//.test(f) && /customresourcedefinition/.test(f))).toEqual([]);
    expect(files).toContain('wao/nodeconfigtemplate-wao-system-fake-nodes.yaml');
    expect(files).toContain('konsumerator/consumer-konsumerator-system-orders.yaml');
  });

  it('wires the modules into their consumers', () => {
    const cp = find(charts['control-plane'], 'Deployment', 'control-plane').spec.template.spec.containers[0];
    expect(envOf(cp)).toMatchObject({ Amqp__Host: 'activemq.armonik.svc.cluster.local', S3__EndpointUrl: 'http://minio.armonik.svc.cluster.local:9000', MongoDB__Tls: 'true', Submitter__DefaultPartition: 'default' });
    expect(cp.image).toBe('dockerhubaneo/armonik_control:0.37.2');
    const [agent, worker] = find(charts['compute-plane'], 'Deployment', 'compute-plane-default').spec.template.spec.containers;
    expect(envOf(agent)).toMatchObject({ Pollster__PartitionId: 'default', Components__TableStorage: 'ArmoniK.Adapters.MongoDB.TableStorage' });
    expect(envOf(agent).MongoDB__ConnectionString).toEqual({ secretKeyRef: { name: 'mongodb-connection-string', key: 'uri' } });
    expect(agent.envFrom[0]).toEqual({ configMapRef: { name: 'core-configmap' } });
    // The worker's shared storage is the module read from `terraform output -json`.
    expect(envOf(worker)).toMatchObject({ LocalStorage__Path: '/local_storage' });
    expect(worker.volumeMounts).toContainEqual({ name: 'nfs-nfsvolume', mountPath: '/local_storage' });
    const exporter = find(charts.metrics, 'Deployment', 'metrics-exporter').spec.template.spec.containers[0];
    expect(Object.keys(envOf(exporter)).filter((k) => k.startsWith('Amqp'))).toEqual([]);
    expect(envOf(exporter).MongoDB__CAFile).toBe('/mongodb/certs/ca.crt');
  });

  it('is deterministic: two synths give identical bytes', () => {
    expect(buildExampleApp().synthYaml()).toBe(buildExampleApp().synthYaml());
  });
});

/**
 * Swapping ActiveMQ for RabbitMQ changes, in every consumer, only the queue's env, secrets and
 * mounts: with those removed, both stacks' consumers are identical, and a consumer of no queue
 * is untouched.
 */
describe('swapping ActiveMQ for RabbitMQ (structural diff)', () => {
  const QUEUE_ENV = /^(Amqp__(Host|Port|Scheme|CaPath|User|Password)|Components__Queue)/;
  // Identical in both (same adaptor): reported only where they differ.
  const same = (a: string[], b: string[]) => [a.filter((x) => !b.includes(x)), b.filter((x) => !a.includes(x))];
  const QUEUE_SECRETS = new Set(['activemq-user-credentials', 'rabbitmq-user-credentials', 'activemq', 'rabbitmq']);
  /** A consumer without anything that came from the queue module, and a list of what was removed. */
  const podOf = (o: any) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);
  // A Job's name carries a hash of its pod template, which the queue changes.
  const ref = (o: any) => `${o.kind}/${o.kind === 'Job' ? o.metadata.name.replace(/-[0-9a-f]{10}$/, '-<hash>') : o.metadata.name}`;
  const strip = (workload: any) => {
    const removed: string[] = [];
    const d = structuredClone(workload);
    if (d.kind === 'Job') d.metadata.name = ref(d);
    const pod = podOf(d);
    const queueVolumes = new Set<string>((pod.volumes ?? []).filter((v: any) => QUEUE_SECRETS.has(v.secret?.secretName)).map((v: any) => v.name));
    pod.volumes = (pod.volumes ?? []).filter((v: any) => !queueVolumes.has(v.name) || !removed.push(`volume ${v.name}=${v.secret.secretName}/${v.secret.defaultMode}`));
    for (const c of pod.containers) {
      c.env = (c.env ?? []).filter((e: any) => !QUEUE_ENV.test(e.name) || !removed.push(`${c.name} env ${e.name}=${e.value}`));
      c.envFrom = (c.envFrom ?? []).filter((e: any) => !QUEUE_SECRETS.has(e.secretRef?.name) || !removed.push(`${c.name} envFrom ${e.secretRef.name}`));
      c.volumeMounts = (c.volumeMounts ?? []).filter((m: any) => !queueVolumes.has(m.name) || !removed.push(`${c.name} mount ${m.mountPath}`));
    }
    return { stripped: d, removed };
  };

  const a = objectsOf('activemq');
  const r = objectsOf('rabbitmq');

  it.each(['control-plane', 'compute-plane', 'metrics'])('chart %s: only the queue parts differ', (chart) => {
    expect(a[chart].map(ref)).toEqual(r[chart].map(ref));
    for (const [i, obj] of a[chart].entries()) {
      if (obj.kind === 'NetworkPolicy') {
        // Egress to the queue's pods on its port is the one difference, where the queue is consumed.
        const toQueue = (rule: any) => /^(activemq|rabbitmq)$/.test(rule.to?.[0]?.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? '');
        const withoutQueue = (p: any) => ({ ...p, spec: { ...p.spec, egress: p.spec.egress.filter((x: any) => !toQueue(x)) } });
        const queueRules = (p: any) => p.spec.egress.filter(toQueue).map((x: any) => `${x.to[0].podSelector.matchLabels['app.kubernetes.io/name']}:${x.ports.map((q: any) => q.port).join(',')}`);
        expect(withoutQueue(r[chart][i])).toEqual(withoutQueue(obj));
        const consumes = queueRules(obj).length > 0;
        expect([queueRules(obj), queueRules(r[chart][i])]).toEqual(consumes ? [['activemq:5672'], ['rabbitmq:5671']] : [[], []]);
        continue;
      }
      if (!['Deployment', 'Job', 'CronJob'].includes(obj.kind)) {
        expect(r[chart][i]).toEqual(obj);
        continue;
      }
      const sa = strip(obj);
      const sr = strip(r[chart][i]);
      expect(sr.stripped).toEqual(sa.stripped);
      const consumesQueue = sa.removed.length > 0;
      expect(sr.removed.length > 0).toBe(consumesQueue);
      if (consumesQueue) expect(sr.removed).not.toEqual(sa.removed); // it did change
    }
  });

  it('the control plane: what changed, exactly', () => {
    const [before, after] = same(strip(find(a['control-plane'], 'Deployment', 'control-plane')).removed, strip(find(r['control-plane'], 'Deployment', 'control-plane')).removed);
    expect(before).toEqual([
      'volume certificate=activemq/420',
      'control-plane env Amqp__Host=activemq.armonik.svc.cluster.local',
      'control-plane env Amqp__Port=5672',
      'control-plane envFrom activemq-user-credentials',
    ]);
    // Both through Core's AMQP 1.0 adaptor: only the broker's address, port, credentials and CA differ.
    expect(after).toEqual([
      'volume rabbitmq-secret1=rabbitmq/420',
      'control-plane env Amqp__Host=rabbitmq.armonik.svc.cluster.local',
      'control-plane env Amqp__Port=5671',
      'control-plane envFrom rabbitmq-user-credentials',
    ]);
  });
});

describe('the same example through cdktf', () => {
  const synth = () => {
    const app = TfTesting.app() as TfApp;
    const stack = new TerraformStack(app, 'example');
    new KubernetesManifests(stack, 'example', { source: buildExampleApp() });
    return TfTesting.synth(stack);
  };

  it('renders every object as a kubectl_manifest, the Namespace first', () => {
    const resources = manifestResources(synth());
    const cdk8sCount = buildExampleApp().charts.reduce((n, c) => n + c.toJson().length, 0);
    expect(Object.keys(resources)).toHaveLength(cdk8sCount);
    const cp = resources['example_deployment_armonik_control-plane'];
    expect(cp.manifest.spec.template.spec.containers[0].env).toContainEqual({ name: 'Amqp__Port', value: '5672' });
    // Every object after every Namespace and CRD (the foundation), the WAO and Konsumerator ones included.
    const foundation = [
      'kubectl_manifest.example_namespace_armonik',
      'kubectl_manifest.example_namespace_servo-system',
      'kubectl_manifest.example_namespace_batch-jobs',
      'kubectl_manifest.example_namespace_wao-system',
      'kubectl_manifest.example_customresourcedefinition_nodeconfigs-wao-bitmedia-co-jp',
      'kubectl_manifest.example_customresourcedefinition_nodeconfigtemplates-wao-bitmedia-co-jp',
      'kubectl_manifest.example_namespace_konsumerator-system',
      'kubectl_manifest.example_customresourcedefinition_consumers-konsumerator-lwolf-org',
    ];
    expect(cp.depends_on).toEqual(foundation);
    expect(resources['example_nodeconfigtemplate_wao-system_fake-nodes'].depends_on).toEqual(foundation);
    expect(resources['example_consumer_konsumerator-system_orders'].depends_on).toEqual(foundation);
    expect(resources['example_scaledobject_armonik_default-compute-plane'].manifest.apiVersion).toBe('keda.sh/v1alpha1');
  });

  it('is deterministic', () => {
    expect(synth()).toBe(synth());
  });
});
