import type { Run } from '../core/load.ts';
import { type Grid, resample } from '../core/series.ts';
import { ceilToStep, floorToStep } from '../core/time.ts';
import { type AccountingDeps, carbonMetric, errorMessage } from '../runner/context.ts';
import type { SignalRecord } from '../runner/submit.ts';
import { lastDecisionOf } from '../store/audit.ts';
import type { Load } from '../store/loads.ts';
import { type Footprint, footprintOnGrid } from './emissions.ts';

/**
 * What runs emitted and cost: on the measured values of their slots where the zone's sources have them, else
 * on the forecast the load was planned on (its newest plan or replan decision), else on the zone's current
 * answer.
 */

/** Grid step for accounting, minutes: fine enough that partial slots are weighed exactly. */
const ACCOUNT_STEP_MIN = 5;

interface Valued {
  carbon: Grid;
  price?: Grid;
  currency?: string;
  source: string;
}

export interface Accounted {
  fp: Footprint;
  source: string;
}

/**
 * The footprints of all runs, of the failed ones alone (null: none failed; undefined: no values for them)
 * and of the counterfactual: on measured values when they cover both the runs and the counterfactual, else
 * on the forecast the load was planned on (null then with onlyIfActual).
 */
export async function footprints(
  ctx: AccountingDeps,
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
  ctx: AccountingDeps,
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
  ctx: AccountingDeps,
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
  ctx: AccountingDeps,
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
