/**
 * The tightened model (a binary only where an exclusivity can bind) against the full one (a binary in
 * every slot): the same optimum on random small scenarios, and a plan that meets every constraint of
 * the contract, both exclusivities included.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InfeasibleError } from '../../src/optimize/errors.ts';
import { type HomePlan, optimizeHome } from '../../src/optimize/home.ts';
import { buildHomeModel, shortfallPenalty } from '../../src/optimize/home-model.ts';
import { addColumn, addRow, emptyModel, type LinearModel } from '../../src/optimize/lp.ts';
import type { HomeScenario } from '../../src/optimize/scenario.ts';
import { parseScenario } from '../../src/optimize/scenario.ts';
import { loadSolver, type Solver, solveModel } from '../../src/optimize/solve.ts';
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

/**
 * The full model rewritten without the derived bounds: import and export keep only the scenario's limits
 * and exclude each other through a plain big-M binary in every slot, so a wrong bound in the model
 * cannot hide in both formulations alike.
 */
function plainBigM(s: HomeScenario): LinearModel {
  const { model } = buildHomeModel(s, { formulation: 'full' });
  const out = emptyModel();
  const keep = model.rows.filter((r) => !/^ie_\d+_(up|not)$/.test(r.name));
  out.columns = model.columns.map((c) => {
    if (c.name.startsWith('imp_')) return { ...c, upper: s.maxImportKw };
    if (c.name.startsWith('exp_')) return { ...c, upper: s.maxExportKw };
    return { ...c };
  });
  out.rows = keep.map((r) => ({ ...r }));
  const M = 1000;
  for (let t = 0; t < s.slots; t++) {
    const imp = out.columns.findIndex((c) => c.name === `imp_${t}`);
    const exp = out.columns.findIndex((c) => c.name === `exp_${t}`);
    const y = addColumn(out, `plain_${t}`, { upper: 1, integer: true });
    addRow(
      out,
      `pimp_${t}`,
      [
        [imp, 1],
        [y, -M],
      ],
      { upper: 0 },
    );
    addRow(
      out,
      `pexp_${t}`,
      [
        [exp, 1],
        [y, M],
      ],
      { upper: M },
    );
  }
  return out;
}

describe('tightened vs full formulation', () => {
  it('the optimum equals that of a plain big-M model without derived bounds', () => {
    fc.assert(
      fc.property(randomScenario(6), (json) => {
        const tight = attempt(json, 'tightened');
        if (tight === 'infeasible') return;
        const plain = solveModel(solver, plainBigM(parseScenario(json)));
        expect(plain.status).toBe('optimal');
        expect(
          sameOptimum(tight.objectiveValue, plain.objectiveValue),
          `${tight.objectiveValue} vs ${plain.objectiveValue}`,
        ).toBe(true);
      }),
      { numRuns: 200, seed: 4 },
    );
  });

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
