/**
 * The example stack: ArmoniK 2.23.0 (Core 0.37.2) as an ArmoniK user would deploy it. ActiveMQ (or
 * RabbitMQ), MinIO and MongoDB (a Percona cluster) are deployed by module constructs; the NFS
 * shared storage was deployed by Terraform (ArmoniK.Infra's `storage/onpremise/nfs`) and is read
 * from its `terraform output -json`. ArmoniK's control plane, two partitions of the compute plane
 * (scaled by KEDA, created in Core's database by the init Job) and the metrics exporter consume
 * them, each through its `conf` list as AEP 5 describes, with the site-wide Core settings in one
 * ConfigMap.
 *
 * Self-contained: the secret generator (platform-controllers) fills every Secret the modules
 * declare (credentials, CAs, certificates, keystores, connection strings) in the cluster; nothing
 * secret is in the manifests. Prerequisites of the cluster, as for ArmoniK.Infra: KEDA and the
 * Percona Operator for MongoDB (their CRDs and controllers), a Prometheus scraping the metrics
 * exporter at `prometheus.armonik:9090`, and the NFS export.
 *
 * The config aggregator collects the platform's labelled application configs (here the anomaly
 * detection settings of the control plane's metrics) into one ConfigMap.
 *
 * WAO, in its own namespace `wao-system`, collects the nodes' inlet temperature and differential
 * pressure and predicts their power consumption for power-aware schedulers; the example's nodes
 * (those labelled `platform-constructs.io/wao=fake`) use the Fake collectors and predictor, so it
 * runs on any cluster.
 *
 * Konsumerator, in its own namespace `konsumerator-system`, runs a Kafka consumer as one
 * Deployment per group of partitions (here 6 partitions, 2 per instance: 3 Deployments) and sizes
 * each from the lag that the example's Prometheus (`prometheus.armonik:9090`) reports.
 *
 * The servo, in `servo-system`, measures the job pods of `batch-jobs` (duration, CPU time, peak
 * memory from its monitor sidecar) and reports them to an optimizer API; its webhook certificate
 * is generated in the cluster by the secret generator.
 *
 * One chart per component (namespaces, secret generator, storage, control plane, compute plane,
 * metrics, config aggregator, WAO, Konsumerator, servo), in dependency order, for a GitOps layout. Shared by
 * `examples/cdk8s/main.ts`, the cdktf example and the tests. It imports only the package entry,
 * as a user's project would (the consumer tests build it from the packed tarball in a CommonJS
 * cdk8s project).
 */
import { ApiObject, App, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  ActiveMq, AdminGui, AppConfig, ArmoniKAuthentication, ArmoniKIngress, ComputePlane, ConfigAggregator, Consumer, ControlPlane, CoreSettings, Konsumerator, MetricsExporter, MinIo,
  JobMeasurement, MongoDb, NodeConfigTemplate, PartitionScaling, RabbitMq, SecretGenerator, TerraformModule, Wao, WebhookCertificate, type IModule,
} from '../../index.js';

export const EXAMPLE_NAMESPACE = 'armonik';
/** WAO's namespace in the example (wao-core's). */
export const EXAMPLE_WAO_NAMESPACE = 'wao-system';
/** The node label, and its value, that the example's NodeConfigTemplate selects: `kubectl label node <node> platform-constructs.io/wao=fake`. */
export const EXAMPLE_WAO_NODE_LABEL = { key: 'platform-constructs.io/wao', value: 'fake' } as const;
/** Konsumerator's namespace in the example (its Consumer's Deployments run there too). */
export const EXAMPLE_KONSUMERATOR_NAMESPACE = 'konsumerator-system';
/** The servo's namespace in the example. */
export const EXAMPLE_SERVO_NAMESPACE = 'servo-system';
/** The namespace whose job pods the example's servo measures. */
export const EXAMPLE_JOBS_NAMESPACE = 'batch-jobs';
/** Where the example's servo reports: an optimizer in the cluster (replace with yours, e.g. the default OPTUNE_URL and a token Secret). */
export const EXAMPLE_OPTIMIZER_URL = 'http://optimizer.servo-system.svc:8080/metrics/{acct}/{app_id}/servo';
/** The Prometheus the example assumes (ArmoniK.Infra's, scraping the metrics exporter), which Konsumerator queries for the lag. */
export const EXAMPLE_PROMETHEUS_URL = `http://prometheus.${EXAMPLE_NAMESPACE}:9090`;

/** The labels of a namespace whose pods must satisfy PodSecurity `restricted`. */
const RESTRICTED_NAMESPACE_LABELS = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };

/** Which queue the example uses: swapping it changes only the queue env, secrets and mounts of its consumers. */
export type ExampleQueue = 'activemq' | 'rabbitmq';

/** `terraform output -json` of the NFS storage module, relative to the project root where `cdk8s synth` and `cdktf synth` run. */
export const EXAMPLE_NFS_OUTPUT_FILE = 'examples/modules/nfs.tf-output.json';

/** Options of {@link buildExampleApp}. */
export interface ExampleOptions {
  /** @default 'activemq' */
  readonly queue?: ExampleQueue;
  /** The NFS module's `terraform output -json` file. @default EXAMPLE_NFS_OUTPUT_FILE */
  readonly nfsOutputFile?: string;
}

/** Props of {@link StorageChart}. */
export interface StorageChartProps extends ChartProps {
  /** @default 'activemq' */
  readonly queue?: ExampleQueue;
  /** The NFS module's `terraform output -json` file. @default EXAMPLE_NFS_OUTPUT_FILE */
  readonly nfsOutputFile?: string;
}

const chartProps = (props: ChartProps = {}): ChartProps => ({ ...props, disableResourceNameHashes: true });

/** Props of {@link ServoChart}. */
export interface ServoChartProps extends ChartProps {
  /** The secret generator that makes the webhook's serving certificate (it must watch the servo's namespace). */
  readonly generator: SecretGenerator;
}

/**
 * The job measurement daemon in `servo-system`, measuring the job pods of `batch-jobs` (a pod is
 * a job when it has the env `JOBID`): its webhook gives each one the monitor sidecar, and it
 * reports duration, CPU time and peak memory to the optimizer at {@link EXAMPLE_OPTIMIZER_URL}.
 * The webhook's certificate is generated in the cluster by the secret generator and its CA
 * injected by the servo itself: no cert-manager, nothing secret in the manifests.
 */
export class ServoChart extends Chart {
  public readonly servo: JobMeasurement;

  constructor(scope: Construct, id: string, props: ServoChartProps) {
    const { generator, ...rest } = props;
    super(scope, id, chartProps(rest));
    this.servo = new JobMeasurement(this, 'servo', {
      namespace: EXAMPLE_SERVO_NAMESPACE,
      namespaces: [EXAMPLE_JOBS_NAMESPACE],
      url: EXAMPLE_OPTIMIZER_URL,
      account: 'example',
      webhookCertificate: WebhookCertificate.generated(generator),
    });
  }
}

/** The namespace, restricted by PodSecurity: every workload of the example runs restricted. */
export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, chartProps(props));
    new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: EXAMPLE_NAMESPACE, labels: { ...RESTRICTED_NAMESPACE_LABELS } },
    });
    // The servo's and its jobs' namespaces come first too: the secret generator (next chart) has a
    // Role in the servo's, for its webhook certificate.
    for (const [id, name] of [['servo-namespace', EXAMPLE_SERVO_NAMESPACE], ['jobs-namespace', EXAMPLE_JOBS_NAMESPACE]]) {
      new ApiObject(this, id, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...RESTRICTED_NAMESPACE_LABELS } } });
    }
  }
}

/** The secret generator: fills the Secrets the modules declare, in the example's namespace only. */
export class SecretsChart extends Chart {
  public readonly generator: SecretGenerator;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, chartProps(props));
    // Also the servo's namespace: its webhook's serving certificate is generated there.
    this.generator = new SecretGenerator(this, 'secret-generator', { namespace: EXAMPLE_NAMESPACE, watchNamespaces: [EXAMPLE_NAMESPACE, EXAMPLE_SERVO_NAMESPACE] });
  }
}

/** The infrastructure modules: the queue, object storage, table storage and shared storage. */
export class StorageChart extends Chart {
  public readonly queue: IModule;
  public readonly objectStorage: MinIo;
  public readonly tableStorage: MongoDb;
  /** Deployed by Terraform, read from its `terraform output -json` file. */
  public readonly sharedStorage: TerraformModule;

  constructor(scope: Construct, id: string, props: StorageChartProps = {}) {
    const { queue, nfsOutputFile, ...rest } = props;
    super(scope, id, chartProps(rest));
    const namespace = EXAMPLE_NAMESPACE;
    this.queue = queue === 'rabbitmq' ? new RabbitMq(this, 'rabbitmq', { namespace }) : new ActiveMq(this, 'activemq', { namespace });
    this.objectStorage = new MinIo(this, 'minio', { namespace, storageSize: '20Gi' });
    this.tableStorage = new MongoDb(this, 'mongodb', { namespace });
    this.sharedStorage = TerraformModule.fromFile(this, 'nfs', nfsOutputFile ?? EXAMPLE_NFS_OUTPUT_FILE);
  }
}

/**
 * WAO in its own restricted namespace: the controller (its CRDs land in the layout's `00-crds`),
 * its prediction Service `wao-prediction.wao-system.svc:5656` for schedulers, and a
 * NodeConfigTemplate that gives every node labelled `platform-constructs.io/wao=fake` a NodeConfig
 * with the Fake collectors and predictor.
 */
export class WaoChart extends Chart {
  public readonly wao: Wao;
  public readonly nodes: NodeConfigTemplate;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, chartProps(props));
    const namespace = new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: EXAMPLE_WAO_NAMESPACE, labels: { ...RESTRICTED_NAMESPACE_LABELS } },
    });
    this.wao = new Wao(this, 'wao', { namespace: EXAMPLE_WAO_NAMESPACE });
    this.wao.node.addDependency(namespace);
    this.nodes = new NodeConfigTemplate(this, 'fake-nodes', {
      wao: this.wao,
      namespace: EXAMPLE_WAO_NAMESPACE,
      spec: {
        nodeSelector: { matchLabels: { [EXAMPLE_WAO_NODE_LABEL.key]: EXAMPLE_WAO_NODE_LABEL.value } },
        template: {
          metricsCollector: {
            inletTemp: { type: 'Fake', fetchInterval: '10s' },
            deltaP: { type: 'Fake', fetchInterval: '10s' },
          },
          predictor: { powerConsumption: { type: 'Fake' } },
        },
        // On servers with Redfish BMCs, a differential pressure API and a V2 inference server, the
        // template reads (Go templates are rendered per node; the Secrets hold username and password):
        //
        //   nodeSelector: { matchLabels: { 'node.kubernetes.io/instance-type': 'redfish-enabled' } },
        //   template: {
        //     metricsCollector: {
        //       inletTemp: { type: 'Redfish', endpoint: 'https://10.0.1.{{.IPv4.Octet4}}', basicAuthSecret: { name: '{{.Hostname}}-redfish-basicauth' }, fetchInterval: '10s' },
        //       deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', fetchInterval: '10s' },
        //     },
        //     predictor: {
        //       powerConsumption: { type: 'V2InferenceProtocol', endpoint: 'http://10.0.0.1:8080/v2/models/myModel/versions/v0.1.0/infer' },
        //       // or let each BMC name its model's endpoint:
        //       // powerConsumptionEndpointProvider: { type: 'Redfish', endpoint: 'https://10.0.1.{{.IPv4.Octet4}}', basicAuthSecret: { name: '{{.Hostname}}-redfish-basicauth' } },
        //     },
        //   },
        //
        // with `caBundle: { secret: { name: 'bmc-ca' } }` on a term whose endpoint has a private CA.
      },
    });
  }
}

/**
 * Konsumerator in its own restricted namespace: the operator (its Consumer CRD lands in the
 * layout's `00-crds`) and one small Consumer, `orders`: 6 partitions of the Kafka topic `orders`,
 * 2 per instance, so 3 Deployments `orders-0` to `orders-2`, each sized between the policy's
 * bounds from the lag that Prometheus reports (kafka_exporter's metrics). The consumer here is a
 * placeholder (busybox printing the partitions it was given); its pod template satisfies
 * PodSecurity `restricted`, as every Deployment made from it must in this namespace.
 */
export class KonsumeratorChart extends Chart {
  public readonly konsumerator: Konsumerator;
  public readonly consumer: Consumer;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, chartProps(props));
    const namespace = new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: EXAMPLE_KONSUMERATOR_NAMESPACE, labels: { ...RESTRICTED_NAMESPACE_LABELS } },
    });
    this.konsumerator = new Konsumerator(this, 'konsumerator', { namespace: EXAMPLE_KONSUMERATOR_NAMESPACE });
    this.konsumerator.node.addDependency(namespace);
    const labels = { app: 'orders-consumer' };
    this.consumer = new Consumer(this, 'orders', {
      konsumerator: this.konsumerator,
      namespace: EXAMPLE_KONSUMERATOR_NAMESPACE,
      spec: {
        numPartitions: 6,
        numPartitionsPerInstance: 2,
        name: 'orders',
        autoscaler: {
          mode: 'prometheus',
          prometheus: {
            address: [EXAMPLE_PROMETHEUS_URL],
            minSyncPeriod: '1m',
            tolerableLag: '5m',
            criticalLag: '30m',
            recoveryTime: '15m',
            ratePerCore: 20000,
            ramPerCore: '100M',
            // The lag, production and consumption per partition, as kafka_exporter reports them.
            offset: { query: 'sum(kafka_consumergroup_lag{consumergroup="orders",topic="orders"}) by (partition)', partitionLabel: 'partition' },
            production: { query: 'sum(rate(kafka_topic_partition_current_offset{topic="orders"}[5m])) by (partition)', partitionLabel: 'partition' },
            consumption: { query: 'sum(rate(kafka_consumergroup_current_offset{consumergroup="orders",topic="orders"}[5m])) by (partition)', partitionLabel: 'partition' },
          },
        },
        deploymentTemplate: {
          replicas: 1,
          // One consumer per group of partitions at a time.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'consumer',
                  image: 'busybox:1.37.0',
                  command: [
                    '/bin/sh',
                    '-c',
                    'trap "exit 0" TERM; echo "instance $KONSUMERATOR_INSTANCE of $KONSUMERATOR_NUM_INSTANCES: partitions $KONSUMERATOR_PARTITION"; while true; do sleep 3600 & wait $!; done',
                  ],
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
        resourcePolicy: {
          containerPolicies: [{ containerName: 'consumer', minAllowed: { cpu: '50m', memory: '64Mi' }, maxAllowed: { cpu: '1', memory: '512Mi' } }],
        },
      },
    });
  }
}

/** The example app, not yet synthesized. */
export function buildExampleApp(outdir?: string, options: ExampleOptions = {}): App {
  const app = new App(outdir ? { outdir } : {});
  const namespace = new NamespaceChart(app, 'namespace');
  const secrets = new SecretsChart(app, 'secrets');
  secrets.addDependency(namespace);
  const storage = new StorageChart(app, 'storage', { queue: options.queue, nfsOutputFile: options.nfsOutputFile });
  storage.addDependency(secrets);
  const { queue, objectStorage, tableStorage, sharedStorage } = storage;
  const ns = EXAMPLE_NAMESPACE;

  // Only callers with a client certificate of the ingress get in, each with its user's roles: Infra's
  // `submitter` (role Submitter) and `monitoring` (role Monitoring, what the GUI's operators need).
  const authentication = ArmoniKAuthentication.of({ requireAuthentication: true, requireAuthorization: true });
  const controlPlane = new Chart(app, 'control-plane', chartProps());
  // ArmoniK's site-wide Core settings, loaded by every Core component (ArmoniK.Infra's core-configmap).
  const core = new CoreSettings(controlPlane, 'core', { namespace: ns, authentication });
  const control = new ControlPlane(controlPlane, 'control-plane', {
    namespace: ns,
    core,
    conf: [queue, objectStorage, tableStorage],
    defaultPartition: 'default',
    env: { Submitter__MaxErrorAllowed: '50' },
  });

  // The ingress in front of the control plane and the admin GUI: TLS and mutual TLS, every
  // certificate generated in the cluster by the secret generator; one client certificate per user.
  const ingress = new Chart(app, 'ingress', chartProps());
  const gui = new AdminGui(ingress, 'admin-gui', { namespace: ns });
  const front = new ArmoniKIngress(ingress, 'ingress', {
    namespace: ns,
    controlPlane: control,
    adminGui: gui,
    mtls: { clientCertificates: { submitter: {}, monitoring: {} } },
    service: { type: 'LoadBalancer' },
  });
  ingress.addDependency(controlPlane);
  ingress.addDependency(secrets);

  const computePlane = new Chart(app, 'compute-plane', chartProps());
  new ComputePlane(computePlane, 'compute-plane', {
    namespace: ns,
    core,
    // The init stores the users, the roles and the ingress's client certificates in Core's database.
    init: { authentication, clientCertificates: front.clientCertificates },
    pollingAgent: { conf: [queue, objectStorage, tableStorage] },
    worker: { conf: [sharedStorage], env: { target_zip_path: '/tmp' } },
    partitions: {
      default: { scaling: PartitionScaling.keda({ maxReplicas: 10 }) },
      stream: { priority: 2, podMax: 20, scaling: PartitionScaling.keda({ minReplicas: 1, maxReplicas: 20 }), worker: { resources: { cpuLimit: '2', memoryLimit: '2Gi' } } },
    },
  });

  const metrics = new Chart(app, 'metrics', chartProps());
  new MetricsExporter(metrics, 'metrics-exporter', { namespace: ns, core, conf: [tableStorage] });

  const config = new Chart(app, 'config-aggregator', chartProps());
  const aggregator = new ConfigAggregator(config, 'config-aggregator', { namespace: ns, configmapName: 'armonik-anomaly-config' });
  new AppConfig(config, 'control-plane-anomaly', {
    namespace: ns,
    aggregator,
    config: {
      service: 'armonik-control-plane',
      metric_configs: [{ metric: 'armonik_tasks_queued', composite_keys: ['namespace', 'partition'], static_threshold: 1000 }],
      unified_configs: [{ unified_metric_name: 'armonik_queue_anomaly', unified_metrics: ['armonik_tasks_queued'] }],
    },
  });
  config.addDependency(namespace);

  new WaoChart(app, 'wao');
  new KonsumeratorChart(app, 'konsumerator');
  const servo = new ServoChart(app, 'servo', { generator: secrets.generator });
  servo.addDependency(namespace);
  servo.addDependency(secrets);

  for (const chart of [controlPlane, computePlane, metrics]) chart.addDependency(storage);
  computePlane.addDependency(controlPlane);
  metrics.addDependency(controlPlane);
  return app;
}
