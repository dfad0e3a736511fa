import { Chart, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  appLabels,
  controllerImage,
  isDns1123Label,
  isDns1123Subdomain,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  selectorLabels,
  type ControllerImageProps,
  type ResourceRequirementsProps,
} from '../../lib/k8s/index.js';
import { memoryQuantityToMiB } from '../../lib/k8s/quantity.js';
import { AppConfigSchema } from './app-config-schema.js';
import { DEFAULT_APP_CONFIG_LABEL, parseAppConfigLabel } from './labels.js';

/** Name of the schema ConfigMap the aggregator reads (the original's). */
export const APP_CONFIG_SCHEMA_CONFIGMAP = 'application-config-schema';
/** Key of the schema in that ConfigMap. */
export const APP_CONFIG_SCHEMA_KEY = 'schema.json';

export interface ConfigAggregatorProps {
  /** Name of the aggregated ConfigMap (`--configmap-name`). */
  readonly configmapName: string;
  /** Key of the aggregated ConfigMap (`--configmap-key`). @default 'config.yaml' */
  readonly configmapKey?: string;
  /** Label of application ConfigMaps, `key=value` (`--app-config-label`). @default 'numaprom.numaproj.io/component=argo-rollouts' */
  readonly appConfigLabel?: string;
  /** Resync interval (`--interval`): a safety net only; changes arrive by watch. @default Duration.seconds(180) */
  readonly resyncInterval?: Duration;
  /** The JSON Schema application configs must satisfy, rendered into `application-config-schema`. @default AppConfigSchema.numalogic() */
  readonly schema?: AppConfigSchema;
  /** Namespace of the controller, its aggregate and schema ConfigMaps. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Deployment, ServiceAccount, Service, Lease... @default 'config-aggregator' */
  readonly name?: string;
  /** Replicas; one leads (Lease), the others stand by with warm caches. @default 2 */
  readonly replicas?: number;
  /** The platform-controllers image. @default `platform-controllers:<package version>` */
  readonly image?: ControllerImageProps;
  /** Container requests and limits. @default 100m/128Mi requests, 500m/256Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Port of /healthz, /readyz and /metrics. @default 8080 */
  readonly metricsPort?: number;
  /** Lease duration of leader election. @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
}

/**
 * Deploys the config aggregator: it watches ConfigMaps labelled `appConfigLabel` in every
 * namespace, validates each entry against `schema`, and keeps `configmapName` in its own
 * namespace up to date (YAML with a `configs:` list, as the original).
 *
 * Objects: Deployment (leader-elected replicas, restricted PodSecurity), ServiceAccount,
 * ClusterRole (read ConfigMaps everywhere; create Events on the application ConfigMaps it
 * reports on), Role (in its namespace: create ConfigMaps, but update/patch only the aggregate;
 * its Lease), Service for metrics, PodDisruptionBudget, and the schema ConfigMap.
 */
export class ConfigAggregator extends Construct {
  readonly namespace: string;
  readonly name: string;
  readonly configmapName: string;
  readonly configmapKey: string;
  /** The label application ConfigMaps carry. */
  readonly appConfigLabel: { readonly key: string; readonly value: string };
  readonly schema: AppConfigSchema;
  readonly serviceAccountName: string;
  readonly deployment: k8s.KubeDeployment;
  readonly schemaConfigMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: ConfigAggregatorProps) {
    super(scope, id);
    const where = this.node.path;
    const namespace = props.namespace ?? Chart.of(this).namespace;
    if (!namespace) throw new Error(`${where}: namespace: not given and the chart has no namespace`);
    if (!isDns1123Label(namespace)) throw new Error(`${where}: namespace: "${namespace}" is not a DNS-1123 label`);
    if (!isDns1123Subdomain(props.configmapName)) {
      throw new Error(`${where}: configmapName: "${props.configmapName}" is not a valid ConfigMap name`);
    }
    const configmapKey = props.configmapKey ?? 'config.yaml';
    if (!/^[-._a-zA-Z0-9]+$/.test(configmapKey) || configmapKey.length > 253) {
      throw new Error(`${where}: configmapKey: "${configmapKey}" is not a valid ConfigMap key`);
    }
    if (props.configmapName === APP_CONFIG_SCHEMA_CONFIGMAP) {
      throw new Error(`${where}: configmapName: "${APP_CONFIG_SCHEMA_CONFIGMAP}" is the schema ConfigMap`);
    }
    const name = props.name ?? 'config-aggregator';
    if (!isDns1123Label(name)) throw new Error(`${where}: name: "${name}" is not a DNS-1123 label`);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${where}: replicas: must be a positive integer`);
    const resyncSeconds = (props.resyncInterval ?? Duration.seconds(180)).toSeconds();
    if (resyncSeconds < 1) throw new Error(`${where}: resyncInterval: must be at least 1 second`);
    const leaseSeconds = (props.leaseDuration ?? Duration.seconds(15)).toSeconds();
    if (leaseSeconds < 3) throw new Error(`${where}: leaseDuration: must be at least 3 seconds`);
    const port = props.metricsPort ?? 8080;
    if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`${where}: metricsPort: must be 1024-65535 (non-root)`);
    const label = parseAppConfigLabel(props.appConfigLabel ?? DEFAULT_APP_CONFIG_LABEL, `${where}: appConfigLabel`);
    const schema = props.schema ?? AppConfigSchema.numalogic();
    schema.check(`${where}: schema`);
    const image = controllerImage(props.image ?? {}, `${where}: image`);
    // Node sizes its heap from the machine, not the container: cap the old generation at half
    // the memory limit, so that garbage is collected long before the limit (measured: RSS 120 MB
    // instead of 220 MB with 10,000 ConfigMaps and the default 256Mi limit).
    const limitMiB = memoryQuantityToMiB(props.resources?.memoryLimit ?? '256Mi');
    const heapMiB = limitMiB ? Math.max(32, Math.floor(limitMiB / 2)) : undefined;

    this.namespace = namespace;
    this.name = name;
    this.configmapName = props.configmapName;
    this.configmapKey = configmapKey;
    this.appConfigLabel = label;
    this.schema = schema;
    this.serviceAccountName = name;

    const ids = { name: 'config-aggregator', instance: name, component: 'controller', partOf: 'platform-controllers' };
    const labels = appLabels(ids);
    const selector = selectorLabels(ids);
    const meta = (n: string, namespaced = true) => ({ name: n, ...(namespaced ? { namespace } : {}), labels });
    const leaseName = name;
    const clusterName = `${namespace}-${name}`;
    // Renew deadline and retry period scale with the lease duration like client-go's defaults (15/10/2).
    const renewSeconds = Math.max(2, Math.floor((leaseSeconds * 2) / 3));
    const retrySeconds = Math.max(1, Math.floor(leaseSeconds / 7.5));

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta(name), automountServiceAccountToken: true });

    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: meta(clusterName, false),
      rules: [
        // Application ConfigMaps live in any namespace: read them all (filtered by label in the request).
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
        // Invalid entries are reported as Events on the application ConfigMap, in its namespace.
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: meta(clusterName, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    new k8s.KubeRole(this, 'role', {
      metadata: meta(name),
      rules: [
        // RBAC cannot limit `create` by name: the first write of the aggregate creates it.
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [props.configmapName], verbs: ['get', 'update', 'patch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [leaseName], verbs: ['get', 'update', 'patch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: meta(name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    this.schemaConfigMap = new k8s.KubeConfigMap(this, 'schema', {
      metadata: meta(APP_CONFIG_SCHEMA_CONFIGMAP),
      data: { [APP_CONFIG_SCHEMA_KEY]: schema.toJson() },
    });

    const args = [
      'config-aggregator',
      `--configmap-name=${props.configmapName}`,
      `--configmap-key=${configmapKey}`,
      `--app-config-label=${label.key}=${label.value}`,
      `--interval=${resyncSeconds}s`,
      `--schema-configmap=${APP_CONFIG_SCHEMA_CONFIGMAP}`,
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

  /** The label as `key=value`, e.g. for a label selector. */
  get appConfigSelector(): string {
    return `${this.appConfigLabel.key}=${this.appConfigLabel.value}`;
  }
}
