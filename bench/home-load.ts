/**
 * House load forecasting on real household data: `node bench/home-load.ts` (or `npm run bench -- home-load`).
 *
 * The base load of one French household (`../shared/data/home/household-FR-2024.csv`, 30-minute averages,
 * 2024-02-28 .. 2025-02-27; empty values are a sensor that was unavailable) forecast by the built-in
 * forecaster (weekly shape, daily shape and recent level: src/signals/forecast.ts, the same one that extends
 * grid forecasts, with the house's setting HOUSE_LOAD_FORECAST) by the rolling-origin method of
 * bench/forecast.ts: after a 4-week warm-up, a forecast is issued every 6 hours (00, 06, 12, 18 UTC) for the
 * next 48 hours from the values before it, scored per lead band against persistence and daily and weekly
 * seasonal-naive on the same (origin, target) pairs, by MAE and RMSE; the 10-90 % band of its own past errors
 * is scored too. The setting was chosen among a few on the forecasts issued in the first half of the data
 * (by RMSE: a plan whose cost is linear in the load wants the expected load); the second half is held out.
 *
 * A second table scores the PV forecast the household logged (`pv_forecast_w`, issued ahead of time by its
 * home-energy system) against the PV actually produced, beside daily seasonal-naive on PV (yesterday's
 * production at the same time), over the daylight slots where all three are present.
 *
 * Prints Markdown and writes bench/out/home-load.json. Skips with a message when the shared data is missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Grid, type Point, resample } from '../src/core/series.ts';
import { DAY_MS, MINUTE_MS, toIso } from '../src/core/time.ts';
import { readHouseholdCsv } from '../src/signals/csv.ts';
import type { ForecastOptions } from '../src/signals/forecast.ts';
import { HOUSE_LOAD_FORECAST } from '../src/signals/house-load.ts';
import { calibrationTable, evaluateGrid, METHODS, type Method, type ZoneResult } from './forecast.ts';

const FILE = new URL('../../shared/data/home/household-FR-2024.csv', import.meta.url);
const OUT = new URL('./out/', import.meta.url);
const STEP_MIN = 30;
const ORIGIN_HOURS = [0, 6, 12, 18];
/** the first half of the data (for the choice of the setting) ends here; the second is held out */
const HALF_MS = Date.parse('2024-08-28T00:00:00Z');
const BANDS: [number, number][] = [
  [0, 6],
  [6, 24],
  [24, 48],
];

/** The household file's columns as grids of kW on its 30-minute step (empty = NaN), read by the repository's reader. */
export function readHousehold(path: URL | string): { load: Grid; pv: Grid; pvForecast: Grid } {
  const file = path instanceof URL ? fileURLToPath(path) : path;
  const h = readHouseholdCsv(readFileSync(file, 'utf8'), file);
  const grid = (points: Point[]) => resample({ points, resolutionMin: h.resolutionMin }, STEP_MIN);
  return { load: grid(h.loadKw), pv: grid(h.pvKw), pvForecast: grid(h.pvForecastKw) };
}

export interface PvScore {
  /** kW, over the slots where the actual, the logged forecast and yesterday's value are all present */
  loggedMae: number;
  naiveDailyMae: number;
  meanActualKw: number;
  n: number;
}

/** The logged PV forecast against the PV produced, beside yesterday's production at the same time. */
export function scorePvForecast(pv: Grid, forecast: Grid): PvScore {
  const spd = DAY_MS / (pv.stepMin * MINUTE_MS);
  const offset = Math.round((forecast.startMs - pv.startMs) / (pv.stepMin * MINUTE_MS));
  let logged = 0;
  let naive = 0;
  let actual = 0;
  let n = 0;
  for (let t = spd; t < pv.values.length; t++) {
    const a = pv.values[t];
    const f = forecast.values[t - offset];
    const y = pv.values[t - spd];
    // daylight: something was produced or forecast
    if (![a, f, y].every(Number.isFinite) || (a <= 0 && f <= 0)) continue;
    logged += Math.abs(f - a);
    naive += Math.abs(y - a);
    actual += a;
    n++;
  }
  return { loggedMae: logged / n, naiveDailyMae: naive / n, meanActualKw: actual / n, n };
}

/** Settings tried for the house, chosen on the first half by RMSE (the first one is the grid's default). */
const CANDIDATES: { label: string; forecast: ForecastOptions }[] = [
  { label: 'grid default (deviation half-life 24 h)', forecast: {} },
  { label: 'deviation half-life 6 h', forecast: { deviationHalfLifeHours: 6 } },
  { label: 'deviation half-life 3 h (HOUSE_LOAD_FORECAST)', forecast: HOUSE_LOAD_FORECAST },
  { label: 'deviation half-life 2 h', forecast: { deviationHalfLifeHours: 2 } },
  {
    label: 'daily half-life 3 d, deviation 3 h',
    forecast: { dailyHalfLifeDays: 3, deviationHalfLifeHours: 3 },
  },
];

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');

/** RMSE relative to weekly seasonal-naive per band, for each candidate setting. */
function choiceTable(rows: { label: string; result: ZoneResult }[]): string {
  const labels = Object.keys(rows[0].result.bands);
  const ratio = (r: ZoneResult, l: string, m: Method) => r.bands[l][m].rmse / r.bands[l]['naive-weekly'].rmse;
  const lines = [
    `| setting | ${labels.join(' | ')} |`,
    `|---|${labels.map(() => '---:').join('|')}|`,
    ...rows.map(
      ({ label, result }) =>
        `| ${label} | ${labels.map((l) => f3(ratio(result, l, 'gridshift'))).join(' | ')} |`,
    ),
    `| (daily seasonal-naive) | ${labels.map((l) => f3(ratio(rows[0].result, l, 'naive-daily'))).join(' | ')} |`,
  ];
  return lines.join('\n');
}

/** MAE and RMSE per method and band (kW; the lowest of each in bold). */
function errorTable(r: ZoneResult): string {
  const labels = Object.keys(r.bands);
  const cell = (l: string, m: Method, k: 'mae' | 'rmse') => {
    const best = Math.min(...METHODS.map((x) => r.bands[l][x][k]));
    const v = r.bands[l][m][k];
    return v === best ? `**${f3(v)}**` : f3(v);
  };
  return [
    `| method | ${labels.map((l) => `${l} MAE | ${l} RMSE`).join(' | ')} |`,
    `|---|${labels.map(() => '---:|---:').join('|')}|`,
    ...METHODS.map(
      (m) => `| ${m} | ${labels.map((l) => `${cell(l, m, 'mae')} | ${cell(l, m, 'rmse')}`).join(' | ')} |`,
    ),
  ].join('\n');
}

function main(): void {
  if (!existsSync(fileURLToPath(FILE))) {
    console.log(`home-load benchmark skipped: ${fileURLToPath(FILE)} not found`);
    return;
  }
  const t0 = performance.now();
  const { load, pv, pvForecast } = readHousehold(FILE);
  const run = (forecast: ForecastOptions, range: { fromMs?: number; toMs?: number }) =>
    evaluateGrid('household-FR-2024 load (kW)', load, {
      stepMin: STEP_MIN,
      bands: BANDS,
      originHours: ORIGIN_HOURS,
      forecast,
      ...range,
    });
  const choice = CANDIDATES.map((c) => ({ label: c.label, result: run(c.forecast, { toMs: HALF_MS }) }));
  const heldOut = run(HOUSE_LOAD_FORECAST, { fromMs: HALF_MS });
  const year = run(HOUSE_LOAD_FORECAST, {});
  const pvScore = scorePvForecast(pv, pvForecast);
  const elapsedMs = performance.now() - t0;

  console.log(
    `### Choice of the setting: RMSE relative to weekly seasonal-naive, forecasts issued before ${toIso(HALF_MS)} (${choice[0].result.origins})\n`,
  );
  console.log(choiceTable(choice));
  console.log(`\n### Held out: forecasts issued from ${toIso(HALF_MS)} (${heldOut.origins}), kW\n`);
  console.log(errorTable(heldOut));
  console.log(`\n### The whole year (${year.origins} forecasts), kW\n`);
  console.log(errorTable(year));
  console.log('\n### 10-90 % band coverage and CRPS, the whole year (kW)\n');
  console.log(calibrationTable([year], 3));
  console.log(
    `\n### PV: the household's logged forecast against what it produced (${pvScore.n} daylight slots)\n`,
  );
  console.log('| forecast | MAE (kW) | MAE / mean production |');
  console.log('|---|---:|---:|');
  console.log(
    `| logged pv_forecast_w | ${f3(pvScore.loggedMae)} | ${f3(pvScore.loggedMae / pvScore.meanActualKw)} |`,
  );
  console.log(
    `| yesterday at the same time | ${f3(pvScore.naiveDailyMae)} | ${f3(pvScore.naiveDailyMae / pvScore.meanActualKw)} |`,
  );
  console.log(`\nMean house load ${year.meanActual.toFixed(3)} kW. Took ${(elapsedMs / 1000).toFixed(1)} s.`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    new URL('home-load.json', OUT),
    `${JSON.stringify({ choice, heldOut, year, pv: pvScore, elapsedMs: Math.round(elapsedMs) }, null, 2)}\n`,
  );
}

if (import.meta.main) main();
