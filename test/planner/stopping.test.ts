import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startOrWait } from '../../src/planner/stopping.ts';

const paths = (...rows: number[][]) => rows.map((r) => Float64Array.from(r));

describe('startOrWait', () => {
  // A one-slot job in slots 0..2: now costs 10 for sure, slots 1 and 2 are expected at 12 each but one of
  // them will turn out 8 and the other 16 (two equally likely paths).
  const base = { expected: [10, 12, 12], from: 0, to: 3, k: 1, uncertainFrom: 1 };
  const twoFutures = paths([-4, 4], [4, -4]);

  it('waits when the information that waiting brings is worth more than starting now', () => {
    // seeing one more slot per slot of waiting, a later start is taken where the path shows 8: 8 < 10
    const r = startOrWait({ ...base, paths: twoFutures, lookSlots: 10 });
    expect(r).toEqual({ wait: true, nowCost: 10, waitCost: 8, cleanerShare: 1 });
  });

  it('starts now when waiting would bring no information: the later choice is blind, 12 on average', () => {
    const r = startOrWait({ ...base, paths: twoFutures, lookSlots: 0 });
    expect(r).toEqual({ wait: false, nowCost: 10, waitCost: 12, cleanerShare: 0.5 });
  });

  it('a later start is judged only with what the forecast will reach by then', () => {
    // learning one slot: at slot 1 the path's slot 1 is known, slot 2 is not (judged 12)
    // path 1: slot 1 shows 8, taken; path 2: slot 1 shows 16 > 12, so slot 2 is taken blind and is 8
    const r = startOrWait({ ...base, paths: twoFutures, lookSlots: 1 });
    expect(r.waitCost).toBe(8);
    // a two-slot job: now = 10 + 12 (+ error at slot 1); later = slots 1-2 only (24, errors cancel)
    const two = startOrWait({ ...base, k: 2, paths: twoFutures, lookSlots: 5 });
    expect(two.nowCost).toBe(22);
    expect(two.waitCost).toBe(24);
    expect(two.wait).toBe(false);
  });

  it('never waits without paths, for a job that must start now, or in a window already known', () => {
    expect(startOrWait({ ...base, paths: [], lookSlots: 10 }).wait).toBe(false);
    expect(startOrWait({ ...base, k: 3, paths: twoFutures, lookSlots: 10 }).wait).toBe(false);
    expect(startOrWait({ ...base, uncertainFrom: 3, paths: twoFutures, lookSlots: 10 }).wait).toBe(false);
    expect(
      startOrWait({ ...base, expected: [10, Number.NaN, 12], paths: twoFutures, lookSlots: 9 }).wait,
    ).toBe(false);
  });

  it('the paths add spread only: a shift shared by every path changes nothing', () => {
    const shifted = paths([-4 + 30, 4 - 7], [4 + 30, -4 - 7]);
    expect(startOrWait({ ...base, paths: shifted, lookSlots: 10 })).toEqual(
      startOrWait({ ...base, paths: twoFutures, lookSlots: 10 }),
    );
  });

  it('with paths that do not spread, it keeps the plan: starts whenever now is the best expected start', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 40 }),
        (values, k, g, look) => {
          fc.pre(k < values.length);
          const sum = (s: number) => values.slice(s, s + k).reduce((a, b) => a + b, 0);
          let best = 0;
          for (let s = 1; s + k <= values.length; s++) if (sum(s) < sum(best)) best = s;
          const same = Array.from({ length: 4 }, () => new Float64Array(values.length).fill(3));
          const r = startOrWait({
            expected: values,
            from: 0,
            to: values.length,
            k,
            uncertainFrom: g,
            paths: same,
            lookSlots: look,
          });
          if (best === 0) expect(r.wait).toBe(false);
          else if (g < values.length) expect(r.wait).toBe(true);
        },
      ),
    );
  });
});
