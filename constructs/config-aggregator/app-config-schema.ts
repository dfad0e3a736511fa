import type { ValidateFunction } from 'ajv';
import { AppConfigError, compileAppConfigSchema, schemaProblem, type JsonSchema } from '../../lib/api/config-aggregator/schema.js';

export { AppConfigError, type JsonSchema } from '../../lib/api/config-aggregator/schema.js';

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

  /** The compiled validator; throws an AppConfigError naming `source` when the schema itself is invalid. */
  private compiled(source: string): ValidateFunction {
    if (!this.validateFn) {
      try {
        this.validateFn = compileAppConfigSchema(this.schema);
      } catch (err) {
        throw new AppConfigError(source, 'schema', { pointer: '', reason: `is not a valid JSON Schema: ${(err as Error).message}` });
      }
    }
    return this.validateFn;
  }

  /** Throws an AppConfigError naming `source` unless the schema compiles. */
  check(source = 'config-aggregator'): void {
    this.compiled(source);
  }

  /**
   * Validates a config; throws an AppConfigError naming `source`, `field` and the JSON pointer of
   * the bad value, in the words of the controller's Event for the same config.
   */
  validate(config: unknown, source = 'app-config', field = 'config'): void {
    const validate = this.compiled(source);
    if (validate(config)) return;
    throw new AppConfigError(source, field, schemaProblem(validate.errors));
  }

  /** `schema.json` as the aggregator reads it. */
  toJson(): string {
    return `${JSON.stringify(this.schema, null, 2)}\n`;
  }
}
