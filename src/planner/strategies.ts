import { STRATEGIES, type Strategy } from '../core/objective.ts';
import { slotScores } from './objectives.ts';

/**
 * A home's daily strategy as a penalty per slot, for appliances the household delegates. The strategies
 * are the planner's (`STRATEGIES`): `balanced` weighs cost 0.7 and carbon 0.3, `max_savings` is cost only,
 * `eco` carbon only. Each signal is normalised by the largest magnitude of its (UTC) day, as the planner's
 * weighted objective does (`slotScores`), so a penalty of 1 is the day's worst slot on every signal the
 * strategy counts. From the timeline: the best window of a given length to run an appliance, and whether to
 * delay one that is about to start now. Pure.
 *
 * Negative prices: divided by the day's largest magnitude they stay negative, so the penalty there is below
 * zero: better than free, and the strategy prefers such a slot to any priced one. On a day whose prices are
 * mostly positive that divisor is the day's maximum price; on a day of deep negative prices it is the most
 * negative one, and the values lie in [-1, 1] either way, in the order of the prices. A slot without a value
 * the strategy needs has no penalty (NaN) and is never chosen.
 */

export type { Strategy } from '../core/objective.ts';

/** Delay an appliance when the penalty now is above this, unless the home sets its own. */
export const DEFAULT_DELAY_THRESHOLD = 0.6;

export interface HomeSignals {
  startMs: number;
  stepMin: number;
  /** gCO2eq/kWh per slot (NaN = missing) */
  carbon: ArrayLike<number>;
  /** price per kWh per slot, same length (NaN = missing); absent: no prices */
  price?: ArrayLike<number>;
}

export interface PenaltyTimeline {
  startMs: number;
  stepMin: number;
  strategy: Strategy;
  /** penalty per slot; NaN where a value the strategy needs is missing */
  values: Float64Array;
}

/** The cost and carbon weights of a strategy: the weighted objective it is, or all on one signal. */
export function strategyWeights(strategy: Strategy): { carbonWeight: number; costWeight: number } {
  const o = STRATEGIES[strategy];
  if (o.kind === 'weighted') return { carbonWeight: o.carbonWeight, costWeight: o.costWeight };
  return o.kind === 'carbon' ? { carbonWeight: 1, costWeight: 0 } : { carbonWeight: 0, costWeight: 1 };
}

/** The penalty of every slot under a strategy: its weights on the day-normalised signals. */
export function penaltyTimeline(signals: HomeSignals, strategy: Strategy): PenaltyTimeline {
  const n = signals.carbon.length;
  if (signals.price && signals.price.length !== n)
    throw new RangeError(`price has ${signals.price.length} slots, carbon ${n}`);
  const values = slotScores(
    { kind: 'weighted', ...strategyWeights(strategy) },
    {
      startMs: signals.startMs,
      stepMin: signals.stepMin,
      carbon: signals.carbon,
      price: signals.price ?? new Float64Array(n).fill(Number.NaN),
    },
  );
  return { startMs: signals.startMs, stepMin: signals.stepMin, strategy, values };
}

export interface RunWindow {
  /** first slot of the window */
  start: number;
  startMs: number;
  /** mean penalty over its slots */
  meanPenalty: number;
}

/**
 * The consecutive `slots` slots, starting in [from, to - slots], with the lowest mean penalty (the earliest
 * of equals); null when no window has a penalty in every slot.
 */
export function bestRunWindow(
  timeline: PenaltyTimeline,
  slots: number,
  range: { from?: number; to?: number } = {},
): RunWindow | null {
  const v = timeline.values;
  const from = Math.max(0, range.from ?? 0);
  const to = Math.min(v.length, range.to ?? v.length);
  if (!(Number.isInteger(slots) && slots >= 1))
    throw new RangeError(`a run takes a whole number of slots >= 1, got ${slots}`);
  let best: RunWindow | null = null;
  for (let s = from; s + slots <= to; s++) {
    let sum = 0;
    for (let i = s; i < s + slots; i++) sum += v[i];
    const mean = sum / slots;
    if (!Number.isFinite(mean)) continue;
    if (!best || mean < best.meanPenalty - 1e-12)
      best = { start: s, startMs: timeline.startMs + s * timeline.stepMin * 60_000, meanPenalty: mean };
  }
  return best;
}

export interface DelayAdvice {
  delay: boolean;
  /** the penalty of the slot holding now (NaN when unknown) */
  penalty: number;
  threshold: number;
  reason: string;
}

/** Whether to delay an appliance about to start in slot `now`: when its penalty is above the threshold. */
export function delayNow(
  timeline: PenaltyTimeline,
  now: number,
  threshold = DEFAULT_DELAY_THRESHOLD,
): DelayAdvice {
  const penalty = timeline.values[now] ?? Number.NaN;
  const shown = (x: number) => x.toFixed(2);
  if (!Number.isFinite(penalty))
    return {
      delay: false,
      penalty,
      threshold,
      reason: `no ${timeline.strategy} penalty now: run (missing signals never hold a device)`,
    };
  const delay = penalty > threshold;
  return {
    delay,
    penalty,
    threshold,
    reason: `${timeline.strategy} penalty now ${shown(penalty)} is ${delay ? 'above' : 'not above'} the threshold ${shown(threshold)}: ${delay ? 'delay' : 'run'}`,
  };
}
