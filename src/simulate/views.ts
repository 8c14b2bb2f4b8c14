/**
 * What the policies know at each decision time: the forecast of every zone on the grid (perfect, noisy,
 * limited by a horizon, issued, or the built-in model), and for `optimal` its estimate past the forecast's
 * end (lookahead.ts) and the expected actual values given a known forecast error (planner/denoise.ts),
 * written into each zone's scores and prefix sums for the objective.
 */
import { InputError } from '../core/errors.ts';
import type { Objective } from '../core/objective.ts';
import { DAY_MS } from '../core/time.ts';
import { expectedActuals, type PastActuals, roughness } from '../planner/denoise.ts';
import { slotScores } from '../planner/objectives.ts';
import { denoisesForecast, fillsUnknown, type PolicyName } from '../planner/policies.ts';
import { prefixSums } from '../planner/windows.ts';
import {
  createKnowledge,
  type ForecastMode,
  forecastErrorSd,
  type IssuedForecast,
  type ZoneActuals,
} from './forecast-modes.ts';
import { type SimGrid, slotMs, type ZoneState } from './grid.ts';
import { lookAhead } from './lookahead.ts';

export interface ForecastView {
  /** the view depends on the decision time (a horizon, issued forecasts, or denoising) */
  perDecision: boolean;
  /** the forecast itself changes as time passes, so replanning has something to react to */
  dynamic: boolean;
  /** moves the decision time to `ms` (never back) */
  at(ms: number): void;
  /** recomputes a zone's forecast, scores and prefix sums over [lo, hi) as known at the decision time */
  refresh(zi: number, lo: number, hi: number): void;
  /** the slots of a zone whose view changed since the last step, at slot `j`, as [lo, hi) (none: hi <= lo) */
  changed(zi: number, j: number): { lo: number; hi: number };
  /**
   * Sampled errors of a zone's view where it is estimated past the known forecast, up to slot `to`, as
   * refreshed at the decision time: null when the view has no estimated part there (or the objective is not
   * carbon, whose scores they are errors of).
   */
  errorPaths(
    zi: number,
    to: number,
    count: number,
    seed: number,
  ): { from: number; paths: Float64Array[] } | null;
}

export interface ViewOptions {
  policy: PolicyName;
  objective: Objective;
  mode: ForecastMode;
  issued?: Record<string, readonly IssuedForecast[]>;
  forecastErrorSd?: Record<string, number>;
}

export function forecastView(g: SimGrid, options: ViewOptions): ForecastView {
  const { policy, objective, mode } = options;
  const { zones, n, stepMin, startMs, stepMs } = g;
  const names = zones.map((z) => z.name);
  const estimates = fillsUnknown(policy);
  const usesModel =
    mode.kind === 'model' || (estimates && (mode.kind === 'horizon' || mode.kind === 'issued'));
  if (usesModel && (24 * 60) % stepMin !== 0)
    throw new InputError(`--step ${stepMin} must divide a day (1440 minutes) for the built-in forecaster`);
  const actuals: ZoneActuals[] = zones.map((z) => ({
    zone: z.name,
    carbon: z.carbon,
    firstSlot: z.firstSlot,
  }));
  const knowledge = createKnowledge(mode, {
    startMs,
    stepMin,
    zones: actuals,
    issued: names.map((z) => options.issued?.[z]),
  });
  // the optimal policy looks past the end of a horizon or issued forecast (see lookAhead)
  const ahead =
    estimates && (mode.kind === 'horizon' || mode.kind === 'issued')
      ? lookAhead(startMs, stepMin, actuals)
      : null;
  // the optimal policy plans on the expected actual values given a forecast's white error (see denoise.ts)
  const errorSd = zoneErrorSd(options, mode, actuals, g);
  const denoising = denoisesForecast(policy) && errorSd.some((sd) => sd > 0);
  const past: (PastActuals | null)[] = zones.map((z, zi) =>
    denoising && errorSd[zi] > 0 ? { values: z.carbon, roughness: roughness(z.carbon) } : null,
  );
  // a day of actuals anchors the estimate at the present, and at least a day of them fits the signal model
  const daySlots = Math.max(1, Math.round((24 * 60) / stepMin));
  const smoothing = { anchorSlots: daySlots, minHistorySlots: daySlots };
  /** the decision time, and the slots that ended by then (their actuals are known) */
  let decisionMs = startMs;
  const ended = () => Math.max(0, Math.min(n, Math.floor((decisionMs - startMs) / stepMs)));
  const weighted = objective.kind === 'weighted';
  // the slots whose start falls in the UTC day of slot s (weighted scores normalise by the day's maximum)
  const dayStart = (s: number) =>
    Math.max(0, Math.ceil((Math.floor(slotMs(g, s) / DAY_MS) * DAY_MS - startMs) / stepMs));
  const dayEnd = (s: number) =>
    Math.min(n, Math.ceil(((Math.floor(slotMs(g, s) / DAY_MS) + 1) * DAY_MS - startMs) / stepMs));

  const refresh = (zi: number, from: number, to: number) => {
    const z = zones[zi];
    let lo = from;
    let hi = to;
    const observed = ended();
    const zonePast = past[zi];
    // the expected actuals join the known past to the window: the slots between are estimated too
    if (zonePast) lo = Math.min(lo, observed);
    if (weighted) {
      lo = dayStart(lo);
      hi = dayEnd(hi - 1);
    }
    if (hi <= lo) return;
    knowledge.fill(zi, lo, hi, z.forecast);
    if (zonePast) expectedActuals(z.forecast, errorSd[zi], zonePast, observed, hi, smoothing);
    if (ahead) ahead.fillUnknown(zi, lo, hi, z.forecast);
    writeScores(z, objective, g, lo, hi);
  };

  const perDecision = knowledge.dynamic || denoising;
  // the same forecast at every decision time: scores and prefix sums once for the whole grid
  if (!perDecision)
    for (let zi = 0; zi < zones.length; zi++) staticView(zones[zi], zi, knowledge, objective, g);

  return {
    perDecision,
    dynamic: knowledge.dynamic,
    at(ms) {
      decisionMs = ms;
      knowledge.advanceTo(ms);
      ahead?.advanceTo(ms);
    },
    refresh,
    errorPaths(zi, to, count, seed) {
      const from = ahead && objective.kind === 'carbon' ? ahead.unknownFrom(zi) : -1;
      if (!ahead || from < 0 || from >= to) return null;
      return { from, paths: ahead.errorPaths(zi, from, to, count, seed) };
    },
    changed(zi, j) {
      const c = knowledge.changed(zi);
      let lo = c.lo;
      let hi = c.hi;
      // the estimates past the forecast and the expected actuals follow the actuals, one more each step
      if (ahead || past[zi]) {
        lo = hi > lo ? Math.min(lo, j) : j;
        hi = n;
      }
      return weighted && hi > lo ? { lo: dayStart(lo), hi: dayEnd(hi - 1) } : { lo, hi };
    },
  };
}

/** The known forecast error of each zone: given, or the forecast mode's own. */
function zoneErrorSd(options: ViewOptions, mode: ForecastMode, actuals: ZoneActuals[], g: SimGrid): number[] {
  const modeErrorSd = forecastErrorSd(mode, actuals);
  for (const z of Object.keys(options.forecastErrorSd ?? {}))
    if (!g.zoneIndex.has(z))
      throw new InputError(`forecast error given for zone ${z}, which has no --carbon series`);
  return g.zones.map((z, zi) => {
    const given = options.forecastErrorSd?.[z.name];
    if (given === undefined) return modeErrorSd[zi];
    if (!(Number.isFinite(given) && given >= 0))
      throw new InputError(`forecast error of zone ${z.name} must be a number of g/kWh >= 0, got ${given}`);
    return given;
  });
}

/** The objective's scores of a zone over [lo, hi) from its forecast there, and their prefix sums. */
function writeScores(z: ZoneState, objective: Objective, g: SimGrid, lo: number, hi: number): void {
  const { forecast, usable, scores, price } = z;
  for (let s = lo; s < hi; s++) if (!usable[s]) forecast[s] = Number.NaN;
  if (objective.kind === 'carbon') scores.set(forecast.subarray(lo, hi), lo);
  else if (objective.kind === 'cost') {
    for (let s = lo; s < hi; s++) scores[s] = Number.isFinite(forecast[s]) ? price![s] : Number.NaN;
  } else {
    const sub = slotScores(objective, {
      startMs: slotMs(g, lo),
      stepMin: g.stepMin,
      carbon: forecast.subarray(lo, hi),
      price: price!.subarray(lo, hi),
    });
    for (let s = lo; s < hi; s++) scores[s] = Number.isFinite(forecast[s]) ? sub[s - lo] : Number.NaN;
  }
  const { sum, missing } = z.prefix;
  sum[lo] = 0;
  missing[lo] = 0;
  for (let s = lo; s < hi; s++) {
    const v = scores[s];
    const ok = Number.isFinite(v);
    sum[s + 1] = sum[s] + (ok ? v : 0);
    missing[s + 1] = missing[s] + (ok ? 0 : 1);
  }
}

/** A view that does not depend on the decision time, for the whole grid at once. */
function staticView(
  z: ZoneState,
  zi: number,
  knowledge: ReturnType<typeof createKnowledge>,
  objective: Objective,
  g: SimGrid,
): void {
  const { n, startMs, stepMin } = g;
  knowledge.fill(zi, 0, n, z.forecast);
  for (let s = 0; s < n; s++) if (!z.usable[s]) z.forecast[s] = Number.NaN;
  const scores =
    objective.kind === 'carbon'
      ? z.forecast
      : slotScores(objective, { startMs, stepMin, carbon: z.forecast, price: z.price ?? undefined });
  for (let s = 0; s < n; s++) z.scores[s] = Number.isFinite(z.forecast[s]) ? scores[s] : Number.NaN;
  const p = prefixSums(z.scores);
  z.prefix.sum.set(p.sum);
  z.prefix.missing.set(p.missing);
}
