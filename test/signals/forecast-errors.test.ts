import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import {
  createForecastErrors,
  createProbabilisticForecaster,
  quantileOfSorted,
} from '../../src/signals/forecast-errors.ts';

describe('forecast errors', () => {
  // 4 slots a day, a forecast every slot, leads 1-2, alike = same slot of the day (no window)
  const store = () =>
    createForecastErrors({ slotsPerDay: 4, leadSlots: 2, originEverySlots: 1, hourWindow: 0 });

  it('a residual is actual - forecast, known once the actual is', () => {
    const e = store();
    e.record(0, [10, 20]);
    expect(e.residual(0, 1)).toBeNaN();
    e.observe(13);
    expect(e.residual(0, 1)).toBe(3);
    expect(e.residual(0, 2)).toBeNaN();
    e.observe(15);
    expect(e.residual(0, 2)).toBe(-5);
    expect(e.residual(1, 1)).toBeNaN(); // nothing recorded at slot 1
  });

  it('alike forecasts: the same time of day, complete up to the lead asked, newest first', () => {
    const e = store();
    for (let s = 0; s < 14; s++) {
      e.record(s, [0, 0]);
      e.observe(s);
    }
    // origin 13 (slot 1 of day 3): slots 9, 5, 1 are the same time of day; 9 + 2 <= 14 observed
    expect(e.alike(13, 2)).toEqual([9, 5, 1]);
    expect(e.alike(12, 2)).toEqual([8, 4, 0]);
    // a forecast is never compared with itself or later ones
    expect(e.alike(4, 1)).toEqual([0]);
  });

  it('quantiles per lead from the alike residuals; paths are whole past residual paths', () => {
    const e = store();
    // three days; the forecast at slot 0 of each day errs by d and 10 d at leads 1 and 2
    for (let s = 0; s < 12; s++) {
      e.record(s, [0, 0]);
      const d = Math.floor(s / 4) + 1;
      e.observe(s % 4 === 0 ? d : s % 4 === 1 ? 10 * d : 0);
    }
    const q = e.quantiles(12, [0, 0.5, 1], 2)!;
    expect(Array.from(q[0])).toEqual([1, 2, 3]);
    expect(Array.from(q[1])).toEqual([10, 20, 30]);
    const paths = e.samplePaths(12, 2, 50, 7);
    expect(paths).toHaveLength(50);
    const days = [
      [1, 10],
      [2, 20],
      [3, 30],
    ];
    for (const p of paths) expect(days).toContainEqual(Array.from(p));
    expect(new Set(paths.map((p) => p[0])).size).toBe(3);
    expect(e.samplePaths(12, 2, 50, 7)).toEqual(paths);
    expect(e.samplePaths(12, 2, 50, 8)).not.toEqual(paths);
    expect(e.samplePaths(2, 2, 5, 1)).toEqual([]);
    expect(e.quantiles(2, [0.5], 2)).toBeNull();
  });

  it('quantileOfSorted interpolates linearly', () => {
    expect(quantileOfSorted([1, 2, 3, 5], 0.5)).toBe(2.5);
    expect(quantileOfSorted([1, 2, 3, 5], 1)).toBe(5);
    expect(quantileOfSorted([4], 0.3)).toBe(4);
    expect(quantileOfSorted([], 0.5)).toBeNaN();
  });

  it('never uses what happened after the forecast it is asked about', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 5, maxLength: 40 }),
        (later) => {
          const run = (tail: number[]) => {
            const f = createProbabilisticForecaster({
              stepMin: 360,
              startMs: 0,
              leadSlots: 4,
              originEverySlots: 1,
            });
            const next = mulberry32(3);
            for (let s = 0; s < 60; s++) f.observe(200 + 50 * Math.sin(s) + 30 * next());
            const origin = f.observed;
            const at = {
              q: f.errors.quantiles(origin, [0.1, 0.9], 4),
              p: f.errors.samplePaths(origin, 4, 8, 1),
            };
            for (const v of tail) f.observe(v);
            return {
              at,
              after: {
                q: f.errors.quantiles(origin, [0.1, 0.9], 4),
                p: f.errors.samplePaths(origin, 4, 8, 1),
              },
            };
          };
          const a = run(later);
          expect(a.after).toEqual(a.at);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('is calibrated on a series it can learn: the 10-90 % band holds about 80 % of the actuals', () => {
    // hourly: a daily cycle plus an AR(1) spell; after six weeks, score the band 1-24 h ahead for two weeks
    const next = mulberry32(11);
    let spell = 0;
    const values = Array.from({ length: 56 * 24 }, (_, i) => {
      spell = 0.95 * spell + 20 * (next() - 0.5);
      return 300 + 60 * Math.sin((2 * Math.PI * (i % 24)) / 24) + spell;
    });
    const f = createProbabilisticForecaster({ stepMin: 60, startMs: 0, leadSlots: 24 });
    const point = new Float64Array(24);
    let inside = 0;
    let count = 0;
    values.forEach((v, s) => {
      if (s >= 42 * 24 && s % 12 === 0 && s + 24 <= values.length) {
        f.predictInto(point, s, s + 24, 0);
        const q = f.errors.quantiles(s, [0.1, 0.9], 24)!;
        for (let l = 0; l < 24; l++) {
          const a = values[s + l];
          if (a >= point[l] + q[l][0] && a <= point[l] + q[l][1]) inside++;
          count++;
        }
      }
      f.observe(v);
    });
    // measured 0.80 on this seed; the bounds leave room for the sampling error of ~100 residuals per lead
    expect(inside / count).toBeGreaterThan(0.7);
    expect(inside / count).toBeLessThan(0.9);
  });
});
