import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Grid } from '../../src/core/series.ts';
import { DAY_MS, HOUR_MS } from '../../src/core/time.ts';
import { createForecaster, FORECAST_DEFAULTS, forecastSeries } from '../../src/signals/forecast.ts';

// 2024-01-03 is a Wednesday
const WED = Date.UTC(2024, 0, 3);

/** A clean grid: 300 on workdays and 200 on weekends (UTC), plus a midday dip of 80 every day. */
function synthetic(ms: number): number {
  const d = new Date(ms);
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  const h = d.getUTCHours();
  return (weekend ? 200 : 300) - (h >= 10 && h < 15 ? 80 : 0);
}

function gridOf(startMs: number, stepMin: number, n: number, f: (ms: number) => number): Grid {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = f(startMs + i * stepMin * 60_000);
  return { startMs, stepMin, values };
}

describe('forecastSeries', () => {
  it('forecasts a constant series exactly, across gaps', () => {
    const g = gridOf(WED, 60, 24 * 10, () => 200);
    g.values[5] = Number.NaN;
    g.values.fill(Number.NaN, 100, 130);
    g.values[g.values.length - 1] = Number.NaN;
    const out = forecastSeries(g, 72);
    expect(out).toHaveLength(72);
    for (const v of out) expect(v).toBe(200);
  });

  it('returns NaN when the history has no value, and an empty array for horizon 0', () => {
    const g = gridOf(WED, 30, 48, () => Number.NaN);
    expect(Array.from(forecastSeries(g, 3))).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(
      forecastSeries(
        gridOf(WED, 30, 48, () => 1),
        0,
      ),
    ).toHaveLength(0);
  });

  it('learns the daily shape from three days (no week yet)', () => {
    const g = gridOf(WED, 60, 24 * 3, synthetic); // Wed..Fri: workdays only
    const out = forecastSeries(g, 24); // Saturday: the weekend is not known yet
    for (let h = 0; h < 24; h++) {
      const expected = h >= 10 && h < 15 ? 220 : 300;
      expect(Math.abs(out[h] - expected)).toBeLessThan(15);
    }
  });

  it('learns the weekend from past weeks', () => {
    const g = gridOf(WED, 60, 24 * 7 * 8, synthetic); // 8 weeks, ends on a Wednesday 00:00
    const horizon = 24 * 7;
    const out = forecastSeries(g, horizon);
    const end = WED + 8 * 7 * DAY_MS;
    let worst = 0;
    for (let i = 0; i < horizon; i++)
      worst = Math.max(worst, Math.abs(out[i] - synthetic(end + i * HOUR_MS)));
    // without the weekly profile the weekend would be forecast ~70 too high
    expect(worst).toBeLessThan(15);
  });

  it('carries a recent deviation forward and lets it fade with lead time', () => {
    const g = gridOf(WED, 60, 24 * 7 * 4, () => 100);
    // the last 3 hours jump to 200
    for (let i = g.values.length - 3; i < g.values.length; i++) g.values[i] = 200;
    const out = forecastSeries(g, 72);
    expect(out[0]).toBeGreaterThan(180);
    expect(out[0]).toBeLessThanOrEqual(200);
    // fading through the first day; at the same hours of later days the daily shape has learned a little of it
    for (let i = 1; i < 21; i++) expect(out[i]).toBeLessThan(out[i - 1]);
    expect(out[45]).toBeLessThan(out[21]);
    expect(out[69]).toBeLessThan(out[45]);
    // the deviation halves per deviationHalfLifeHours: 48 h ahead about a quarter of it is left
    expect(out[47]).toBeGreaterThan(110);
    expect(out[47]).toBeLessThan(140);
  });

  it('rejects a step that does not divide a day and a negative horizon', () => {
    expect(() => forecastSeries({ startMs: WED, stepMin: 7, values: new Float64Array(10) }, 5)).toThrow(
      /divides a day/,
    );
    expect(() =>
      forecastSeries(
        gridOf(WED, 60, 5, () => 1),
        -1,
      ),
    ).toThrow(/horizon/);
  });

  it('rejects bad options, naming them', () => {
    expect(() =>
      forecastSeries(
        gridOf(WED, 60, 5, () => 1),
        1,
        { dailyHalfLifeDays: -1 },
      ),
    ).toThrow(/dailyHalfLifeDays/);
    expect(() =>
      forecastSeries(
        gridOf(WED, 60, 5, () => 1),
        1,
        { levelHalfLifeDays: Number.NaN },
      ),
    ).toThrow(/levelHalfLifeDays/);
  });
});

describe('createForecaster', () => {
  it('predicts the same as the batch forecast of the same history', () => {
    const g = gridOf(WED, 30, 48 * 9, (ms) => synthetic(ms) + ((ms / HOUR_MS) % 7) * 3);
    const f = createForecaster({ stepMin: 30, startMs: WED });
    for (const v of g.values) f.observe(v);
    expect(f.observed).toBe(g.values.length);
    const batch = forecastSeries(g, 96);
    const n = g.values.length;
    const out = new Float64Array(n + 96);
    f.predictInto(out, n, n + 96);
    expect(Array.from(out.subarray(n))).toEqual(Array.from(batch));
    const packed = new Float64Array(10);
    f.predictInto(packed, n + 5, n + 10, 2);
    expect(Array.from(packed.subarray(2, 7))).toEqual(Array.from(batch.subarray(5, 10)));
    expect(f.predict(1)).toBe(batch[0]);
    expect(f.predict(96)).toBe(batch[95]);
  });

  it('never looks ahead: changing values after the decision time does not change the forecast (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 900, noNaN: true }), fc.constant(Number.NaN)), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.array(fc.double({ min: 0, max: 900, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 60 }),
        (past, future, horizon) => {
          // history only
          const a = forecastSeries({ startMs: WED, stepMin: 60, values: Float64Array.from(past) }, horizon);
          // the same forecaster stepping through a longer series, asked at the same decision time
          const f = createForecaster({ stepMin: 60, startMs: WED });
          const b = new Float64Array(horizon);
          const full = [...past, ...future];
          for (let t = 0; t < full.length; t++) {
            if (t === past.length) f.predictInto(b, t, t + horizon, 0);
            f.observe(full[t]);
          }
          expect(Array.from(b)).toEqual(Array.from(a));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('forecasts finite values after any finite observation (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -50, max: 1000, noNaN: true }), fc.constant(Number.NaN)), {
          minLength: 1,
          maxLength: 500,
        }),
        fc.constantFrom(5, 15, 30, 60),
        (values, stepMin) => {
          const f = createForecaster({ stepMin, startMs: WED + 7 * 60_000 * stepMin });
          for (const v of values) f.observe(v);
          const out = new Float64Array(200);
          f.predictInto(out, values.length, values.length + 200, 0);
          const any = values.some(Number.isFinite);
          for (const v of out) expect(Number.isFinite(v)).toBe(any);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects forecasting observed slots, bad leads and short outputs', () => {
    const f = createForecaster({ stepMin: 60, startMs: WED });
    f.observe(100);
    f.observe(110);
    expect(() => f.predictInto(new Float64Array(10), 1, 3)).toThrow(/already observed/);
    expect(() => f.predictInto(new Float64Array(3), 2, 5)).toThrow(/cannot hold/);
    expect(() => f.predictInto(new Float64Array(10), 2.5, 5)).toThrow(/whole numbers/);
    expect(() => f.predict(0)).toThrow(/lead/);
    expect(() => createForecaster({ stepMin: 60, startMs: Number.NaN })).toThrow(/startMs/);
  });

  it('has documented defaults', () => {
    expect(FORECAST_DEFAULTS).toEqual({
      levelHalfLifeDays: 14,
      dailyHalfLifeDays: 7,
      weeklyHalfLifeWeeks: 4,
      deviationSmoothingHours: 1,
      deviationHalfLifeHours: 24,
      shortHalfLifeHours: 2,
    });
  });
});
