import { ProviderError } from '../core/errors.ts';
import type { Point, Series } from '../core/series.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { type Currency, priceUnit } from '../core/units.ts';

/** One published price (or other value) that holds over [startMs, endMs). */
export interface ValueInterval {
  startMs: number;
  endMs: number;
  value: number;
}

/** Keeps the intervals that overlap [fromMs, toMs). */
export function overlapping(
  intervals: readonly ValueInterval[],
  fromMs: number,
  toMs: number,
): ValueInterval[] {
  return intervals.filter((iv) => iv.startMs < toMs && iv.endMs > fromMs);
}

/**
 * Turns intervals into the step-function points of a Series. Intervals are sorted; overlapping ones mean the
 * source contradicts itself (`malformed`). A hole between two intervals becomes a NaN point so that the value
 * before it does not silently stretch over the hole. `resolutionMin` is the length of the last interval, which
 * is how long the last point holds.
 */
export function toSteps(
  intervals: readonly ValueInterval[],
  provider: string,
): { points: Point[]; resolutionMin: number } {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  const points: Point[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const iv = sorted[i];
    if (!(iv.endMs > iv.startMs))
      throw new ProviderError(
        provider,
        'malformed',
        `interval at ${toIso(iv.startMs)} does not end after it starts`,
      );
    if (i > 0) {
      const prevEnd = sorted[i - 1].endMs;
      if (iv.startMs < prevEnd)
        throw new ProviderError(provider, 'malformed', `two values overlap at ${toIso(iv.startMs)}`);
      if (iv.startMs > prevEnd) points.push({ start: prevEnd, value: Number.NaN });
    }
    points.push({ start: iv.startMs, value: iv.value });
  }
  const last = sorted[sorted.length - 1];
  const resolutionMin = last ? (last.endMs - last.startMs) / MINUTE_MS : 0;
  return { points, resolutionMin };
}

/** Says what part of [fromMs, toMs) the intervals leave uncovered at either end, for `Series.degraded`. */
export function coverageGap(
  intervals: readonly ValueInterval[],
  fromMs: number,
  toMs: number,
  what = 'prices',
): string | undefined {
  if (intervals.length === 0) return `no ${what} for the range`;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const iv of intervals) {
    if (iv.startMs < first) first = iv.startMs;
    if (iv.endMs > last) last = iv.endMs;
  }
  const notes: string[] = [];
  if (first > fromMs) notes.push(`start only at ${toIso(first)}`);
  if (last < toMs) notes.push(`are published only until ${toIso(last)}`);
  return notes.length > 0 ? `${what} ${notes.join(' and ')}` : undefined;
}

/**
 * The Series of a day-ahead market's cleared prices for [fromMs, toMs): kind `actual` because cleared
 * auction prices are fixed once published, also for tomorrow. Throws `not_found` when nothing overlaps.
 */
export function dayAheadSeries(
  provider: string,
  zone: string,
  currency: Currency | undefined,
  intervals: readonly ValueInterval[],
  fromMs: number,
  toMs: number,
  area = zone,
): Series {
  const inRange = overlapping(intervals, fromMs, toMs);
  if (!currency || inRange.length === 0)
    throw new ProviderError(
      provider,
      'not_found',
      `no day-ahead prices for ${area} between ${toIso(fromMs)} and ${toIso(toMs)} (the next day's prices appear after about 13:00 CET)`,
    );
  const { points, resolutionMin } = toSteps(inRange, provider);
  return {
    zone,
    metric: 'price',
    unit: priceUnit(currency),
    resolutionMin,
    kind: 'actual',
    source: provider,
    degraded: coverageGap(inRange, fromMs, toMs),
    points,
  };
}
