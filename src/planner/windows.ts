/**
 * Window search over per-slot scores (lower is better). Pure and allocation-light: callers compute
 * the prefix sums of a zone's scores once and plan any number of loads against them.
 */

/** Cumulative sums of the finite scores and counts of the missing (NaN) ones, for O(1) window sums. */
export interface Prefix {
  sum: Float64Array;
  missing: Int32Array;
}

export function prefixSums(scores: ArrayLike<number>): Prefix {
  const n = scores.length;
  const sum = new Float64Array(n + 1);
  const missing = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    const ok = Number.isFinite(v);
    sum[i + 1] = sum[i] + (ok ? v : 0);
    missing[i + 1] = missing[i] + (ok ? 0 : 1);
  }
  return { sum, missing };
}

/** Sum of slots [start, start + k), or NaN if any of them has no value. */
export function windowSum(prefix: Prefix, start: number, k: number): number {
  if (prefix.missing[start + k] - prefix.missing[start] > 0) return Number.NaN;
  return prefix.sum[start + k] - prefix.sum[start];
}

export interface ContiguousChoice {
  start: number;
  total: number;
}

/**
 * The start of the `k` consecutive slots within [from, to) with the lowest total; ties go to the earliest
 * start. Null when no complete window with values fits.
 */
export function bestContiguous(prefix: Prefix, from: number, to: number, k: number): ContiguousChoice | null {
  const { sum, missing } = prefix;
  const n = sum.length - 1;
  const lo = Math.max(0, from);
  const hi = Math.min(to, n) - k;
  let best = -1;
  let bestTotal = Number.POSITIVE_INFINITY;
  for (let s = lo; s <= hi; s++) {
    if (missing[s + k] !== missing[s]) continue;
    const t = sum[s + k] - sum[s];
    if (t < bestTotal) {
      bestTotal = t;
      best = s;
    }
  }
  return best < 0 ? null : { start: best, total: bestTotal };
}

/**
 * The `k` slots within [from, to) with the lowest scores, returned in time order; ties go to earlier
 * slots. Null when fewer than `k` slots have values.
 */
export function cheapestSlots(
  scores: ArrayLike<number>,
  from: number,
  to: number,
  k: number,
): Int32Array | null {
  const lo = Math.max(0, from);
  const hi = Math.min(to, scores.length);
  const idx: number[] = [];
  for (let i = lo; i < hi; i++) if (Number.isFinite(scores[i])) idx.push(i);
  if (idx.length < k) return null;
  idx.sort((a, b) => scores[a] - scores[b] || a - b);
  const chosen = Int32Array.from(idx.slice(0, k));
  return chosen.sort();
}
