import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { podsEndpoint, type ModuleEndpointProps } from '../../lib/contract/index.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { plainResources, scratchVolume, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkDns1035Label, checkImage, checkPort, checkReplicas, ensure } from '../../lib/k8s/validators.js';
import { ControlPlaneScaling } from './control-plane-scaling.js';
import { INIT_BY_JOB_ENV } from './init-job.js';
import type { ModuleEnv } from './module-env.js';
import { checkCoreSettingsSource, checkModuleEnv, checkModuleList, checkPodSettings, partitionNameReason, podSettingsSpec, POD_SETTINGS_PROPS, type PodSettingsProps } from './props.js';
import { checkInstance, checkObject, checkOptionalEnv } from '../../lib/k8s/props.js';
import { ARMONIK_IMAGES, CORE_POD_UID } from './versions.js';
import { armonikPodLabels, buildService, buildWorkload, coreConf, coreVersionOf, type CoreSettingsSource, type ModuleList, type Workload } from './workload.js';

/** Props of {@link ControlPlane}. */
export interface ControlPlaneProps extends PodSettingsProps {
  /** The modules the control plane consumes (AEP 5's `control_plane.conf`): queue, object and table storage. @default none */
  readonly conf?: ModuleList;
  /** The site-wide Core settings, loaded before `conf`. @default CoreSettings.defaults(), inline */
  readonly core?: CoreSettingsSource;
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Deployment and Service. @default 'control-plane' */
  readonly name?: string;
  /** ArmoniK Core release of the image; decides the probes. @default ARMONIK_VERSIONS.core ('0.37.2') */
  readonly coreVersion?: string;
  /** Image. @default `dockerhubaneo/armonik_control:<coreVersion>` */
  readonly image?: string;
  /** Replicas, when no `scaling` owns them. @default 1 */
  readonly replicas?: number;
  /** A KEDA ScaledObject on cpu and memory, as ArmoniK.Infra's `control_plane.hpa`. @default none: `replicas` */
  readonly scaling?: ControlPlaneScaling;
  /** Requests and limits. @default 50m/50Mi requests, 1/2Gi limits (ArmoniK's `control_plane`) */
  readonly resources?: ResourceRequirementsProps;
  /** Port of the Service in front of the gRPC API. @default 5001 */
  readonly servicePort?: number;
  /** `Submitter__DefaultPartition`: the partition of sessions that name none; it must exist. @default none */
  readonly defaultPartition?: string;
  /** Literal module env inline, or in a ConfigMap loaded with envFrom. @default ModuleEnv.INLINE */
  readonly moduleEnv?: ModuleEnv;
  /** The control plane's own settings (ArmoniK Core env, e.g. `Submitter__MaxErrorAllowed`); a module may not set them too. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

const CONTROL_PLANE_PROPS: ReadonlyArray<keyof ControlPlaneProps> = [
  'conf', 'core', 'namespace', 'name', 'coreVersion', 'image', 'replicas', 'scaling', 'resources', 'servicePort', 'defaultPartition', 'moduleEnv', 'env', ...POD_SETTINGS_PROPS,
];

/**
 * ArmoniK's control plane (ArmoniK.Infra `armonik/control-plane.tf`): the gRPC API (container port
 * 1080, HTTP/2, behind the Service port 5001) and its health and metrics endpoint (1081: ArmoniK.Core
 * `Control/Submitter/src/Program.cs` serves `/startup`, `/liveness`, `/metrics` there, and
 * `/readiness` from Core 0.40.1). Its probes are Infra's (startup, liveness, and readiness from
 * 0.40.1); before 0.40.1 readiness is a TCP check of the gRPC port. Pods carry `app=armonik`, `service=control-plane`; the database,
 * queue and object storage are initialized by the compute plane's init Job, not here.
 */
export class ControlPlane extends Construct {
  public static readonly GRPC_PORT = 1080;
  public static readonly METRICS_PORT = 1081;
  public readonly name: string;
  public readonly namespace: string;
  public readonly workload: Workload;
  public readonly service: ApiObject;
  /** The KEDA ScaledObject, when `scaling` is given. */
  public readonly autoscaler?: ApiObject;
  /** `<name>.<namespace>.svc.cluster.local:<servicePort>` */
  public readonly endpoint: string;
  /** Its pods on the gRPC port: where the ingress (or another client's NetworkPolicy) connects. */
  public readonly podsEndpoint: ModuleEndpointProps;
  /** `Submitter__DefaultPartition`, if set. */
  public readonly defaultPartition?: string;

  constructor(scope: Construct, id: string, props: ControlPlaneProps = {}) {
    super(scope, id);
    const where = `ControlPlane ${this.node.path}`;
    props = checkObject(where, 'props', props, CONTROL_PLANE_PROPS);
    this.namespace = resolveNamespace(this, where, props.namespace);
    // The name is the Deployment's, the Service's (a DNS-1035 label) and the ScaledObject's.
    this.name = checkDns1035Label(where, 'name', props.name ?? 'control-plane');
    const core = coreVersionOf(where, props.coreVersion);
    const image = checkImage(where, 'image', props.image ?? `${ARMONIK_IMAGES.controlPlane}:${core.version}`);
    const servicePort = checkPort(where, 'servicePort', props.servicePort ?? 5001);
    if (servicePort === ControlPlane.METRICS_PORT) {
      throw new ValidationError(where, 'servicePort', `${servicePort} is the Service's metrics port already (the API server refuses a Service with one port twice); choose another`, servicePort);
    }
    const env = checkOptionalEnv(where, 'env', props.env);
    const scaling = checkInstance(where, 'scaling', props.scaling, ControlPlaneScaling, 'ControlPlaneScaling.keda()');
    if (props.replicas !== undefined) checkReplicas(where, 'replicas', props.replicas);
    const moduleEnv = checkModuleEnv(where, 'moduleEnv', props.moduleEnv);
    const pod = checkPodSettings(this, where, props, { name: this.name, namespace: this.namespace });
    const confList = checkModuleList(where, 'conf', props.conf);
    if (props.defaultPartition !== undefined) ensure(where, 'defaultPartition', props.defaultPartition, partitionNameReason(props.defaultPartition));
    const envPartition = env?.Submitter__DefaultPartition;
    if (envPartition !== undefined) ensure(where, 'env.Submitter__DefaultPartition', envPartition, partitionNameReason(envPartition));
    if (props.defaultPartition !== undefined && env?.Submitter__DefaultPartition !== undefined) {
      throw new ValidationError(where, 'env', `Submitter__DefaultPartition is set by defaultPartition; give one of them`);
    }
    if (props.replicas !== undefined && scaling !== undefined) throw new ValidationError(where, 'replicas', `the scaling owns the replica count; give one of them`);
    this.defaultPartition = props.defaultPartition ?? env?.Submitter__DefaultPartition;
    const { conf, hashInputs } = coreConf(where, 'conf', checkCoreSettingsSource(where, 'core', props.core), confList);
    // ArmoniK.Infra `control-plane.tf`: liveness 15/5/1/1, startup 1/3/1/20 on 1081; readiness
    // on /readiness from Core 0.40.1. Before, where Infra has none, the pod is ready once the gRPC
    // port accepts connections (after its startup probe), so a rollout waits for the API.
    const probes = {
      port: ControlPlane.METRICS_PORT,
      startup: { path: '/startup', initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 20 },
      liveness: { path: '/liveness', initialDelaySeconds: 15, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 1 },
      readiness: core.atLeast('0.40.1')
        ? { path: '/readiness', periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 }
        : { tcpPort: ControlPlane.GRPC_PORT, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 },
    };
    this.workload = buildWorkload(this, {
      where,
      name: this.name,
      namespace: this.namespace,
      component: 'control-plane',
      instance: this.name,
      replicas: scaling ? undefined : (props.replicas ?? 1),
      moduleEnv,
      podLabels: armonikPodLabels('control-plane'),
      uid: CORE_POD_UID,
      hashInputs,
      ...podSettingsSpec(pod),
      volumes: [scratchVolume('tmp')],
      network: { metricsPorts: [ControlPlane.METRICS_PORT] },
      containers: [
        {
          name: 'control-plane',
          image,
          env: {
            ...INIT_BY_JOB_ENV,
            ...(props.defaultPartition === undefined ? {} : { Submitter__DefaultPartition: props.defaultPartition }),
            ...env,
          },
          ports: [
            { name: 'control-port', containerPort: ControlPlane.GRPC_PORT },
            { name: 'metrics-port', containerPort: ControlPlane.METRICS_PORT },
          ],
          probes,
          resources: plainResources(props.resources, { cpuRequest: '50m', memoryRequest: '50Mi', cpuLimit: '1', memoryLimit: '2Gi' }, where, 'resources'),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          conf,
          confField: 'core, conf',
        },
      ],
    });
    this.service = buildService(this, {
      name: this.name,
      namespace: this.namespace,
      labels: this.workload.labels,
      selector: this.workload.selector,
      ports: [
        { name: 'control-port', port: servicePort, targetPort: ControlPlane.GRPC_PORT },
        { name: 'metrics-port', port: ControlPlane.METRICS_PORT, targetPort: ControlPlane.METRICS_PORT },
      ],
      scrape: { port: ControlPlane.METRICS_PORT, path: '/metrics' },
    });
    this.autoscaler = scaling?._bind(this, where, { name: this.name, namespace: this.namespace, labels: this.workload.labels });
    this.endpoint = `${this.name}.${this.namespace}.svc.cluster.local:${servicePort}`;
    this.podsEndpoint = podsEndpoint(this.namespace, this.workload.selector, [ControlPlane.GRPC_PORT]);
    claimObjectNames(this, where);
  }
}
