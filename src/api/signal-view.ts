import { z } from 'zod';
import { zoneConfig } from '../core/config.ts';
import type { Grid, Metric, Series } from '../core/series.ts';
import { floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import type { Zone } from '../core/zones.ts';
import type { CarbonErrors } from '../signals/carbon-errors.ts';
import { carbonLevel, isCleanNow, QUALITY_LEVELS, relativeLevel } from '../signals/quality.ts';
import type { SignalAnswer } from '../signals/registry.ts';
import type { ApiContext } from './context.ts';
import { isoTime } from './schemas.ts';
import { num } from './views.ts';

/**
 * A zone's grid now and over the coming hours, as /v1/signals shows it and /v1/decide uses it: current
 * carbon intensity and price, quality levels, "clean now?", where the numbers came from and whether they
 * are degraded, and the forecast on a regular grid.
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

export interface SnapshotOptions {
  metric: MetricChoice;
  hours: number;
  stepMin: number;
  /** "clean now" also requires the intensity to be below this, g/kWh */
  thresholdG?: number;
}

const levelSchema = z.enum(QUALITY_LEVELS as [string, ...string[]]).nullable();

const sourceFields = {
  source: z.string().nullable().describe('the sources that answered, joined with +'),
  degraded: z.boolean(),
  reasons: z.array(z.string()).describe('why the values are degraded'),
  policy: z
    .enum(['open', 'closed'])
    .optional()
    .describe('set when no source answered: open = loads run at baseline, closed = loads are held'),
};

export const snapshotSchema = z
  .object({
    zone: z.string(),
    name: z.string(),
    timeZone: z.string(),
    at: isoTime,
    stepMin: z.number().int(),
    hours: z.number(),
    carbon: z
      .object({
        metric: z.enum(['carbon_average', 'carbon_marginal']),
        unit: z.literal('gCO2eq/kWh'),
        current: z.number().nullable(),
        level: levelSchema.describe('absolute quality band of the current value'),
        relativeLevel: levelSchema.describe("quality of the current value among the zone's coming hours"),
        cleanNow: z.boolean(),
        reason: z.string(),
        forecastMean: z.number().nullable(),
        forecastFrom: isoTime.optional().describe('where forecast values begin'),
        ...sourceFields,
      })
      .optional(),
    price: z
      .object({
        unit: z.string().nullable(),
        currency: z.string().nullable(),
        current: z.number().nullable(),
        relativeLevel: levelSchema,
        forecastFrom: isoTime.optional().describe('where forecast values begin'),
        ...sourceFields,
      })
      .optional(),
    forecast: z.array(
      z.object({
        start: isoTime,
        carbon: z.number().nullable().optional(),
        level: levelSchema.optional(),
        price: z.number().nullable().optional(),
      }),
    ),
  })
  .meta({ id: 'ZoneSignals' });

export type Snapshot = z.infer<typeof snapshotSchema>;

function sourceInfo(answer: SignalAnswer) {
  return {
    source: answer.sources.join('+') || null,
    degraded: answer.degraded,
    reasons: answer.reasons,
    ...(answer.policy ? { policy: answer.policy } : {}),
  };
}

/** What reading a zone's grid needs: the signal registry and the configuration. */
export type SignalDeps = Pick<ApiContext, 'registry' | 'config'>;

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

/** The values from the slot holding now on: what "clean now" and the relative levels compare with. */
export const comingValues = (grid: Grid, grids: ZoneGrids): Float64Array =>
  grid.values.subarray(grids.nowIndex);

/** The carbon part of a snapshot: the current value, its levels, "clean now?" and where it came from. */
export function carbonNow(
  ctx: ApiContext,
  zone: Zone,
  grids: ZoneGrids,
  thresholdG?: number,
): Snapshot['carbon'] | undefined {
  if (!grids.carbon) return undefined;
  const { grid, answer, current } = grids.carbon;
  const coming = comingValues(grid, grids);
  const clean = isCleanNow(current, coming, { thresholdG });
  return {
    metric: carbonMetricOf(ctx, zone) as 'carbon_average' | 'carbon_marginal',
    unit: 'gCO2eq/kWh',
    current: num(current),
    level: carbonLevel(current) ?? null,
    relativeLevel: relativeLevel(current, coming) ?? null,
    cleanNow: clean.clean,
    reason: clean.reason,
    forecastMean: num(clean.forecastMean),
    ...(answer.forecastFromMs !== undefined ? { forecastFrom: toIso(answer.forecastFromMs) } : {}),
    ...sourceInfo(answer),
  };
}

/** The price part of a snapshot: the current price, its level among the coming hours, the sources. */
export function priceNow(grids: ZoneGrids): Snapshot['price'] | undefined {
  if (!grids.price) return undefined;
  const { grid, answer, current, currency } = grids.price;
  return {
    unit: answer.series?.unit ?? null,
    currency,
    current: num(current),
    relativeLevel: relativeLevel(current, comingValues(grid, grids)) ?? null,
    ...(answer.forecastFromMs !== undefined ? { forecastFrom: toIso(answer.forecastFromMs) } : {}),
    ...sourceInfo(answer),
  };
}

export async function zoneSnapshot(ctx: ApiContext, zone: Zone, options: SnapshotOptions): Promise<Snapshot> {
  const nowMs = ctx.nowMs();
  const grids = await zoneGrids(ctx, zone, { ...options, nowMs });
  const snapshot: Snapshot = {
    zone: zone.code,
    name: zone.name,
    timeZone: zone.timeZone,
    at: toIso(nowMs),
    stepMin: options.stepMin,
    hours: options.hours,
    forecast: [],
  };
  const carbon = carbonNow(ctx, zone, grids, options.thresholdG);
  if (carbon) snapshot.carbon = carbon;
  const price = priceNow(grids);
  if (price) snapshot.price = price;
  const n = Math.max(grids.carbon?.grid.values.length ?? 0, grids.price?.grid.values.length ?? 0);
  for (let i = 0; i < n; i++) {
    const row: Snapshot['forecast'][number] = {
      start: toIso(grids.fromMs + i * options.stepMin * MINUTE_MS),
    };
    if (grids.carbon) {
      const v = grids.carbon.grid.values[i] ?? Number.NaN;
      row.carbon = num(v);
      row.level = carbonLevel(v) ?? null;
    }
    if (grids.price) row.price = num(grids.price.grid.values[i] ?? Number.NaN);
    snapshot.forecast.push(row);
  }
  return snapshot;
}
