import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import {
  createKnowledge,
  forecastErrorSd,
  forecastModeName,
  gaussianDraws,
  noisy,
  parseForecastMode,
  type ZoneActuals,
} from '../../src/simulate/forecast-modes.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const actuals = (values: number[], zone = 'DE', firstSlot = 0): ZoneActuals => ({
  zone,
  carbon: Float64Array.from(values),
  firstSlot,
});
const read = (k: ReturnType<typeof createKnowledge>, z: number, from: number, to: number) => {
  const out = new Float64Array(to).fill(-1);
  k.fill(z, from, to, out);
  return Array.from(out.subarray(from, to));
};

describe('parseForecastMode', () => {
  it('reads every form with its defaults', () => {
    expect(parseForecastMode('perfect')).toEqual({ kind: 'perfect' });
    expect(parseForecastMode('model')).toEqual({ kind: 'model' });
    expect(parseForecastMode('noise:0.05')).toEqual({ kind: 'noise', rel: 0.05, seed: 1 });
    expect(parseForecastMode('noise:0.1:42')).toEqual({ kind: 'noise', rel: 0.1, seed: 42 });
    expect(parseForecastMode('horizon:24')).toEqual({ kind: 'horizon', hours: 24, rel: 0, seed: 1 });
    expect(parseForecastMode('horizon:6:0.05:7')).toEqual({ kind: 'horizon', hours: 6, rel: 0.05, seed: 7 });
    expect(parseForecastMode('issued:../data/f.csv')).toEqual({ kind: 'issued', path: '../data/f.csv' });
    expect(parseForecastMode('issued:CAISO_NORTH=f.csv')).toEqual({
      kind: 'issued',
      zone: 'CAISO_NORTH',
      path: 'f.csv',
    });
  });

  it('writes the canonical name back, seeds included', () => {
    expect(forecastModeName(parseForecastMode('noise:0.05'))).toBe('noise:0.05:1');
    expect(forecastModeName(parseForecastMode('horizon:24'))).toBe('horizon:24');
    expect(forecastModeName(parseForecastMode('horizon:24:0.1'))).toBe('horizon:24:0.1:1');
  });

  it.each([
    '',
    'exact',
    'noise',
    'noise:-1',
    'noise:x',
    'noise:0.1:1.5',
    'horizon:',
    'horizon:1:2:3:4',
    'issued:',
  ])('rejects %j', (text) => {
    expect(() => parseForecastMode(text)).toThrow(InputError);
  });
});

describe('noise', () => {
  it('is one fixed draw per (zone, seed): the same for every call, different across seeds and zones', () => {
    expect(Array.from(gaussianDraws('DE', 1, 50))).toEqual(Array.from(gaussianDraws('DE', 1, 50)));
    expect(Array.from(gaussianDraws('DE', 2, 50))).not.toEqual(Array.from(gaussianDraws('DE', 1, 50)));
    expect(Array.from(gaussianDraws('FR', 1, 50))).not.toEqual(Array.from(gaussianDraws('DE', 1, 50)));
  });

  it('is standard normal', () => {
    const d = gaussianDraws('GB', 3, 40_000);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
  });

  it('has a standard deviation of REL times the mean of the actual series, keeps gaps, and counts from the zone start', () => {
    const n = 20_000;
    const values = Array.from({ length: n }, (_, i) => (i % 2 ? 300 : 100)); // mean 200
    const [out] = noisy([actuals(values)], 0.1, 5);
    const err = Array.from(out, (v, i) => v - values[i]);
    const sd = Math.sqrt(err.reduce((a, b) => a + b * b, 0) / n);
    expect(sd).toBeGreaterThan(19);
    expect(sd).toBeLessThan(21);
    // a zone that starts two slots into the grid gets the same draws for its own slots
    const [shifted] = noisy([actuals([Number.NaN, Number.NaN, ...values.slice(0, 10)], 'DE', 2)], 0.1, 5);
    expect(Number.isNaN(shifted[0])).toBe(true);
    expect(Array.from(shifted.subarray(2))).toEqual(Array.from(out.subarray(0, 10)));
  });
});

describe('createKnowledge', () => {
  const opts = (zones: ZoneActuals[]) => ({ startMs: T0, stepMin: 60, zones });

  it('perfect: the actuals at every time', () => {
    const k = createKnowledge({ kind: 'perfect' }, opts([actuals([1, 2, 3])]));
    expect(k.dynamic).toBe(false);
    expect(read(k, 0, 0, 3)).toEqual([1, 2, 3]);
  });

  it('horizon: only slots starting before t + HOURS are known', () => {
    const k = createKnowledge(
      { kind: 'horizon', hours: 2, rel: 0, seed: 1 },
      opts([actuals([1, 2, 3, 4, 5])]),
    );
    k.advanceTo(T0 + 30 * 60_000); // 00:30: slots starting before 02:30 are known
    expect(read(k, 0, 0, 5)).toEqual([1, 2, 3, Number.NaN, Number.NaN]);
    k.advanceTo(T0 + HOUR_MS);
    expect(read(k, 0, 1, 5)).toEqual([2, 3, Number.NaN, Number.NaN]);
    expect(k.changed(0)).toEqual({ lo: 3, hi: 3 });
    k.advanceTo(T0 + 2 * HOUR_MS);
    expect(k.changed(0)).toEqual({ lo: 3, hi: 4 });
  });

  it('horizon: past the horizon the slots stay unknown (NaN)', () => {
    const values = [...Array(48).fill(100), 5, 5, 5, 5];
    const k = createKnowledge({ kind: 'horizon', hours: 1, rel: 0, seed: 1 }, opts([actuals(values)]));
    k.advanceTo(T0 + 48 * HOUR_MS);
    const got = read(k, 0, 48, 52);
    expect(got[0]).toBe(5);
    expect(got.slice(1).every(Number.isNaN)).toBe(true);
  });

  it('issued: the latest forecast issued at or before t, resampled onto the grid; other slots unknown but the present', () => {
    const at = (h: number, m = 0) => T0 + h * HOUR_MS + m * 60_000;
    const issued = [
      // issued 00:00 for 00:30..02:30 (30-min points): hourly slot 0 gets 10 (the covered half), 1 = (20+30)/2, 2 = 40
      {
        issuedAtMs: at(0),
        resolutionMin: 30,
        points: [at(0, 30), at(1), at(1, 30), at(2)].map((start, i) => ({
          start,
          value: [10, 20, 30, 40][i],
        })),
      },
      {
        issuedAtMs: at(1),
        resolutionMin: 60,
        points: [
          { start: at(2), value: 7 },
          { start: at(3), value: 8 },
        ],
      },
    ];
    const k = createKnowledge(
      { kind: 'issued', path: 'f.csv' },
      { ...opts([actuals([1, 2, 3, 4, 5])]), issued: [issued] },
    );
    k.advanceTo(at(0, 59));
    expect(read(k, 0, 0, 5)).toEqual([10, 25, 40, Number.NaN, Number.NaN]);
    k.advanceTo(at(1));
    // the 01:00 forecast starts at 02:00: the slot in progress keeps the 00:00 forecast's value
    expect(read(k, 0, 0, 5)).toEqual([Number.NaN, 25, 7, 8, Number.NaN]);
    expect(k.changed(0)).toEqual({ lo: 0, hi: 4 });
    // no new forecast, but time moved on: only the slot now in progress changed (nothing covers it)
    k.advanceTo(at(2));
    expect(k.changed(0)).toEqual({ lo: 2, hi: 3 });
    expect(read(k, 0, 0, 5)).toEqual([Number.NaN, Number.NaN, 7, 8, Number.NaN]);
  });

  it('model: actuals for slots that ended, the forecaster beyond', () => {
    const values = [...Array(48).fill(100), 50, 50];
    const k = createKnowledge({ kind: 'model' }, opts([actuals(values)]));
    k.advanceTo(T0 + 48.5 * HOUR_MS); // slot 48 has not ended
    const got = read(k, 0, 47, 50);
    expect(got[0]).toBe(100);
    expect(got[1]).toBeCloseTo(100, 6);
    expect(k.changed(0)).toEqual({ lo: 0, hi: 50 });
  });
});

describe('forecastErrorSd', () => {
  // means: DE (100 + 300) / 2 = 200 (NaN left out), GB 50
  const zones = [actuals([100, Number.NaN, 300], 'DE'), actuals([50, 50, 50], 'GB')];

  it('is REL x mean(actual) for the modes that add noise', () => {
    expect(forecastErrorSd(parseForecastMode('noise:0.05'), zones)).toEqual([10, 2.5]);
    expect(forecastErrorSd(parseForecastMode('horizon:24:0.1:3'), zones)).toEqual([20, 5]);
  });

  it('is 0 for exact and real forecasts', () => {
    for (const m of ['perfect', 'horizon:24', 'noise:0', 'model', 'issued:f.csv'])
      expect(forecastErrorSd(parseForecastMode(m), zones)).toEqual([0, 0]);
  });

  it('is the standard deviation of the noise the mode adds', () => {
    // a long flat series: the noisy forecast's spread around it is the error sd
    const flat = actuals(Array(20000).fill(400), 'DE');
    const [sd] = forecastErrorSd(parseForecastMode('noise:0.05:9'), [flat]);
    const [values] = noisy([flat], 0.05, 9);
    let sq = 0;
    for (const v of values) sq += (v - 400) ** 2;
    expect(Math.sqrt(sq / values.length)).toBeCloseTo(sd, 0);
  });
});
