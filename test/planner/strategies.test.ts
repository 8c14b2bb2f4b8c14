import { describe, expect, it } from 'vitest';
import { normaliseByDailyMax } from '../../src/planner/objectives.ts';
import { bestRunWindow, delayNow, penaltyTimeline, strategyWeights } from '../../src/planner/strategies.ts';
import { dayWindows } from '../../src/signals/quality.ts';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const HOME = { startMs: T0, stepMin: 60, carbon: [100, 200, 400], price: [0.1, 0.3, 0.2] };
const close = (actual: ArrayLike<number>, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) expect(actual[i]).toBeNaN();
    else expect(actual[i]).toBeCloseTo(e, 12);
  });
};

describe('penaltyTimeline', () => {
  it('weighs the normalised signals per strategy', () => {
    // each signal divided by its day's maximum
    // carbon / 400 = 0.25, 0.5, 1; price / 0.3 = 1/3, 1, 2/3
    close(penaltyTimeline(HOME, 'eco').values, [0.25, 0.5, 1]);
    close(penaltyTimeline(HOME, 'max_savings').values, [1 / 3, 1, 2 / 3]);
    // 0.7 x cost + 0.3 x carbon: 0.3083, 0.85, 0.7667
    close(penaltyTimeline(HOME, 'balanced').values, [0.7 / 3 + 0.075, 0.85, (0.7 * 2) / 3 + 0.3]);
  });

  it('normalises each UTC day by its own maximum', () => {
    const twoDays = { startMs: T0, stepMin: 720, carbon: [100, 200, 50, 100] };
    close(penaltyTimeline(twoDays, 'eco').values, [0.5, 1, 0.5, 1]);
  });

  it('keeps negative prices below zero: better than free', () => {
    const norm = (v: number[]) => normaliseByDailyMax(v, T0, 60);
    close(norm([-0.05, 0.1, 0.2]), [-0.25, 0.5, 1]);
    // divided by the day's largest magnitude: a deep negative price sets it
    close(norm([-0.5, 0.1, 0.2]), [-1, 0.2, 0.4]);
    close(norm([-0.1, -0.05, 0]), [-1, -0.5, 0]);
    close(norm([0, 0]), [0, 0]);
    const negative = penaltyTimeline({ ...HOME, price: [-0.05, 0.1, 0.2] }, 'max_savings');
    expect(bestRunWindow(negative, 1)?.start).toBe(0);
    expect(negative.values[0]).toBeLessThan(0);
  });

  it('has no penalty where a value the strategy needs is missing', () => {
    const gaps = { ...HOME, carbon: [100, Number.NaN, 400], price: [0.1, 0.3, Number.NaN] };
    close(penaltyTimeline(gaps, 'eco').values, [0.25, Number.NaN, 1]);
    close(penaltyTimeline(gaps, 'max_savings').values, [1 / 3, 1, Number.NaN]);
    close(penaltyTimeline(gaps, 'balanced').values, [0.7 / 3 + 0.075, Number.NaN, Number.NaN]);
    // without prices only eco has penalties
    const noPrices = { startMs: T0, stepMin: 60, carbon: [100, 200] };
    close(penaltyTimeline(noPrices, 'max_savings').values, [Number.NaN, Number.NaN]);
    close(penaltyTimeline(noPrices, 'eco').values, [0.5, 1]);
    expect(() => penaltyTimeline({ ...HOME, price: [0.1] }, 'eco')).toThrow(/price has 1 slots, carbon 3/);
    expect(strategyWeights('balanced')).toEqual({ carbonWeight: 0.3, costWeight: 0.7 });
    expect(strategyWeights('eco')).toEqual({ carbonWeight: 1, costWeight: 0 });
    expect(strategyWeights('max_savings')).toEqual({ carbonWeight: 0, costWeight: 1 });
  });
});

describe('bestRunWindow and delayNow', () => {
  const balanced = penaltyTimeline(HOME, 'balanced');

  it('finds the window of the lowest mean penalty, the earliest of equals', () => {
    // two slots: (0.3083 + 0.85) / 2 = 0.579 against (0.85 + 0.7667) / 2 = 0.808
    expect(bestRunWindow(balanced, 2)).toEqual({
      start: 0,
      startMs: T0,
      meanPenalty: expect.closeTo(0.5792, 4),
    });
    expect(bestRunWindow(balanced, 1, { from: 1 })).toMatchObject({ start: 2, startMs: T0 + 2 * 3_600_000 });
    expect(bestRunWindow(balanced, 4)).toBeNull();
    const flat = penaltyTimeline({ startMs: T0, stepMin: 60, carbon: [100, 100, 100] }, 'eco');
    expect(bestRunWindow(flat, 1)?.start).toBe(0);
    expect(() => bestRunWindow(balanced, 0)).toThrow(/whole number of slots/);
  });

  it('delays when the penalty now is above the threshold (0.6 by default)', () => {
    expect(delayNow(balanced, 1)).toEqual({
      delay: true,
      penalty: 0.85,
      threshold: 0.6,
      reason: 'balanced penalty now 0.85 is above the threshold 0.60: delay',
    });
    expect(delayNow(balanced, 0).delay).toBe(false);
    expect(delayNow(balanced, 2, 0.8).delay).toBe(false);
    const gaps = penaltyTimeline({ ...HOME, price: [0.1, Number.NaN, 0.2] }, 'balanced');
    expect(delayNow(gaps, 1)).toMatchObject({
      delay: false,
      reason: expect.stringMatching(/missing signals never hold/),
    });
  });
});

describe('dayWindows', () => {
  it('marks clean (below the day mean), cheapest (lowest third by rank) and both', () => {
    // mean carbon 250: slots 0 and 1 clean; six prices, the cheapest two (0.10, 0.12) are cheap
    const w = dayWindows([100, 200, 400, 300, 150, 350], [0.3, 0.1, 0.12, 0.2, 0.25, 0.4]);
    expect(w.carbonMean).toBe(250);
    expect(w.clean).toEqual([true, true, false, false, true, false]);
    expect(w.cheapAtOrBelow).toBe(0.12);
    expect(w.cheapest).toEqual([false, true, true, false, false, false]);
    expect(w.both).toEqual([false, true, false, false, false, false]);
  });

  it('takes ties with the last cheap slot, another share, and no prices', () => {
    const w = dayWindows([1, 2, 3], [0.1, 0.1, 0.2], { cheapShare: 0.2 });
    expect(w.cheapest).toEqual([true, true, false]);
    const half = dayWindows([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1], { cheapShare: 0.5 });
    expect(half.cheapest).toEqual([false, false, true, true]);
    expect(dayWindows([1, 2], undefined).cheapest).toEqual([false, false]);
    expect(() => dayWindows([1], [1], { cheapShare: 0 })).toThrow(/cheapShare/);
  });
});
