import type { Run } from '../core/load.ts';
import { DAY_MS, HOUR_MS } from '../core/time.ts';
import { type Accounting, type AccountingDeps, errorMessage, runZone } from '../runner/context.ts';
import { loadPowerKw } from '../runner/submit.ts';
import { type AccountingRecord, forecastAccounted, saveAccounting } from '../store/accounting.ts';
import { getLoad, type Load } from '../store/loads.ts';
import type { Footprint } from './emissions.ts';
import { buildReport, loadAccounting } from './reports.ts';
import { footprints } from './valuation.ts';

/**
 * After-the-fact accounting. A load that ran is accounted on the slots it actually used (its actual start
 * and end) with the measured carbon intensity and price of those slots, asked from the zone's sources after
 * the run. Where a source has no measured values yet (or never has: profiles, forecast-only sources), the
 * forecast the load was planned on is used and the record says `basis: forecast`. The counterfactual is the
 * same load (same duration and power) run at its earliest start in its home zone, on the same basis, so
 * savings compare like with like. Planner runs re-account forecast-based records for three days, upgrading
 * them once measured values are published.
 */

/** The scheduler's accounting (the runner's Accounting port) over its store and signals. */
export function createAccounting(deps: AccountingDeps): Accounting {
  return {
    account: async (load) => {
      await accountLoad(deps, load);
    },
    reaccountForecasts: (nowMs) => reaccountForecasts(deps, nowMs),
    ofLoad: (loadId) => loadAccounting(deps.store, loadId),
    report: (query) => buildReport(deps.store, query),
  };
}

/**
 * What a load emitted and cost, and its counterfactual; stored and returned. Null when nothing ran. What
 * counts is every attempt that ran: failed ones (their energy and emissions also reported on their own)
 * and the one that succeeded. The counterfactual is the load run once.
 */
export async function accountLoad(
  ctx: AccountingDeps,
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

/**
 * Re-accounts loads accounted on forecasts in the last three days whose measured values may be out now
 * (finished at least an hour ago); keeps the forecast record when they are not. Returns how many changed.
 */
export async function reaccountForecasts(ctx: AccountingDeps, nowMs: number, limit = 50): Promise<number> {
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
