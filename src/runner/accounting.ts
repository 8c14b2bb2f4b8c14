import { type Footprint, footprintOnGrid } from '../accounting/emissions.ts';
import type { Run } from '../core/load.ts';
import { type Grid, resample } from '../core/series.ts';
import { ceilToStep, DAY_MS, floorToStep, HOUR_MS } from '../core/time.ts';
import {
  type AccountingRecord,
  forecastAccounted,
  getAccounting,
  type ReportSum,
  reportSums,
  saveAccounting,
} from '../store/accounting.ts';
import { lastDecisionOf } from '../store/audit.ts';
import { getLoad, type Load } from '../store/loads.ts';
import { carbonMetric, errorMessage, runZone, type SchedulerContext } from './context.ts';
import type { LoadAccounting, Report, ReportQuery, ReportRow } from './service.ts';
import type { SignalRecord } from './submit.ts';
import { loadPowerKw } from './submit.ts';

/**
 * After-the-fact accounting. A load that ran is accounted on the slots it actually used (its actual start
 * and end) with the measured carbon intensity and price of those slots, asked from the zone's sources after
 * the run. Where a source has no measured values yet (or never has: profiles, forecast-only sources), the
 * forecast the load was planned on is used and the record says `basis: forecast`. The counterfactual is the
 * same load (same duration and power) run at its earliest start in its home zone, on the same basis, so
 * savings compare like with like. Planner runs re-account forecast-based records for three days, upgrading
 * them once measured values are published.
 */

/** Grid step for accounting, minutes: fine enough that partial slots are weighed exactly. */
const ACCOUNT_STEP_MIN = 5;

interface Valued {
  carbon: Grid;
  price?: Grid;
  currency?: string;
  source: string;
}

/**
 * What a load emitted and cost, and its counterfactual; stored and returned. Null when nothing ran. What
 * counts is every attempt that ran: failed ones (their energy and emissions also reported on their own)
 * and the one that succeeded. The counterfactual is the load run once.
 */
export async function accountLoad(
  ctx: SchedulerContext,
  load: Load,
  options: { onlyIfActual?: boolean } = {},
): Promise<AccountingRecord | null> {
  const succeededRuns = ranRuns(load);
  if (succeededRuns.length === 0) return null;
  const failedRuns = sortedRuns(load.failedRuns);
  const runs = sortedRuns([...succeededRuns, ...failedRuns]);
  const powerKw = loadPowerKw(load);
  const zone = runZone(load);
  const homeZone = load.zones[0] ?? zone;
  const baselineStart = load.baselineStartMs ?? Math.max(load.earliestMs, load.createdMs);
  const baselineRuns: Run[] = [{ startMs: baselineStart, endMs: baselineStart + runsMs(succeededRuns) }];
  const nowMs = ctx.now();
  const fps = await footprints(
    ctx,
    load,
    { zone, homeZone, runs, failedRuns, baselineRuns, powerKw, nowMs },
    options,
  );
  if (!fps) return null;
  const { run, base, failed, basis } = fps;
  const covered = (fp: Footprint) => fp.missingCarbonKwh < fp.energyKwh;
  const record: AccountingRecord = {
    loadId: load.id,
    name: load.name,
    tags: load.tags,
    zone,
    homeZone,
    startedMs: runs[0].startMs,
    finishedMs: Math.max(...runs.map((r) => r.endMs)),
    runs: succeededRuns,
    baselineRuns,
    energyKwh: (powerKw * runsMs(runs)) / HOUR_MS,
    failedEnergyKwh: (powerKw * runsMs(failedRuns)) / HOUR_MS,
    emissionsG: covered(run.fp) ? run.fp.emissionsG : null,
    failedEmissionsG: failed === null ? 0 : failed && covered(failed.fp) ? failed.fp.emissionsG : null,
    baselineEmissionsG: covered(base.fp) ? base.fp.emissionsG : null,
    cost: priced(run.fp),
    baselineCost: priced(base.fp),
    currency: run.fp.currency ?? base.fp.currency ?? null,
    basis,
    source: run.source === base.source ? run.source : `${run.source}; baseline ${base.source}`,
    detail: {
      missingCarbonKwh: run.fp.missingCarbonKwh,
      baselineMissingCarbonKwh: base.fp.missingCarbonKwh,
      ...(run.fp.missingPriceKwh ? { missingPriceKwh: run.fp.missingPriceKwh } : {}),
      ...(failedRuns.length ? { failedRuns } : {}),
      powerKw,
    },
    accountedMs: nowMs,
  };
  if (record.cost === null || record.baselineCost === null) {
    record.cost = null;
    record.baselineCost = null;
    record.currency = null;
  }
  return saveAccounting(ctx.store, record);
}

interface Accounted {
  fp: Footprint;
  source: string;
}

/**
 * The footprints of all runs, of the failed ones alone (null: none failed; undefined: no values for them)
 * and of the counterfactual: on measured values when they cover both the runs and the counterfactual, else
 * on the forecast the load was planned on (null then with onlyIfActual).
 */
async function footprints(
  ctx: SchedulerContext,
  load: Load,
  a: {
    zone: string;
    homeZone: string;
    runs: Run[];
    failedRuns: Run[];
    baselineRuns: Run[];
    powerKw: number;
    nowMs: number;
  },
  options: { onlyIfActual?: boolean },
): Promise<{
  run: Accounted;
  base: Accounted;
  failed: Accounted | null | undefined;
  basis: 'actual' | 'forecast';
} | null> {
  const measuredRun = await measured(ctx, a.zone, a.runs, a.powerKw, a.nowMs);
  const measuredBase = measuredRun
    ? await measured(ctx, a.homeZone, a.baselineRuns, a.powerKw, a.nowMs)
    : null;
  if (measuredRun && measuredBase) {
    const failed = a.failedRuns.length
      ? ((await measured(ctx, a.zone, a.failedRuns, a.powerKw, a.nowMs)) ?? undefined)
      : null;
    return { run: measuredRun, base: measuredBase, failed, basis: 'actual' };
  }
  if (options.onlyIfActual) return null;
  const decision = await lastDecisionOf(ctx.store, load.id);
  const records = ((decision?.inputs as { signals?: SignalRecord[] } | undefined)?.signals ??
    []) as SignalRecord[];
  const onForecast = (zone: string, runs: Run[]) =>
    forecastFootprint(ctx, records, zone, runs, a.powerKw, a.nowMs);
  return {
    run: await onForecast(a.zone, a.runs),
    base: await onForecast(a.homeZone, a.baselineRuns),
    failed: a.failedRuns.length ? await onForecast(a.zone, a.failedRuns) : null,
    basis: 'forecast',
  };
}

const sortedRuns = (runs: readonly Run[]): Run[] =>
  runs.filter((r) => r.endMs > r.startMs).sort((a, b) => a.startMs - b.startMs);

const runsMs = (runs: readonly Run[]): number => runs.reduce((s, r) => s + (r.endMs - r.startMs), 0);

/** The cost, when prices cover the whole run. */
function priced(fp: Footprint): number | null {
  if (fp.cost === undefined || fp.missingPriceKwh === undefined) return null;
  return fp.missingPriceKwh <= 1e-9 ? fp.cost : null;
}

/** The runs that happened: the recorded pieces, else the start and finish stamps. */
function ranRuns(load: Load): Run[] {
  const runs = sortedRuns(load.actualRuns);
  if (runs.length > 0) return runs;
  if (load.startedMs !== null && load.finishedMs !== null && load.finishedMs > load.startedMs) {
    return [{ startMs: load.startedMs, endMs: load.finishedMs }];
  }
  return [];
}

function span(runs: Run[]): { fromMs: number; toMs: number } {
  return {
    fromMs: floorToStep(Math.min(...runs.map((r) => r.startMs)), 60),
    toMs: ceilToStep(Math.max(...runs.map((r) => r.endMs)), 60),
  };
}

/**
 * The footprint on measured values, or null when any part of the runs has no measured carbon value
 * (a forecast, a gap, a typical profile).
 */
async function measured(
  ctx: SchedulerContext,
  zone: string,
  runs: Run[],
  powerKw: number,
  nowMs: number,
): Promise<Accounted | null> {
  const { fromMs, toMs } = span(runs);
  const lastEnd = Math.max(...runs.map((r) => r.endMs));
  if (lastEnd > nowMs) return null;
  const carbon = await ctx.registry
    .getSignal({ zone, metric: carbonMetric(ctx, zone), fromMs, toMs, nowMs })
    .catch(() => null);
  if (!carbon?.series) return null;
  if (carbon.forecastFromMs !== undefined && carbon.forecastFromMs < lastEnd) return null;
  const price = await ctx.registry
    .getSignal({ zone, metric: 'price', fromMs, toMs, nowMs })
    .catch(() => null);
  const measuredPrice =
    price?.series && (price.forecastFromMs === undefined || price.forecastFromMs >= lastEnd)
      ? price.series
      : undefined;
  const values: Valued = {
    carbon: resample(carbon.series, ACCOUNT_STEP_MIN, { startMs: fromMs, endMs: toMs }),
    source: carbon.sources.join('+') || carbon.source || 'unknown',
  };
  if (measuredPrice) {
    values.price = resample(measuredPrice, ACCOUNT_STEP_MIN, { startMs: fromMs, endMs: toMs });
    values.currency = measuredPrice.unit.split('/')[0];
  }
  const fp = footprintOnGrid(runs, powerKw, values);
  if (fp.missingCarbonKwh > 1e-9) return null;
  return { fp, source: values.source };
}

/** The footprint on the forecast the load was planned on; parts it does not cover use the current answer. */
async function forecastFootprint(
  ctx: SchedulerContext,
  records: SignalRecord[],
  zone: string,
  runs: Run[],
  powerKw: number,
  nowMs: number,
): Promise<{ fp: Footprint; source: string }> {
  const rec = records.find((r) => r.zone === zone);
  if (rec) {
    // a plan for carbon alone fetched no prices: the cost comes from the zone's price answer now
    const grids = gridsOf(rec);
    const fp = footprintOnGrid(
      runs,
      powerKw,
      grids.price ? grids : { ...grids, ...(await priceNow(ctx, zone, runs, nowMs)) },
    );
    if (fp.missingCarbonKwh <= 1e-9) {
      return { fp, source: `plan forecast (${rec.carbonSource})` };
    }
  }
  // not planned on this zone or window (run now, a retry much later): the zone's current answer
  const { fromMs, toMs } = span(runs);
  try {
    const answer = await ctx.registry.getZoneSignals(zone, {
      fromMs,
      toMs,
      nowMs,
      stepMin: ACCOUNT_STEP_MIN,
      metrics: [carbonMetric(ctx, zone), 'price'],
    });
    const fp = footprintOnGrid(runs, powerKw, {
      carbon: answer.carbon,
      ...(answer.price ? { price: answer.price, currency: answer.currency } : {}),
    });
    return { fp, source: `forecast (${answer.carbonSource})` };
  } catch (err) {
    ctx.log('warn', 'no signals to account a load on', { zone, error: errorMessage(err) });
    return {
      fp: footprintOnGrid(runs, powerKw, {
        carbon: { startMs: fromMs, stepMin: 60, values: new Float64Array(0) },
      }),
      source: 'none',
    };
  }
}

/** The zone's prices over `runs` as the registry answers now (measured or forecast), if it has any. */
async function priceNow(
  ctx: SchedulerContext,
  zone: string,
  runs: Run[],
  nowMs: number,
): Promise<{ price?: Grid; currency?: string }> {
  const { fromMs, toMs } = span(runs);
  const price = await ctx.registry
    .getSignal({ zone, metric: 'price', fromMs, toMs, nowMs })
    .catch(() => null);
  if (!price?.series) return {};
  return {
    price: resample(price.series, ACCOUNT_STEP_MIN, { startMs: fromMs, endMs: toMs }),
    currency: price.series.unit.split('/')[0],
  };
}

function gridsOf(rec: SignalRecord): { carbon: Grid; price?: Grid; currency?: string } {
  const grid = (vals: (number | null)[]): Grid => ({
    startMs: rec.startMs,
    stepMin: rec.stepMin,
    values: Float64Array.from(vals, (v) => (v === null ? Number.NaN : v)),
  });
  const out: { carbon: Grid; price?: Grid; currency?: string } = { carbon: grid(rec.carbon) };
  if (rec.price) {
    out.price = grid(rec.price);
    if (rec.currency) out.currency = rec.currency;
  }
  return out;
}

/**
 * Re-accounts loads accounted on forecasts in the last three days whose measured values may be out now
 * (finished at least an hour ago); keeps the forecast record when they are not. Returns how many changed.
 */
export async function reaccountForecasts(ctx: SchedulerContext, nowMs: number, limit = 50): Promise<number> {
  let upgraded = 0;
  for (const id of await forecastAccounted(ctx.store, nowMs - 3 * DAY_MS, nowMs - HOUR_MS, limit)) {
    const load = await getLoad(ctx.store, id);
    if (!load) continue; // purged: its record stays as it is
    try {
      if (await accountLoad(ctx, load, { onlyIfActual: true })) upgraded++;
    } catch (err) {
      ctx.log('warn', 'could not re-account a load', { loadId: id, error: errorMessage(err) });
    }
  }
  return upgraded;
}

export function toLoadAccounting(a: AccountingRecord): LoadAccounting {
  return {
    energyKwh: a.energyKwh,
    emissionsG: a.emissionsG ?? Number.NaN,
    failedEnergyKwh: a.failedEnergyKwh,
    failedEmissionsG: a.failedEmissionsG ?? Number.NaN,
    baselineEmissionsG: a.baselineEmissionsG ?? Number.NaN,
    cost: a.cost,
    baselineCost: a.baselineCost,
    currency: a.currency,
    basis: a.basis,
    source: a.source,
  };
}

export async function loadAccounting(ctx: SchedulerContext, loadId: string): Promise<LoadAccounting | null> {
  const a = await getAccounting(ctx.store, loadId);
  return a ? toLoadAccounting(a) : null;
}

/** Energy, emissions, cost and savings of what ran, grouped; totals count each load once. */
export async function buildReport(ctx: SchedulerContext, query: ReportQuery): Promise<Report> {
  const { groupBy: group = 'none', ...filter } = query;
  const [sums, totals] = await Promise.all([
    reportSums(ctx.store, group, filter),
    group === 'none' ? Promise.resolve(null) : reportSums(ctx.store, 'none', filter),
  ]);
  const rows = sums.map(toRow);
  const total = totals ? totals[0] : sums[0];
  const { key: _key, ...totalsRow } = total ? toRow(total) : emptyRow();
  return { query, rows, totals: totalsRow };
}

function toRow(s: ReportSum): ReportRow {
  const savingsG = s.baselineEmissionsG - s.emissionsG;
  const costSaved = s.cost !== null && s.baselineCost !== null ? s.baselineCost - s.cost : null;
  return {
    key: s.key,
    loads: s.loads,
    energyKwh: s.energyKwh,
    emissionsG: s.emissionsG,
    baselineEmissionsG: s.baselineEmissionsG,
    savingsG,
    savingsPct: s.baselineEmissionsG > 0 ? (100 * savingsG) / s.baselineEmissionsG : 0,
    cost: s.cost,
    baselineCost: s.baselineCost,
    costSavingsPct:
      costSaved !== null && s.baselineCost !== null && s.baselineCost !== 0
        ? (100 * costSaved) / Math.abs(s.baselineCost)
        : null,
    currency: s.currency,
    forecastBasis: s.forecastBasis,
    failedEnergyKwh: s.failedEnergyKwh,
    failedEmissionsG: s.failedEmissionsG,
  };
}

function emptyRow(): ReportRow {
  return {
    key: 'all',
    loads: 0,
    energyKwh: 0,
    emissionsG: 0,
    baselineEmissionsG: 0,
    savingsG: 0,
    savingsPct: 0,
    cost: null,
    baselineCost: null,
    costSavingsPct: null,
    currency: null,
    forecastBasis: 0,
    failedEnergyKwh: 0,
    failedEmissionsG: 0,
  };
}
