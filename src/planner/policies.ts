/**
 * Scheduling policies: where and when one load runs, decided on forecast values at one decision time. Pure
 * functions of what each candidate zone's forecast shows and of the load's remaining allowed slots, so the
 * simulator can replay them over a trace and compare gridshift's planner with the policies peers use.
 *
 * A slot whose score is NaN is unknown (beyond the forecast horizon, or no data there): a policy only picks
 * windows it fully knows. When nothing fits it runs at the first allowed slot in the home zone.
 */
import { searchZones } from './search.ts';
import { bestContiguous, lowestSlots, type Prefix, windowSum } from './windows.ts';

export const POLICY_NAMES = ['run-now', 'threshold', 'rolling-min', 'cheapest-slots', 'optimal'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** What a policy sees of one candidate zone. Arrays are indexed like the planning grid. */
export interface ZoneForecast {
  /** per-slot scores to minimise (e.g. forecast g/kWh); NaN = unknown or unusable */
  scores: ArrayLike<number>;
  /** prefix sums of `scores`, valid at least over [from, to] */
  prefix: Prefix;
  /** forecast carbon intensity in g/kWh (NaN = unknown): what the threshold policy compares */
  carbon: ArrayLike<number>;
}

/** One decision: a load that still needs `k` slots within the allowed slots [from, to). */
export interface Decision {
  /** candidate zones, the home zone first */
  zones: readonly ZoneForecast[];
  /** first allowed slot: "now" for a load that may start at once */
  from: number;
  /** end of the allowed slots (exclusive) */
  to: number;
  k: number;
  /** may run in separate pieces */
  interruptible: boolean;
}

export interface ThresholdOptions {
  /** run at once when the first allowed slot's forecast intensity is below this (g/kWh) */
  thresholdGPerKwh: number;
  /** how many slots later a start may be delayed to */
  horizonSlots: number;
}

/** 200 g/kWh and 4 hours of 30-minute slots */
export const DEFAULT_THRESHOLD: ThresholdOptions = { thresholdGPerKwh: 200, horizonSlots: 8 };

export interface PolicyChoice {
  /** index into `Decision.zones` */
  zone: number;
  /** first chosen slot */
  start: number;
  /** the chosen slots in time order when they are not `k` consecutive slots from `start` */
  slots?: Int32Array;
  /** summed forecast score of the chosen slots (NaN when unknown) */
  total: number;
  /** no fully known choice fitted, so the load runs at the first allowed slot */
  fallback: boolean;
}

/** Runs at the first allowed slot in the home zone. */
export function runNow(d: Decision): PolicyChoice {
  return { zone: 0, start: d.from, total: windowSum(d.zones[0].prefix, d.from, d.k), fallback: false };
}

/**
 * Runs at once when the forecast intensity of the first allowed slot is below the threshold; otherwise
 * delays to the best fully known start within the horizon if its window scores lower than starting now,
 * else runs now. Home zone only; one contiguous run even for interruptible loads.
 */
export function threshold(d: Decision, options: ThresholdOptions = DEFAULT_THRESHOLD): PolicyChoice {
  const z = d.zones[0];
  const now = d.from;
  const nowTotal = windowSum(z.prefix, now, d.k);
  if (z.carbon[now] < options.thresholdGPerKwh)
    return { zone: 0, start: now, total: nowTotal, fallback: false };
  const lastStart = Math.min(now + options.horizonSlots, d.to - d.k);
  const best = bestContiguous(z.prefix, now, lastStart + d.k, d.k);
  if (!best) return { zone: 0, start: now, total: nowTotal, fallback: !Number.isFinite(nowTotal) };
  if (!Number.isFinite(nowTotal) || best.total < nowTotal)
    return { zone: 0, start: best.start, total: best.total, fallback: false };
  return { zone: 0, start: now, total: nowTotal, fallback: false };
}

/**
 * The Carbon Aware SDK's method: the start with the lowest forecast mean over the run, within the allowed
 * slots of any candidate zone. Contiguous even for interruptible loads. Ties go to the earlier zone, then
 * the earlier start.
 */
export function rollingMin(d: Decision): PolicyChoice {
  let choice: PolicyChoice | null = null;
  for (let zi = 0; zi < d.zones.length; zi++) {
    const c = bestContiguous(d.zones[zi].prefix, d.from, d.to, d.k);
    if (c && (choice === null || c.total < choice.total))
      choice = { zone: zi, start: c.start, total: c.total, fallback: false };
  }
  return choice ?? fallback(d);
}

/**
 * evcc's method: the `k` lowest forecast slots for interruptible loads, the lowest contiguous window for the
 * others; the candidate zone with the lowest total.
 */
export function cheapestSlotsPolicy(d: Decision): PolicyChoice {
  if (!d.interruptible) return rollingMin(d);
  let choice: PolicyChoice | null = null;
  for (let zi = 0; zi < d.zones.length; zi++) {
    const c = lowestSlots(d.zones[zi].scores, d.from, d.to, d.k);
    if (c && (choice === null || c.total < choice.total))
      choice = { zone: zi, start: c.slots[0], slots: c.slots, total: c.total, fallback: false };
  }
  return choice ?? fallback(d);
}

/**
 * gridshift's planner, through its own search (search.ts): the exact optimum over the forecast it is given (best contiguous window, or best `k`
 * slots for interruptible loads) across candidate zones. What it is given differs from what the other
 * policies see in two ways (see `fillsUnknown` and `denoisesForecast`): slots the forecast does not reach
 * carry the built-in forecaster's estimate, which is what lets it wait for a better day; and a forecast with
 * a known white error is replaced by the expected actual values given that error (src/planner/denoise.ts),
 * so that it does not chase the slots whose error happens to be lowest. With an exact forecast (error 0)
 * the view is the forecast itself and the choice is the true optimum.
 */
export function optimal(d: Decision): PolicyChoice {
  const c = searchZones(d.zones, {
    k: d.k,
    range: () => d,
    pieces: d.interruptible ? ANY_PIECES : undefined,
  });
  return c ? { zone: c.zone, start: c.start, slots: c.slots, total: c.total, fallback: false } : fallback(d);
}

/** An interruptible load without piece rules, as the simulator's workloads have them. */
const ANY_PIECES = {};

/** Whether the policy wants unknown slots filled with the built-in forecaster's estimate. */
export function fillsUnknown(policy: PolicyName): boolean {
  return policy === 'optimal';
}

/**
 * Whether the policy plans on the expected actual values given the forecast's error standard deviation
 * (g/kWh, an input the caller derives from its forecast source) rather than on the forecast as it is.
 * Only gridshift's planner does; the other policies are the field's methods and see the raw forecast.
 */
export function denoisesForecast(policy: PolicyName): boolean {
  return policy === 'optimal';
}

export function decide(
  policy: PolicyName,
  d: Decision,
  thresholdOptions: ThresholdOptions = DEFAULT_THRESHOLD,
): PolicyChoice {
  switch (policy) {
    case 'run-now':
      return runNow(d);
    case 'threshold':
      return threshold(d, thresholdOptions);
    case 'rolling-min':
      return rollingMin(d);
    case 'cheapest-slots':
      return cheapestSlotsPolicy(d);
    case 'optimal':
      return optimal(d);
  }
}

/** The slots of a choice for a load of `k` slots, in time order. */
export function choiceSlots(choice: PolicyChoice, k: number): Int32Array {
  if (choice.slots) return choice.slots;
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = choice.start + i;
  return out;
}

function fallback(d: Decision): PolicyChoice {
  return { zone: 0, start: d.from, total: windowSum(d.zones[0].prefix, d.from, d.k), fallback: true };
}
