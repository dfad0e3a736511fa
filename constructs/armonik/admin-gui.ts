import type { ApiObject } from 'cdk8s';
import { restrictedContainerSecurityContext, UNPRIVILEGED_ID } from '../../lib/k8s/security.js';
import { Construct } from 'constructs';
import { ModuleOutputs, podsEndpoint, type ModuleEndpointProps } from '../../lib/contract/index.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { checkObject } from '../../lib/k8s/props.js';
import { plainResources, scratchVolume, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1035Label, checkImage, checkPort, checkReplicas } from '../../lib/k8s/validators.js';
import { ModuleEnv } from './module-env.js';
import { checkPodSettings, podSettingsSpec, POD_SETTINGS_PROPS, type PodSettingsProps } from './props.js';
import { ARMONIK_IMAGES, ARMONIK_VERSIONS } from './versions.js';
import { armonikPodLabels, buildService, buildWorkload, type Workload } from './workload.js';

/** A Service type, with Infra's `HeadLess` (a ClusterIP Service without a cluster IP). */
export type GuiServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'HeadLess';

/** Props of {@link AdminGui}: ArmoniK.Infra 0.15.1's `gui` (`armonik/ingress/variables.tf`), in camelCase. */
export interface AdminGuiProps extends PodSettingsProps {
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Deployment and Service. @default 'gui' (Infra's, with no prefix) */
  readonly name?: string;
  /** Image. @default `dockerhubaneo/armonik_admin_app:<ARMONIK_VERSIONS.gui>` ('0.15.1', the GUI of ArmoniK 2.23.0) */
  readonly image?: string;
  /** Replicas. @default 1 */
  readonly replicas?: number;
  /** Requests and limits. @default 100m/128Mi requests, 1/1Gi limits (ArmoniK's quick-deploy `admin_gui`) */
  readonly resources?: ResourceRequirementsProps;
  /** Type of the Service. @default 'ClusterIP' (Infra's: the GUI is reached through the ingress) */
  readonly serviceType?: GuiServiceType;
  /** Port of the Service. @default 1080 */
  readonly port?: number;
}

const PROPS: ReadonlyArray<keyof AdminGuiProps> = ['namespace', 'name', 'image', 'replicas', 'resources', 'serviceType', 'port', ...POD_SETTINGS_PROPS];
const SERVICE_TYPES: readonly GuiServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'HeadLess'];

/**
 * ArmoniK's admin GUI (ArmoniK.Infra `armonik/ingress/admin-gui.tf`): the Angular app of
 * ArmoniK.Admin.GUI served by nginx at `/admin/<lang>/` on port 1080, behind the ingress, which
 * proxies `/admin/` to it; the browser then calls ArmoniK's gRPC-web API on the same origin.
 *
 * The image (ArmoniK.Admin.GUI `Dockerfile`, `nginx/nginx.default.conf`) runs as uid 10001 here
 * (its `armonik` user is 5000; see {@link AdminGui.UID}) and writes its pid, logs and temp files under `/tmp/run`, `/tmp/log/nginx` and
 * `/tmp/nginx`: each is an emptyDir here, so the pod is PodSecurity `restricted` with a read-only
 * root filesystem (nginx creates the temp directories it needs at start).
 */
export class AdminGui extends Construct {
  /** The port nginx listens on in the image (`nginx/nginx.conf`: `listen 1080`). */
  public static readonly CONTAINER_PORT = 1080;
  /**
   * uid and gid of the pods. The image names `armonik` (5000) but runs as any user: its files
   * are root-owned and readable, and nginx writes only to the emptyDirs. So above 10000.
   */
  public static readonly UID = UNPRIVILEGED_ID;
  public readonly name: string;
  public readonly namespace: string;
  public readonly port: number;
  public readonly workload: Workload;
  public readonly service: ApiObject;
  /** `http://<name>.<namespace>.svc.cluster.local:<port>`: what the ingress proxies `/admin/` to. */
  public readonly url: string;
  /** Its pods on the container port: where the ingress connects. */
  public readonly podsEndpoint: ModuleEndpointProps;

  constructor(scope: Construct, id: string, props: AdminGuiProps = {}) {
    super(scope, id);
    const where = `AdminGui ${this.node.path}`;
    props = checkObject(where, 'props', props, PROPS);
    this.namespace = resolveNamespace(this, where, props.namespace);
    this.name = checkDns1035Label(where, 'name', props.name ?? 'gui');
    const image = checkImage(where, 'image', props.image ?? `${ARMONIK_IMAGES.adminGui}:${ARMONIK_VERSIONS.gui}`);
    const replicas = checkReplicas(where, 'replicas', props.replicas ?? 1);
    const serviceType = props.serviceType ?? 'ClusterIP';
    if (!SERVICE_TYPES.includes(serviceType)) {
      throw new ValidationError(where, 'serviceType', `${showValue(serviceType)} is not ${SERVICE_TYPES.map((t) => `'${t}'`).join(', ')}`, serviceType);
    }
    // A headless Service has no port mapping: clients reach the pods on the container's port (Infra does the same).
    this.port = serviceType === 'HeadLess' ? AdminGui.CONTAINER_PORT : checkPort(where, 'port', props.port ?? AdminGui.CONTAINER_PORT);
    if (serviceType === 'HeadLess' && props.port !== undefined && props.port !== AdminGui.CONTAINER_PORT) {
      throw new ValidationError(where, 'port', `a HeadLess Service is reached on the container's port ${AdminGui.CONTAINER_PORT}; leave port out`, props.port);
    }
    const pod = checkPodSettings(this, where, props, { name: this.name, namespace: this.namespace });
    // The image's own index for English, which Infra's GUI always serves (`langs` must contain "en").
    const probe = { path: '/admin/en/', periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 };
    this.workload = buildWorkload(this, {
      where,
      name: this.name,
      namespace: this.namespace,
      component: 'admin-gui',
      instance: this.name,
      replicas,
      moduleEnv: ModuleEnv.INLINE,
      // Infra's `gui.labels`: `app = armonik`, `service = admin-gui`.
      podLabels: armonikPodLabels('admin-gui'),
      uid: AdminGui.UID,
      ...podSettingsSpec(pod),
      // The image logs to files (`nginx.default.conf`: /tmp/log/nginx/access.log, error.log), which would fill the
      // emptyDir and stay out of `kubectl logs`: links to the container's stdout and stderr, made before nginx opens them.
      initContainers: [{
        name: 'log-links',
        image,
        imagePullPolicy: pod.imagePullPolicy ?? 'IfNotPresent',
        command: ['/bin/sh', '-c', 'ln -sf /dev/stdout /tmp/log/nginx/access.log && ln -sf /dev/stderr /tmp/log/nginx/error.log'],
        resources: { requests: { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '1Mi' }, limits: { cpu: '100m', memory: '32Mi', 'ephemeral-storage': '16Mi' } },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: 'log', mountPath: '/tmp/log/nginx' }],
      }],
      volumes: [
        // A pid file and two symbolic links; nginx's request buffers.
        scratchVolume('run', '1Mi'),
        scratchVolume('log', '1Mi'),
        scratchVolume('nginx-temp'),
      ],
      containers: [
        {
          name: 'gui',
          image,
          ports: [{ name: 'app-port', containerPort: AdminGui.CONTAINER_PORT }],
          // Ready once the app's page is served; alive while nginx accepts connections (a failing
          // page takes the pod out of rotation rather than restarting nginx).
          probes: { port: AdminGui.CONTAINER_PORT, readiness: probe, liveness: { tcpPort: AdminGui.CONTAINER_PORT, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 5 } },
          resources: plainResources(props.resources, { cpuRequest: '100m', memoryRequest: '128Mi', cpuLimit: '1', memoryLimit: '1Gi' }, where, 'resources'),
          volumeMounts: [
            { name: 'run', mountPath: '/tmp/run' },
            { name: 'log', mountPath: '/tmp/log/nginx' },
            { name: 'nginx-temp', mountPath: '/tmp/nginx' },
          ],
          conf: ModuleOutputs.empty(),
          confField: 'none',
        },
      ],
    });
    this.service = buildService(this, {
      name: this.name,
      namespace: this.namespace,
      labels: this.workload.labels,
      selector: this.workload.selector,
      type: serviceType === 'HeadLess' ? 'ClusterIP' : serviceType,
      headless: serviceType === 'HeadLess',
      ports: [{ name: 'app-port', port: this.port, targetPort: AdminGui.CONTAINER_PORT, appProtocol: 'http' }],
    });
    this.url = `http://${this.name}.${this.namespace}.svc.cluster.local:${this.port}`;
    this.podsEndpoint = podsEndpoint(this.namespace, this.workload.selector, [AdminGui.CONTAINER_PORT]);
    claimObjectNames(this, where);
  }
}
