import { meanValue } from '../core/series.ts';

/**
 * How clean a carbon-intensity reading is, in five levels, judged two ways: against fixed bands that
 * mean the same everywhere, and against the zone's own coming hours (what "clean for this grid" means).
 */
export type QualityLevel = 'excellent' | 'good' | 'moderate' | 'poor' | 'very poor';
export const QUALITY_LEVELS: readonly QualityLevel[] = ['excellent', 'good', 'moderate', 'poor', 'very poor'];

/**
 * Upper bounds (exclusive, gCO2eq/kWh) of the absolute bands; at or above the last bound is `very poor`.
 * Below 100: mostly hydro, nuclear, wind or solar. 100-200: a low-carbon grid with some gas. 200-300:
 * a mixed grid. 300-450: gas-dominated or a mix with coal. 450 and more: coal-heavy.
 */
export const CARBON_BANDS_G: readonly number[] = [100, 200, 300, 450];

/** Level of a carbon intensity by the absolute bands. NaN has no level. */
export function carbonLevel(intensityG: number): QualityLevel | undefined {
  if (!Number.isFinite(intensityG)) return undefined;
  let i = 0;
  while (i < CARBON_BANDS_G.length && intensityG >= CARBON_BANDS_G[i]) i++;
  return QUALITY_LEVELS[i];
}

/**
 * Share of the finite values of `distribution` strictly below `value`, plus half of those equal to it
 * (the mid-rank percentile, so that a flat forecast puts any of its values at 0.5). NaN when empty.
 */
export function percentileRank(value: number, distribution: ArrayLike<number>): number {
  let below = 0;
  let equal = 0;
  let n = 0;
  for (let i = 0; i < distribution.length; i++) {
    const v = distribution[i];
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < value) below++;
    else if (v === value) equal++;
  }
  return n > 0 && Number.isFinite(value) ? (below + equal / 2) / n : Number.NaN;
}

/**
 * Level of a reading relative to the zone's own forecast: by quintile of its percentile rank among the
 * forecast values (lowest fifth `excellent`, highest fifth `very poor`). Works for prices as well.
 */
export function relativeLevel(value: number, forecastValues: ArrayLike<number>): QualityLevel | undefined {
  const p = percentileRank(value, forecastValues);
  if (Number.isNaN(p)) return undefined;
  return QUALITY_LEVELS[Math.min(4, Math.floor(p * 5))];
}

export interface CleanNowOptions {
  /** absolute threshold in gCO2eq/kWh: clean requires the reading to be below it as well */
  thresholdG?: number;
}

export interface CleanNow {
  /** run now? below the forecast mean, and below the threshold when one is given */
  clean: boolean;
  /** below the mean of the forecast values (false when there is no forecast) */
  relative: boolean;
  /** below the threshold (true when no threshold is given) */
  absolute: boolean;
  /** mean of the finite forecast values; NaN when there are none */
  forecastMean: number;
  level?: QualityLevel;
  relativeLevel?: QualityLevel;
  reason: string;
}

/**
 * "Is it clean now?": the current intensity compared with the mean of the zone's forecast for the coming
 * hours and, optionally, with a fixed threshold. Without a forecast only the threshold can answer.
 */
export function isCleanNow(
  currentG: number,
  forecastValues: ArrayLike<number>,
  options: CleanNowOptions = {},
): CleanNow {
  const { thresholdG } = options;
  const forecastMean = meanValue(forecastValues);
  const level = carbonLevel(currentG);
  const relLevel = relativeLevel(currentG, forecastValues);
  const round = (v: number) => Math.round(v);
  if (!Number.isFinite(currentG)) {
    return {
      clean: false,
      relative: false,
      absolute: false,
      forecastMean,
      reason: 'no current reading',
    };
  }
  const hasForecast = Number.isFinite(forecastMean);
  const relative = hasForecast && currentG < forecastMean;
  const absolute = thresholdG === undefined || currentG < thresholdG;
  const reasons: string[] = [];
  if (hasForecast)
    reasons.push(
      relative
        ? `${round(currentG)} g/kWh is below the forecast mean of ${round(forecastMean)}`
        : `${round(currentG)} g/kWh is not below the forecast mean of ${round(forecastMean)}: cleaner hours are coming`,
    );
  if (thresholdG !== undefined)
    reasons.push(
      absolute
        ? `${hasForecast ? 'and' : `${round(currentG)} g/kWh is`} below the threshold of ${thresholdG}`
        : `${hasForecast ? 'and' : `${round(currentG)} g/kWh is`} not below the threshold of ${thresholdG}`,
    );
  if (!hasForecast && thresholdG === undefined) reasons.push('no forecast to compare with and no threshold');
  // Without a forecast, a threshold alone decides; with one, the reading must beat the coming hours too.
  const clean = hasForecast ? relative && absolute : thresholdG !== undefined && absolute;
  return {
    clean,
    relative,
    absolute,
    forecastMean,
    level,
    relativeLevel: relLevel,
    reason: reasons.join(', '),
  };
}

/**
 * Whether the slot holding now is the cleanest of the coming hours, and the cheapest too where prices are
 * known: a "cheapest and cleanest" window. It needs a horizon that varies: on a flat forecast every slot
 * would be the best, and none is.
 */
export function isBestNow(
  currentG: number,
  carbonValues: ArrayLike<number>,
  currentPrice?: number,
  priceValues?: ArrayLike<number>,
): boolean {
  if (!Number.isFinite(currentG)) return false;
  const { min, max } = rangeOf(carbonValues);
  const priceKnown = currentPrice !== undefined && Number.isFinite(currentPrice) && priceValues !== undefined;
  return currentG <= min && currentG < max && (!priceKnown || currentPrice <= rangeOf(priceValues).min);
}

function rangeOf(values: ArrayLike<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

export interface DayWindows {
  /** carbon below the mean of the day's values */
  clean: boolean[];
  /** price among the day's cheapest `cheapShare` of slots (ties included) */
  cheapest: boolean[];
  /** both: the best time to run appliances */
  both: boolean[];
  /** mean of the day's finite carbon values (NaN when none) */
  carbonMean: number;
  /** the price at or below which a slot is among the cheapest (NaN without prices) */
  cheapAtOrBelow: number;
}

/**
 * A zone's day slot by slot: clean when its carbon is below the day's forecast mean, cheapest when its price
 * is among the day's lowest third (`cheapShare`, by rank: the ceil(n x share) cheapest slots and any equal
 * to the last of them), "cheapest and cleanest" when both. A slot without a value is neither.
 */
export function dayWindows(
  carbon: ArrayLike<number>,
  price?: ArrayLike<number>,
  options: { cheapShare?: number } = {},
): DayWindows {
  const share = options.cheapShare ?? 1 / 3;
  if (!(share > 0 && share <= 1)) throw new RangeError(`cheapShare must be in (0, 1], got ${share}`);
  const carbonMean = meanValue(carbon);
  const prices = price
    ? Array.from(price)
        .filter(Number.isFinite)
        .sort((a, b) => a - b)
    : [];
  const cheapAtOrBelow = prices.length > 0 ? prices[Math.ceil(prices.length * share) - 1] : Number.NaN;
  const clean = Array.from(
    { length: carbon.length },
    (_, i) => Number.isFinite(carbon[i]) && carbon[i] < carbonMean,
  );
  const cheapest = Array.from(
    { length: carbon.length },
    (_, i) => price !== undefined && Number.isFinite(price[i]) && price[i] <= cheapAtOrBelow,
  );
  return { clean, cheapest, both: clean.map((c, i) => c && cheapest[i]), carbonMean, cheapAtOrBelow };
}
