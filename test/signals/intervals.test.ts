import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import { coverageGap, overlapping, toSteps, type ValueInterval } from '../../src/signals/intervals.ts';

const H = 3_600_000;
const iv = (startH: number, endH: number, value: number): ValueInterval => ({
  startMs: startH * H,
  endMs: endH * H,
  value,
});

describe('toSteps', () => {
  it('sorts intervals and takes the last one as the resolution', () => {
    const { points, resolutionMin } = toSteps([iv(1, 1.25, 2), iv(0, 1, 1)], 'test');
    expect(points).toEqual([
      { start: 0, value: 1 },
      { start: H, value: 2 },
    ]);
    expect(resolutionMin).toBe(15);
  });

  it('marks a hole with a NaN point so the value before it does not stretch over it', () => {
    const { points } = toSteps([iv(0, 1, 1), iv(3, 4, 4)], 'test');
    expect(points).toEqual([
      { start: 0, value: 1 },
      { start: H, value: Number.NaN },
      { start: 3 * H, value: 4 },
    ]);
  });

  it('refuses overlapping or empty intervals', () => {
    expect(() => toSteps([iv(0, 2, 1), iv(1, 3, 2)], 'test')).toThrow(ProviderError);
    expect(() => toSteps([iv(0, 2, 1), iv(1, 3, 2)], 'test')).toThrow(/overlap/);
    expect(() => toSteps([iv(1, 1, 1)], 'test')).toThrow(/does not end after/);
  });

  it('gives strictly increasing points, one per interval plus one per hole', () => {
    const gapsAndLengths = fc.array(
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 })),
      {
        minLength: 1,
        maxLength: 40,
      },
    );
    fc.assert(
      fc.property(gapsAndLengths, (parts) => {
        let t = 0;
        let holes = 0;
        const intervals = parts.map(([gap, len], i) => {
          if (gap > 0 && i > 0) holes++;
          const start = t + (i > 0 ? gap : 0);
          t = start + len;
          return iv(start, t, i);
        });
        const { points } = toSteps([...intervals].reverse(), 'test');
        expect(points).toHaveLength(intervals.length + holes);
        for (let i = 1; i < points.length; i++) expect(points[i].start).toBeGreaterThan(points[i - 1].start);
        expect(points.filter((p) => Number.isFinite(p.value)).map((p) => p.value)).toEqual(
          intervals.map((x) => x.value),
        );
      }),
    );
  });
});

describe('overlapping', () => {
  it('keeps intervals that overlap the half-open range', () => {
    const all = [iv(0, 1, 0), iv(1, 2, 1), iv(2, 3, 2)];
    expect(overlapping(all, H, 2 * H).map((x) => x.value)).toEqual([1]);
    expect(overlapping(all, 1.5 * H, 2.5 * H).map((x) => x.value)).toEqual([1, 2]);
  });
});

describe('coverageGap', () => {
  it('says where the data stops short of the range', () => {
    expect(coverageGap([iv(0, 2, 1)], 0, 2 * H)).toBeUndefined();
    expect(coverageGap([iv(0, 2, 1)], 0, 3 * H)).toBe('prices are published only until 1970-01-01T02:00:00Z');
    expect(coverageGap([iv(1, 2, 1)], 0, 2 * H)).toBe('prices start only at 1970-01-01T01:00:00Z');
    expect(coverageGap([], 0, H)).toBe('no prices for the range');
  });
});
