/**
 * HiGHS (WebAssembly) behind one call: a LinearModel in, a status and the column values out. The runtime
 * loads once per process (`loadSolver`); solving is synchronous after that.
 */

import type { Highs, ModelData } from 'highs';
import * as highsModule from 'highs';
import type { LinearModel } from './lp.ts';

export type Solver = Highs;

// the package's types describe its CommonJS build; under ESM the loader is the default export
const loadHighs = highsModule.default as unknown as () => Promise<Highs>;

let loading: Promise<Highs> | undefined;

/** The HiGHS runtime, loaded on first use. */
export function loadSolver(): Promise<Solver> {
  const pending = loading ?? loadHighs();
  loading = pending;
  return pending;
}

export type SolveStatus = 'optimal' | 'infeasible' | 'unbounded' | 'time_limit' | 'not_solved';

export interface SolveResult {
  status: SolveStatus;
  /** objective including the model's offset; NaN when no solution is known */
  objectiveValue: number;
  /** column values, in the model's column order (empty when no solution is known) */
  values: Float64Array;
  /** relative MIP gap at the end (0 for an LP or a proven optimum) */
  mipGap: number;
}

export interface SolveOptions {
  /** stop at this relative gap; the contract asks for 1e-6 */
  mipRelGap?: number;
  timeLimitS?: number;
}

/** The model as HiGHS's structured input: rows in compressed sparse row form. */
function modelData(h: Highs, m: LinearModel): ModelData {
  const starts = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const r of m.rows) {
    indices.push(...r.cols);
    values.push(...r.coefs);
    starts.push(indices.length);
  }
  const inf = (x: number) =>
    x === Number.POSITIVE_INFINITY ? h.infinity : x === Number.NEGATIVE_INFINITY ? -h.infinity : x;
  const integer = m.columns.some((c) => c.integer);
  return {
    numCols: m.columns.length,
    numRows: m.rows.length,
    offset: m.offset,
    colCost: m.columns.map((c) => c.cost),
    colLower: m.columns.map((c) => inf(c.lower)),
    colUpper: m.columns.map((c) => inf(c.upper)),
    rowLower: m.rows.map((r) => inf(r.lower)),
    rowUpper: m.rows.map((r) => inf(r.upper)),
    matrix: {
      format: 'csr',
      numRows: m.rows.length,
      numCols: m.columns.length,
      starts,
      indices,
      values,
    },
    ...(integer
      ? {
          integrality: m.columns.map((c) =>
            c.integer ? h.constants.variableType.integer : h.constants.variableType.continuous,
          ),
        }
      : {}),
  };
}

export function solveModel(h: Highs, m: LinearModel, options: SolveOptions = {}): SolveResult {
  const model = h.createModel(modelData(h, m));
  try {
    model.options.set({
      output_flag: false,
      mip_rel_gap: options.mipRelGap ?? 1e-6,
      time_limit: options.timeLimitS ?? 60,
    });
    model.run();
    const code = model.getModelStatus();
    const s = h.constants.modelStatus;
    const status: SolveStatus =
      code === s.optimal
        ? 'optimal'
        : code === s.infeasible
          ? 'infeasible'
          : code === s.unbounded || code === s.unboundedOrInfeasible
            ? 'unbounded'
            : code === s.timeLimit
              ? 'time_limit'
              : 'not_solved';
    const hasSolution =
      status === 'optimal' ||
      (status === 'time_limit' && Number(model.info.get('primal_solution_status')) === 2);
    const gap = m.columns.some((c) => c.integer) ? Number(model.info.get('mip_gap')) : 0;
    return {
      status,
      objectiveValue: hasSolution ? model.getObjectiveValue() : Number.NaN,
      values: hasSolution ? model.getSolution().colValue : new Float64Array(0),
      mipGap: Number.isFinite(gap) ? gap : 0,
    };
  } finally {
    model.dispose();
  }
}
