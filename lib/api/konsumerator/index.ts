/** What Konsumerator's construct and runtime share: names, the Consumer declaration and its checks, flags and RBAC. */
export * from './names.js';
export * from './crds.js';
export * from './flags.js';
export * from './rbac.js';
export * from './template.js';
