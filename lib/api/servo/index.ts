/**
 * What the job measurement daemon (`platform-controllers servo`), its webhook, its monitor
 * (`platform-controllers servo-monitor`) and the `JobMeasurement` construct share.
 */
export * from './names.js';
export * from './app-id.js';
export * from './pod.js';
export * from './job.js';
export * from './wire.js';
export * from './monitor-report.js';
export * from './sidecar.js';
export * from './flags.js';
export * from './rbac.js';
export * from './webhook.js';
