export * from './job-measurement.js';
