import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ResourceRequirementsProps } from '../../lib/k8s/index.js';
import { ModuleEnv } from './module-env.js';
import { ARMONIK_CORE_VERSION, buildService, buildWorkload, checkImage, mergeConf, plainResources, resolveNamespace, type ModuleList, type Workload } from './workload.js';

/** Props of {@link ControlPlane}. */
export interface ControlPlaneProps {
  /** The modules the control plane consumes (AEP 5's `control_plane.conf`): queue, object and table storage. @default none */
  readonly conf?: ModuleList;
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Deployment and Service. @default 'control-plane' */
  readonly name?: string;
  /** Image. @default `dockerhubaneo/armonik_control:<ARMONIK_CORE_VERSION>` */
  readonly image?: string;
  /** Replicas. @default 1 */
  readonly replicas?: number;
  /** Requests and limits. @default 500m/512Mi requests, 1/2Gi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Port of the Service in front of the gRPC API. @default 5001 */
  readonly servicePort?: number;
  /** Literal module env inline, or in a ConfigMap loaded with envFrom. @default ModuleEnv.INLINE */
  readonly moduleEnv?: ModuleEnv;
  /** The control plane's own settings (ArmoniK Core env, e.g. `Submitter__DefaultPartition`); a module may not set them too. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * ArmoniK's control plane: the gRPC API (container port 1080, Service port 5001) and its
 * health and metrics endpoint (1081, scraped by Prometheus), consuming its `conf` modules.
 */
export class ControlPlane extends Construct {
  public static readonly GRPC_PORT = 1080;
  public static readonly METRICS_PORT = 1081;
  public readonly name: string;
  public readonly namespace: string;
  public readonly workload: Workload;
  public readonly service: ApiObject;
  /** `<name>.<namespace>.svc.cluster.local:<servicePort>` */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: ControlPlaneProps = {}) {
    super(scope, id);
    const where = `ControlPlane ${this.node.path}`;
    this.namespace = resolveNamespace(this, where, props.namespace);
    this.name = props.name ?? 'control-plane';
    const image = checkImage(where, 'image', props.image ?? `dockerhubaneo/armonik_control:${ARMONIK_CORE_VERSION}`);
    const servicePort = props.servicePort ?? 5001;
    this.workload = buildWorkload(this, {
      where,
      name: this.name,
      namespace: this.namespace,
      component: 'control-plane',
      instance: this.name,
      replicas: props.replicas ?? 1,
      moduleEnv: props.moduleEnv ?? ModuleEnv.INLINE,
      volumes: [{ name: 'tmp', emptyDir: {} }],
      containers: [
        {
          name: 'control-plane',
          image,
          env: props.env,
          ports: [
            { name: 'grpc', containerPort: ControlPlane.GRPC_PORT },
            { name: 'metrics', containerPort: ControlPlane.METRICS_PORT },
          ],
          probes: { port: ControlPlane.METRICS_PORT, startup: '/startup', liveness: '/liveness', readiness: '/readiness' },
          resources: plainResources(props.resources, { cpuRequest: '500m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '2Gi' }),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          conf: mergeConf(where, 'conf', props.conf ?? []),
          confField: 'conf',
        },
      ],
    });
    this.service = buildService(this, {
      name: this.name,
      namespace: this.namespace,
      labels: this.workload.labels,
      selector: this.workload.selector,
      ports: [
        { name: 'grpc', port: servicePort, targetPort: ControlPlane.GRPC_PORT },
        { name: 'metrics', port: ControlPlane.METRICS_PORT, targetPort: ControlPlane.METRICS_PORT },
      ],
      scrape: { port: ControlPlane.METRICS_PORT, path: '/metrics' },
    });
    this.endpoint = `${this.name}.${this.namespace}.svc.cluster.local:${servicePort}`;
  }
}
