/**
 * Planning on a noisy forecast: the expected actual value of each slot, given forecast values with a known
 * white (slot-to-slot independent) error. Grid intensity moves smoothly from one slot to the next while such
 * an error does not, so each slot's estimate borrows from its neighbours. Picking the lowest of many noisy
 * slots would otherwise pick the slots whose error happens to be lowest (the winner's curse), not the slots
 * that are cleanest.
 *
 * The signal is modelled as a local linear trend: a level that moves by its slope plus a random step, and a
 * slope that drifts by a random step of its own. The two step variances are fitted to exact values (the
 * actuals of the past), and a Kalman filter with a Rauch-Tung-Striebel smoother gives each slot's expected
 * value from all the observations around it. The actuals of the last slots before the decision time anchor
 * the estimate at the present. With no error the estimate is the forecast itself, exactly.
 *
 * Pure functions: no clock, no I/O. O(n) per call.
 */

/** How a smooth signal moves from one slot to the next: variances in (value unit)² per slot. */
export interface SignalModel {
  /** variance of the level's own random step */
  levelVar: number;
  /** variance of the slope's random step */
  slopeVar: number;
}

/**
 * Moments of the second differences `d[t] = x[t] - 2 x[t-1] + x[t-2]` of a series, cumulated so that the
 * model of any stretch of it costs O(1). Index i holds the sums over the terms with t < i, so reading index
 * i uses the values before slot i only.
 */
export interface Roughness {
  /** sums of d[t]² */
  sq: Float64Array;
  /** sums of d[t] d[t-1] */
  lag: Float64Array;
  /** how many terms each of `sq` and `lag` sums */
  sqCount: Int32Array;
  lagCount: Int32Array;
}

/** Cumulated second-difference moments of `values` (NaN = missing: terms that touch it are left out). */
export function roughness(values: ArrayLike<number>): Roughness {
  const n = values.length;
  const sq = new Float64Array(n + 1);
  const lag = new Float64Array(n + 1);
  const sqCount = new Int32Array(n + 1);
  const lagCount = new Int32Array(n + 1);
  let prev = Number.NaN;
  for (let t = 0; t < n; t++) {
    const d = t >= 2 ? values[t] - 2 * values[t - 1] + values[t - 2] : Number.NaN;
    const okD = Number.isFinite(d);
    const okLag = okD && Number.isFinite(prev);
    sq[t + 1] = sq[t] + (okD ? d * d : 0);
    sqCount[t + 1] = sqCount[t] + (okD ? 1 : 0);
    lag[t + 1] = lag[t] + (okLag ? d * prev : 0);
    lagCount[t + 1] = lagCount[t] + (okLag ? 1 : 0);
    prev = d;
  }
  return { sq, lag, sqCount, lagCount };
}

/**
 * The local linear trend that fits the exact values of slots [from, to), by moments: under that model the
 * second differences have variance `slopeVar + 2 levelVar` and lag-1 covariance `-levelVar`. Null when the
 * stretch has fewer than `minTerms` second differences.
 */
export function fitSignalModel(r: Roughness, from: number, to: number, minTerms = 2): SignalModel | null {
  const hi = Math.min(to, r.sq.length - 1);
  // the first term of a stretch needs two values before it within the stretch, its lag one more
  const a = Math.min(hi, Math.max(0, from) + 2);
  const count = r.sqCount[hi] - r.sqCount[a];
  if (hi <= a || count < Math.max(1, minTerms)) return null;
  const gamma0 = (r.sq[hi] - r.sq[a]) / count;
  const b = Math.min(hi, a + 1);
  const lagCount = r.lagCount[hi] - r.lagCount[b];
  const gamma1 = lagCount > 0 ? (r.lag[hi] - r.lag[b]) / lagCount : 0;
  const levelVar = Math.max(0, -gamma1);
  const slopeVar = Math.max(0, gamma0 - 2 * levelVar);
  return { levelVar, slopeVar };
}

// Working buffer, reused between calls: the simulator smooths at every decision.
let work = new Float64Array(0);
const STRIDE = 10;

/**
 * Writes into `out[from..to)` the expected signal at each slot, given observations `obs[s]` whose error has
 * variance `noiseVar[s]` (0 = exact) and the signal `model`. NaN observations are missing: such slots get the
 * interpolated (or, after the last observation, extrapolated) estimate; slots before the first observation
 * get NaN. When no finite observation has an error, `out` is `obs` itself. `out` may be `obs`.
 */
export function smoothSignal(
  obs: ArrayLike<number>,
  noiseVar: ArrayLike<number>,
  from: number,
  to: number,
  model: SignalModel,
  out: Float64Array,
): void {
  let first = -1;
  let noisy = false;
  let scale = 1;
  for (let s = from; s < to; s++) {
    const y = obs[s];
    if (!Number.isFinite(y)) continue;
    if (first < 0) first = s;
    if (noiseVar[s] > 0) noisy = true;
    scale = Math.max(scale, Math.abs(y));
  }
  if (!noisy) {
    if (out !== obs) for (let s = from; s < to; s++) out[s] = obs[s];
    return;
  }
  for (let s = from; s < first; s++) out[s] = Number.NaN;
  // a floor keeps the covariances invertible; the first slope is unknown (diffuse)
  const floor = 1e-9 * scale * scale;
  const ql = Math.max(model.levelVar, floor);
  const qs = Math.max(model.slopeVar, floor);
  const n = to - first;
  if (work.length < STRIDE * n) work = new Float64Array(2 * STRIDE * n);
  const f = work;
  // per slot: filtered level, slope and covariance (0..4), then the one-step prediction's (5..9)
  let l = obs[first];
  let b = 0;
  let p00 = noiseVar[first] > 0 ? noiseVar[first] : 0;
  let p01 = 0;
  let p11 = 1e4 * scale * scale;
  f.set([l, b, p00, p01, p11, l, b, p00, p01, p11], 0);
  for (let i = 1; i < n; i++) {
    const y = obs[first + i];
    const ml = l + b;
    const mb = b;
    const m00 = p00 + 2 * p01 + p11 + ql;
    const m01 = p01 + p11;
    const m11 = p11 + qs;
    if (Number.isFinite(y)) {
      const r = noiseVar[first + i] > 0 ? noiseVar[first + i] : 0;
      const k0 = m00 / (m00 + r);
      const k1 = m01 / (m00 + r);
      const e = y - ml;
      b = mb + k1 * e;
      p11 = m11 - k1 * m01;
      if (r === 0) {
        // an exact observation is the level (set, not computed, so that it comes back unrounded)
        l = y;
        p00 = 0;
        p01 = 0;
      } else {
        l = ml + k0 * e;
        p00 = m00 - k0 * m00;
        p01 = m01 - k0 * m01;
      }
    } else {
      l = ml;
      b = mb;
      p00 = m00;
      p01 = m01;
      p11 = m11;
    }
    const o = STRIDE * i;
    f[o] = l;
    f[o + 1] = b;
    f[o + 2] = p00;
    f[o + 3] = p01;
    f[o + 4] = p11;
    f[o + 5] = ml;
    f[o + 6] = mb;
    f[o + 7] = m00;
    f[o + 8] = m01;
    f[o + 9] = m11;
  }
  // backward: x(i) = x_f(i) + C (x(i+1) - x_p(i+1)) with C = P_f(i) F' P_p(i+1)^-1, F = [[1, 1], [0, 1]]
  let sl = l;
  let sb = b;
  out[to - 1] = sl;
  for (let i = n - 2; i >= 0; i--) {
    const o = STRIDE * i;
    const q = STRIDE * (i + 1);
    const a00 = f[o + 2];
    const a01 = f[o + 3];
    const a11 = f[o + 4];
    const m00 = f[q + 7];
    const m01 = f[q + 8];
    const m11 = f[q + 9];
    const det = m00 * m11 - m01 * m01;
    const dl = sl - f[q + 5];
    const db = sb - f[q + 6];
    // (P_f F') P_p^-1 (dl, db), with P_p^-1 = [[m11, -m01], [-m01, m00]] / det
    const u = (m11 * dl - m01 * db) / det;
    const v = (m00 * db - m01 * dl) / det;
    const nb = f[o + 1] + (a01 + a11) * u + a11 * v;
    sl = a00 === 0 && a01 === 0 ? f[o] : f[o] + (a00 + a01) * u + a01 * v;
    sb = nb;
    out[first + i] = sl;
  }
}

/** What the actual values of the past tell: exact values, and their roughness (see `roughness`). */
export interface PastActuals {
  /** actual values indexed like the forecast; only the slots before the decision time are read */
  values: ArrayLike<number>;
  roughness: Roughness;
}

export interface ExpectedActualsOptions {
  /** how many ended slots anchor the estimate at the present */
  anchorSlots: number;
  /** the fewest ended slots to fit the signal model on; with fewer the forecast is left as it is */
  minHistorySlots: number;
}

/**
 * Replaces the forecast values of slots [observed, to) by the expected actual values given that the forecast
 * has a white error of standard deviation `errorSd`. `observed` is the number of slots that ended by the
 * decision time: their actual values are known, and only they are read. The signal model is fitted to all of
 * them; the last `anchorSlots` of them join the smoothing as exact observations. NaN forecast values stay
 * NaN. Returns false, leaving the forecast as it is, when `errorSd` is 0 or the past is too short to fit
 * the signal model on.
 */
export function expectedActuals(
  forecast: Float64Array,
  errorSd: number,
  past: PastActuals,
  observed: number,
  to: number,
  options: ExpectedActualsOptions,
): boolean {
  if (!(errorSd > 0) || to <= observed) return false;
  // n slots give n - 2 second differences
  const model = fitSignalModel(past.roughness, 0, observed, options.minHistorySlots - 2);
  if (!model) return false;
  const a = Math.max(0, observed - options.anchorSlots);
  const len = to - a;
  if (scratchObs.length < len) {
    scratchObs = new Float64Array(2 * len);
    scratchVar = new Float64Array(2 * len);
  }
  const obs = scratchObs;
  const noiseVar = scratchVar;
  const variance = errorSd * errorSd;
  for (let s = a; s < to; s++) {
    const ended = s < observed;
    obs[s - a] = ended ? past.values[s] : forecast[s];
    noiseVar[s - a] = ended ? 0 : variance;
  }
  smoothSignal(obs, noiseVar, 0, len, model, obs);
  for (let s = observed; s < to; s++) if (Number.isFinite(forecast[s])) forecast[s] = obs[s - a];
  return true;
}

let scratchObs = new Float64Array(0);
let scratchVar = new Float64Array(0);
