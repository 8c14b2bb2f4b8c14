/**
 * Trace replay: puts every load of a workload where a policy would have put it, deciding on the forecast
 * known at each decision time, and scores the outcome on the actual values against the run-now baseline.
 * The steps, each in a module of its own: the common grid (grid.ts), the loads on it (placement.ts), what
 * the policies know when (views.ts), the decisions (decisions.ts), the score (scoring.ts).
 */
import { InputError } from '../core/errors.ts';
import { type Objective, objectiveName } from '../core/objective.ts';
import { DEFAULT_THRESHOLD, type PolicyName } from '../planner/policies.ts';
import { lookSlotsFor } from '../planner/stopping.ts';
import { SAMPLED_PATHS } from '../signals/forecast-errors.ts';
import { decideAtSubmit, decideWithReplanning } from './decisions.ts';
import { type ForecastMode, forecastModeName, type IssuedForecast } from './forecast-modes.ts';
import { buildGrid, type SeriesInput } from './grid.ts';
import { placeLoads } from './placement.ts';
import type { LoadResult, SimulationTotals } from './scoring.ts';
import { scoreLoads } from './scoring.ts';
import { forecastView } from './views.ts';
import type { WorkloadLoad } from './workload.ts';

export type { SeriesInput } from './grid.ts';
export type { LoadResult, RunPiece, SimulationTotals } from './scoring.ts';
export { savingsPct } from './scoring.ts';

export interface SimulationInput {
  /** actual carbon intensity (g/kWh) per zone; the order of the zones is kept */
  carbon: Record<string, SeriesInput>;
  /** actual price per kWh per zone; when given, every zone a load may use needs one */
  prices?: Record<string, SeriesInput>;
  loads: readonly WorkloadLoad[];
  policy: PolicyName;
  /** default perfect */
  forecast?: ForecastMode;
  /** issued forecasts per zone, for the `issued` forecast mode */
  issued?: Record<string, readonly IssuedForecast[]>;
  /**
   * standard deviation (g/kWh) of each zone's white (slot-to-slot independent) forecast error, which the
   * `optimal` policy plans around; zones not named get the mode's own (`forecastErrorSd`): REL × mean for
   * `noise` and `horizon`, 0 otherwise
   */
  forecastErrorSd?: Record<string, number>;
  /** re-decide pending loads whenever new forecast information arrives */
  replan?: boolean;
  /** default carbon */
  objective?: Objective;
  /** planning grid in minutes, default 30 */
  stepMin?: number;
  /** threshold policy: run at once below this intensity (g/kWh), default 200 */
  thresholdGPerKwh?: number;
  /** threshold policy: how far a start may be delayed, in hours, default 4 */
  horizonH?: number;
  /**
   * replanning: re-decide every pending load at every step, not only when its forecast changed. Slower; the
   * result is the same (tests check the incremental replanning against it)
   */
  redecideEveryStep?: boolean;
  /**
   * replanning `optimal` past a forecast's end: the sampled paths weighed before a one-piece load starts
   * (planner/stopping.ts; default 32; 0 starts it when planned, as before this rule)
   */
  waitPaths?: number;
  /** called now and then with the work done so far and the total (loads, or slots when replanning) */
  onProgress?: (done: number, total: number) => void;
}

/** The result JSON of `gridshift simulate` (docs/simulate.md; a stable contract). */
export interface SimulationResult {
  policy: PolicyName;
  forecast: string;
  objective: string;
  stepMin: number;
  totals: SimulationTotals;
  loads: LoadResult[];
  elapsedMs: number;
}

export const DEFAULT_STEP_MIN = 30;
export const DEFAULT_HORIZON_H = 4;
/** the most sampled futures the stopping rule may weigh per decision */
export const MAX_WAIT_PATHS = 1000;

/** Runs a simulation on series and loads already in memory. */
export function runSimulation(input: SimulationInput): SimulationResult {
  const t0 = performance.now();
  const stepMin = input.stepMin ?? DEFAULT_STEP_MIN;
  if (!(Number.isInteger(stepMin) && stepMin > 0))
    throw new InputError(`--step must be a whole number of minutes > 0, got ${stepMin}`);
  const waitPaths = input.waitPaths ?? SAMPLED_PATHS;
  if (!(Number.isInteger(waitPaths) && waitPaths >= 0 && waitPaths <= MAX_WAIT_PATHS))
    throw new InputError(`--wait-paths must be a whole number from 0 to ${MAX_WAIT_PATHS}, got ${waitPaths}`);
  const objective = input.objective ?? { kind: 'carbon' };
  const mode = input.forecast ?? { kind: 'perfect' };
  const { policy } = input;

  const grid = buildGrid(input.carbon, input.prices, stepMin, objective);
  const prepared = placeLoads(input.loads, grid);
  const view = forecastView(grid, {
    policy,
    objective,
    mode,
    issued: input.issued,
    forecastErrorSd: input.forecastErrorSd,
  });
  const ctx = {
    grid,
    view,
    policy,
    threshold: {
      thresholdGPerKwh: input.thresholdGPerKwh ?? DEFAULT_THRESHOLD.thresholdGPerKwh,
      horizonSlots: Math.floor(((input.horizonH ?? DEFAULT_HORIZON_H) * 60) / stepMin + 1e-9),
    },
    redecideEveryStep: input.redecideEveryStep,
    waitPaths,
    waitLookSlots: lookSlotsFor(stepMin),
    onProgress: input.onProgress,
  };
  const decidable = prepared.filter((p) => !p.noRoom && policy !== 'run-now');
  if (view.dynamic && input.replan) decideWithReplanning(ctx, decidable);
  else decideAtSubmit(ctx, decidable);

  const { loads, totals } = scoreLoads(prepared, grid);
  return {
    policy,
    forecast: forecastModeName(mode),
    objective: objectiveName(objective),
    stepMin,
    totals,
    loads,
    elapsedMs: Math.round(performance.now() - t0),
  };
}
