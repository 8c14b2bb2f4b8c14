import { MINUTE_MS } from '../core/time.ts';

/**
 * The arithmetic of the Carbon Aware SDK's Web API, on gridshift's signals: emissions data points with a
 * duration, the rolling average of a forecast over a workload's window, the time-weighted average over a
 * period, the optimal (lowest) points, and the .NET text formats its clients parse (DateTimeOffset,
 * TimeSpan). Pure functions; the routes are in routes/carbon-aware.ts.
 */

/** One value holding for [startMs, startMs + durationMs), rated in gCO2eq/kWh. */
export interface EmissionsPoint {
  location: string;
  startMs: number;
  durationMs: number;
  rating: number;
}

const endOf = (p: EmissionsPoint) => p.startMs + p.durationMs;

/** Points that overlap [fromMs, toMs); with fromMs === toMs, the point holding that instant. */
export function pointsIn(points: readonly EmissionsPoint[], fromMs: number, toMs: number): EmissionsPoint[] {
  if (toMs === fromMs) return points.filter((p) => p.startMs <= fromMs && fromMs < endOf(p));
  return points.filter((p) => p.startMs < toMs && endOf(p) > fromMs);
}

/** The points with the lowest rating (all of them on a tie), in their order. */
export function optimalPoints(points: readonly EmissionsPoint[]): EmissionsPoint[] {
  if (points.length === 0) return [];
  let best = Number.POSITIVE_INFINITY;
  for (const p of points) if (p.rating < best) best = p.rating;
  return points.filter((p) => p.rating === best);
}

/**
 * Time-weighted average rating over [startMs, endMs): each point counts for the part of the period it
 * covers. The points must be continuous and chronological and cover the whole period; otherwise a
 * RangeError says which.
 */
export function averageOverPeriod(points: readonly EmissionsPoint[], startMs: number, endMs: number): number {
  if (!(endMs > startMs)) throw new RangeError('the period is empty');
  let sum = 0;
  let coveredStart = false;
  let coveredEnd = false;
  let prev: EmissionsPoint | undefined;
  for (const p of points) {
    if (prev && p.startMs !== endOf(prev))
      throw new RangeError(
        `the data is not continuous: a point ends at ${new Date(endOf(prev)).toISOString()} and the next starts at ${new Date(p.startMs).toISOString()}`,
      );
    const lo = Math.max(startMs, p.startMs);
    const hi = Math.min(endMs, endOf(p));
    if (hi > lo) sum += p.rating * (hi - lo);
    if (startMs >= p.startMs && startMs < endOf(p)) coveredStart = true;
    if (endMs <= endOf(p) && endMs > p.startMs) coveredEnd = true;
    prev = p;
  }
  if (!coveredStart || !coveredEnd)
    throw new RangeError(
      `the data does not cover the period ${new Date(startMs).toISOString()} through ${new Date(endMs).toISOString()}`,
    );
  return sum / (endMs - startMs);
}

/**
 * The forecast as averages over a sliding window of `windowMs` (a workload's duration), starting at
 * `dataStartMs` (or the first point) and moving by `tickMs` (default: one point's duration). A window is
 * reported only when the data covers it entirely (a window over a gap in the data is left out); after the
 * first window none may end past `dataEndMs`. A window of 0 returns the points unchanged. Points must be
 * chronological.
 */
export function rollingAverage(
  points: readonly EmissionsPoint[],
  windowMs: number,
  dataStartMs?: number,
  dataEndMs?: number,
  tickMs?: number,
): EmissionsPoint[] {
  if (points.length === 0) return [];
  if (!(windowMs > 0)) return [...points];
  const tick = tickMs ?? points[0].durationMs;
  if (!(tick > 0)) throw new RangeError('the tick of a rolling average must be positive');
  const end = dataEndMs ?? Number.POSITIVE_INFINITY;
  const dataEnd = endOf(points[points.length - 1]);
  const out: EmissionsPoint[] = [];
  let windowStart = Math.max(dataStartMs ?? points[0].startMs, points[0].startMs);
  for (let first = true; ; first = false) {
    const windowEnd = windowStart + windowMs;
    if (!first && windowEnd > end) break;
    if (windowEnd > dataEnd) break;
    const rating = windowAverage(points, windowStart, windowEnd);
    if (rating !== undefined)
      out.push({
        location: points[points.length - 1].location,
        startMs: windowStart,
        durationMs: windowMs,
        rating,
      });
    windowStart += tick;
  }
  return out;
}

/** The average over a window, or undefined when the data does not cover it without a gap. */
function windowAverage(points: readonly EmissionsPoint[], fromMs: number, toMs: number): number | undefined {
  try {
    return averageOverPeriod(pointsIn(points, fromMs, toMs), fromMs, toMs);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

/** A .NET TimeSpan in its invariant text form: `00:05:00`, `01:30:00`, `1.00:00:00`. */
export function timeSpan(ms: number): string {
  const totalSec = Math.round(ms / 1000);
  const days = Math.floor(totalSec / 86_400);
  const rest = totalSec - days * 86_400;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  return days > 0 ? `${days}.${hms}` : hms;
}

/** A UTC instant as .NET writes a DateTimeOffset: `2022-08-23T14:30:00+00:00` (fraction only when not 0). */
export function dotnetTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.000Z$/, '+00:00')
    .replace(/Z$/, '+00:00');
}

/**
 * Reads a time as the SDK's clients send it: ISO-8601 with or without seconds, fraction and offset
 * (`2022-08-23T14:00`, `2022-1-1T04:05:06Z`, `2021-12-25T00:00:00+06:00`) or a date. Without an offset
 * the time is UTC. A `+` that URL decoding turned into a space is read as `+`. NaN when unreadable.
 */
export function parseClientTime(text: string): number {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+\- ]\d{2}(?::?\d{2})?)?$/i.exec(
      text.trim(),
    );
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || Number(mi) > 59 || Number(s) > 59)
    return Number.NaN;
  const fracMs = Math.round(Number(`0.${frac}`) * 1000);
  let ms = Date.UTC(Number(y), month - 1, day, hour, Number(mi), Number(s), fracMs);
  if (new Date(ms).getUTCDate() !== day) return Number.NaN; // 2023-02-30
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    ms -= sign * offsetMin * MINUTE_MS;
  }
  return ms;
}

/**
 * A time in a JSON body, read as System.Text.Json reads a DateTimeOffset: ISO 8601 with two-digit month,
 * day and hour (`2021-09-01T08:30:00Z`, `2021-09-01T08:30+02:00`, `2021-09-01`), NaN for anything else
 * (`2021-9-1T08:30:00Z`, which the query binding accepts).
 */
export function parseJsonTime(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
  return iso.test(text) ? parseClientTime(text) : Number.NaN;
}
