import { InputError } from '../core/errors.ts';
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

/** Sum of slots [start, start + k), or NaN if any of them has no value or lies outside the prefix. */
export function windowSum(prefix: Prefix, start: number, k: number): number {
  if (start < 0 || start + k >= prefix.sum.length) return Number.NaN;
  if (prefix.missing[start + k] !== prefix.missing[start]) return Number.NaN;
  return prefix.sum[start + k] - prefix.sum[start];
}

/** Sum of `values` over [start, start + k) without a prefix (NaN when any is missing or out of range). */
export function rangeSum(values: ArrayLike<number> | undefined, start: number, k: number): number {
  if (!values || start < 0 || start + k > values.length) return Number.NaN;
  let s = 0;
  for (let i = start; i < start + k; i++) s += values[i];
  return s;
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
  return lowestSlots(scores, from, to, k)?.slots ?? null;
}

// Reused between calls: the simulator asks for thousands of selections per simulated day.
let scratch = new Float64Array(1024);

/**
 * `cheapestSlots` with the total of the chosen scores. Linear time and no allocation but the result: a
 * quickselect finds the k-th lowest score, then one pass in time order takes the slots below it and the
 * earliest ties.
 */
export function lowestSlots(
  scores: ArrayLike<number>,
  from: number,
  to: number,
  k: number,
): SlotChoice | null {
  const lo = Math.max(0, from);
  const hi = Math.min(to, scores.length);
  if (k <= 0) return { slots: new Int32Array(0), total: 0 };
  if (hi - lo < k) return null;
  if (scratch.length < hi - lo) scratch = new Float64Array(2 * (hi - lo));
  const buf = scratch;
  let n = 0;
  for (let i = lo; i < hi; i++) {
    const v = scores[i];
    if (Number.isFinite(v)) buf[n++] = v;
  }
  if (n < k) return null;
  const kth = selectKth(buf, n, k - 1);
  let below = 0;
  for (let i = 0; i < n; i++) if (buf[i] < kth) below++;
  let ties = k - below;
  const slots = new Int32Array(k);
  let total = 0;
  let w = 0;
  for (let i = lo; i < hi && w < k; i++) {
    const v = scores[i];
    if (v < kth || (v === kth && ties-- > 0)) {
      slots[w++] = i;
      total += v;
    }
  }
  return { slots, total };
}

/** The value of rank `r` (0 = lowest) among a[0..n), reordering `a` in place (Hoare quickselect). */
function selectKth(a: Float64Array, n: number, r: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    // median of three keeps sorted and reversed inputs linear
    const mid = (lo + hi) >> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r];
  }
  return a[r];
}

/** Shape rules for an interruptible load: each maximal run of chosen slots is at least `minPieceSlots` long, at most `maxPieces` runs. */
export interface PieceOptions {
  minPieceSlots?: number;
  maxPieces?: number;
}

export interface SlotChoice {
  /** chosen slot indices in time order */
  slots: Int32Array;
  total: number;
}

/**
 * Above this many dynamic-programme states (positions x slots x pieces) the search refuses rather than use
 * more memory (a byte per state): 50 MB. The longest load in the longest window on a 30-minute grid with up
 * to 10 pieces fits.
 */
const MAX_DP_STATES = 50_000_000;

/**
 * The `k` allowed slots within [from, to) with the lowest total, made of at most `maxPieces` maximal runs
 * each at least `minPieceSlots` long. Exact. Without shape rules this is `cheapestSlots`; with them, a
 * dynamic programme over (position, slots used, pieces used) with two states (outside a run / inside a run
 * already long enough): a new run takes its first `minPieceSlots` slots at once, which keeps it
 * O(n * k * pieces). The pieces dimension is dropped when `maxPieces` cannot bind (>= k / minPieceSlots).
 * Null when no choice fits.
 */
export function bestInterruptible(
  scores: ArrayLike<number>,
  from: number,
  to: number,
  k: number,
  options: PieceOptions = {},
): SlotChoice | null {
  const m = options.minPieceSlots ?? 1;
  const maxPieces = options.maxPieces ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`slot count must be a whole number >= 0, got ${k}`);
  if (!Number.isInteger(m) || m < 1)
    throw new RangeError(`minPieceSlots must be a whole number >= 1, got ${options.minPieceSlots}`);
  if (!(maxPieces >= 1) || (Number.isFinite(maxPieces) && !Number.isInteger(maxPieces)))
    throw new RangeError(`maxPieces must be a whole number >= 1, got ${options.maxPieces}`);
  const lo = Math.max(0, from);
  const hi = Math.min(to, scores.length);
  if (k === 0) return { slots: new Int32Array(0), total: 0 };
  if (hi - lo < k || m > k) return null;
  // pieces that can actually be used: each takes at least m slots
  const pieces = Math.min(maxPieces, Math.floor(k / m));
  if (pieces === 1) {
    const c = bestContiguous(prefixSums(sliceRange(scores, lo, hi)), 0, hi - lo, k);
    return c ? { slots: rangeSlots(lo + c.start, k), total: c.total } : null;
  }
  const cheapest = lowestSlots(scores, lo, hi, k);
  if (!cheapest) return null;
  // the unconstrained optimum is also the constrained one when it already has a fitting shape
  if (fitsPieces(cheapest.slots, m, maxPieces)) return cheapest;
  return piecesProgramme(scores, lo, hi, k, m, pieces, maxPieces < Math.floor(k / m));
}

/** Whether maximal runs of the sorted `slots` number at most `maxPieces` and are each at least `m` long. */
export function fitsPieces(slots: ArrayLike<number>, m: number, maxPieces: number): boolean {
  let runs = 0;
  let len = 0;
  for (let i = 0; i < slots.length; i++) {
    if (i > 0 && slots[i] === slots[i - 1] + 1) len++;
    else {
      if (i > 0 && len < m) return false;
      runs++;
      len = 1;
    }
  }
  return (slots.length === 0 || len >= m) && runs <= maxPieces;
}

function piecesProgramme(
  scores: ArrayLike<number>,
  lo: number,
  hi: number,
  k: number,
  m: number,
  pieces: number,
  trackPieces: boolean,
): SlotChoice | null {
  const n = hi - lo;
  const pd = trackPieces ? pieces + 1 : 1;
  const layer = (k + 1) * pd;
  if (n * layer > MAX_DP_STATES)
    throw new InputError(
      `maxPieces: interruptible search too large (${n} slots x ${k} needed x ${pd} pieces); shorten the window or relax the piece rules`,
    );
  const local = sliceRange(scores, lo, hi);
  const pre = prefixSums(local);
  const INF = Number.POSITIVE_INFINITY;
  // OUT layers for the last m+1 positions (a run start reaches back m positions); slot 0 of the ring is position -1
  const ring = m + 1;
  const out = new Float64Array(ring * layer).fill(INF);
  let inPrev = new Float64Array(layer).fill(INF);
  let inCur = new Float64Array(layer).fill(INF);
  // base: before the first slot, nothing chosen, outside a run
  const ringAt = (t: number) => ((t + 1) % ring) * layer;
  out[ringAt(-1)] = 0;
  // bit 1: IN state came from a run start; bit 2: OUT state came from IN
  const dec = new Uint8Array(n * layer);
  for (let t = 0; t < n; t++) {
    const v = local[t];
    const finite = Number.isFinite(v);
    const oPrev = ringAt(t - 1);
    const oCur = ringAt(t);
    const canStart = t - m + 1 >= 0 && pre.missing[t + 1] === pre.missing[t - m + 1];
    const startCost = canStart ? pre.sum[t + 1] - pre.sum[t - m + 1] : 0;
    const oBack = ringAt(t - m);
    const jMin = Math.max(0, k - (n - 1 - t));
    const jMax = Math.min(k, t + 1);
    inCur.fill(INF);
    out.fill(INF, oCur, oCur + layer);
    const dBase = t * layer;
    for (let j = jMin; j <= jMax; j++) {
      for (let p = 0; p < pd; p++) {
        const idx = j * pd + p;
        // OUT: slot t not chosen
        const a = out[oPrev + idx];
        const b = inPrev[idx];
        if (b < a) {
          out[oCur + idx] = b;
          dec[dBase + idx] |= 2;
        } else out[oCur + idx] = a;
        // IN: slot t chosen, in a run already >= m long
        let best = INF;
        if (finite && j >= 1) best = inPrev[(j - 1) * pd + p] + v;
        if (canStart && j >= m && (!trackPieces || p >= 1)) {
          const s = out[oBack + (j - m) * pd + (trackPieces ? p - 1 : 0)] + startCost;
          if (s < best) {
            best = s;
            dec[dBase + idx] |= 1;
          }
        }
        inCur[idx] = best;
      }
    }
    const tmp = inPrev;
    inPrev = inCur;
    inCur = tmp;
  }
  // best final state with k slots
  const oLast = ringAt(n - 1);
  let bestTotal = INF;
  let bestP = -1;
  let bestIn = false;
  for (let p = 0; p < pd; p++) {
    const idx = k * pd + p;
    if (out[oLast + idx] < bestTotal) {
      bestTotal = out[oLast + idx];
      bestP = p;
      bestIn = false;
    }
    if (inPrev[idx] < bestTotal) {
      bestTotal = inPrev[idx];
      bestP = p;
      bestIn = true;
    }
  }
  if (bestP < 0) return null;
  const slots = new Int32Array(k);
  let w = k;
  let t = n - 1;
  let j = k;
  let p = bestP;
  let inRun = bestIn;
  while (j > 0 && t >= 0) {
    const d = dec[t * layer + j * pd + p];
    if (inRun) {
      if (d & 1) {
        for (let q = t; q > t - m; q--) slots[--w] = lo + q;
        j -= m;
        if (trackPieces) p--;
        t -= m;
        inRun = false;
      } else {
        slots[--w] = lo + t;
        j--;
        t--;
      }
    } else {
      inRun = (d & 2) !== 0;
      t--;
    }
  }
  return { slots, total: sumAt(scores, slots) };
}

export interface CappedContiguousChoice extends ContiguousChoice {
  /** sum of the capped series over the window */
  capTotal: number;
}

/**
 * The `k` consecutive slots within [from, to) with the lowest primary total among those whose capped total
 * (e.g. summed carbon intensity) is at most `cap`. Exact, O(to - from). Ties go to the earliest start.
 * Null when no complete window meets the cap.
 */
export function bestContiguousUnderCap(
  primaryPrefix: Prefix,
  capPrefix: Prefix,
  from: number,
  to: number,
  k: number,
  cap: number,
): CappedContiguousChoice | null {
  const n = Math.min(primaryPrefix.sum.length, capPrefix.sum.length) - 1;
  const lo = Math.max(0, from);
  const hi = Math.min(to, n) - k;
  const limit = cap + capTolerance(cap);
  let best = -1;
  let bestTotal = Number.POSITIVE_INFINITY;
  let bestCap = 0;
  for (let s = lo; s <= hi; s++) {
    if (primaryPrefix.missing[s + k] !== primaryPrefix.missing[s]) continue;
    if (capPrefix.missing[s + k] !== capPrefix.missing[s]) continue;
    const c = capPrefix.sum[s + k] - capPrefix.sum[s];
    if (c > limit) continue;
    const t = primaryPrefix.sum[s + k] - primaryPrefix.sum[s];
    if (t < bestTotal) {
      bestTotal = t;
      best = s;
      bestCap = c;
    }
  }
  return best < 0 ? null : { start: best, total: bestTotal, capTotal: bestCap };
}

export interface CappedSlotChoice extends SlotChoice {
  capTotal: number;
}

/**
 * Interruptible version of `bestContiguousUnderCap`: the `k` slots (with the piece rules) of lowest primary
 * total whose capped total is at most `cap`. A Lagrangian heuristic, not exact: it minimises
 * `(1 - w) * primary + w * capped` (each scaled by its mean) and bisects `w` for the smallest weight whose
 * choice meets the cap, keeping the cheapest feasible choice seen. Exact when the unconstrained optimum
 * already meets the cap, and it returns null exactly when even the lowest capped total exceeds the cap.
 */
export function bestInterruptibleUnderCap(
  primary: ArrayLike<number>,
  capped: ArrayLike<number>,
  from: number,
  to: number,
  k: number,
  cap: number,
  options: PieceOptions = {},
  iterations = 30,
): CappedSlotChoice | null {
  const lo = Math.max(0, from);
  const hi = Math.min(to, primary.length, capped.length);
  if (hi - lo < k) return null;
  const n = hi - lo;
  // a slot is usable only when both series have a value there
  const pri = new Float64Array(n);
  const cp = new Float64Array(n);
  let priScale = 0;
  let capScale = 0;
  for (let i = 0; i < n; i++) {
    const a = primary[lo + i];
    const b = capped[lo + i];
    const ok = Number.isFinite(a) && Number.isFinite(b);
    pri[i] = ok ? a : Number.NaN;
    cp[i] = ok ? b : Number.NaN;
    if (ok) {
      priScale += Math.abs(a);
      capScale += Math.abs(b);
    }
  }
  const limit = cap + capTolerance(cap);
  const shift = (c: SlotChoice): CappedSlotChoice => {
    const slots = c.slots.map((s) => s + lo);
    return { slots, total: sumAt(primary, slots), capTotal: sumAt(capped, slots) };
  };
  const first = bestInterruptible(pri, 0, n, k, options);
  if (!first) return null;
  const firstCap = sumAt(cp, first.slots);
  if (firstCap <= limit) return shift(first);
  const greenest = bestInterruptible(cp, 0, n, k, options);
  if (!greenest || sumAt(cp, greenest.slots) > limit) return null;
  let best = greenest;
  let bestTotal = sumAt(pri, greenest.slots);
  const pa = priScale > 0 ? n / priScale : 1;
  const ca = capScale > 0 ? n / capScale : 1;
  const mixed = new Float64Array(n);
  let wLo = 0;
  let wHi = 1;
  for (let it = 0; it < iterations; it++) {
    const w = (wLo + wHi) / 2;
    for (let i = 0; i < n; i++) mixed[i] = (1 - w) * pa * pri[i] + w * ca * cp[i];
    const c = bestInterruptible(mixed, 0, n, k, options);
    if (!c) break;
    if (sumAt(cp, c.slots) <= limit) {
      wHi = w;
      const t = sumAt(pri, c.slots);
      if (t < bestTotal) {
        bestTotal = t;
        best = c;
      }
    } else wLo = w;
  }
  return shift(best);
}

/** Allows for rounding in summed intensities: a cap is met when within a relative 1e-12. */
function capTolerance(cap: number): number {
  return 1e-12 * Math.max(1, Math.abs(cap));
}

function sliceRange(scores: ArrayLike<number>, lo: number, hi: number): Float64Array {
  const out = new Float64Array(hi - lo);
  for (let i = lo; i < hi; i++) out[i - lo] = scores[i];
  return out;
}

function rangeSlots(start: number, k: number): Int32Array {
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = start + i;
  return out;
}

/** Sum of `values` at the given slots, in slot order. */
export function sumAt(values: ArrayLike<number>, slots: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < slots.length; i++) s += values[slots[i]];
  return s;
}
