export * from './kubernetes-manifests.js';
