import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resample, type Series } from '../../src/core/series.ts';

const t = (iso: string) => Date.parse(iso);
const series = (
  points: [string, number][],
  resolutionMin = 30,
): Pick<Series, 'points' | 'resolutionMin'> => ({
  resolutionMin,
  points: points.map(([s, value]) => ({ start: t(s), value })),
});

describe('resample', () => {
  it('averages 15-minute values into 30-minute slots by time weight', () => {
    const g = resample(
      series([
        ['2020-01-01T00:00:00Z', 100],
        ['2020-01-01T00:15:00Z', 200],
        ['2020-01-01T00:30:00Z', 300],
        ['2020-01-01T00:45:00Z', 500],
      ]),
      30,
    );
    expect(g.startMs).toBe(t('2020-01-01T00:00:00Z'));
    expect(Array.from(g.values)).toEqual([150, 400]);
  });

  it('starts at the first boundary at or after the first point and holds the last value one native interval', () => {
    // points at :10 and :40 (30 min apart): the last one holds until 01:10
    const g = resample(
      series([
        ['2020-01-01T00:10:00Z', 100],
        ['2020-01-01T00:40:00Z', 400],
      ]),
      30,
    );
    expect(g.startMs).toBe(t('2020-01-01T00:30:00Z'));
    // slot 00:30-01:00: 10 min of 100, 20 min of 400 -> 300; slot 01:00-01:30: 10 min of 400 covered -> 400
    expect(Array.from(g.values)).toEqual([300, 400]);
  });

  it('handles a switch from 30- to 15-minute data (GB 2020)', () => {
    const g = resample(
      series([
        ['2020-10-31T23:00:00Z', 100],
        ['2020-10-31T23:30:00Z', 200],
        ['2020-10-31T23:45:00Z', 400],
      ]),
      60,
    );
    // 30 min of 100, 15 of 200, 15 of 400 -> (3000 + 3000 + 6000) / 60 = 200
    expect(Array.from(g.values)).toEqual([200]);
  });

  it('upsamples hourly data to 15-minute slots by repetition', () => {
    const g = resample(series([['2023-03-26T00:00:00Z', 42]], 60), 15);
    expect(Array.from(g.values)).toEqual([42, 42, 42, 42]);
  });

  it('marks slots without data NaN when the grid is wider than the data', () => {
    const g = resample(series([['2020-01-01T01:00:00Z', 5]], 60), 60, {
      startMs: t('2020-01-01T00:00:00Z'),
      endMs: t('2020-01-01T03:00:00Z'),
    });
    expect(Number.isNaN(g.values[0])).toBe(true);
    expect(g.values[1]).toBe(5);
    expect(Number.isNaN(g.values[2])).toBe(true);
  });

  it('is DST-safe: a day with a DST change in Europe still has 24 hourly UTC slots', () => {
    const points: [string, number][] = [];
    for (let h = 0; h < 24; h++)
      points.push([new Date(t('2023-03-26T00:00:00Z') + h * 3_600_000).toISOString(), h]);
    const g = resample(series(points, 60), 60);
    expect(g.values.length).toBe(24);
    expect(g.values[23]).toBe(23);
  });

  it('rejects a non-positive step', () => {
    expect(() => resample(series([['2020-01-01T00:00:00Z', 1]]), 0)).toThrow(/step/);
  });

  it('preserves the time integral of the covered span (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.double({ min: 0, max: 1000, noNaN: true })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.constantFrom(5, 15, 30, 60),
        (steps, stepMin) => {
          // points on a 5-minute lattice aligned to the grid so that the grid covers the data exactly
          let start = 0;
          const points = steps.map(([gap, value]) => {
            const p = { start: start * 300_000, value };
            start += gap;
            return p;
          });
          // the last value holds for the gap before it (or 5 min, the resolution, when it is alone)
          const lastLen =
            points.length > 1 ? points[points.length - 1].start - points[points.length - 2].start : 300_000;
          const dataEnd = points[points.length - 1].start + lastLen;
          const g = resample({ points, resolutionMin: 5 }, stepMin, {
            startMs: 0,
            endMs: Math.ceil(dataEnd / (stepMin * 60_000)) * stepMin * 60_000,
          });
          let integralData = 0;
          for (let i = 0; i < points.length; i++) {
            const len = i < points.length - 1 ? points[i + 1].start - points[i].start : lastLen;
            integralData += points[i].value * len;
          }
          let integralGrid = 0;
          for (let i = 0; i < g.values.length; i++) {
            const s = i * stepMin * 60_000;
            const covered = Math.min(stepMin * 60_000, dataEnd - s);
            if (covered > 0) integralGrid += g.values[i] * covered;
          }
          expect(integralGrid).toBeCloseTo(integralData, 3);
        },
      ),
    );
  });
});
