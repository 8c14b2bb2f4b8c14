/**
 * The built-in forecast past a live source's horizon. Providers forecast 24 to 48 hours (day-ahead prices
 * up to ~36 h); a load that may wait 72 hours needs the slots after that too. This fits the built-in
 * forecaster on the source's measured values before now, plus the answer's own values from now up to where
 * it ends (the provider's forecast anchors the level at the junction), and forecasts the rest of the range.
 * Pure: the registry fetches the series, this only combines them.
 */
import { type Grid, type Point, resample, type Series } from '../core/series.ts';
import { ceilToStep, DAY_MS, floorToStep, HOUR_MS, MINUTE_MS, toIso } from '../core/time.ts';
import { type ForecastOptions, forecastSeries } from './forecast.ts';
import { stitch } from './stitch.ts';

/** The `source` of a built-in forecast fill, as it appears in answers (`electricitymaps+forecast`). */
export const FORECAST_SOURCE = 'forecast';

export interface HorizonOptions {
  /** how far before now the source's measured values are used for the fit; default 14 days */
  lookbackMs?: number;
  /** the least measured time before now needed to fit; with less the next source fills; default 1 day */
  minHistoryMs?: number;
  /** settings of the forecaster (see FORECAST_DEFAULTS) */
  forecast?: ForecastOptions;
}

export const HORIZON_DEFAULTS: Readonly<Required<Omit<HorizonOptions, 'forecast'>>> = {
  // two weeks: the forecaster learns the weekday/weekend difference from the second week on
  lookbackMs: 14 * DAY_MS,
  minHistoryMs: DAY_MS,
};

export interface HorizonRequest {
  /** the source whose horizon is extended, named in the reason */
  provider: string;
  /**
   * The series answering the range so far, best first (as the registry stitches them). Their values before
   * `fillFromMs` (the provider's forecast included) are fitted on; nothing after it is used.
   */
  answer: readonly Series[];
  /** the source's series for the look-back window; only values before `nowMs` are used */
  past: readonly Series[];
  /** where the answer ends: the fill starts here */
  fillFromMs: number;
  /** end of the requested range (exclusive) */
  toMs: number;
  nowMs: number;
}

export type HorizonExtension =
  | {
      ok: true;
      /** the built-in forecast from the slot holding `fillFromMs` to the end of the range (kind forecast, degraded) */
      series: Series;
      /** what the forecaster was fitted on: `series` holds forecastSeries(history, its length) */
      history: Grid;
    }
  | { ok: false; why: string };

/**
 * Forecasts [fillFromMs, toMs) with the built-in forecaster. The fit runs on a grid of the finest resolution
 * among the series (one that divides a day; else hourly), from the first value in the look-back window to
 * the slot holding `fillFromMs`. Where two series hold a value for the same time, the source's measured
 * values win before now and the answer fills the rest. Refuses (ok false, with why) when the measured values
 * before now cover less than `minHistoryMs`.
 */
export function extendPastHorizon(request: HorizonRequest, options: HorizonOptions = {}): HorizonExtension {
  const { answer, past, fillFromMs, toMs, nowMs } = request;
  const lookbackMs = options.lookbackMs ?? HORIZON_DEFAULTS.lookbackMs;
  const minHistoryMs = options.minHistoryMs ?? HORIZON_DEFAULTS.minHistoryMs;
  const template = answer[0] ?? past[0];
  if (!template) return { ok: false, why: 'no values to fit on' };
  if (!(toMs > fillFromMs)) return { ok: false, why: 'nothing to fill' };

  const stepMin = fitStepMin([...answer, ...past]);
  const stepMs = stepMin * MINUTE_MS;
  const windowStartMs = floorToStep(nowMs - lookbackMs, stepMin);
  // the slot holding the junction is forecast, not fitted: its measured part may be incomplete
  const fitEndMs = floorToStep(fillFromMs, stepMin);
  const measuredEndMs = Math.min(nowMs, fitEndMs);
  if (!(fitEndMs > windowStartMs)) return { ok: false, why: 'the answer ends before the look-back window' };

  const layers = [
    ...byPreference(past).map((s) => before(s, measuredEndMs)),
    ...answer.map((s) => before(s, fitEndMs)),
  ];
  const joined = stitch(layers, windowStartMs, fitEndMs);
  const grid = resample(
    { points: joined.points, resolutionMin: joined.lastLengthMs / MINUTE_MS || stepMin },
    stepMin,
    { startMs: windowStartMs, endMs: fitEndMs },
  );

  // the fit starts at the first value: leading empty slots carry nothing
  const first = grid.values.findIndex(Number.isFinite);
  const measuredSlots = (measuredEndMs - windowStartMs) / stepMs;
  let measured = 0;
  for (let i = Math.max(first, 0); i < measuredSlots; i++) if (Number.isFinite(grid.values[i])) measured++;
  if (first < 0 || measured * stepMs < minHistoryMs)
    return {
      ok: false,
      why: `${hours(measured * stepMs)} of measured values before ${toIso(nowMs)}, needs ${hours(minHistoryMs)}`,
    };

  const history: Grid = {
    startMs: windowStartMs + first * stepMs,
    stepMin,
    values: grid.values.slice(first),
  };
  const horizon = (ceilToStep(toMs, stepMin) - fitEndMs) / stepMs;
  const values = forecastSeries(history, horizon, options.forecast);
  const points: Point[] = Array.from(values, (value, k) => ({ start: fitEndMs + k * stepMs, value }));
  return {
    ok: true,
    history,
    series: {
      zone: template.zone,
      metric: template.metric,
      unit: template.unit,
      resolutionMin: stepMin,
      kind: 'forecast',
      source: FORECAST_SOURCE,
      degraded: `built-in forecast past the horizon of ${request.provider} (from ${toIso(fillFromMs)})`,
      points,
    },
  };
}

/** One source's series in the order they count: actual values first, then the most recently issued forecast. */
export function byPreference(series: readonly Series[]): Series[] {
  return [...series].sort(
    (a, b) =>
      Number(a.kind === 'forecast') - Number(b.kind === 'forecast') || (b.issuedAt ?? 0) - (a.issuedAt ?? 0),
  );
}

/** The finest resolution among the series that divides a day (the forecaster's profiles need that); else hourly. */
function fitStepMin(series: readonly Series[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const s of series) {
    const r = s.resolutionMin;
    if (Number.isInteger(r) && r > 0 && (24 * 60) % r === 0 && r < best) best = r;
  }
  return Number.isFinite(best) ? best : HOUR_MS / MINUTE_MS;
}

/** The series without any value at or after `endMs` (a value that straddles it ends there). */
function before(series: Series, endMs: number): Series {
  const pts = series.points;
  const kept = pts.filter((p) => p.start < endMs);
  if (kept.length === pts.length) {
    const last = pts[pts.length - 1];
    if (!last || last.start + series.resolutionMin * MINUTE_MS <= endMs) return series;
  }
  if (kept.length === 0) return { ...series, points: [] };
  return { ...series, points: [...kept, { start: endMs, value: Number.NaN }] };
}

function hours(ms: number): string {
  const h = ms / HOUR_MS;
  return `${Number.isInteger(h) ? h : h.toFixed(1)} h`;
}
