import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replicaCap, sortedBands } from '../../src/planner/replicas.ts';

// the carbon-aware KEDA operator's sample bands
const BANDS = sortedBands([
  { threshold: 571, maxReplicas: 10 },
  { threshold: 437, maxReplicas: 110 },
  { threshold: 504, maxReplicas: 60 },
]);

describe('replicaCap', () => {
  it('takes the band whose range (lower, upper] holds the intensity', () => {
    expect(BANDS.map((b) => b.threshold)).toEqual([437, 504, 571]);
    expect(replicaCap(300, BANDS, 5).maxReplicas).toBe(110);
    expect(replicaCap(437, BANDS, 5).maxReplicas).toBe(110); // upper bound included
    expect(replicaCap(437.1, BANDS, 5).maxReplicas).toBe(60); // lower bound excluded
    expect(replicaCap(504, BANDS, 5)).toMatchObject({
      maxReplicas: 60,
      band: { index: 1, lower: 437, upper: 504 },
    });
    expect(replicaCap(571, BANDS, 5).maxReplicas).toBe(10);
    expect(replicaCap(900, BANDS, 5)).toEqual({
      maxReplicas: 10,
      band: { index: 2, lower: 571, upper: null },
      reason: '900 g/kWh is above the last threshold (571 g/kWh): at most 10 replicas',
    });
  });

  it('puts an intensity of 0 (or below) in the first band, not the last', () => {
    expect(replicaCap(0, BANDS, 5)).toEqual({
      maxReplicas: 110,
      band: { index: 0, lower: null, upper: 437 },
      reason: '0 g/kWh is at or below 437 g/kWh: at most 110 replicas',
    });
    expect(replicaCap(-3, BANDS, 5).maxReplicas).toBe(110);
  });

  it('falls back without an intensity', () => {
    expect(replicaCap(null, BANDS, 5)).toEqual({
      maxReplicas: 5,
      band: null,
      reason: 'no carbon intensity now: the fallback cap of 5',
    });
    expect(replicaCap(Number.NaN, BANDS, 5).maxReplicas).toBe(5);
  });

  it('never allows more replicas as the grid gets dirtier, when caps fall with thresholds', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 1500, noNaN: true }),
        fc.double({ min: -50, max: 1500, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(replicaCap(hi, BANDS, 5).maxReplicas).toBeLessThanOrEqual(
            replicaCap(lo, BANDS, 5).maxReplicas,
          );
        },
      ),
    );
  });
});
