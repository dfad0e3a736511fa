/** Custom resources declared once in TypeScript: the schema builder, declarations, validation. */
export * from './schema.js';
export * from './definition.js';
export * from './validate.js';
