import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { plainResources, scratchVolume, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkDns1035Label, checkImage } from '../../lib/k8s/validators.js';
import type { ModuleEnv } from './module-env.js';
import { checkCoreSettingsSource, checkModuleEnv, checkModuleList, checkPodSettings, METRICS_EXPORTER_PROPS, podSettingsSpec, type PodSettingsProps } from './props.js';
import { checkObject, checkOptionalEnv } from '../../lib/k8s/props.js';
import { ARMONIK_IMAGES, CORE_POD_UID, type CoreVersion } from './versions.js';
import { armonikPodLabels, buildService, buildWorkload, coreConf, coreVersionOf, type CoreSettingsSource, type ModuleList, type Workload } from './workload.js';

/** Props of {@link MetricsExporter}. */
export interface MetricsExporterProps extends PodSettingsProps {
  /** The modules it consumes (AEP 5's `metrics_exporter.conf`): the table storage. @default none */
  readonly conf?: ModuleList;
  /** The site-wide Core settings, loaded before `conf`. @default CoreSettings.defaults(), inline */
  readonly core?: CoreSettingsSource;
  /** ArmoniK Core release of the image. @default ARMONIK_VERSIONS.core ('0.37.2') */
  readonly coreVersion?: string;
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Deployment and Service. @default 'metrics-exporter' */
  readonly name?: string;
  /** Image. @default `dockerhubaneo/armonik_control_metrics:<coreVersion>` */
  readonly image?: string;
  /** Requests and limits. @default 100m/128Mi requests, 500m/512Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Literal module env inline, or in a ConfigMap loaded with envFrom. @default ModuleEnv.INLINE */
  readonly moduleEnv?: ModuleEnv;
  /** Its own settings; a module may not set them too. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * ArmoniK's metrics exporter (ArmoniK.Infra `armonik/metrics-exporter.tf` and
 * `monitoring/onpremise/exporters/metrics-exporter`): task counts per partition and status, read
 * from the table storage, in Prometheus format on container port 1080 behind the Service port 9419,
 * annotated for scraping. The autoscalers of the partitions query `armonik_<partition>_tasks_queued`
 * from it under the Prometheus job `metrics-exporter`. ArmoniK.Core `Control/Metrics/src/Program.cs`
 * serves `/startup`, `/liveness` and `/metrics`, so it gets a startup and a liveness probe with
 * Infra's timings, and, as there is no readiness endpoint, a TCP readiness check of the port.
 */
export class MetricsExporter extends Construct {
  public static readonly CONTAINER_PORT = 1080;
  public static readonly SERVICE_PORT = 9419;
  public readonly name: string;
  public readonly namespace: string;
  public readonly workload: Workload;
  public readonly service: ApiObject;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;

  constructor(scope: Construct, id: string, props: MetricsExporterProps = {}) {
    super(scope, id);
    const where = `MetricsExporter ${this.node.path}`;
    props = checkObject(where, 'props', props, METRICS_EXPORTER_PROPS);
    this.namespace = resolveNamespace(this, where, props.namespace);
    // The name is the Deployment's and the Service's (a DNS-1035 label).
    this.name = checkDns1035Label(where, 'name', props.name ?? 'metrics-exporter');
    const core = coreVersionOf(where, props.coreVersion);
    this.workload = exporterWorkload(this, where, {
      name: this.name,
      namespace: this.namespace,
      component: 'metrics-exporter',
      core,
      image: checkImage(where, 'image', props.image ?? `${ARMONIK_IMAGES.metricsExporter}:${core.version}`),
      props,
    });
    this.service = buildService(this, {
      name: this.name,
      namespace: this.namespace,
      labels: this.workload.labels,
      selector: this.workload.selector,
      ports: [{ name: 'metrics', port: MetricsExporter.SERVICE_PORT, targetPort: MetricsExporter.CONTAINER_PORT }],
      scrape: { port: MetricsExporter.SERVICE_PORT, path: '/metrics' },
    });
    this.host = `${this.name}.${this.namespace}.svc.cluster.local`;
    claimObjectNames(this, where);
  }
}

/** The Deployment of an exporter (shared with the partition metrics exporter). */
export function exporterWorkload(
  scope: Construct,
  where: string,
  spec: { name: string; namespace: string; component: string; core: CoreVersion; image: string; env?: Readonly<Record<string, string>>; props: MetricsExporterProps },
): Workload {
  const env = checkOptionalEnv(where, 'env', spec.props.env);
  const moduleEnv = checkModuleEnv(where, 'moduleEnv', spec.props.moduleEnv);
  const { conf, hashInputs } = coreConf(where, 'conf', checkCoreSettingsSource(where, 'core', spec.props.core), checkModuleList(where, 'conf', spec.props.conf));
  return buildWorkload(scope, {
    where,
    name: spec.name,
    namespace: spec.namespace,
    component: spec.component,
    instance: spec.name,
    replicas: 1,
    moduleEnv,
    podLabels: { ...armonikPodLabels(spec.component), type: 'monitoring' },
    uid: CORE_POD_UID,
    hashInputs,
    ...podSettingsSpec(checkPodSettings(scope, where, spec.props, { name: spec.name, namespace: spec.namespace })),
    volumes: [scratchVolume('tmp')],
    network: { metricsPorts: [MetricsExporter.CONTAINER_PORT] },
    containers: [
      {
        name: spec.component,
        image: spec.image,
        env: { ...spec.env, ...env },
        ports: [{ name: 'metrics', containerPort: MetricsExporter.CONTAINER_PORT }],
        // ArmoniK.Infra `metrics-exporter.tf`: startup 1/3/1/20, liveness 15/5/1/1. Core serves no
        // /readiness here: the pod is ready once the port accepts connections (after startup).
        probes: {
          port: MetricsExporter.CONTAINER_PORT,
          startup: { path: '/startup', initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 20 },
          liveness: { path: '/liveness', initialDelaySeconds: 15, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 1 },
          readiness: { tcpPort: MetricsExporter.CONTAINER_PORT, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 },
        },
        resources: plainResources(spec.props.resources, { cpuRequest: '100m', memoryRequest: '128Mi', cpuLimit: '500m', memoryLimit: '512Mi' }, where, 'resources'),
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        conf,
        confField: 'core, conf',
      },
    ],
  });
}
