/**
 * When to start a load that runs in one piece, if the future is uncertain: start now only if that costs no
 * more than the expected cost of waiting and starting later, counted on sampled future paths with the
 * information that waiting brings.
 *
 * Planning on one estimate of the future compares the cost of starting now with the best window of that
 * estimate. The best window of an average path is worse than the average of each path's best window, so that
 * comparison undervalues waiting: a later decision will see more of the future than today's estimate does.
 * Here each sampled path stands for one possible future. On a path, a later start is judged with what will be
 * known when it is taken: the forecast reaches as many slots further as time has passed (the horizon moves
 * on), and beyond that only today's estimate is known. The start judged best that way is what waiting leads
 * to on that path, and its cost on the path is what waiting costs there.
 *
 * Pure: a function of the expected scores, the sampled errors and the window. With no paths (a forecast
 * without uncertainty) it never waits, so the plan on the expected values stands unchanged.
 */

/**
 * How many hours of waiting a later start may learn from, by default: chosen on the ML jobs of DE-2020
 * submitted January-June (docs/benchmarks.md, deciding under uncertainty).
 */
export const LOOK_HOURS = 6;

/** `LOOK_HOURS` in slots of `stepMin` minutes. */
export function lookSlotsFor(stepMin: number, hours = LOOK_HOURS): number {
  return Math.round((hours * 60) / stepMin);
}

export interface StartOrWaitInput {
  /** expected score of each slot (grid-indexed, at least over [from, to)); NaN = unusable */
  expected: ArrayLike<number>;
  /** the decision time's slot: the start being considered */
  from: number;
  /** end of the allowed slots (exclusive) */
  to: number;
  /** slots the load runs */
  k: number;
  /** first slot whose value is uncertain: the paths' errors apply from there */
  uncertainFrom: number;
  /** sampled errors (actual - expected), index s - uncertainFrom; missing entries count as 0 */
  paths: readonly Float64Array[];
  /**
   * how many slots of waiting a later choice may learn from: a start `i` slots from now is judged with the
   * forecast reaching min(i, lookSlots) slots further than today's
   */
  lookSlots: number;
}

export interface StartOrWait {
  wait: boolean;
  /** mean over the paths of starting now, and of waiting (score units summed over the run) */
  nowCost: number;
  waitCost: number;
  /** share of the paths on which waiting costs less than starting now */
  cleanerShare: number;
}

/** Decides between starting at `from` and waiting; see the module comment. */
export function startOrWait(input: StartOrWaitInput): StartOrWait {
  const { expected, from, to, k, uncertainFrom, lookSlots } = input;
  const span = to - from;
  const last = to - k; // latest start
  const stay = { wait: false, nowCost: Number.NaN, waitCost: Number.NaN, cleanerShare: 0 };
  if (input.paths.length === 0 || last <= from || uncertainFrom >= to) return stay;
  // prefix sums of the expected scores, and of one path at a time; a window with an unusable slot is left
  // to the plan (it already avoids such slots)
  const e = new Float64Array(span + 1);
  for (let i = 0; i < span; i++) {
    const v = expected[from + i];
    if (!Number.isFinite(v)) return stay;
    e[i + 1] = e[i] + v;
  }
  const g = Math.max(0, uncertainFrom - from); // first uncertain offset
  const paths = centred(input.paths, span - g);
  const u = new Float64Array(span + 1);
  let nowSum = 0;
  let waitSum = 0;
  let cleaner = 0;
  for (const path of paths) {
    for (let i = 0; i < span; i++) u[i + 1] = u[i] + (e[i + 1] - e[i]) + (i >= g ? path[i - g] : 0);
    const now = u[k] - u[0];
    // at a later start s (offset i), the forecast reaches offset g + i: known on the path up to there
    let best = Number.POSITIVE_INFINITY;
    let bestAt = -1;
    for (let i = 1; i <= last - from; i++) {
      const seen = Math.min(i + k, Math.max(i, g + Math.min(i, lookSlots)));
      const judged = u[seen] - u[i] + (e[i + k] - e[seen]);
      if (judged < best) {
        best = judged;
        bestAt = i;
      }
    }
    const later = bestAt < 0 ? Number.POSITIVE_INFINITY : u[bestAt + k] - u[bestAt];
    nowSum += now;
    waitSum += later;
    if (later < now) cleaner++;
  }
  const nowCost = nowSum / paths.length;
  const waitCost = waitSum / paths.length;
  return { wait: waitCost < nowCost, nowCost, waitCost, cleanerShare: cleaner / paths.length };
}

/**
 * The paths less their mean at each slot (missing entries as 0): the expected values already are the best
 * estimate, so the paths add only its spread and leave the expected cost of every start as it is.
 */
function centred(paths: readonly Float64Array[], length: number): Float64Array[] {
  const mean = new Float64Array(length);
  const value = (p: Float64Array, i: number) => (i < p.length && Number.isFinite(p[i]) ? p[i] : 0);
  for (const p of paths) for (let i = 0; i < length; i++) mean[i] += value(p, i) / paths.length;
  return paths.map((p) => Float64Array.from(mean, (m, i) => value(p, i) - m));
}
