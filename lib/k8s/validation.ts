/**
 * The one error shape for bad input, wherever it is caught: `source` says where the value came
 * from (a construct path, `module "mongodb"`, a ConfigMap `ns/name`), `field` which prop or JSON
 * pointer, `reason` what is wrong with it (the value quoted, truncated) and what is accepted.
 * The message is `source: field: reason`.
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

/** Longest quoted value in a message: a 1 MB value must not make a 1 MB error. */
export const QUOTE_MAX = 80;

/**
 * A string as messages quote it: JSON-quoted, cut to {@link QUOTE_MAX} characters with the full
 * length said (`"aaaa…" (1048576 characters)`), so control characters stay visible.
 */
export function quote(s: string, max = QUOTE_MAX): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, max))}… (${s.length} characters)`;
}

/**
 * Any value as messages describe it, by what it is: `null`, `undefined`, `NaN`, `a list`,
 * `a Map`, `an object`, `a bigint 12n`, `number 5`, `string "x"` (truncated).
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a Map';
  if (v instanceof Set) return 'a Set';
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `number ${v}` : `${v}`;
    case 'bigint':
      return `a bigint ${v}n`;
    case 'string':
      return `string ${quote(v)}`;
    case 'boolean':
      return `boolean ${v}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return 'an object';
  }
}

/** A value as a message shows it: a string quoted (and cut), anything else described by what it is. */
export function showValue(v: unknown): string {
  return typeof v === 'string' ? quote(v) : describeValue(v);
}

/** A plain object (`{...}`, JSON), as opposed to a list, a Map, a class instance or null. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Sets an own, enumerable property even when the key is `__proto__` (a valid env name and
 * ConfigMap key that plain assignment would turn into a prototype change, losing the entry).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
