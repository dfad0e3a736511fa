/** platform-constructs: the module-output contract, the constructs built on it and the cdktf bridge. */
export * from './contract/index.js';
export * from './k8s/index.js';
export * from './tf/index.js';
export * from '../constructs/modules/index.js';
export * from '../constructs/armonik/index.js';
export * from '../constructs/config-aggregator/index.js';
export * from './gitops/index.js';
