/**
 * What WAO's construct and runtime share: names, the NodeConfig and NodeConfigTemplate
 * declarations and their checks, the template renderer, label selectors, flags and RBAC.
 */
export * from './names.js';
export * from './crds.js';
export * from './selector.js';
export * from './template.js';
export * from './flags.js';
export * from './rbac.js';
