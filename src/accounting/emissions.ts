/**
 * Emissions and cost of what ran (or would run), against a baseline. Pure functions over grid values:
 * carbon in gCO2eq/kWh, prices in a currency per kWh.
 */
import type { Grid } from '../core/series.ts';
import { MINUTE_MS } from '../core/time.ts';

/** A run of a load at constant power over [startMs, endMs). */
export interface Run {
  startMs: number;
  endMs: number;
}

export interface Footprint {
  energyKwh: number;
  /** grams CO2eq of the energy that had a carbon value */
  emissionsG: number;
  /** cost of the energy that had a price; absent when no prices were given */
  cost?: number;
  currency?: string;
  /** energy that fell in slots without a carbon value (not counted in emissionsG) */
  missingCarbonKwh: number;
  /** energy that fell in slots without a price (not counted in cost); absent when no prices were given */
  missingPriceKwh?: number;
}

export interface SlotUse {
  energyKwh: number;
  carbonGPerKwh: number;
  pricePerKwh?: number;
}

/** Emissions of `energyKwh` at a carbon intensity of `gPerKwh`. */
export function emissionsG(energyKwh: number, gPerKwh: number): number {
  return energyKwh * gPerKwh;
}

/**
 * Footprint of a list of slot uses. A slot without a finite carbon value (or price) adds its energy to
 * the `missing` counters instead of guessing a value. Cost is present when any slot carries a price field.
 */
export function footprintOfSlots(slots: readonly SlotUse[], currency?: string): Footprint {
  let energy = 0;
  let grams = 0;
  let missingCarbon = 0;
  let cost = 0;
  let missingPrice = 0;
  let priced = false;
  for (const s of slots) {
    energy += s.energyKwh;
    if (Number.isFinite(s.carbonGPerKwh)) grams += s.energyKwh * s.carbonGPerKwh;
    else missingCarbon += s.energyKwh;
    if (s.pricePerKwh !== undefined) {
      priced = true;
      if (Number.isFinite(s.pricePerKwh)) cost += s.energyKwh * s.pricePerKwh;
      else missingPrice += s.energyKwh;
    }
  }
  const out: Footprint = { energyKwh: energy, emissionsG: grams, missingCarbonKwh: missingCarbon };
  if (priced) {
    out.cost = cost;
    out.missingPriceKwh = missingPrice;
    if (currency) out.currency = currency;
  }
  return out;
}

/**
 * Footprint of `runs` at `powerKw` on grid signals: each run is split over the slots it overlaps and
 * every piece is weighted by its overlap, so runs need not align with the grid. Parts outside the grid
 * count as missing.
 */
export function footprintOnGrid(
  runs: readonly Run[],
  powerKw: number,
  signals: { carbon: Grid; price?: Grid; currency?: string },
): Footprint {
  const uses: SlotUse[] = [];
  for (const run of runs) {
    if (!(run.endMs >= run.startMs))
      throw new RangeError(`run ends before it starts: ${run.startMs}..${run.endMs}`);
    const carbonPieces = slotPieces(signals.carbon, run);
    const pricePieces = signals.price ? slotPieces(signals.price, run) : undefined;
    if (!pricePieces) {
      for (const p of carbonPieces)
        uses.push({ energyKwh: (powerKw * p.minutes) / 60, carbonGPerKwh: p.value });
      continue;
    }
    // Carbon and price may sit on different grids: cut the run at the boundaries of both.
    for (const piece of intersectPieces(carbonPieces, pricePieces)) {
      uses.push({
        energyKwh: (powerKw * piece.minutes) / 60,
        carbonGPerKwh: piece.carbon,
        pricePerKwh: piece.price,
      });
    }
  }
  return footprintOfSlots(uses, signals.currency);
}

interface Piece {
  startMs: number;
  endMs: number;
  minutes: number;
  value: number;
}

/** The parts of `run` in each slot of `grid` (NaN value where the run lies outside the grid). */
function slotPieces(grid: Grid, run: Run): Piece[] {
  const step = grid.stepMin * MINUTE_MS;
  const n = grid.values.length;
  const out: Piece[] = [];
  let t = run.startMs;
  while (t < run.endMs) {
    const i = Math.floor((t - grid.startMs) / step);
    const slotEnd = grid.startMs + (i + 1) * step;
    const end = Math.min(slotEnd, run.endMs);
    const value = i >= 0 && i < n ? grid.values[i] : Number.NaN;
    out.push({ startMs: t, endMs: end, minutes: (end - t) / MINUTE_MS, value });
    t = end;
  }
  return out;
}

function intersectPieces(a: Piece[], b: Piece[]): { minutes: number; carbon: number; price: number }[] {
  const out: { minutes: number; carbon: number; price: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i].startMs, b[j].startMs);
    const e = Math.min(a[i].endMs, b[j].endMs);
    if (e > s) out.push({ minutes: (e - s) / MINUTE_MS, carbon: a[i].value, price: b[j].value });
    if (a[i].endMs <= b[j].endMs) i++;
    else j++;
  }
  return out;
}

export interface Savings {
  /** baseline minus actual; negative when the run emitted more than the baseline */
  emissionsSavedG: number;
  emissionsSavedKg: number;
  /** percent of the baseline's emissions; 0 when the baseline emitted nothing */
  emissionsSavedPct: number;
  costSaved?: number;
  costSavedPct?: number;
  currency?: string;
}

/** What `actual` saved against `baseline` (the run-now counterfactual). */
export function savings(actual: Footprint, baseline: Footprint): Savings {
  const saved = baseline.emissionsG - actual.emissionsG;
  const out: Savings = {
    emissionsSavedG: saved,
    emissionsSavedKg: saved / 1000,
    emissionsSavedPct: pct(saved, baseline.emissionsG),
  };
  if (actual.cost !== undefined && baseline.cost !== undefined) {
    out.costSaved = baseline.cost - actual.cost;
    out.costSavedPct = pct(out.costSaved, baseline.cost);
    const currency = actual.currency ?? baseline.currency;
    if (currency) out.currency = currency;
  }
  return out;
}

function pct(part: number, whole: number): number {
  // a negative baseline (negative prices) makes percentages meaningless in sign; use its magnitude
  return whole === 0 ? 0 : (100 * part) / Math.abs(whole);
}
