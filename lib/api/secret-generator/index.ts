/** What the secret generator's constructs and controller share: the wire format, its validation, flags and RBAC. */
export * from './wire.js';
export * from './spec.js';
export * from './flags.js';
export * from './rbac.js';
