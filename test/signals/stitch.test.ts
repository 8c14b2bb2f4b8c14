import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Point, resample, type Series } from '../../src/core/series.ts';
import { MINUTE_MS } from '../../src/core/time.ts';
import { stitch } from '../../src/signals/stitch.ts';
import { carbonSeries, hourly, t } from './test-provider.ts';

/** Value of a step series at `ms` per the Series contract (last point holds resolutionMin); NaN outside. */
function valueAt(series: Series, ms: number): number {
  const pts = series.points;
  for (let i = pts.length - 1; i >= 0; i--) {
    if (pts[i].start > ms) continue;
    const end = i + 1 < pts.length ? pts[i + 1].start : pts[i].start + series.resolutionMin * MINUTE_MS;
    return ms < end ? pts[i].value : Number.NaN;
  }
  return Number.NaN;
}

/** Value of stitched points at `ms`: the last point at or before it (the stitched series marks its own end). */
function stitchedAt(points: Point[], lastLengthMs: number, ms: number): number {
  for (let i = points.length - 1; i >= 0; i--) {
    if (points[i].start > ms) continue;
    if (i === points.length - 1 && ms >= points[i].start + lastLengthMs) return Number.NaN;
    return points[i].value;
  }
  return Number.NaN;
}

describe('stitch', () => {
  const from = t('2026-03-10T00:00:00Z');

  it('takes each instant from the first layer that has a value', () => {
    const actual = carbonSeries('a', hourly('2026-03-10T00:00:00Z', [10, 11]));
    const forecast = carbonSeries('f', hourly('2026-03-10T01:00:00Z', [90, 21, 22]), { kind: 'forecast' });
    const r = stitch([actual, forecast], from, from + 4 * 60 * MINUTE_MS);
    expect(r.points).toEqual(hourly('2026-03-10T00:00:00Z', [10, 11, 21, 22]));
    expect(r.spans[0]).toEqual([{ startMs: from, endMs: t('2026-03-10T02:00:00Z') }]);
    expect(r.spans[1]).toEqual([{ startMs: t('2026-03-10T02:00:00Z'), endMs: t('2026-03-10T04:00:00Z') }]);
    expect(r.gaps).toEqual([]);
  });

  it('fills a gap inside the first layer from the next, and reports what stays uncovered', () => {
    const first = carbonSeries('a', [
      { start: t('2026-03-10T00:00:00Z'), value: 1 },
      { start: t('2026-03-10T01:00:00Z'), value: Number.NaN },
      { start: t('2026-03-10T02:00:00Z'), value: 3 },
    ]);
    const second = carbonSeries('b', [{ start: t('2026-03-10T01:30:00Z'), value: 50 }], {
      resolutionMin: 30,
    });
    const r = stitch([first, second], from, t('2026-03-10T04:00:00Z'));
    expect(r.points).toEqual([
      { start: t('2026-03-10T00:00:00Z'), value: 1 },
      { start: t('2026-03-10T01:00:00Z'), value: Number.NaN },
      { start: t('2026-03-10T01:30:00Z'), value: 50 },
      { start: t('2026-03-10T02:00:00Z'), value: 3 },
      // the last value holds one hour, not the 30 minutes the gap before it suggests: the end is marked
      { start: t('2026-03-10T03:00:00Z'), value: Number.NaN },
    ]);
    expect(r.gaps).toEqual([
      { startMs: t('2026-03-10T01:00:00Z'), endMs: t('2026-03-10T01:30:00Z') },
      { startMs: t('2026-03-10T03:00:00Z'), endMs: t('2026-03-10T04:00:00Z') },
    ]);
  });

  it('resamples to the same grid as the layers would give by hand', () => {
    const actual = carbonSeries('a', hourly('2026-03-10T00:00:00Z', [100, 200]));
    const forecast = carbonSeries('f', [{ start: t('2026-03-10T02:00:00Z'), value: 400 }], {
      resolutionMin: 15,
    });
    const r = stitch([actual, forecast], from, t('2026-03-10T03:00:00Z'));
    const grid = resample({ points: r.points, resolutionMin: 60 }, 30, {
      startMs: from,
      endMs: t('2026-03-10T03:00:00Z'),
    });
    // 02:00-02:15 is 400, then nothing: slot 02:00-02:30 averages the covered part only
    expect(Array.from(grid.values)).toEqual([100, 100, 200, 200, 400, Number.NaN]);
  });

  it('agrees with "first layer with a value" at every instant (property)', () => {
    const layer = fc
      .record({
        offsetMin: fc.integer({ min: 0, max: 600 }),
        stepMin: fc.constantFrom(15, 30, 60),
        values: fc.array(fc.oneof(fc.integer({ min: 0, max: 900 }), fc.constant(Number.NaN)), {
          minLength: 1,
          maxLength: 12,
        }),
      })
      .map(({ offsetMin, stepMin, values }) =>
        carbonSeries(
          'x',
          values.map((value, i) => ({ start: from + (offsetMin + i * stepMin) * MINUTE_MS, value })),
          { resolutionMin: stepMin },
        ),
      );
    fc.assert(
      fc.property(
        fc.array(layer, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 900 }),
        (layers, spanMin) => {
          const toMs = from + (60 + spanMin) * MINUTE_MS;
          const r = stitch(layers, from, toMs);
          for (let m = 0; m < 60 + spanMin; m += 5) {
            const ms = from + m * MINUTE_MS;
            let expected = Number.NaN;
            for (const l of layers) {
              const v = valueAt(l, ms);
              if (Number.isFinite(v)) {
                expected = v;
                break;
              }
            }
            const got = stitchedAt(r.points, r.lastLengthMs, ms);
            // before the first point the stitched series has no value; that is a gap in both
            expect(Number.isNaN(got) ? Number.NaN : got).toEqual(expected);
          }
        },
      ),
    );
  });
});
