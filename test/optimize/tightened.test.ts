/**
 * The tightened model (a binary only where an exclusivity can bind) against the full one (a binary in
 * every slot): the same optimum on random small scenarios, and a plan that meets every constraint of
 * the contract, both exclusivities included.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InfeasibleError } from '../../src/optimize/errors.ts';
import { type HomePlan, optimizeHome } from '../../src/optimize/home.ts';
import { shortfallPenalty } from '../../src/optimize/home-model.ts';
import { parseScenario } from '../../src/optimize/scenario.ts';
import { loadSolver, type Solver } from '../../src/optimize/solve.ts';
import { planViolations } from './plan-check.ts';
import { randomScenario } from './random-scenario.ts';

let solver: Solver;
beforeAll(async () => {
  solver = await loadSolver();
});

function attempt(json: unknown, formulation: 'full' | 'tightened', soft = false): HomePlan | 'infeasible' {
  try {
    return optimizeHome(parseScenario(json), solver, { formulation, soft });
  } catch (err) {
    if (err instanceof InfeasibleError) return 'infeasible';
    throw err;
  }
}

function sameOptimum(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('tightened vs full formulation', () => {
  it('same optimum, and the tightened plan meets every constraint', () => {
    let solved = 0;
    fc.assert(
      fc.property(randomScenario(), fc.boolean(), (json, soft) => {
        const full = attempt(json, 'full', soft);
        const tight = attempt(json, 'tightened', soft);
        if (full === 'infeasible' || tight === 'infeasible') {
          expect(tight).toBe(full);
          return;
        }
        solved++;
        expect(full.status).toBe('optimal');
        expect(tight.status).toBe('optimal');
        const s = parseScenario(json);
        expect(planViolations(s, tight, { soft })).toEqual([]);
        expect(planViolations(s, full, { soft })).toEqual([]);
        const penalty = shortfallPenalty(s);
        const withPenalty = (p: HomePlan) =>
          p.objectiveValue + (p.shortfalls ? (p.shortfalls.evKwh + p.shortfalls.finalSocKwh) * penalty : 0);
        if (!soft) expect(sameOptimum(tight.objectiveValue, full.objectiveValue)).toBe(true);
        else {
          expect(tight.shortfalls?.evKwh).toBeCloseTo(full.shortfalls?.evKwh ?? 0, 5);
          expect(tight.shortfalls?.finalSocKwh).toBeCloseTo(full.shortfalls?.finalSocKwh ?? 0, 5);
          expect(sameOptimum(withPenalty(tight), withPenalty(full))).toBe(true);
        }
      }),
      { numRuns: 300, seed: 20261204 },
    );
    expect(solved).toBeGreaterThan(100);
  });
});
