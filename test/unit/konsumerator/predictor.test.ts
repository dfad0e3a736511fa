import {
  clampToPolicy,
  expectedConsumption,
  isLagCritical,
  lagSeconds,
  maxLagSeconds,
  naiveEstimate,
  type NaiveEstimateInput,
  type PartitionMetrics,
} from '../../../runtime/konsumerator/predictor.js';

const G = 1e9;
const base = { ratePerCore: 10_000, ramPerCore: 1 * G, recoveryTimeSeconds: 1800 };
const estimate = (partitions: NaiveEstimateInput['partitions'], over: Partial<NaiveEstimateInput> = {}) => naiveEstimate({ ...base, partitions, ...over });
const cpu = (e: { requests: { cpuMillis: number }; limits: { cpuMillis: number } }) => [e.requests.cpuMillis, e.limits.cpuMillis];

describe('naiveEstimate', () => {
  it('the issue\'s examples: 20000/s → 2000m/2000m, 18000/s → 1800m/2000m', () => {
    const a = estimate([{ production: 20_000, behind: 0, consumption: 20_001 }]);
    expect(a.requests).toEqual({ cpuMillis: 2000, memoryBytes: 2 * G });
    expect(a.limits).toEqual({ cpuMillis: 2000, memoryBytes: 2 * G });
    expect(a.expectedConsumption).toBe(20_000);
    expect(a.partitionsWithoutMetrics).toBe(0);
    const b = estimate([{ production: 18_000, behind: 0 }]);
    expect(cpu(b)).toEqual([1800, 2000]);
    expect(b.requests.memoryBytes).toBe(2 * G);
    expect(b.limits.memoryBytes).toBe(2 * G);
  });

  it.each([
    [18_510, 100, 1900, 2000],
    [11_510, 400, 1200, 2000],
    [11_510, 500, 1500, 2000],
    [11_510, 1000, 2000, 2000],
    [200, 100, 100, 1000],
    [10_001, 100, 1100, 2000],
    [0, 100, 0, 0],
  ])('production %d/s, cpuIncrement %dm → request %dm, limit %dm', (production, step, req, lim) => {
    const e = estimate([{ production, behind: 0 }], { cpuIncrementMillis: step });
    expect(cpu(e)).toEqual([req, lim]);
    expect(e.requests.memoryBytes).toBe((lim / 1000) * G);
  });

  it('cpuIncrement defaults to 100m', () => {
    expect(cpu(estimate([{ production: 1 }]))).toEqual([100, 1000]);
  });

  it('ignores floating-point dust when rounding up', () => {
    // 0.1 + 0.2 messages per second at 0.3/s per core is 1000.0000000000001 m
    expect(cpu(estimate([{ production: 0.1 }, { production: 0.2 }], { ratePerCore: 0.3 }))).toEqual([1000, 1000]);
  });

  it('sums the partitions of the instance', () => {
    const e = estimate([{ production: 20_000, behind: 0 }, { production: 20_000, behind: 0 }]);
    expect(e.requests).toEqual({ cpuMillis: 4000, memoryBytes: 4 * G });
    expect(e.limits).toEqual({ cpuMillis: 4000, memoryBytes: 4 * G });
  });

  it('a partition without metrics counts as the largest known one', () => {
    // [20000, 10000, ?, ?] → 20000 + 10000 + 20000 + 20000
    const e = estimate([{ production: 20_000 }, { production: 10_000 }, undefined, {}]);
    expect(e.expectedConsumption).toBe(70_000);
    expect(e.partitionsWithoutMetrics).toBe(2);
    expect(e.requests).toEqual({ cpuMillis: 7000, memoryBytes: 7 * G });
    expect(e.limits).toEqual({ cpuMillis: 7000, memoryBytes: 7 * G });
  });

  it('NaN, ±Inf and negative readings are no readings', () => {
    const e = estimate([{ production: 20_000 }, { production: NaN, behind: -5, consumption: Infinity }]);
    expect(e.partitionsWithoutMetrics).toBe(1);
    expect(e.expectedConsumption).toBe(40_000);
  });

  it('an idle partition (production 0, no backlog) counts as 0, not as missing', () => {
    const e = estimate([{ production: 20_000 }, { production: 0, behind: 0 }]);
    expect(e.partitionsWithoutMetrics).toBe(0);
    expect(e.expectedConsumption).toBe(20_000);
  });

  it('no metrics at all: 0, flagged as unknown', () => {
    const e = estimate([undefined, undefined]);
    expect(e.partitionsWithoutMetrics).toBe(2);
    expect(e.requests).toEqual({ cpuMillis: 0, memoryBytes: 0 });
    expect(e.limits).toEqual({ cpuMillis: 0, memoryBytes: 0 });
    expect(estimate([]).partitionsWithoutMetrics).toBe(0);
  });

  it('with a lag, C = P + L·P/R: 10 minutes behind at 20000/s with R = 30 min adds a third', () => {
    const behind = 10 * 60 * 20_000;
    expect(lagSeconds({ production: 20_000, behind })).toBe(600);
    const e = estimate([{ production: 20_000, behind }]);
    expect(e.expectedConsumption).toBeCloseTo(20_000 + (600 * 20_000) / 1800, 6);
    expect(cpu(e)).toEqual([2700, 3000]);
    expect(e.limits.memoryBytes).toBe(3 * G);
  });

  it('uses the consumption rate when production is unknown', () => {
    expect(estimate([{ consumption: 15_000, behind: 0 }]).expectedConsumption).toBe(15_000);
    expect(expectedConsumption({ behind: 0, lastKnownProduction: 5000 }, 1800)).toBe(5000);
    // the caller's memory alone is not a reading of this sync
    expect(expectedConsumption({ lastKnownProduction: 5000 }, 1800)).toBeUndefined();
    expect(expectedConsumption({ behind: 0 }, 1800)).toBeUndefined();
  });

  it('production 0 with a backlog: the estimate still drains the backlog within recoveryTime (the original gave 0)', () => {
    const e = estimate([{ production: 0, behind: 1_800_000, consumption: 3000 }]);
    expect(e.expectedConsumption).toBe(1000);
    expect(cpu(e)).toEqual([100, 1000]);
    expect(estimate([{ behind: 3_600_000 }]).expectedConsumption).toBe(2000);
  });

  it('refuses settings it cannot compute with, naming them', () => {
    expect(() => estimate([], { ratePerCore: 0 })).toThrow(/ratePerCore must be a finite number above 0, got 0/);
    expect(() => estimate([], { recoveryTimeSeconds: 0 })).toThrow(/recoveryTimeSeconds/);
    expect(() => estimate([], { cpuIncrementMillis: 0 })).toThrow(/cpuIncrementMillis/);
    expect(() => estimate([], { cpuIncrementMillis: 2.5 })).toThrow(/cpuIncrementMillis/);
    expect(() => estimate([], { ramPerCore: -1 })).toThrow(/ramPerCore/);
    expect(() => estimate([], { ratePerCore: NaN })).toThrow(/ratePerCore/);
  });

  it('memory is rounded up to whole bytes', () => {
    expect(estimate([{ production: 1 }], { ramPerCore: 100.5 }).limits.memoryBytes).toBe(101);
  });
});

describe('lagSeconds', () => {
  it('messages behind / production rate', () => {
    expect(lagSeconds({ production: 100, behind: 500 })).toBe(5);
    expect(lagSeconds({ production: 100, behind: 0 })).toBe(0);
    expect(lagSeconds({ production: 100 })).toBe(0);
    expect(lagSeconds(undefined)).toBe(0);
  });

  it('production 0 with a backlog: the consumption rate, else the last known production (the original read 0)', () => {
    expect(lagSeconds({ production: 0, behind: 600, consumption: 20 })).toBe(30);
    expect(lagSeconds({ production: 0, behind: 600, consumption: 0 }, 60)).toBe(10);
    expect(lagSeconds({ production: 0, behind: 600, lastKnownProduction: 30 })).toBe(20);
    expect(lagSeconds({ production: 0, behind: 600, lastKnownProduction: 30 }, 60)).toBe(10);
    expect(lagSeconds({ behind: 600, consumption: 20 })).toBe(30);
  });

  it('a backlog nothing drains is infinite; a backlog with no rate known is not claimed', () => {
    expect(lagSeconds({ production: 0, behind: 600 })).toBe(Infinity);
    expect(lagSeconds({ production: 0, behind: 600, consumption: 0 })).toBe(Infinity);
    expect(lagSeconds({ behind: 600, consumption: 0 })).toBe(Infinity);
    expect(lagSeconds({ behind: 600 })).toBe(0);
    expect(lagSeconds({ behind: 600, production: NaN })).toBe(0);
  });

  it('maxLagSeconds and isLagCritical', () => {
    const parts: (PartitionMetrics | undefined)[] = [{ production: 100, behind: 500 }, undefined, { production: 0, behind: 100, lastKnownProduction: 1 }, { production: 10 }];
    expect(maxLagSeconds(parts)).toBe(100);
    expect(maxLagSeconds([])).toBe(0);
    expect(maxLagSeconds([{ production: 0, behind: 600 }, { production: 0, behind: 100 }], [60, 1])).toBe(100);
    expect(maxLagSeconds([{ production: 0, behind: 600 }, undefined], [undefined, 5])).toBe(Infinity);
    expect(isLagCritical(100, 100)).toBe(true);
    expect(isLagCritical(99.9, 100)).toBe(false);
    expect(isLagCritical(Infinity, 3600)).toBe(true);
    expect(isLagCritical(Infinity, undefined)).toBe(false);
    expect(isLagCritical(5, 0)).toBe(false);
  });
});

describe('clampToPolicy', () => {
  const est = (reqCpu: number, limCpu: number, mem: number) => ({ requests: { cpuMillis: reqCpu, memoryBytes: mem }, limits: { cpuMillis: limCpu, memoryBytes: mem } });
  const policy = { minAllowed: { cpuMillis: 100, memoryBytes: 100e6 }, maxAllowed: { cpuMillis: 1000, memoryBytes: 1 * G } };

  it('limit = clamp(estimate, min, max), request = clamp(estimate, min, limit)', () => {
    expect(clampToPolicy(est(1800, 2000, 2 * G), policy)).toEqual(est(1000, 1000, 1 * G));
    expect(clampToPolicy(est(0, 0, 0), policy)).toEqual(est(100, 100, 100e6));
    expect(clampToPolicy(est(300, 1000, 500e6), policy)).toEqual(est(300, 1000, 500e6));
    expect(clampToPolicy(est(1800, 2000, 2 * G), { maxAllowed: { cpuMillis: 1500 } })).toEqual({
      requests: { cpuMillis: 1500, memoryBytes: 2 * G },
      limits: { cpuMillis: 1500, memoryBytes: 2 * G },
    });
  });

  it('an unset bound does not bound; no policy leaves the estimate as it is', () => {
    const e = est(1800, 2000, 2 * G);
    expect(clampToPolicy(e)).toEqual(e);
    expect(clampToPolicy(e, {})).toEqual(e);
    expect(clampToPolicy(est(0, 0, 0), { minAllowed: { cpuMillis: 250 } })).toEqual({ requests: { cpuMillis: 250, memoryBytes: 0 }, limits: { cpuMillis: 250, memoryBytes: 0 } });
  });

  it('reads a policy whose min exceeds its max swapped, as the original', () => {
    const swapped = { minAllowed: { cpuMillis: 1000 }, maxAllowed: { cpuMillis: 100 } };
    expect(clampToPolicy(est(1800, 2000, 0), swapped).limits.cpuMillis).toBe(1000);
    expect(clampToPolicy(est(0, 0, 0), swapped).requests.cpuMillis).toBe(100);
  });

  it('critical lag: maxAllowed as request and limit, where there is one', () => {
    expect(clampToPolicy(est(100, 1000, 1 * G), policy, { critical: true })).toEqual(est(1000, 1000, 1 * G));
    expect(clampToPolicy(est(100, 1000, 50e6), { minAllowed: { memoryBytes: 100e6 }, maxAllowed: { cpuMillis: 4000 } }, { critical: true })).toEqual({
      requests: { cpuMillis: 4000, memoryBytes: 100e6 },
      limits: { cpuMillis: 4000, memoryBytes: 100e6 },
    });
    expect(clampToPolicy(est(100, 1000, 1 * G), undefined, { critical: true })).toEqual(est(100, 1000, 1 * G));
  });

  it('the sidecar of the seed: fixed at 100m / 100M whatever the estimate', () => {
    const sidecar = { minAllowed: { cpuMillis: 100, memoryBytes: 100e6 }, maxAllowed: { cpuMillis: 100, memoryBytes: 100e6 } };
    for (const e of [est(0, 0, 0), est(5000, 5000, 5 * G)]) expect(clampToPolicy(e, sidecar)).toEqual(est(100, 100, 100e6));
  });

  it('end to end: 18000/s on a 1-core, 1 GB container', () => {
    const e = naiveEstimate({ ...base, partitions: [{ production: 18_000, behind: 0 }] });
    expect(clampToPolicy(e, policy)).toEqual(est(1000, 1000, 1 * G));
  });
});
