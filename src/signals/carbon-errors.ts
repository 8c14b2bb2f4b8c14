import { hash32 } from '../core/random.ts';
import { type Grid, resample } from '../core/series.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';
import type { ForecastOptions } from './forecast.ts';
import { createProbabilisticForecaster, SAMPLED_PATHS } from './forecast-errors.ts';

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
  /** first forecast slot of the planning grid */
  fromMs: number;
  /** planning grid step (minutes) */
  stepMin: number;
  /** slots of forecast the paths should cover (capped at 7 days) */
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
  const leadSlots = Math.min(input.forecastSlots, Math.floor(MAX_ERROR_LEAD_MS / stepMs));
  const startMs = Math.ceil(measured.startMs / stepMs) * stepMs;
  const slots = Math.floor((fromMs - startMs) / stepMs);
  if (leadSlots < 1 || slots <= leadSlots) return undefined;
  const grid = onStep(measured, stepMin, startMs, startMs + slots * stepMs);
  const forecaster = createProbabilisticForecaster({ ...input.forecast, stepMin, startMs, leadSlots });
  for (const v of grid.values) forecaster.observe(v);
  const origin = forecaster.observed;
  const seed = hash32(`${input.zone}:${Math.round(fromMs / stepMs)}`);
  const paths = forecaster.errors.samplePaths(origin, leadSlots, input.count ?? SAMPLED_PATHS, seed);
  return paths.length > 0 ? { fromMs: startMs + slots * stepMs, paths } : undefined;
}

function onStep(g: Grid, stepMin: number, startMs: number, endMs: number): Grid {
  const stepMs = g.stepMin * MINUTE_MS;
  const points = Array.from(g.values, (value, i) => ({ start: g.startMs + i * stepMs, value }));
  return resample({ points, resolutionMin: g.stepMin }, stepMin, { startMs, endMs });
}
