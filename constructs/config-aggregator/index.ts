export * from './app-config-schema.js';
export * from './app-config.js';
export * from './config-aggregator.js';
export {
  APP_CONFIG_SCHEMA_CONFIGMAP,
  APP_CONFIG_SCHEMA_KEY,
  DEFAULT_APP_CONFIG_LABEL,
  parseAppConfigLabel,
  type AppConfigLabel,
} from '../../lib/api/config-aggregator/index.js';
