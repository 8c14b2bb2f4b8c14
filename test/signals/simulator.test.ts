import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import type { Metric, Series } from '../../src/core/series.ts';
import { findZone } from '../../src/core/zones.ts';
import {
  type SimulatorOptions,
  simulatedValue,
  simulator,
  solarAvailableAt,
} from '../../src/signals/simulator.ts';

const H = 3_600_000;
const zone = findZone('DE')!;
const T0 = Date.UTC(2025, 0, 1);

async function values(options: SimulatorOptions, metric: Metric, fromMs: number, toMs: number, nowMs = 0) {
  const series: Series[] = await simulator(options).fetch({ zone, metric, fromMs, toMs, nowMs });
  return series.flatMap((s) => s.points);
}

describe('mulberry32', () => {
  it('is deterministic by seed and gives floats in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });
});

describe('solar availability', () => {
  it('toggles every solarIntervalH hours from the phase', () => {
    const o = { solarIntervalH: 6 };
    expect(solarAvailableAt(0, o)).toBe(true);
    expect(solarAvailableAt(6 * H - 1, o)).toBe(true);
    expect(solarAvailableAt(6 * H, o)).toBe(false);
    expect(solarAvailableAt(12 * H, o)).toBe(true);
    expect(solarAvailableAt(-1, o)).toBe(false);
    expect(solarAvailableAt(2 * H, { solarIntervalH: 1, phaseMs: H })).toBe(false);
  });
});

describe('simulator without noise', () => {
  const o: SimulatorOptions = {
    priceMinPerKwh: 0.1,
    priceMaxPerKwh: 0.3,
    pricePeriodH: 24,
    solarIntervalH: 6,
    carbonMin: 50,
    carbonMax: 400,
    phaseMs: T0,
  };

  it('price runs a sinusoid from its minimum at the phase to its maximum half a period later', () => {
    expect(simulatedValue(o, 'price', T0)).toBeCloseTo(0.1, 12);
    expect(simulatedValue(o, 'price', T0 + 6 * H)).toBeCloseTo(0.2, 12);
    expect(simulatedValue(o, 'price', T0 + 12 * H)).toBeCloseTo(0.3, 12);
    expect(simulatedValue(o, 'price', T0 + 24 * H)).toBeCloseTo(0.1, 12);
  });

  it('carbon is at its minimum while the sun is available and its maximum otherwise', async () => {
    const pts = await values(o, 'carbon_average', T0, T0 + 24 * H);
    expect(pts).toHaveLength(24);
    expect(pts.map((p) => p.value)).toEqual([
      ...new Array(6).fill(50),
      ...new Array(6).fill(400),
      ...new Array(6).fill(50),
      ...new Array(6).fill(400),
    ]);
  });

  it('splits history from forecast at now, in the configured step and currency', async () => {
    const s = await simulator({ ...o, stepMin: 30, currency: 'GBP' }).fetch({
      zone,
      metric: 'price',
      fromMs: T0,
      toMs: T0 + 4 * H,
      nowMs: T0 + H,
    });
    expect(s.map((x) => x.kind)).toEqual(['actual', 'forecast']);
    expect(s[0].points).toHaveLength(2);
    expect(s[1].points).toHaveLength(6);
    expect(s[1].issuedAt).toBe(T0 + H);
    expect(s[1].unit).toBe('GBP/kWh');
    expect(s[0].resolutionMin).toBe(30);
    expect(s[0].source).toBe('simulator');
  });

  it('rejects inverted ranges', () => {
    expect(() => simulator({ priceMinPerKwh: 1, priceMaxPerKwh: 0.5 })).toThrow(/priceMaxPerKwh/);
    expect(() => simulator({ carbonMin: 300, carbonMax: 100 })).toThrow(/carbonMax/);
  });
});

describe('simulator with noise', () => {
  const noisy = { seed: 7, noise: 0.3, carbonMin: 100, carbonMax: 500 };

  it('same seed, same series; another seed, another series', async () => {
    const a = await values(noisy, 'price', T0, T0 + 48 * H);
    const b = await values(noisy, 'price', T0, T0 + 48 * H);
    const c = await values({ ...noisy, seed: 8 }, 'price', T0, T0 + 48 * H);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('a slot has the same value whatever range it is fetched in', async () => {
    const whole = await values(noisy, 'carbon_average', T0, T0 + 48 * H);
    const tail = await values(noisy, 'carbon_average', T0 + 24 * H, T0 + 48 * H);
    expect(tail).toEqual(whole.slice(24));
  });

  it('stays within its bounds for any options (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer(),
          priceMinPerKwh: fc.double({ min: -0.5, max: 1, noNaN: true }),
          priceSpan: fc.double({ min: 0, max: 1, noNaN: true }),
          carbonMin: fc.double({ min: 0, max: 800, noNaN: true }),
          carbonSpan: fc.double({ min: 0, max: 800, noNaN: true }),
          noise: fc.double({ min: 0, max: 2, noNaN: true }),
          pricePeriodH: fc.double({ min: 0.5, max: 72, noNaN: true }),
          solarIntervalH: fc.double({ min: 0.25, max: 24, noNaN: true }),
          startH: fc.integer({ min: 0, max: 500_000 }),
        }),
        async (r) => {
          const o: SimulatorOptions = {
            seed: r.seed,
            priceMinPerKwh: r.priceMinPerKwh,
            priceMaxPerKwh: r.priceMinPerKwh + r.priceSpan,
            carbonMin: r.carbonMin,
            carbonMax: r.carbonMin + r.carbonSpan,
            noise: r.noise,
            pricePeriodH: r.pricePeriodH,
            solarIntervalH: r.solarIntervalH,
          };
          const from = r.startH * H;
          for (const p of await values(o, 'price', from, from + 24 * H)) {
            expect(p.value).toBeGreaterThanOrEqual(o.priceMinPerKwh!);
            expect(p.value).toBeLessThanOrEqual(o.priceMaxPerKwh!);
          }
          for (const p of await values(o, 'carbon_average', from, from + 24 * H)) {
            expect(p.value).toBeGreaterThanOrEqual(o.carbonMin!);
            expect(p.value).toBeLessThanOrEqual(o.carbonMax!);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('noise moves values off the noiseless curve', async () => {
    const clean = await values({ seed: 7 }, 'price', T0, T0 + 24 * H);
    const moved = await values({ seed: 7, noise: 0.2 }, 'price', T0, T0 + 24 * H);
    expect(moved.filter((p, i) => p.value !== clean[i].value).length).toBeGreaterThan(12);
  });
});
