export * from './armonik.js';
export * from './compute-plane.js';
export * from './control-plane.js';
export * from './metrics-exporter.js';
export * from './module-env.js';
export * from './partition-metrics-exporter.js';
export * from './partition-scaling.js';
export { ARMONIK_CORE_VERSION, ARMONIK_UID, type ModuleList, type Workload } from './workload.js';
