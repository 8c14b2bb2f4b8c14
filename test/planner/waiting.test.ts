import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadSpec, ZoneSignals } from '../../src/core/load.ts';
import { explainPlan, planToJson } from '../../src/planner/explain.ts';
import { planLoad } from '../../src/planner/plan.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const H = 3_600_000;

// four hourly slots; the forecast begins at slot 1, so the paths' index 0 is slot 1
function signals(carbon: number[], paths?: number[][]): ZoneSignals {
  const sig: ZoneSignals = {
    zone: 'A',
    carbon: { startMs: T0, stepMin: 60, values: Float64Array.from(carbon) },
    carbonSource: 'test:A',
  };
  if (paths) sig.carbonErrors = { fromMs: T0 + H, paths: paths.map((p) => Float64Array.from(p)) };
  return sig;
}

const load: LoadSpec = {
  id: 'job',
  durationMin: 60,
  powerKw: 1,
  earliestMs: T0,
  deadlineMs: T0 + 4 * H,
  zones: ['A'],
};

// errors at slot 2 of +240, -120, -120 (mean 0, so centring leaves them). Every later start is fully seen
// by the time it is taken (look-ahead 6 h), so on each path waiting takes that path's best later slot:
//   path 1: slots 1..3 = 400, 440, 400 -> 400 (not cleaner than 400 now)
//   paths 2, 3: slot 2 = 200 - 120 = 80 -> 80 (cleaner)
// now 400; waiting (400 + 80 + 80) / 3 = 186.67; lower by 213.33 / 400 = 53.33 %; cleaner on 2 of 3
const PATHS = [
  [0, 240, 0],
  [0, -120, 0],
  [0, -120, 0],
];

describe('plan.waiting', () => {
  it('says what waiting is expected to gain, from the sampled paths', () => {
    const plan = planLoad(load, [signals([400, 400, 200, 400], PATHS)]);
    expect(plan.runs[0].startMs).toBe(T0 + 2 * H);
    expect(plan.waiting!.expectedLowerPct).toBeCloseTo(53.333, 3);
    expect(plan.waiting!.cleanerSharePct).toBeCloseTo(66.667, 3);
    expect(plan.waiting!.windowH).toBe(4);
  });

  it('is absent without paths, when the plan starts now, and for other objectives', () => {
    expect(planLoad(load, [signals([400, 400, 200, 400])]).waiting).toBeUndefined();
    expect(planLoad(load, [signals([100, 400, 200, 400], PATHS)]).waiting).toBeUndefined();
    expect(planLoad(load, [signals([400, 400, 200, 400], [])]).waiting).toBeUndefined();
    const priced = {
      ...signals([400, 400, 200, 400], PATHS),
      price: { startMs: T0, stepMin: 60, values: Float64Array.from([1, 1, 1, 1]) },
      priceSource: 'p',
      currency: 'EUR',
    };
    expect(planLoad({ ...load, objective: { kind: 'cost' } }, [priced]).waiting).toBeUndefined();
  });

  it('is explained in one line and carried in the JSON', () => {
    const plan = planLoad(load, [signals([400, 400, 200, 400], PATHS)]);
    const lines = explainPlan(plan);
    expect(lines.filter((l) => l.startsWith('Why wait:'))).toEqual([
      'Why wait: expected 53% lower than starting now over the next 4 h; 67% chance that waiting finds a cleaner window',
    ]);
    expect(lines.indexOf(lines.find((l) => l.startsWith('Why wait:'))!)).toBe(
      lines.findIndex((l) => l.startsWith('Why:')) + 1,
    );
    expect(planToJson(plan).waiting).toEqual(plan.waiting);
    expect(
      explainPlan(planLoad(load, [signals([400, 400, 200, 400])])).some((l) => l.startsWith('Why wait:')),
    ).toBe(false);
  });

  it('says higher when waiting is expected to emit more than starting now', () => {
    const plan = planLoad(load, [signals([400, 400, 200, 400], PATHS)]);
    const lines = explainPlan({
      ...plan,
      waiting: { expectedLowerPct: -4.6, cleanerSharePct: 25, windowH: 60 },
    });
    expect(lines).toContain(
      'Why wait: expected 5% higher than starting now over the next 60 h; 25% chance that waiting finds a cleaner window',
    );
  });
});

// slot 0 is known (300); the forecast from slot 1 expects 320, 330, 400, and the paths put slot 1 at
// 120, 420, 420 (errors -200, +100, +100: mean 0). Each later start is fully seen when taken, so waiting
// takes each path's best later slot: 120, 330, 330 -> mean 260 against 300 now: waiting is expected to be
// 40 / 300 = 13.33 % lower, and cleaner on 1 path of 3. On the expected values slot 0 is the best.
const DEFER_CARBON = [300, 320, 330, 400];
const DEFER_PATHS = [
  [-200, 0, 0],
  [100, 0, 0],
  [100, 0, 0],
];

describe('the stopping rule deciding a start (nextDecisionMs)', () => {
  const plan = (nextDecisionMs?: number, paths = DEFER_PATHS) =>
    planLoad(load, [signals(DEFER_CARBON, paths)], nextDecisionMs === undefined ? {} : { nextDecisionMs });

  it('waits for the best later start when waiting is expected to be cleaner', () => {
    const p = plan(T0 + 30 * 60_000);
    expect(p.reason).toBe('waits-for-better');
    expect(p.runs).toEqual([{ startMs: T0 + H, endMs: T0 + 2 * H }]);
    expect(p.waiting!.deferred).toBe(true);
    expect(p.waiting!.expectedLowerPct).toBeCloseTo(13.333, 3);
    expect(p.waiting!.cleanerSharePct).toBeCloseTo(33.333, 3);
    expect(p.waiting!.windowH).toBe(4);
    // starting at once is the first runner-up
    expect(p.alternatives[0].runs).toEqual([{ startMs: T0, endMs: T0 + H }]);
    expect(explainPlan(p).find((l) => l.startsWith('Why:'))).toBe(
      'Why: starting at once is the lowest-carbon window of the forecast, but waiting is expected to find a cleaner one, so it starts at the best later window',
    );
    expect(planToJson(p).reason).toBe('waits-for-better');
  });

  it('does not decide a start that comes after the next decision, or without one', () => {
    expect(plan(T0).reason).toBe('already-best');
    expect(plan().reason).toBe('already-best');
    expect(plan().runs[0].startMs).toBe(T0);
    expect(plan().waiting).toBeUndefined();
  });

  it('starts at once when waiting is not expected to be cleaner', () => {
    // errors -140, +70, +70: slot 1 at 180, 390, 390 -> waiting 180, 330, 330 = 280 < 300: waits;
    // errors -70, +35, +35: slot 1 at 250, 355, 355 -> waiting 250, 330, 330 = 303.3 > 300: starts
    expect(
      plan(T0 + 1, [
        [-140, 0, 0],
        [70, 0, 0],
        [70, 0, 0],
      ]).reason,
    ).toBe('waits-for-better');
    const p = plan(T0 + 1, [
      [-70, 0, 0],
      [35, 0, 0],
      [35, 0, 0],
    ]);
    expect(p.reason).toBe('already-best');
    expect(p.runs[0].startMs).toBe(T0);
  });

  it('only ever delays a one-piece carbon start, never without spread in the paths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 50, max: 500 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.array(fc.integer({ min: -200, max: 200 }), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 6,
        }),
        (carbon, paths) => {
          const base = planLoad(load, [signals(carbon, paths)]);
          const decided = planLoad(load, [signals(carbon, paths)], { nextDecisionMs: T0 + 1 });
          if (decided.reason === 'waits-for-better') {
            expect(base.runs[0].startMs).toBe(T0);
            expect(decided.runs[0].startMs).toBeGreaterThan(T0);
            expect(decided.waiting!.expectedLowerPct).toBeGreaterThan(0);
          } else expect(decided.runs).toEqual(base.runs);
          // the same path every time: no spread, nothing to learn by waiting
          const flat = planLoad(
            load,
            [
              signals(
                carbon,
                paths.map(() => paths[0]),
              ),
            ],
            { nextDecisionMs: T0 + 1 },
          );
          expect(flat.runs).toEqual(base.runs);
          // interruptible loads are not deferred
          const pieces = { ...load, interruptible: true };
          expect(planLoad(pieces, [signals(carbon, paths)], { nextDecisionMs: T0 + 1 }).runs).toEqual(
            planLoad(pieces, [signals(carbon, paths)]).runs,
          );
        },
      ),
    );
  });
});
