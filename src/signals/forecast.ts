/**
 * The built-in forecaster: a seasonal profile plus a decaying recent deviation, fitted online on actual
 * values only. It fills the slots a provider's forecast does not reach, drives the `model` forecast mode
 * of `gridshift simulate`, and lets the `optimal` policy see past a limited horizon.
 *
 * Model, for the value of slot t predicted after observing every slot before it:
 *   base(t)     = level + daily[slotOfDay(t)] + weekly[slotOfWeek(t)]
 *   forecast(t) = base(t) + deviation * fade^age + rest * fastFade^age     (age = slots since the last value)
 * - `level` is an exponentially weighted mean of the de-seasonalised values (half-life in days);
 * - `daily` is the shape of the day around the level, one value per slot of the day, exponentially
 *   weighted over past days; with less than a week of history it is the whole seasonal profile;
 * - `weekly` is what each slot of the week adds to the daily shape (weekends are cleaner in most grids),
 *   exponentially weighted over past weeks; it starts at zero and is only learned once a week has been seen;
 * - `deviation` is the smoothed error of the profile over the last hour or so (a windy day stays windy for a
 *   while); it fades with lead time (half-life a day by default);
 * - `rest` is the newest error beyond that smoothed deviation; it fades within hours, so that the first
 *   slots stay close to the last value.
 * Slots are UTC: the profiles are keyed by slot of the UTC day and week. Daylight saving time shifts local
 * habits by an hour twice a year; the profiles adapt within days, which is good enough for scheduling.
 *
 * Missing values (NaN) do not update the profile; the deviation keeps ageing across a gap.
 * Every update and every predicted slot costs O(1), so a simulator can predict a few hundred slots at each of
 * tens of thousands of steps.
 */
import type { Grid } from '../core/series.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';

export interface ForecastOptions {
  /** half-life of the level, in days (default 14) */
  levelHalfLifeDays?: number;
  /** half-life of the daily shape, in days: how fast it forgets older days (default 7) */
  dailyHalfLifeDays?: number;
  /** half-life of the weekly correction, in weeks (default 4) */
  weeklyHalfLifeWeeks?: number;
  /** half-life of the smoothing of the recent deviation, in hours (default 1) */
  deviationSmoothingHours?: number;
  /** half-life of the recent deviation over lead time, in hours (default 24) */
  deviationHalfLifeHours?: number;
  /** half-life over lead time of the newest error beyond the smoothed deviation, in hours (default 2) */
  shortHalfLifeHours?: number;
}

export interface ForecasterConfig extends ForecastOptions {
  /** slot length in minutes; must divide a day */
  stepMin: number;
  /** start of slot 0 (epoch ms) */
  startMs: number;
}

export interface Forecaster {
  readonly stepMin: number;
  readonly startMs: number;
  /** number of slots observed so far: the next `observe` is for this slot */
  readonly observed: number;
  /** appends the actual value of the next slot (NaN when missing) */
  observe(value: number): void;
  /**
   * Forecast of the slot `leadSlots` after the last observed one (1 = the next slot).
   * NaN before any finite value has been observed.
   */
  predict(leadSlots: number): number;
  /**
   * Writes forecasts for the absolute slots [fromSlot, toSlot) into `out`, slot `fromSlot` at `outIndex`
   * (default `fromSlot`, i.e. `out` indexed like the grid). Slots must not be observed yet.
   */
  predictInto(out: Float64Array, fromSlot: number, toSlot: number, outIndex?: number): void;
}

/** The defaults: round numbers, checked against past data (see docs/forecasting.md). */
export const FORECAST_DEFAULTS: Readonly<Required<ForecastOptions>> = {
  levelHalfLifeDays: 14,
  dailyHalfLifeDays: 7,
  weeklyHalfLifeWeeks: 4,
  deviationSmoothingHours: 1,
  deviationHalfLifeHours: 24,
  shortHalfLifeHours: 2,
};

/** Weight of a new sample in an exponentially weighted mean with the given half-life (in samples). */
function alphaForHalfLife(halfLifeSamples: number): number {
  return halfLifeSamples > 0 ? 1 - 2 ** (-1 / halfLifeSamples) : 1;
}

/** Factor by which a signal fades per slot, given its half-life in slots. */
function decayPerSlot(halfLifeSlots: number): number {
  return halfLifeSlots > 0 ? 2 ** (-1 / halfLifeSlots) : 0;
}

function checkOptions(options: ForecastOptions): Required<ForecastOptions> {
  const merged = { ...FORECAST_DEFAULTS };
  for (const key of Object.keys(FORECAST_DEFAULTS) as (keyof ForecastOptions)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v)))
      throw new RangeError(`forecast option ${key} must be a non-negative number, got ${v}`);
    merged[key] = v;
  }
  return merged;
}

/** Creates an empty forecaster for a grid of `stepMin`-minute slots starting at `startMs`. */
export function createForecaster(config: ForecasterConfig): Forecaster {
  const { stepMin, startMs } = config;
  if (!(Number.isInteger(stepMin) && stepMin > 0 && (24 * 60) % stepMin === 0))
    throw new RangeError(
      `forecast step must be a whole number of minutes that divides a day, got ${stepMin}`,
    );
  if (!Number.isFinite(startMs))
    throw new RangeError(`forecast startMs must be an epoch time, got ${startMs}`);
  const o = checkOptions(config);
  const stepMs = stepMin * MINUTE_MS;
  const slotsPerDay = DAY_MS / stepMs;
  const slotsPerWeek = 7 * slotsPerDay;
  const slotsPerHour = 60 / stepMin;
  // slots are counted from slot 0: a week is any 7 x 24 h of UTC slots, so no calendar origin is needed

  const levelAlpha = alphaForHalfLife(o.levelHalfLifeDays * slotsPerDay);
  const dailyAlpha = alphaForHalfLife(o.dailyHalfLifeDays);
  const weeklyAlpha = alphaForHalfLife(o.weeklyHalfLifeWeeks);
  const devAlpha = alphaForHalfLife(o.deviationSmoothingHours * slotsPerHour);
  const decay = decayPerSlot(o.deviationHalfLifeHours * slotsPerHour);
  const shortDecay = decayPerSlot(o.shortHalfLifeHours * slotsPerHour);

  const daily = new Float64Array(slotsPerDay);
  const dailySeen = new Uint32Array(slotsPerDay);
  const weekly = new Float64Array(slotsPerWeek);
  const weeklySeen = new Uint32Array(slotsPerWeek);

  let n = 0;
  let finiteCount = 0;
  let level = Number.NaN;
  let deviation = 0;
  /** newest error minus the smoothed deviation: fades faster */
  let shortDeviation = 0;
  /** slot index of the last finite observation */
  let lastFinite = -1;

  function observe(value: number): void {
    const sow = n % slotsPerWeek;
    const sod = sow % slotsPerDay;
    n++;
    if (!Number.isFinite(value)) return;
    finiteCount++;
    if (finiteCount === 1) level = value;
    const seen = dailySeen[sod];
    const shape = seen > 0 ? daily[sod] : 0;
    const week = weekly[sow];
    const base = level + shape + week;
    // deviation: aged across any gap, then smoothed towards the newest error
    const age = lastFinite >= 0 ? n - 1 - lastFinite : 1;
    const prior = deviation * decay ** (age - 1);
    deviation = prior + devAlpha * (value - base - prior);
    shortDeviation = value - base - deviation;
    lastFinite = n - 1;
    // running mean until the half-life is reached, so early estimates are not biased towards zero
    const a = Math.max(levelAlpha, 1 / finiteCount);
    level += a * (value - shape - week - level);
    const da = Math.max(dailyAlpha, 1 / (seen + 1));
    daily[sod] = shape + da * (value - level - week - shape);
    dailySeen[sod] = seen + 1;
    if (seen >= 7) {
      const k = ++weeklySeen[sow];
      const wa = Math.max(weeklyAlpha, 1 / (k + 1));
      weekly[sow] = week + wa * (value - level - daily[sod] - week);
    }
  }

  function predictInto(out: Float64Array, fromSlot: number, toSlot: number, outIndex = fromSlot): void {
    if (!(Number.isInteger(fromSlot) && Number.isInteger(toSlot)))
      throw new RangeError(`forecast slots must be whole numbers, got ${fromSlot}..${toSlot}`);
    if (fromSlot < n)
      throw new RangeError(`cannot forecast slot ${fromSlot}: slots before ${n} are already observed`);
    if (toSlot <= fromSlot) return;
    if (outIndex < 0 || outIndex + (toSlot - fromSlot) > out.length)
      throw new RangeError(
        `forecast output of length ${out.length} cannot hold slots ${fromSlot}..${toSlot}`,
      );
    if (finiteCount === 0) {
      out.fill(Number.NaN, outIndex, outIndex + (toSlot - fromSlot));
      return;
    }
    let sow = fromSlot % slotsPerWeek;
    let sod = sow % slotsPerDay;
    let dev = deviation * decay ** (fromSlot - lastFinite);
    let short = shortDeviation * shortDecay ** (fromSlot - lastFinite);
    for (let s = fromSlot, j = outIndex; s < toSlot; s++, j++) {
      out[j] = level + (dailySeen[sod] > 0 ? daily[sod] : 0) + weekly[sow] + dev + short;
      dev *= decay;
      short *= shortDecay;
      if (++sow === slotsPerWeek) sow = 0;
      if (++sod === slotsPerDay) sod = 0;
    }
  }

  const one = new Float64Array(1);
  function predict(leadSlots: number): number {
    if (!(Number.isInteger(leadSlots) && leadSlots >= 1))
      throw new RangeError(`lead must be a whole number of slots >= 1, got ${leadSlots}`);
    const slot = n - 1 + leadSlots;
    predictInto(one, slot, slot + 1, 0);
    return one[0];
  }

  return {
    stepMin,
    startMs,
    get observed() {
      return n;
    },
    observe,
    predict,
    predictInto,
  };
}

/**
 * Forecasts the `horizonSlots` slots that follow `history` (actual values up to now, NaN = missing), fitted on
 * `history` only. Returns NaN everywhere when the history holds no finite value.
 */
export function forecastSeries(
  history: Grid,
  horizonSlots: number,
  options: ForecastOptions = {},
): Float64Array {
  if (!(Number.isInteger(horizonSlots) && horizonSlots >= 0))
    throw new RangeError(`horizon must be a whole number of slots >= 0, got ${horizonSlots}`);
  const f = createForecaster({ ...options, stepMin: history.stepMin, startMs: history.startMs });
  for (let i = 0; i < history.values.length; i++) f.observe(history.values[i]);
  const out = new Float64Array(horizonSlots);
  f.predictInto(out, history.values.length, history.values.length + horizonSlots, 0);
  return out;
}
