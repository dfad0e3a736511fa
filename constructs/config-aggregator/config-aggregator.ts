import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import {
  APP_CONFIG_SCHEMA_CONFIGMAP,
  APP_CONFIG_SCHEMA_KEY,
  CONFIG_AGGREGATOR,
  CONFIG_AGGREGATOR_FLAGS,
  DEFAULT_APP_CONFIG_LABEL,
  DEFAULT_CONFIGMAP_KEY,
  checkAppConfigKey,
  configAggregatorRules,
  parseAppConfigLabel,
  type AppConfigLabel,
} from '../../lib/api/config-aggregator/index.js';
import type { ControllerImageProps } from '../../lib/k8s/image.js';
import type { ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { checkDuration, checkPropsObject } from '../../lib/k8s/props.js';
import { ControllerWorkload, PlatformController, constructPath, type ControllerNetworkProps } from '../controller/index.js';
import { AppConfigSchema } from './app-config-schema.js';


export interface ConfigAggregatorProps {
  /** Name of the aggregated ConfigMap (`--configmap-name`). */
  readonly configmapName: string;
  /** Key of the aggregated ConfigMap (`--configmap-key`). @default 'config.yaml' */
  readonly configmapKey?: string;
  /** Label of application ConfigMaps, `key=value` (`--app-config-label`). @default 'numaprom.numaproj.io/component=argo-rollouts' */
  readonly appConfigLabel?: string;
  /** Resync interval (`--interval`), at least 1 second in whole milliseconds: a safety net only; changes arrive by watch. @default Duration.seconds(180) */
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
  /** What its NetworkPolicy allows besides the API server, DNS and the scraper on the metrics port. @default nothing more */
  readonly network?: ControllerNetworkProps;
  /** Lease duration of leader election. @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
}

/**
 * Deploys the config aggregator: it watches ConfigMaps labelled `appConfigLabel` in every
 * namespace, validates each entry against `schema`, and keeps `configmapName` in its own
 * namespace up to date (YAML with a `configs:` list, as the original).
 *
 * A {@link PlatformController} with the aggregator's flags and RBAC (`lib/api/config-aggregator`:
 * read ConfigMaps everywhere, create Events, write only the aggregate), plus the schema ConfigMap.
 */
export class ConfigAggregator extends PlatformController<typeof CONFIG_AGGREGATOR_FLAGS> {
  readonly configmapName: string;
  readonly configmapKey: string;
  /** The label application ConfigMaps carry. */
  readonly appConfigLabel: AppConfigLabel;
  readonly schema: AppConfigSchema;
  /** The controller's Deployment. */
  readonly deployment: k8s.KubeDeployment;
  readonly schemaConfigMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: ConfigAggregatorProps) {
    const where = constructPath(scope, id);
    const p = checkPropsObject(where, props, ['configmapName']);
    checkDns1123Subdomain(where, 'configmapName', p.configmapName, 'ConfigMap');
    const configmapKey = checkAppConfigKey(where, 'configmapKey', p.configmapKey ?? DEFAULT_CONFIGMAP_KEY);
    if (p.configmapName === APP_CONFIG_SCHEMA_CONFIGMAP) {
      throw new ValidationError(where, 'configmapName', `"${APP_CONFIG_SCHEMA_CONFIGMAP}" is the schema ConfigMap`, p.configmapName);
    }
    const resyncMs = checkDuration(where, 'resyncInterval', p.resyncInterval ?? Duration.seconds(180), { minMs: 1000 });
    const label = parseAppConfigLabel(p.appConfigLabel ?? DEFAULT_APP_CONFIG_LABEL, where, 'appConfigLabel');
    const schema = p.schema ?? AppConfigSchema.numalogic();
    if (!(schema instanceof AppConfigSchema)) {
      throw new ValidationError(where, 'schema', `must be AppConfigSchema.numalogic() or AppConfigSchema.of(jsonSchema), not ${describeValue(schema)}`);
    }
    schema.check(where);
    // PlatformController checks replicas and leaseDuration, naming them.
    const workload = ControllerWorkload.deployment({ replicas: p.replicas, leaseDuration: p.leaseDuration });

    super(scope, id, {
      controller: CONFIG_AGGREGATOR,
      flags: CONFIG_AGGREGATOR_FLAGS,
      args: {
        'configmap-name': p.configmapName,
        'configmap-key': configmapKey,
        'app-config-label': `${label.key}=${label.value}`,
        interval: resyncMs,
        'schema-configmap': APP_CONFIG_SCHEMA_CONFIGMAP,
      },
      rules: configAggregatorRules(p.configmapName),
      namespace: p.namespace,
      name: p.name ?? CONFIG_AGGREGATOR,
      workload,
      image: p.image,
      resources: p.resources,
      metricsPort: p.metricsPort,
      network: p.network,
    });
    this.deployment = this.workload as k8s.KubeDeployment;
    this.configmapName = p.configmapName;
    this.configmapKey = configmapKey;
    this.appConfigLabel = label;
    this.schema = schema;
    this.schemaConfigMap = new k8s.KubeConfigMap(this, 'schema', {
      metadata: { name: APP_CONFIG_SCHEMA_CONFIGMAP, namespace: this.namespace, labels: this.labels },
      data: { [APP_CONFIG_SCHEMA_KEY]: schema.toJson() },
    });
    claimObjectNames(this, where);
  }

  /** The label as `key=value`, e.g. for a label selector. */
  get appConfigSelector(): string {
    return `${this.appConfigLabel.key}=${this.appConfigLabel.value}`;
  }
}
