/**
 * What the in-cluster module constructs share: their common props and the StatefulSet + Services
 * that run a storage or queue service under the restricted Pod Security profile.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { appLabels, selectorLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { resourceRequirements, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/security.js';
import { checkDns1123Label, checkImage, checkInteger, ensure } from '../../lib/k8s/validators.js';

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

/** The resolved identity of a module: where it runs and who reads its errors. */
export interface ModuleIdentity {
  readonly name: string;
  readonly namespace: string;
  /** `<Kind> <construct path>`, the prefix of every error message. */
  readonly where: string;
}

export function resolveIdentity(scope: Construct, kind: string, props: ServiceModuleProps, defaultName: string): ModuleIdentity {
  const where = `${kind} ${scope.node.path}`;
  const name = checkDns1123Label(where, 'name', props.name ?? defaultName);
  const namespace = resolveNamespace(scope, where, props.namespace);
  if (props.replicas !== undefined) checkInteger(where, 'replicas', props.replicas, 0);
  if (props.image !== undefined) checkImage(where, 'image', props.image);
  return { name, namespace, where };
}

/** Checks an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-'). */
export function checkBucketName(where: string, field: string, value: string): string {
  const ok = typeof value === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value);
  return ensure(where, field, value, ok ? undefined : `"${value}" is not a valid S3 bucket name`);
}

/** One port of the service. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
}

/** What {@link deployStatefulService} deploys. */
export interface StatefulServiceSpec {
  readonly id: ModuleIdentity;
  readonly component: string;
  readonly image: string;
  readonly ports: readonly ServicePort[];
  /** The port the probes check (TCP). */
  readonly probePort: number;
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
  readonly props: ServiceModuleProps;
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
    ...scratch.map((s) => ({ name: s.name, emptyDir: {} })),
  ];
  const volumeMounts: k8s.VolumeMount[] = [
    { name: 'data', mountPath: spec.dataPath },
    ...(spec.secretMounts ?? []).map((m) => ({ name: m.name, mountPath: m.path, readOnly: true })),
    ...(spec.configMapMounts ?? []).map((m) => ({ name: m.name, mountPath: m.path, readOnly: true })),
    ...scratch.map((s) => ({ name: s.name, mountPath: s.path })),
  ];
  const probe = { tcpSocket: { port: port(spec.probePort) } };
  const storage = spec.props.storageSize ?? '8Gi';

  const statefulSet = new k8s.KubeStatefulSet(scope, 'statefulset', {
    metadata: { name: stsName, namespace, labels },
    spec: {
      serviceName: headlessName,
      replicas: spec.props.replicas ?? 1,
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
              resources: resourceRequirements({ cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '1Gi', ...spec.props.resources }),
              readinessProbe: { ...probe, periodSeconds: 10 },
              livenessProbe: { ...probe, initialDelaySeconds: 30, periodSeconds: 20 },
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
            resources: { requests: { storage: k8s.Quantity.fromString(storage) } },
            ...(spec.props.storageClass ? { storageClassName: spec.props.storageClass } : {}),
          },
        },
      ],
    },
  });
  return { statefulSet, service, headless };
}
