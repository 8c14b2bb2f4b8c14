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
