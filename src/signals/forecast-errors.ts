/**
 * A forecast's own past errors, as a distribution per lead time: what turns a point forecast into bands and
 * into sampled future paths.
 *
 * Every `originEverySlots` slots the point forecast issued then (for the next `leadSlots` slots) is recorded;
 * once the actual values of those slots are known, the differences actual - forecast form one residual path.
 * A forecast issued at some slot of the day is compared with the paths of forecasts issued at about the same
 * time of day (within `hourWindow` hours) over the last `historyDays` days:
 * - `quantiles` gives, per lead time, the empirical quantiles of those residuals (the band around the point
 *   forecast);
 * - `samplePaths` draws whole residual paths (a block bootstrap in which a block is one past forecast's
 *   errors over every lead), so that errors keep their correlation over lead time: a forecast that was too
 *   high at 30 hours was usually too high at 31.
 * Only residuals whose actual value has been observed are ever used, so a decision made with them looks at
 * nothing after its own time.
 */
import { mulberry32 } from '../core/random.ts';
import {
  createForecaster,
  FORECAST_DEFAULTS,
  type Forecaster,
  type ForecasterConfig,
  type ForecastOptions,
} from './forecast.ts';

/** How many futures are drawn by default where a decision weighs them (the stopping rule, explanations). */
export const SAMPLED_PATHS = 32;

export interface ForecastErrorsConfig {
  /** slots in a day (48 for 30-minute slots) */
  slotsPerDay: number;
  /** lead times learned: 1 (the slot the forecast starts with) to `leadSlots` */
  leadSlots: number;
  /** how many days of past forecasts are kept (default 28) */
  historyDays?: number;
  /** record a forecast every this many slots (default one per hour) */
  originEverySlots?: number;
  /** forecasts issued within this many hours of the same time of day count as alike (default 2) */
  hourWindow?: number;
}

export interface ForecastErrors {
  readonly leadSlots: number;
  /** the next slot `observe` expects */
  readonly observed: number;
  /** whether a forecast issued at `origin` should be recorded (one every `originEverySlots`) */
  wants(origin: number): boolean;
  /**
   * Records the point forecast issued at slot `origin` (before observing it): `forecast[offset + l - 1]` is
   * the value for slot `origin + l - 1`, l = 1..leadSlots.
   */
  record(origin: number, forecast: ArrayLike<number>, offset?: number): void;
  /** the actual value of the next slot (NaN when missing) */
  observe(value: number): void;
  /**
   * Past forecasts alike to one issued at `origin` whose residuals are known up to lead `maxLead`: their
   * origins, newest first.
   */
  alike(origin: number, maxLead: number): number[];
  /** residual (actual - forecast) of the forecast issued at `pastOrigin`, at lead `lead` (NaN if missing) */
  residual(pastOrigin: number, lead: number): number;
  /**
   * Empirical quantiles `probs` (each in [0, 1]) of the residual at leads 1..maxLead for a forecast issued at
   * `origin`: row i is lead i + 1. Null when no alike past forecast is complete yet.
   */
  quantiles(origin: number, probs: readonly number[], maxLead: number): Float64Array[] | null;
  /**
   * `count` residual paths over leads 1..maxLead (index l - 1), drawn with replacement from the alike past
   * forecasts; deterministic for a given seed. Empty when none is complete yet.
   */
  samplePaths(origin: number, maxLead: number, count: number, seed: number): Float64Array[];
}

export function createForecastErrors(config: ForecastErrorsConfig): ForecastErrors {
  const { slotsPerDay, leadSlots } = config;
  const historyDays = config.historyDays ?? 28;
  const every = config.originEverySlots ?? Math.max(1, Math.round(slotsPerDay / 24));
  const window = Math.round(((config.hourWindow ?? 2) * slotsPerDay) / 24);
  for (const [name, v] of [
    ['slotsPerDay', slotsPerDay],
    ['leadSlots', leadSlots],
    ['historyDays', historyDays],
    ['originEverySlots', every],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1))
      throw new RangeError(`forecast errors: ${name} must be a whole number >= 1, got ${v}`);
  // ring buffers: forecasts by origin, actuals by slot; old enough entries are overwritten
  const originCapacity = Math.ceil((historyDays * slotsPerDay) / every) + Math.ceil(leadSlots / every) + 2;
  const forecasts = new Float64Array(originCapacity * leadSlots);
  const originAt = new Float64Array(originCapacity).fill(-1);
  const actualCapacity = historyDays * slotsPerDay + 2 * leadSlots + window + 1;
  const actuals = new Float64Array(actualCapacity);
  let observed = 0;

  const slotOf = (origin: number) => (origin / every) % originCapacity;
  const hasForecast = (origin: number) =>
    origin >= 0 && origin % every === 0 && originAt[slotOf(origin)] === origin;

  function residual(pastOrigin: number, lead: number): number {
    const target = pastOrigin + lead - 1;
    if (!hasForecast(pastOrigin) || lead < 1 || lead > leadSlots || target >= observed) return Number.NaN;
    if (target < observed - actualCapacity) return Number.NaN;
    return actuals[target % actualCapacity] - forecasts[slotOf(pastOrigin) * leadSlots + lead - 1];
  }

  function alike(origin: number, maxLead: number): number[] {
    const out: number[] = [];
    const lead = Math.min(maxLead, leadSlots);
    for (let d = 0; d <= historyDays; d++)
      for (let w = -window; w <= window; w++) {
        const o = origin - d * slotsPerDay + w;
        if (o < 0 || o % every !== 0 || o + lead > observed || o >= origin) continue;
        if (o + lead - 1 < observed - actualCapacity || !hasForecast(o)) continue;
        out.push(o);
      }
    return out.sort((a, b) => b - a);
  }

  return {
    leadSlots,
    get observed() {
      return observed;
    },
    wants: (origin) => origin % every === 0,
    record(origin, forecast, offset = 0) {
      if (origin % every !== 0) return;
      const at = slotOf(origin);
      originAt[at] = origin;
      for (let l = 0; l < leadSlots; l++) forecasts[at * leadSlots + l] = forecast[offset + l];
    },
    observe(value) {
      actuals[observed % actualCapacity] = value;
      observed++;
    },
    alike,
    residual,
    quantiles(origin, probs, maxLead) {
      const past = alike(origin, maxLead);
      if (past.length === 0) return null;
      const rows: Float64Array[] = [];
      const values: number[] = [];
      for (let lead = 1; lead <= Math.min(maxLead, leadSlots); lead++) {
        values.length = 0;
        for (const o of past) {
          const r = residual(o, lead);
          if (Number.isFinite(r)) values.push(r);
        }
        values.sort((a, b) => a - b);
        rows.push(Float64Array.from(probs, (p) => quantileOfSorted(values, p)));
      }
      return rows;
    },
    samplePaths(origin, maxLead, count, seed) {
      const past = alike(origin, maxLead);
      if (past.length === 0) return [];
      const next = mulberry32(seed);
      const lead = Math.min(maxLead, leadSlots);
      const out: Float64Array[] = [];
      for (let i = 0; i < count; i++) {
        const o = past[Math.floor(next() * past.length)];
        const path = new Float64Array(lead);
        for (let l = 1; l <= lead; l++) {
          const r = residual(o, l);
          path[l - 1] = Number.isFinite(r) ? r : 0;
        }
        out.push(path);
      }
      return out;
    },
  };
}

/** Linear-interpolated quantile of sorted values (NaN when empty). */
export function quantileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const x = Math.min(1, Math.max(0, p)) * (sorted.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/** The built-in forecaster with its own error distribution: bands and sampled paths around its forecast. */
export interface ProbabilisticForecaster extends Forecaster {
  readonly errors: ForecastErrors;
}

/**
 * A forecaster that records its own forecast at every `originEverySlots`-th slot and learns its errors as
 * the actual values arrive (see createForecastErrors). Costs `leadSlots` predicted slots per recorded
 * forecast.
 */
export function createProbabilisticForecaster(
  config: ForecasterConfig & Omit<ForecastErrorsConfig, 'slotsPerDay'>,
): ProbabilisticForecaster {
  const point = createForecaster(config);
  const errors = createForecastErrors({ ...config, slotsPerDay: (24 * 60) / config.stepMin });
  const issued = new Float64Array(config.leadSlots);
  return {
    stepMin: point.stepMin,
    startMs: point.startMs,
    get observed() {
      return point.observed;
    },
    errors,
    observe(value) {
      const n = point.observed;
      if (errors.wants(n)) {
        point.predictInto(issued, n, n + config.leadSlots, 0);
        errors.record(n, issued);
      }
      errors.observe(value);
      point.observe(value);
    },
    predict: (lead) => point.predict(lead),
    predictInto: (out, from, to, outIndex) => point.predictInto(out, from, to, outIndex),
  };
}

/** How far back known values count for an anchored estimate: older ones have faded out of its deviation. */
export const ANCHOR_BACK_HOURS = 24;

/**
 * Sampled residual paths (lead l at index l - 1) made the errors of an estimate anchored at known values,
 * as the estimates past a forecast's end are: from lead `firstLead` on the estimate is continued from the
 * values known before it, carrying their deviation from the forecaster (smoothed and fading as the
 * forecaster smooths and fades its own deviation). The part of each path's error that those known values
 * reveal is taken out the same way. Returns `length` values from lead `firstLead` (index lead - firstLead);
 * 0 past a path's end.
 */
export function anchoredPaths(
  raw: readonly Float64Array[],
  firstLead: number,
  length: number,
  stepMin: number,
  forecast: ForecastOptions = {},
): Float64Array[] {
  const slotsPerHour = 60 / stepMin;
  const o = { ...FORECAST_DEFAULTS, ...forecast };
  const smoothing = 1 - 2 ** (-1 / (o.deviationSmoothingHours * slotsPerHour));
  const fade = 2 ** (-1 / (o.deviationHalfLifeHours * slotsPerHour));
  const backSlots = ANCHOR_BACK_HOURS * slotsPerHour;
  return raw.map((r) => {
    let deviation = 0;
    for (let l = Math.max(1, firstLead - backSlots); l < firstLead && l <= r.length; l++)
      deviation += smoothing * (r[l - 1] - deviation);
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      deviation *= fade;
      const l = firstLead + i;
      out[i] = l <= r.length ? r[l - 1] - deviation : 0;
    }
    return out;
  });
}
