import { meanValue } from '../core/series.ts';
import type { Zone } from '../core/zones.ts';
import { chooseModelTier, type TierChoice, type TierOptions } from '../planner/decide.ts';
import { type SignalDeps, zoneGrids } from '../signals/zone-grids.ts';

/**
 * "Which model tier now?" over a zone's live signals: its carbon intensity now and the mean of its
 * forecast, its price now, and the caller's local solar output, judged by chooseModelTier. What
 * /v1/decide/model-tier answers and what the OpenAI-compatible gateway routes `auto` by.
 */

export interface TierNowOptions extends TierOptions {
  /** the caller's local solar output (or surplus) now, kW */
  solarKw?: number;
  /** hours the forecast mean covers */
  forecastHours: number;
}

export interface TierNow extends Omit<TierChoice, 'failOpen'> {
  zone: string;
  signals: {
    carbon: number | null;
    carbonForecastMean: number | null;
    price: number | null;
    solarKw: number | null;
  };
  /** the sources that answered, joined with + */
  source: string | null;
  degraded: boolean;
  /** no rule could be evaluated for lack of a signal: the tier is the fail-open one */
  failOpen: boolean;
}

export async function modelTierNow(
  deps: SignalDeps,
  zone: Zone,
  options: TierNowOptions,
  nowMs: number,
): Promise<TierNow> {
  const grids = await zoneGrids(deps, zone, {
    metric: options.priceBelow !== undefined ? 'all' : 'carbon',
    hours: options.forecastHours,
    stepMin: 60,
    nowMs,
  });
  const carbon = num(grids.carbon?.current);
  const carbonForecastMean = num(grids.carbon ? meanValue(grids.carbon.grid.values) : Number.NaN);
  const price = num(grids.price?.current);
  const choice = chooseModelTier(
    {
      carbon: carbon ?? undefined,
      carbonForecastMean: carbonForecastMean ?? undefined,
      price: price ?? undefined,
      solarKw: options.solarKw,
    },
    {
      carbonBelow: options.carbonBelow,
      belowForecastMean: options.belowForecastMean,
      priceBelow: options.priceBelow,
      minSolarKw: options.minSolarKw,
    },
  );
  const answer = grids.carbon?.answer;
  return {
    ...choice,
    zone: zone.code,
    signals: { carbon, carbonForecastMean, price, solarKw: options.solarKw ?? null },
    source: answer?.sources.join('+') || null,
    degraded: answer?.degraded ?? true,
    failOpen: choice.failOpen === true,
  };
}

/** A number, or null when it is not one (NaN: no value). */
const num = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);
