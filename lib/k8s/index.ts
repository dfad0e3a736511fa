export * from './labels.js';
export * from './names.js';
export * from './security.js';
export * from './image.js';
export * from './quantity.js';
export * from './version.js';
export * from './validation.js';
