import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CARBON_BANDS_G,
  carbonLevel,
  isBestNow,
  isCleanNow,
  percentileRank,
  QUALITY_LEVELS,
  relativeLevel,
} from '../../src/signals/quality.ts';

describe('carbonLevel', () => {
  it('puts each band edge in the band above it', () => {
    expect(carbonLevel(0)).toBe('excellent');
    expect(carbonLevel(99.99)).toBe('excellent');
    expect(carbonLevel(100)).toBe('good');
    expect(carbonLevel(199.99)).toBe('good');
    expect(carbonLevel(200)).toBe('moderate');
    expect(carbonLevel(299.99)).toBe('moderate');
    expect(carbonLevel(300)).toBe('poor');
    expect(carbonLevel(449.99)).toBe('poor');
    expect(carbonLevel(450)).toBe('very poor');
    expect(carbonLevel(1200)).toBe('very poor');
  });

  it('has no level for a missing reading', () => {
    expect(carbonLevel(Number.NaN)).toBeUndefined();
  });

  it('never gets better as intensity rises', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const rank = (v: number) => QUALITY_LEVELS.indexOf(carbonLevel(v)!);
          expect(rank(lo)).toBeLessThanOrEqual(rank(hi));
        },
      ),
    );
  });

  it('documents four band bounds for five levels', () => {
    expect(CARBON_BANDS_G.length + 1).toBe(QUALITY_LEVELS.length);
  });
});

describe('relative level', () => {
  const forecast = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];

  it('ranks a value by the share of the forecast below it (ties count half)', () => {
    expect(percentileRank(50, forecast)).toBe(0);
    expect(percentileRank(100, forecast)).toBeCloseTo(0.05);
    expect(percentileRank(550, forecast)).toBeCloseTo(0.5);
    expect(percentileRank(2000, forecast)).toBe(1);
    expect(percentileRank(5, [Number.NaN, 10])).toBe(0);
    expect(percentileRank(5, [])).toBeNaN();
  });

  it('maps quintiles of the forecast to the five levels', () => {
    expect(relativeLevel(150, forecast)).toBe('excellent'); // 1 of 10 below
    expect(relativeLevel(250, forecast)).toBe('good'); // 2 of 10
    expect(relativeLevel(450, forecast)).toBe('moderate'); // 4 of 10
    expect(relativeLevel(750, forecast)).toBe('poor'); // 7 of 10
    expect(relativeLevel(950, forecast)).toBe('very poor'); // 9 of 10
    expect(relativeLevel(5000, forecast)).toBe('very poor');
    expect(relativeLevel(100, [])).toBeUndefined();
  });

  it('calls the middle of a flat forecast moderate', () => {
    expect(relativeLevel(300, [300, 300, 300])).toBe('moderate');
  });
});

describe('isCleanNow', () => {
  const coming = [200, 300, 400]; // mean 300

  it('is clean below the forecast mean when no threshold is given', () => {
    const r = isCleanNow(250, coming);
    expect(r).toMatchObject({ clean: true, relative: true, absolute: true, forecastMean: 300 });
    expect(r.reason).toContain('below the forecast mean of 300');
    expect(r.level).toBe('moderate');
    expect(r.relativeLevel).toBe('good'); // 1 of 3 below -> 0.33
  });

  it('is not clean at or above the forecast mean: cleaner hours are coming', () => {
    const r = isCleanNow(300, coming);
    expect(r.clean).toBe(false);
    expect(r.relative).toBe(false);
    expect(r.reason).toContain('cleaner hours are coming');
  });

  it('needs both the mean and the threshold when a threshold is given', () => {
    expect(isCleanNow(250, coming, { thresholdG: 260 })).toMatchObject({ clean: true, absolute: true });
    const over = isCleanNow(250, coming, { thresholdG: 250 });
    expect(over).toMatchObject({ clean: false, relative: true, absolute: false });
    expect(over.reason).toContain('not below the threshold of 250');
  });

  it('decides on the threshold alone without a forecast', () => {
    expect(isCleanNow(90, [], { thresholdG: 100 })).toMatchObject({
      clean: true,
      relative: false,
      absolute: true,
    });
    expect(isCleanNow(110, [Number.NaN], { thresholdG: 100 }).clean).toBe(false);
    const none = isCleanNow(90, []);
    expect(none.clean).toBe(false);
    expect(none.forecastMean).toBeNaN();
    expect(none.reason).toContain('no forecast');
  });

  it('is never clean without a current reading', () => {
    expect(isCleanNow(Number.NaN, coming, { thresholdG: 1000 })).toMatchObject({
      clean: false,
      reason: 'no current reading',
    });
  });
});

describe('isBestNow', () => {
  it('is the cleanest slot of a horizon that varies, and the cheapest where prices are known', () => {
    expect(isBestNow(100, [100, 300, 200])).toBe(true);
    expect(isBestNow(150, [100, 300, 200])).toBe(false);
    expect(isBestNow(100, [100, 100, 100])).toBe(false);
    expect(isBestNow(100, [100, 300], 0.2, [0.2, 0.3])).toBe(true);
    expect(isBestNow(100, [100, 300], 0.3, [0.2, 0.3])).toBe(false);
    expect(isBestNow(100, [100, Number.NaN, 300], Number.NaN, [0.1])).toBe(true);
    expect(isBestNow(Number.NaN, [100, 300])).toBe(false);
  });
});
