import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** A JSON Schema document (draft-07, what the original's `schema.json` is). */
export type JsonSchema = { readonly [key: string]: unknown } | boolean;

/** One metric an application wants Numalogic to watch (an item of `metric_configs`). */
export interface MetricConfig {
  /** Prometheus metric name, e.g. `rollout_error_rate`. */
  readonly metric: string;
  /** Labels that identify one time series, e.g. `["namespace", "name", "hash_id"]`. */
  readonly composite_keys: readonly string[];
  /** Anomaly score above which the metric is anomalous without a trained model. @default none */
  readonly static_threshold?: number;
  /** Weight of the static threshold against the model score, 0 to 1. @default none */
  readonly static_threshold_wt?: number;
  /** Further Numalogic settings pass through unchanged. */
  readonly [setting: string]: unknown;
}

/** Metrics combined into one score (an item of `unified_configs`). */
export interface UnifiedConfig {
  /** Name of the combined metric, e.g. `unified_anomaly`. */
  readonly unified_metric_name: string;
  /** The `metric` names it combines. */
  readonly unified_metrics: readonly string[];
  /** How scores are combined, e.g. `max`, `mean`, `weighted`. @default none */
  readonly unified_strategy?: string;
  /** Weights for `weighted`, one per metric. @default none */
  readonly unified_weights?: readonly number[];
  readonly [setting: string]: unknown;
}

/** One application's configuration, the format of the seed's example. */
export interface NumalogicAppConfig {
  /** Service name. @default none */
  readonly service?: string;
  readonly metric_configs: readonly MetricConfig[];
  readonly unified_configs: readonly UnifiedConfig[];
  readonly [setting: string]: unknown;
}

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/**
 * The schema of the seed's example configuration, tighter than the original's placeholder
 * (which only asked for two arrays of objects): each metric config names its metric and composite
 * keys, thresholds are numbers, unified configs name the metrics they combine. Unknown settings
 * pass through, as Numalogic has many. The aggregator sets `namespace` on every entry itself.
 */
export const NUMALOGIC_APP_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Numalogic application configuration',
  type: 'object',
  properties: {
    service: { type: 'string' },
    metric_configs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          metric: { type: 'string', minLength: 1 },
          composite_keys: { ...stringList, minItems: 1 },
          static_threshold: { type: 'number', minimum: 0 },
          static_threshold_wt: { type: 'number', minimum: 0, maximum: 1 },
        },
        required: ['metric', 'composite_keys'],
      },
    },
    unified_configs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          unified_metric_name: { type: 'string', minLength: 1 },
          unified_metrics: { ...stringList, minItems: 1 },
          unified_strategy: { type: 'string' },
          unified_weights: { type: 'array', items: { type: 'number' } },
        },
        required: ['unified_metric_name', 'unified_metrics'],
      },
    },
  },
  required: ['metric_configs', 'unified_configs'],
} as const satisfies JsonSchema;

/** Thrown when a config or schema is invalid; `path` is a JSON pointer into the config. */
export class AppConfigError extends Error {
  constructor(
    readonly source: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${source}: ${path || '(root)'} ${reason}`);
    this.name = 'AppConfigError';
  }
}

/**
 * A JSON Schema that application configs must satisfy, compiled once. Use `numalogic()` for the
 * seed's format or `of(schema)` for your own.
 */
export class AppConfigSchema {
  /** The seed's format (`metric_configs`, `unified_configs`, ...). */
  static numalogic(): AppConfigSchema {
    return new AppConfigSchema(NUMALOGIC_APP_CONFIG_SCHEMA);
  }

  /** Any JSON Schema (draft-07); throws when it is not a valid schema. */
  static of(schema: JsonSchema): AppConfigSchema {
    return new AppConfigSchema(schema);
  }

  private validateFn?: ValidateFunction;

  private constructor(readonly schema: JsonSchema) {}

  /** The compiled validator; throws an AppConfigError when the schema itself is invalid. */
  private compiled(): ValidateFunction {
    if (!this.validateFn) {
      try {
        this.validateFn = new Ajv({ allErrors: true, strict: false }).compile(this.schema as object);
      } catch (err) {
        throw new AppConfigError('schema', '', `is not a valid JSON Schema: ${(err as Error).message}`);
      }
    }
    return this.validateFn;
  }

  /** Throws an AppConfigError unless the schema compiles. */
  check(source = 'schema'): void {
    try {
      this.compiled();
    } catch (err) {
      if (err instanceof AppConfigError) throw new AppConfigError(source, '', err.reason);
      throw err;
    }
  }

  /** Validates a config; throws an AppConfigError naming `source` and the JSON pointer of the field. */
  validate(config: unknown, source = 'config'): void {
    const validate = this.compiled();
    if (validate(config)) return;
    const { path, reason } = firstError(validate.errors);
    throw new AppConfigError(source, path, reason);
  }

  /** `schema.json` as the aggregator reads it. */
  toJson(): string {
    return `${JSON.stringify(this.schema, null, 2)}\n`;
  }
}

function escape(p: string): string {
  return p.replace(/~/g, '~0').replace(/\//g, '~1');
}

function firstError(errors: readonly ErrorObject[] | null | undefined): { path: string; reason: string } {
  const e = errors?.[0];
  if (!e) return { path: '', reason: 'does not match the schema' };
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
    return { path: `${e.instancePath}/${escape(p.missingProperty)}`, reason: 'is required' };
  }
  if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
    return { path: `${e.instancePath}/${escape(p.additionalProperty)}`, reason: 'is not allowed' };
  }
  return { path: e.instancePath, reason: e.message ?? 'is invalid' };
}
