import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { controllerImage, type ControllerImageProps } from '../../lib/k8s/image.js';
import { appLabels, selectorLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { memoryQuantityToMiB } from '../../lib/k8s/quantity.js';
import { resourceRequirements, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/security.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, checkInteger, checkPort, checkPositiveInteger, FIRST_UNPRIVILEGED_PORT } from '../../lib/k8s/validators.js';

/** Watch Secrets in every namespace (a ClusterRole); see {@link SecretGeneratorProps.watchNamespaces}. */
export const ALL_NAMESPACES = '*';

export interface SecretGeneratorProps {
  /** Namespace of the controller (Deployment, ServiceAccount, Lease). @default the chart's namespace */
  readonly namespace?: string;
  /**
   * Namespaces whose labelled Secrets it fills: a Role in each. `['*']` watches all namespaces
   * with a ClusterRole (it can then read every Secret of the cluster): opt in explicitly.
   * @default its own namespace only
   */
  readonly watchNamespaces?: string[];
  /** Name of the Deployment, ServiceAccount, Service, Lease... @default 'secret-generator' */
  readonly name?: string;
  /** Replicas; one leads (Lease), the others stand by with warm caches. @default 2 */
  readonly replicas?: number;
  /** The platform-controllers image. @default `platform-controllers:<package version>` */
  readonly image?: ControllerImageProps;
  /** Container requests and limits. @default 100m/128Mi requests, 500m/256Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Port of /healthz, /readyz and /metrics. @default 8080 */
  readonly metricsPort?: number;
  /** Secrets reconciled in parallel (`--workers`). @default 2 */
  readonly workers?: number;
  /** Re-check of every labelled Secret (`--resync`), a safety net: changes arrive by watch. @default Duration.minutes(10) */
  readonly resyncInterval?: Duration;
  /** Lease duration of leader election. @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
}

/**
 * Deploys the secret generator: it fills the Secrets labelled `platform-constructs.io/generate`
 * (see {@link GeneratedSecret}) in `watchNamespaces`.
 *
 * Objects: Deployment (leader-elected replicas, restricted PodSecurity), ServiceAccount, a Role
 * and RoleBinding per watched namespace (or one ClusterRole and ClusterRoleBinding for all):
 * get/list/watch/update/patch Secrets, create/patch Events; a Role in its own namespace for its
 * Lease; Service for metrics; PodDisruptionBudget.
 */
export class SecretGenerator extends Construct {
  /** Namespace of the controller. */
  readonly namespace: string;
  /** Name of its Deployment, ServiceAccount, Service and Lease. */
  readonly name: string;
  /** Its ServiceAccount. */
  readonly serviceAccountName: string;
  /** Watched namespaces, sorted; `['*']` for all. */
  readonly watchNamespaces: readonly string[];
  /** The controller's Deployment. */
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: SecretGeneratorProps = {}) {
    super(scope, id);
    const where = this.node.path;
    const namespace = resolveNamespace(this, where, props.namespace);
    const name = checkDns1123Label(where, 'name', props.name ?? 'secret-generator');
    const watch = [...new Set(props.watchNamespaces ?? [namespace])].sort();
    if (watch.length === 0) throw new ValidationError(where, 'watchNamespaces', `empty; give namespaces, or ['${ALL_NAMESPACES}'] for all`, props.watchNamespaces);
    const all = watch.includes(ALL_NAMESPACES);
    if (all && watch.length > 1) throw new ValidationError(where, 'watchNamespaces', `'${ALL_NAMESPACES}' (all namespaces) cannot be combined with names`);
    if (!all) for (const ns of watch) checkDns1123Label(where, 'watchNamespaces', ns);
    const replicas = checkPositiveInteger(where, 'replicas', props.replicas ?? 2);
    const workers = checkInteger(where, 'workers', props.workers ?? 2, 1, 64);
    const resyncSeconds = (props.resyncInterval ?? Duration.minutes(10)).toSeconds();
    if (resyncSeconds < 10) throw new ValidationError(where, 'resyncInterval', 'must be at least 10 seconds', resyncSeconds);
    const leaseSeconds = (props.leaseDuration ?? Duration.seconds(15)).toSeconds();
    if (leaseSeconds < 3) throw new ValidationError(where, 'leaseDuration', 'must be at least 3 seconds', leaseSeconds);
    const port = checkPort(where, 'metricsPort', props.metricsPort ?? 8080, FIRST_UNPRIVILEGED_PORT);
    const image = controllerImage(props.image ?? {}, where, 'image');
    // Node sizes its heap from the machine, not the container: cap the old generation at half
    // the memory limit, as the config aggregator does.
    const limitMiB = memoryQuantityToMiB(props.resources?.memoryLimit ?? '256Mi');
    const heapMiB = limitMiB ? Math.max(32, Math.floor(limitMiB / 2)) : undefined;

    this.namespace = namespace;
    this.name = name;
    this.serviceAccountName = name;
    this.watchNamespaces = watch;

    const ids = { name: 'secret-generator', instance: name, component: 'controller', partOf: 'platform-controllers' };
    const labels = appLabels(ids);
    const selector = selectorLabels(ids);
    const meta = (n: string, ns: string | undefined = namespace) => ({ name: n, ...(ns ? { namespace: ns } : {}), labels });
    const subjects = [{ kind: 'ServiceAccount', name, namespace }];
    const leaseName = name;
    const renewSeconds = Math.max(2, Math.floor((leaseSeconds * 2) / 3));
    const retrySeconds = Math.max(1, Math.floor(leaseSeconds / 7.5));

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta(name), automountServiceAccountToken: true });

    const secretRules = [
      // List/watch cannot be limited by label in RBAC: the watch itself filters on the label.
      // update and patch: the writes are server-side applies (patch) of generated keys.
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ];
    if (all) {
      const clusterName = `${namespace}-${name}`;
      new k8s.KubeClusterRole(this, 'cluster-role', { metadata: meta(clusterName, undefined), rules: secretRules });
      new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
        metadata: meta(clusterName, undefined),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects,
      });
    } else {
      for (const ns of watch) {
        new k8s.KubeRole(this, `secrets-role-${ns}`, { metadata: meta(`${name}-secrets`, ns), rules: secretRules });
        new k8s.KubeRoleBinding(this, `secrets-role-binding-${ns}`, {
          metadata: meta(`${name}-secrets`, ns),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-secrets` },
          subjects,
        });
      }
    }
    new k8s.KubeRole(this, 'lease-role', {
      metadata: meta(`${name}-lease`),
      rules: [
        // RBAC cannot limit `create` by name: the first election creates the Lease.
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [leaseName], verbs: ['get', 'update', 'patch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'lease-role-binding', {
      metadata: meta(`${name}-lease`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-lease` },
      subjects,
    });

    const args = [
      'secret-generator',
      ...(all ? [] : [`--namespaces=${watch.join(',')}`]),
      `--workers=${workers}`,
      `--resync=${resyncSeconds}s`,
      `--metrics-port=${port}`,
      `--leader-election-id=${leaseName}`,
      `--lease-duration=${leaseSeconds}s`,
      `--renew-deadline=${renewSeconds}s`,
      `--retry-period=${retrySeconds}s`,
    ];
    const probe = (path: string, extra: Partial<k8s.Probe> = {}): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString('metrics') },
      periodSeconds: 10,
      timeoutSeconds: 2,
      ...extra,
    });
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(name),
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: restrictedPodSecurityContext() as k8s.PodSecurityContext,
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                ],
              },
            },
            containers: [
              {
                name: 'controller',
                image,
                args,
                env: [
                  { name: 'NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                  ...(heapMiB ? [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB}` }] : []),
                ],
                ports: [{ name: 'metrics', containerPort: port, protocol: 'TCP' }],
                securityContext: restrictedContainerSecurityContext() as k8s.SecurityContext,
                resources: resourceRequirements(props.resources),
                startupProbe: probe('/healthz', { periodSeconds: 2, failureThreshold: 30 }),
                livenessProbe: probe('/healthz', { failureThreshold: 3 }),
                readinessProbe: probe('/readyz', { periodSeconds: 5, failureThreshold: 2 }),
              },
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'metrics', port, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }],
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: meta(name),
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }

  /** True when it watches every namespace. */
  get watchesAllNamespaces(): boolean {
    return this.watchNamespaces.includes(ALL_NAMESPACES);
  }
}
