/**
 * What any controller's construct and runtime share (pure TypeScript): typed flags, the manager's
 * flags, RBAC rules, admission webhook specs. Each controller's own API is in `lib/api/<controller>/`.
 */
export * from './flags.js';
export * from './manager.js';
export * from './rbac.js';
export * from './webhook.js';
export * from './crd/index.js';
export * from './wao/index.js';
export * from './konsumerator/index.js';
export * from './servo/index.js';
// WAO's and Konsumerator's spec problems are the same shape: one name in the package.
export type { SpecProblem } from './wao/index.js';
