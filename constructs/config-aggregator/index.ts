export * from './app-config-schema.js';
export * from './app-config.js';
export * from './config-aggregator.js';
export { DEFAULT_APP_CONFIG_LABEL, parseAppConfigLabel } from './labels.js';
