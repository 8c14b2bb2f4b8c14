import { hash32 } from '../core/random.ts';
import { type Grid, resample } from '../core/series.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';
import type { ForecastOptions } from './forecast.ts';
import {
  anchoredPaths,
  createProbabilisticForecaster,
  quantileOfSorted,
  SAMPLED_PATHS,
} from './forecast-errors.ts';

/**
 * Sampled error paths of a zone's carbon forecast: the built-in forecaster is fitted on the measured values
 * before the forecast begins, learning its own past errors (actual - forecast) per lead and time of day,
 * and whole error paths are drawn from them (see forecast-errors.ts). Pure; the seed is derived from the
 * zone and the origin slot, so the same question gets the same paths.
 */

export interface CarbonErrorsInput {
  zone: string;
  /** measured values (any step dividing a day); only those before `fromMs` are used */
  measured: Grid;
  /** first forecast slot of the planning grid: the forecaster learns on the measured values before it */
  fromMs: number;
  /**
   * first slot the paths apply to (default `fromMs`): where an estimate anchored at the known values before
   * it begins, as the built-in forecast past a source's horizon is; the errors there are those of the
   * forecaster at the same lead, less what the known values before it reveal (see anchoredPaths)
   */
  anchorMs?: number;
  /** planning grid step (minutes) */
  stepMin: number;
  /** slots the paths should cover from `anchorMs` (with the slots before it, capped at 7 days) */
  forecastSlots: number;
  /** paths to draw (default SAMPLED_PATHS) */
  count?: number;
  forecast?: ForecastOptions;
}

export interface CarbonErrors {
  fromMs: number;
  paths: Float64Array[];
}

export const MAX_ERROR_LEAD_MS = 7 * DAY_MS;

/** The sampled paths, or undefined when the history holds no past forecast whose errors are known. */
export function sampleCarbonErrors(input: CarbonErrorsInput): CarbonErrors | undefined {
  const { measured, fromMs, stepMin } = input;
  const stepMs = stepMin * MINUTE_MS;
  if (!(stepMin > 0) || DAY_MS % stepMs !== 0 || measured.values.length === 0) return undefined;
  const startMs = Math.ceil(measured.startMs / stepMs) * stepMs;
  const slots = Math.floor((fromMs - startMs) / stepMs);
  const originMs = startMs + slots * stepMs;
  // lead 1 is the first forecast slot; the paths begin at the anchor's lead
  const firstLead = Math.max(1, Math.round(((input.anchorMs ?? originMs) - originMs) / stepMs) + 1);
  const leadSlots = Math.min(firstLead - 1 + input.forecastSlots, Math.floor(MAX_ERROR_LEAD_MS / stepMs));
  if (leadSlots < firstLead || slots <= leadSlots) return undefined;
  const grid = onStep(measured, stepMin, startMs, originMs);
  const forecaster = createProbabilisticForecaster({ ...input.forecast, stepMin, startMs, leadSlots });
  for (const v of grid.values) forecaster.observe(v);
  const origin = forecaster.observed;
  const seed = hash32(`${input.zone}:${Math.round(fromMs / stepMs)}`);
  const raw = forecaster.errors.samplePaths(origin, leadSlots, input.count ?? SAMPLED_PATHS, seed);
  if (raw.length === 0) return undefined;
  const paths = anchoredPaths(raw, firstLead, leadSlots - firstLead + 1, stepMin, input.forecast);
  return { fromMs: originMs + (firstLead - 1) * stepMs, paths };
}

function onStep(g: Grid, stepMin: number, startMs: number, endMs: number): Grid {
  const stepMs = g.stepMin * MINUTE_MS;
  const points = Array.from(g.values, (value, i) => ({ start: g.startMs + i * stepMs, value }));
  return resample({ points, resolutionMin: g.stepMin }, stepMin, { startMs, endMs });
}

/**
 * The band the sampled errors put around a forecast grid: at each slot from `errors.fromMs` on, the `low`
 * and `high` quantiles of value + error over the paths; NaN where there is no value or no path (before
 * the errors begin, past the paths' end). Grid-aligned with `grid`.
 */
export function forecastBand(
  grid: Grid,
  errors: CarbonErrors,
  low = 0.1,
  high = 0.9,
): { low: Float64Array; high: Float64Array } {
  const n = grid.values.length;
  const out = { low: new Float64Array(n).fill(Number.NaN), high: new Float64Array(n).fill(Number.NaN) };
  const stepMs = grid.stepMin * MINUTE_MS;
  const first = Math.round((errors.fromMs - grid.startMs) / stepMs);
  const sample: number[] = [];
  for (let i = Math.max(0, first); i < n; i++) {
    const v = grid.values[i];
    const lead = i - first;
    if (!Number.isFinite(v)) continue;
    sample.length = 0;
    for (const p of errors.paths) if (lead < p.length && Number.isFinite(p[lead])) sample.push(v + p[lead]);
    if (sample.length === 0) continue;
    sample.sort((a, b) => a - b);
    out.low[i] = quantileOfSorted(sample, low);
    out.high[i] = quantileOfSorted(sample, high);
  }
  return out;
}
