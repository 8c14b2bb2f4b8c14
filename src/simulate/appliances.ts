/**
 * What the autopilot does to a household's appliance runs over a period of real prices and carbon, per
 * strategy, against running each at once. Each run starts when the household starts it. A delegated
 * `delay_start` appliance is then held while the strategy's penalty is above the threshold and started
 * when it falls to it or below, the autopilot's own rule (home/priority.ts, rule 4). A run that would miss
 * the household's latest end is started by hand at the last moment (an override, rule 1). Pure.
 */
import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import { assertTimeZone, zonedTimeToMs } from '../core/human-time.ts';
import type { Grid } from '../core/series.ts';
import { DAY_MS, MINUTE_MS, zonedParts } from '../core/time.ts';
import { penaltyTimeline, type Strategy } from '../planner/strategies.ts';
import { type RetailTariff, retailPrice } from '../signals/retail.ts';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM');

export const devicesFileSchema = z.strictObject({
  timeZone: z.string().min(1).default('UTC'),
  appliances: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        powerKw: z.number().positive(),
        runMin: z.number().int().positive(),
        /** when the household starts it, daily */
        startsAt: clock,
        /** it must have finished by then (the next day when at or before startsAt) */
        latestEnd: clock,
        days: z.enum(['daily', 'weekdays', 'weekends']).default('daily'),
      }),
    )
    .min(1, 'give at least one appliance'),
});

export type DevicesFile = z.infer<typeof devicesFileSchema>;

/** A devices file's JSON, checked; an InputError naming the field otherwise. */
export function parseDevicesFile(raw: unknown): DevicesFile {
  const parsed = devicesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new InputError(`${key || 'devices'}: ${issue.message}`);
  }
  assertTimeZone(parsed.data.timeZone, 'timeZone');
  return parsed.data;
}

export interface ApplianceTotals {
  runs: number;
  /** runs started later than the household started them */
  delayedRuns: number;
  /** runs the household started by hand at their last moment */
  forcedRuns: number;
  meanDelayMin: number;
  energyKwh: number;
  cost: number;
  emissionsG: number;
}

export interface ApplianceResult {
  atOnce: ApplianceTotals;
  byStrategy: Record<Strategy, ApplianceTotals & { savedCostPct: number; savedEmissionsPct: number }>;
  /** runs left out: their slots have no price or carbon */
  skippedRuns: number;
}

interface Run {
  startSlot: number;
  latestStartSlot: number;
  slots: number;
  /** the share of its last slot it runs in (a 90-minute run in hourly slots: 0.5) */
  lastShare: number;
  powerKw: number;
}

/** Every run of the period: a start each day the appliance is used, with its latest start. */
function runsOf(file: DevicesFile, grid: Grid): Run[] {
  const stepMs = grid.stepMin * MINUTE_MS;
  const n = grid.values.length;
  const endMs = grid.startMs + n * stepMs;
  const runs: Run[] = [];
  for (let dayMs = grid.startMs - DAY_MS; dayMs < endMs + DAY_MS; dayMs += DAY_MS) {
    const p = zonedParts(dayMs, file.timeZone);
    const weekend = p.weekday === 0 || p.weekday === 6;
    for (const a of file.appliances) {
      if ((a.days === 'weekdays' && weekend) || (a.days === 'weekends' && !weekend)) continue;
      const [sh, sm] = a.startsAt.split(':').map(Number);
      const [eh, em] = a.latestEnd.split(':').map(Number);
      const startMs = zonedTimeToMs(
        { year: p.year, month: p.month, day: p.day, hour: sh, minute: sm },
        file.timeZone,
      );
      const endDay = eh * 60 + em <= sh * 60 + sm ? p.day + 1 : p.day;
      const latestEndMs = zonedTimeToMs(
        { year: p.year, month: p.month, day: endDay, hour: eh, minute: em },
        file.timeZone,
      );
      const slots = Math.ceil(a.runMin / grid.stepMin);
      const startSlot = Math.ceil((startMs - grid.startMs) / stepMs);
      const latestStartSlot = Math.max(startSlot, Math.floor((latestEndMs - grid.startMs) / stepMs) - slots);
      if (startSlot < 0 || latestStartSlot + slots > n) continue;
      runs.push({
        startSlot,
        latestStartSlot,
        slots,
        lastShare: a.runMin / grid.stepMin - (slots - 1),
        powerKw: a.powerKw,
      });
    }
  }
  return runs.sort((x, y) => x.startSlot - y.startSlot);
}

function totals(): ApplianceTotals {
  return { runs: 0, delayedRuns: 0, forcedRuns: 0, meanDelayMin: 0, energyKwh: 0, cost: 0, emissionsG: 0 };
}

export function simulateAppliances(
  file: DevicesFile,
  signals: { carbon: Grid; price: Grid },
  options: { strategies?: Strategy[]; threshold?: number } = {},
): ApplianceResult {
  const { carbon, price } = signals;
  if (
    carbon.stepMin !== price.stepMin ||
    carbon.startMs !== price.startMs ||
    carbon.values.length !== price.values.length
  )
    throw new RangeError('carbon and price must share one grid');
  const strategies = options.strategies ?? ['balanced', 'max_savings', 'eco'];
  const threshold = options.threshold ?? 0.6;
  const dtH = carbon.stepMin / 60;
  const all = runsOf(file, carbon);
  const known = (r: Run) => {
    for (let t = r.startSlot; t < r.latestStartSlot + r.slots; t++)
      if (!Number.isFinite(carbon.values[t]) || !Number.isFinite(price.values[t])) return false;
    return true;
  };
  const runs = all.filter(known);
  const add = (acc: ApplianceTotals, r: Run, start: number) => {
    acc.runs++;
    for (let t = start; t < start + r.slots; t++) {
      const kwh = r.powerKw * dtH * (t === start + r.slots - 1 ? r.lastShare : 1);
      acc.energyKwh += kwh;
      acc.cost += kwh * price.values[t];
      acc.emissionsG += kwh * carbon.values[t];
    }
    if (start > r.startSlot) {
      acc.delayedRuns++;
      acc.meanDelayMin += (start - r.startSlot) * carbon.stepMin;
    }
  };
  const atOnce = totals();
  for (const r of runs) add(atOnce, r, r.startSlot);
  const pct = (saved: number, of: number) => (of === 0 ? 0 : (100 * saved) / Math.abs(of));
  const byStrategy = {} as ApplianceResult['byStrategy'];
  for (const strategy of strategies) {
    const penalty = penaltyTimeline(
      { startMs: carbon.startMs, stepMin: carbon.stepMin, carbon: carbon.values, price: price.values },
      strategy,
    ).values;
    const acc = totals();
    for (const r of runs) {
      let start = r.startSlot;
      while (start < r.latestStartSlot && penalty[start] > threshold) start++;
      if (start === r.latestStartSlot && penalty[start] > threshold) acc.forcedRuns++;
      add(acc, r, start);
    }
    acc.meanDelayMin = acc.delayedRuns ? acc.meanDelayMin / acc.delayedRuns : 0;
    byStrategy[strategy] = {
      ...acc,
      savedCostPct: pct(atOnce.cost - acc.cost, atOnce.cost),
      savedEmissionsPct: pct(atOnce.emissionsG - acc.emissionsG, atOnce.emissionsG),
    };
  }
  atOnce.meanDelayMin = 0;
  return { atOnce, byStrategy, skippedRuns: all.length - runs.length };
}

/** The span both grids cover (whole slots), each cut to it: what the appliance replay runs over. */
export function commonSpan(carbon: Grid, price: Grid): { carbon: Grid; price: Grid } {
  if (carbon.stepMin !== price.stepMin) throw new RangeError('carbon and price must have one step');
  const stepMs = carbon.stepMin * MINUTE_MS;
  const startMs = Math.max(carbon.startMs, price.startMs);
  const endMs = Math.min(
    carbon.startMs + carbon.values.length * stepMs,
    price.startMs + price.values.length * stepMs,
  );
  if (endMs <= startMs) throw new InputError('--prices and --carbon do not overlap in time');
  const cut = (g: Grid): Grid => {
    const from = Math.round((startMs - g.startMs) / stepMs);
    return {
      startMs,
      stepMin: g.stepMin,
      values: g.values.slice(from, from + Math.round((endMs - startMs) / stepMs)),
    };
  };
  return { carbon: cut(carbon), price: cut(price) };
}

/** The spot prices as the household pays them, when a retail tariff is given. */
export function retailGrid(price: Grid, retail: RetailTariff | undefined): Grid {
  return retail ? { ...price, values: price.values.map((p) => retailPrice(p, retail)) } : price;
}
