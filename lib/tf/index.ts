export * from './kubernetes-manifests.js';
export * from './manifest-engine.js';
export * from './cluster-connection.js';
export * from './kubectl-provider.js';
export * from './hashicorp-kubernetes-provider.js';
export * from './terraform-module-outputs.js';
export * from './state-backend.js';
