export * from './gitops-layout.js';
