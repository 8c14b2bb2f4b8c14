import { z } from 'zod';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { CLOUD_REGIONS, listZones, type Zone } from '../core/zones.ts';
import { forecastBand } from '../signals/carbon-errors.ts';
import { isBestNow } from '../signals/quality.ts';
import type { Load } from '../store/loads.ts';
import type { ApiContext } from './context.ts';
import { isoTime, loadStateSchema, runSchema } from './schemas.ts';
import { carbonNow, comingValues, priceNow, snapshotSchema, zoneGrids } from './signal-view.ts';
import { num } from './views.ts';
import { aliasesOf, cloudRegionSchema } from './zone-view.ts';

/**
 * What the dashboard's Now page needs in one answer: a zone's carbon intensity and price from some hours
 * back to the horizon (actual values, then forecast), the same "now" figures as /v1/signals (levels, "clean
 * now?", sources, degraded reasons), whether a clean or a cheapest-and-cleanest window is on, the windows of
 * the loads waiting to run there, and the zones and cloud regions for the picker. Where the carbon forecast is
 * the built-in one past the provider's horizon, each slot carries the 10-90 % band of its sampled errors. The signals come through
 * the registry and its cache like every other signal route: a warm request asks no provider.
 */

const zoneChoiceSchema = z
  .object({ code: z.string(), name: z.string(), country: z.string(), aliases: z.array(z.string()) })
  .meta({ id: 'ZoneChoice', description: 'a zone as the picker lists it' });

const waitingLoadSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    state: loadStateSchema,
    plannedStart: isoTime.nullable(),
    deadline: isoTime,
    runs: z.array(runSchema).describe('the planned runs in this zone'),
  })
  .meta({ id: 'DashboardLoad', description: 'a load waiting to run in the zone, with its planned runs' });

export const dashboardSchema = z
  .object({
    at: isoTime,
    zone: z.object({ code: z.string(), name: z.string(), timeZone: z.string() }),
    stepMin: z.number().int(),
    from: isoTime.describe('start of the first slot of `series`'),
    to: isoTime.describe('end of the last slot of `series`'),
    carbon: snapshotSchema.shape.carbon,
    price: snapshotSchema.shape.price,
    series: z
      .array(
        z.object({
          start: isoTime,
          carbon: z.number().nullable(),
          price: z.number().nullable(),
          carbonBand: z
            .tuple([z.number(), z.number()])
            .optional()
            .describe(
              "10-90 % band of the carbon forecast, where it is the built-in forecast past the provider's",
            ),
        }),
      )
      .describe(
        'carbon intensity (gCO2eq/kWh) and price per slot: actual values, then forecast from ' +
          '`carbon.forecastFrom` / `price.forecastFrom`',
      ),
    windows: z.object({
      clean: z.boolean().describe('"clean now?" of the carbon figures: a clean window is on'),
      bestNow: z
        .boolean()
        .describe(
          'the slot holding now is the cleanest (and cheapest, where prices are known) of the horizon',
        ),
    }),
    loads: z
      .array(waitingLoadSchema)
      .describe('planned and waiting loads planned in this zone, soonest first'),
    scheduler: z.boolean().describe('false when this server runs without a scheduler: no loads, no events'),
    zones: z.array(zoneChoiceSchema),
    cloudRegions: z.array(cloudRegionSchema),
  })
  .meta({ id: 'Dashboard' });

export type Dashboard = z.infer<typeof dashboardSchema>;

export interface DashboardOptions {
  /** hours past the slot holding now */
  hours: number;
  /** hours before it */
  pastHours: number;
  stepMin: number;
  /** "clean now" also requires the intensity below this, g/kWh */
  thresholdG?: number;
}

/** The zone shown when none is asked for: the first one the configuration names, else Germany. */
export function defaultZoneCode(ctx: ApiContext): string {
  return Object.keys(ctx.config.zones)[0] ?? 'DE';
}

export async function dashboardView(
  ctx: ApiContext,
  zone: Zone,
  options: DashboardOptions,
): Promise<Dashboard> {
  const nowMs = ctx.nowMs();
  const { stepMin } = options;
  const [grids, loads] = await Promise.all([
    zoneGrids(ctx, zone, {
      metric: 'all',
      hours: options.hours,
      pastHours: options.pastHours,
      stepMin,
      nowMs,
    }),
    waitingLoads(ctx, zone),
  ]);
  const carbon = carbonNow(ctx, zone, grids, options.thresholdG);
  const price = priceNow(grids);
  const slots = Math.max(grids.carbon?.grid.values.length ?? 0, grids.price?.grid.values.length ?? 0);
  const stepMs = stepMin * MINUTE_MS;
  const band = grids.carbon?.errors ? forecastBand(grids.carbon.grid, grids.carbon.errors) : undefined;
  const series: Dashboard['series'] = [];
  for (let i = 0; i < slots; i++) {
    const low = band?.low[i] ?? Number.NaN;
    const high = band?.high[i] ?? Number.NaN;
    series.push({
      start: toIso(grids.fromMs + i * stepMs),
      carbon: num(grids.carbon?.grid.values[i]),
      price: num(grids.price?.grid.values[i]),
      ...(Number.isFinite(low) && Number.isFinite(high)
        ? { carbonBand: [low, high] as [number, number] }
        : {}),
    });
  }
  const bestNow =
    grids.carbon !== undefined &&
    isBestNow(
      grids.carbon.current,
      comingValues(grids.carbon.grid, grids),
      grids.price?.current,
      grids.price ? comingValues(grids.price.grid, grids) : undefined,
    );
  return {
    at: toIso(nowMs),
    zone: { code: zone.code, name: zone.name, timeZone: zone.timeZone },
    stepMin,
    from: toIso(grids.fromMs),
    to: toIso(grids.fromMs + slots * stepMs),
    ...(carbon ? { carbon } : {}),
    ...(price ? { price } : {}),
    series,
    windows: { clean: carbon?.cleanNow ?? false, bestNow },
    loads,
    scheduler: ctx.hasScheduler,
    zones: listZones().map((z) => ({
      code: z.code,
      name: z.name,
      country: z.country,
      aliases: aliasesOf(z.code),
    })),
    cloudRegions: [...CLOUD_REGIONS],
  };
}

/** Loads not started yet whose plan runs in the zone, soonest first. */
async function waitingLoads(ctx: ApiContext, zone: Zone): Promise<Dashboard['loads']> {
  if (!ctx.hasScheduler) return [];
  const page = await ctx.scheduler().list({ state: ['planned', 'waiting'], zone: zone.code, limit: 200 });
  return page.loads
    .filter((load) => load.plan?.zone === zone.code)
    .sort((a, b) => startOf(a) - startOf(b))
    .map((load) => ({
      id: load.id,
      name: load.name,
      state: load.state,
      plannedStart: load.plannedStartMs === null ? null : toIso(load.plannedStartMs),
      deadline: toIso(load.deadlineMs),
      runs: (load.plan?.runs ?? []).map((r) => ({ start: toIso(r.startMs), end: toIso(r.endMs) })),
    }));
}

const startOf = (load: Load) => load.plannedStartMs ?? load.plan?.runs[0]?.startMs ?? load.deadlineMs;
