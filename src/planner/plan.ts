import { InputError } from '../core/errors.ts';
import type { LoadSpec, Run, ZoneSignals } from '../core/load.ts';
import { needsPrice, type Objective, objectiveName } from '../core/objective.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';
import { slotScores } from './objectives.ts';
import { searchZones as searchAcrossZones, tolerance, type ZoneChoice } from './search.ts';
import { type PlanWaiting, waitingSummary } from './waiting.ts';
import { type Prefix, prefixSums, rangeSum, sumAt, windowSum } from './windows.ts';

export type { Run } from '../core/load.ts';

/** Why a plan is what it is. */
export type PlanReason =
  /** a window better than running at once was found */
  | 'best-window'
  /** running at once is already (one of) the best choices */
  | 'already-best'
  /**
   * starting at once is the best on the expected values, but waiting is expected to be better by the
   * stopping rule (`decidesAtMs`): the best later start
   */
  | 'waits-for-better'
  /** the allowed time holds fewer slots than the load needs: it runs at once */
  | 'no-room'
  /** no complete window has signal values in any candidate zone: it runs at once */
  | 'no-data';

/** A runner-up to the chosen plan. */
export interface PlanAlternative {
  zone: string;
  runs: Run[];
  emissionsG: number;
  cost?: number;
  currency?: string;
}

/** The run-now counterfactual: `k` consecutive slots from the baseline start, in the home zone. */
export interface PlanBaseline {
  zone: string;
  runs: Run[];
  /** NaN when the baseline slots have no carbon values */
  emissionsG: number;
  cost?: number;
}

export interface Plan {
  load: LoadSpec;
  /** the objective actually used (`carbon` when a price objective had no prices at all) */
  objective: string;
  stepMin: number;
  zone: string;
  /** maximal consecutive pieces, in time order */
  runs: Run[];
  /** slot start times (epoch ms), for interruptible loads */
  slots?: number[];
  /**
   * powerKw x durationMin: the energy the emissions and cost are counted over, spread evenly over the slots
   * (a load that does not fill its last slot is counted at the mean of its slots)
   */
  energyKwh: number;
  emissionsG: number;
  cost?: number;
  currency?: string;
  baseline: PlanBaseline;
  /** baseline minus plan; percentages of the baseline. NaN when the baseline has no data */
  savings: { emissionsG: number; emissionsPct: number; cost?: number; costPct?: number };
  /** best plans of the other zones and next-best distinct windows of the chosen zone, best first */
  alternatives: PlanAlternative[];
  reason: PlanReason;
  /** set when a carbon cap was given and no plan meets it: the plan is then the lowest-emission one */
  capExceeded?: boolean;
  sources: { carbon: string; price?: string };
  /** why the plan may be less good than it looks (fallback sources, missing prices ...) */
  degraded?: string[];
  /**
   * set when the plan starts later than it could and the home zone's carbon forecast has sampled error
   * paths: what waiting is expected to gain, by the stopping rule of `startOrWait`
   */
  waiting?: PlanWaiting;
}

export interface PlanOptions {
  /** planning step in minutes; default the signals' grid step (all zones must share it) */
  stepMin?: number;
  /** how many runner-ups to list (default 3) */
  alternatives?: number;
  /**
   * When the plan is a decision to start (taken now, where the allowed time begins): when it is next taken
   * again (the next replanning). A one-piece carbon plan that would start in the home zone before then is
   * put to the stopping rule (`startOrWait`) when the home zone's forecast has sampled error paths: when
   * waiting is expected to be cleaner, the plan takes the best later start instead (reason
   * `waits-for-better`). Without it no plan is deferred.
   */
  nextDecisionMs?: number;
}

/** Plans one load: the best window (and zone) by its objective, against the run-now baseline. */
export function planLoad(load: LoadSpec, signals: ZoneSignals[], options: PlanOptions = {}): Plan {
  return preparePlanner(signals, options)(load);
}

/**
 * Plans many loads against the same signals: each zone's scores and prefix sums are computed once per
 * objective (and candidate-zone set, for weighted objectives) and shared by every load. Equal, load by
 * load, to `planLoad`.
 */
export function planMany(
  loads: readonly LoadSpec[],
  signals: ZoneSignals[],
  options: PlanOptions = {},
): Plan[] {
  const plan = preparePlanner(signals, options);
  return loads.map(plan);
}

// ---------------------------------------------------------------------------------------------------
// Per-zone state, shared by all loads planned against the same signals

interface ScoreSet {
  scores: Float64Array;
  prefix: Prefix;
}

interface ZoneState {
  sig: ZoneSignals;
  startMs: number;
  carbon: Float64Array;
  /** price aligned to the carbon grid (NaN where missing), if the zone has prices */
  price?: Float64Array;
  carbonPrefix?: Prefix;
  scores: Map<string, ScoreSet>;
}

/** One candidate: a choice of slots in a zone, with its objective total. */
interface Candidate {
  zone: ZoneState;
  /** first slot for a contiguous choice */
  start: number;
  /** chosen slots for an interruptible choice (time order) */
  slots?: Int32Array;
  total: number;
}

/**
 * Validates the signals once and returns a function that plans a load against them. Scores and prefix sums
 * are computed lazily, per zone and objective, and reused by every later call.
 */
export function preparePlanner(signals: ZoneSignals[], options: PlanOptions = {}): (load: LoadSpec) => Plan {
  const zones = new Map<string, ZoneState>();
  let stepMin = options.stepMin;
  for (const sig of signals) {
    if (zones.has(sig.zone)) throw new InputError(`signals: zone ${sig.zone} is given twice`);
    const g = sig.carbon;
    if (!(g.stepMin > 0)) throw new InputError(`signals: zone ${sig.zone} has no valid carbon grid step`);
    stepMin ??= g.stepMin;
    if (g.stepMin !== stepMin)
      throw new InputError(
        `signals: zone ${sig.zone} carbon is on a ${g.stepMin}-minute grid, expected ${stepMin} minutes`,
      );
    zones.set(sig.zone, {
      sig,
      startMs: g.startMs,
      carbon: g.values,
      price: sig.price ? alignPrice(sig, stepMin) : undefined,
      scores: new Map(),
    });
  }
  const step = stepMin ?? 0;
  const alternatives = options.alternatives ?? 3;
  if (!Number.isInteger(alternatives) || alternatives < 0)
    throw new InputError(`alternatives must be a whole number >= 0, got ${options.alternatives}`);
  return (load) => planOne(load, zones, step, alternatives, options.nextDecisionMs);
}

function alignPrice(sig: ZoneSignals, stepMin: number): Float64Array {
  const price = sig.price!;
  const n = sig.carbon.values.length;
  if (price.stepMin !== stepMin)
    throw new InputError(
      `signals: zone ${sig.zone} price is on a ${price.stepMin}-minute grid, expected ${stepMin} minutes`,
    );
  const offset = (sig.carbon.startMs - price.startMs) / (stepMin * MINUTE_MS);
  if (!Number.isInteger(offset))
    throw new InputError(`signals: zone ${sig.zone} price grid is not aligned with its carbon grid`);
  if (offset === 0 && price.values.length === n) return price.values;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    const j = i + offset;
    if (j >= 0 && j < price.values.length) out[i] = price.values[j];
  }
  return out;
}

function carbonPrefix(z: ZoneState): Prefix {
  z.carbonPrefix ??= prefixSums(z.carbon);
  return z.carbonPrefix;
}

/**
 * Scores of every zone in `set` for `objective`. A slot is plannable only where the zone has a carbon value
 * (so emissions are always known) and, for price objectives, a price. Weighted objectives normalise carbon
 * and price by the largest value of the UTC day across all zones of the set, so zones compare on one scale.
 */
function scoresFor(objective: Objective, set: ZoneState[], stepMin: number): Map<ZoneState, ScoreSet> {
  const weightedShared = objective.kind === 'weighted' && set.length > 1;
  const key = weightedShared ? `${nameOf(objective)}|${zoneSetKey(set)}` : nameOf(objective);
  const out = new Map<ZoneState, ScoreSet>();
  const missing = set.filter((z) => !z.scores.has(key));
  if (missing.length > 0) {
    if (weightedShared && objective.kind === 'weighted') {
      // all zones of the set share one normaliser, so compute them together
      const maxCarbon = dailyMax(set, (z) => z.carbon, stepMin);
      const maxPrice = dailyMax(set, (z) => z.price!, stepMin);
      for (const z of set) {
        const scores = weightedScores(z, objective, maxCarbon, maxPrice, stepMin);
        z.scores.set(key, { scores, prefix: prefixSums(scores) });
      }
    } else {
      for (const z of missing) {
        let scores = slotScores(objective, { startMs: z.startMs, stepMin, carbon: z.carbon, price: z.price });
        if (objective.kind === 'carbon') {
          // scores are the carbon values themselves: share the prefix
          const prefix = carbonPrefix(z);
          z.scores.set(key, { scores, prefix });
          continue;
        }
        scores = maskMissingCarbon(scores, z.carbon);
        z.scores.set(key, { scores, prefix: prefixSums(scores) });
      }
    }
  }
  for (const z of set) out.set(z, z.scores.get(key)!);
  return out;
}

const names = new WeakMap<Objective, string>();

/** objectiveName, remembered per objective object (loads usually share a few). */
function nameOf(objective: Objective): string {
  let name = names.get(objective);
  if (name === undefined) {
    name = objectiveName(objective);
    names.set(objective, name);
  }
  return name;
}

/** Order-independent key of a set of zones. */
function zoneSetKey(set: ZoneState[]): string {
  if (set.length === 2) {
    const a = set[0].sig.zone;
    const b = set[1].sig.zone;
    return a < b ? `${a},${b}` : `${b},${a}`;
  }
  return set
    .map((z) => z.sig.zone)
    .sort()
    .join(',');
}

function maskMissingCarbon(scores: Float64Array, carbon: Float64Array): Float64Array {
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(carbon[i])) scores[i] = Number.NaN;
  return scores;
}

function dayOf(z: ZoneState, i: number, stepMin: number): number {
  return Math.floor((z.startMs + i * stepMin * MINUTE_MS) / DAY_MS);
}

function dailyMax(
  set: ZoneState[],
  values: (z: ZoneState) => Float64Array,
  stepMin: number,
): Map<number, number> {
  const max = new Map<number, number>();
  for (const z of set) {
    const v = values(z);
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]);
      if (!Number.isFinite(a)) continue;
      const d = dayOf(z, i, stepMin);
      if (!(a <= (max.get(d) ?? 0))) max.set(d, a);
    }
  }
  return max;
}

function weightedScores(
  z: ZoneState,
  objective: Extract<Objective, { kind: 'weighted' }>,
  maxCarbon: Map<number, number>,
  maxPrice: Map<number, number>,
  stepMin: number,
): Float64Array {
  const { carbonWeight: wc, costWeight: wp } = objective;
  const price = z.price!;
  const out = new Float64Array(z.carbon.length);
  for (let i = 0; i < out.length; i++) {
    const c0 = z.carbon[i];
    const p0 = price[i];
    if (!Number.isFinite(c0) || !Number.isFinite(p0)) {
      out[i] = Number.NaN;
      continue;
    }
    const d = dayOf(z, i, stepMin);
    const mc = maxCarbon.get(d) ?? 0;
    const mp = maxPrice.get(d) ?? 0;
    // the same arithmetic as normaliseByDailyMax + slotScores, so one zone alone scores identically
    const c = mc > 0 ? c0 / mc : 0;
    const p = mp > 0 ? p0 / mp : 0;
    out[i] = (wc > 0 ? wc * c : 0) + (wp > 0 ? wp * p : 0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Planning one load

function validateLoad(load: LoadSpec, zones: Map<string, ZoneState>): void {
  const name = load.id ?? load.name ?? 'load';
  const bad = (what: string) => new InputError(`${name}: ${what}`);
  if (!(load.durationMin > 0) || !Number.isFinite(load.durationMin))
    throw bad(`durationMin must be a positive number, got ${load.durationMin}`);
  if (!(load.powerKw >= 0) || !Number.isFinite(load.powerKw))
    throw bad(`powerKw must be a number >= 0, got ${load.powerKw}`);
  if (!Number.isFinite(load.earliestMs)) throw bad('earliest start is not a valid time');
  if (!Number.isFinite(load.deadlineMs)) throw bad('deadline is not a valid time');
  if (load.deadlineMs < load.earliestMs) throw bad('deadline is before the earliest start');
  if (load.baselineStartMs !== undefined && !Number.isFinite(load.baselineStartMs))
    throw bad('baseline start is not a valid time');
  if (!load.zones || load.zones.length === 0) throw bad('no candidate zones');
  for (const z of load.zones) if (!zones.has(z)) throw bad(`no signals for zone ${z}`);
  if (load.minPieceMin !== undefined && !(load.minPieceMin > 0))
    throw bad(`minPieceMin must be a positive number of minutes, got ${load.minPieceMin}`);
  if (load.maxPieces !== undefined && !(load.maxPieces >= 1 && Number.isInteger(load.maxPieces)))
    throw bad(`maxPieces must be a whole number >= 1, got ${load.maxPieces}`);
  if (load.carbonCapG !== undefined && !(load.carbonCapG >= 0))
    throw bad(`carbonCapG must be a number of grams >= 0, got ${load.carbonCapG}`);
}

/** What every step of planning one load shares. */
interface LoadContext {
  load: LoadSpec;
  stepMin: number;
  stepMs: number;
  /** slots the load needs */
  k: number;
  /** the load's energy per slot, spread evenly (a duration need not fill its last slot) */
  slotKwh: number;
  home: ZoneState;
  /** the allowed slots of a zone, on its own grid */
  range: (z: ZoneState) => { from: number; to: number };
  pieces?: { minPieceSlots: number; maxPieces: number };
  /** the carbon cap as a sum of slot intensities, when the objective is not carbon itself */
  capSum?: number;
  /** notes for `degraded` */
  degraded: string[];
}

function planOne(
  load: LoadSpec,
  zones: Map<string, ZoneState>,
  stepMin: number,
  nAlt: number,
  nextDecisionMs: number | undefined,
): Plan {
  validateLoad(load, zones);
  const ctx = loadContext(load, zones, stepMin);
  const { home, k, stepMs, slotKwh, degraded } = ctx;

  // the baseline: k consecutive slots from the first boundary at or after the baseline start, home zone
  const baseStart = ceilIndex(home, load.baselineStartMs ?? load.earliestMs, stepMs);
  const baseline = windowAt(home, baseStart, k, stepMs, slotKwh);
  if (!Number.isFinite(baseline.emissionsG))
    degraded.push(`baseline window in ${home.sig.zone} has no carbon data; savings unknown`);

  const candidates = [...new Set(load.zones)].map((z) => zones.get(z)!);
  const { objective, usable } = comparableZones(load, candidates, degraded);
  const cap = load.carbonCapG;
  // the cap constrains the search only when the objective is not carbon itself
  if (cap !== undefined && objective.kind !== 'carbon')
    ctx.capSum = slotKwh > 0 ? cap / slotKwh : Number.POSITIVE_INFINITY;
  const result = (
    chosen: Candidate | null,
    reason: PlanReason,
    capExceeded: boolean,
    alts: PlanAlternative[],
  ) =>
    assemble({
      load,
      objective,
      stepMin,
      home,
      zone: chosen?.zone ?? home,
      chosen: chosen ? describe(chosen, k, stepMs, slotKwh) : baseline,
      baseline,
      alternatives: alts,
      reason,
      capExceeded,
      degraded,
    });

  const home0 = ctx.range(home);
  if (Math.floor((load.deadlineMs - home.startMs) / stepMs) - ceilIndex(home, load.earliestMs, stepMs) < k)
    return result(null, 'no-room', cap !== undefined && baseline.emissionsG > cap + tolerance(cap), []);

  const scores = scoresFor(objective, usable, stepMin);
  const found = searchZones(ctx, usable, scores);
  let { best } = found;
  const { zoneBest } = found;
  let capExceeded = false;
  let scoresUsed = scores;
  if (!best && ctx.capSum !== undefined) {
    // nothing meets the cap: the lowest-emission plan, flagged
    const carbonScores = scoresFor({ kind: 'carbon' }, usable, stepMin);
    const lowest = searchZones({ ...ctx, capSum: undefined }, usable, carbonScores);
    zoneBest.push(...lowest.zoneBest);
    if (lowest.best) {
      best = lowest.best;
      capExceeded = true;
      scoresUsed = carbonScores;
    }
  }
  if (!best)
    return result(null, 'no-data', cap !== undefined && baseline.emissionsG > cap + tolerance(cap), []);

  const runNow = runNowIfAsGood(ctx, best, baseStart, home0, scoresUsed.get(home), capExceeded);
  best = runNow.best;
  let reason = runNow.reason;
  const carbon = objective.kind === 'carbon';
  const deferral = carbon ? deferredStart(ctx, best, home0.to, nextDecisionMs, scoresUsed) : null;
  if (deferral) {
    best = deferral.later;
    reason = 'waits-for-better';
  }
  if (cap !== undefined && !capExceeded && emissionsOf(best, k, slotKwh) > cap + tolerance(cap))
    capExceeded = true; // a carbon objective is not constrained by the cap, only checked against it
  const alts =
    nAlt > 0
      ? alternativesFor(best, zoneBest, scoresUsed, ctx.range, k, nAlt, stepMs, slotKwh, {
          capSum: ctx.capSum !== undefined && !capExceeded ? ctx.capSum : undefined,
          pieces: ctx.pieces,
        })
      : [];
  const plan = result(best, reason, capExceeded, alts);
  // what waiting is expected to gain, for a plan that waits in the home zone
  const first = best.slots ? best.slots[0] : best.start;
  if (deferral) plan.waiting = { ...deferral.summary, deferred: true };
  else if (carbon && best.zone === home && first > home0.from) {
    const summary = waitingVerdict(ctx, home0.from, home0.to)?.summary;
    if (summary) plan.waiting = summary;
  }
  return plan;
}

/** The stopping rule on the home zone's expected carbon, starting at `from` or later, if it has paths. */
function waitingVerdict(ctx: LoadContext, from: number, to: number) {
  const { home, k, stepMs, stepMin } = ctx;
  const errors = home.sig.carbonErrors;
  if (!errors || errors.paths.length === 0) return undefined;
  return waitingSummary({
    expected: home.carbon,
    from,
    to,
    k,
    stepMin,
    uncertainFrom: Math.round((errors.fromMs - home.startMs) / stepMs),
    paths: errors.paths,
  });
}

/**
 * The best later start in the home zone, when the plan would start a one-piece load there before the next
 * decision and the stopping rule waits; null otherwise.
 */
function deferredStart(
  ctx: LoadContext,
  best: Candidate,
  to: number,
  nextDecisionMs: number | undefined,
  scores: Map<ZoneState, ScoreSet>,
): { later: Candidate; summary: PlanWaiting } | null {
  const { home, stepMs } = ctx;
  if (nextDecisionMs === undefined || ctx.pieces || best.slots || best.zone !== home) return null;
  if (home.startMs + best.start * stepMs >= nextDecisionMs) return null;
  const verdict = waitingVerdict(ctx, best.start, to);
  if (!verdict?.wait || !verdict.summary) return null;
  const after = (z: ZoneState) => ({ ...ctx.range(z), from: best.start + 1 });
  const later = searchZones({ ...ctx, range: after }, [home], scores).best;
  return later ? { later, summary: verdict.summary } : null;
}

function loadContext(load: LoadSpec, zones: Map<string, ZoneState>, stepMin: number): LoadContext {
  const stepMs = stepMin * MINUTE_MS;
  const k = Math.ceil(load.durationMin / stepMin - 1e-9);
  const slotKwh = (load.powerKw * load.durationMin) / 60 / k;
  const home = zones.get(load.zones[0])!;
  const pieces = load.interruptible
    ? {
        // a piece cannot be longer than the whole load
        minPieceSlots: Math.min(k, Math.max(1, Math.ceil((load.minPieceMin ?? stepMin) / stepMin - 1e-9))),
        maxPieces: load.maxPieces ?? Number.POSITIVE_INFINITY,
      }
    : undefined;
  const range = (z: ZoneState) => ({
    from: Math.max(0, ceilIndex(z, load.earliestMs, stepMs)),
    to: Math.min(z.carbon.length, Math.floor((load.deadlineMs - z.startMs) / stepMs)),
  });
  return { load, stepMin, stepMs, k, slotKwh, home, range, pieces, degraded: [] };
}

/**
 * The objective and the zones that can be compared under it: a price objective leaves out zones without
 * prices or in another currency than the home zone's, and falls back to carbon when no zone has prices.
 */
function comparableZones(
  load: LoadSpec,
  candidates: ZoneState[],
  degraded: string[],
): { objective: Objective; usable: ZoneState[] } {
  const objective: Objective = load.objective ?? { kind: 'carbon' };
  if (!needsPrice(objective)) return { objective, usable: candidates };
  const homeCurrency = candidates[0].sig.currency;
  const left: string[] = [];
  const usable = candidates.filter((z) => {
    if (!z.price) {
      left.push(`${z.sig.zone} has no price signal; left out of the ${objectiveName(objective)} plan`);
      return false;
    }
    if (homeCurrency && z.sig.currency && z.sig.currency !== homeCurrency) {
      left.push(`${z.sig.zone} prices are in ${z.sig.currency}, not ${homeCurrency}; left out`);
      return false;
    }
    return true;
  });
  if (usable.length > 0) {
    degraded.push(...left);
    return { objective, usable };
  }
  degraded.push(`no price signal: planned for carbon instead of ${objectiveName(objective)}`);
  return { objective: { kind: 'carbon' }, usable: candidates };
}

/** Each zone's best choice, and the best of them (ties keep the earlier zone: the home zone first). */
function searchZones(
  ctx: LoadContext,
  usable: ZoneState[],
  scores: Map<ZoneState, ScoreSet>,
): { best: Candidate | null; zoneBest: Candidate[] } {
  const zones = usable.map((z) => {
    const s = scores.get(z)!;
    return { scores: s.scores, prefix: s.prefix, carbon: z.carbon, carbonPrefix: () => carbonPrefix(z) };
  });
  const candidate = (c: ZoneChoice): Candidate => ({ ...c, zone: usable[c.zone] });
  const zoneBest: Candidate[] = [];
  const best = searchAcrossZones(
    zones,
    { k: ctx.k, range: (i) => ctx.range(usable[i]), pieces: ctx.pieces, capSum: ctx.capSum },
    (c) => zoneBest.push(candidate(c)),
  );
  return { best: best && candidate(best), zoneBest };
}

/**
 * Running at once when it is as good as the best choice (and allowed, and within the cap): there is no
 * reason to move a load for nothing.
 */
function runNowIfAsGood(
  ctx: LoadContext,
  best: Candidate,
  baseStart: number,
  homeRange: { from: number; to: number },
  homeScores: ScoreSet | undefined,
  capExceeded: boolean,
): { best: Candidate; reason: PlanReason } {
  const { home, k, capSum } = ctx;
  if (homeScores && baseStart >= homeRange.from && baseStart + k <= homeRange.to) {
    const bTotal = windowSum(homeScores.prefix, baseStart, k);
    const meetsCap =
      capSum === undefined ||
      capExceeded ||
      windowSum(carbonPrefix(home), baseStart, k) <= capSum + tolerance(capSum);
    if (Number.isFinite(bTotal) && meetsCap && bTotal <= best.total + tolerance(best.total)) {
      const isBaseline = best.zone === home && !best.slots && best.start === baseStart;
      return {
        best: isBaseline ? best : { zone: home, start: baseStart, total: bTotal },
        reason: 'already-best',
      };
    }
  }
  const reason = best.zone === home && isWindow(best, baseStart, k) ? 'already-best' : 'best-window';
  return { best, reason };
}

function ceilIndex(z: ZoneState, ms: number, stepMs: number): number {
  return Math.ceil((ms - z.startMs) / stepMs);
}

function isWindow(c: Candidate, start: number, k: number): boolean {
  if (!c.slots) return c.start === start;
  return c.slots.length === k && c.slots[0] === start && c.slots[k - 1] === start + k - 1;
}

/** Sum of `values` at the chosen slots (NaN without values). */
function sumSlots(values: Float64Array | undefined, slots: Int32Array): number {
  return values ? sumAt(values, slots) : Number.NaN;
}

function emissionsOf(c: Candidate, k: number, slotKwh: number): number {
  return slotKwh * (c.slots ? sumSlots(c.zone.carbon, c.slots) : rangeSum(c.zone.carbon, c.start, k));
}

interface Described {
  runs: Run[];
  slots?: number[];
  emissionsG: number;
  cost?: number;
}

function describe(c: Candidate, k: number, stepMs: number, slotKwh: number): Described {
  const z = c.zone;
  const at = (i: number) => z.startMs + i * stepMs;
  if (c.slots) {
    const slots = c.slots;
    const runs: Run[] = [];
    for (let i = 0; i < slots.length; i++) {
      if (i > 0 && slots[i] === slots[i - 1] + 1) runs[runs.length - 1].endMs = at(slots[i] + 1);
      else runs.push({ startMs: at(slots[i]), endMs: at(slots[i] + 1) });
    }
    const cost = slotKwh * sumSlots(z.price, slots);
    return {
      runs,
      slots: Array.from(slots, at),
      emissionsG: slotKwh * sumSlots(z.carbon, slots),
      cost: Number.isFinite(cost) ? cost : undefined,
    };
  }
  return windowAt(z, c.start, k, stepMs, slotKwh);
}

function windowAt(z: ZoneState, start: number, k: number, stepMs: number, slotKwh: number): Described {
  const startMs = z.startMs + start * stepMs;
  const cost = slotKwh * rangeSum(z.price, start, k);
  return {
    runs: [{ startMs, endMs: startMs + k * stepMs }],
    emissionsG: slotKwh * rangeSum(z.carbon, start, k),
    cost: Number.isFinite(cost) ? cost : undefined,
  };
}

/**
 * Runner-ups, best first by the objective: the best plan of each other zone, and the next-best windows of the
 * chosen zone that overlap neither the chosen window nor each other (contiguous loads), or the best
 * unbroken window (interruptible loads).
 */
function alternativesFor(
  best: Candidate,
  zoneBest: Candidate[],
  scores: Map<ZoneState, ScoreSet>,
  range: (z: ZoneState) => { from: number; to: number },
  k: number,
  n: number,
  stepMs: number,
  slotKwh: number,
  opts: { capSum?: number; pieces?: object },
): PlanAlternative[] {
  const found: Candidate[] = [];
  const seen = new Set<ZoneState>([best.zone]);
  for (const c of zoneBest) {
    if (seen.has(c.zone)) continue;
    seen.add(c.zone);
    found.push(c);
  }
  const z = best.zone;
  const s = scores.get(z);
  const { from, to } = range(z);
  if (s) {
    const cap =
      opts.capSum !== undefined
        ? { prefix: carbonPrefix(z), limit: opts.capSum + tolerance(opts.capSum) }
        : undefined;
    if (opts.pieces) {
      const c = bestStartAvoiding(s.prefix, from, to, k, [], cap);
      if (c && !isWindow(best, c.start, k)) found.push({ zone: z, ...c });
    } else {
      // chosen and listed windows, by start; the next one must overlap none of them
      const taken: number[] = [best.start];
      for (let a = 0; a < n; a++) {
        const c = bestStartAvoiding(s.prefix, from, to, k, taken, cap);
        if (!c) break;
        taken.push(c.start);
        taken.sort((x, y) => x - y);
        found.push({ zone: z, ...c });
      }
    }
  }
  found.sort((a, b) => a.total - b.total || a.start - b.start);
  return found.slice(0, n).map((c) => {
    const d = describe(c, k, stepMs, slotKwh);
    const alt: PlanAlternative = { zone: c.zone.sig.zone, runs: d.runs, emissionsG: d.emissionsG };
    if (d.cost !== undefined) {
      alt.cost = d.cost;
      if (c.zone.sig.currency) alt.currency = c.zone.sig.currency;
    }
    return alt;
  });
}

/**
 * The lowest window of `k` slots in [from, to) that overlaps none of the windows starting at `taken` (sorted,
 * themselves non-overlapping), optionally with its carbon sum within a limit. One pass over the allowed starts.
 */
function bestStartAvoiding(
  p: Prefix,
  from: number,
  to: number,
  k: number,
  taken: number[],
  cap?: { prefix: Prefix; limit: number },
): { start: number; total: number } | null {
  const { sum, missing } = p;
  const last = Math.min(to, sum.length - 1) - k;
  let best = -1;
  let bestTotal = Number.POSITIVE_INFINITY;
  let seg = Math.max(0, from);
  for (let ti = 0; ti <= taken.length; ti++) {
    // windows before taken[ti] end at or before it; the next segment starts after it ends
    const segEnd = ti < taken.length ? Math.min(last, taken[ti] - k) : last;
    for (let st = seg; st <= segEnd; st++) {
      if (missing[st + k] !== missing[st]) continue;
      const t = sum[st + k] - sum[st];
      if (t >= bestTotal) continue;
      if (cap) {
        const cp = cap.prefix;
        if (cp.missing[st + k] !== cp.missing[st] || cp.sum[st + k] - cp.sum[st] > cap.limit) continue;
      }
      bestTotal = t;
      best = st;
    }
    if (ti < taken.length) seg = Math.max(seg, taken[ti] + k);
  }
  return best < 0 ? null : { start: best, total: bestTotal };
}

function pct(saved: number, of: number): number {
  if (!Number.isFinite(saved) || !Number.isFinite(of)) return Number.NaN;
  if (of === 0) return 0;
  return (100 * saved) / Math.abs(of);
}

interface Assembly {
  load: LoadSpec;
  objective: Objective;
  stepMin: number;
  /** the home zone, where the baseline runs */
  home: ZoneState;
  /** the chosen zone */
  zone: ZoneState;
  chosen: Described;
  baseline: Described;
  alternatives: PlanAlternative[];
  reason: PlanReason;
  capExceeded: boolean;
  degraded: string[];
}

function assemble(a: Assembly): Plan {
  const { load, zone, chosen, baseline } = a;
  const home = load.zones[0];
  const plan: Plan = {
    load,
    objective: objectiveName(a.objective),
    stepMin: a.stepMin,
    zone: zone.sig.zone,
    runs: chosen.runs,
    energyKwh: (load.powerKw * load.durationMin) / 60,
    emissionsG: chosen.emissionsG,
    baseline: { zone: home, runs: baseline.runs, emissionsG: baseline.emissionsG },
    savings: { emissionsG: 0, emissionsPct: 0 },
    alternatives: a.alternatives,
    reason: a.reason,
    sources: { carbon: zone.sig.carbonSource },
  };
  if (chosen.slots) plan.slots = chosen.slots;
  else if (load.interruptible) plan.slots = runSlots(chosen.runs, a.stepMin);
  const savedG = baseline.emissionsG - chosen.emissionsG;
  plan.savings = { emissionsG: savedG, emissionsPct: pct(savedG, baseline.emissionsG) };
  if (chosen.cost !== undefined) {
    plan.cost = chosen.cost;
    if (zone.sig.currency) plan.currency = zone.sig.currency;
  }
  if (baseline.cost !== undefined) plan.baseline.cost = baseline.cost;
  if (chosen.cost !== undefined && baseline.cost !== undefined) {
    const saved = baseline.cost - chosen.cost;
    plan.savings.cost = saved;
    if (baseline.cost !== 0) plan.savings.costPct = pct(saved, baseline.cost);
  }
  if (zone.price && zone.sig.priceSource) plan.sources.price = zone.sig.priceSource;
  if (a.capExceeded) plan.capExceeded = true;
  const notes = [...(zone.sig.degraded ?? [])];
  // the baseline's zone matters too when the plan moved away from it
  if (a.home !== zone) for (const d of a.home.sig.degraded ?? []) notes.push(`${home}: ${d}`);
  notes.push(...a.degraded);
  if (notes.length > 0) plan.degraded = [...new Set(notes)];
  return plan;
}

function runSlots(runs: Run[], stepMin: number): number[] {
  const out: number[] = [];
  const stepMs = stepMin * MINUTE_MS;
  for (const r of runs) for (let t = r.startMs; t < r.endMs; t += stepMs) out.push(t);
  return out;
}
