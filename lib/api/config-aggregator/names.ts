/** Names and defaults the config aggregator's construct and runtime share (the original's). */
import { configKeyReason, ensure } from '../../k8s/validators.js';

/** The controller's name in the image (`platform-controllers config-aggregator`). */
export const CONFIG_AGGREGATOR = 'config-aggregator';
/** Label of application ConfigMaps when none is given. */
export const DEFAULT_APP_CONFIG_LABEL = 'numaprom.numaproj.io/component=argo-rollouts';
/** ConfigMap (in the controller's namespace) that holds the schema. */
export const APP_CONFIG_SCHEMA_CONFIGMAP = 'application-config-schema';
/** Key of the schema in that ConfigMap. */
export const APP_CONFIG_SCHEMA_KEY = 'schema.json';
/** Key of the aggregate in the aggregated ConfigMap when none is given. */
export const DEFAULT_CONFIGMAP_KEY = 'config.yaml';

/**
 * Why `key` cannot be a data key of the aggregate or of an application ConfigMap, or undefined:
 * the ConfigMap key rule (alphanumerics, '-', '_', '.'; not '.', not starting with '..', whose
 * files would clash with the kubelet's `..data` in a mounted volume). The one rule for the
 * constructs (`configmapKey`, AppConfig `key`) and the runtime (`--configmap-key`, the keys of
 * application ConfigMaps), so that a bad key reads the same at synth time and at run time.
 */
export function appConfigKeyReason(key: string): string | undefined {
  return configKeyReason(key);
}

/** Throws a ValidationError of `source` and `field` unless `key` is a valid config key; returns it. */
export function checkAppConfigKey(source: string, field: string, key: string): string {
  return ensure(source, field, key, appConfigKeyReason(key));
}
