import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { plainResources, scratchVolume, type PlainResources, type ResourceDefaults, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, isPlainObject, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain, checkImage, checkInteger, ensure } from '../../lib/k8s/validators.js';
import { INIT_BY_JOB_ENV, InitJob, type PartitionDocument } from './init-job.js';
import type { ModuleEnv } from './module-env.js';
import { checkCoreSettingsSource, checkModuleEnv, checkModuleList, checkPodSettings, partitionNameReason, podSettingsSpec, POD_SETTINGS_PROPS, refuseDerivedEnv, type PodSettingsProps } from './props.js';
import { checkInstance, checkObject, checkOptionalEnv, checkStringList } from '../../lib/k8s/props.js';
import { PartitionScaling } from './partition-scaling.js';
import { ARMONIK_IMAGES, ARMONIK_VERSIONS, CORE_POD_UID, type CoreVersion } from './versions.js';
import { ArmoniKAuthentication, type GeneratedClientCertificate } from './authentication.js';
import { armonikPodLabels, buildWorkload, coreConf, coreVersionOf, mergeConf, type ContainerSpec, type CoreSettingsSource, type ModuleList, type Workload } from './workload.js';
import {
  cacheVolumes, checkCacheConfig, COMPUTE_SCRATCH_SIZE_LIMIT, checkNodeCache, checkWorkerList, checkWorkerName, checkWorkerSecurity, WORKER_PROPS,
  type CacheConfig, type CheckedWorkerSecurity, type ComputeContainerProps, type NodeCache, type WorkerProps,
} from './compute-pod.js';

export type { CacheConfig, ComputeContainerProps, NodeCache, WorkerProps, WorkerSecurityContext } from './compute-pod.js';

/**
 * One partition: one Deployment, a polling agent and a worker per pod, and its row in Core's database.
 * Its pod settings (ArmoniK.Infra sets them per partition) replace the compute plane's when given.
 */
export interface PartitionProps extends PodSettingsProps {
  /** Priority of the partition's tasks (ArmoniK's `Priority`). @default 1 */
  readonly priority?: number;
  /** Pods reserved for the partition (`PodReserved`). @default 1 */
  readonly podReserved?: number;
  /** Most pods of the partition (`PodMax`). @default 100 */
  readonly podMax?: number;
  /** Share of its pods another partition may preempt, in percent (`PreemptionPercentage`). @default 50 */
  readonly preemptionPercentage?: number;
  /** Partitions this one may borrow from (`ParentPartitionIds`). @default none */
  readonly parentPartitionIds?: readonly string[];
  /** Free-form pod configuration stored with the partition (`PodConfiguration`). @default none */
  readonly podConfiguration?: Readonly<Record<string, string>>;
  /** How the partition scales. @default PartitionScaling.keda() */
  readonly scaling?: PartitionScaling;
  /** The polling agent of this partition: its modules and env come after the compute plane's. @default the compute plane's */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of this partition (your application's image), on top of the compute plane's; not with `workers`. @default the compute plane's */
  readonly worker?: WorkerProps;
  /**
   * Several worker containers in each pod (Infra's `worker` list), each on top of the compute plane's
   * worker; not with `worker`. Every one gets the agent channel settings, as in Infra: Core's polling
   * agent calls one worker address, so the others are containers that share the pod's caches.
   * @default one worker: `worker`
   */
  readonly workers?: readonly WorkerProps[];
  /** The socket and task-file volume at `/cache/shared` (Infra's `cache_config`). @default the compute plane's: on the node's disk, no size limit */
  readonly cacheConfig?: CacheConfig;
  /** A results cache on the node at `/cache/internal` (Infra's `node_cache`; a hostPath). @default the compute plane's: none, an emptyDir per pod */
  readonly nodeCache?: NodeCache;
  /** Modules both containers of this partition consume. @default none */
  readonly conf?: ModuleList;
  /** Kubernetes PriorityClass of the pods. @default none */
  readonly priorityClassName?: string;
  /** How the agent and worker talk: Unix sockets in the shared cache, or TCP on localhost (`socket_type`). @default 'unixdomainsocket' */
  readonly socketType?: 'unixdomainsocket' | 'tcp';
  /** Seconds the pods get to finish their task when stopped (Infra's `termination_grace_period_seconds`, required there; its quick-deploys give 30). @default 30 */
  readonly terminationGracePeriodSeconds?: number;
}

/** Options of the init Job the compute plane runs; its pod settings replace the compute plane's when given. */
export interface InitOptions extends PodSettingsProps {
  /** Image. @default `dockerhubaneo/armonik_control:<coreVersion>` */
  readonly image?: string;
  /** Schedule of the CronJob that re-runs the init, or `null` for none. @default '* * * * *' (ArmoniK.Infra's) */
  readonly schedule?: string | null;
  /** The init's own settings. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Requests and limits. @default 50m/50Mi requests, 1/1Gi limits */
  readonly resources?: ResourceRequirementsProps;
  /** The users, roles and certificates the init stores in Core's database (`InitServices__Authentication__*`, Infra's `init.tf`). @default none */
  readonly authentication?: ArmoniKAuthentication;
  /** Client certificates the ingress generates (`ArmoniKIngress.clientCertificates`), stored with `authentication`. @default none */
  readonly clientCertificates?: readonly GeneratedClientCertificate[];
}

/** Props of {@link ComputePlane}; its pod settings apply to every partition (unless the partition gives its own), its ServiceAccount to the init too. */
export interface ComputePlaneProps extends PodSettingsProps {
  /** The partitions, by name (a DNS-1123 label of at most 49 characters). */
  readonly partitions: Readonly<Record<string, PartitionProps>>;
  /** Modules both containers of every partition consume (AEP 5's `compute_plane.conf`). @default none */
  readonly conf?: ModuleList;
  /** The site-wide Core settings the polling agents and the init load before their modules. @default CoreSettings.defaults(), inline */
  readonly core?: CoreSettingsSource;
  /** The polling agent of every partition (AEP 5's `polling_agent`). @default no modules, default image */
  readonly pollingAgent?: ComputeContainerProps;
  /** The worker of every partition (AEP 5's `worker`). @default no modules, default image */
  readonly worker?: WorkerProps;
  /** The socket and task-file volume at `/cache/shared` of every partition (Infra's `cache_config`). @default on the node's disk, no size limit */
  readonly cacheConfig?: CacheConfig;
  /** A results cache on the node at `/cache/internal` of every partition (Infra's `node_cache`; a hostPath, so the namespace must be PodSecurity `privileged`). @default none: an emptyDir per pod */
  readonly nodeCache?: NodeCache;
  /** ArmoniK Core release of the polling agent and init images. @default ARMONIK_VERSIONS.core ('0.37.2') */
  readonly coreVersion?: string;
  /** The init Job (and CronJob) that creates the storage and inserts the partitions. @default the control plane image, re-run every minute */
  readonly init?: InitOptions;
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Literal module env inline, or in ConfigMaps loaded with envFrom. @default ModuleEnv.INLINE */
  readonly moduleEnv?: ModuleEnv;
  /**
   * uid and gid of the compute-plane pods (ArmoniK.Infra's `compute_plane.security.user`, 5000
   * there). The Core and ArmoniK worker images run as any user (root-owned binaries, writes to the
   * pod's volumes only); a worker image that needs its own user sets it in `securityContext`.
   * @default 10001 (above 10000, clear of the node's users)
   */
  readonly uid?: number;
}

/** What the compute plane created for one partition. */
export interface PartitionResources {
  readonly workload: Workload;
  /** The ScaledObject or HorizontalPodAutoscaler, if the partition autoscales. */
  readonly autoscaler?: ApiObject;
  /** The partition as the init inserts it. */
  readonly document: PartitionDocument;
}

const COMPUTE_PLANE_PROPS: ReadonlyArray<keyof ComputePlaneProps> = [
  'partitions', 'conf', 'core', 'pollingAgent', 'worker', 'coreVersion', 'init', 'namespace', 'moduleEnv', 'uid', 'cacheConfig', 'nodeCache', ...POD_SETTINGS_PROPS,
];
const PARTITION_PROPS: ReadonlyArray<keyof PartitionProps> = [
  'priority', 'podReserved', 'podMax', 'preemptionPercentage', 'parentPartitionIds', 'podConfiguration', 'scaling', 'pollingAgent', 'worker',
  'conf', 'priorityClassName', 'socketType', 'terminationGracePeriodSeconds', 'workers', 'cacheConfig', 'nodeCache', ...POD_SETTINGS_PROPS,
];
const CONTAINER_PROPS: ReadonlyArray<keyof ComputeContainerProps> = ['conf', 'image', 'resources', 'env'];
const INIT_OPTIONS: ReadonlyArray<keyof InitOptions> = ['image', 'schedule', 'env', 'resources', 'authentication', 'clientCertificates', ...POD_SETTINGS_PROPS];

/** ArmoniK's requests and limits (`compute_plane` in its `parameters.tfvars`). */
// The agent's ephemeral storage covers the pod's disk-backed cache volumes (see cacheVolumes): the
// kubelet evicts a pod whose volumes and logs pass the sum of its containers' limits.
const AGENT_RESOURCES: ResourceDefaults = { cpuRequest: '50m', memoryRequest: '50Mi', cpuLimit: '2', memoryLimit: '2Gi', ephemeralStorageRequest: '256Mi', ephemeralStorageLimit: '4Gi' };
const WORKER_RESOURCES: ResourceDefaults = { cpuRequest: '50m', memoryRequest: '50Mi', cpuLimit: '1', memoryLimit: '1Gi' };
const INIT_RESOURCES: ResourceDefaults = { cpuRequest: '50m', memoryRequest: '50Mi', cpuLimit: '1', memoryLimit: '1Gi' };

/** Where Core's pollster keeps its caches (ArmoniK.Core `Common/src/Injection/Options/Pollster.cs`, and ArmoniK.Infra's mounts). */
const SHARED_CACHE = '/cache/shared';
const INTERNAL_CACHE = '/cache/internal';

/** The queue partition variables of older Core adaptors, which ArmoniK.Infra still sets beside `Pollster__PartitionId` (`armonik/locals.tf`). */
const LEGACY_PARTITION_ID_VARIABLES = ['Amqp__PartitionId', 'PubSub__PartitionId', 'SQS__PartitionId'];
/** What the polling agent gets from the partition's name, and both containers from its `socketType`: not for `env` props. */
const PARTITION_ID_VARIABLES = ['Pollster__PartitionId', ...LEGACY_PARTITION_ID_VARIABLES];
const CHANNEL_VARIABLES = ['Worker', 'Agent'].flatMap((c) => [`ComputePlane__${c}Channel__Address`, `ComputePlane__${c}Channel__SocketType`]);

/**
 * ArmoniK's compute plane (ArmoniK.Infra `armonik/compute-plane.tf`): per partition, one Deployment
 * `compute-plane-<partition>` whose pods run the polling agent and the worker, talking over Unix
 * sockets in a shared `emptyDir` at `/cache/shared` (or TCP); the polling agent's own cache at
 * `/cache/internal`; an autoscaler per partition (KEDA by default); and the init Job + CronJob
 * that creates the storage and inserts the partitions into Core's database, without which Core
 * refuses sessions on them.
 *
 * Modules: the polling agent gets the Core settings, then `conf`, `pollingAgent.conf`, the
 * partition's `conf` and `pollingAgent.conf`; the worker gets `conf`, `worker.conf` and the
 * partition's (not the Core settings, as in ArmoniK.Infra). A conflict among them is an error
 * naming both modules.
 */
export class ComputePlane extends Construct {
  public static readonly POLLING_AGENT_PORT = 1080;
  public readonly namespace: string;
  public readonly partitions: ReadonlyMap<string, PartitionResources>;
  public readonly init: InitJob;

  constructor(scope: Construct, id: string, props: ComputePlaneProps) {
    super(scope, id);
    const where = `ComputePlane ${this.node.path}`;
    props = checkObject(where, 'props', props, COMPUTE_PLANE_PROPS, true);
    this.namespace = resolveNamespace(this, where, props.namespace);
    if (!isPlainObject(props.partitions)) {
      throw new ValidationError(where, 'partitions', `must be an object of partitions by name (such as { default: {} }), not ${describeValue(props.partitions)}`, props.partitions);
    }
    const names = Object.keys(props.partitions).sort();
    if (names.length === 0) throw new ValidationError(where, 'partitions', `give at least one partition`);
    for (const partition of names) ensure(where, `partitions.${partition}`, partition, partitionNameReason(partition));
    const core = coreVersionOf(where, props.coreVersion);
    const uid = checkInteger(where, 'uid', props.uid ?? CORE_POD_UID, 1);
    const moduleEnv = checkModuleEnv(where, 'moduleEnv', props.moduleEnv);
    const planePod = checkPodSettings(this, where, props, { name: 'compute-plane', namespace: this.namespace });
    const conf = checkModuleList(where, 'conf', props.conf);
    const agent = checkContainer(where, 'pollingAgent', props.pollingAgent, AGENT_RESOURCES);
    const worker = checkWorker(where, 'worker', props.worker);
    const init = checkObject<InitOptions>(where, 'init', props.init, INIT_OPTIONS);
    const planeCache = checkCacheConfig(where, 'cacheConfig', props.cacheConfig);
    const planeNodeCache = checkNodeCache(where, 'nodeCache', props.nodeCache);
    // An id no partition (a DNS-1123 label) can take, for a ServiceAccount the init creates.
    const initPod = { ...planePod, ...checkPodSettings(new Construct(this, 'InitPod'), where, init, { name: 'init', namespace: this.namespace }, 'init.') };
    const base = coreConf(where, 'conf, pollingAgent.conf', checkCoreSettingsSource(where, 'core', props.core), [...conf, ...agent.conf]);

    const partitions = new Map<string, PartitionResources>();
    for (const partition of names) {
      const pwhere = `${where}: partitions.${partition}`;
      const p = checkObject<PartitionProps>(where, `partitions.${partition}`, props.partitions[partition], PARTITION_PROPS);
      if (p.priorityClassName !== undefined) checkDns1123Subdomain(pwhere, 'priorityClassName', p.priorityClassName, 'PriorityClass');
      const document = partitionDocument(where, partition, p, names);
      const scaling = checkInstance(pwhere, 'scaling', p.scaling, PartitionScaling, 'PartitionScaling.keda(), .hpa() or .fixed()') ?? PartitionScaling.keda();
      const partitionConf = checkModuleList(pwhere, 'conf', p.conf);
      const pAgent = checkContainer(pwhere, 'pollingAgent', p.pollingAgent, AGENT_RESOURCES);
      if (p.worker !== undefined && p.workers !== undefined) throw new ValidationError(pwhere, 'workers', `give worker or workers, not both`, p.workers);
      const pWorkers = p.workers === undefined
        ? [{ field: 'worker', checked: checkWorker(pwhere, 'worker', p.worker) }]
        : checkWorkerList(pwhere, 'workers', p.workers).map((w) => ({ field: w.field, checked: { ...checkWorker(pwhere, w.field, w.props), name: w.name } }));
      const cache = p.cacheConfig === undefined ? planeCache : checkCacheConfig(pwhere, 'cacheConfig', p.cacheConfig);
      const nodeCache = p.nodeCache === undefined ? planeNodeCache : checkNodeCache(pwhere, 'nodeCache', p.nodeCache);
      const name = `compute-plane-${partition}`;
      const scope = new Construct(this, partition);
      const pod = { ...planePod, ...checkPodSettings(scope, where, p, { name, namespace: this.namespace }, `partitions.${partition}.`) };
      const pollingConf = mergeConf(where, `core, conf, pollingAgent.conf, partitions.${partition}.conf, partitions.${partition}.pollingAgent.conf`, [
        base.conf, ...partitionConf, ...pAgent.conf,
      ]);
      const pollingImage = pAgent.image ?? agent.image ?? `${ARMONIK_IMAGES.pollingAgent}:${core.version}`;
      const socketType = p.socketType ?? 'unixdomainsocket';
      if (socketType !== 'unixdomainsocket' && socketType !== 'tcp') {
        throw new ValidationError(pwhere, 'socketType', `${showValue(socketType)} is not 'unixdomainsocket' or 'tcp'`, socketType);
      }
      // ArmoniK.Infra `armonik/compute-plane.tf` (`compute_aggregation`): sockets in the shared cache, or localhost ports.
      const channelEnv = {
        ComputePlane__WorkerChannel__Address: socketType === 'tcp' ? 'http://localhost:10667' : `${SHARED_CACHE}/armonik_worker.sock`,
        ComputePlane__WorkerChannel__SocketType: socketType,
        ComputePlane__AgentChannel__Address: socketType === 'tcp' ? 'http://localhost:10666' : `${SHARED_CACHE}/armonik_agent.sock`,
        ComputePlane__AgentChannel__SocketType: socketType,
      };
      const agentProbes = {
        port: ComputePlane.POLLING_AGENT_PORT,
        // ArmoniK.Infra `compute-plane.tf`: startup 1/3/1/20, liveness 15/10/10/3, readiness 3/1/1 (Core serves /readiness on the agent).
        startup: { path: '/startup', initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 20 },
        liveness: { path: '/liveness', initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 },
      };
      const workers: ContainerSpec[] = pWorkers.map(({ field, checked: w }) => ({
        name: w.name ?? worker.name ?? 'worker',
        image: w.image ?? worker.image ?? `${ARMONIK_IMAGES.dynamicWorker}:${ARMONIK_VERSIONS.extcsharp}`,
        env: { ...channelEnv, ...worker.env, ...w.env },
        // The polling agent reports the worker's health as its own (ArmoniK.Infra probes the worker on the agent's port).
        probes: agentProbes,
        resources: w.resources ?? worker.resources ?? plainResources(undefined, WORKER_RESOURCES),
        security: { ...worker.security, ...w.security },
        volumeMounts: [
          { name: 'comm-volume', mountPath: SHARED_CACHE },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        conf: mergeConf(where, `conf, worker.conf, partitions.${partition}.conf, partitions.${partition}.${field}.conf`, [
          ...conf, ...worker.conf, ...partitionConf, ...w.conf,
        ]),
        confField: field === 'worker' ? 'worker' : `partitions.${partition}.${field}`,
      }));
      const workload = buildWorkload(scope, {
        where: `${where} (partition ${partition})`,
        name,
        namespace: this.namespace,
        component: 'compute-plane',
        instance: name,
        replicas: scaling._replicas(pwhere),
        moduleEnv,
        extraLabels: { 'armonik.aneo.fr/partition': partition },
        podLabels: armonikPodLabels('compute-plane', partition),
        podAnnotations: { 'armonik.aneo.fr/partition-priority': String(document.Priority) },
        priorityClassName: p.priorityClassName,
        terminationGracePeriodSeconds: checkInteger(pwhere, 'terminationGracePeriodSeconds', p.terminationGracePeriodSeconds ?? 30, 0),
        uid,
        hashInputs: base.hashInputs,
        ...podSettingsSpec(pod),
        // The dynamic worker unpacks the client's libraries under /tmp.
        volumes: [...cacheVolumes(cache, nodeCache), scratchVolume('tmp', COMPUTE_SCRATCH_SIZE_LIMIT)],
        // Prometheus scrapes the polling agent (ArmoniK.Infra's `armonik-polling-agent` job).
        network: { metricsPorts: [ComputePlane.POLLING_AGENT_PORT] },
        containers: [
          {
            name: 'polling-agent',
            image: pollingImage,
            env: {
              ...channelEnv,
              // ArmoniK.Infra `compute-plane-configmap.tf` (`polling-configmap`) and `locals.tf`.
              ...INIT_BY_JOB_ENV,
              ComputePlane__MessageBatchSize: '1',
              InitWorker__WorkerCheckRetries: '10',
              InitWorker__WorkerCheckDelay: '00:00:10',
              Amqp__LinkCredit: '2',
              Pollster__GraceDelay: '00:00:15',
              // 0 turns Core's results cache off; with a node cache, its eviction threshold (Infra `compute-plane.tf`).
              Pollster__CacheEvictionThreshold: nodeCache === undefined ? '0' : String(nodeCache.threshold),
              // Core >= 0.34 reads the partition from Pollster__PartitionId and throws without it (`Common/src/Pollster/Pollster.cs`).
              Pollster__PartitionId: partition,
              ...Object.fromEntries(LEGACY_PARTITION_ID_VARIABLES.map((v) => [v, partition])),
              ...agent.env,
              ...pAgent.env,
            },
            ports: [{ name: 'poll-agent-port', containerPort: ComputePlane.POLLING_AGENT_PORT }],
            probes: { ...agentProbes, readiness: { path: '/readiness', periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 } },
            resources: pAgent.resources ?? agent.resources ?? plainResources(undefined, AGENT_RESOURCES),
            volumeMounts: [
              { name: 'comm-volume', mountPath: SHARED_CACHE },
              { name: 'cache-volume', mountPath: INTERNAL_CACHE },
              { name: 'tmp', mountPath: '/tmp' },
            ],
            conf: pollingConf,
            confField: 'pollingAgent',
          },
          ...workers,
        ],
      });
      const autoscaler = scaling._bind(scope, pwhere, { name, namespace: this.namespace, partition, labels: workload.labels });
      partitions.set(partition, { workload, autoscaler, document });
    }
    this.partitions = partitions;

    // An id no partition (a DNS-1123 label) can take: a partition may be named init.
    this.init = new InitJob(this, 'InitJob', {
      where,
      namespace: this.namespace,
      image: init.image === undefined ? `${ARMONIK_IMAGES.controlPlane}:${core.version}` : checkImage(where, 'init.image', init.image),
      uid: CORE_POD_UID,
      conf: base.conf,
      env: init.env,
      authenticationEnv: initAuthenticationEnv(where, core, init),
      hashInputs: base.hashInputs,
      partitions: [...partitions.values()].map((r) => r.document),
      schedule: init.schedule,
      resources: plainResources(init.resources, INIT_RESOURCES, where, 'init.resources'),
      moduleEnv,
      podSettings: initPod,
    });
    claimObjectNames(this, where);
  }

  /** Names of the partitions, sorted. */
  public get partitionNames(): string[] {
    return [...this.partitions.keys()];
  }
}

/** The init's `InitServices__Authentication__*` env, from `init.authentication` and the ingress's certificates. */
function initAuthenticationEnv(where: string, core: CoreVersion, init: InitOptions): Record<string, string> | undefined {
  const auth = checkInstance(where, 'init.authentication', init.authentication, ArmoniKAuthentication, 'ArmoniKAuthentication.of()');
  if (init.clientCertificates !== undefined && !Array.isArray(init.clientCertificates)) {
    throw new ValidationError(where, 'init.clientCertificates', `must be a list of { username, commonName } (ArmoniKIngress.clientCertificates), not ${describeValue(init.clientCertificates)}`, init.clientCertificates);
  }
  if (auth === undefined) {
    if (init.clientCertificates?.length) throw new ValidationError(where, 'init.clientCertificates', `give init.authentication too: the certificates are stored for its users`, init.clientCertificates);
    return undefined;
  }
  return auth.initEnv(core, init.clientCertificates ?? []);
}

/** The partition's row, checked; defaults are ArmoniK's (`armonik.tf`, `partition_data`). */
function partitionDocument(planeWhere: string, id: string, p: PartitionProps, all: readonly string[]): PartitionDocument {
  const where = `${planeWhere}: partitions.${id}`;
  const int = (field: string, v: number, min: number, max?: number) => checkInteger(where, field, v, min, max);
  const podReserved = int('podReserved', p.podReserved ?? 1, 0);
  const podMax = int('podMax', p.podMax ?? 100, 0);
  if (podMax < podReserved) throw new ValidationError(planeWhere, `partitions.${id}`, `podMax (${podMax}) is below podReserved (${podReserved})`, podMax);
  const parents = checkStringList(where, 'parentPartitionIds', p.parentPartitionIds);
  for (const parent of parents) {
    if (parent === id) throw new ValidationError(where, 'parentPartitionIds', `a partition cannot be its own parent`, parent);
    if (!all.includes(parent)) throw new ValidationError(where, 'parentPartitionIds', `${quote(parent)} is not a partition of this compute plane (${all.join(', ')})`, parent);
  }
  const podConfiguration = p.podConfiguration;
  if (podConfiguration !== undefined) {
    if (!isPlainObject(podConfiguration)) throw new ValidationError(where, 'podConfiguration', `must be an object of name: value strings, not ${describeValue(podConfiguration)}`, podConfiguration);
    for (const [k, v] of Object.entries(podConfiguration)) {
      if (typeof v !== 'string') throw new ValidationError(where, `podConfiguration.${k}`, `must be a string, not ${describeValue(v)}`, v);
    }
  }
  return {
    PartitionId: id,
    ParentPartitionIds: parents,
    PodReserved: podReserved,
    PodMax: podMax,
    PreemptionPercentage: int('preemptionPercentage', p.preemptionPercentage ?? 50, 0, 100),
    Priority: int('priority', p.priority ?? 1, 0),
    ...(podConfiguration === undefined ? {} : { PodConfiguration: { ...podConfiguration } }),
  };
}

/** A container's props, checked once where they enter: the image and resources only if given. */
interface CheckedContainer {
  readonly conf: ModuleList;
  readonly image?: string;
  readonly env?: Record<string, string>;
  readonly resources?: PlainResources;
}

/** A worker's props, checked: a container's, its name and security settings. */
interface CheckedWorker extends CheckedContainer {
  readonly name?: string;
  readonly security?: CheckedWorkerSecurity;
}

function checkWorker(where: string, field: string, props: WorkerProps | undefined): CheckedWorker {
  const w = checkObject<WorkerProps>(where, field, props, WORKER_PROPS);
  const { name, securityContext, ...container } = w;
  return {
    ...checkContainer(where, field, container, WORKER_RESOURCES),
    ...(name === undefined ? {} : { name: checkWorkerName(where, `${field}.name`, name) }),
    ...(securityContext === undefined ? {} : { security: checkWorkerSecurity(where, `${field}.securityContext`, securityContext) }),
  };
}

function checkContainer(where: string, field: string, props: ComputeContainerProps | undefined, defaults: ResourceDefaults): CheckedContainer {
  const c = checkObject<ComputeContainerProps>(where, field, props, CONTAINER_PROPS);
  const env = checkOptionalEnv(where, `${field}.env`, c.env);
  refuseDerivedEnv(where, `${field}.env`, env, (name) =>
    CHANNEL_VARIABLES.includes(name) ? "the partition's socketType"
      : field === 'pollingAgent' && PARTITION_ID_VARIABLES.includes(name) ? "the partition's name" : undefined);
  return {
    conf: checkModuleList(where, `${field}.conf`, c.conf),
    image: c.image === undefined ? undefined : checkImage(where, `${field}.image`, c.image),
    env,
    resources: c.resources === undefined ? undefined : plainResources(c.resources, defaults, where, `${field}.resources`),
  };
}
