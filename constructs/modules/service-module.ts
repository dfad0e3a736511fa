/**
 * What the in-cluster module constructs share: their common props and the StatefulSet + Services
 * that run a storage or queue service under the restricted Pod Security profile.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { onePodAtATime } from '../../lib/k8s/disruption-budget.js';
import { appLabels, selectorLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { plainResources, quantities, SCRATCH_SIZE_LIMIT, type PlainResources, type ResourceDefaults, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/security.js';
import { quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import {
  checkDns1035Label,
  checkImage,
  checkQuantity,
  checkReplicas,
  checkStorageClass,
  dns1035LabelReason,
  ensure,
  isHttpUrl,
  statefulSetNameReason,
  urlCredentialsReason,
} from '../../lib/k8s/validators.js';
import { checkPropsObject } from '../../lib/k8s/props.js';
import { ANYWHERE, checkCidrs, podsEndpoint, type ModuleEndpointProps } from '../../lib/contract/index.js';
import { NetworkPolicies, type NetworkPolicyTarget } from '../../lib/network/index.js';

/** Props every in-cluster module accepts. */
export interface ServiceModuleProps {
  /** Namespace the service runs in; consumers reach it at `<name>.<namespace>.svc.cluster.local`. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Service, StatefulSet and the default Secret names. @default the module's (e.g. `activemq`) */
  readonly name?: string;
  /** Container image reference (repository:tag or @digest). @default the module's pinned image */
  readonly image?: string;
  /** Requests and limits of the service container. @default 250m/512Mi requests, 1/1Gi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Size of the data volume of each replica. @default '8Gi' */
  readonly storageSize?: string;
  /** Storage class of the data volume. @default the cluster's default class */
  readonly storageClass?: string;
  /** Replicas of the StatefulSet. @default 1 */
  readonly replicas?: number;
}

/** The resolved identity of a module: where it runs, who reads its errors, its checked props. */
export interface ModuleIdentity {
  readonly name: string;
  readonly namespace: string;
  /** `<Kind> <construct path>`, the prefix of every error message. */
  readonly where: string;
  /** The image, checked, when one is given. */
  readonly image?: string;
  /** Replicas, checked. @default 1 */
  readonly replicas: number;
  /** Size of each data volume, a quantity above zero. */
  readonly storageSize: string;
  /** Storage class, checked, when one is given. */
  readonly storageClass?: string;
  /** Requests and limits, checked, over the module's defaults (plain JSON quantities). */
  readonly resources: PlainResources;
}

/** Requests and limits of a module's service container when none are given. */
export const MODULE_RESOURCES: ResourceDefaults = { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '1Gi' };

/** Options of {@link resolveIdentity}. */
export interface IdentityOptions {
  /** The module's name when none is given, e.g. `activemq`. */
  readonly defaultName: string;
  /** Requests and limits when none are given. @default MODULE_RESOURCES */
  readonly resources?: ResourceDefaults;
  /**
   * The names of the Services and StatefulSets the module derives from its name: each Service
   * name must be a DNS-1035 label, each StatefulSet name leave room for its pods' labels.
   * @default the module's Service `<name>`, its headless Service `<name>-headless` and StatefulSet `<name>`
   */
  readonly derived?: (name: string) => { readonly services: readonly string[]; readonly statefulSets: readonly string[] };
}

/**
 * Checks the props every in-cluster module shares, where they enter: the props object, the name
 * (and the Service and StatefulSet names derived from it), namespace, image, replicas, storage
 * size and class, requests and limits. Errors are ValidationErrors of `<Kind> <path>`.
 */
export function resolveIdentity(scope: Construct, kind: string, props: ServiceModuleProps | undefined, options: IdentityOptions): ModuleIdentity {
  const where = `${kind} ${scope.node.path}`;
  const p = checkPropsObject<ServiceModuleProps>(where, props);
  const name = checkDns1035Label(where, 'name', p.name ?? options.defaultName);
  const derived = options.derived?.(name) ?? { services: [name, `${name}-headless`], statefulSets: [name] };
  for (const service of derived.services) {
    const reason = dns1035LabelReason(service);
    if (reason) throw new ValidationError(where, 'name', service === name ? reason : `${quote(name)} is too long or invalid for the derived Service name: ${reason}`, name);
  }
  for (const sts of derived.statefulSets) {
    const reason = statefulSetNameReason(sts);
    if (reason) throw new ValidationError(where, 'name', sts === name ? reason : `${quote(name)} is too long or invalid for the derived StatefulSet name: ${reason}`, name);
  }
  const namespace = resolveNamespace(scope, where, p.namespace);
  const replicas = checkReplicas(where, 'replicas', p.replicas ?? 1);
  const image = p.image === undefined ? undefined : checkImage(where, 'image', p.image);
  const storageSize = checkQuantity(where, 'storageSize', p.storageSize ?? '8Gi', { positive: true });
  const storageClass = p.storageClass === undefined ? undefined : checkStorageClass(where, 'storageClass', p.storageClass);
  const resources = plainResources(p.resources, options.resources ?? MODULE_RESOURCES, where, 'resources');
  return { name, namespace, where, image, replicas, storageSize, storageClass, resources };
}

/** Checks an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-'). */
export function checkBucketName(where: string, field: string, value: string): string {
  const ok = typeof value === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value);
  const shown = showValue(value);
  return ensure(where, field, value, ok ? undefined : `${shown} is not a valid S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)`);
}

/** Checks a MongoDB database name: 1 to 63 characters, none of `/\\. "$`. */
export function checkMongoDatabaseName(where: string, field: string, value: string): string {
  const ok = typeof value === 'string' && /^[^/\\. "$]{1,63}$/.test(value);
  const shown = showValue(value);
  return ensure(where, field, value, ok ? undefined : `${shown} is not a MongoDB database name (1 to 63 characters, none of '/', '\\', '.', ' ', '"', '$')`);
}

/**
 * Checks an http(s) URL prop that goes into manifests as it is: a URL, without `user:password@`
 * (`credentialsWhere` says where the credentials belong instead).
 */
export function checkUrl(where: string, field: string, value: string, credentialsWhere: string): string {
  ensure(where, field, value, urlCredentialsReason(value, credentialsWhere));
  if (!isHttpUrl(value)) throw new ValidationError(where, field, `${showValue(value)} is not an http(s) URL (such as "https://host[:port][/path]")`, value);
  return value;
}

/** One port of the service. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
}

/** A probe's check: a TCP connection to a port, or an HTTP GET answered 2xx/3xx. */
export type ProbeCheck = { readonly tcpPort: number } | { readonly httpPath: string; readonly port: number };

/** The probes of a module's service container. */
export interface ServiceProbes {
  /** When the pod is in its Services' endpoints. */
  readonly readiness: ProbeCheck;
  /** When the kubelet restarts the container. @default none: the process exits when it fails */
  readonly liveness?: ProbeCheck;
}

/** What {@link deployStatefulService} deploys. */
export interface StatefulServiceSpec {
  readonly id: ModuleIdentity;
  readonly component: string;
  readonly image: string;
  readonly ports: readonly ServicePort[];
  /**
   * What the kubelet checks. Readiness and liveness differ where the image serves both: an
   * identical liveness check restarts a busy server instead of taking it out of rotation.
   */
  readonly probes: ServiceProbes;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: k8s.EnvVar[];
  /** Secret volumes of the service itself (TLS material, credentials files). */
  readonly secretMounts?: ReadonlyArray<{ readonly name: string; readonly secret: string; readonly path: string; readonly mode?: number }>;
  /** ConfigMap volumes of the service itself (its configuration files), read-only. */
  readonly configMapMounts?: ReadonlyArray<{ readonly name: string; readonly configMap: string; readonly path: string }>;
  /** Writable scratch directories (the root filesystem is read-only). */
  readonly scratch?: readonly string[];
  /** Where the data volume (one claim per replica) is mounted. */
  readonly dataPath: string;
  /** uid/gid the image runs as (non-root). */
  readonly uid: number;
  /** Name of the headless Service. @default `<name>-headless` */
  readonly headlessName?: string;
  /** Name of the StatefulSet. @default the module name */
  readonly statefulSetName?: string;
}

/** What {@link deployStatefulService} created. */
export interface StatefulService {
  readonly statefulSet: k8s.KubeStatefulSet;
  readonly service: k8s.KubeService;
  readonly headless: k8s.KubeService;
  /** The labels selecting its pods. */
  readonly selector: Readonly<Record<string, string>>;
  /** Its NetworkPolicy: ingress from the components that consume the module, nothing else. */
  readonly networkPolicy: NetworkPolicyTarget;
  /** Its PodDisruptionBudget (one pod down at a time), with more than one replica. */
  readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
}

/** The endpoint of a stateful service's pods on `ports`, for the module's outputs. */
export function statefulServiceEndpoint(id: ModuleIdentity, service: StatefulService, ports: readonly number[]): ModuleEndpointProps {
  return podsEndpoint(id.namespace, service.selector, ports);
}

/** The props of a module outside the cluster that say where it is. */
export interface ExternalEndpointProps {
  /**
   * Addresses of the service, for the NetworkPolicies of its consumers (egress on its port).
   * @default ANYWHERE: every address, on the service's port only (the address is not known at synth time)
   */
  readonly cidrs?: readonly string[];
}

/** The endpoint of an external service on `port`: its `cidrs` prop (checked), or ANYWHERE. */
export function externalEndpoint(where: string, props: ExternalEndpointProps, port: number): ModuleEndpointProps {
  return { cidrs: props.cidrs === undefined ? ANYWHERE : checkCidrs(where, 'cidrs', props.cidrs), ports: [{ port }] };
}

/**
 * A StatefulSet (one data claim per replica, read-only root filesystem, non-root, all
 * capabilities dropped, RuntimeDefault seccomp, TCP probes), a ClusterIP Service named after
 * the module and a headless Service for the StatefulSet's stable DNS names.
 */
export function deployStatefulService(scope: Construct, spec: StatefulServiceSpec): StatefulService {
  const { name, namespace } = spec.id;
  const stsName = spec.statefulSetName ?? name;
  const labelProps = { name: spec.component, instance: stsName, component: 'storage', partOf: 'armonik' };
  const labels = appLabels(labelProps);
  const selector = selectorLabels(labelProps);
  const port = (p: number) => k8s.IntOrString.fromNumber(p);
  const servicePorts = spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: port(p.port), protocol: 'TCP' }));

  const service = new k8s.KubeService(scope, 'service', {
    metadata: { name, namespace, labels },
    spec: { type: 'ClusterIP', selector, ports: servicePorts },
  });
  const headlessName = spec.headlessName ?? `${name}-headless`;
  const headless = new k8s.KubeService(scope, 'headless', {
    metadata: { name: headlessName, namespace, labels },
    spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector, ports: servicePorts },
  });

  const scratch = (spec.scratch ?? ['/tmp']).map((path, i) => ({ name: `scratch-${i}`, path }));
  const volumes: k8s.Volume[] = [
    ...(spec.secretMounts ?? []).map((m) => ({ name: m.name, secret: { secretName: m.secret, ...(m.mode === undefined ? {} : { defaultMode: m.mode }) } })),
    ...(spec.configMapMounts ?? []).map((m) => ({ name: m.name, configMap: { name: m.configMap } })),
    ...scratch.map((s) => ({ name: s.name, emptyDir: { sizeLimit: k8s.Quantity.fromString(SCRATCH_SIZE_LIMIT) } })),
  ];
  const volumeMounts: k8s.VolumeMount[] = [
    { name: 'data', mountPath: spec.dataPath },
    ...(spec.secretMounts ?? []).map((m) => ({ name: m.name, mountPath: m.path, readOnly: true })),
    ...(spec.configMapMounts ?? []).map((m) => ({ name: m.name, mountPath: m.path, readOnly: true })),
    ...scratch.map((s) => ({ name: s.name, mountPath: s.path })),
  ];
  const check = (c: ProbeCheck) => ('tcpPort' in c ? { tcpSocket: { port: port(c.tcpPort) } } : { httpGet: { path: c.httpPath, port: port(c.port) } });

  const statefulSet = new k8s.KubeStatefulSet(scope, 'statefulset', {
    metadata: { name: stsName, namespace, labels },
    spec: {
      serviceName: headlessName,
      replicas: spec.id.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(spec.uid),
          containers: [
            {
              name: spec.component,
              image: spec.image,
              ...(spec.command ? { command: spec.command } : {}),
              ...(spec.args ? { args: spec.args } : {}),
              ...(spec.env?.length ? { env: spec.env } : {}),
              ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port })),
              securityContext: restrictedContainerSecurityContext(),
              resources: quantities(spec.id.resources),
              readinessProbe: { ...check(spec.probes.readiness), periodSeconds: 10 },
              ...(spec.probes.liveness ? { livenessProbe: { ...check(spec.probes.liveness), initialDelaySeconds: 30, periodSeconds: 20 } } : {}),
              volumeMounts,
            },
          ],
          volumes,
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: k8s.Quantity.fromString(spec.id.storageSize) } },
            ...(spec.id.storageClass ? { storageClassName: spec.id.storageClass } : {}),
          },
        },
      ],
    },
  });
  const disruptionBudget = spec.id.replicas > 1 ? onePodAtATime(scope, { name: stsName, namespace, labels }, selector) : undefined;
  // The service's pods talk to no one (DNS only); who may reach them is derived from the
  // endpoints its module publishes (`podsEndpoint`) and the components that consume it.
  const networkPolicy = NetworkPolicies.of(scope).add(scope, spec.id.where, { name: stsName, namespace, podSelector: selector, podLabels: labels });
  return { statefulSet, service, headless, selector, networkPolicy, disruptionBudget };
}

