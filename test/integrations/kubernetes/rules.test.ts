import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CapPolicy,
  decideCap,
  decideTaint,
  hasTaint,
  type SignalNow,
  type TaintRule,
  withTaint,
} from '../../../src/integrations/kubernetes/rules.ts';

const MIN = 60_000;
const T0 = Date.parse('2025-06-02T00:00:00Z');

const rule = (over: Partial<TaintRule> = {}): TaintRule => ({
  name: 'gpu-expensive',
  zone: 'DE',
  nodeSelector: 'gridshift.io/pool=gpu',
  taint: { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' },
  when: { priceAbove: 0.3 },
  clearWhen: { priceAtOrBelow: 0.25 },
  minHoldMs: 30 * MIN,
  ...over,
});
const signal = (over: Partial<SignalNow> = {}): SignalNow => ({
  carbon: 300,
  price: 0.2,
  clean: true,
  ...over,
});

describe('decideTaint', () => {
  it('taints above the price, keeps the taint in the hysteresis band, removes it at or below clearWhen', () => {
    const r = rule();
    const on = decideTaint(r, signal({ price: 0.31 }), { value: false, sinceMs: null }, T0);
    expect(on).toEqual({
      value: true,
      change: true,
      held: false,
      reason: 'gridshift.io/energy=expensive:NoSchedule on: price 0.31 is above 0.3',
    });
    // 0.28 is in (0.25, 0.3]: an untainted node stays untainted, a tainted one stays tainted
    expect(decideTaint(r, signal({ price: 0.28 }), { value: true, sinceMs: null }, T0)).toMatchObject({
      value: true,
      change: false,
      reason: 'gridshift.io/energy=expensive:NoSchedule stays: price 0.28 is above 0.25',
    });
    expect(decideTaint(r, signal({ price: 0.28 }), { value: false, sinceMs: null }, T0)).toMatchObject({
      value: false,
      change: false,
    });
    expect(decideTaint(r, signal({ price: 0.3 }), { value: false, sinceMs: null }, T0).change).toBe(false);
    expect(decideTaint(r, signal({ price: 0.25 }), { value: true, sinceMs: null }, T0)).toMatchObject({
      value: false,
      change: true,
      reason: 'gridshift.io/energy=expensive:NoSchedule off: price 0.25 (clear at or below 0.25)',
    });
  });

  it('holds a change until minHold has passed since the last one', () => {
    const r = rule();
    const since = T0;
    const held = decideTaint(r, signal({ price: 0.1 }), { value: true, sinceMs: since }, since + 29 * MIN);
    expect(held).toEqual({
      value: true,
      change: false,
      held: true,
      reason:
        'gridshift.io/energy=expensive:NoSchedule would come off (price 0.1 (clear at or below 0.25)) but is held until 2025-06-02T00:30:00.000Z (minimum hold 30 min)',
    });
    expect(
      decideTaint(r, signal({ price: 0.1 }), { value: true, sinceMs: since }, since + 30 * MIN),
    ).toMatchObject({ value: false, change: true });
  });

  it('taints when the grid is not clean or carbon is above, and clears only when all are clear', () => {
    const r = rule({ when: { carbonAbove: 400, notClean: true }, clearWhen: {} });
    expect(decideTaint(r, signal({ clean: false }), { value: false, sinceMs: null }, T0)).toMatchObject({
      value: true,
      reason: 'gridshift.io/energy=expensive:NoSchedule on: the grid is not clean',
    });
    expect(decideTaint(r, signal({ carbon: 450 }), { value: false, sinceMs: null }, T0)).toMatchObject({
      value: true,
      reason: 'gridshift.io/energy=expensive:NoSchedule on: carbon 450 g/kWh is above 400',
    });
    // clean again but carbon still above 400: stays
    expect(
      decideTaint(r, signal({ carbon: 450, clean: true }), { value: true, sinceMs: null }, T0).value,
    ).toBe(true);
    expect(
      decideTaint(r, signal({ carbon: 390, clean: true }), { value: true, sinceMs: null }, T0),
    ).toMatchObject({
      value: false,
      change: true,
    });
  });

  it('keeps things as they are when the signal is unknown', () => {
    const r = rule({ when: { priceAbove: 0.3, notClean: true } });
    const none = { carbon: null, price: null, clean: null };
    expect(decideTaint(r, none, { value: true, sinceMs: null }, T0)).toMatchObject({
      value: true,
      change: false,
      reason:
        'gridshift.io/energy=expensive:NoSchedule stays: no price now, no carbon intensity to judge "clean" by',
    });
    expect(decideTaint(r, none, { value: false, sinceMs: null }, T0)).toMatchObject({
      value: false,
      change: false,
    });
  });

  const arbSignal = fc.record({
    carbon: fc.option(fc.double({ min: 0, max: 900, noNaN: true }), { nil: null }),
    price: fc.option(fc.double({ min: -0.2, max: 1, noNaN: true }), { nil: null }),
    clean: fc.option(fc.boolean(), { nil: null }),
  });
  const arbRule = fc
    .record({
      priceAbove: fc.option(fc.double({ min: 0, max: 0.8, noNaN: true }), { nil: undefined }),
      band: fc.double({ min: 0, max: 0.2, noNaN: true }),
      carbonAbove: fc.option(fc.double({ min: 50, max: 600, noNaN: true }), { nil: undefined }),
      carbonBand: fc.double({ min: 0, max: 100, noNaN: true }),
      notClean: fc.boolean(),
      effect: fc.constantFrom('NoSchedule' as const, 'PreferNoSchedule' as const, 'NoExecute' as const),
      holdMin: fc.integer({ min: 0, max: 240 }),
    })
    .map((x) =>
      rule({
        taint: { key: 'gridshift.io/energy', value: 'expensive', effect: x.effect },
        when: {
          ...(x.priceAbove !== undefined ? { priceAbove: x.priceAbove } : {}),
          ...(x.carbonAbove !== undefined ? { carbonAbove: x.carbonAbove } : {}),
          ...(x.notClean || (x.priceAbove === undefined && x.carbonAbove === undefined)
            ? { notClean: true }
            : {}),
        },
        clearWhen: {
          ...(x.priceAbove !== undefined ? { priceAtOrBelow: x.priceAbove - x.band } : {}),
          ...(x.carbonAbove !== undefined ? { carbonAtOrBelow: x.carbonAbove - x.carbonBand } : {}),
        },
        minHoldMs: x.holdMin * MIN,
      }),
    );

  it('never changes within the hold time of the last change (property)', () => {
    fc.assert(
      fc.property(arbRule, arbSignal, fc.boolean(), fc.integer({ min: 0, max: 240 }), (r, s, on, ageMin) => {
        const nowMs = T0 + ageMin * MIN;
        const d = decideTaint(r, s, { value: on, sinceMs: T0 }, nowMs);
        if (ageMin * MIN < r.minHoldMs) expect(d.change).toBe(false);
        if (!d.change) expect(d.value).toBe(on);
        else expect(d.value).toBe(!on);
      }),
    );
  });

  it('respects the hysteresis band: inside it, neither state changes (property)', () => {
    fc.assert(
      fc.property(arbRule, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (r, t, on) => {
        const { priceAbove } = r.when;
        const clearAt = r.clearWhen.priceAtOrBelow;
        fc.pre(priceAbove !== undefined && clearAt !== undefined && priceAbove > clearAt);
        // a price strictly inside (clearAt, priceAbove], the other conditions neither triggering nor clear
        const price = (clearAt as number) + t * ((priceAbove as number) - (clearAt as number));
        fc.pre(price > (clearAt as number) && price <= (priceAbove as number));
        const quiet: SignalNow = {
          price,
          carbon: r.when.carbonAbove === undefined ? 0 : (r.clearWhen.carbonAtOrBelow as number),
          clean: true,
        };
        expect(decideTaint(r, quiet, { value: on, sinceMs: null }, T0).change).toBe(false);
      }),
    );
  });

  it('sets NoExecute only when the rule says so, and leaves other taints as they are (property)', () => {
    const arbTaint = fc.record({
      key: fc.constantFrom('nvidia.com/gpu', 'gridshift.io/energy', 'dedicated'),
      value: fc.constantFrom('present', 'expensive', 'ml'),
      effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute'),
    });
    fc.assert(
      fc.property(arbRule, arbSignal, fc.array(arbTaint, { maxLength: 4 }), (r, s, taints) => {
        const d = decideTaint(r, s, { value: hasTaint(taints, r.taint), sinceMs: null }, T0);
        const after = withTaint(taints, r.taint, d.value);
        const mine = (t: { key: string; effect: string }) =>
          t.key === r.taint.key && t.effect === r.taint.effect;
        expect(after.filter((t) => !mine(t))).toEqual(taints.filter((t) => !mine(t)));
        const added = after.filter(mine);
        expect(added).toEqual(d.value ? [r.taint] : []);
        if (r.taint.effect !== 'NoExecute')
          expect(after.filter((t) => t.effect === 'NoExecute')).toEqual(
            taints.filter((t) => t.effect === 'NoExecute'),
          );
      }),
    );
  });
});

describe('decideCap', () => {
  const policy: CapPolicy = {
    bands: [
      { threshold: 200, maxReplicas: 10 },
      { threshold: 400, maxReplicas: 5 },
    ],
    fallbackMaxReplicas: 2,
    hysteresisG: 20,
    minHoldMs: 60 * MIN,
  };

  it("moves to replicaCap's cap, but keeps the cap in force within the hysteresis of its band", () => {
    expect(decideCap(policy, 150, { value: 20, sinceMs: null }, T0)).toEqual({
      value: 10,
      change: true,
      held: false,
      reason: 'cap 20 -> 10: 150 g/kWh is at or below 200 g/kWh: at most 10 replicas',
    });
    expect(decideCap(policy, 215, { value: 10, sinceMs: null }, T0)).toEqual({
      value: 10,
      change: false,
      held: false,
      reason: 'cap stays 10: 215 g/kWh is within 20 g/kWh of the band that gives 10',
    });
    expect(decideCap(policy, 221, { value: 10, sinceMs: null }, T0)).toMatchObject({
      value: 5,
      change: true,
    });
    // coming back down: 5 holds until the intensity is 20 below its lower edge (200)
    expect(decideCap(policy, 185, { value: 5, sinceMs: null }, T0).change).toBe(false);
    expect(decideCap(policy, 180, { value: 5, sinceMs: null }, T0)).toMatchObject({
      value: 10,
      change: true,
    });
    expect(decideCap(policy, null, { value: 5, sinceMs: null }, T0)).toMatchObject({
      value: 2,
      change: true,
    });
    expect(decideCap(policy, 150, { value: null, sinceMs: null }, T0)).toMatchObject({
      value: 10,
      change: true,
    });
  });

  it('holds a change until minHold has passed', () => {
    expect(decideCap(policy, 500, { value: 10, sinceMs: T0 }, T0 + 59 * MIN)).toEqual({
      value: 10,
      change: false,
      held: true,
      reason:
        'cap would move from 10 to 5 (500 g/kWh is above the last threshold (400 g/kWh): at most 5 replicas) but is held until 2025-06-02T01:00:00.000Z',
    });
    expect(decideCap(policy, 500, { value: 10, sinceMs: T0 }, T0 + 60 * MIN).value).toBe(5);
  });

  const arbPolicy = fc
    .record({
      thresholds: fc.uniqueArray(fc.integer({ min: 0, max: 800 }), { minLength: 1, maxLength: 4 }),
      caps: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 4, maxLength: 4 }),
      fallback: fc.integer({ min: 0, max: 50 }),
      h: fc.integer({ min: 0, max: 60 }),
      holdMin: fc.integer({ min: 0, max: 120 }),
    })
    .map(
      (x): CapPolicy => ({
        bands: [...x.thresholds]
          .sort((a, b) => a - b)
          .map((threshold, i) => ({ threshold, maxReplicas: x.caps[i] })),
        fallbackMaxReplicas: x.fallback,
        hysteresisG: x.h,
        minHoldMs: x.holdMin * MIN,
      }),
    );
  const arbCi = fc.option(fc.double({ min: -10, max: 1000, noNaN: true }), { nil: null });

  it('never changes within the hold time, and only to a cap of a band or the fallback (property)', () => {
    fc.assert(
      fc.property(
        arbPolicy,
        arbCi,
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 120 }),
        (p, ci, cur, age) => {
          const d = decideCap(p, ci, { value: cur, sinceMs: T0 }, T0 + age * MIN);
          if (age * MIN < p.minHoldMs) expect(d.change).toBe(false);
          if (d.change)
            expect([...p.bands.map((b) => b.maxReplicas), p.fallbackMaxReplicas]).toContain(d.value);
          else expect(d.value).toBe(cur);
        },
      ),
    );
  });

  it('after a change, an intensity that moves less than the hysteresis keeps the new cap (property)', () => {
    fc.assert(
      fc.property(
        arbPolicy,
        fc.double({ min: 0, max: 900, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (p, ci, f) => {
          const first = decideCap(p, ci, { value: null, sinceMs: null }, T0);
          const next = decideCap(p, ci + f * p.hysteresisG, { value: first.value, sinceMs: null }, T0);
          expect(next.change).toBe(false);
        },
      ),
    );
  });
});
