import { type Objective, objectiveName } from '../core/objective.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';

/**
 * Divides each value by the largest absolute value of its UTC day, so a day's values lie in [-1, 1].
 * NaN stays NaN. A day whose values are all 0 maps to 0.
 */
export function normaliseByDailyMax(
  values: ArrayLike<number>,
  startMs: number,
  stepMin: number,
): Float64Array {
  const out = new Float64Array(values.length);
  const step = stepMin * MINUTE_MS;
  let i = 0;
  while (i < values.length) {
    const day = Math.floor((startMs + i * step) / DAY_MS);
    let j = i;
    let max = 0;
    while (j < values.length && Math.floor((startMs + j * step) / DAY_MS) === day) {
      const v = Math.abs(values[j]);
      if (v > max) max = v;
      j++;
    }
    for (let q = i; q < j; q++) out[q] = max > 0 ? values[q] / max : Number.isNaN(values[q]) ? Number.NaN : 0;
    i = j;
  }
  return out;
}

/**
 * Per-slot scores to minimise for an objective. `carbon` and `price` share one grid (same start and step).
 * A slot with a missing input the objective needs is NaN (not plannable).
 */
export function slotScores(
  objective: Objective,
  grid: { startMs: number; stepMin: number; carbon: ArrayLike<number>; price?: ArrayLike<number> },
): Float64Array {
  const { carbon, price } = grid;
  if (objective.kind === 'carbon') return Float64Array.from(carbon);
  if (!price) throw new RangeError(`objective ${objectiveName(objective)} needs a price series`);
  if (objective.kind === 'cost') return Float64Array.from(price);
  const c = normaliseByDailyMax(carbon, grid.startMs, grid.stepMin);
  const p = normaliseByDailyMax(price, grid.startMs, grid.stepMin);
  const { carbonWeight: wc, costWeight: wp } = objective;
  const out = new Float64Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = (wc > 0 ? wc * c[i] : 0) + (wp > 0 ? wp * p[i] : 0);
  return out;
}
