import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bestContiguousUnderCap,
  bestInterruptible,
  bestInterruptibleUnderCap,
  cheapestSlots,
  fitsPieces,
  prefixSums,
} from '../../src/planner/windows.ts';

const NaN_ = Number.NaN;

/** Every k-subset of [0, n) in lexicographic order. */
function* subsets(n: number, k: number, start = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === k) {
    yield acc.slice();
    return;
  }
  for (let i = start; i <= n - (k - acc.length); i++) {
    acc.push(i);
    yield* subsets(n, k, i + 1, acc);
    acc.pop();
  }
}

/** Brute force: lowest total over k-subsets with finite values that satisfy `ok`. */
function bruteBest(values: number[], k: number, ok: (s: number[]) => boolean): number | null {
  let best: number | null = null;
  for (const s of subsets(values.length, k)) {
    if (!s.every((i) => Number.isFinite(values[i]))) continue;
    if (!ok(s)) continue;
    const t = s.reduce((a, i) => a + values[i], 0);
    if (best === null || t < best) best = t;
  }
  return best;
}

const valuesArb = fc.array(
  fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: -20, max: 100 }) },
    { weight: 1, arbitrary: fc.constant(NaN_) },
  ),
  { minLength: 1, maxLength: 12 },
);

describe('cheapestSlots', () => {
  it('selects the same slots as a full sort, ties to earlier slots (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(NaN_)), { maxLength: 80 }),
        fc.nat(80),
        (values, k) => {
          const idx = values.map((_, i) => i).filter((i) => Number.isFinite(values[i]));
          const expected =
            idx.length < k
              ? null
              : idx
                  .sort((a, b) => values[a] - values[b] || a - b)
                  .slice(0, k)
                  .sort((a, b) => a - b);
          const got = cheapestSlots(values, 0, values.length, k);
          expect(got === null ? null : Array.from(got)).toEqual(expected);
        },
      ),
    );
  });
});

describe('fitsPieces', () => {
  it('checks run count and run length', () => {
    expect(fitsPieces([0, 1, 3, 4], 2, 2)).toBe(true);
    expect(fitsPieces([0, 1, 3], 2, 2)).toBe(false);
    expect(fitsPieces([0, 1, 3, 4], 2, 1)).toBe(false);
    expect(fitsPieces([], 3, 1)).toBe(true);
  });
});

describe('bestInterruptible', () => {
  it('without piece rules is the k cheapest slots', () => {
    const got = bestInterruptible([4, 1, 3, 0, 2], 0, 5, 3);
    expect(Array.from(got!.slots)).toEqual([1, 3, 4]);
    expect(got!.total).toBe(3);
  });

  it('keeps pieces at least minPieceSlots long', () => {
    const v = [10, 10, 500, 10, 500, 10, 10, 500];
    // unconstrained picks 0,1,3,5 (a 1-slot piece at 3); with 2-slot pieces: [0,1] + [5,6]
    expect(Array.from(bestInterruptible(v, 0, 8, 4)!.slots)).toEqual([0, 1, 3, 5]);
    const got = bestInterruptible(v, 0, 8, 4, { minPieceSlots: 2 });
    expect(Array.from(got!.slots)).toEqual([0, 1, 5, 6]);
    expect(got!.total).toBe(40);
  });

  it('with one piece is the best contiguous window', () => {
    const v = [10, 10, 500, 10, 500, 10, 10, 500];
    const got = bestInterruptible(v, 0, 8, 4, { maxPieces: 1 });
    expect(Array.from(got!.slots)).toEqual([0, 1, 2, 3]);
    expect(got!.total).toBe(530);
  });

  it('limits the number of pieces', () => {
    const v = [1, 50, 1, 50, 1, 50, 1, 1];
    // 3 slots in at most 2 pieces: [6,7] + one of the singles
    const got = bestInterruptible(v, 0, 8, 3, { maxPieces: 2 });
    expect(got!.total).toBe(3);
    expect(fitsPieces(got!.slots, 1, 2)).toBe(true);
  });

  it('respects the allowed range and missing values, and says null when nothing fits', () => {
    const v = [0, 0, NaN_, 5, 5, 0, 0];
    expect(Array.from(bestInterruptible(v, 1, 7, 3, { minPieceSlots: 3 })!.slots)).toEqual([4, 5, 6]);
    expect(bestInterruptible(v, 0, 3, 3, { minPieceSlots: 3 })).toBeNull();
    expect(bestInterruptible(v, 0, 7, 3, { minPieceSlots: 4 })).toBeNull();
    expect(bestInterruptible(v, 0, 2, 3)).toBeNull();
  });

  it('rejects bad piece rules', () => {
    expect(() => bestInterruptible([1, 2], 0, 2, 1, { minPieceSlots: 0 })).toThrow(/minPieceSlots/);
    expect(() => bestInterruptible([1, 2], 0, 2, 1, { maxPieces: 0.5 })).toThrow(/maxPieces/);
  });

  it('is exact against brute force (property)', () => {
    fc.assert(
      fc.property(
        valuesArb,
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Number.POSITIVE_INFINITY)),
        fc.nat(3),
        (values, k, m, p, from) => {
          const to = values.length;
          const got = bestInterruptible(values, from, to, k, { minPieceSlots: m, maxPieces: p });
          const sub = values.map((v, i) => (i >= from ? v : NaN_));
          const expected = bruteBest(sub, k, (s) => fitsPieces(s, m, p));
          if (expected === null) {
            expect(got).toBeNull();
            return;
          }
          expect(got).not.toBeNull();
          const slots = Array.from(got!.slots);
          expect(slots.length).toBe(k);
          expect(slots.every((s, i) => s >= from && s < to && (i === 0 || s > slots[i - 1]))).toBe(true);
          expect(slots.every((s) => Number.isFinite(values[s]))).toBe(true);
          expect(fitsPieces(slots, m, p)).toBe(true);
          expect(got!.total).toBe(slots.reduce((a, s) => a + values[s], 0));
          expect(got!.total).toBe(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('bestInterruptible: shapes that need the dynamic programme', () => {
  it('is exact against brute force when the cheapest slots rarely fit (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 6, maxLength: 14 }),
        fc.integer({ min: 4, max: 8 }),
        fc.integer({ min: 2, max: 3 }),
        fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(Number.POSITIVE_INFINITY)),
        (values, k, m, p) => {
          const got = bestInterruptible(values, 0, values.length, k, { minPieceSlots: m, maxPieces: p });
          const expected = bruteBest(values, k, (s) => fitsPieces(s, m, p));
          expect(got?.total ?? null).toBe(expected);
          if (got) expect(fitsPieces(got.slots, m, p)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('bestContiguousUnderCap', () => {
  it('takes the lowest primary window whose capped sum fits', () => {
    const price = prefixSums([1, 2, 3, 4]);
    const carbon = prefixSums([500, 100, 100, 100]);
    expect(bestContiguousUnderCap(price, carbon, 0, 4, 2, 1000)).toEqual({
      start: 0,
      total: 3,
      capTotal: 600,
    });
    expect(bestContiguousUnderCap(price, carbon, 0, 4, 2, 200)).toEqual({
      start: 1,
      total: 5,
      capTotal: 200,
    });
    expect(bestContiguousUnderCap(price, carbon, 0, 4, 2, 199)).toBeNull();
  });

  it('agrees with brute force (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -10, max: 50 }), fc.integer({ min: 0, max: 50 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 200 }),
        (pairs, k, cap) => {
          const a = pairs.map((x) => x[0]);
          const c = pairs.map((x) => x[1]);
          const got = bestContiguousUnderCap(prefixSums(a), prefixSums(c), 0, a.length, k, cap);
          let best: number | null = null;
          for (let s = 0; s + k <= a.length; s++) {
            const cs = c.slice(s, s + k).reduce((x, y) => x + y, 0);
            const as = a.slice(s, s + k).reduce((x, y) => x + y, 0);
            if (cs <= cap && (best === null || as < best)) best = as;
          }
          expect(got?.total ?? null).toBe(best);
          if (got) expect(got.capTotal).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });
});

describe('bestInterruptibleUnderCap', () => {
  it('finds the cheapest pair under the cap on a crafted example', () => {
    const price = [0.3, 0.1, 0.2, 0.25];
    const carbon = [100, 400, 200, 300];
    // unconstrained: slots 1,2 (0.30, carbon 600); under 300: only 0,2
    const got = bestInterruptibleUnderCap(price, carbon, 0, 4, 2, 300);
    expect(Array.from(got!.slots)).toEqual([0, 2]);
    expect(got!.capTotal).toBe(300);
    expect(got!.total).toBeCloseTo(0.5, 12);
    expect(bestInterruptibleUnderCap(price, carbon, 0, 4, 2, 299)).toBeNull();
  });

  it('always meets the cap, is null exactly when nothing does, and is never below the optimum (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -10, max: 50 }), fc.integer({ min: 0, max: 50 })), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 200 }),
        (pairs, k, m, cap) => {
          const a = pairs.map((x) => x[0]);
          const c = pairs.map((x) => x[1]);
          const got = bestInterruptibleUnderCap(a, c, 0, a.length, k, cap, { minPieceSlots: m });
          const capOf = (s: number[]) => s.reduce((x, i) => x + c[i], 0);
          const optimum = bruteBest(a, k, (s) => fitsPieces(s, m, Infinity) && capOf(s) <= cap);
          if (optimum === null) {
            expect(got).toBeNull();
            return;
          }
          expect(got).not.toBeNull();
          const slots = Array.from(got!.slots);
          expect(fitsPieces(slots, m, Infinity)).toBe(true);
          expect(capOf(slots)).toBeLessThanOrEqual(cap);
          expect(got!.total).toBeGreaterThanOrEqual(optimum);
        },
      ),
      { numRuns: 300 },
    );
  });
});
