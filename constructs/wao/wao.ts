import { Chart, Duration } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { FlagInputOf } from '../../lib/api/flags.js';
import {
  DEFAULT_PREDICTION_PORT,
  MAX_PREDICTION_CACHE_SIZE,
  MAX_WAO_WORKERS,
  NodeConfigDeclaration,
  NodeConfigTemplateDeclaration,
  WAO,
  WAO_CUSTOM_RESOURCES,
  WAO_DEFAULT_NAMESPACE,
  WAO_FLAGS,
  waoOptionsFromFlags,
  waoRules,
  type WaoOptions,
} from '../../lib/api/wao/index.js';
import type { ControllerImageProps } from '../../lib/k8s/image.js';
import type { ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, quote, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1035Label, checkDns1123Label, checkInteger, checkListenPort, dns1035LabelReason } from '../../lib/k8s/validators.js';
import { checkDuration, checkPropsObject } from '../../lib/k8s/props.js';
import { ControllerWorkload, PlatformController, checkRuntimeOptions, constructPath, type CustomResourceDefinition, type ControllerNetworkProps } from '../controller/index.js';
import { EVERYONE } from '../../lib/network/index.js';

/** Name of the prediction endpoint's container port (and of its Service port). */
export const WAO_PREDICTION_PORT_NAME = 'prediction';

export interface WaoProps {
  /** Namespace of the controller (Deployment, ServiceAccount, Lease, Services). @default the chart's namespace, else 'wao-system' */
  readonly namespace?: string;
  /**
   * Namespaces whose NodeConfigs and NodeConfigTemplates it reconciles and whose Secrets and
   * ConfigMaps it reads (by name): a Role in each (`--namespaces`). @default the controller's namespace
   */
  readonly watchNamespaces?: string[];
  /** Name of the Deployment, ServiceAccount, Roles, Services, Lease. @default 'wao' */
  readonly name?: string;
  /** Replicas; one leads (Lease) and reconciles, the others stand by with warm caches. @default 2 */
  readonly replicas?: number;
  /** Lease duration of leader election, in whole seconds (at least 3). @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
  /** The platform-controllers image. @default `platform-controllers:<package version>` */
  readonly image?: ControllerImageProps;
  /** Container requests and limits. @default 100m/128Mi requests, 500m/256Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Port of /healthz, /readyz and /metrics (`--metrics-port`). @default 8080 */
  readonly metricsPort?: number;
  /** What its NetworkPolicy allows besides the API server, DNS and the scraper on the metrics port. The collectors' and predictors' endpoints come from NodeConfigs, per node, at run time: the default allows every destination; narrow it to your BMCs', pressure API's and inference servers' addresses. @default nothing more */
  readonly network?: ControllerNetworkProps;
  /**
   * Port of the prediction endpoint for schedulers (`POST /predict`, `--prediction-port`), with a
   * ClusterIP Service `<name>-prediction`; `0` or `false` turns both off. @default 5656
   */
  readonly predictionPort?: number | false;
  /** How long a prediction (and a provider's endpoint) is reused (`--prediction-cache-ttl`), at least 1 second. @default Duration.seconds(30) */
  readonly predictionCacheTtl?: Duration;
  /** Most predictions cached, least recently used first out (`--prediction-cache-size`), 1 to 1,000,000. @default 10000 */
  readonly predictionCacheSize?: number;
  /** NodeConfigs and NodeConfigTemplates reconciled in parallel (`--workers`), 1 to 64. @default 4 */
  readonly workers?: number;
  /**
   * Shortest time between two status writes of a NodeConfig (`--status-interval`), at least 1
   * second; readings in between go to the metrics only. @default Duration.seconds(10)
   */
  readonly statusInterval?: Duration;
}

/** The prop each of WAO's flags comes from, to name it in an error. */
const PROP_OF_FLAG: Readonly<Record<string, string>> = {
  namespace: 'namespace',
  namespaces: 'watchNamespaces',
  'prediction-port': 'predictionPort',
  'prediction-cache-ttl': 'predictionCacheTtl',
  'prediction-cache-size': 'predictionCacheSize',
  workers: 'workers',
  'status-interval': 'statusInterval',
  'metrics-port': 'metricsPort',
};

/**
 * Deploys WAO (`platform-controllers wao`): it makes a NodeConfig for each node a
 * {@link NodeConfigTemplate} selects, collects each node's inlet temperature and differential
 * pressure as its NodeConfig says (status and metrics), and serves power-consumption predictions
 * to schedulers on `POST /predict`.
 *
 * A {@link PlatformController} with WAO's flags and RBAC (`lib/api/wao`): the NodeConfig and
 * NodeConfigTemplate CRDs; nodes read cluster-wide; in each watched namespace a Role to read
 * templates, manage NodeConfigs, write both statuses, get Secrets and ConfigMaps by name and
 * write Events; its Lease; the metrics Service and, unless turned off, the prediction Service.
 */
export class Wao extends PlatformController<typeof WAO_FLAGS> {
  /** Watched namespaces, sorted. */
  readonly watchNamespaces: readonly string[];
  /** Port of the prediction endpoint; undefined when turned off. */
  readonly predictionPort?: number;
  /** The prediction endpoint's Service (`<name>-prediction`); undefined when turned off. */
  readonly predictionService?: k8s.KubeService;
  /** What the controller makes of its args (`waoOptionsFromFlags`): the values it runs with. */
  readonly options: WaoOptions;
  /** The controller's Deployment. */
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: WaoProps = {}) {
    const where = constructPath(scope, id);
    const p = checkPropsObject(where, props);
    const namespace = checkDns1123Label(where, 'namespace', p.namespace ?? Chart.of(scope).namespace ?? WAO_DEFAULT_NAMESPACE);
    const name = checkDns1035Label(where, 'name', p.name ?? WAO);
    const watched = checkWatchNamespaces(where, p.watchNamespaces, namespace);
    const metricsPort = checkListenPort(where, 'metricsPort', p.metricsPort ?? 8080);
    const predictionPort = checkPredictionPort(where, p.predictionPort, metricsPort);
    const serviceName = `${name}-${WAO_PREDICTION_PORT_NAME}`;
    if (predictionPort !== 0) {
      const reason = dns1035LabelReason(serviceName);
      if (reason) throw new ValidationError(where, 'name', `${quote(name)} is too long or invalid for the prediction Service name: ${reason}`, name);
    }
    const ttlMs = checkDuration(where, 'predictionCacheTtl', p.predictionCacheTtl ?? Duration.seconds(30), { minMs: 1000 });
    const cacheSize = checkInteger(where, 'predictionCacheSize', p.predictionCacheSize ?? 10_000, 1, MAX_PREDICTION_CACHE_SIZE);
    const workers = checkInteger(where, 'workers', p.workers ?? 4, 1, MAX_WAO_WORKERS);
    const statusMs = checkDuration(where, 'statusInterval', p.statusInterval ?? Duration.seconds(10), { minMs: 1000 });
    // PlatformController checks replicas and leaseDuration, naming them.
    const workload = ControllerWorkload.deployment({ replicas: p.replicas, leaseDuration: p.leaseDuration });

    const args = {
      namespaces: watched.join(','),
      'prediction-port': predictionPort,
      'prediction-cache-ttl': ttlMs,
      'prediction-cache-size': cacheSize,
      workers,
      'status-interval': statusMs,
    } satisfies FlagInputOf<typeof WAO_FLAGS>;
    // What the runtime will make of these args: a value it refuses is refused here, naming the prop.
    const options = checkRuntimeOptions(where, WAO_FLAGS, { args, metricsPort, namespace, toOptions: waoOptionsFromFlags, propOfFlag: PROP_OF_FLAG });

    super(scope, id, {
      controller: WAO,
      flags: WAO_FLAGS,
      args,
      rules: waoRules(watched),
      namespace,
      name,
      workload,
      image: p.image,
      resources: p.resources,
      metricsPort,
      network: p.network ?? { allowEgress: EVERYONE.map((peer) => ({ peer })) },
      customResources: WAO_CUSTOM_RESOURCES,
      ports: predictionPort !== 0 ? [{ name: WAO_PREDICTION_PORT_NAME, port: predictionPort, service: { name: serviceName } }] : [],
    });
    this.deployment = this.workload as k8s.KubeDeployment;
    this.watchNamespaces = watched;
    this.options = options;
    if (predictionPort !== 0) {
      this.predictionPort = predictionPort;
      this.predictionService = this.portServices.get(WAO_PREDICTION_PORT_NAME);
    }
    claimObjectNames(this, where);
  }

  /** The NodeConfig CRD it emits: give it to a {@link NodeConfig} (`wao`) to apply the object after it. */
  get nodeConfigDefinition(): CustomResourceDefinition<typeof NodeConfigDeclaration> {
    return this.customResourceDefinitions.get(NodeConfigDeclaration.name) as CustomResourceDefinition<typeof NodeConfigDeclaration>;
  }

  /** The NodeConfigTemplate CRD it emits. */
  get nodeConfigTemplateDefinition(): CustomResourceDefinition<typeof NodeConfigTemplateDeclaration> {
    return this.customResourceDefinitions.get(NodeConfigTemplateDeclaration.name) as CustomResourceDefinition<typeof NodeConfigTemplateDeclaration>;
  }

  /** The in-cluster URL of the prediction endpoint (`http://<service>.<namespace>.svc:<port>/predict`); undefined when turned off. */
  get predictionUrl(): string | undefined {
    if (this.predictionPort === undefined) return undefined;
    return `http://${this.name}-${WAO_PREDICTION_PORT_NAME}.${this.namespace}.svc:${this.predictionPort}/predict`;
  }

  /** True when `namespace` is one it watches (its NodeConfigs and templates are reconciled). */
  watches(namespace: string): boolean {
    return this.watchNamespaces.includes(namespace);
  }
}

/** `watchNamespaces`: a non-empty list of DNS-1123 labels, unique and sorted; the controller's namespace when not given. */
function checkWatchNamespaces(where: string, requested: readonly string[] | undefined, own: string): string[] {
  if (requested === undefined) return [own];
  if (!Array.isArray(requested)) throw new ValidationError(where, 'watchNamespaces', `must be a list of namespaces, not ${describeValue(requested)}`, requested);
  if (requested.length === 0) throw new ValidationError(where, 'watchNamespaces', 'is empty: WAO reads Secrets, which RBAC grants per namespace; give at least one');
  requested.forEach((ns, i) => checkDns1123Label(where, `watchNamespaces[${i}]`, ns));
  return [...new Set(requested)].sort();
}

/** `predictionPort`: 0 or false (off), else a port a non-root container can listen on, not the metrics port. */
function checkPredictionPort(where: string, value: number | false | undefined, metricsPort: number): number {
  if (value === false || value === 0) return 0;
  const port = checkListenPort(where, 'predictionPort', value ?? DEFAULT_PREDICTION_PORT);
  if (port === metricsPort) throw new ValidationError(where, 'predictionPort', `${port} is the metricsPort`, port);
  return port;
}
