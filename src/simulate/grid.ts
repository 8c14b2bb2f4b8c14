/**
 * The simulator's common grid: every zone's actual carbon (and price) resampled onto one grid of `stepMin`
 * minutes, from the earliest zone's first boundary to the end of the latest zone's data, with the buffers
 * the policies' forecast view is written into.
 */
import { InputError } from '../core/errors.ts';
import { needsPrice, type Objective, objectiveName } from '../core/objective.ts';
import { resample, type Series } from '../core/series.ts';
import { MINUTE_MS } from '../core/time.ts';
import type { ZoneForecast } from '../planner/policies.ts';
import type { Prefix } from '../planner/windows.ts';

/** A step-function series as the simulator needs it; `source` names it in messages (e.g. the file). */
export type SeriesInput = Pick<Series, 'points' | 'resolutionMin'> & { source?: string };

/** Per-zone working state: actuals on the grid and the forecast view policies read. */
export interface ZoneState {
  name: string;
  carbon: Float64Array;
  /** NaN where not usable (no carbon or, with prices, no price) */
  price: Float64Array | null;
  usable: Uint8Array;
  /** forecast carbon (g/kWh) as known at the decision time, NaN = unknown or unusable */
  forecast: Float64Array;
  scores: Float64Array;
  prefix: Prefix;
  view: ZoneForecast;
  /** the grid slot of the zone's own first value */
  firstSlot: number;
}

export interface SimGrid {
  startMs: number;
  stepMin: number;
  stepMs: number;
  /** slots */
  n: number;
  zones: ZoneState[];
  zoneIndex: Map<string, number>;
  /** prices were given: every zone a load uses has them, and loads are scored on them */
  withPrices: boolean;
}

export const slotMs = (g: SimGrid, s: number): number => g.startMs + s * g.stepMs;

function resampleZone(name: string, series: SeriesInput, stepMin: number, what: string) {
  if (series.points.length === 0)
    throw new InputError(`${series.source ?? name}: the ${what} series of ${name} is empty`);
  return resample(series, stepMin);
}

export function buildGrid(
  carbon: Record<string, SeriesInput>,
  prices: Record<string, SeriesInput> | undefined,
  stepMin: number,
  objective: Objective,
): SimGrid {
  const stepMs = stepMin * MINUTE_MS;
  const names = Object.keys(carbon);
  if (names.length === 0) throw new InputError('no carbon series: give at least one --carbon ZONE=PATH');
  const own = names.map((z) => resampleZone(z, carbon[z], stepMin, 'carbon'));
  const startMs = Math.min(...own.map((g) => g.startMs));
  const endMs = Math.max(...own.map((g) => g.startMs + g.values.length * stepMs));
  const n = Math.round((endMs - startMs) / stepMs);
  const onGrid = (grid: { startMs: number; values: Float64Array }) => {
    const out = new Float64Array(n).fill(Number.NaN);
    const offset = Math.round((grid.startMs - startMs) / stepMs);
    for (let i = Math.max(0, -offset); i < grid.values.length && i + offset < n; i++)
      out[i + offset] = grid.values[i];
    return out;
  };
  const priceNames = Object.keys(prices ?? {});
  for (const z of priceNames) {
    if (!names.includes(z))
      throw new InputError(`--prices ${z}: zone ${z} has no --carbon series (zones: ${names.join(', ')})`);
  }
  const withPrices = priceNames.length > 0;
  if (needsPrice(objective) && !withPrices)
    throw new InputError(`objective ${objectiveName(objective)} needs prices: give --prices ZONE=PATH`);

  const zones: ZoneState[] = names.map((name, zi) => {
    const zoneCarbon = onGrid(own[zi]);
    const p = prices?.[name];
    const price = p ? onGrid(resampleZone(name, p, stepMin, 'price')) : null;
    const usable = new Uint8Array(n);
    for (let s = 0; s < n; s++)
      usable[s] =
        Number.isFinite(zoneCarbon[s]) && (!withPrices || (price !== null && Number.isFinite(price[s])))
          ? 1
          : 0;
    if (price) for (let s = 0; s < n; s++) if (!usable[s]) price[s] = Number.NaN;
    const forecast = new Float64Array(n).fill(Number.NaN);
    const scores = new Float64Array(n).fill(Number.NaN);
    const prefix = { sum: new Float64Array(n + 1), missing: new Int32Array(n + 1) };
    return {
      name,
      carbon: zoneCarbon,
      price,
      usable,
      forecast,
      scores,
      prefix,
      view: { scores, prefix, carbon: forecast },
      firstSlot: Math.round((own[zi].startMs - startMs) / stepMs),
    };
  });
  return { startMs, stepMin, stepMs, n, zones, zoneIndex: new Map(names.map((z, i) => [z, i])), withPrices };
}
