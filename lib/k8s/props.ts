/**
 * Type checks of construct props, for the constructs of every folder: plain-JavaScript users
 * (and `as any`) get a {@link ValidationError} naming the construct and the prop, never a
 * TypeError from deep inside a constructor or cdk8s. The Kubernetes rules themselves (names,
 * quantities, ports...) are in validators.ts; these only say what type a prop must have.
 */
import { Duration } from 'cdk8s';
import { describeValue, ValidationError } from './validation.js';
import { checkEnvVars, labelKeyReason, labelValueReason } from './validators.js';

/**
 * An object that can hold props: a plain object, or a class instance implementing the props
 * interface; not a list, a Map, a Set, a function, null or a primitive.
 */
export function isPropsObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set);
}

/**
 * The props object of a constructor: a plain object (`{...}`). `undefined` is refused when
 * `required` names the props that must be given, and is `{}` otherwise.
 */
export function checkPropsObject<T>(where: string, props: T | undefined, required?: readonly string[]): T {
  if (props === undefined && !required?.length) return {} as T;
  if (!isPropsObject(props as unknown)) {
    const needs = required?.length ? ` with ${required.join(', ')}` : '';
    throw new ValidationError(where, 'props', `must be an object${needs}, not ${describeValue(props)}`, props);
  }
  return props as T;
}

/** A prop that must be a string when given (`undefined`: not given). */
export function checkOptionalString(where: string, field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return checkString(where, field, value);
}

/** A prop that must be a non-empty string. */
export function checkString(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(where, field, `must be a non-empty string, not ${describeValue(value)}`, value);
  }
  return value;
}

/** A prop that must be `true` or `false` when given. */
export function checkOptionalBoolean(where: string, field: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new ValidationError(where, field, `must be true or false, not ${describeValue(value)}`, value);
}

/** A prop that must be a plain object (`{...}`) when given. */
export function checkOptionalObject<T>(where: string, field: string, value: T | undefined, what = 'an object'): T | undefined {
  if (value === undefined) return undefined;
  if (!isPropsObject(value as unknown)) throw new ValidationError(where, field, `must be ${what}, not ${describeValue(value)}`, value);
  return value;
}

/** What {@link checkDuration} accepts. */
export interface DurationRule {
  /** The shortest accepted duration, in milliseconds. */
  readonly minMs: number;
  /** Only whole seconds (what a field in seconds, such as a Lease's, can hold). @default false */
  readonly wholeSeconds?: boolean;
}

/**
 * A cdk8s `Duration` prop, returned in milliseconds: a Duration (not a number), a whole number
 * of milliseconds (`Duration.millis(500)` would otherwise fail inside cdk8s's conversion to
 * seconds, without the construct or prop), at least `minMs`.
 */
export function checkDuration(where: string, field: string, value: unknown, rule: DurationRule): number {
  const accepted = `a Duration of at least ${formatMs(rule.minMs)}${rule.wholeSeconds ? ' in whole seconds' : ''} (e.g. Duration.seconds(${Math.max(1, Math.ceil(rule.minMs / 1000))}))`;
  if (!(value instanceof Duration)) {
    throw new ValidationError(where, field, `must be ${accepted}, not ${describeValue(value)}`, value);
  }
  const ms = value.toMilliseconds({ integral: false });
  const shown = value.toHumanString() || String(ms);
  if (!Number.isFinite(ms) || !Number.isInteger(ms) || ms < rule.minMs || (rule.wholeSeconds && ms % 1000 !== 0)) {
    throw new ValidationError(where, field, `${shown} is not ${accepted}`, shown);
  }
  return ms;
}

function formatMs(ms: number): string {
  if (ms % 1000 === 0) return ms === 1000 ? '1 second' : `${ms / 1000} seconds`;
  return `${ms} ms`;
}

/**
 * Checks that `value` (the props, or one object prop, named `field`) is an object (not a list, a
 * Map or a Set; a class implementing the props interface is fine) whose own keys are all in
 * `known`; `undefined` is `{}` unless `required`. Returns it, typed.
 */
export function checkObject<T extends object>(where: string, field: string, value: T | undefined, known: readonly string[], required = false): T {
  if (value === undefined && !required) return {} as T;
  if (!isPropsObject(value)) {
    const what = value === undefined ? 'is required' : `must be an object, not ${describeValue(value)}`;
    throw new ValidationError(where, field, `${what} (fields: ${known.join(', ')})`, value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ValidationError(where, field === 'props' ? key : `${field}.${key}`, `unknown field (expected one of ${known.join(', ')})`, value[key]);
    }
  }
  return value as T;
}

/** An optional list of strings (e.g. `parentPartitionIds`), or `[]` when not given. */
export function checkStringList(where: string, field: string, list: readonly string[] | undefined): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ValidationError(where, field, `must be a list of strings, not ${describeValue(list)}`, list);
  list.forEach((v, i) => {
    if (typeof v !== 'string') throw new ValidationError(where, `${field}[${i}]`, `must be a string, not ${describeValue(v)}`, v);
  });
  return [...list];
}

/** An optional `env` prop: name → string, checked with the shared rule; undefined when not given. */
export function checkOptionalEnv(where: string, field: string, env: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  return env === undefined ? undefined : checkEnvVars(where, field, env);
}

/** Checks that `value` is an instance of `type` (a scaling made by its static factories, a construct), when given. */
export function checkInstance<T>(where: string, field: string, value: T | undefined, type: Function & { prototype: T }, how: string): T | undefined {
  if (value === undefined || value instanceof type) return value;
  throw new ValidationError(where, field, `must be made with ${how}, not ${describeValue(value)}`, value);
}

/** Labels or annotations of an object: an object of valid keys to strings (valid label values for labels). */
export function checkMetadataMap(where: string, field: string, map: Record<string, string> | undefined, what: 'label' | 'annotation'): void {
  checkOptionalObject(where, field, map, `an object of ${what} key: value strings`);
  for (const [k, v] of Object.entries(map ?? {})) {
    const badKey = labelKeyReason(k, what);
    if (badKey) throw new ValidationError(where, `${field}.${k}`, badKey, k);
    if (typeof v !== 'string') throw new ValidationError(where, `${field}.${k}`, `must be a string, not ${describeValue(v)}`, v);
    if (what === 'label') {
      const badValue = labelValueReason(v);
      if (badValue) throw new ValidationError(where, `${field}.${k}`, badValue, v);
    }
  }
}
