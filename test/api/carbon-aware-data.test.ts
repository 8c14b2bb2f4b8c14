import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  averageOverPeriod,
  dotnetTime,
  type EmissionsPoint,
  optimalPoints,
  parseClientTime,
  pointsIn,
  rollingAverage,
  timeSpan,
} from '../../src/api/carbon-aware-data.ts';

const MIN = 60_000;
const T0 = Date.parse('2022-06-01T00:00:00Z');

/** Consecutive points of `stepMin` minutes from T0. */
const series = (ratings: number[], stepMin = 5): EmissionsPoint[] =>
  ratings.map((rating, i) => ({
    location: 'X',
    startMs: T0 + i * stepMin * MIN,
    durationMs: stepMin * MIN,
    rating,
  }));

describe('rollingAverage', () => {
  it('averages over the window, moving one point at a time (the SDK documentation examples)', () => {
    const ratings = (pts: EmissionsPoint[]) => pts.map((p) => p.rating);
    expect(ratings(rollingAverage(series([10, 20, 30, 40, 5]), 10 * MIN))).toEqual([15, 25, 35, 22.5]);
    expect(ratings(rollingAverage(series([5, 55, 10, 10, 10]), 10 * MIN))).toEqual([30, 32.5, 10, 10]);
    expect(ratings(rollingAverage(series([12, 11, 10, 12, 13]), 10 * MIN))).toEqual([11.5, 10.5, 11, 12.5]);
  });

  it('stamps each window with its start and the window length', () => {
    const out = rollingAverage(series([10, 20, 30]), 10 * MIN);
    expect(out.map((p) => [p.startMs - T0, p.durationMs])).toEqual([
      [0, 10 * MIN],
      [5 * MIN, 10 * MIN],
    ]);
  });

  it('weights a window that is not a whole number of points by the time each covers', () => {
    // 7.5 minutes: 5 min of the first point, 2.5 of the second
    const out = rollingAverage(series([10, 40, 70]), 7.5 * MIN);
    expect(out.map((p) => p.rating)).toEqual([20, 50]);
  });

  it('starts at dataStartAt and stops before a window would end past dataEndAt', () => {
    const pts = series([10, 20, 30, 40, 50, 60]);
    const out = rollingAverage(pts, 10 * MIN, T0 + 5 * MIN, T0 + 25 * MIN);
    expect(out.map((p) => [(p.startMs - T0) / MIN, p.rating])).toEqual([
      [5, 25],
      [10, 35],
      [15, 45],
    ]);
  });

  it('returns the points unchanged without a window, and nothing for no points', () => {
    const pts = series([3, 1, 2]);
    expect(rollingAverage(pts, 0)).toEqual(pts);
    expect(rollingAverage([], 10 * MIN)).toEqual([]);
  });

  it('leaves out windows over a gap in the data', () => {
    const pts = series([10, 20, 30, 40]).filter((_, i) => i !== 1);
    const out = rollingAverage(pts, 10 * MIN);
    expect(out.map((p) => [(p.startMs - T0) / MIN, p.rating])).toEqual([[10, 35]]);
  });

  it('with a window of one point reproduces the points (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 }), (values) => {
        const pts = series(values);
        expect(rollingAverage(pts, 5 * MIN).map((p) => p.rating)).toEqual(values);
      }),
    );
  });

  it('every window average lies between the smallest and largest value it covers (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        (values, k) => {
          const pts = series(values);
          for (const w of rollingAverage(pts, k * 5 * MIN)) {
            const i = (w.startMs - T0) / (5 * MIN);
            const covered = values.slice(i, i + k);
            expect(w.rating).toBeGreaterThanOrEqual(Math.min(...covered) - 1e-9);
            expect(w.rating).toBeLessThanOrEqual(Math.max(...covered) + 1e-9);
          }
        },
      ),
    );
  });
});

describe('averageOverPeriod', () => {
  it('weights partly covered points (the SDK documentation example)', () => {
    // hourly 30, 100, 50 from 01:00; 01:30-03:30 = 30/4 + 100/2 + 50/4
    const pts = series([30, 100, 50], 60).map((p) => ({ ...p, startMs: p.startMs + 60 * MIN }));
    expect(averageOverPeriod(pts, T0 + 90 * MIN, T0 + 210 * MIN)).toBe(70);
    expect(averageOverPeriod(pts, T0 + 60 * MIN, T0 + 240 * MIN)).toBe(60);
  });

  it('refuses a period the data does not cover, or data with a gap', () => {
    const pts = series([1, 2, 3], 60);
    expect(() => averageOverPeriod(pts, T0 - MIN, T0 + 60 * MIN)).toThrow(/does not cover/);
    expect(() => averageOverPeriod(pts, T0, T0 + 181 * MIN)).toThrow(/does not cover/);
    expect(() => averageOverPeriod([pts[0], pts[2]], T0, T0 + 180 * MIN)).toThrow(/not continuous/);
    expect(() => averageOverPeriod(pts, T0, T0)).toThrow(/empty/);
  });
});

describe('pointsIn and optimalPoints', () => {
  it('selects by overlap, or the point holding an instant', () => {
    const pts = series([1, 2, 3, 4]);
    expect(pointsIn(pts, T0 + 5 * MIN, T0 + 10 * MIN).map((p) => p.rating)).toEqual([2]);
    expect(pointsIn(pts, T0 + 4 * MIN, T0 + 11 * MIN).map((p) => p.rating)).toEqual([1, 2, 3]);
    expect(pointsIn(pts, T0 + 7 * MIN, T0 + 7 * MIN).map((p) => p.rating)).toEqual([2]);
    expect(pointsIn(pts, T0 + 20 * MIN, T0 + 20 * MIN)).toEqual([]);
  });

  it('keeps every point with the lowest rating', () => {
    expect(optimalPoints(series([5, 3, 4, 3])).map((p) => (p.startMs - T0) / MIN)).toEqual([5, 15]);
    expect(optimalPoints([])).toEqual([]);
  });
});

describe('.NET formats', () => {
  it('writes TimeSpans and DateTimeOffsets as the SDK does', () => {
    expect(timeSpan(5 * MIN)).toBe('00:05:00');
    expect(timeSpan(90 * MIN)).toBe('01:30:00');
    expect(timeSpan(26 * 60 * MIN + 1000)).toBe('1.02:00:01');
    expect(dotnetTime(Date.parse('2022-08-23T14:30:00Z'))).toBe('2022-08-23T14:30:00+00:00');
    expect(dotnetTime(Date.parse('2022-08-23T14:30:00.250Z'))).toBe('2022-08-23T14:30:00.250+00:00');
  });

  it('reads the time forms its clients send', () => {
    const utc = (s: string) => Date.parse(s);
    expect(parseClientTime('2022-08-23T14:00')).toBe(utc('2022-08-23T14:00:00Z'));
    expect(parseClientTime('2022-1-1T04:05:06Z')).toBe(utc('2022-01-01T04:05:06Z'));
    expect(parseClientTime('2021-12-25T00:00:00+06:00')).toBe(utc('2021-12-24T18:00:00Z'));
    expect(parseClientTime('2021-12-25T00:00:00 06:00')).toBe(utc('2021-12-24T18:00:00Z'));
    expect(parseClientTime('2021-12-25T00:00:00-0130')).toBe(utc('2021-12-25T01:30:00Z'));
    expect(parseClientTime('2022-03-01')).toBe(utc('2022-03-01T00:00:00Z'));
    expect(parseClientTime('2022-03-01T15:30:00.5Z')).toBe(utc('2022-03-01T15:30:00.500Z'));
    for (const bad of ['yesterday', '2022-13-01', '2023-02-30T00:00Z', '2022-03-01T25:00', ''])
      expect(parseClientTime(bad)).toBeNaN();
  });
});
