import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { isDns1123Label, isDns1123Subdomain, type ResourceRequirementsProps } from '../../lib/k8s/index.js';
import { ModuleEnv } from './module-env.js';
import { PartitionScaling } from './partition-scaling.js';
import { ARMONIK_CORE_VERSION, buildWorkload, checkImage, mergeConf, plainResources, resolveNamespace, type ModuleList, type Workload } from './workload.js';

/** A container of the compute plane, as AEP 5's `polling_agent` / `worker`. */
export interface ComputeContainerProps {
  /** Modules this container consumes. @default none */
  readonly conf?: ModuleList;
  /** Image. @default the polling agent's: `dockerhubaneo/armonik_pollingagent:<version>`; the worker's: `dockerhubaneo/armonik_worker_dll:<version>` */
  readonly image?: string;
  /** Requests and limits. @default polling agent 100m/256Mi, 1/1Gi; worker 500m/512Mi, 1/1Gi */
  readonly resources?: ResourceRequirementsProps;
}

/** One partition: one Deployment, a polling agent and a worker per pod. */
export interface PartitionProps {
  /** ArmoniK's priority of the partition (higher is served first). @default 1 */
  readonly priority?: number;
  /** How the partition scales. @default PartitionScaling.hpa() */
  readonly scaling?: PartitionScaling;
  /** The polling agent of this partition: its modules come after the compute plane's. @default the compute plane's */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of this partition (your application's image). @default the compute plane's */
  readonly worker?: ComputeContainerProps;
  /** Modules both containers of this partition consume. @default none */
  readonly conf?: ModuleList;
  /** Kubernetes PriorityClass of the pods. @default none */
  readonly priorityClassName?: string;
}

/** Props of {@link ComputePlane}. */
export interface ComputePlaneProps {
  /** The partitions, by name (a DNS-1123 label of at most 49 characters). */
  readonly partitions: Readonly<Record<string, PartitionProps>>;
  /** Modules both containers of every partition consume (AEP 5's `compute_plane.conf`). @default none */
  readonly conf?: ModuleList;
  /** The polling agent of every partition (AEP 5's `polling_agent`). @default no modules, default image */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of every partition (AEP 5's `worker`). @default no modules, default image */
  readonly worker?: ComputeContainerProps;
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Literal module env inline, or in ConfigMaps loaded with envFrom. @default ModuleEnv.INLINE */
  readonly moduleEnv?: ModuleEnv;
  /** Socket directory shared by the two containers (an emptyDir). @default '/cache' */
  readonly socketDirectory?: string;
}

/** What the compute plane created for one partition. */
export interface PartitionResources {
  readonly workload: Workload;
  /** The HorizontalPodAutoscaler or ScaledObject, if the partition autoscales. */
  readonly autoscaler?: ApiObject;
}

/** The env ArmoniK's polling agent reads its partition from, one per queue adaptor. */
const PARTITION_ID_VARIABLES = ['Amqp__PartitionId', 'PubSub__PartitionId', 'SQS__PartitionId'];

/**
 * ArmoniK's compute plane: per partition, one Deployment `compute-plane-<partition>` whose pods
 * run the polling agent and the worker, talking over Unix sockets in a shared `emptyDir`; an
 * autoscaler per partition; and a ConfigMap `compute-plane-partitions` with the partition
 * documents (id, priority, pod bounds) in the form ArmoniK.Infra writes to the table storage.
 *
 * Modules: the polling agent gets `conf`, then `pollingAgent.conf`, then the partition's
 * `conf` and `pollingAgent.conf`; the worker likewise with `worker`. A conflict among them is an
 * error naming both modules.
 */
export class ComputePlane extends Construct {
  public static readonly POLLING_AGENT_PORT = 1080;
  public readonly namespace: string;
  public readonly partitions: ReadonlyMap<string, PartitionResources>;
  public readonly partitionsConfigMap: ApiObject;

  constructor(scope: Construct, id: string, props: ComputePlaneProps) {
    super(scope, id);
    const where = `ComputePlane ${this.node.path}`;
    this.namespace = resolveNamespace(this, where, props.namespace);
    const names = Object.keys(props.partitions).sort();
    if (names.length === 0) throw new Error(`${where}: partitions: give at least one partition`);
    const socketDir = (props.socketDirectory ?? '/cache').replace(/\/+$/, '');
    if (!/^\/[^:]+$/.test(socketDir) || socketDir.split('/').includes('..')) throw new Error(`${where}: socketDirectory: "${props.socketDirectory}" is not an absolute path`);
    const socketEnv = {
      ComputePlane__WorkerChannel__Address: `${socketDir}/armonik_worker.sock`,
      ComputePlane__WorkerChannel__SocketType: 'unixdomainsocket',
      ComputePlane__AgentChannel__Address: `${socketDir}/armonik_agent.sock`,
      ComputePlane__AgentChannel__SocketType: 'unixdomainsocket',
    };
    const documents: unknown[] = [];
    const partitions = new Map<string, PartitionResources>();
    for (const partition of names) {
      const p = props.partitions[partition];
      const pwhere = `${where}: partitions.${partition}`;
      if (!isDns1123Label(partition) || partition.length > 49) throw new Error(`${pwhere}: "${partition}" is not a DNS-1123 label of at most 49 characters`);
      const priority = p.priority ?? 1;
      if (!Number.isInteger(priority) || priority < 0) throw new Error(`${pwhere}: priority: ${priority} is not a non-negative integer`);
      if (p.priorityClassName !== undefined && !isDns1123Subdomain(p.priorityClassName)) throw new Error(`${pwhere}: priorityClassName: "${p.priorityClassName}" is not a valid name`);
      const scaling = p.scaling ?? PartitionScaling.hpa();
      const name = `compute-plane-${partition}`;
      const scope = new Construct(this, partition);
      const pollingConf = mergeConf(where, `conf, pollingAgent.conf, partitions.${partition}.conf, partitions.${partition}.pollingAgent.conf`, [
        ...(props.conf ?? []), ...(props.pollingAgent?.conf ?? []), ...(p.conf ?? []), ...(p.pollingAgent?.conf ?? []),
      ]);
      const workerConf = mergeConf(where, `conf, worker.conf, partitions.${partition}.conf, partitions.${partition}.worker.conf`, [
        ...(props.conf ?? []), ...(props.worker?.conf ?? []), ...(p.conf ?? []), ...(p.worker?.conf ?? []),
      ]);
      const pollingImage = p.pollingAgent?.image ?? props.pollingAgent?.image ?? `dockerhubaneo/armonik_pollingagent:${ARMONIK_CORE_VERSION}`;
      const workerImage = p.worker?.image ?? props.worker?.image ?? `dockerhubaneo/armonik_worker_dll:${ARMONIK_CORE_VERSION}`;
      const mounts = [
        { name: 'cache-volume', mountPath: socketDir },
        { name: 'tmp', mountPath: '/tmp' },
      ];
      const labels = { 'armonik.aneo.fr/partition': partition };
      const workload = buildWorkload(scope, {
        where: `${where} (partition ${partition})`,
        name,
        namespace: this.namespace,
        component: 'compute-plane',
        instance: name,
        replicas: scaling._replicas(),
        moduleEnv: props.moduleEnv ?? ModuleEnv.INLINE,
        extraLabels: labels,
        podAnnotations: { 'armonik.aneo.fr/partition-priority': String(priority) },
        priorityClassName: p.priorityClassName,
        terminationGracePeriodSeconds: 30,
        volumes: [
          { name: 'cache-volume', emptyDir: {} },
          { name: 'tmp', emptyDir: {} },
        ],
        containers: [
          {
            name: 'polling-agent',
            image: checkImage(pwhere, 'pollingAgent.image', pollingImage),
            env: {
              ...socketEnv,
              ...Object.fromEntries(PARTITION_ID_VARIABLES.map((v) => [v, partition])),
              ComputePlane__MessageBatchSize: '1',
              InitWorker__WorkerCheckRetries: '10',
              InitWorker__WorkerCheckDelay: '00:00:10',
              Pollster__GraceDelay: '00:00:15',
            },
            ports: [{ name: 'poll-agent-port', containerPort: ComputePlane.POLLING_AGENT_PORT }],
            probes: { port: ComputePlane.POLLING_AGENT_PORT, startup: '/startup', liveness: '/liveness', readiness: '/readiness' },
            resources: plainResources(p.pollingAgent?.resources ?? props.pollingAgent?.resources, { cpuRequest: '100m', memoryRequest: '256Mi', cpuLimit: '1', memoryLimit: '1Gi' }),
            volumeMounts: mounts,
            conf: pollingConf,
            confField: 'pollingAgent',
          },
          {
            name: 'worker',
            image: checkImage(pwhere, 'worker.image', workerImage),
            env: socketEnv,
            // The polling agent reports the worker's health as its own.
            probes: { port: ComputePlane.POLLING_AGENT_PORT, startup: '/startup', liveness: '/liveness' },
            resources: plainResources(p.worker?.resources ?? props.worker?.resources, { cpuRequest: '500m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '1Gi' }),
            volumeMounts: mounts,
            conf: workerConf,
            confField: 'worker',
          },
        ],
      });
      const autoscaler = scaling._bind(scope, pwhere, { name, namespace: this.namespace, partition, labels: workload.labels });
      partitions.set(partition, { workload, autoscaler });
      documents.push({
        _id: partition,
        ParentPartitionIds: [],
        PodReserved: scaling._minReplicas(),
        PodMax: scaling._maxReplicas(),
        PreemptionPercentage: 50,
        Priority: priority,
        PodConfiguration: null,
      });
    }
    this.partitions = partitions;
    this.partitionsConfigMap = new ApiObject(this, 'partitions', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'compute-plane-partitions', namespace: this.namespace, labels: { 'app.kubernetes.io/part-of': 'armonik', 'app.kubernetes.io/managed-by': 'platform-constructs' } },
      data: { 'partitions.json': JSON.stringify(documents, null, 2) },
    });
  }
}
