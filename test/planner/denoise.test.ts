import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expectedActuals,
  fitSignalModel,
  type PastActuals,
  roughness,
  smoothSignal,
} from '../../src/planner/denoise.ts';

const past = (values: number[]): PastActuals => ({ values, roughness: roughness(values) });
const smooth = (obs: number[], noiseVar: number[] | number, model = { levelVar: 0, slopeVar: 1 }) => {
  const v = typeof noiseVar === 'number' ? obs.map(() => noiseVar) : noiseVar;
  const out = new Float64Array(obs.length);
  smoothSignal(obs, v, 0, obs.length, model, out);
  return Array.from(out);
};

describe('fitSignalModel', () => {
  it('fits the local linear trend by the moments of second differences', () => {
    // second differences 0, 3, -6, 3: variance (0 + 9 + 36 + 9) / 4 = 13.5; lag-1 products 0, -18, -18:
    // covariance -12. levelVar = 12; slopeVar = 13.5 - 2 * 12 < 0, so 0
    expect(fitSignalModel(roughness([0, 0, 0, 3, 0, 0]), 0, 6)).toEqual({ levelVar: 12, slopeVar: 0 });
    // t²: every second difference is 2 (variance 4, covariance 4): a drifting slope, no level steps
    expect(fitSignalModel(roughness([0, 1, 4, 9, 16, 25]), 0, 6)).toEqual({ levelVar: 0, slopeVar: 4 });
    // a straight line does not move at all
    expect(fitSignalModel(roughness([5, 7, 9, 11, 13]), 0, 5)).toEqual({ levelVar: 0, slopeVar: 0 });
  });

  it('reads only the stretch asked for, and leaves missing values out', () => {
    const r = roughness([0, 1, 4, 9, 16, 25, 0, 0, 0, 3, 0, 0]);
    expect(fitSignalModel(r, 0, 6)).toEqual({ levelVar: 0, slopeVar: 4 });
    expect(fitSignalModel(r, 6, 12)).toEqual({ levelVar: 12, slopeVar: 0 });
    // a NaN removes the three second differences that touch it: 0, 1, 4, NaN, 16, 25, 36 keeps t = 2 and 6
    expect(fitSignalModel(roughness([0, 1, 4, Number.NaN, 16, 25, 36]), 0, 7)).toEqual({
      levelVar: 0,
      slopeVar: 4,
    });
  });

  it('needs enough second differences', () => {
    expect(fitSignalModel(roughness([1, 2, 3, 4]), 0, 4, 2)).not.toBeNull();
    expect(fitSignalModel(roughness([1, 2, 3, 4]), 0, 4, 3)).toBeNull();
    expect(fitSignalModel(roughness([1, 2]), 0, 2)).toBeNull();
  });
});

describe('smoothSignal', () => {
  it('is the observations themselves when they are exact', () => {
    const values = fc.array(
      fc.oneof(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constant(Number.NaN)),
      {
        minLength: 1,
        maxLength: 40,
      },
    );
    fc.assert(
      fc.property(values, (obs) => {
        expect(smooth(obs, 0)).toEqual(obs);
      }),
    );
  });

  it('keeps exact observations exact among noisy ones', () => {
    const out = smooth([100.1, 130.7, 90.3, 0.3, 120], [0, 400, 400, 0, 400]);
    expect(out[0]).toBe(100.1);
    expect(out[3]).toBe(0.3);
  });

  it('reproduces a straight line and a constant', () => {
    const line = Array.from({ length: 20 }, (_, t) => 100 + 3 * t);
    const out = smooth(line, 100);
    for (let t = 0; t < line.length; t++) expect(out[t]).toBeCloseTo(line[t], 5);
    for (const v of smooth(Array(10).fill(250), 900)) expect(v).toBeCloseTo(250, 6);
  });

  it('shrinks a lone noisy outlier towards its neighbours', () => {
    // sd 10 noise, a signal that barely bends: a 30 g/kWh jump in one slot is mostly noise
    const obs = Array(21).fill(100);
    obs[10] = 130;
    const out = smooth(obs, 100, { levelVar: 0, slopeVar: 0.01 });
    expect(out[10]).toBeGreaterThan(100);
    expect(out[10]).toBeLessThan(103);
    // a rough signal (big level steps) keeps most of it
    const rough = smooth(obs, 100, { levelVar: 10_000, slopeVar: 0 });
    expect(rough[10]).toBeGreaterThan(125);
  });

  it('interpolates missing observations and leaves slots before the first one unknown', () => {
    const out = smooth([Number.NaN, 10, 20, Number.NaN, 40, 50], 1, { levelVar: 0, slopeVar: 1e-6 });
    expect(out[0]).toBeNaN();
    expect(out[3]).toBeCloseTo(30, 3);
  });
});

describe('expectedActuals', () => {
  // a day of actuals (hourly): 300 + 100 cos, lowest (200) at 12:00
  const day = Array.from({ length: 48 }, (_, t) => 300 + 100 * Math.cos((2 * Math.PI * t) / 24));
  const options = { anchorSlots: 24, minHistorySlots: 24 };

  it('leaves the forecast as it is without an error, or without a day of history', () => {
    const f = Float64Array.from(day, (v, t) => v + (t % 5) - 2);
    const before = Array.from(f);
    expect(expectedActuals(f, 0, past(day), 24, 48, options)).toBe(false);
    expect(expectedActuals(f, 20, past(day), 23, 48, options)).toBe(false);
    expect(Array.from(f)).toEqual(before);
  });

  it('picks the truly cheapest slot where the raw forecast is fooled by one large error', () => {
    // forecast for the second day: exact but for 03:00 (371 g/kWh), forecast 180 below, under the trough
    const f = Float64Array.from(day);
    f[27] -= 180;
    const argmin = (a: ArrayLike<number>) => {
      let best = 24;
      for (let s = 24; s < 48; s++) if (a[s] < a[best]) best = s;
      return best;
    };
    expect(argmin(f)).toBe(27);
    expect(expectedActuals(f, 20, past(day), 24, 48, options)).toBe(true);
    expect(argmin(f)).toBe(36);
    // the outlier's estimate is back near its neighbours' (raw 191, actual 371), and none is far off
    expect(f[27]).toBeGreaterThan(320);
    for (let s = 24; s < 48; s++) expect(Math.abs(f[s] - day[s])).toBeLessThan(40);
  });

  it('keeps unknown slots unknown and reads no actual at or after the decision time', () => {
    const later = fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 24, maxLength: 24 });
    fc.assert(
      fc.property(later, (values) => {
        const changed = [...day.slice(0, 30), ...values.slice(0, 18)];
        const run = (actuals: number[]) => {
          const f = Float64Array.from(day, (v, t) => v + 10 * Math.sin(7 * t));
          f[40] = Number.NaN;
          expectedActuals(f, 15, past(actuals), 30, 48, options);
          return Array.from(f);
        };
        const a = run(day);
        expect(run(changed)).toEqual(a);
        expect(a[40]).toBeNaN();
        // slots before the decision time are not touched
        expect(a.slice(0, 30)).toEqual(Array.from(day.slice(0, 30), (v, t) => v + 10 * Math.sin(7 * t)));
      }),
      { numRuns: 30 },
    );
  });
});
