/**
 * platform-constructs: the module-output contract and the cdk8s constructs built on it.
 * The cdktf bridge is the subpath `platform-constructs/tf` (./tf.ts), so that a cdk8s-only
 * project needs no cdktf.
 */
export * from './lib/contract/index.js';
export * from './lib/k8s/index.js';
export * from './lib/api/index.js';
export * from './lib/gitops/index.js';
export * from './lib/network/index.js';
export * from './constructs/controller/index.js';
export * from './constructs/modules/index.js';
export * from './constructs/armonik/index.js';
export * from './constructs/config-aggregator/index.js';
export * from './constructs/secret-generator/index.js';
export * from './constructs/wao/index.js';
export * from './constructs/konsumerator/index.js';
export * from './constructs/servo/index.js';
