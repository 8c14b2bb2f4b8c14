import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import {
  bestContiguous,
  bestInterruptible,
  cheapestSlots,
  lowestSlots,
  prefixSums,
} from '../../src/planner/windows.ts';

describe('bestContiguous', () => {
  it('finds the lowest window and prefers the earliest on ties', () => {
    const p = prefixSums([5, 1, 1, 5, 1, 1, 9]);
    expect(bestContiguous(p, 0, 7, 2)).toEqual({ start: 1, total: 2 });
    expect(bestContiguous(p, 3, 7, 2)).toEqual({ start: 4, total: 2 });
  });

  it('skips windows with missing values and returns null when nothing fits', () => {
    const p = prefixSums([1, Number.NaN, 1, 2, 3]);
    expect(bestContiguous(p, 0, 5, 2)).toEqual({ start: 2, total: 3 });
    expect(bestContiguous(p, 0, 2, 2)).toBeNull();
    expect(bestContiguous(p, 0, 5, 6)).toBeNull();
  });

  it('agrees with a naive scan (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        (values, k) => {
          const got = bestContiguous(prefixSums(values), 0, values.length, k);
          let best: number | null = null;
          for (let s = 0; s + k <= values.length; s++) {
            const sum = values.slice(s, s + k).reduce((a, b) => a + b, 0);
            if (best === null || sum < best) best = sum;
          }
          expect(got?.total ?? null).toBe(best);
        },
      ),
    );
  });
});

describe('cheapestSlots', () => {
  it('returns the k lowest slots in time order', () => {
    expect(Array.from(cheapestSlots([4, 1, 3, 0, 2], 0, 5, 3) ?? [])).toEqual([1, 3, 4]);
  });
  it('respects the allowed range and missing values', () => {
    expect(Array.from(cheapestSlots([0, Number.NaN, 3, 1], 1, 4, 2) ?? [])).toEqual([2, 3]);
    expect(cheapestSlots([0, Number.NaN, 3], 1, 3, 2)).toBeNull();
  });
});

describe('bestInterruptible: bounded memory', () => {
  it('refuses a piece search above its state budget with an InputError, instead of allocating it', () => {
    // alternating values: the cheapest slots are all single, so the piece rules force the full search
    const scores = Array.from({ length: 20_000 }, (_, i) => i % 2);
    const err = (() => {
      try {
        bestInterruptible(scores, 0, scores.length, 5000, { minPieceSlots: 3, maxPieces: 2 });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.message).toBe(
      'maxPieces: interruptible search too large (20000 slots x 5000 needed x 3 pieces); ' +
        'shorten the window or relax the piece rules',
    );
    // within the budget the same shape of search answers
    const small = bestInterruptible(scores.slice(0, 200), 0, 200, 50, { minPieceSlots: 3, maxPieces: 2 });
    expect(small?.slots.length).toBe(50);
  });
});
describe('lowestSlots', () => {
  it('breaks ties towards earlier slots', () => {
    expect(Array.from(lowestSlots([2, 1, 1, 1, 0], 0, 5, 3)?.slots ?? [])).toEqual([1, 2, 4]);
  });

  it('returns null when fewer than k slots are known', () => {
    expect(lowestSlots([1, Number.NaN, 2], 0, 3, 3)).toBeNull();
  });

  it('agrees with cheapestSlots (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(Number.NaN)), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 30 }),
        (values, a, b, k) => {
          const from = a % values.length;
          const to = from + (b % (values.length - from + 1));
          const got = lowestSlots(values, from, to, k);
          const want = cheapestSlots(values, from, to, k);
          expect(got ? Array.from(got.slots) : null).toEqual(want ? Array.from(want) : null);
        },
      ),
    );
  });
});
