import { describe, expect, it } from 'vitest';
import { chooseModelTier, decideNow } from '../../src/planner/decide.ts';

const H = 3_600_000;
const forecast = [
  { startMs: 0, value: 300 },
  { startMs: H, value: 120 },
  { startMs: 2 * H, value: 100 },
  { startMs: 3 * H, value: 100 },
  { startMs: 4 * H, value: 50 },
];

describe('decideNow', () => {
  it('defers to the best upcoming value when it is clearly lower', () => {
    const d = decideNow(200, forecast, { toMs: 4 * H });
    expect(d).toEqual({
      action: 'defer',
      reason: 'best upcoming 100 is 50% below current 200',
      current: 200,
      bestValue: 100,
      bestAtMs: 2 * H,
      expectedSavingsPct: 50,
    });
  });

  it('considers only the load’s horizon', () => {
    expect(decideNow(200, forecast).bestAtMs).toBe(4 * H);
    expect(decideNow(200, forecast, { fromMs: H, toMs: 2 * H }).bestValue).toBe(120);
  });

  it('runs when within the tolerance of the best', () => {
    const d = decideNow(104, forecast, { toMs: 4 * H });
    expect(d.action).toBe('run');
    expect(d.expectedSavingsPct).toBeCloseTo(3.846, 3);
    expect(decideNow(104, forecast, { toMs: 4 * H, tolerancePct: 3 }).action).toBe('defer');
    expect(decideNow(90, forecast, { toMs: 4 * H })).toMatchObject({ action: 'run', expectedSavingsPct: 0 });
  });

  it('runs at or below an absolute threshold', () => {
    const d = decideNow(140, forecast, { runAtOrBelow: 150 });
    expect(d.action).toBe('run');
    expect(d.reason).toMatch(/threshold 150/);
    expect(decideNow(160, forecast, { runAtOrBelow: 150 }).action).toBe('defer');
  });

  it('fails open without a current value or a forecast', () => {
    expect(decideNow(null, forecast)).toMatchObject({ action: 'run', current: null, bestValue: 50 });
    expect(decideNow(Number.NaN, forecast).action).toBe('run');
    expect(decideNow(500, [])).toMatchObject({ action: 'run', bestValue: null, bestAtMs: null });
    expect(decideNow(500, [{ startMs: 0, value: Number.NaN }]).reason).toMatch(/fail-open/);
  });

  it('works with negative prices', () => {
    const d = decideNow(0.1, [{ startMs: H, value: -0.05 }]);
    expect(d.action).toBe('defer');
    expect(d.expectedSavingsPct).toBeCloseTo(150, 10);
  });
});

describe('chooseModelTier', () => {
  it('large when clean', () => {
    expect(chooseModelTier({ carbon: 150 })).toEqual({
      tier: 'large',
      reason: 'clean: carbon 150 g/kWh is below 200',
    });
    expect(chooseModelTier({ carbon: 250, carbonForecastMean: 300 }).tier).toBe('large');
    expect(chooseModelTier({ carbon: 250, carbonForecastMean: 300 }, { belowForecastMean: false }).tier).toBe(
      'small',
    );
    expect(chooseModelTier({ carbon: 90 }, { carbonBelow: 80 }).tier).toBe('small');
  });

  it('large when cheap or with local solar', () => {
    expect(chooseModelTier({ carbon: 400, price: 0.05 }, { priceBelow: 0.1 }).tier).toBe('large');
    expect(chooseModelTier({ carbon: 400, solarKw: 2 }).reason).toBe('local solar 2 kW available');
    expect(chooseModelTier({ carbon: 400, solarKw: 0.2 }).tier).toBe('small');
    expect(chooseModelTier({ carbon: 400, solarKw: 0.2 }, { minSolarKw: 0.1 }).tier).toBe('large');
  });

  it('small otherwise, saying why', () => {
    const c = chooseModelTier({ carbon: 400, carbonForecastMean: 350, price: 0.3 }, { priceBelow: 0.1 });
    expect(c.tier).toBe('small');
    expect(c.reason).toBe(
      'carbon 400 g/kWh is not below 200 nor the forecast mean 350; price 0.3 is not below 0.1',
    );
  });

  it('shows numbers in reasons as everywhere else: float noise reads 0, large ones grouped', () => {
    // 0.3 - 0.1 - 0.2 is -2.8e-17 in binary floating point
    const noise = chooseModelTier({ solarKw: 0.3 - 0.1 - 0.2 });
    expect(noise.reason).toMatch(/^local solar 0 kW is under /);
    expect(chooseModelTier({ carbon: 1234.5, carbonForecastMean: 1000 }).reason).toMatch(
      /^carbon 1,235 g\/kWh/,
    );
  });

  it('fails open to large without a usable signal', () => {
    expect(chooseModelTier({})).toEqual({
      tier: 'large',
      reason: 'no usable signal: large model (fail-open)',
      failOpen: true,
    });
    expect(chooseModelTier({ carbon: Number.NaN }).tier).toBe('large');
    // a price with no price threshold cannot decide anything
    expect(chooseModelTier({ price: 0.5 }).tier).toBe('large');
  });
});
