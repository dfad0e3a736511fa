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
  configAggregatorRules,
  parseAppConfigLabel,
  type AppConfigLabel,
} from '../../lib/api/config-aggregator/index.js';
import type { ControllerImageProps } from '../../lib/k8s/image.js';
import type { ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { checkConfigKey, checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { ControllerWorkload, PlatformController, constructPath } from '../controller/index.js';
import { AppConfigSchema } from './app-config-schema.js';


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
    checkDns1123Subdomain(where, 'configmapName', props.configmapName, 'ConfigMap');
    const configmapKey = checkConfigKey(where, 'configmapKey', props.configmapKey ?? DEFAULT_CONFIGMAP_KEY);
    if (props.configmapName === APP_CONFIG_SCHEMA_CONFIGMAP) {
      throw new ValidationError(where, 'configmapName', `"${APP_CONFIG_SCHEMA_CONFIGMAP}" is the schema ConfigMap`, props.configmapName);
    }
    const resync = props.resyncInterval ?? Duration.seconds(180);
    if (resync.toSeconds() < 1) throw new ValidationError(where, 'resyncInterval', 'must be at least 1 second');
    const label = parseAppConfigLabel(props.appConfigLabel ?? DEFAULT_APP_CONFIG_LABEL, where, 'appConfigLabel');
    const schema = props.schema ?? AppConfigSchema.numalogic();
    schema.check(where);

    super(scope, id, {
      controller: CONFIG_AGGREGATOR,
      flags: CONFIG_AGGREGATOR_FLAGS,
      args: {
        'configmap-name': props.configmapName,
        'configmap-key': configmapKey,
        'app-config-label': `${label.key}=${label.value}`,
        interval: resync.toMilliseconds(),
        'schema-configmap': APP_CONFIG_SCHEMA_CONFIGMAP,
      },
      rules: configAggregatorRules(props.configmapName),
      namespace: props.namespace,
      name: props.name ?? CONFIG_AGGREGATOR,
      workload: ControllerWorkload.deployment({ replicas: props.replicas, leaseDuration: props.leaseDuration }),
      image: props.image,
      resources: props.resources,
      metricsPort: props.metricsPort,
    });
    this.deployment = this.workload as k8s.KubeDeployment;
    this.configmapName = props.configmapName;
    this.configmapKey = configmapKey;
    this.appConfigLabel = label;
    this.schema = schema;
    this.schemaConfigMap = new k8s.KubeConfigMap(this, 'schema', {
      metadata: { name: APP_CONFIG_SCHEMA_CONFIGMAP, namespace: this.namespace, labels: this.labels },
      data: { [APP_CONFIG_SCHEMA_KEY]: schema.toJson() },
    });
  }

  /** The label as `key=value`, e.g. for a label selector. */
  get appConfigSelector(): string {
    return `${this.appConfigLabel.key}=${this.appConfigLabel.value}`;
  }
}
