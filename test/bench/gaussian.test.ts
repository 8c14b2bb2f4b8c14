import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, posteriorMean, sampleMoments, withoutRow } from '../../bench/gaussian.ts';

const prior = { dim: 2, mean: Float64Array.of(0, 0), cov: Float64Array.of(4, 2, 2, 3) };

describe('sampleMoments', () => {
  it('gives the mean and the covariance divided by the count', () => {
    const m = sampleMoments([Float64Array.of(1, 2), Float64Array.of(3, 6)], 2);
    expect([...m.mean]).toEqual([2, 4]);
    expect([...m.cov]).toEqual([1, 2, 2, 4]);
  });
});

describe('cholesky and choleskySolve', () => {
  it('factor [[4,2],[2,3]] as [[2,0],[1,√2]] and solve it against [8,7]', () => {
    const l = cholesky(prior.cov, 2);
    expect(l[0]).toBe(2);
    expect(l[1]).toBe(0);
    expect(l[2]).toBe(1);
    expect(l[3]).toBeCloseTo(Math.SQRT2, 12);
    const x = choleskySolve(l, 2, [8, 7]);
    expect(x[0]).toBeCloseTo(1.25, 12);
    expect(x[1]).toBeCloseTo(1.5, 12);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => cholesky(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/not positive definite/);
  });
});

describe('posteriorMean', () => {
  it('shrinks a noisy observation by Σ/(Σ+s²) and carries it to a correlated coordinate', () => {
    // x0 observed as 3 with error variance 2: E[x0] = 4/6·3 = 2, E[x1] = 2/6·3 = 1
    const m = posteriorMean(prior, { index: [0], values: [3], noiseVar: [2] }, [0, 1]);
    expect(m[0]).toBeCloseTo(2, 12);
    expect(m[1]).toBeCloseTo(1, 12);
  });

  it('takes an exact observation as it is', () => {
    // x0 = 2 exactly: E[x1] = 2/4·2 = 1
    const m = posteriorMean(prior, { index: [0], values: [2], noiseVar: [0] }, [1, 0]);
    expect(m[0]).toBeCloseTo(1, 12);
    expect(m[1]).toBeCloseTo(2, 12);
  });

  it('is the prior mean without observations', () => {
    const p = { ...prior, mean: Float64Array.of(5, 7) };
    expect([...posteriorMean(p, { index: [], values: [], noiseVar: [] }, [1])]).toEqual([7]);
  });
});

describe('withoutRow', () => {
  it('gives the moments of the other rows', () => {
    // rows [1,2], [3,6], [5,4]: mean [3,4], covariance [[8/3,4/3],[4/3,8/3]]; without [5,4] as above
    const all = sampleMoments([Float64Array.of(1, 2), Float64Array.of(3, 6), Float64Array.of(5, 4)], 2);
    expect(all.cov[0]).toBeCloseTo(8 / 3, 12);
    expect(all.cov[1]).toBeCloseTo(4 / 3, 12);
    const m = withoutRow(all, 3, [5, 4]);
    for (const [i, v] of [2, 4].entries()) expect(m.mean[i]).toBeCloseTo(v, 12);
    for (const [i, v] of [1, 2, 2, 4].entries()) expect(m.cov[i]).toBeCloseTo(v, 12);
  });
});
