export * from './external-s3.js';
