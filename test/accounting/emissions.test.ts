import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emissionsG, footprintOfSlots, footprintOnGrid, savings } from '../../src/accounting/emissions.ts';
import type { Grid } from '../../src/core/series.ts';

const t0 = Date.parse('2024-01-01T00:00:00Z');
const H = 3_600_000;
const grid = (values: number[], stepMin = 60, startMs = t0): Grid => ({
  startMs,
  stepMin,
  values: Float64Array.from(values),
});

describe('emissions', () => {
  it('emissionsG = kWh x g/kWh', () => {
    expect(emissionsG(3, 250)).toBe(750);
  });

  it('sums slots and keeps missing values out of the totals', () => {
    const f = footprintOfSlots(
      [
        { energyKwh: 1, carbonGPerKwh: 200, pricePerKwh: 0.3 },
        { energyKwh: 2, carbonGPerKwh: Number.NaN, pricePerKwh: 0.1 },
        { energyKwh: 0.5, carbonGPerKwh: 100, pricePerKwh: Number.NaN },
      ],
      'EUR',
    );
    expect(f).toEqual({
      energyKwh: 3.5,
      emissionsG: 250,
      missingCarbonKwh: 2,
      cost: 0.5,
      missingPriceKwh: 0.5,
      currency: 'EUR',
    });
    expect(footprintOfSlots([{ energyKwh: 1, carbonGPerKwh: 10 }]).cost).toBeUndefined();
  });

  it('weights runs by their overlap with each slot', () => {
    // 2 kW from 00:30 to 02:00 on hourly carbon [100, 300, 500]: 1 kWh x 100 + 2 kWh x 300 = 700 g
    const f = footprintOnGrid([{ startMs: t0 + 0.5 * H, endMs: t0 + 2 * H }], 2, {
      carbon: grid([100, 300, 500]),
    });
    expect(f.energyKwh).toBeCloseTo(3, 12);
    expect(f.emissionsG).toBeCloseTo(700, 9);
    expect(f.missingCarbonKwh).toBe(0);
  });

  it('cuts runs at both grids when carbon and price differ in step', () => {
    // carbon hourly [100, 200]; price half-hourly [0.1, 0.2, 0.3, 0.4]; 1 kW from 00:15 to 01:45
    const f = footprintOnGrid([{ startMs: t0 + 0.25 * H, endMs: t0 + 1.75 * H }], 1, {
      carbon: grid([100, 200]),
      price: grid([0.1, 0.2, 0.3, 0.4], 30),
      currency: 'EUR',
    });
    // carbon: 0.75 kWh x 100 + 0.75 kWh x 200 = 225 g
    expect(f.emissionsG).toBeCloseTo(225, 9);
    // price: 0.25 x 0.1 + 0.5 x 0.2 + 0.5 x 0.3 + 0.25 x 0.4 = 0.375
    expect(f.cost).toBeCloseTo(0.375, 12);
    expect(f.currency).toBe('EUR');
  });

  it('counts energy outside the grid as missing', () => {
    const f = footprintOnGrid([{ startMs: t0 + 1 * H, endMs: t0 + 3 * H }], 1, { carbon: grid([100, 300]) });
    expect(f.emissionsG).toBeCloseTo(300, 9);
    expect(f.missingCarbonKwh).toBeCloseTo(1, 12);
  });

  it('savings against a baseline in g, kg, % and money', () => {
    const actual = { energyKwh: 3, emissionsG: 600, missingCarbonKwh: 0, cost: 0.6 };
    const baseline = { energyKwh: 3, emissionsG: 1500, missingCarbonKwh: 0, cost: 0.9 };
    const s = savings(actual, baseline);
    expect(s.emissionsSavedG).toBe(900);
    expect(s.emissionsSavedKg).toBe(0.9);
    expect(s.emissionsSavedPct).toBe(60);
    expect(s.costSaved).toBeCloseTo(0.3, 12);
    expect(s.costSavedPct).toBeCloseTo(100 / 3, 10);
    expect(savings({ ...actual, emissionsG: 0 }, { ...baseline, emissionsG: 0 }).emissionsSavedPct).toBe(0);
    // doing worse than the baseline is a negative saving
    expect(savings(baseline, actual).emissionsSavedPct).toBe(-150);
  });

  it('splitting a run in two never changes its footprint (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 900, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (values, startMin, lenMin, cutAt) => {
          const g = grid(values);
          const s = t0 + startMin * 60_000;
          const e = s + lenMin * 60_000;
          const cut = s + Math.min(cutAt, lenMin) * 60_000;
          const whole = footprintOnGrid([{ startMs: s, endMs: e }], 1.7, { carbon: g });
          const split = footprintOnGrid(
            [
              { startMs: s, endMs: cut },
              { startMs: cut, endMs: e },
            ],
            1.7,
            { carbon: g },
          );
          expect(split.emissionsG).toBeCloseTo(whole.emissionsG, 6);
          expect(split.energyKwh).toBeCloseTo((1.7 * lenMin) / 60, 9);
        },
      ),
    );
  });
});
