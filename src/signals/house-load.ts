import type { Grid } from '../core/series.ts';
import { createForecaster, type Forecaster, type ForecastOptions, forecastSeries } from './forecast.ts';

/**
 * A household's base load ahead: the built-in forecaster (weekly and daily shape, recent level) on the
 * load's own history, with the recent deviation from that shape fading faster than a grid's does (3 hours
 * instead of 24: a house's evening is not its morning, while a windy spell lasts). The forecast is the
 * expected load, what a plan whose cost is linear in the load should use; chosen and measured on real
 * household data in docs/benchmarks.md (House load).
 */
export const HOUSE_LOAD_FORECAST: Readonly<ForecastOptions> = { deviationHalfLifeHours: 3 };

/** The expected base load (kW) of the `slots` slots after `history` (kW per slot; NaN = missing). */
export function forecastHouseLoad(history: Grid, slots: number): Float64Array {
  return forecastSeries(history, slots, HOUSE_LOAD_FORECAST);
}

/**
 * The same forecaster fed one slot at a time, for a replay that forecasts at every slot: observing the
 * history slot by slot and predicting gives exactly `forecastHouseLoad` of that history, at O(1) a slot.
 */
export function houseLoadForecaster(startMs: number, stepMin: number): Forecaster {
  return createForecaster({ ...HOUSE_LOAD_FORECAST, startMs, stepMin });
}
