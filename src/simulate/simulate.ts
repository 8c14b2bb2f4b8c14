/**
 * The simulator's programmatic entry: the same inputs as `gridshift simulate` (zones to CSV paths, a JSON
 * Lines workload, policy and forecast mode as text), read from files and run. Benchmarks call this.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.ts';
import { type Objective, parseObjective } from '../core/objective.ts';
import { POLICY_NAMES, type PolicyName } from '../planner/policies.ts';
import { readCsvSeries, readIssuedForecasts } from '../signals/csv.ts';
import { runSimulation, type SeriesInput, type SimulationInput, type SimulationResult } from './engine.ts';
import { type ForecastMode, type IssuedForecast, parseForecastMode } from './forecast-modes.ts';
import { readWorkload } from './workload.ts';

export interface SimulateOptions {
  /** zone -> carbon CSV path (`timestamp,carbon_intensity[,...]`); the first zone is the default home */
  carbon: Record<string, string>;
  /** zone -> price CSV path (`timestamp,price`) */
  prices?: Record<string, string>;
  /** JSON Lines workload path */
  workload: string;
  policy: PolicyName | string;
  /** `perfect` (default), `noise:REL[:SEED]`, `horizon:HOURS[:REL[:SEED]]`, `issued:PATH`, `model` */
  forecast?: string | ForecastMode;
  replan?: boolean;
  /** `carbon` (default), `cost`, `balanced`, `weights:WC,WP` */
  objective?: string | Objective;
  /** planning grid in minutes, default 30 */
  stepMin?: number;
  /** threshold policy: g/kWh, default 200 */
  thresholdGPerKwh?: number;
  /** threshold policy: hours a start may be delayed, default 4 */
  horizonH?: number;
  /** optimal policy: the known standard deviation of a zone's forecast error, g/kWh (see SimulationInput) */
  forecastErrorSd?: Record<string, number>;
  /** optimal policy with replanning: sampled paths weighed before a one-piece load starts (see SimulationInput) */
  waitPaths?: number;
  onProgress?: (done: number, total: number) => void;
}

export function parsePolicy(text: string): PolicyName {
  const t = text.trim().toLowerCase();
  if ((POLICY_NAMES as readonly string[]).includes(t)) return t as PolicyName;
  throw new InputError(`--policy "${text}" is not one of ${POLICY_NAMES.join(', ')}`);
}

export function parseObjectiveOption(text: string): Objective {
  try {
    return parseObjective(text);
  } catch (err) {
    throw new InputError(`--objective: ${(err as Error).message}`);
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the ${what} file (${code ?? (err as Error).message})`);
  }
}

async function readSeries(zone: string, path: string, kind: 'carbon' | 'price'): Promise<SeriesInput> {
  const text = await readText(path, kind);
  const series = readCsvSeries(text, { zone, source: `csv:${path}`, file: path });
  const isPrice = series.metric === 'price';
  if (isPrice !== (kind === 'price'))
    throw new InputError(
      `${path}: expected a ${kind} file (${kind === 'price' ? 'timestamp,price' : 'timestamp,carbon_intensity'}), found a ${isPrice ? 'price' : 'carbon'} file`,
    );
  return { points: series.points, resolutionMin: series.resolutionMin, source: path };
}

async function readIssued(zone: string, path: string): Promise<IssuedForecast[]> {
  const text = await readText(path, 'forecast');
  return readIssuedForecasts(text, { zone, source: `csv:${path}`, file: path }).map((s) => ({
    issuedAtMs: s.issuedAt ?? Number.NaN,
    points: s.points,
    resolutionMin: s.resolutionMin,
  }));
}

/** Reads the inputs named by `options` and runs the simulation. Bad input rejects with an InputError. */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  return runSimulation(await readInputs(options));
}

/** Reads and checks the files named by `options`: the in-memory input of `runSimulation`. */
export async function readInputs(options: SimulateOptions): Promise<SimulationInput> {
  const policy = parsePolicy(options.policy);
  const forecast =
    typeof options.forecast === 'string'
      ? parseForecastMode(options.forecast)
      : (options.forecast ?? { kind: 'perfect' });
  const objective =
    typeof options.objective === 'string' ? parseObjectiveOption(options.objective) : options.objective;
  const zones = Object.keys(options.carbon);
  if (zones.length === 0) throw new InputError('no carbon series: give at least one --carbon ZONE=PATH');
  let issuedZone: string | undefined;
  if (forecast.kind === 'issued') {
    issuedZone = forecast.zone ?? (zones.length === 1 ? zones[0] : undefined);
    if (!issuedZone)
      throw new InputError(
        `--forecast issued:PATH: with several --carbon zones (${zones.join(', ')}) say which zone the forecasts are for: issued:ZONE=PATH`,
      );
    if (!zones.includes(issuedZone))
      throw new InputError(`--forecast issued:${issuedZone}=...: zone ${issuedZone} has no --carbon series`);
  }
  const [carbon, prices, loads, issued] = await Promise.all([
    Promise.all(zones.map((z) => readSeries(z, options.carbon[z], 'carbon'))),
    Promise.all(Object.entries(options.prices ?? {}).map(([z, p]) => readSeries(z, p, 'price'))),
    readWorkload(options.workload),
    forecast.kind === 'issued' && issuedZone ? readIssued(issuedZone, forecast.path) : undefined,
  ]);
  const priceZones = Object.keys(options.prices ?? {});
  return {
    carbon: Object.fromEntries(zones.map((z, i) => [z, carbon[i]])),
    prices: priceZones.length ? Object.fromEntries(priceZones.map((z, i) => [z, prices[i]])) : undefined,
    loads,
    policy,
    forecast,
    issued: issued && issuedZone ? { [issuedZone]: issued } : undefined,
    replan: options.replan,
    objective,
    stepMin: options.stepMin,
    thresholdGPerKwh: options.thresholdGPerKwh,
    horizonH: options.horizonH,
    forecastErrorSd: options.forecastErrorSd,
    waitPaths: options.waitPaths,
    onProgress: options.onProgress,
  };
}
