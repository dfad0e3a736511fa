/**
 * What every ArmoniK component shares: merging its `conf` modules (conflicts are errors naming
 * both modules and the component), rendering them into its containers, and the restricted pod
 * and labels of an ArmoniK Deployment. Objects are raw `ApiObject`s of plain Kubernetes JSON: the
 * contract renders plain JSON, which the L1 classes would partly drop (quantities, ports).
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import type { Construct } from 'constructs';
import { applyToPodSpec, ModuleOutputs, ModuleOutputsError, PodVolumeNames, type IModule, type PodSpecParts, type Volume } from '../../lib/contract/index.js';
import { appLabels, selectorLabels } from '../../lib/k8s/labels.js';
import { NetworkPolicies, type NetworkPolicyTarget, type NetworkRuleProps } from '../../lib/network/index.js';
import { shortHash } from '../../lib/k8s/names.js';
import type { PlainResources } from '../../lib/k8s/resources.js';
import { onePodAtATime } from '../../lib/k8s/disruption-budget.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/security.js';
import { by } from '../../lib/k8s/sort.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { dns1123SubdomainReason, normalizeAbsolutePath } from '../../lib/k8s/validators.js';
import { CoreSettings } from './core-settings.js';
import { MODULE_ENV_HASH_ANNOTATION, ModuleEnv } from './module-env.js';
import { checkModuleList } from './props.js';
import { ARMONIK_VERSIONS, CoreVersion } from './versions.js';

/** A list of modules, as AEP 5's `conf`. */
export type ModuleList = ReadonlyArray<IModule | ModuleOutputs>;

/** The Core settings a component loads first: a {@link CoreSettings} ConfigMap, or any module. */
export type CoreSettingsSource = IModule | ModuleOutputs;

/** The Core version of a component: its `coreVersion` prop, checked. */
export function coreVersionOf(where: string, version: string | undefined): CoreVersion {
  return CoreVersion.parse(version ?? ARMONIK_VERSIONS.core, where);
}

/**
 * A Core component's modules: the Core settings first (default: ARMONIK_CORE_SETTINGS inline),
 * then its `conf`. Returns also what rolls the pods when a CoreSettings ConfigMap changes.
 */
export function coreConf(where: string, field: string, core: CoreSettingsSource | undefined, conf: ModuleList): { conf: ModuleOutputs; hashInputs: string[] } {
  checkModuleList(where, field.replace(/^core, /, ''), conf);
  const settings = core ?? CoreSettings.defaults();
  return {
    conf: mergeConf(where, `core, ${field}`, [settings, ...conf]),
    hashInputs: settings instanceof CoreSettings ? [settings.name, JSON.stringify(settings.env)] : [],
  };
}

/** Merges a consumer's modules; a conflict is an error that names the consumer too. */
export function mergeConf(where: string, field: string, conf: ModuleList): ModuleOutputs {
  checkModuleList(where, field, conf);
  if (conf.length === 0) return ModuleOutputs.empty();
  try {
    return ModuleOutputs.merge(conf);
  } catch (err) {
    if (err instanceof ModuleOutputsError) {
      throw new ModuleOutputsError(err.module, err.path, `${reasonOf(err)} (in ${where}: ${field})`, err.conflictsWith);
    }
    throw err;
  }
}

/** The reason of a ModuleOutputsError, without the `module(s) ...: <pointer>: ` prefix. */
function reasonOf(err: ModuleOutputsError): string {
  const who = err.conflictsWith === undefined ? `module "${err.module}"` : `modules "${err.conflictsWith}" and "${err.module}"`;
  const prefix = `${who}: ${err.path || '/'}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/**
 * The ConfigMap of a container's literal module env. cdk8s rebuilds objects by assignment when it
 * synthesizes, which would drop a key named `__proto__` (a valid env name); such data is added
 * by a JSON patch instead, which keeps every key.
 */
function envConfigMap(scope: Construct, id: string, metadata: Record<string, unknown>, data: Record<string, string>): ApiObject {
  const keepByPatch = Object.prototype.hasOwnProperty.call(data, '__proto__');
  const cm = new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata, ...(keepByPatch ? {} : { data }) });
  if (keepByPatch) cm.addJsonPatch(JsonPatch.add('/data', data));
  return cm;
}

/** One container of a component. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  /** The component's own env (not from modules); a module setting one of these is an error. */
  readonly env?: Readonly<Record<string, string>>;
  readonly ports?: ReadonlyArray<{ readonly name: string; readonly containerPort: number }>;
  /** Probes: HTTP on one port, or a TCP connection to a port of their own. */
  readonly probes?: { readonly port: number; readonly liveness?: HttpProbe | TcpProbe; readonly readiness?: HttpProbe | TcpProbe; readonly startup?: HttpProbe };
  readonly resources: PlainResources;
  /** Security settings beyond the restricted defaults a container may take (a worker's `securityContext`). @default restricted, read-only root filesystem */
  readonly security?: { readonly writableRootFilesystem?: boolean; readonly runAsUser?: number; readonly runAsGroup?: number };
  /** The component's own mounts (e.g. the shared socket directory). */
  readonly volumeMounts?: ReadonlyArray<Record<string, unknown>>;
  /** The merged modules this container consumes. */
  readonly conf: ModuleOutputs;
  /** Which `conf` field(s) this container's modules came from, for messages. */
  readonly confField: string;
}

/** An HTTP GET probe: path and timing (seconds), as ArmoniK.Infra sets them per component. */
export interface HttpProbe {
  readonly path: string;
  readonly initialDelaySeconds?: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** A TCP probe: the container accepts connections on `tcpPort`, and its timing (seconds). */
export interface TcpProbe extends Omit<HttpProbe, 'path'> {
  readonly tcpPort: number;
}

/** A component's Deployment. */
export interface WorkloadSpec {
  readonly where: string;
  readonly name: string;
  readonly namespace: string;
  /** `app.kubernetes.io/component`. */
  readonly component: string;
  readonly instance: string;
  /** Absent: let an autoscaler own the replica count. */
  readonly replicas?: number;
  readonly containers: readonly ContainerSpec[];
  /** The component's own pod volumes. */
  readonly volumes?: readonly Volume[];
  readonly moduleEnv: ModuleEnv;
  /** Labels of the objects and pods, and of the selector (immutable: keep it stable). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /**
   * Labels of the objects and pods only, e.g. ArmoniK.Infra's `app=armonik`, `service=...`,
   * `partition=...` that its Prometheus jobs and Grafana dashboards select on.
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** The component's own pod annotations. */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** The user's pod annotations (an `annotations` prop), under the component's own. @default none */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly priorityClassName?: string;
  readonly terminationGracePeriodSeconds?: number;
  /** uid and gid of the pod (also its fsGroup, so the emptyDirs are writable). */
  readonly uid: number;
  /** What else rolls the pods when it changes (e.g. a CoreSettings ConfigMap loaded whole). */
  readonly hashInputs?: readonly string[];
  /** Init containers, as Kubernetes spells them (run before `containers`, restricted by the caller). @default none */
  readonly initContainers?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** ServiceAccount of the pods; its token is mounted only when one is given (e.g. for a cloud IAM role). @default none, no token */
  readonly serviceAccountName?: string;
  /** Labels of the nodes the pods may run on. @default none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Tolerations of the pods, as Kubernetes spells them. @default none */
  readonly tolerations?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Secrets to pull the images with. @default none */
  readonly imagePullSecrets?: readonly string[];
  /** `imagePullPolicy` of every container. @default none (Kubernetes': IfNotPresent unless the tag is `latest`) */
  readonly imagePullPolicy?: string;
  /**
   * The pods' network beyond their modules (whose endpoints they reach, and which accept them):
   * metrics ports, upstreams, clients. @default the modules only
   */
  readonly network?: WorkloadNetwork;
}

/** What a component's NetworkPolicy allows besides its modules' endpoints and DNS. */
export interface WorkloadNetwork {
  /** Ports the metrics scraper reaches. */
  readonly metricsPorts?: readonly number[];
  /** It talks to the API server. */
  readonly apiServer?: boolean;
  /** Ports of the scraper (Prometheus) it queries. */
  readonly queriesScraper?: readonly number[];
  /** Other endpoints it connects to (e.g. the ingress's upstreams). */
  readonly consumes?: ReadonlyArray<IModule | ModuleOutputs>;
  readonly allowIngress?: readonly NetworkRuleProps[];
  readonly allowEgress?: readonly NetworkRuleProps[];
}

/** What {@link buildWorkload} created. */
export interface Workload {
  readonly deployment: ApiObject;
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
  /** Generated env ConfigMaps (ModuleEnv.CONFIG_MAP), by container name. */
  readonly envConfigMaps: Readonly<Record<string, ApiObject>>;
  /** Claims created for `mount_volume_claim`. */
  readonly claims: readonly ApiObject[];
  /** The pods' NetworkPolicy. */
  readonly networkPolicy: NetworkPolicyTarget;
  /** Its PodDisruptionBudget, when it runs more than one pod or an autoscaler owns the count. */
  readonly disruptionBudget?: ApiObject;
}

/** A component's pod template and the objects its modules need (env ConfigMaps, claims). */
export interface PodTemplate {
  /** `{ metadata, spec }` of a pod template. */
  readonly template: Record<string, unknown>;
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly envConfigMaps: Readonly<Record<string, ApiObject>>;
  readonly claims: readonly ApiObject[];
}

/** A component's Deployment around its {@link buildPodTemplate}. */
export function buildWorkload(scope: Construct, spec: WorkloadSpec): Workload {
  const pod = buildPodTemplate(scope, spec);
  const deployment = new ApiObject(scope, 'deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace: spec.namespace, labels: pod.labels },
    spec: {
      ...(spec.replicas === undefined ? {} : { replicas: spec.replicas }),
      selector: { matchLabels: pod.selector },
      template: pod.template,
    },
  });
  // A drain takes one pod at a time from a workload that may run several (an autoscaled
  // partition's running tasks are retried, but not all at once); a single pod has nothing to keep.
  const disruptionBudget = spec.replicas === undefined || spec.replicas > 1
    ? onePodAtATime(scope, { name: spec.name, namespace: spec.namespace, labels: pod.labels }, pod.selector)
    : undefined;
  const networkPolicy = registerNetworkPolicy(scope, spec, pod);
  return { deployment, selector: pod.selector, labels: pod.labels, envConfigMaps: pod.envConfigMaps, claims: pod.claims, networkPolicy, disruptionBudget };
}

/**
 * The restricted pod template of a component: each container with its own env, ports, probes and
 * mounts plus what its merged modules render; one pod volume per distinct source.
 */
export function buildPodTemplate(scope: Construct, spec: WorkloadSpec & { readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never' }): PodTemplate {
  const labelProps = { name: spec.component, instance: spec.instance, component: spec.component, partOf: 'armonik' };
  const labels = { ...appLabels(labelProps), ...spec.extraLabels, ...spec.podLabels };
  const selector = { ...selectorLabels(labelProps), ...spec.extraLabels };
  const envConfigMaps: Record<string, ApiObject> = {};
  const claims: ApiObject[] = [];
  const hashInput: string[] = [...(spec.hashInputs ?? [])];
  const podVolumes = new Map<string, Volume>();
  for (const v of spec.volumes ?? []) podVolumes.set(v.name, v);
  // One namer for the whole pod: containers agree on shared sources, and no name is given twice.
  const volumeNames = new PodVolumeNames(podVolumes.keys());

  const containers = spec.containers.map((c) => {
    // The component's own env wins nowhere silently: a module setting it is an error.
    for (const e of c.conf.envEntries) {
      if (c.env && Object.prototype.hasOwnProperty.call(c.env, e.name)) {
        throw new ModuleOutputsError(e.module, e.path, `"${e.name}" is set by ${spec.where} itself (container "${c.name}"); remove it from the module (in ${spec.where}: ${c.confField})`);
      }
    }
    // A module mounting where the container mounts its own volume (e.g. /tmp): named here, with the module.
    const ownPaths = new Set((c.volumeMounts ?? []).map((m) => normalizeAbsolutePath(String(m.mountPath))));
    for (const m of c.conf.mounts) {
      if (ownPaths.has(m.mountPath)) {
        throw new ModuleOutputsError(m.module, `${m.path}/path`, `mounts at "${m.mountPath}", where container "${c.name}" of ${spec.where} mounts its own volume; mount it elsewhere (in ${spec.where}: ${c.confField})`);
      }
    }
    let outputs = c.conf;
    if (spec.moduleEnv === ModuleEnv.CONFIG_MAP) {
      const literal = c.conf.literalEnv();
      if (Object.keys(literal).length > 0) {
        const cmName = `${spec.name}-${c.name}-env`;
        const reason = dns1123SubdomainReason(cmName, 'ConfigMap');
        if (reason) throw new ValidationError(spec.where, 'name', `the env ConfigMap of container "${c.name}" would be named ${reason}`, spec.name);
        envConfigMaps[c.name] = envConfigMap(scope, `${c.name}-env`, { name: cmName, namespace: spec.namespace, labels }, literal);
        hashInput.push(cmName, JSON.stringify(literal));
        outputs = c.conf.withoutLiteralEnv().withEnvFromConfigMap(cmName, spec.name);
      }
    }
    const parts: PodSpecParts = outputs.toPodSpecParts({ claimNamePrefix: spec.name, volumeNames });
    for (const claim of parts.persistentVolumeClaims) {
      // The same claim for two containers (PodVolumeNames refuses two different claims under one name).
      if (claims.some((x) => x.metadata.name === claim.name)) continue;
      claims.push(new ApiObject(scope, `claim-${claim.name}`, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim.name, namespace: spec.namespace, labels },
        spec: claim.spec,
      }));
    }
    for (const v of parts.volumes) podVolumes.set(v.name, v);
    const own: Record<string, unknown> = {
      name: c.name,
      image: c.image,
      ...(spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy }),
      ...(c.ports?.length ? { ports: c.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })) } : {}),
      ...(c.env && Object.keys(c.env).length ? { env: Object.keys(c.env).sort().map((name) => ({ name, value: c.env![name] })) } : {}),
      ...probes(c.probes),
      resources: c.resources,
      securityContext: {
        ...restrictedContainerSecurityContext({ writableRootFilesystem: c.security?.writableRootFilesystem }),
        ...(c.security?.runAsUser === undefined ? {} : { runAsUser: c.security.runAsUser }),
        ...(c.security?.runAsGroup === undefined ? {} : { runAsGroup: c.security.runAsGroup }),
      },
      ...(c.volumeMounts?.length ? { volumeMounts: [...c.volumeMounts] } : {}),
    };
    const applied = applyToPodSpec({ containers: [own as { name: string }] }, { ...parts, volumes: [] });
    return applied.containers[0];
  });

  const annotations = { ...spec.annotations, ...spec.podAnnotations, ...(hashInput.length ? { [MODULE_ENV_HASH_ANNOTATION]: shortHash(hashInput.join('\n'), 16) } : {}) };
  const volumes = [...podVolumes.values()].sort(by('name'));
  const template = {
    metadata: { labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : { automountServiceAccountToken: false }),
      enableServiceLinks: false,
      ...(spec.restartPolicy ? { restartPolicy: spec.restartPolicy } : {}),
      ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
      ...(spec.nodeSelector && Object.keys(spec.nodeSelector).length ? { nodeSelector: { ...spec.nodeSelector } } : {}),
      ...(spec.tolerations?.length ? { tolerations: spec.tolerations.map((t) => ({ ...t })) } : {}),
      ...(spec.imagePullSecrets?.length ? { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) } : {}),
      ...(spec.terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds }),
      securityContext: restrictedPodSecurityContext(spec.uid),
      ...(spec.initContainers?.length ? { initContainers: spec.initContainers.map((c) => ({ ...c })) } : {}),
      containers,
      ...(volumes.length ? { volumes } : {}),
    },
  };
  return { template, selector, labels, envConfigMaps, claims };
}

/**
 * The NetworkPolicy of a component's pods, registered after its workload object (so that it
 * follows it in the manifests): egress to every endpoint of the containers' modules, whose pods
 * accept these pods in return, and what `spec.network` adds.
 */
export function registerNetworkPolicy(scope: Construct, spec: WorkloadSpec, pod: PodTemplate): NetworkPolicyTarget {
  return NetworkPolicies.of(scope).add(scope, spec.where, {
    name: spec.name,
    namespace: spec.namespace,
    podSelector: pod.selector,
    podLabels: pod.labels,
    consumes: [...spec.containers.map((c) => c.conf), ...(spec.network?.consumes ?? [])],
    metricsPorts: spec.network?.metricsPorts,
    apiServer: spec.network?.apiServer,
    queriesScraper: spec.network?.queriesScraper,
    allowIngress: spec.network?.allowIngress,
    allowEgress: spec.network?.allowEgress,
  });
}

function probes(p: ContainerSpec['probes']): Record<string, unknown> {
  if (!p) return {};
  const probe = (pr: HttpProbe | TcpProbe) => {
    if ('tcpPort' in pr) {
      const { tcpPort, ...timing } = pr;
      return { tcpSocket: { port: tcpPort }, ...timing };
    }
    const { path, ...timing } = pr;
    return { httpGet: { path, port: p.port }, ...timing };
  };
  return {
    ...(p.startup ? { startupProbe: probe(p.startup) } : {}),
    ...(p.liveness ? { livenessProbe: probe(p.liveness) } : {}),
    ...(p.readiness ? { readinessProbe: probe(p.readiness) } : {}),
  };
}

/** ArmoniK's pod labels (ArmoniK.Infra `armonik/locals.tf`): what its Prometheus jobs and dashboards select. */
export function armonikPodLabels(service: string, partition?: string): Record<string, string> {
  return { app: 'armonik', service, ...(partition === undefined ? {} : { partition }) };
}

/**
 * The Prometheus ArmoniK.Infra deploys in ArmoniK's namespace (its Service `prometheus`, port
 * 9090): what the KEDA triggers of the partitions and the pod-deletion-cost updater query.
 */
export function armonikPrometheusAddress(namespace: string): string {
  return `http://prometheus.${namespace}.svc.cluster.local:9090`;
}

/** A Service in front of a component, optionally scraped by Prometheus. */
export function buildService(
  scope: Construct,
  spec: {
    name: string; namespace: string; labels: Record<string, string>; selector: Record<string, string>;
    ports: ReadonlyArray<{ name: string; port: number; targetPort: number; appProtocol?: string }>; scrape?: { port: number; path: string };
    /** @default 'ClusterIP' */
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    /** `clusterIP: None` (a headless ClusterIP Service). @default false */
    headless?: boolean;
    annotations?: Readonly<Record<string, string>>;
  },
): ApiObject {
  return new ApiObject(scope, 'service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: spec.labels,
      ...(spec.scrape || spec.annotations
        ? {
          annotations: {
            ...spec.annotations,
            ...(spec.scrape ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(spec.scrape.port), 'prometheus.io/path': spec.scrape.path } : {}),
          },
        }
        : {}),
    },
    spec: {
      type: spec.type ?? 'ClusterIP',
      ...(spec.headless ? { clusterIP: 'None' } : {}),
      selector: spec.selector,
      ports: spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
    },
  });
}
