import { describe, expect, it } from 'vitest';
import {
  cheapestSlotsPolicy,
  choiceSlots,
  type Decision,
  decide,
  optimal,
  rollingMin,
  runNow,
  threshold,
  type ZoneForecast,
} from '../../src/planner/policies.ts';
import { prefixSums } from '../../src/planner/windows.ts';

const zone = (values: number[], carbon = values): ZoneForecast => ({
  scores: values,
  prefix: prefixSums(values),
  carbon,
});

const decision = (
  zones: ZoneForecast[],
  from: number,
  to: number,
  k: number,
  interruptible = false,
): Decision => ({
  zones,
  from,
  to,
  k,
  interruptible,
});

const NaN_ = Number.NaN;

describe('runNow', () => {
  it('starts at the first allowed slot in the home zone', () => {
    const c = runNow(decision([zone([5, 1, 1]), zone([0, 0, 0])], 1, 3, 2));
    expect(c).toMatchObject({ zone: 0, start: 1, total: 2, fallback: false });
  });
});

describe('threshold', () => {
  const opts = { thresholdGPerKwh: 200, horizonSlots: 4 };
  it('runs at once when the first slot is below the threshold', () => {
    expect(threshold(decision([zone([150, 10, 10])], 0, 3, 1), opts)).toMatchObject({ start: 0 });
  });

  it('delays to the best start within the horizon when it is lower', () => {
    // starts 0..4 within the horizon: windows of 2 sum to 400, 300, 250, 450, 460; slot 5 is further
    const z = zone([300, 100, 200, 50, 400, 60, 70, 500]);
    expect(threshold(decision([z], 0, 8, 2), opts)).toMatchObject({ start: 2, total: 250 });
  });

  it('stays at now when nothing within the horizon is lower', () => {
    const z = zone([250, 210, 300, 300, 300, 300, 10, 10]);
    expect(threshold(decision([z], 0, 8, 2), { thresholdGPerKwh: 200, horizonSlots: 3 })).toMatchObject({
      start: 0,
      total: 460,
    });
  });

  it('compares the threshold with the carbon forecast, not the score', () => {
    // cost scores favour slot 2, but carbon at slot 0 is below the threshold: run now
    const z = zone([9, 9, 1, 9], [150, 400, 400, 400]);
    expect(threshold(decision([z], 0, 4, 1), opts).start).toBe(0);
  });

  it('ignores other zones and unknown windows, and falls back to now when nothing is known', () => {
    const home = zone([300, 250, NaN_, 100]);
    const away = zone([1, 1, 1, 1]);
    expect(threshold(decision([home, away], 0, 4, 2), opts)).toMatchObject({ zone: 0, start: 0 });
    const unknown = zone([NaN_, NaN_, NaN_]);
    expect(threshold(decision([unknown], 0, 3, 2), opts)).toMatchObject({
      zone: 0,
      start: 0,
      fallback: true,
    });
  });
});

describe('rollingMin', () => {
  it('takes the lowest contiguous window, even for interruptible loads', () => {
    const z = zone([100, 200, 50, 400, 60, 70]);
    expect(rollingMin(decision([z], 0, 6, 2, true))).toMatchObject({ start: 4, total: 130 });
  });

  it('picks the zone with the lowest window; ties go to the earlier zone', () => {
    const a = zone([5, 5, 5, 5]);
    const b = zone([5, 1, 1, 5]);
    const c = zone([5, 1, 1, 5]);
    expect(rollingMin(decision([a, b, c], 0, 4, 2))).toMatchObject({ zone: 1, start: 1, total: 2 });
  });

  it('only considers fully known windows and falls back to the first allowed slot', () => {
    const z = zone([9, NaN_, 1, 1, NaN_]);
    expect(rollingMin(decision([z], 0, 5, 2))).toMatchObject({ start: 2 });
    expect(rollingMin(decision([zone([9, NaN_, 1, NaN_])], 0, 4, 2))).toMatchObject({
      start: 0,
      fallback: true,
    });
  });
});

describe('cheapestSlotsPolicy and optimal', () => {
  it('take the k lowest slots of interruptible loads', () => {
    const z = zone([100, 200, 50, 400, 60, 70]);
    const c = cheapestSlotsPolicy(decision([z], 0, 6, 2, true));
    expect(Array.from(choiceSlots(c, 2))).toEqual([2, 4]);
    expect(c.total).toBe(110);
    expect(optimal(decision([z], 0, 6, 2, true))).toEqual(c);
  });

  it('take the lowest contiguous window of other loads', () => {
    const z = zone([100, 200, 50, 400, 60, 70]);
    expect(cheapestSlotsPolicy(decision([z], 0, 6, 2))).toMatchObject({ start: 4, total: 130 });
  });

  it('choose among zones by total', () => {
    const a = zone([10, 1, 10, 1]);
    const b = zone([3, 3, 3, 3]);
    expect(cheapestSlotsPolicy(decision([b, a], 0, 4, 2, true))).toMatchObject({ zone: 1, total: 2 });
  });

  it('dispatch by name', () => {
    const z = zone([3, 1, 2]);
    expect(decide('rolling-min', decision([z], 0, 3, 1)).start).toBe(1);
    expect(decide('run-now', decision([z], 0, 3, 1)).start).toBe(0);
  });
});
