/**
 * Trace replay: puts every load of a workload where a policy would have put it, deciding on the forecast
 * known at each decision time, and scores the outcome on the actual values against the run-now baseline.
 *
 * Without replanning each load is decided once, at its submit time. With replanning the simulator steps
 * through time slot by slot and re-decides every pending load whenever the forecast it depends on changed;
 * a plan that starts at the current slot commits. Per-step work is proportional to the pending loads and to
 * the span of their windows: prefix sums make each window O(1) and buffers are reused across steps.
 */
import { InputError } from '../core/errors.ts';
import { needsPrice, type Objective, objectiveName } from '../core/objective.ts';
import { resample, type Series } from '../core/series.ts';
import { ceilToStep, DAY_MS, floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import { expectedActuals, type PastActuals, roughness } from '../planner/denoise.ts';
import { slotScores } from '../planner/objectives.ts';
import {
  choiceSlots,
  DEFAULT_THRESHOLD,
  type Decision,
  decide,
  denoisesForecast,
  fillsUnknown,
  type PolicyName,
  type ThresholdOptions,
  type ZoneForecast,
} from '../planner/policies.ts';
import { type Prefix, prefixSums } from '../planner/windows.ts';
import { createForecaster, FORECAST_DEFAULTS, type Forecaster } from '../signals/forecast.ts';
import {
  createKnowledge,
  type ForecastMode,
  forecastErrorSd,
  forecastModeName,
  type IssuedForecast,
  type ZoneActuals,
} from './forecast-modes.ts';
import type { WorkloadLoad } from './workload.ts';

/** A step-function series as the simulator needs it; `source` names it in messages (e.g. the file). */
export type SeriesInput = Pick<Series, 'points' | 'resolutionMin'> & { source?: string };

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
  /** called now and then with the work done so far and the total (loads, or slots when replanning) */
  onProgress?: (done: number, total: number) => void;
}

export interface RunPiece {
  start: string;
  end: string;
}

export interface LoadResult {
  id: string;
  zone: string;
  runs: RunPiece[];
  emissionsG: number;
  baselineEmissionsG: number;
  cost?: number;
  baselineCost?: number;
}

export interface SimulationTotals {
  loads: number;
  energyKwh: number;
  emissionsG: number;
  baselineEmissionsG: number;
  savingsPct: number;
  cost?: number;
  baselineCost?: number;
  costSavingsPct?: number;
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

/** A load placed on the grid. */
interface Prepared {
  load: WorkloadLoad;
  /** zone indices, home first */
  zones: number[];
  k: number;
  /** allowed slots [from, to) */
  from: number;
  to: number;
  baseStart: number;
  /** fewer allowed slots than needed: runs at its baseline */
  noRoom: boolean;
  /** chosen zone and slots */
  zone: number;
  slots: ArrayLike<number>;
}

/** Per-zone working state: actuals on the grid and the forecast view policies read. */
interface ZoneState {
  name: string;
  carbon: Float64Array;
  /** NaN where not usable (no carbon or, with prices, no price) */
  price: Float64Array | null;
  usable: Uint8Array;
  /** forecast carbon (g/kWh) as known at the decision time, NaN = unknown or unusable */
  forecast: Float64Array;
  scores: Float64Array;
  prefix: Prefix;
  view: ZoneForecast;
}

function stepError(stepMin: number): string | null {
  if (!(Number.isInteger(stepMin) && stepMin > 0))
    return `--step must be a whole number of minutes > 0, got ${stepMin}`;
  return null;
}

function resampleZone(name: string, series: SeriesInput, stepMin: number, what: string) {
  if (series.points.length === 0)
    throw new InputError(`${series.source ?? name}: the ${what} series of ${name} is empty`);
  return resample(series, stepMin);
}

/** Runs a simulation on series and loads already in memory. */
export function runSimulation(input: SimulationInput): SimulationResult {
  const t0 = performance.now();
  const stepMin = input.stepMin ?? DEFAULT_STEP_MIN;
  const bad = stepError(stepMin);
  if (bad) throw new InputError(bad);
  const objective = input.objective ?? { kind: 'carbon' };
  const mode = input.forecast ?? { kind: 'perfect' };
  const policy = input.policy;
  const stepMs = stepMin * MINUTE_MS;
  const slotKwh = stepMin / 60;

  // ---- the common grid: from the earliest zone's first boundary to the end of the latest zone's data
  const names = Object.keys(input.carbon);
  if (names.length === 0) throw new InputError('no carbon series: give at least one --carbon ZONE=PATH');
  const own = names.map((z) => resampleZone(z, input.carbon[z], stepMin, 'carbon'));
  const startMs = Math.min(...own.map((g) => g.startMs));
  const endMs = Math.max(...own.map((g) => g.startMs + g.values.length * stepMs));
  const n = Math.round((endMs - startMs) / stepMs);
  const slotMs = (s: number) => startMs + s * stepMs;
  const onGrid = (grid: { startMs: number; values: Float64Array }) => {
    const out = new Float64Array(n).fill(Number.NaN);
    const offset = Math.round((grid.startMs - startMs) / stepMs);
    for (let i = Math.max(0, -offset); i < grid.values.length && i + offset < n; i++)
      out[i + offset] = grid.values[i];
    return out;
  };
  const priceNames = Object.keys(input.prices ?? {});
  for (const z of priceNames) {
    if (!names.includes(z))
      throw new InputError(`--prices ${z}: zone ${z} has no --carbon series (zones: ${names.join(', ')})`);
  }
  const withPrices = priceNames.length > 0;
  if (needsPrice(objective) && !withPrices)
    throw new InputError(`objective ${objectiveName(objective)} needs prices: give --prices ZONE=PATH`);

  const zones: ZoneState[] = names.map((name, zi) => {
    const carbon = onGrid(own[zi]);
    const p = input.prices?.[name];
    const price = p ? onGrid(resampleZone(name, p, stepMin, 'price')) : null;
    const usable = new Uint8Array(n);
    for (let s = 0; s < n; s++)
      usable[s] =
        Number.isFinite(carbon[s]) && (!withPrices || (price !== null && Number.isFinite(price[s]))) ? 1 : 0;
    if (price) for (let s = 0; s < n; s++) if (!usable[s]) price[s] = Number.NaN;
    const forecast = new Float64Array(n).fill(Number.NaN);
    const scores = new Float64Array(n).fill(Number.NaN);
    const prefix = { sum: new Float64Array(n + 1), missing: new Int32Array(n + 1) };
    return {
      name,
      carbon,
      price,
      usable,
      forecast,
      scores,
      prefix,
      view: { scores, prefix, carbon: forecast },
    };
  });
  const zoneIndex = new Map(names.map((z, i) => [z, i]));

  // ---- loads on the grid
  const prepared: Prepared[] = input.loads.map((load) => {
    const at = `${load.source}: load "${load.id}"`;
    const zi = load.zones.map((z) => {
      const i = zoneIndex.get(z);
      if (i === undefined)
        throw new InputError(`${at}: zone "${z}" has no --carbon series (zones: ${names.join(', ')})`);
      if (withPrices && !zones[i].price)
        throw new InputError(
          `${at}: zone "${z}" has no --prices series (prices were given, so every zone a load uses needs one)`,
        );
      return i;
    });
    const k = Math.ceil(load.durationMin / stepMin - 1e-9);
    // a load cannot start before it is known
    const firstMs = Math.max(ceilToStep(load.earliestMs, stepMin), ceilToStep(load.submitMs, stepMin));
    const from = Math.max(0, Math.round((firstMs - startMs) / stepMs));
    const to = Math.min(n, Math.round((floorToStep(load.deadlineMs, stepMin) - startMs) / stepMs));
    const baseStart = Math.round((ceilToStep(load.baselineStartMs, stepMin) - startMs) / stepMs);
    const home = zones[zi[0]];
    for (let s = baseStart; s < baseStart + k; s++) {
      if (s < 0 || s >= n || !home.usable[s])
        throw new InputError(
          `${at}: its baseline (${k} slot${k > 1 ? 's' : ''} from ${toIso(slotMs(baseStart))}) is not covered by the ${withPrices && s >= 0 && s < n && Number.isFinite(home.carbon[s]) ? 'price' : 'carbon'} series of zone ${home.name} (no value at ${toIso(slotMs(s))})`,
        );
    }
    const noRoom = to - from < k;
    return { load, zones: zi, k, from, to, baseStart, noRoom, zone: zi[0], slots: range(baseStart, k) };
  });

  // ---- what the policies know, and when
  const estimates = fillsUnknown(policy);
  const usesModel =
    mode.kind === 'model' || (estimates && (mode.kind === 'horizon' || mode.kind === 'issued'));
  if (usesModel && (24 * 60) % stepMin !== 0)
    throw new InputError(`--step ${stepMin} must divide a day (1440 minutes) for the built-in forecaster`);
  const actuals: ZoneActuals[] = zones.map((z, i) => ({
    zone: z.name,
    carbon: z.carbon,
    firstSlot: Math.round((own[i].startMs - startMs) / stepMs),
  }));
  const knowledge = createKnowledge(mode, {
    startMs,
    stepMin,
    zones: actuals,
    issued: names.map((z) => input.issued?.[z]),
  });
  // the optimal policy looks past the end of a horizon or issued forecast (see lookAhead)
  const ahead =
    estimates && (mode.kind === 'horizon' || mode.kind === 'issued')
      ? lookAhead(startMs, stepMin, actuals)
      : null;
  // the optimal policy plans on the expected actual values given a forecast's white error (see denoise.ts)
  const modeErrorSd = forecastErrorSd(mode, actuals);
  const errorSd = names.map((z, zi) => {
    const given = input.forecastErrorSd?.[z];
    if (given === undefined) return modeErrorSd[zi];
    if (!(Number.isFinite(given) && given >= 0))
      throw new InputError(`forecast error of zone ${z} must be a number of g/kWh >= 0, got ${given}`);
    return given;
  });
  for (const z of Object.keys(input.forecastErrorSd ?? {}))
    if (!zoneIndex.has(z))
      throw new InputError(`forecast error given for zone ${z}, which has no --carbon series`);
  const denoising = denoisesForecast(policy) && errorSd.some((sd) => sd > 0);
  const past: (PastActuals | null)[] = zones.map((z, zi) =>
    denoising && errorSd[zi] > 0 ? { values: z.carbon, roughness: roughness(z.carbon) } : null,
  );
  // a day of actuals anchors the estimate at the present, and at least a day of them fits the signal model
  const daySlots = Math.max(1, Math.round((24 * 60) / stepMin));
  const smoothing = { anchorSlots: daySlots, minHistorySlots: daySlots };
  // decisions need their own view when the optimal policy denoises: it depends on the decision time
  const perDecision = knowledge.dynamic || denoising;
  /** the decision time, and the slots that ended by then (their actuals are known) */
  let decisionMs = startMs;
  const ended = () => Math.max(0, Math.min(n, Math.floor((decisionMs - startMs) / stepMs)));
  const thresholdOptions: ThresholdOptions = {
    thresholdGPerKwh: input.thresholdGPerKwh ?? DEFAULT_THRESHOLD.thresholdGPerKwh,
    horizonSlots: Math.floor(((input.horizonH ?? DEFAULT_HORIZON_H) * 60) / stepMin + 1e-9),
  };
  const weighted = objective.kind === 'weighted';
  // the slots whose start falls in the UTC day of slot s (weighted scores normalise by the day's maximum)
  const dayStart = (s: number) =>
    Math.max(0, Math.ceil((Math.floor(slotMs(s) / DAY_MS) * DAY_MS - startMs) / stepMs));
  const dayEnd = (s: number) =>
    Math.min(n, Math.ceil(((Math.floor(slotMs(s) / DAY_MS) + 1) * DAY_MS - startMs) / stepMs));

  /** Recomputes zone z's forecast, scores and prefix sums over [lo, hi) at the current decision time. */
  const refresh = (z: ZoneState, zi: number, lo: number, hi: number) => {
    const observed = ended();
    const zonePast = past[zi];
    // the expected actuals join the known past to the window: the slots between are estimated too
    if (zonePast) lo = Math.min(lo, observed);
    if (weighted) {
      lo = dayStart(lo);
      hi = dayEnd(hi - 1);
    }
    if (hi <= lo) return;
    const { forecast, usable, scores, price } = z;
    knowledge.fill(zi, lo, hi, forecast);
    if (zonePast) expectedActuals(forecast, errorSd[zi], zonePast, observed, hi, smoothing);
    if (ahead) ahead.fillUnknown(zi, lo, hi, forecast);
    for (let s = lo; s < hi; s++) if (!usable[s]) forecast[s] = Number.NaN;
    if (objective.kind === 'carbon') scores.set(forecast.subarray(lo, hi), lo);
    else if (objective.kind === 'cost') {
      for (let s = lo; s < hi; s++) scores[s] = Number.isFinite(forecast[s]) ? price![s] : Number.NaN;
    } else {
      const sub = slotScores(objective, {
        startMs: slotMs(lo),
        stepMin,
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
  };

  if (!perDecision) {
    // the same forecast at every decision time: scores and prefix sums once for the whole grid
    for (let zi = 0; zi < zones.length; zi++) {
      const z = zones[zi];
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
  }

  const decidable = prepared.filter((p) => !p.noRoom && policy !== 'run-now');
  const progress = input.onProgress;
  const decisionFor = (p: Prepared, zoneIdx: readonly number[], from: number, k: number): Decision => ({
    zones: zoneIdx.map((zi) => zones[zi].view),
    from,
    to: p.to,
    k,
    interruptible: p.load.interruptible,
  });

  if (!knowledge.dynamic || !input.replan) {
    // ---- one decision per load, at its submit time
    const order = decidable.slice().sort((a, b) => a.load.submitMs - b.load.submitMs);
    const every = Math.max(1, Math.floor(order.length / 100));
    for (let i = 0; i < order.length; i++) {
      const p = order[i];
      if (perDecision) {
        decisionMs = p.load.submitMs;
        knowledge.advanceTo(p.load.submitMs);
        ahead?.advanceTo(p.load.submitMs);
        for (const zi of p.zones) refresh(zones[zi], zi, p.from, p.to);
      }
      const choice = decide(policy, decisionFor(p, p.zones, p.from, p.k), thresholdOptions);
      p.zone = p.zones[choice.zone];
      p.slots = choiceSlots(choice, p.k);
      if (progress && i % every === 0) progress(i, order.length);
    }
    progress?.(order.length, order.length);
  } else {
    replan(decidable);
  }

  /**
   * Steps through the slots from the first allowed slot of any load to the last deadline. A load joins at
   * its first allowed slot (nothing can run earlier, and the forecast then knows at least what it knew at
   * submit), is re-decided whenever the forecast of a candidate zone changed within its remaining window,
   * and commits when its plan starts at the current slot.
   */
  function replan(loads: Prepared[]): void {
    const byFrom = loads.slice().sort((a, b) => a.from - b.from || a.load.submitMs - b.load.submitMs);
    interface Pending {
      p: Prepared;
      need: number;
      /** zone index once an interruptible load has run a slot */
      locked: number;
      dirty: boolean;
      planZone: number;
      planStart: number;
      done: number[];
    }
    let active: Pending[] = [];
    let next = 0;
    const lastTo = loads.reduce((m, p) => Math.max(m, p.to), 0);
    const firstFrom = byFrom.length ? byFrom[0].from : 0;
    const total = Math.max(1, lastTo - firstFrom);
    const every = Math.max(1, Math.floor(total / 100));
    const needTo = new Int32Array(zones.length);
    const fresh = new Uint8Array(zones.length);
    const changedLo = new Int32Array(zones.length);
    const changedHi = new Int32Array(zones.length);
    const single: number[] = [0];
    let j = firstFrom;
    while (next < byFrom.length || active.length > 0) {
      if (active.length === 0 && byFrom[next].from > j) j = byFrom[next].from;
      decisionMs = slotMs(j);
      knowledge.advanceTo(decisionMs);
      ahead?.advanceTo(decisionMs);
      while (next < byFrom.length && byFrom[next].from <= j) {
        const p = byFrom[next++];
        active.push({ p, need: p.k, locked: -1, dirty: true, planZone: p.zones[0], planStart: j, done: [] });
      }
      needTo.fill(0);
      for (const a of active) {
        const cands = a.locked >= 0 ? null : a.p.zones;
        if (cands) for (const zi of cands) needTo[zi] = Math.max(needTo[zi], a.p.to);
        else needTo[a.locked] = Math.max(needTo[a.locked], a.p.to);
      }
      for (let zi = 0; zi < zones.length; zi++) {
        fresh[zi] = 0;
        const c = knowledge.changed(zi);
        let lo = c.lo;
        let hi = c.hi;
        // the estimates past the forecast and the expected actuals follow the actuals, one more each step
        if (ahead || past[zi]) {
          lo = hi > lo ? Math.min(lo, j) : j;
          hi = n;
        }
        changedLo[zi] = weighted && hi > lo ? dayStart(lo) : lo;
        changedHi[zi] = weighted && hi > lo ? dayEnd(hi - 1) : hi;
      }
      let finished = 0;
      for (const a of active) {
        const p = a.p;
        let cands: readonly number[] = p.zones;
        if (a.locked >= 0) {
          single[0] = a.locked;
          cands = single;
        }
        let redecide = a.dirty || policy === 'threshold' || input.redecideEveryStep === true;
        if (!redecide)
          for (const zi of cands)
            if (changedLo[zi] < p.to && changedHi[zi] > j && changedHi[zi] > changedLo[zi]) redecide = true;
        if (redecide) {
          for (const zi of cands) {
            if (!fresh[zi]) {
              refresh(zones[zi], zi, j, needTo[zi]);
              fresh[zi] = 1;
            }
          }
          const choice = decide(policy, decisionFor(p, cands, j, a.need), thresholdOptions);
          a.planZone = cands[choice.zone];
          a.planStart = choice.start;
          a.dirty = false;
        }
        // never miss the deadline: when the remaining slots are all needed, run
        if (a.planStart === j || p.to - j <= a.need) {
          if (!p.load.interruptible) {
            for (let s = j; s < j + p.k; s++) a.done.push(s);
            a.need = 0;
          } else {
            a.done.push(j);
            a.need--;
            a.locked = a.planZone;
            a.dirty = true;
          }
          p.zone = a.planZone;
          if (a.need === 0) {
            p.slots = a.done;
            finished++;
          }
        }
      }
      if (finished > 0) active = active.filter((a) => a.need > 0);
      if (progress && (j - firstFrom) % every === 0) progress(j - firstFrom, total);
      j++;
    }
    progress?.(total, total);
  }

  // ---- scoring on the actual values
  const results: LoadResult[] = [];
  let energyKwh = 0;
  let emissionsG = 0;
  let baselineEmissionsG = 0;
  let cost = 0;
  let baselineCost = 0;
  for (const p of prepared) {
    const perSlotKwh = p.load.powerKw * slotKwh;
    const z = zones[p.zone];
    const home = zones[p.zones[0]];
    let e = 0;
    let c = 0;
    for (let i = 0; i < p.slots.length; i++) {
      const s = p.slots[i];
      const v = s >= 0 && s < n ? z.carbon[s] : Number.NaN;
      const price = z.price && s >= 0 && s < n ? z.price[s] : Number.NaN;
      if (!Number.isFinite(v) || (withPrices && !Number.isFinite(price)))
        throw new InputError(
          `${p.load.source}: load "${p.load.id}" had to run at ${toIso(slotMs(s))} in zone ${z.name}, where the ${Number.isFinite(v) ? 'price' : 'carbon'} series has no value; extend the series to cover its window`,
        );
      e += v;
      if (withPrices) c += price;
    }
    let be = 0;
    let bc = 0;
    for (let s = p.baseStart; s < p.baseStart + p.k; s++) {
      be += home.carbon[s];
      if (withPrices) bc += home.price![s];
    }
    const result: LoadResult = {
      id: p.load.id,
      zone: z.name,
      runs: pieces(p.slots, slotMs, stepMs),
      emissionsG: e * perSlotKwh,
      baselineEmissionsG: be * perSlotKwh,
    };
    if (withPrices) {
      result.cost = c * perSlotKwh;
      result.baselineCost = bc * perSlotKwh;
      cost += result.cost;
      baselineCost += result.baselineCost;
    }
    energyKwh += perSlotKwh * p.k;
    emissionsG += result.emissionsG;
    baselineEmissionsG += result.baselineEmissionsG;
    results.push(result);
  }
  const totals: SimulationTotals = {
    loads: prepared.length,
    energyKwh,
    emissionsG,
    baselineEmissionsG,
    savingsPct: savingsPct(baselineEmissionsG, emissionsG),
  };
  if (withPrices) {
    totals.cost = cost;
    totals.baselineCost = baselineCost;
    totals.costSavingsPct = savingsPct(baselineCost, cost);
  }
  return {
    policy,
    forecast: forecastModeName(mode),
    objective: objectiveName(objective),
    stepMin,
    totals,
    loads: results,
    elapsedMs: Math.round(performance.now() - t0),
  };
}

/**
 * The `optimal` policy's view past the end of a forecast (a limited horizon, the end of an issued forecast):
 * the built-in forecaster, fitted on the actuals of the slots that ended by the decision time, continued from
 * the last known forecast values rather than from the last actual value. The deviation of the known values
 * from the forecaster just before the gap (smoothed and fading as the forecaster smooths and fades its own
 * deviation) carries on into the gap: a windy spell at the end of a 24-hour forecast is likely to last a while
 * longer. Only what the forecast mode makes known at the decision time is used.
 */
interface LookAhead {
  /** moves the decision time to `tMs` (never back): the forecasters learn the slots that ended by then */
  advanceTo(tMs: number): void;
  /** fills the unknown (NaN) slots of `out` within [from, to) that start at or after the decision time */
  fillUnknown(z: number, from: number, to: number, out: Float64Array): void;
}

function lookAhead(startMs: number, stepMin: number, zones: readonly ZoneActuals[]): LookAhead {
  const stepMs = stepMin * MINUTE_MS;
  const slotsPerHour = 60 / stepMin;
  const smoothing = 1 - 2 ** (-1 / (FORECAST_DEFAULTS.deviationSmoothingHours * slotsPerHour));
  const fade = 2 ** (-1 / (FORECAST_DEFAULTS.deviationHalfLifeHours * slotsPerHour));
  // how far back the known values count: older ones have faded out of the smoothed deviation
  const backSlots = 24 * slotsPerHour;
  const n = zones[0]?.carbon.length ?? 0;
  // created on first use: a zone no decision looks past the forecast in costs nothing
  const models: (Forecaster | undefined)[] = zones.map(() => undefined);
  let observed = 0;
  let model = new Float64Array(0);
  const forecaster = (z: number): Forecaster => {
    let m = models[z];
    if (!m) {
      m = createForecaster({ stepMin, startMs });
      for (let s = 0; s < observed; s++) m.observe(zones[z].carbon[s]);
      models[z] = m;
    }
    return m;
  };
  return {
    advanceTo(tMs) {
      const target = Math.max(observed, Math.min(n, Math.floor((tMs - startMs) / stepMs)));
      for (let z = 0; z < zones.length; z++) {
        const m = models[z];
        if (m) for (let s = m.observed; s < target; s++) m.observe(zones[z].carbon[s]);
      }
      observed = target;
    },
    fillUnknown(z, from, to, out) {
      for (let a = Math.max(from, observed); a < to; a++) {
        if (Number.isFinite(out[a])) continue;
        let b = a + 1;
        while (b < to && !Number.isFinite(out[b])) b++;
        // the known forecast values just before the gap (none when the gap starts at the decision time)
        let known = a;
        while (known > observed && known > a - backSlots && Number.isFinite(out[known - 1])) known--;
        if (model.length < b - known) model = new Float64Array(2 * (b - known));
        forecaster(z).predictInto(model, known, b, 0);
        let deviation = 0;
        for (let s = known; s < a; s++) {
          const m = model[s - known];
          if (Number.isFinite(m)) deviation += smoothing * (out[s] - m - deviation);
        }
        for (let s = a; s < b; s++) {
          deviation *= fade;
          out[s] = model[s - known] + deviation;
        }
        a = b;
      }
    },
  };
}

/** Percentage of the baseline saved; 0 when the baseline is 0. */
export function savingsPct(baseline: number, actual: number): number {
  if (baseline === 0) return 0;
  return (100 * (baseline - actual)) / Math.abs(baseline);
}

function range(start: number, k: number): Int32Array {
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = start + i;
  return out;
}

/** Maximal runs of consecutive slots (sorted), as ISO start and end times. */
function pieces(slots: ArrayLike<number>, slotMs: (s: number) => number, stepMs: number): RunPiece[] {
  const out: RunPiece[] = [];
  let i = 0;
  while (i < slots.length) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
    out.push({ start: toIso(slotMs(slots[i])), end: toIso(slotMs(slots[j]) + stepMs) });
    i = j + 1;
  }
  return out;
}
