/**
 * The home model checked by an independent solver: the same MILP written as a CPLEX LP file and solved
 * by GLPK's glpsol (Debian package glpk-utils; .ci/run installs it). The optima must agree with
 * optimizeHome's on hand-computed and random scenarios.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasGlpsol, solveWithGlpsol } from '../../bench/glpsol.ts';
import { InfeasibleError } from '../../src/optimize/errors.ts';
import { optimizeHome } from '../../src/optimize/home.ts';
import { buildHomeModel } from '../../src/optimize/home-model.ts';
import { toLpText } from '../../src/optimize/lp.ts';
import { parseScenario } from '../../src/optimize/scenario.ts';
import { loadSolver, type Solver } from '../../src/optimize/solve.ts';
import { randomScenario } from './random-scenario.ts';

let solver: Solver;
beforeAll(async () => {
  solver = await loadSolver();
});

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

describe.skipIf(!hasGlpsol())('glpsol on the LP file', () => {
  it('agrees on the 4-slot battery case computed by hand', () => {
    // 2 + 0.1 * (2 + 2 / 0.81) + 0.2: see home.test.ts
    const s = parseScenario({
      start: '2026-01-01T00:00:00Z',
      stepMin: 60,
      slots: 4,
      series: { loadKw: [2, 2, 2, 2], importPrice: [1, 0.1, 1, 0.1] },
      battery: {
        socInitKwh: 0,
        socMinKwh: 0,
        socMaxKwh: 10,
        maxChargeKw: 5,
        maxDischargeKw: 5,
        chargeEfficiency: 0.9,
        dischargeEfficiency: 0.9,
      },
    });
    const hand = 2 + 0.1 * (2 + 2 / 0.81) + 0.2;
    for (const formulation of ['full', 'tightened'] as const) {
      const glpk = solveWithGlpsol(toLpText(buildHomeModel(s, { formulation }).model));
      expect(glpk.status).toMatch(/OPTIMAL/);
      expect(close(glpk.objectiveValue, hand)).toBe(true);
    }
    expect(optimizeHome(s, solver).objectiveValue).toBeCloseTo(hand, 9);
  });

  it('agrees with HiGHS on random scenarios (full and tightened LP files)', () => {
    let compared = 0;
    fc.assert(
      fc.property(randomScenario(6), (json) => {
        const s = parseScenario(json);
        let plan: ReturnType<typeof optimizeHome>;
        try {
          plan = optimizeHome(s, solver);
        } catch (err) {
          if (!(err instanceof InfeasibleError)) throw err;
          return;
        }
        compared++;
        for (const formulation of ['full', 'tightened'] as const) {
          const glpk = solveWithGlpsol(toLpText(buildHomeModel(s, { formulation }).model));
          expect(glpk.status).toMatch(/OPTIMAL/);
          expect(
            close(glpk.objectiveValue, plan.objectiveValue),
            `${glpk.objectiveValue} vs ${plan.objectiveValue}`,
          ).toBe(true);
        }
      }),
      { numRuns: 40, seed: 7 },
    );
    expect(compared).toBeGreaterThan(10);
  });
});
