/** The aggregator's flags and names live in lib/api/config-aggregator, shared with its construct. */
export {
  APP_CONFIG_SCHEMA_CONFIGMAP as DEFAULT_SCHEMA_CONFIGMAP,
  APP_CONFIG_SCHEMA_KEY as SCHEMA_KEY,
  CONFIG_AGGREGATOR_FLAGS,
  DEFAULT_APP_CONFIG_LABEL,
  optionsFromFlags,
  type ConfigAggregatorFlags,
  type ConfigAggregatorOptions,
} from '../../lib/api/config-aggregator/index.js';
