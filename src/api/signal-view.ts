import { z } from 'zod';
import type { Grid } from '../core/series.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import type { Zone } from '../core/zones.ts';
import { carbonLevel, isCleanNow, QUALITY_LEVELS, relativeLevel } from '../signals/quality.ts';
import type { SignalAnswer } from '../signals/registry.ts';
import { carbonMetricOf, type MetricChoice, type ZoneGrids, zoneGrids } from '../signals/zone-grids.ts';
import type { ApiContext } from './context.ts';
import { isoTime } from './schemas.ts';
import { num } from './views.ts';

export {
  carbonMetricOf,
  type MetricChoice,
  type SignalDeps,
  valueAt,
  type ZoneGrids,
  zoneGrids,
} from '../signals/zone-grids.ts';

/**
 * A zone's grid now and over the coming hours, as /v1/signals shows it and /v1/decide uses it: current
 * carbon intensity and price, quality levels, "clean now?", where the numbers came from and whether they
 * are degraded, and the forecast on a regular grid.
 */

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
