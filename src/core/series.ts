import { MINUTE_MS } from './time.ts';
import type { Unit } from './units.ts';

/**
 * What a series measures. Carbon intensities are gCO2eq/kWh; prices are a currency per kWh; `pv_power` is a
 * home's solar production in kW (mean over each interval), from the PV sources of a site, not of a zone.
 */
export type Metric = 'carbon_average' | 'carbon_marginal' | 'price' | 'pv_power';
/** The grid signals a zone's source chains answer (what the configuration's `metric` keys may name). */
export const METRICS: readonly Metric[] = ['carbon_average', 'carbon_marginal', 'price'];

/** `actual` = measured or published after the fact; `forecast` = issued ahead of time. */
export type SeriesKind = 'actual' | 'forecast';

/** One value of a step function: it holds from `start` until the next point's start. */
export interface Point {
  /** epoch ms, start of the interval the value holds for */
  start: number;
  value: number;
}

/** A time series of one metric in one zone, as delivered by one source, in normalised units. */
export interface Series {
  zone: string;
  metric: Metric;
  unit: Unit;
  /** nominal interval length in minutes; the last point holds for this long */
  resolutionMin: number;
  kind: SeriesKind;
  /** when a forecast was issued (epoch ms) */
  issuedAt?: number;
  /** provider or file the values came from, e.g. `electricitymaps`, `profile`, `csv:/path/file.csv` */
  source: string;
  /** set when the series is less than what was asked for (a fallback source, no forecast, partial range): says why */
  degraded?: string;
  points: Point[];
}

/** A series on a regular grid: slot i covers [startMs + i*step, startMs + (i+1)*step). NaN = no value. */
export interface Grid {
  startMs: number;
  stepMin: number;
  values: Float64Array;
}

export interface ResampleOptions {
  /** first slot start; default the first grid boundary at or after the first point */
  startMs?: number;
  /** end of the last slot (exclusive); default the end of the data, rounded up to the grid */
  endMs?: number;
}

/**
 * Resamples a step function onto a regular grid of `stepMin` minutes by the time-weighted mean of the
 * values overlapping each slot. Each value holds until the next point; the last holds for one native
 * interval (the gap before it, or `resolutionMin` for a single point). Points must be in time order.
 * Slots with no overlap are NaN; partly covered slots average over the covered part. DST cannot matter: all
 * arithmetic is on UTC instants.
 */
export function resample(
  series: Pick<Series, 'points' | 'resolutionMin'>,
  stepMin: number,
  options: ResampleOptions = {},
): Grid {
  if (!(stepMin > 0)) throw new RangeError(`step must be a positive number of minutes, got ${stepMin}`);
  const pts = series.points;
  const step = stepMin * MINUTE_MS;
  if (pts.length === 0) {
    const startMs = options.startMs ?? 0;
    const n = options.endMs === undefined ? 0 : Math.max(0, Math.ceil((options.endMs - startMs) / step));
    return { startMs, stepMin, values: new Float64Array(n).fill(Number.NaN) };
  }
  const last = pts.length - 1;
  const lastLen = pts.length > 1 ? pts[last].start - pts[last - 1].start : series.resolutionMin * MINUTE_MS;
  const dataEnd = pts[last].start + lastLen;
  const startMs = options.startMs ?? Math.ceil(pts[0].start / step) * step;
  const endMs = options.endMs ?? Math.ceil(dataEnd / step) * step;
  const n = Math.max(0, Math.ceil((endMs - startMs) / step));
  const values = new Float64Array(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const s = startMs + i * step;
    const e = s + step;
    // skip points that end before this slot
    while (p < last && pts[p + 1].start <= s) p++;
    let area = 0;
    let covered = 0;
    for (let q = p; q <= last; q++) {
      const ps = pts[q].start;
      if (ps >= e) break;
      const pe = q < last ? pts[q + 1].start : dataEnd;
      const a = ps > s ? ps : s;
      const b = pe < e ? pe : e;
      if (b > a && Number.isFinite(pts[q].value)) {
        area += pts[q].value * (b - a);
        covered += b - a;
      }
    }
    values[i] = covered > 0 ? area / covered : Number.NaN;
  }
  return { startMs, stepMin, values };
}

/** Index of the slot that contains `ms` (may be out of range). */
export function slotIndex(grid: Grid, ms: number): number {
  return Math.floor((ms - grid.startMs) / (grid.stepMin * MINUTE_MS));
}

export function slotStart(grid: Grid, i: number): number {
  return grid.startMs + i * grid.stepMin * MINUTE_MS;
}

export function gridEndMs(grid: Grid): number {
  return slotStart(grid, grid.values.length);
}

/** Mean of the finite values of a series. */
export function meanValue(values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : Number.NaN;
}

/** Validates point order and values; throws naming the first problem. */
export function assertSeries(series: Series): void {
  for (let i = 0; i < series.points.length; i++) {
    const p = series.points[i];
    if (!Number.isFinite(p.start))
      throw new RangeError(`${series.source}: point ${i} has no valid start time`);
    if (i > 0 && p.start <= series.points[i - 1].start)
      throw new RangeError(`${series.source}: point ${i} is not after the point before it`);
  }
}
