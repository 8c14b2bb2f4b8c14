import { z } from 'zod';
import type { HomeConfig } from '../core/home-config.ts';
import { zonedTimeToMs } from '../core/human-time.ts';
import { MINUTE_MS, toIso, zonedParts } from '../core/time.ts';
import type { HomeSetpoints } from '../optimize/home-horizon.ts';
import type { Db } from '../store/db.ts';
import {
  homeMeasurementsSince,
  homeSetpointsSince,
  latestHomePlan,
  type StoredHomePlan,
} from '../store/home.ts';
import { isoTime } from './schemas.ts';

/**
 * The home's plan and history as the API and the dashboard show them: the newest plan solved (its series,
 * flows, setpoints and totals against the baseline), and slot by slot what was asked of the home, what it
 * reported, and what today's plans saved against the baseline rule.
 */

const setpointsSchema = z
  .object({
    slotStart: isoTime,
    slotEnd: isoTime,
    battery: z
      .object({ mode: z.enum(['charge', 'discharge', 'idle']), powerKw: z.number(), socKwh: z.number() })
      .optional(),
    ev: z.object({ charging: z.boolean(), powerKw: z.number(), currentA: z.number() }).optional(),
    appliances: z.record(z.string(), z.enum(['on', 'off'])),
    grid: z.object({ importKw: z.number(), exportKw: z.number() }),
    curtailKw: z.number(),
  })
  .meta({ id: 'HomeSetpoints', description: 'what the home should do in the slot under way' });

const planSlotSchema = z.object({
  start: isoTime,
  loadKw: z.number(),
  pvKw: z.number(),
  importPrice: z.number().nullable(),
  exportPrice: z.number(),
  carbon: z.number().nullable(),
  importKw: z.number(),
  exportKw: z.number(),
  chargeKw: z.number(),
  dischargeKw: z.number(),
  curtailKw: z.number(),
  evKw: z.number(),
  socKwh: z.number().describe('state of charge at the end of the slot'),
  appliances: z.record(z.string(), z.number()).describe('1 where the appliance runs'),
});

const money = z.number().optional();

export const homePlanSchema = z
  .object({
    solvedAt: isoTime,
    reason: z
      .string()
      .describe('start, slot (a new slot began), inputs (a forecast or measurement changed), request'),
    status: z.string(),
    objective: z.union([z.enum(['cost', 'carbon']), z.object({ carbonPricePerKg: z.number() })]),
    start: isoTime,
    stepMin: z.number().int(),
    slots: z.number().int(),
    timeZone: z.string(),
    setpoints: setpointsSchema,
    totals: z.object({
      importKwh: z.number(),
      exportKwh: z.number(),
      cost: money,
      emissionsG: money,
      dischargeKwh: z.number(),
      curtailedKwh: z.number(),
    }),
    baseline: z.object({
      importKwh: z.number(),
      exportKwh: z.number(),
      cost: money,
      emissionsG: money,
      finalSocKwh: z.number(),
    }),
    savings: z.object({ cost: money, costPct: money, emissionsG: money, emissionsPct: money }),
    shortfalls: z.object({ evKwh: z.number(), finalSocKwh: z.number() }).optional(),
    series: z.array(planSlotSchema),
    sources: z.record(z.string(), z.string()),
    degraded: z.array(z.string()),
  })
  .meta({ id: 'HomePlan', description: 'the newest plan of the home, over its horizon' });

export type HomePlanView = z.infer<typeof homePlanSchema>;

const sum = (xs: readonly (number | undefined)[]): number | undefined =>
  xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, x) => a + (x ?? 0), 0);

export const homeHistorySchema = z
  .object({
    from: isoTime,
    to: isoTime,
    slots: z.array(
      z.object({
        start: isoTime,
        setpoints: setpointsSchema,
        planned: z
          .record(z.string(), z.unknown())
          .describe('the slot as planned, and the baseline from the same state'),
      }),
    ),
    measurements: z.array(
      z.object({
        at: isoTime,
        loadKw: z.number().nullable(),
        pvKw: z.number().nullable(),
        socKwh: z.number().nullable(),
        evEnergyKwh: z.number().nullable(),
        importKw: z.number().nullable(),
        exportKw: z.number().nullable(),
      }),
    ),
    today: z
      .object({
        from: isoTime,
        slots: z.number().int(),
        cost: money,
        baselineCost: money,
        savedCost: money,
        emissionsG: money,
        baselineEmissionsG: money,
        savedEmissionsG: money,
      })
      .describe("the slots since midnight in the home's time zone, as planned, against the baseline rule"),
  })
  .meta({ id: 'HomeHistory' });

export type HomeHistoryView = z.infer<typeof homeHistorySchema>;

type Json = Record<string, unknown>;

export function planView(home: HomeConfig, stored: StoredHomePlan): HomePlanView {
  const plan = stored.plan as Json;
  const series = (stored.scenario.series ?? {}) as Record<string, number[] | undefined>;
  const runs = (plan.appliances ?? []) as {
    scenarioId: string;
    applianceId: string;
    committedSlots?: number;
  }[];
  const slots = (plan.slots ?? []) as Json[];
  const stepMs = stored.stepMin * MINUTE_MS;
  const inputs = stored.inputs as { sources?: Record<string, string | undefined>; degraded?: string[] };
  return {
    solvedAt: toIso(stored.solvedMs),
    reason: stored.reason,
    status: String(plan.status),
    objective: home.objective,
    start: toIso(stored.startMs),
    stepMin: stored.stepMin,
    slots: stored.slots,
    timeZone: home.timeZone,
    setpoints: plan.setpoints as HomeSetpoints,
    totals: plan.totals as HomePlanView['totals'],
    baseline: plan.baseline as HomePlanView['baseline'],
    savings: plan.savings as HomePlanView['savings'],
    ...(plan.shortfalls ? { shortfalls: plan.shortfalls as HomePlanView['shortfalls'] } : {}),
    series: slots.map((s, t) => {
      const appliances: Record<string, number> = Object.fromEntries(home.appliances.map((a) => [a.id, 0]));
      const deferrable = (s.deferrable ?? {}) as Record<string, number>;
      for (const r of runs)
        if (deferrable[r.scenarioId] === 1 || t < (r.committedSlots ?? 0)) appliances[r.applianceId] = 1;
      return {
        start: toIso(stored.startMs + t * stepMs),
        loadKw: series.loadKw?.[t] ?? 0,
        pvKw: series.pvKw?.[t] ?? 0,
        importPrice: series.importPrice?.[t] ?? null,
        exportPrice: series.exportPrice?.[t] ?? 0,
        carbon: series.carbon?.[t] ?? null,
        importKw: Number(s.importKw),
        exportKw: Number(s.exportKw),
        chargeKw: Number(s.chargeKw),
        dischargeKw: Number(s.dischargeKw),
        curtailKw: Number(s.curtailKw),
        evKw: Number(s.evKw),
        socKwh: Number(s.socKwh),
        appliances,
      };
    }),
    sources: Object.fromEntries(
      Object.entries(inputs.sources ?? {}).filter(([, v]) => typeof v === 'string'),
    ) as Record<string, string>,
    degraded: inputs.degraded ?? [],
  };
}

/** The newest plan, or null before the first solve. */
export async function homePlanView(db: Db, home: HomeConfig): Promise<HomePlanView | null> {
  const stored = await latestHomePlan(db);
  return stored ? planView(home, stored) : null;
}

/** Midnight today in the home's time zone. */
function localMidnight(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  return zonedTimeToMs({ year: p.year, month: p.month, day: p.day, hour: 0, minute: 0 }, timeZone);
}

export async function homeHistoryView(
  db: Db,
  home: HomeConfig,
  nowMs: number,
  hours: number,
): Promise<HomeHistoryView> {
  const fromMs = nowMs - hours * 60 * MINUTE_MS;
  const midnight = localMidnight(nowMs, home.timeZone);
  const [setpoints, measurements] = await Promise.all([
    homeSetpointsSince(db, Math.min(fromMs, midnight)),
    homeMeasurementsSince(db, fromMs),
  ]);
  const today = setpoints.filter((s) => s.slotStartMs >= midnight && s.slotStartMs <= nowMs);
  const planned = (k: string) => today.map((s) => s.planned[k] as number | undefined);
  const base = (k: string) =>
    today.map((s) => (s.planned.baseline as Json | undefined)?.[k] as number | undefined);
  const cost = sum(planned('cost'));
  const baselineCost = sum(base('cost'));
  const emissionsG = sum(planned('emissionsG'));
  const baselineEmissionsG = sum(base('emissionsG'));
  return {
    from: toIso(fromMs),
    to: toIso(nowMs),
    slots: setpoints
      .filter((s) => s.slotStartMs >= fromMs - home.stepMin * MINUTE_MS)
      .map((s) => ({
        start: toIso(s.slotStartMs),
        setpoints: s.setpoints as unknown as HomeSetpoints,
        planned: s.planned,
      })),
    measurements: measurements.map((m) => ({
      at: toIso(m.atMs),
      loadKw: m.loadKw ?? null,
      pvKw: m.pvKw ?? null,
      socKwh: m.socKwh ?? null,
      evEnergyKwh: m.evEnergyKwh ?? null,
      importKw: m.importKw ?? null,
      exportKw: m.exportKw ?? null,
    })),
    today: {
      from: toIso(midnight),
      slots: today.length,
      cost,
      baselineCost,
      savedCost: cost !== undefined && baselineCost !== undefined ? baselineCost - cost : undefined,
      emissionsG,
      baselineEmissionsG,
      savedEmissionsG:
        emissionsG !== undefined && baselineEmissionsG !== undefined
          ? baselineEmissionsG - emissionsG
          : undefined,
    },
  };
}
