/** What the config aggregator's construct and runtime share: names, flags, label, schema messages, RBAC. */
export * from './names.js';
export * from './label.js';
export * from './schema.js';
export * from './flags.js';
export * from './rbac.js';
