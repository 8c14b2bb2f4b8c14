import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Grid } from '../../src/core/series.ts';
import { forecastSeries } from '../../src/signals/forecast.ts';
import { forecastHouseLoad, HOUSE_LOAD_FORECAST, houseLoadForecaster } from '../../src/signals/house-load.ts';

const T0 = Date.parse('2024-03-04T00:00:00Z'); // a Monday
const SLOTS_PER_DAY = 48;

/** `days` days of a half-hourly load that repeats `day` every day. */
function repeated(day: number[], days: number): Grid {
  const values = new Float64Array(days * SLOTS_PER_DAY);
  for (let i = 0; i < values.length; i++) values[i] = day[i % SLOTS_PER_DAY];
  return { startMs: T0, stepMin: 30, values };
}

describe('forecastHouseLoad', () => {
  it('continues a load that repeats every day', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.1, max: 5, noNaN: true }), { minLength: 48, maxLength: 48 }),
        (day) => {
          // six weeks: the shapes have learnt the day (what is left of their start is a small share of it)
          const ahead = forecastHouseLoad(repeated(day, 42), 96);
          const range = Math.max(...day) - Math.min(...day);
          for (let i = 0; i < 96; i++)
            expect(Math.abs(ahead[i] - day[i % 48])).toBeLessThanOrEqual(0.02 * range + 1e-9);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('lets a recent deviation fade within hours, not a day', () => {
    // three weeks at 0.5 kW, then the last two hours at 2.5 kW (a heater left on)
    const g = repeated(new Array(48).fill(0.5), 21);
    for (let i = g.values.length - 4; i < g.values.length; i++) g.values[i] = 2.5;
    const house = forecastHouseLoad(g, 24);
    const grid = forecastSeries(g, 24);
    expect(house[0]).toBeGreaterThan(0.5);
    // 6 hours on, the house forecast is back near its shape; the grid setting still carries most of it
    expect(house[12] - 0.5).toBeLessThan((grid[12] - 0.5) / 2);
    expect(house[23]).toBeLessThan(grid[23]);
    expect(HOUSE_LOAD_FORECAST.deviationHalfLifeHours).toBe(3);
  });
});

describe('houseLoadForecaster', () => {
  it('fed slot by slot, predicts exactly what forecastHouseLoad predicts from the same history', () => {
    const startMs = Date.parse('2024-03-04T00:00:00Z');
    const values = Float64Array.from({ length: 24 * 9 }, (_, t) =>
      t % 37 === 5 ? Number.NaN : 0.4 + 0.3 * Math.sin((t / 24) * 2 * Math.PI) + (t % 7) * 0.05,
    );
    const f = houseLoadForecaster(startMs, 60);
    const ahead = new Float64Array(12);
    for (const cut of [30, 100, 200]) {
      while (f.observed < cut) f.observe(values[f.observed]);
      f.predictInto(ahead, cut, cut + 12, 0);
      const whole = forecastHouseLoad({ startMs, stepMin: 60, values: values.subarray(0, cut) }, 12);
      expect(Array.from(ahead)).toEqual(Array.from(whole));
    }
  });
});
