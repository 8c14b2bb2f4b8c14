import type { GridshiftConfig } from '../core/config.ts';
import { zoneConfig } from '../core/config.ts';
import type { Grid, Metric, Series } from '../core/series.ts';
import { floorToStep, MINUTE_MS } from '../core/time.ts';
import type { Zone } from '../core/zones.ts';
import type { CarbonErrors } from './carbon-errors.ts';
import type { SignalAnswer, SignalRegistry } from './registry.ts';

/**
 * A zone's carbon intensity and price on a regular grid from the slot holding now, with the values in
 * force now: what /v1/signals, the decisions in the moment and the model tier read.
 */

/** The value in force at `ms` (the last point starting at or before it); NaN when none. */
export function valueAt(series: Series | undefined, ms: number): number {
  if (!series || series.points.length === 0) return Number.NaN;
  const pts = series.points;
  const last = pts[pts.length - 1];
  if (ms < pts[0].start || ms >= last.start + series.resolutionMin * MINUTE_MS) return Number.NaN;
  let value = Number.NaN;
  for (const p of pts) {
    if (p.start > ms) break;
    value = p.value;
  }
  return value;
}

export type MetricChoice = 'carbon' | 'price' | 'all';

/** What reading a zone's grid needs: the signal registry and the configuration. */
export interface SignalDeps {
  registry: SignalRegistry;
  config: GridshiftConfig;
}

/** The zone's carbon metric, from the configuration. */
export function carbonMetricOf(ctx: SignalDeps, zone: Zone): Metric {
  return zoneConfig(ctx.config, zone.code).metric;
}

export interface ZoneGrids {
  /** where the grids begin: the slot holding now, or `pastHours` before it */
  fromMs: number;
  /** index of the slot holding now in the grids */
  nowIndex: number;
  /** `errors`: sampled errors of the carbon forecast past the provider's horizon, when there are any */
  carbon?: { grid: Grid; answer: SignalAnswer; current: number; errors?: CarbonErrors };
  price?: { grid: Grid; answer: SignalAnswer; current: number; currency: string | null };
}

/**
 * Carbon and/or price of a zone on a grid of `stepMin` from the slot holding now (or `pastHours` before it),
 * `hours` past that slot and at least that one slot (a tiny `hours`, 1e-300, would otherwise add nothing to
 * the start and ask for an empty range).
 */
export async function zoneGrids(
  ctx: SignalDeps,
  zone: Zone,
  options: { metric: MetricChoice; hours: number; stepMin: number; nowMs: number; pastHours?: number },
): Promise<ZoneGrids> {
  const { metric, hours, stepMin, nowMs } = options;
  const wantCarbon = metric !== 'price';
  const wantPrice = metric !== 'carbon';
  const nowSlotMs = floorToStep(nowMs, stepMin);
  const nowIndex = Math.ceil(((options.pastHours ?? 0) * 60) / stepMin);
  const fromMs = nowSlotMs - nowIndex * stepMin * MINUTE_MS;
  const toMs = nowSlotMs + Math.max(hours * 60, stepMin) * MINUTE_MS;
  const result = await ctx.registry.getZoneSignals(zone, {
    fromMs,
    toMs,
    nowMs,
    stepMin,
    metrics: [...(wantCarbon ? [carbonMetricOf(ctx, zone)] : []), ...(wantPrice ? ['price' as const] : [])],
  });
  const out: ZoneGrids = { fromMs, nowIndex };
  if (wantCarbon) {
    const answer = result.answers.carbon;
    out.carbon = { grid: result.carbon, answer, current: valueAt(answer.series, nowMs) };
    if (result.carbonErrors) out.carbon.errors = result.carbonErrors;
  }
  const priceAnswer = result.answers.price;
  if (wantPrice && priceAnswer) {
    const grid = result.price ?? {
      startMs: fromMs,
      stepMin,
      values: new Float64Array(result.carbon.values.length).fill(Number.NaN),
    };
    out.price = {
      grid,
      answer: priceAnswer,
      current: valueAt(priceAnswer.series, nowMs),
      currency: result.currency ?? null,
    };
  }
  return out;
}
