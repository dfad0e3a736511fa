export * from './platform-controller.js';
export * from './controller-workload.js';
export * from './controller-rbac.js';
export * from './admission-webhooks.js';
export * from './webhook-certificate.js';
export * from './custom-resource-definition.js';
export * from './custom-resource.js';
export * from './runtime-options.js';
