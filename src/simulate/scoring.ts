/**
 * The outcome on the actual values: each load's emissions (and cost) where the policy put it and at its
 * baseline, `powerKw * step/60 * actual` per slot (docs/simulate.md), and the totals.
 */
import { InputError } from '../core/errors.ts';
import { toIso } from '../core/time.ts';
import { type SimGrid, slotMs } from './grid.ts';
import type { Prepared } from './placement.ts';

export interface RunPiece {
  start: string;
  end: string;
}

export interface LoadResult {
  id: string;
  zone: string;
  runs: RunPiece[];
  emissionsG: number;
  baselineEmissionsG: number;
  cost?: number;
  baselineCost?: number;
}

export interface SimulationTotals {
  loads: number;
  energyKwh: number;
  emissionsG: number;
  baselineEmissionsG: number;
  savingsPct: number;
  cost?: number;
  baselineCost?: number;
  costSavingsPct?: number;
}

export function scoreLoads(
  prepared: readonly Prepared[],
  g: SimGrid,
): { loads: LoadResult[]; totals: SimulationTotals } {
  const slotKwh = g.stepMin / 60;
  const loads: LoadResult[] = [];
  const totals: SimulationTotals = {
    loads: prepared.length,
    energyKwh: 0,
    emissionsG: 0,
    baselineEmissionsG: 0,
    savingsPct: 0,
  };
  let cost = 0;
  let baselineCost = 0;
  for (const p of prepared) {
    const result = scoreLoad(p, g, p.load.powerKw * slotKwh);
    if (g.withPrices) {
      cost += result.cost as number;
      baselineCost += result.baselineCost as number;
    }
    totals.energyKwh += p.load.powerKw * slotKwh * p.k;
    totals.emissionsG += result.emissionsG;
    totals.baselineEmissionsG += result.baselineEmissionsG;
    loads.push(result);
  }
  totals.savingsPct = savingsPct(totals.baselineEmissionsG, totals.emissionsG);
  if (g.withPrices) {
    totals.cost = cost;
    totals.baselineCost = baselineCost;
    totals.costSavingsPct = savingsPct(baselineCost, cost);
  }
  return { loads, totals };
}

function scoreLoad(p: Prepared, g: SimGrid, perSlotKwh: number): LoadResult {
  const { n, withPrices } = g;
  const z = g.zones[p.zone];
  const home = g.zones[p.zones[0]];
  let e = 0;
  let c = 0;
  for (let i = 0; i < p.slots.length; i++) {
    const s = p.slots[i];
    const v = s >= 0 && s < n ? z.carbon[s] : Number.NaN;
    const price = z.price && s >= 0 && s < n ? z.price[s] : Number.NaN;
    if (!Number.isFinite(v) || (withPrices && !Number.isFinite(price)))
      throw new InputError(
        `${p.load.source}: load "${p.load.id}" had to run at ${toIso(slotMs(g, s))} in zone ${z.name}, where the ${Number.isFinite(v) ? 'price' : 'carbon'} series has no value; extend the series to cover its window`,
      );
    e += v;
    if (withPrices) c += price;
  }
  let be = 0;
  let bc = 0;
  for (let s = p.baseStart; s < p.baseStart + p.k; s++) {
    be += home.carbon[s];
    if (withPrices) bc += home.price![s];
  }
  const result: LoadResult = {
    id: p.load.id,
    zone: z.name,
    runs: pieces(p.slots, g),
    emissionsG: e * perSlotKwh,
    baselineEmissionsG: be * perSlotKwh,
  };
  if (withPrices) {
    result.cost = c * perSlotKwh;
    result.baselineCost = bc * perSlotKwh;
  }
  return result;
}

/** Percentage of the baseline saved; 0 when the baseline is 0. */
export function savingsPct(baseline: number, actual: number): number {
  if (baseline === 0) return 0;
  return (100 * (baseline - actual)) / Math.abs(baseline);
}

/** Maximal runs of consecutive slots (sorted), as ISO start and end times. */
function pieces(slots: ArrayLike<number>, g: SimGrid): RunPiece[] {
  const out: RunPiece[] = [];
  let i = 0;
  while (i < slots.length) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
    out.push({ start: toIso(slotMs(g, slots[i])), end: toIso(slotMs(g, slots[j]) + g.stepMs) });
    i = j + 1;
  }
  return out;
}
