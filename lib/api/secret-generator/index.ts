/** What the secret generator's constructs and controller share: the wire format and its validation. */
export * from './wire.js';
export * from './spec.js';
