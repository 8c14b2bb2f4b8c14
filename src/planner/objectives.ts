import { DAY_MS, MINUTE_MS } from '../core/time.ts';

/**
 * What a plan minimises. `carbon` and `cost` use raw values (g/kWh, currency/kWh); `weighted` mixes
 * carbon and price after normalising each by the maximum of its day, so that the weights compare like with like.
 */
export type Objective =
  | { kind: 'carbon' }
  | { kind: 'cost' }
  | { kind: 'weighted'; carbonWeight: number; costWeight: number };

/** Named strategies, as home-energy tools name them. */
export type Strategy = 'balanced' | 'max_savings' | 'eco';

export const STRATEGIES: Record<Strategy, Objective> = {
  balanced: { kind: 'weighted', carbonWeight: 0.3, costWeight: 0.7 },
  max_savings: { kind: 'cost' },
  eco: { kind: 'carbon' },
};

/**
 * Parses `carbon`, `cost`, `balanced`, `max_savings` (or `max-savings`), `eco`, or `weights:WC,WP`.
 * Throws a RangeError naming the text when it is none of them.
 */
export function parseObjective(text: string): Objective {
  const t = text.trim().toLowerCase().replace('-', '_');
  if (t === 'carbon') return { kind: 'carbon' };
  if (t === 'cost' || t === 'price') return { kind: 'cost' };
  if (t in STRATEGIES) return STRATEGIES[t as Strategy];
  const m = /^weights?:\s*([0-9.]+)\s*,\s*([0-9.]+)$/.exec(t);
  if (m) {
    const carbonWeight = Number(m[1]);
    const costWeight = Number(m[2]);
    if (carbonWeight + costWeight > 0) return { kind: 'weighted', carbonWeight, costWeight };
  }
  throw new RangeError(
    `objective "${text}" is not one of carbon, cost, balanced, max_savings, eco, weights:WC,WP (weights not both 0)`,
  );
}

export function objectiveName(o: Objective): string {
  if (o.kind !== 'weighted') return o.kind;
  return `weights:${o.carbonWeight},${o.costWeight}`;
}

/** Whether the objective needs prices. */
export function needsPrice(o: Objective): boolean {
  return o.kind === 'cost' || (o.kind === 'weighted' && o.costWeight > 0);
}

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
