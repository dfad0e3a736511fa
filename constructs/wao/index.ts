export * from './wao.js';
export type { WaoObjectProps } from './wao-object.js';
export * from './node-config.js';
export * from './node-config-template.js';
