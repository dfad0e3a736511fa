import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { pointerSegment } from '../../k8s/json-pointer.js';
import { ValidationError } from '../../k8s/validation.js';

/** A JSON Schema document (draft-07, what the original's `schema.json` is). */
export type JsonSchema = { readonly [key: string]: unknown } | boolean;

/** What is wrong with a config: `pointer` is a JSON pointer into it ('' for the whole config). */
export interface AppConfigProblem {
  readonly pointer: string;
  readonly reason: string;
}

/**
 * Thrown for a config that does not match its schema, or a schema that is not one. `pointer` is
 * the JSON pointer of the bad field inside the config.
 */
export class AppConfigError extends ValidationError {
  readonly pointer: string;
  constructor(source: string, field: string, problem: AppConfigProblem) {
    super(source, field, describeAppConfigProblem(problem));
    this.name = 'AppConfigError';
    this.pointer = problem.pointer;
  }
}

/** Compiles a schema; throws a plain Error with ajv's reason when it is not a JSON Schema. */
export function compileAppConfigSchema(schema: JsonSchema): ValidateFunction {
  return new Ajv({ allErrors: true, strict: false }).compile(schema as object);
}

/**
 * The first schema error as the JSON pointer of the offending field and a readable reason: the
 * one mapping of ajv errors, so that a bad config reads the same at synth time (construct) and in
 * the controller's Event.
 */
export function schemaProblem(errors: readonly ErrorObject[] | null | undefined): AppConfigProblem {
  const e = errors?.[0];
  if (!e) return { pointer: '', reason: 'does not match the schema' };
  let pointer = e.instancePath;
  let reason = e.message ?? 'is invalid';
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
    pointer = `${pointer}/${pointerSegment(p.missingProperty)}`;
    reason = 'is required';
  } else if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
    pointer = `${pointer}/${pointerSegment(p.additionalProperty)}`;
    reason = 'is not allowed';
  } else if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    reason = `${reason}: ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const more = (errors?.length ?? 0) > 1 ? ` (and ${errors!.length - 1} more)` : '';
  return { pointer, reason: `${reason}${more}` };
}

/** `at /metric_configs/0/metric: is required`, or the bare reason for the whole config. */
export function describeAppConfigProblem(problem: AppConfigProblem): string {
  return problem.pointer ? `at ${problem.pointer}: ${problem.reason}` : problem.reason;
}
