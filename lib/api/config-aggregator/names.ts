/** Names and defaults the config aggregator's construct and runtime share (the original's). */

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
