import { lookSlotsFor, startOrWait } from './stopping.ts';

/**
 * Why a plan waits, with the uncertainty: the stopping rule (`startOrWait`, the one the simulator's
 * `optimal` uses) applied to the plan's expected scores and the carbon forecast's sampled error paths.
 */
export interface PlanWaiting {
  /** how much lower the expected emissions of waiting are than starting now, % of starting now */
  expectedLowerPct: number;
  /** % of the sampled paths on which waiting finds a cleaner window than starting now */
  cleanerSharePct: number;
  /** hours from the first allowed start to the deadline */
  windowH: number;
  /** set when the plan would start at once on the expected values and waits because of this */
  deferred?: true;
}

export interface WaitingInput {
  /** expected carbon score of each slot of the home zone's grid */
  expected: ArrayLike<number>;
  /** first allowed slot and end of the allowed slots (exclusive) */
  from: number;
  to: number;
  /** slots the load runs */
  k: number;
  stepMin: number;
  /** first slot the paths' errors apply to */
  uncertainFrom: number;
  paths: readonly Float64Array[];
}

/**
 * The stopping rule's verdict on starting at `from`: whether to wait, and the summary of what waiting is
 * expected to gain (undefined when the rule has nothing to compare: no paths, no room, no data).
 */
export function waitingSummary(input: WaitingInput): { wait: boolean; summary?: PlanWaiting } {
  const { from, to, stepMin } = input;
  const decision = startOrWait({
    expected: input.expected,
    from,
    to,
    k: input.k,
    uncertainFrom: input.uncertainFrom,
    paths: input.paths,
    lookSlots: lookSlotsFor(stepMin),
  });
  const { nowCost, waitCost } = decision;
  if (!Number.isFinite(nowCost) || !Number.isFinite(waitCost) || nowCost <= 0) return { wait: false };
  return {
    wait: decision.wait,
    summary: {
      expectedLowerPct: (100 * (nowCost - waitCost)) / nowCost,
      cleanerSharePct: 100 * decision.cleanerShare,
      windowH: ((to - from) * stepMin) / 60,
    },
  };
}
