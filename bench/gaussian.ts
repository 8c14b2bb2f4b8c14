/**
 * Small dense Gaussian algebra for the bounds benchmark: sample moments of equal-length vectors, a Cholesky
 * solve, and the posterior mean of some coordinates of a Gaussian vector given noisy (or exact) observations
 * of others. Matrices are row-major Float64Arrays; sizes stay below a hundred, so nothing clever is needed.
 */

/** A Gaussian prior over vectors of length `dim`. */
export interface GaussianPrior {
  dim: number;
  mean: Float64Array;
  /** dim × dim, row-major */
  cov: Float64Array;
}

/** Sample mean and covariance (divided by the count) of `rows`, each of length `dim`. */
export function sampleMoments(rows: readonly ArrayLike<number>[], dim: number): GaussianPrior {
  if (rows.length === 0) throw new RangeError('sampleMoments needs at least one row');
  const mean = new Float64Array(dim);
  for (const r of rows) for (let i = 0; i < dim; i++) mean[i] += r[i] / rows.length;
  const cov = new Float64Array(dim * dim);
  for (const r of rows)
    for (let i = 0; i < dim; i++) {
      const di = r[i] - mean[i];
      for (let j = 0; j <= i; j++) cov[i * dim + j] += (di * (r[j] - mean[j])) / rows.length;
    }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov[j * dim + i] = cov[i * dim + j];
  return { dim, mean, cov };
}

/** The lower Cholesky factor L of a symmetric positive-definite n × n matrix (A = L Lᵀ). */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`matrix is not positive definite (pivot ${i}: ${s})`);
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  return l;
}

/** Solves L Lᵀ x = b for x, given the Cholesky factor L. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * y[k];
    y[i] = s / l[i * n + i];
  }
  return y;
}

/** Observations of some coordinates of the vector: `values[i]` = x[`index[i]`] + error of variance `noiseVar[i]`. */
export interface Observations {
  index: readonly number[];
  values: ArrayLike<number>;
  /** 0 for a coordinate known exactly */
  noiseVar: ArrayLike<number>;
}

/**
 * E[x[t] | observations] for every t of `targets`, for x ~ prior and independent Gaussian errors:
 * mean_T + Σ_TO (Σ_OO + D)⁻¹ (y - mean_O). (With a non-Gaussian x this is still the best affine estimate.)
 */
export function posteriorMean(
  prior: GaussianPrior,
  obs: Observations,
  targets: readonly number[],
): Float64Array {
  const { dim, mean, cov } = prior;
  const o = obs.index;
  const m = o.length;
  const out = new Float64Array(targets.length);
  if (m === 0) {
    targets.forEach((t, i) => {
      out[i] = mean[t];
    });
    return out;
  }
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) a[i * m + j] = cov[o[i] * dim + o[j]] + (i === j ? obs.noiseVar[i] : 0);
  const resid = new Float64Array(m);
  for (let i = 0; i < m; i++) resid[i] = obs.values[i] - mean[o[i]];
  const w = choleskySolve(cholesky(a, m), m, resid);
  targets.forEach((t, k) => {
    let s = mean[t];
    for (let i = 0; i < m; i++) s += cov[t * dim + o[i]] * w[i];
    out[k] = s;
  });
  return out;
}

/** The moments of `count` rows (as `sampleMoments` gives them) with one of those rows, `row`, taken out. */
export function withoutRow(prior: GaussianPrior, count: number, row: ArrayLike<number>): GaussianPrior {
  if (count < 2) throw new RangeError('withoutRow needs at least two rows');
  const { dim, mean, cov } = prior;
  const m = new Float64Array(dim);
  for (let i = 0; i < dim; i++) m[i] = (count * mean[i] - row[i]) / (count - 1);
  const c = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j < dim; j++) {
      // second moment of all rows, less this row's, over the rows left, less the new mean's square
      const second = count * (cov[i * dim + j] + mean[i] * mean[j]) - row[i] * row[j];
      c[i * dim + j] = second / (count - 1) - m[i] * m[j];
    }
  return { dim, mean: m, cov: c };
}
