import type { Point, Series } from '../core/series.ts';
import { MINUTE_MS } from '../core/time.ts';

/** A stretch of time, [startMs, endMs). */
export interface Span {
  startMs: number;
  endMs: number;
}

export interface Stitched {
  /** the combined step function; NaN points mark gaps inside it, a NaN point may also mark where the data ends */
  points: Point[];
  /** for each layer, the spans of the requested range it supplied (empty when a better layer covered it all) */
  spans: Span[][];
  /** parts of the requested range no layer covers */
  gaps: Span[];
  /** how long the last valued point holds (0 when there are no points) */
  lastLengthMs: number;
}

interface Segment {
  start: number;
  end: number;
  value: number;
}

/** The intervals of a series, each point holding until the next one and the last for `resolutionMin`. */
function segments(series: Series, fromMs: number, toMs: number): Segment[] {
  const pts = series.points;
  const out: Segment[] = [];
  for (let i = 0; i < pts.length; i++) {
    const start = pts[i].start;
    const end = i + 1 < pts.length ? pts[i + 1].start : start + series.resolutionMin * MINUTE_MS;
    if (end <= fromMs || start >= toMs || !Number.isFinite(pts[i].value)) continue;
    out.push({ start, end, value: pts[i].value });
  }
  return out;
}

function pushSpan(spans: Span[], startMs: number, endMs: number): void {
  const last = spans[spans.length - 1];
  if (last && last.endMs === startMs) last.endMs = endMs;
  else spans.push({ startMs, endMs });
}

/**
 * Combines series into one timeline where each instant takes the value of the first layer that has one:
 * pass actual series before forecasts ("forecast after the last actual"), and a preferred source before
 * its fallbacks (later sources fill only what earlier ones leave uncovered). Only intervals overlapping
 * [fromMs, toMs) are used; points keep their original start times unless a better layer ends inside them.
 */
export function stitch(layers: readonly Series[], fromMs: number, toMs: number): Stitched {
  const segs = layers.map((s) => segments(s, fromMs, toMs));
  const bounds = new Set<number>();
  for (const list of segs)
    for (const s of list) {
      bounds.add(s.start);
      bounds.add(s.end);
    }
  const sorted = [...bounds].sort((a, b) => a - b);
  const cursor = new Array<number>(layers.length).fill(0);
  const spans: Span[][] = layers.map(() => []);
  const points: Point[] = [];
  let prevLayer = -2;
  let prevSeg = -1;
  let lastEnd = Number.NaN;
  for (let k = 0; k + 1 < sorted.length; k++) {
    const a = sorted[k];
    const b = sorted[k + 1];
    let layer = -1;
    let seg = -1;
    for (let l = 0; l < segs.length && layer < 0; l++) {
      const list = segs[l];
      while (cursor[l] < list.length && list[cursor[l]].end <= a) cursor[l]++;
      if (cursor[l] < list.length && list[cursor[l]].start <= a) {
        layer = l;
        seg = cursor[l];
      }
    }
    if (layer >= 0) {
      const overlapA = Math.max(a, fromMs);
      const overlapB = Math.min(b, toMs);
      if (overlapB > overlapA) pushSpan(spans[layer], overlapA, overlapB);
    }
    const continues = layer === prevLayer && seg === prevSeg;
    if (!continues && (layer >= 0 || points.length > 0))
      points.push({ start: a, value: layer >= 0 ? segs[layer][seg].value : Number.NaN });
    if (layer >= 0) lastEnd = b;
    prevLayer = layer;
    prevSeg = seg;
  }
  // drop trailing gap points, then mark the end of the data when the last point's length cannot be inferred
  while (points.length > 0 && Number.isNaN(points[points.length - 1].value)) points.pop();
  const n = points.length;
  const lastLengthMs = n > 0 ? lastEnd - points[n - 1].start : 0;
  if (n > 1 && lastLengthMs !== points[n - 1].start - points[n - 2].start)
    points.push({ start: lastEnd, value: Number.NaN });
  // gaps of the requested range
  const covered: Span[] = spans
    .flat()
    .sort((x, y) => x.startMs - y.startMs)
    .reduce<Span[]>((acc, s) => {
      pushSpan(acc, s.startMs, s.endMs);
      return acc;
    }, []);
  const gaps: Span[] = [];
  let at = fromMs;
  for (const s of covered) {
    if (s.startMs > at) gaps.push({ startMs: at, endMs: s.startMs });
    at = Math.max(at, s.endMs);
  }
  if (at < toMs) gaps.push({ startMs: at, endMs: toMs });
  return { points, spans, gaps, lastLengthMs };
}
