/**
 * Konsumerator's NaivePredictor as pure functions: the CPU and memory one consumer instance
 * needs for the partitions it owns, from each partition's production rate, consumption rate and
 * backlog, and the container's resourcePolicy applied to that estimate.
 *
 * Per partition (R = recoveryTime in seconds):
 * - lag L = messages behind / production rate (seconds of production not yet consumed);
 * - expected consumption C = P + behind / R: the production rate plus what drains the backlog
 *   within the recovery time. With L = behind / P this is the original's P + L·P/R, and C = P
 *   when there is no backlog.
 * A partition without metrics counts as the largest known C (the original's workaround for
 * partly missing metrics). Then:
 * - CPU request (millicores) = ΣC × 1000 / ratePerCore, rounded up to a multiple of cpuIncrement;
 * - CPU limit = the request rounded up to whole cores;
 * - memory request = limit = limit cores × ramPerCore.
 *
 * Two defects of the original are fixed here:
 * - production dropping to 0 while a backlog remains made the lag 0 (and so never critical) and
 *   the estimate 0: the lag now uses the consumption rate, else the last known production, and
 *   a backlog that nothing drains is an infinite lag; the estimate still carries behind / R;
 * - the consumption query was fetched and never used: it now stands in for the production rate
 *   when production is unknown or 0 (see above).
 */

/** What the metrics provider knows about one partition; any field may be missing. */
export interface PartitionMetrics {
  /** Messages produced per second. */
  readonly production?: number;
  /** Messages not consumed yet (the consumer group's lag in messages). */
  readonly behind?: number;
  /** Messages consumed per second. */
  readonly consumption?: number;
  /**
   * The last production rate above 0 seen for this partition (kept by the caller across
   * syncs); used for the lag when production is 0 or unknown and nothing is consumed.
   */
  readonly lastKnownProduction?: number;
}

export interface ResourceAmounts {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

export interface ResourceEstimate {
  readonly requests: ResourceAmounts;
  readonly limits: ResourceAmounts;
}

export interface NaiveEstimateInput {
  /** The instance's partitions, in any order; undefined for a partition without metrics. */
  readonly partitions: readonly (PartitionMetrics | undefined)[];
  /** Messages per second one core consumes. */
  readonly ratePerCore: number;
  /** Bytes of memory per core of the CPU limit. */
  readonly ramPerCore: number;
  /** The backlog is to be drained within this many seconds. */
  readonly recoveryTimeSeconds: number;
  /** The CPU request is a multiple of this. @default 100 */
  readonly cpuIncrementMillis?: number;
}

export interface NaiveEstimate extends ResourceEstimate {
  /** ΣC: the messages per second the instance is expected to consume, missing partitions included. */
  readonly expectedConsumption: number;
  /**
   * How many partitions had no usable metrics (counted as the largest known one). When it equals
   * the number of partitions the estimate is 0 and means "unknown": keep the current resources.
   */
  readonly partitionsWithoutMetrics: number;
}

export interface ResourceBounds {
  readonly cpuMillis?: number;
  readonly memoryBytes?: number;
}

/** A container's resourcePolicy, quantities already parsed. */
export interface ResourcePolicy {
  readonly minAllowed?: ResourceBounds;
  readonly maxAllowed?: ResourceBounds;
}

export const DEFAULT_CPU_INCREMENT_MILLIS = 100;

/** A finite, non-negative number, else undefined: NaN, ±Inf and negative readings are no readings. */
function reading(v: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function hasMetrics(m: PartitionMetrics | undefined): m is PartitionMetrics {
  return m !== undefined && (reading(m.production) !== undefined || reading(m.behind) !== undefined || reading(m.consumption) !== undefined);
}

/**
 * The rate the backlog is measured in: production when above 0; with a backlog and no
 * production, the consumption rate, else the last known production. 0 when production (or,
 * without a production reading, consumption) is known to be 0 and no other rate is; undefined
 * when no rate is known at all.
 */
function lagRate(m: PartitionMetrics, lastKnownProduction: number | undefined): number | undefined {
  const production = reading(m.production);
  if (production !== undefined && production > 0) return production;
  const consumption = reading(m.consumption);
  if (consumption !== undefined && consumption > 0) return consumption;
  const last = reading(lastKnownProduction);
  if (last !== undefined && last > 0) return last;
  return production ?? consumption;
}

/**
 * The lag of a partition in seconds: messages behind / production rate. When production is 0
 * (or unknown) with a backlog, the consumption rate stands in, else `lastKnownProduction`
 * (default: the metrics' own `lastKnownProduction`). A backlog with every known rate at 0 is
 * `Infinity` (nothing drains it: critical once criticalLag is set). 0 without a backlog, and 0
 * when no rate is known at all (no metrics must not make an instance critical).
 */
export function lagSeconds(metrics: PartitionMetrics | undefined, lastKnownProduction?: number): number {
  if (!metrics) return 0;
  const behind = reading(metrics.behind);
  if (behind === undefined || behind === 0) return 0;
  const rate = lagRate(metrics, lastKnownProduction ?? metrics.lastKnownProduction);
  if (rate === undefined) return 0;
  return rate === 0 ? Infinity : behind / rate;
}

/**
 * The largest lag of an instance's partitions (0 for none). `lastKnownProduction[i]`, when
 * given, is partition i's; else each entry's own `lastKnownProduction` is used.
 */
export function maxLagSeconds(partitions: readonly (PartitionMetrics | undefined)[], lastKnownProduction?: readonly (number | undefined)[]): number {
  let max = 0;
  partitions.forEach((m, i) => {
    max = Math.max(max, lagSeconds(m, lastKnownProduction?.[i]));
  });
  return max;
}

/** criticalLag reached: the instance gets its policy's maxAllowed. Never without a criticalLag. */
export function isLagCritical(maxLag: number, criticalLagSeconds: number | undefined): boolean {
  return criticalLagSeconds !== undefined && criticalLagSeconds > 0 && maxLag >= criticalLagSeconds;
}

/**
 * The expected consumption C of one partition in messages per second, or undefined without
 * metrics: P + behind / R, P being production, else (production unknown) consumption, else the
 * last known production, else 0 with a backlog.
 */
export function expectedConsumption(metrics: PartitionMetrics | undefined, recoveryTimeSeconds: number): number | undefined {
  if (!hasMetrics(metrics)) return undefined;
  const behind = reading(metrics.behind) ?? 0;
  const production = reading(metrics.production) ?? reading(metrics.consumption) ?? reading(metrics.lastKnownProduction);
  if (production === undefined && behind === 0) return undefined;
  return (production ?? 0) + behind / recoveryTimeSeconds;
}

function positive(name: string, v: number): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a finite number above 0, got ${v}`);
  return v;
}

/** Rounds `v` up to a multiple of `step`, ignoring floating-point dust (1800.0000000002 is 1800). */
function ceilTo(v: number, step: number): number {
  const snapped = Math.abs(v - Math.round(v)) < 1e-6 ? Math.round(v) : v;
  return Math.ceil(snapped / step) * step;
}

/** The NaivePredictor's estimate for one instance, before the resourcePolicy (see `clampToPolicy`). */
export function naiveEstimate(input: NaiveEstimateInput): NaiveEstimate {
  const ratePerCore = positive('ratePerCore', input.ratePerCore);
  const recovery = positive('recoveryTimeSeconds', input.recoveryTimeSeconds);
  const step = input.cpuIncrementMillis ?? DEFAULT_CPU_INCREMENT_MILLIS;
  if (!Number.isSafeInteger(step) || step <= 0) throw new RangeError(`cpuIncrementMillis must be an integer above 0, got ${step}`);
  if (!(Number.isFinite(input.ramPerCore) && input.ramPerCore >= 0)) throw new RangeError(`ramPerCore must be a finite number of bytes, at least 0, got ${input.ramPerCore}`);

  const known: number[] = [];
  let missing = 0;
  for (const m of input.partitions) {
    const c = expectedConsumption(m, recovery);
    if (c === undefined) missing++;
    else known.push(c);
  }
  const largest = known.reduce((a, b) => Math.max(a, b), 0);
  const total = known.reduce((a, b) => a + b, 0) + missing * largest;

  const cpuRequest = ceilTo((total * 1000) / ratePerCore, step);
  const cpuLimit = ceilTo(cpuRequest, 1000);
  const memory = Math.ceil((cpuLimit / 1000) * input.ramPerCore);
  return {
    requests: { cpuMillis: cpuRequest, memoryBytes: memory },
    limits: { cpuMillis: cpuLimit, memoryBytes: memory },
    expectedConsumption: total,
    partitionsWithoutMetrics: missing,
  };
}

function clamp(v: number, min: number | undefined, max: number | undefined): number {
  if (max !== undefined && v > max) return max;
  if (min !== undefined && v < min) return min;
  return v;
}

/** min and max of one resource; a policy whose min exceeds its max is read swapped, as the original does. */
function bounds(policy: ResourcePolicy | undefined, key: keyof ResourceBounds): { min?: number; max?: number } {
  const min = policy?.minAllowed?.[key];
  const max = policy?.maxAllowed?.[key];
  if (min !== undefined && max !== undefined && min > max) return { min: max, max: min };
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

export interface ClampOptions {
  /**
   * The instance's lag reached criticalLag (`isLagCritical`): each resource with a maxAllowed
   * gets it as request and limit; a resource without one keeps the clamped estimate.
   */
  readonly critical?: boolean;
}

/**
 * Applies a container's resourcePolicy: limit = clamp(estimate, min, max), request =
 * clamp(estimate, min, limit), per resource; a bound that is not set does not bound. No policy
 * leaves the estimate as it is (apart from `critical`, which needs a maxAllowed).
 */
export function clampToPolicy(estimate: ResourceEstimate, policy?: ResourcePolicy, opts: ClampOptions = {}): ResourceEstimate {
  const one = (key: keyof ResourceBounds) => {
    const { min, max } = bounds(policy, key);
    if (opts.critical && max !== undefined) return { request: max, limit: max };
    const limit = clamp(estimate.limits[key], min, max);
    return { request: clamp(estimate.requests[key], min, limit), limit };
  };
  const cpu = one('cpuMillis');
  const memory = one('memoryBytes');
  return {
    requests: { cpuMillis: cpu.request, memoryBytes: memory.request },
    limits: { cpuMillis: cpu.limit, memoryBytes: memory.limit },
  };
}
