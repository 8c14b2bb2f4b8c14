/**
 * `gridshift home simulate`: replays a household's measured year with model predictive control and scores
 * it against the baseline rule and the perfect-foresight optimum. Reads the files here (every problem an
 * InputError naming the file or field); the replays themselves are pure (home-mpc.ts, home-reference.ts).
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.ts';
import type { HomeConfig } from '../core/home-config.ts';
import { type Grid, type Point, resample } from '../core/series.ts';
import { DAY_MS, MINUTE_MS, toIso } from '../core/time.ts';
import type { Solver } from '../optimize/solve.ts';
import { readCsvSeries, readHouseholdCsv } from '../signals/csv.ts';
import { type RetailTariff, retailPrice } from '../signals/retail.ts';
import { type AlignedSpan, alignSeries } from './align.ts';
import type { HomeActuals, HomeTotals } from './home-ledger.ts';
import { type MpcInputs, type Realisation, replayMpc } from './home-mpc.ts';
import { blockBoundary, replayBaseline, replayPerfect } from './home-reference.ts';

export interface HomeSimulateOptions {
  household: string;
  prices: string;
  carbon?: string;
  home: HomeConfig;
  /** turns the spot prices of `prices` into what the household pays; absent = as in the file */
  retail?: RetailTariff;
  /** shift prices and carbon by whole years of 52 weeks onto the household's period where they do not cover it */
  alignYear: boolean;
  carbonForecast: 'model' | 'actual';
  /** how setpoints meet the actual load and PV (home-mpc.ts; default `absorb`) */
  realisation?: Realisation;
  /** replay only [fromMs, toMs) of the household file; default from its start plus `warmupDays` */
  fromMs?: number;
  toMs?: number;
  /** days at the start of the file that only teach the load forecaster, when `fromMs` is not given (default 7) */
  warmupDays?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface HomeSimulationInputs extends MpcInputs {
  sources: { household: string; prices: string; carbon?: string };
  alignment: { prices: AlignedSpan[]; carbon?: AlignedSpan[] };
  /** slots whose measured load was missing and filled in (see fillGaps) */
  filledLoadSlots: number;
  retail?: RetailTariff;
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the ${what} file (${code ?? (err as Error).message})`);
  }
}

/** Missing values linearly interpolated between the measured ones around them (held flat at the ends). */
export function fillGaps(values: Float64Array): { filled: Float64Array; count: number } {
  const filled = Float64Array.from(values);
  let count = 0;
  let prev = -1;
  for (let i = 0; i <= filled.length; i++) {
    if (i < filled.length && !Number.isFinite(filled[i])) continue;
    const gap = i - prev - 1;
    if (gap > 0) {
      const a = prev >= 0 ? filled[prev] : i < filled.length ? filled[i] : 0;
      const b = i < filled.length ? filled[i] : a;
      for (let k = prev + 1; k < i; k++) filled[k] = a + ((b - a) * (k - prev)) / (i - prev);
      count += gap;
    }
    prev = i;
  }
  return { filled, count };
}

function period(
  points: Point[],
  resolutionMin: number,
  opts: HomeSimulateOptions,
): { fileStart: number; startMs: number; endMs: number } {
  const stepMs = opts.home.stepMin * MINUTE_MS;
  const fileStart = Math.ceil(points[0].start / stepMs) * stepMs;
  const fileEnd = Math.floor((points[points.length - 1].start + resolutionMin * MINUTE_MS) / stepMs) * stepMs;
  const from = opts.fromMs ?? fileStart + (opts.warmupDays ?? DEFAULT_WARMUP_DAYS) * DAY_MS;
  const startMs = Math.max(fileStart, Math.ceil(from / stepMs) * stepMs);
  const endMs = Math.min(fileEnd, Math.floor((opts.toMs ?? fileEnd) / stepMs) * stepMs);
  if (endMs <= startMs)
    throw new InputError(
      `${opts.household}: no whole slot of ${opts.home.stepMin} min between ${toIso(startMs)} and ${toIso(endMs)} (the file covers ${toIso(fileStart)} to ${toIso(fileEnd)})`,
    );
  return { fileStart, startMs, endMs };
}

/** Days of household data the load forecaster learns from before a replay from the file's start is scored. */
export const DEFAULT_WARMUP_DAYS = 7;

/** A price or carbon CSV on a grid of `stepMin` slots; an InputError naming the file otherwise. */
export async function readGridFile(
  path: string,
  kind: 'price' | 'carbon',
  zone: string,
  stepMin: number,
): Promise<Grid> {
  const series = readCsvSeries(await readText(path, kind), { zone, source: `csv:${path}`, file: path });
  if ((series.metric === 'price') !== (kind === 'price'))
    throw new InputError(
      `${path}: expected a ${kind} file (${kind === 'price' ? 'timestamp,price' : 'timestamp,carbon_intensity'}), found a ${series.metric === 'price' ? 'price' : 'carbon'} file`,
    );
  if (series.points.length === 0) throw new InputError(`${path}: no data rows below the header`);
  return resample(series, stepMin);
}

/** Reads and lines up the household, price and carbon files on the home's slots. */
export async function readHomeSimulation(opts: HomeSimulateOptions): Promise<HomeSimulationInputs> {
  const { home } = opts;
  const stepMin = home.stepMin;
  const household = readHouseholdCsv(await readText(opts.household, 'household'), opts.household);
  const { fileStart, startMs, endMs } = period(household.loadKw, household.resolutionMin, opts);
  const target = { startMs, stepMin, slots: Math.round((endMs - startMs) / (stepMin * MINUTE_MS)) };
  const onGrid = (points: Point[]) =>
    resample({ points, resolutionMin: household.resolutionMin }, stepMin, { startMs, endMs }).values;
  const measuredLoadKw = onGrid(household.loadKw);
  const historyLoadKw = resample(
    { points: household.loadKw, resolutionMin: household.resolutionMin },
    stepMin,
    {
      startMs: fileStart,
      endMs: startMs,
    },
  ).values;
  const { filled: loadKw, count } = fillGaps(measuredLoadKw);
  const pvKw = onGrid(household.pvKw).map((v) => (Number.isFinite(v) ? v : 0));
  const pvForecastKw = onGrid(household.pvForecastKw).map((v) => (Number.isFinite(v) ? Math.max(0, v) : 0));
  const hint = 'pass --align-year to use it shifted by whole years of 52 weeks';
  const prices = alignSeries(await readGridFile(opts.prices, 'price', home.zone, stepMin), target, {
    allowShift: opts.alignYear,
    what: `--prices ${opts.prices}`,
    hint,
  });
  const retail = opts.retail;
  const importPrice = retail ? prices.values.map((p) => retailPrice(p, retail)) : prices.values;
  const carbon = opts.carbon
    ? alignSeries(await readGridFile(opts.carbon, 'carbon', home.zone, stepMin), target, {
        allowShift: opts.alignYear,
        what: `--carbon ${opts.carbon}`,
        hint,
      })
    : undefined;
  return {
    ...target,
    loadKw,
    measuredLoadKw,
    historyLoadKw,
    pvKw,
    pvForecastKw,
    importPrice,
    ...(carbon ? { carbon: carbon.values } : {}),
    carbonForecast: opts.carbonForecast,
    realisation: opts.realisation ?? 'absorb',
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    sources: {
      household: opts.household,
      prices: opts.prices,
      ...(opts.carbon ? { carbon: opts.carbon } : {}),
    },
    alignment: { prices: prices.spans, ...(carbon ? { carbon: carbon.spans } : {}) },
    filledLoadSlots: count,
    ...(retail ? { retail } : {}),
  };
}

export interface StrategySavings {
  cost: number;
  emissionsG?: number;
}

export interface HomeSimulationResult {
  period: { start: string; end: string; stepMin: number; slots: number };
  inputs: {
    household: string;
    prices: string;
    carbon?: string;
    retail?: RetailTariff;
    /** where the price and carbon values came from: shifted by `shiftWeeks` weeks, or as is (0) */
    alignment: { prices: AlignedSpan[]; carbon?: AlignedSpan[] };
    filledLoadSlots: number;
    carbonForecast?: 'model' | 'actual';
    realisation: Realisation;
  };
  objective: HomeConfig['objective'];
  baseline: HomeTotals;
  mpc: HomeTotals;
  perfect: HomeTotals;
  /**
   * What energy left in the battery at the end is worth, per kWh of SoC: the period's mean import price
   * times the discharge efficiency. Each strategy's `cost` less (final SoC - initial SoC) at this value is
   * `storageAdjustedCost`; savings and shares compare those, so a strategy that empties the battery
   * before the end gains nothing by it.
   */
  storedEnergyValuePerKwh: number;
  storageAdjustedCost: { baseline: number; mpc: number; perfect: number };
  /** baseline minus each, on the storage-adjusted cost */
  savings: { mpc: StrategySavings; perfect: StrategySavings };
  /** (baseline - mpc) / (baseline - perfect), per measure; null when perfect foresight saves nothing */
  shareOfOptimum: { cost: number | null; emissions?: number | null };
  perfectForesight: {
    method: string;
    blocks: number;
    blockStart: string;
    windowsSplit: boolean;
    mipGap: number;
  };
  mpcSolve: {
    steps: number;
    medianMs: number;
    p99Ms: number;
    maxMs: number;
    totalMs: number;
    meanHorizonHours: number;
    unplannedSlots: number;
  };
  elapsedMs: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const r = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function rounded(t: HomeTotals): HomeTotals {
  return Object.fromEntries(
    Object.entries(t).map(([k, v]) => [k, r(v, k === 'emissionsG' ? 1 : 4)]),
  ) as unknown as HomeTotals;
}

function share(base: number, mpc: number, perfect: number): number | null {
  const best = base - perfect;
  return best > 1e-9 ? r((base - mpc) / best, 4) : null;
}

/** Runs the three replays on the inputs and puts the result together. */
export function runHomeSimulation(
  home: HomeConfig,
  x: HomeSimulationInputs,
  solver: Solver,
  startedMs = performance.now(),
): HomeSimulationResult {
  const actuals: HomeActuals = x;
  const boundary = blockBoundary(home);
  const base = replayBaseline(home, actuals, boundary);
  const perfect = replayPerfect(home, actuals, solver, boundary);
  const mpc = replayMpc(home, x, solver);
  const times = Float64Array.from(mpc.stepMs).sort();
  const meanPrice = x.importPrice.reduce((a, b) => a + b, 0) / Math.max(1, x.slots);
  const storedValue = meanPrice * (home.battery?.dischargeEfficiency ?? 0);
  const initialSoc = home.battery?.initialSocKwh ?? 0;
  const adjusted = (t: HomeTotals) => t.cost - (t.finalSocKwh - initialSoc) * storedValue;
  const savingsOf = (t: HomeTotals): StrategySavings => ({
    cost: r(adjusted(base.totals) - adjusted(t)),
    ...(t.emissionsG !== undefined && base.totals.emissionsG !== undefined
      ? { emissionsG: r(base.totals.emissionsG - t.emissionsG, 1) }
      : {}),
  });
  const stepMs = x.stepMin * MINUTE_MS;
  const emissions =
    base.totals.emissionsG !== undefined &&
    mpc.totals.emissionsG !== undefined &&
    perfect.totals.emissionsG !== undefined
      ? share(base.totals.emissionsG, mpc.totals.emissionsG, perfect.totals.emissionsG)
      : undefined;
  return {
    period: {
      start: toIso(x.startMs),
      end: toIso(x.startMs + x.slots * stepMs),
      stepMin: x.stepMin,
      slots: x.slots,
    },
    inputs: {
      ...x.sources,
      ...(x.retail ? { retail: x.retail } : {}),
      alignment: x.alignment,
      filledLoadSlots: x.filledLoadSlots,
      ...(x.carbon ? { carbonForecast: x.carbonForecast } : {}),
      realisation: x.realisation ?? 'absorb',
    },
    objective: home.objective,
    baseline: rounded(base.totals),
    mpc: rounded(mpc.totals),
    perfect: rounded(perfect.totals),
    storedEnergyValuePerKwh: r(storedValue, 5),
    storageAdjustedCost: {
      baseline: r(adjusted(base.totals)),
      mpc: r(adjusted(mpc.totals)),
      perfect: r(adjusted(perfect.totals)),
    },
    savings: { mpc: savingsOf(mpc.totals), perfect: savingsOf(perfect.totals) },
    shareOfOptimum: {
      cost: share(adjusted(base.totals), adjusted(mpc.totals), adjusted(perfect.totals)),
      ...(emissions !== undefined ? { emissions } : {}),
    },
    perfectForesight: {
      method:
        'exact optimum of each local day with every series known, the SoC carried over from day to day, each day free to end at any SoC: a lower bound on the savings of the optimum over the whole period',
      blocks: perfect.blocks,
      blockStart: boundary.clock,
      windowsSplit: !boundary.quiet,
      mipGap: perfect.mipGap,
    },
    mpcSolve: {
      steps: x.slots,
      medianMs: r(quantile(times, 0.5), 2),
      p99Ms: r(quantile(times, 0.99), 2),
      maxMs: r(quantile(times, 1), 2),
      totalMs: Math.round(times.reduce((a, b) => a + b, 0)),
      meanHorizonHours: r((mpc.meanHorizonSlots * x.stepMin) / 60, 2),
      unplannedSlots: mpc.unplannedSlots,
    },
    elapsedMs: Math.round(performance.now() - startedMs),
  };
}
