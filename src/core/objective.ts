/**
 * What a plan minimises, as every door names it: parsed once, where a load comes in.
 * `carbon` and `cost` use raw values (g/kWh, currency/kWh); `weighted` mixes carbon and price after
 * normalising each by the maximum of its day, so that the weights compare like with like.
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
  const t = text.trim().toLowerCase().replaceAll('-', '_');
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

/**
 * The objective of a stored load, as it was checked when the load came in; a name this version does not know
 * (stored by another one) is read as carbon.
 */
export function storedObjective(text: string): Objective {
  try {
    return parseObjective(text);
  } catch {
    return { kind: 'carbon' };
  }
}

/**
 * The objective's name, the same for synonyms: `eco` is `carbon`, `max_savings` is `cost`, and the weights
 * of `balanced` are `balanced`.
 */
export function objectiveName(o: Objective): string {
  if (o.kind !== 'weighted') return o.kind;
  const b = STRATEGIES.balanced as Extract<Objective, { kind: 'weighted' }>;
  if (o.carbonWeight === b.carbonWeight && o.costWeight === b.costWeight) return 'balanced';
  return `weights:${o.carbonWeight},${o.costWeight}`;
}

/** Whether the objective needs prices. */
export function needsPrice(o: Objective): boolean {
  return o.kind === 'cost' || (o.kind === 'weighted' && o.costWeight > 0);
}
