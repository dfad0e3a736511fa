import { Chart, Duration } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { FlagInputOf } from '../../lib/api/flags.js';
import {
  ConsumerDeclaration,
  KONSUMERATOR,
  KONSUMERATOR_FLAGS,
  MAX_KONSUMERATOR_WORKERS,
  konsumeratorOptionsFromFlags,
  konsumeratorRules,
  type KonsumeratorOptions,
} from '../../lib/api/konsumerator/index.js';
import type { ControllerImageProps } from '../../lib/k8s/image.js';
import { checkDuration, checkOptionalBoolean, checkPropsObject } from '../../lib/k8s/props.js';
import type { ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkDns1035Label, checkDns1123Label, checkInteger, checkListenPort } from '../../lib/k8s/validators.js';
import { ControllerWorkload, PlatformController, checkRuntimeOptions, constructPath, type CustomResourceDefinition, type ControllerNetworkProps } from '../controller/index.js';

/** Namespace of a {@link Konsumerator} (and of its {@link Consumer}s) in a chart without one. */
export const KONSUMERATOR_DEFAULT_NAMESPACE = 'konsumerator-system';

export interface KonsumeratorProps {
  /**
   * Namespace of the controller (Deployment, ServiceAccount, Lease, Service); in guest mode also
   * the only namespace whose Consumer ConfigMaps it reads and where it manages Deployments.
   * @default the chart's namespace, else 'konsumerator-system'
   */
  readonly namespace?: string;
  /** Name of the Deployment, ServiceAccount, Roles, Service, Lease. @default 'konsumerator' */
  readonly name?: string;
  /**
   * Guest mode (`--guest-mode`), for a tenant without cluster-wide permissions: Consumer specs
   * are read from ConfigMaps annotated `konsumerator.lwolf.org/managed` (key `consumer.yaml`) in
   * `namespace` only; no CRD is emitted and every permission is a Role in `namespace`.
   * @default false (Consumer objects cluster-wide, the CRD emitted, a ClusterRole)
   */
  readonly guestMode?: boolean;
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
  /** What its NetworkPolicy allows besides the API server, DNS and the scraper on the metrics port. Consumers' Prometheus `address`es are read from their specs at run time: the default allows the scraper's pods on 9090 (NetworkPoliciesProps.scraper). @default nothing more */
  readonly network?: ControllerNetworkProps;
  /** Consumers reconciled in parallel (`--workers`), 1 to 64. @default 4 */
  readonly workers?: number;
  /** Timeout of one Prometheus query (`--prometheus-timeout`), at least 100 ms. @default Duration.seconds(10) */
  readonly prometheusTimeout?: Duration;
}

/** The prop each of Konsumerator's flags comes from, to name it in an error. */
const PROP_OF_FLAG: Readonly<Record<string, string>> = {
  namespace: 'namespace',
  'guest-mode': 'guestMode',
  workers: 'workers',
  'prometheus-timeout': 'prometheusTimeout',
  'metrics-port': 'metricsPort',
};

/**
 * Deploys Konsumerator (`platform-controllers konsumerator`): for each {@link Consumer} it runs one
 * Deployment per group of Kafka partitions (`<spec.name>-<instance>`) and sizes each one's CPU and
 * memory from the lag Prometheus reports.
 *
 * A {@link PlatformController} with Konsumerator's flags and RBAC (`lib/api/konsumerator`). By
 * default the Consumer CRD and a ClusterRole (Consumers, their status and finalizers, Deployments,
 * Events everywhere); in guest mode (`guestMode: true`) no CRD and only a Role in its namespace
 * (ConfigMaps instead of Consumers, Deployments, Events). Both with its Lease and the metrics
 * Service.
 *
 * ```ts
 * const konsumerator = new Konsumerator(chart, 'konsumerator', { namespace: 'streaming' });
 * new Consumer(chart, 'orders', { konsumerator, spec: { ... } });
 * ```
 */
export class Konsumerator extends PlatformController<typeof KONSUMERATOR_FLAGS> {
  /** True in guest mode: Consumers are ConfigMaps in its namespace, no CRD, no cluster-wide permission. */
  readonly guestMode: boolean;
  /** What the controller makes of its args (`konsumeratorOptionsFromFlags`): the values it runs with. */
  readonly options: KonsumeratorOptions;
  /** The controller's Deployment. */
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: KonsumeratorProps = {}) {
    const where = constructPath(scope, id);
    const p = checkPropsObject(where, props);
    const namespace = checkDns1123Label(where, 'namespace', p.namespace ?? Chart.of(scope).namespace ?? KONSUMERATOR_DEFAULT_NAMESPACE);
    const name = checkDns1035Label(where, 'name', p.name ?? KONSUMERATOR);
    const guestMode = checkOptionalBoolean(where, 'guestMode', p.guestMode) ?? false;
    const metricsPort = checkListenPort(where, 'metricsPort', p.metricsPort ?? 8080);
    const workers = checkInteger(where, 'workers', p.workers ?? 4, 1, MAX_KONSUMERATOR_WORKERS);
    const timeoutMs = checkDuration(where, 'prometheusTimeout', p.prometheusTimeout ?? Duration.seconds(10), { minMs: 100 });
    // PlatformController checks replicas and leaseDuration, naming them.
    const workload = ControllerWorkload.deployment({ replicas: p.replicas, leaseDuration: p.leaseDuration });

    const args = {
      'guest-mode': guestMode,
      workers,
      'prometheus-timeout': timeoutMs,
    } satisfies FlagInputOf<typeof KONSUMERATOR_FLAGS>;
    // What the runtime will make of these args: a value it refuses is refused here, naming the prop.
    const options = checkRuntimeOptions(where, KONSUMERATOR_FLAGS, { args, metricsPort, namespace, toOptions: konsumeratorOptionsFromFlags, propOfFlag: PROP_OF_FLAG });

    super(scope, id, {
      controller: KONSUMERATOR,
      flags: KONSUMERATOR_FLAGS,
      args,
      rules: guestMode ? konsumeratorRules({ guestNamespace: namespace }) : konsumeratorRules(),
      namespace,
      name,
      workload,
      image: p.image,
      resources: p.resources,
      metricsPort,
      network: p.network ?? { queriesScraper: [9090] },
      customResources: guestMode ? [] : [ConsumerDeclaration],
    });
    this.deployment = this.workload as k8s.KubeDeployment;
    this.guestMode = guestMode;
    this.options = options;
    claimObjectNames(this, where);
  }

  /**
   * The Consumer CRD it emits, which a {@link Consumer} given this Konsumerator is applied after;
   * undefined in guest mode (no CRD).
   */
  get consumerDefinition(): CustomResourceDefinition<typeof ConsumerDeclaration> | undefined {
    return this.customResourceDefinitions.get(ConsumerDeclaration.name) as CustomResourceDefinition<typeof ConsumerDeclaration> | undefined;
  }
}
