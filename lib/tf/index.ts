export * from './kubernetes-manifests.js';
export * from './terraform-module-outputs.js';
export * from './state-backend.js';
