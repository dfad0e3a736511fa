import { Chart, Duration } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { MAX_WORKERS, SECRET_GENERATOR, SECRET_GENERATOR_FLAGS, secretGeneratorRules } from '../../lib/api/secret-generator/index.js';
import type { ControllerImageProps } from '../../lib/k8s/image.js';
import type { ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, checkInteger } from '../../lib/k8s/validators.js';
import { ControllerWorkload, PlatformController, constructPath, type ControllerNetworkProps } from '../controller/index.js';
import { checkDuration, checkPropsObject } from '../../lib/k8s/props.js';

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
  /** What its NetworkPolicy allows besides the API server, DNS and the scraper on the metrics port. @default nothing more */
  readonly network?: ControllerNetworkProps;
  /** Secrets reconciled in parallel (`--workers`). @default 2 */
  readonly workers?: number;
  /** Re-check of every labelled Secret (`--resync`), at least 10 seconds, a safety net: changes arrive by watch. @default Duration.minutes(10) */
  readonly resyncInterval?: Duration;
  /** Lease duration of leader election. @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
}

/**
 * Deploys the secret generator: it fills the Secrets labelled `platform-constructs.io/generate`
 * (see {@link GeneratedSecret}) in `watchNamespaces`.
 *
 * A {@link PlatformController} with the generator's flags and RBAC (`lib/api/secret-generator`):
 * a Role per watched namespace (or one ClusterRole for all) to get/list/watch/update/patch Secrets
 * and create/patch Events; its Lease in its own namespace.
 */
export class SecretGenerator extends PlatformController<typeof SECRET_GENERATOR_FLAGS> {
  /** Watched namespaces, sorted; `['*']` for all. */
  readonly watchNamespaces: readonly string[];
  /** The controller's Deployment. */
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: SecretGeneratorProps = {}) {
    const where = constructPath(scope, id);
    const p = checkPropsObject(where, props);
    const requested = p.watchNamespaces;
    if (requested !== undefined && !Array.isArray(requested)) {
      throw new ValidationError(where, 'watchNamespaces', `must be a list of namespaces, or ['${ALL_NAMESPACES}'] for all, not ${describeValue(requested)}`, requested);
    }
    if (requested !== undefined && requested.length === 0) {
      throw new ValidationError(where, 'watchNamespaces', `empty; give namespaces, or ['${ALL_NAMESPACES}'] for all`);
    }
    const watch = requested ? [...new Set(requested)].sort() : undefined;
    const all = watch?.includes(ALL_NAMESPACES) ?? false;
    if (all && watch!.length > 1) {
      throw new ValidationError(where, 'watchNamespaces', `'${ALL_NAMESPACES}' (all namespaces) cannot be combined with names`, requested);
    }
    for (const ns of all ? [] : watch ?? []) checkDns1123Label(where, 'watchNamespaces', ns);
    const workers = checkInteger(where, 'workers', p.workers ?? 2, 1, MAX_WORKERS);
    const resyncMs = checkDuration(where, 'resyncInterval', p.resyncInterval ?? Duration.minutes(10), { minMs: 10_000 });
    // PlatformController checks replicas and leaseDuration, naming them.
    const workload = ControllerWorkload.deployment({ replicas: p.replicas, leaseDuration: p.leaseDuration });
    // The watched namespaces default to the controller's own.
    const ownNamespace = p.namespace ?? Chart.of(scope).namespace;
    const watched = all ? [ALL_NAMESPACES] : watch ?? (ownNamespace ? [ownNamespace] : []);
    super(scope, id, {
      controller: SECRET_GENERATOR,
      flags: SECRET_GENERATOR_FLAGS,
      args: {
        ...(all ? {} : { namespaces: watched.join(',') }),
        workers,
        resync: resyncMs,
      },
      rules: secretGeneratorRules(all ? [] : watched),
      namespace: ownNamespace,
      name: p.name ?? SECRET_GENERATOR,
      workload,
      image: p.image,
      resources: p.resources,
      metricsPort: p.metricsPort,
      network: p.network,
    });
    this.deployment = this.workload as k8s.KubeDeployment;
    this.watchNamespaces = watched;
  }

  /** True when it watches every namespace. */
  get watchesAllNamespaces(): boolean {
    return this.watchNamespaces.includes(ALL_NAMESPACES);
  }
}
