/**
 * A mixed-integer linear program in a neutral form (columns with bounds, cost and integrality; rows
 * `lower <= sum(coef * x) <= upper`), built once and handed to HiGHS as sparse arrays or written as a
 * CPLEX LP file for other solvers (GLPK's glpsol reads it with --lp).
 */

export interface LpColumn {
  name: string;
  lower: number;
  upper: number;
  cost: number;
  integer: boolean;
}

export interface LpRow {
  name: string;
  lower: number;
  upper: number;
  /** column indices and coefficients */
  cols: number[];
  coefs: number[];
}

export interface LinearModel {
  columns: LpColumn[];
  rows: LpRow[];
  /** constant added to the objective */
  offset: number;
}

export function emptyModel(): LinearModel {
  return { columns: [], rows: [], offset: 0 };
}

/** Adds a column and returns its index. */
export function addColumn(
  m: LinearModel,
  name: string,
  bounds: { lower?: number; upper?: number; cost?: number; integer?: boolean },
): number {
  m.columns.push({
    name,
    lower: bounds.lower ?? 0,
    upper: bounds.upper ?? Number.POSITIVE_INFINITY,
    cost: bounds.cost ?? 0,
    integer: bounds.integer ?? false,
  });
  return m.columns.length - 1;
}

export function addRow(
  m: LinearModel,
  name: string,
  terms: [number, number][],
  bounds: { lower?: number; upper?: number },
): void {
  const kept = terms.filter(([, c]) => c !== 0);
  m.rows.push({
    name,
    lower: bounds.lower ?? Number.NEGATIVE_INFINITY,
    upper: bounds.upper ?? Number.POSITIVE_INFINITY,
    cols: kept.map(([j]) => j),
    coefs: kept.map(([, c]) => c),
  });
}

/** Shortest exact text of a number (LP files need plain decimals, no `Infinity`). */
function num(x: number): string {
  return String(x);
}

function linear(m: LinearModel, cols: number[], coefs: number[]): string {
  if (cols.length === 0) return `0 ${m.columns[0]?.name ?? 'x'}`;
  let out = '';
  for (let k = 0; k < cols.length; k++) {
    const c = coefs[k];
    out += `${c < 0 ? ' - ' : k === 0 ? '' : ' + '}${num(Math.abs(c))} ${m.columns[cols[k]].name}`;
    if (k % 8 === 7) out += '\n  ';
  }
  return out;
}

/** The model as a CPLEX LP file (minimise). The constant offset is not written: add it to the optimum. */
export function toLpText(m: LinearModel): string {
  const lines: string[] = ['\\ gridshift home model', 'Minimize'];
  const objCols: number[] = [];
  const objCoefs: number[] = [];
  m.columns.forEach((c, j) => {
    if (c.cost !== 0) {
      objCols.push(j);
      objCoefs.push(c.cost);
    }
  });
  lines.push(` obj: ${linear(m, objCols, objCoefs)}`, 'Subject To');
  for (const r of m.rows) {
    const lhs = linear(m, r.cols, r.coefs);
    if (r.lower === r.upper) lines.push(` ${r.name}: ${lhs} = ${num(r.upper)}`);
    else {
      if (Number.isFinite(r.lower)) lines.push(` ${r.name}_lo: ${lhs} >= ${num(r.lower)}`);
      if (Number.isFinite(r.upper)) lines.push(` ${r.name}_up: ${lhs} <= ${num(r.upper)}`);
    }
  }
  lines.push('Bounds');
  for (const c of m.columns) {
    const lo = Number.isFinite(c.lower) ? num(c.lower) : '-inf';
    const up = Number.isFinite(c.upper) ? num(c.upper) : '+inf';
    if (c.lower === c.upper) lines.push(` ${c.name} = ${num(c.lower)}`);
    else lines.push(` ${lo} <= ${c.name} <= ${up}`);
  }
  const ints = m.columns.filter((c) => c.integer).map((c) => c.name);
  if (ints.length) {
    lines.push('Generals');
    for (let k = 0; k < ints.length; k += 10) lines.push(` ${ints.slice(k, k + 10).join(' ')}`);
  }
  lines.push('End', '');
  return lines.join('\n');
}
