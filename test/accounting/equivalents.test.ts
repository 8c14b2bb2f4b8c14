import { describe, expect, it } from 'vitest';
import {
  CAR_G_PER_KM,
  EQUIVALENCE_FACTORS,
  equivalents,
  PHONE_CHARGE_G,
  TREE_G_PER_DAY,
} from '../../src/accounting/equivalents.ts';

describe('equivalents', () => {
  it('uses the cited factors', () => {
    // 400 g/mile / 1.609344 km/mile
    expect(CAR_G_PER_KM).toBeCloseTo(248.548, 3);
    // 48 lb x 453.59237 g/lb / 365 d
    expect(TREE_G_PER_DAY).toBeCloseTo(59.6505, 3);
    expect(PHONE_CHARGE_G).toBe(8.22);
    for (const f of EQUIVALENCE_FACTORS) expect(f.source.length).toBeGreaterThan(10);
  });

  it('converts grams to km, tree-days and phone charges', () => {
    const e = equivalents(10_000);
    expect(e.carKm).toBeCloseTo(10_000 / 248.548, 2);
    expect(e.treeDays).toBeCloseTo(10_000 / 59.6505, 2);
    expect(e.phoneCharges).toBeCloseTo(1216.5, 1);
    expect(equivalents(0)).toEqual({ carKm: 0, treeDays: 0, phoneCharges: 0 });
  });
});
