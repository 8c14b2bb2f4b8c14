/**
 * The shared CAISO_NORTH June 2023 data, read once for the benchmarks that use it: WattTime's 5-minute
 * marginal emission rate (MOER, converted to g/kWh) and the forecasts WattTime issued for it every 5 minutes.
 * The issued forecasts are read with the library's own reader, as `gridshift simulate --forecast issued:PATH`
 * reads them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readIssuedForecasts } from '../src/signals/csv.ts';
import type { IssuedForecast } from '../src/simulate/forecast-modes.ts';

const DATA = new URL('../../shared/data/', import.meta.url);

export const CAISO_ZONE = 'CAISO_NORTH';
/** the actuals, a `timestamp,carbon_intensity` file under shared/data/carbon */
export const CAISO_ACTUALS_FILE = 'CAISO_NORTH-moer-2023-06.csv';
export const CAISO_FORECASTS_PATH = fileURLToPath(
  new URL('forecasts/CAISO_NORTH-moer-2023-06-forecasts.csv', DATA),
);

/** WattTime's issued forecasts for CAISO_NORTH, one per issue time, sorted by issue time. */
export function readCaisoIssued(): IssuedForecast[] {
  const path = CAISO_FORECASTS_PATH;
  return readIssuedForecasts(readFileSync(path, 'utf8'), {
    zone: CAISO_ZONE,
    source: `csv:${path}`,
    file: path,
  }).map((s) => ({ issuedAtMs: s.issuedAt ?? Number.NaN, points: s.points, resolutionMin: s.resolutionMin }));
}
