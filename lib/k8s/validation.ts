/**
 * The one error shape for bad input, wherever it is caught: `source` says where the value came
 * from (a construct path, `module "mongodb"`, a ConfigMap `ns/name`), `field` which prop or JSON
 * pointer, `reason` what is wrong with it. The message is `source: field: reason`.
 */
export class ValidationError extends Error {
  /** Where the bad value came from: construct path, module, object. */
  readonly source: string;
  /** The prop, flag or JSON pointer that holds it. */
  readonly field: string;
  /** What is wrong, with the value quoted. */
  readonly reason: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;

  constructor(source: string, field: string, reason: string, value?: unknown) {
    super(`${source}: ${field}: ${reason}`);
    this.name = 'ValidationError';
    this.source = source;
    this.field = field;
    this.reason = reason;
    this.value = value;
  }
}
