export * from './adapters.js';
export { ModuleOutputsError } from './errors.js';
export type { MergeOptions } from './merge.js';
export * from './module-outputs.js';
export type { RenderOptions } from './render.js';
export { MODULE_OUTPUTS_SCHEMA } from './schema.js';
export * from './types.js';
export { MODULE_OUTPUTS_JSON_SCHEMA } from './json-schema.js';
export { PodVolumeNames } from './volume-names.js';
