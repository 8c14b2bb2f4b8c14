import { z } from 'zod';
import { mulberry32 } from '../core/random.ts';
import type { Metric, Point, Series } from '../core/series.ts';
import { floorToStep, HOUR_MS, MINUTE_MS } from '../core/time.ts';
import { CARBON_UNIT, type Currency, priceUnit } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { currencyOption } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

export interface SimulatorOptions {
  /** same seed, same series; default 1 */
  seed?: number;
  /** price range (currency per kWh); default 0.05..0.35 */
  priceMinPerKwh?: number;
  priceMaxPerKwh?: number;
  /** period of the price sinusoid in hours; default 24 */
  pricePeriodH?: number;
  /** solar availability switches on and off every this many hours; default 6 */
  solarIntervalH?: number;
  /** carbon intensity range (gCO2eq/kWh): carbonMin while solar is available, carbonMax otherwise; default 100..500 */
  carbonMin?: number;
  carbonMax?: number;
  /** relative noise: each value is multiplied by 1 + noise * u, u uniform in [-1, 1), then kept in range; default 0 */
  noise?: number;
  /** slot length in minutes; default 60 */
  stepMin?: number;
  /** default EUR */
  currency?: Currency;
  /** instant the price period and solar intervals start from (epoch ms); default 0 (the UTC epoch) */
  phaseMs?: number;
}

type Resolved = Required<SimulatorOptions>;

function resolve(o: SimulatorOptions): Resolved {
  const r: Resolved = {
    seed: o.seed ?? 1,
    priceMinPerKwh: o.priceMinPerKwh ?? 0.05,
    priceMaxPerKwh: o.priceMaxPerKwh ?? 0.35,
    pricePeriodH: o.pricePeriodH ?? 24,
    solarIntervalH: o.solarIntervalH ?? 6,
    carbonMin: o.carbonMin ?? 100,
    carbonMax: o.carbonMax ?? 500,
    noise: o.noise ?? 0,
    stepMin: o.stepMin ?? 60,
    currency: o.currency ?? 'EUR',
    phaseMs: o.phaseMs ?? 0,
  };
  const bad = (what: string) => {
    throw new RangeError(`simulator: ${what}`);
  };
  if (!(r.priceMaxPerKwh >= r.priceMinPerKwh)) bad('priceMaxPerKwh must be at least priceMinPerKwh');
  if (!(r.carbonMax >= r.carbonMin)) bad('carbonMax must be at least carbonMin');
  if (!(r.carbonMin >= 0)) bad('carbonMin must not be negative');
  if (!(r.pricePeriodH > 0)) bad('pricePeriodH must be positive');
  if (!(r.solarIntervalH > 0)) bad('solarIntervalH must be positive');
  if (!(r.stepMin > 0)) bad('stepMin must be positive');
  if (!(r.noise >= 0)) bad('noise must not be negative');
  return r;
}

/**
 * Noise for one slot in [-1, 1), from the seed and the slot number alone, so a slot has the same value
 * whatever range it is fetched in.
 */
function slotNoise(seed: number, slot: number, salt: number): number {
  let h = Math.imul((seed | 0) ^ salt, 0x9e3779b1);
  h = Math.imul(h ^ (slot | 0), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ Math.floor(slot / 4294967296), 0xc2b2ae35);
  return mulberry32(h)() * 2 - 1;
}

/** Whether the simulated sun is up at `ms`: on for the first `solarIntervalH` after `phaseMs`, then off, and so on. */
export function solarAvailableAt(
  ms: number,
  options: Pick<SimulatorOptions, 'solarIntervalH' | 'phaseMs'> = {},
): boolean {
  const interval = (options.solarIntervalH ?? 6) * HOUR_MS;
  const k = Math.floor((ms - (options.phaseMs ?? 0)) / interval);
  return ((k % 2) + 2) % 2 === 0;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

const PRICE_SALT = 0x51ed27;
const CARBON_SALT = 0x2c1b3c6d;

/** The simulated value of `metric` for the slot starting at `slotStartMs`. */
export function simulatedValue(options: SimulatorOptions, metric: Metric, slotStartMs: number): number {
  const o = resolve(options);
  return valueAt(o, metric, slotStartMs);
}

function valueAt(o: Resolved, metric: Metric, ms: number): number {
  const slot = Math.floor(ms / (o.stepMin * MINUTE_MS));
  if (metric === 'price') {
    // a sinusoid that starts at its minimum at phaseMs
    const angle = (2 * Math.PI * (ms - o.phaseMs)) / (o.pricePeriodH * HOUR_MS);
    const base = o.priceMinPerKwh + ((o.priceMaxPerKwh - o.priceMinPerKwh) * (1 - Math.cos(angle))) / 2;
    const noisy = o.noise > 0 ? base * (1 + o.noise * slotNoise(o.seed, slot, PRICE_SALT)) : base;
    return clamp(noisy, o.priceMinPerKwh, o.priceMaxPerKwh);
  }
  const base = solarAvailableAt(ms, o) ? o.carbonMin : o.carbonMax;
  const noisy = o.noise > 0 ? base * (1 + o.noise * slotNoise(o.seed, slot, CARBON_SALT)) : base;
  return clamp(noisy, o.carbonMin, o.carbonMax);
}

/**
 * A synthetic, deterministic signal source for demos and tests: price oscillates between its bounds, carbon
 * drops while the simulated sun is up. Answers every zone and metric; slots before `nowMs` come back as
 * `actual`, the rest as a `forecast` issued at `nowMs`.
 */
/** Computed on demand, never cached. */
const SIMULATOR_TTL_MS = 0;

export function simulator(options: SimulatorOptions = {}): SignalProvider {
  const o = resolve(options);
  const name = 'simulator';
  return {
    name,
    ttlMs: SIMULATOR_TTL_MS,
    supports(_zone: Zone, _metric: Metric): boolean {
      return true;
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      const stepMs = o.stepMin * MINUTE_MS;
      const actual: Point[] = [];
      const forecast: Point[] = [];
      for (let t = floorToStep(req.fromMs, o.stepMin); t < req.toMs; t += stepMs) {
        const point = { start: t, value: valueAt(o, req.metric, t) };
        (t < req.nowMs ? actual : forecast).push(point);
      }
      const base = {
        zone: req.zone.code,
        metric: req.metric,
        unit: req.metric === 'price' ? priceUnit(o.currency) : CARBON_UNIT,
        resolutionMin: o.stepMin,
        source: name,
      } as const;
      const out: Series[] = [];
      if (actual.length > 0) out.push({ ...base, kind: 'actual', points: actual });
      if (forecast.length > 0) out.push({ ...base, kind: 'forecast', issuedAt: req.nowMs, points: forecast });
      return out;
    },
  };
}

export const simulatorDescriptor = describeProvider({
  name: 'simulator',
  provides: ['carbon_average', 'carbon_marginal', 'price'],
  forecasts: true,
  options: z.strictObject({
    seed: z.number().int().optional(),
    priceMinPerKwh: z.number().optional(),
    priceMaxPerKwh: z.number().optional(),
    pricePeriodH: z.number().positive().optional(),
    solarIntervalH: z.number().positive().optional(),
    carbonMin: z.number().nonnegative().optional(),
    carbonMax: z.number().nonnegative().optional(),
    noise: z.number().nonnegative().optional(),
    stepMin: z.number().int().positive().optional(),
    currency: currencyOption.optional(),
    phaseMs: z.number().optional(),
  }),
  secrets: {},
  ttlMs: SIMULATOR_TTL_MS,
  anyRange: true,
  create: (options) => simulator(options as SimulatorOptions),
});
