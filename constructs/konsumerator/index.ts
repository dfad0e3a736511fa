export * from './konsumerator.js';
export * from './consumer.js';
