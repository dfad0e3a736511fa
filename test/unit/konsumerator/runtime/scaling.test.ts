import { ScalingStatus } from '../../../../lib/api/konsumerator/index.js';
import { decideScaling, type ScalingInput } from '../../../../runtime/konsumerator/scaling.js';

const MIN = 60_000;
const NOW = 1_700_000_000_000;
const base: ScalingInput = {
  direction: 0,
  lagSeconds: 0,
  tolerableLagSeconds: 300,
  critical: false,
  now: NOW,
  pendingScaleUpMs: 5 * MIN,
  pendingScaleDownMs: 15 * MIN,
};
const decide = (over: Partial<ScalingInput>) => decideScaling({ ...base, ...over });

describe('decideScaling', () => {
  describe('equal resources', () => {
    it('is running and applies nothing; a running status keeps its since', () => {
      expect(decide({ direction: 0, status: ScalingStatus.running, since: NOW - 10 * MIN })).toEqual({ apply: false, status: 'running', since: NOW - 10 * MIN });
    });

    it('ends a pending scale-up or scale-down: running since now', () => {
      expect(decide({ direction: 0, status: ScalingStatus.pendingScaleUp, since: NOW - MIN })).toEqual({ apply: false, status: 'running', since: NOW });
      expect(decide({ direction: 0, status: ScalingStatus.pendingScaleDown, since: NOW - MIN })).toEqual({ apply: false, status: 'running', since: NOW });
    });

    it('without a status or a since: running since now', () => {
      expect(decide({ direction: 0 })).toEqual({ apply: false, status: 'running', since: NOW });
      expect(decide({ direction: 0, status: ScalingStatus.running })).toEqual({ apply: false, status: 'running', since: NOW });
    });

    it('is not applied even when the lag is critical (nothing to change)', () => {
      expect(decide({ direction: 0, critical: true, lagSeconds: 10_000 })).toMatchObject({ apply: false, status: 'running' });
    });
  });

  describe('more resources estimated', () => {
    it('without lag (at or under tolerableLag): running, nothing applied', () => {
      expect(decide({ direction: 1, lagSeconds: 300, status: ScalingStatus.running, since: NOW - MIN })).toEqual({ apply: false, status: 'running', since: NOW - MIN });
      expect(decide({ direction: 1, lagSeconds: 0 })).toEqual({ apply: false, status: 'running', since: NOW });
    });

    it('a pending scale-up whose lag went away is running again, since now', () => {
      expect(decide({ direction: 1, lagSeconds: 10, status: ScalingStatus.pendingScaleUp, since: NOW - MIN })).toEqual({ apply: false, status: 'running', since: NOW });
    });

    it('with lag over tolerableLag: pendingScaleUp since now, recheck after the whole pending period', () => {
      expect(decide({ direction: 1, lagSeconds: 301, status: ScalingStatus.running, since: NOW - 30 * MIN })).toEqual({
        apply: false,
        status: 'pendingScaleUp',
        since: NOW,
        recheckInMs: 5 * MIN,
      });
    });

    it('pending, not yet elapsed: the since is kept and recheckInMs is what is left', () => {
      expect(decide({ direction: 1, lagSeconds: 600, status: ScalingStatus.pendingScaleUp, since: NOW - 2 * MIN })).toEqual({
        apply: false,
        status: 'pendingScaleUp',
        since: NOW - 2 * MIN,
        recheckInMs: 3 * MIN,
      });
      expect(decide({ direction: 1, lagSeconds: 600, status: ScalingStatus.pendingScaleUp, since: NOW - 5 * MIN + 1 })).toMatchObject({ apply: false, recheckInMs: 1 });
    });

    it('pending for pendingScaleUpDuration: applied, running since now', () => {
      expect(decide({ direction: 1, lagSeconds: 600, status: ScalingStatus.pendingScaleUp, since: NOW - 5 * MIN })).toEqual({ apply: true, status: 'running', since: NOW });
      expect(decide({ direction: 1, lagSeconds: 600, status: ScalingStatus.pendingScaleUp, since: NOW - 60 * MIN })).toEqual({ apply: true, status: 'running', since: NOW });
    });

    it('a pending scale-down turning into a scale-up restarts the clock', () => {
      expect(decide({ direction: 1, lagSeconds: 600, status: ScalingStatus.pendingScaleDown, since: NOW - 60 * MIN })).toEqual({
        apply: false,
        status: 'pendingScaleUp',
        since: NOW,
        recheckInMs: 5 * MIN,
      });
    });

    it('a zero pending period applies at once', () => {
      expect(decide({ direction: 1, lagSeconds: 600, pendingScaleUpMs: 0 })).toEqual({ apply: true, status: 'running', since: NOW });
    });

    it('a pending status without a since starts now', () => {
      expect(decide({ direction: 1, lagSeconds: 600, status: ScalingStatus.pendingScaleUp })).toMatchObject({ apply: false, since: NOW, recheckInMs: 5 * MIN });
    });
  });

  describe('fewer resources estimated', () => {
    it('starts pendingScaleDown (lag does not matter), recheck after pendingScaleDownDuration', () => {
      expect(decide({ direction: -1, status: ScalingStatus.running, since: NOW - 60 * MIN })).toEqual({ apply: false, status: 'pendingScaleDown', since: NOW, recheckInMs: 15 * MIN });
      expect(decide({ direction: -1, lagSeconds: 10_000 })).toMatchObject({ apply: false, status: 'pendingScaleDown' });
    });

    it('pending, not yet elapsed: kept with its since', () => {
      expect(decide({ direction: -1, status: ScalingStatus.pendingScaleDown, since: NOW - 14 * MIN })).toEqual({ apply: false, status: 'pendingScaleDown', since: NOW - 14 * MIN, recheckInMs: MIN });
    });

    it('pending → elapsed → applied (the original never completed a scale-down)', () => {
      const start = decide({ direction: -1, status: ScalingStatus.running, since: NOW - 60 * MIN });
      expect(start.apply).toBe(false);
      const later = decideScaling({ ...base, direction: -1, status: start.status, since: start.since, now: NOW + 15 * MIN });
      expect(later).toEqual({ apply: true, status: 'running', since: NOW + 15 * MIN });
    });

    it('a pending scale-up turning into a scale-down restarts the clock', () => {
      expect(decide({ direction: -1, status: ScalingStatus.pendingScaleUp, since: NOW - 60 * MIN })).toEqual({ apply: false, status: 'pendingScaleDown', since: NOW, recheckInMs: 15 * MIN });
    });
  });

  describe('critical lag', () => {
    it('applies at once, up or down, whatever was pending', () => {
      expect(decide({ direction: 1, critical: true, lagSeconds: 4000 })).toEqual({ apply: true, status: 'running', since: NOW });
      expect(decide({ direction: 1, critical: true, lagSeconds: 4000, status: ScalingStatus.pendingScaleUp, since: NOW - 1000 })).toEqual({ apply: true, status: 'running', since: NOW });
      expect(decide({ direction: -1, critical: true, lagSeconds: 4000, status: ScalingStatus.pendingScaleDown, since: NOW - 1000 })).toEqual({ apply: true, status: 'running', since: NOW });
    });
  });

  it('a full scale-up sequence over time', () => {
    let state: { status?: string; since?: number } = { status: ScalingStatus.running, since: NOW - 100 * MIN };
    const at = (t: number) => {
      const d = decideScaling({ ...base, direction: 1, lagSeconds: 900, ...state, now: NOW + t });
      state = { status: d.status, since: d.since };
      return d;
    };
    expect(at(0)).toMatchObject({ apply: false, status: 'pendingScaleUp', recheckInMs: 5 * MIN });
    expect(at(MIN)).toMatchObject({ apply: false, status: 'pendingScaleUp', since: NOW, recheckInMs: 4 * MIN });
    expect(at(4 * MIN)).toMatchObject({ apply: false, since: NOW, recheckInMs: MIN });
    expect(at(5 * MIN)).toEqual({ apply: true, status: 'running', since: NOW + 5 * MIN });
  });
});
