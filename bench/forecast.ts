/**
 * Forecaster accuracy on real grid data: `node bench/forecast.ts` (Node 24 runs the TypeScript directly).
 *
 * Rolling origin: after a 4-week warm-up, a forecast is issued every day at 00:00 and 12:00 UTC for the next
 * 72 hours, using only the values before the origin. Errors are grouped by lead time (1-24 h, 24-48 h,
 * 48-72 h) and compared with three references:
 * - persistence: the last value before the origin, held flat;
 * - daily seasonal-naive: the last 24 hours before the origin, repeated;
 * - weekly seasonal-naive: the value at the same slot one week earlier (always before the origin for leads
 *   up to 72 h).
 * A (origin, target) pair is scored only when the actual value and every method's forecast are present, so
 * all methods are scored on the same points.
 *
 * A second table scores the WattTime forecasts issued for CAISO_NORTH (5-minute MOER, 5..85 minutes ahead)
 * against the same methods at the same issue times.
 *
 * Prints Markdown tables and writes bench/out/forecast.json. Skips with a message when ../shared/data (the
 * shared data folder next to the repository) is missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Grid, resample } from '../src/core/series.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, toIso } from '../src/core/time.ts';
import { createForecaster, type ForecastOptions } from '../src/signals/forecast.ts';
import { createForecastErrors, createProbabilisticForecaster } from '../src/signals/forecast-errors.ts';
import { CAISO_ACTUALS_FILE, readCaisoIssued } from './caiso-data.ts';

const DATA = new URL('../../shared/data/', import.meta.url);
const OUT = new URL('./out/', import.meta.url);

export const METHODS = ['gridshift', 'persistence', 'naive-daily', 'naive-weekly'] as const;
export type Method = (typeof METHODS)[number];

export interface BandScore {
  /** mean absolute error, gCO2eq/kWh */
  mae: number;
  /** mean absolute percentage error, % */
  mape: number;
  /** root mean squared error (what a mean forecast minimises: the right score where costs are linear) */
  rmse: number;
  /** scored (origin, target) pairs */
  n: number;
}

/** The probabilistic methods: gridshift's forecaster and weekly seasonal-naive, each with its own past errors. */
export const PROBABILISTIC = ['gridshift', 'naive-weekly'] as const;
type Probabilistic = (typeof PROBABILISTIC)[number];

export interface CalibrationScore {
  /** share of actuals inside the 10-90 % band, % (80 is calibrated) */
  coverage80: number;
  /** continuous ranked probability score from 19 quantiles, gCO2eq/kWh (lower is better) */
  crps: number;
  n: number;
}

export interface ZoneResult {
  dataset: string;
  stepMin: number;
  origins: number;
  meanActual: number;
  /** band label -> method -> score */
  bands: Record<string, Record<Method, BandScore>>;
  /** band label -> method -> calibration of its band (its own past errors per lead and time of day) */
  calibration: Record<string, Record<Probabilistic, CalibrationScore>>;
}

/** Quantile levels 0.05, 0.10, ..., 0.95: CRPS ~= 2/19 x the sum of their pinball losses. */
const LEVELS = Array.from({ length: 19 }, (_, i) => (i + 1) / 20);
const Q10 = LEVELS.indexOf(0.1);
const Q90 = LEVELS.indexOf(0.9);

function pinball(level: number, q: number, actual: number): number {
  return (actual < q ? level - 1 : level) * (actual - q);
}

export interface EvalOptions {
  stepMin: number;
  warmupDays?: number;
  /** UTC hours of the day at which forecasts are issued */
  originHours?: number[];
  /** lead-time bands in hours: [from, to) */
  bands?: [number, number][];
  /** only score origins in [fromMs, toMs) */
  fromMs?: number;
  toMs?: number;
  forecast?: ForecastOptions;
}

const DEFAULT_BANDS: [number, number][] = [
  [0, 24],
  [24, 48],
  [48, 72],
];

function bandLabel([a, b]: [number, number]): string {
  return `${a === 0 ? 1 : a}-${b} h`;
}

/** Reads a `timestamp,carbon_intensity` CSV into a step-function series (empty values are missing). */
export function readCarbonCsv(path: URL | string): {
  points: { start: number; value: number }[];
  resolutionMin: number;
} {
  const lines = readFileSync(path, 'utf8').split('\n');
  const points: { start: number; value: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const [ts, v] = line.split(',');
    const start = Date.parse(ts);
    if (!Number.isFinite(start)) throw new Error(`${path}: line ${i + 1}: bad timestamp "${ts}"`);
    points.push({ start, value: v === '' || v === undefined ? Number.NaN : Number(v) });
  }
  const resolutionMin = points.length > 1 ? (points[1].start - points[0].start) / MINUTE_MS : 60;
  return { points, resolutionMin };
}

export function loadCarbonGrid(file: string, stepMin: number): Grid {
  return resample(readCarbonCsv(new URL(`carbon/${file}`, DATA)), stepMin);
}

/** Rolling-origin evaluation of the forecaster and the references on one grid. */
export function evaluateGrid(dataset: string, grid: Grid, options: EvalOptions): ZoneResult {
  const { stepMin } = grid;
  const slotsPerHour = 60 / stepMin;
  const spd = 24 * slotsPerHour;
  const spw = 7 * spd;
  const bands = options.bands ?? DEFAULT_BANDS;
  const horizon = Math.max(...bands.map((b) => b[1])) * slotsPerHour;
  const originHours = options.originHours ?? [0, 12];
  const warmupMs = (options.warmupDays ?? 28) * DAY_MS;
  const y = grid.values;
  const f = createProbabilisticForecaster({
    ...options.forecast,
    stepMin,
    startMs: grid.startMs,
    leadSlots: horizon,
  });
  // weekly seasonal-naive with its own past errors, learned the same way
  const naiveErrors = createForecastErrors({ slotsPerDay: spd, leadSlots: horizon });
  const naive = new Float64Array(horizon);
  const fc = new Float64Array(horizon);
  const cal = bands.map(() =>
    Object.fromEntries(PROBABILISTIC.map((m) => [m, { inside: 0, crps: 0, n: 0 }])),
  ) as Record<Probabilistic, { inside: number; crps: number; n: number }>[];

  const sums = bands.map(() =>
    Object.fromEntries(METHODS.map((m) => [m, { abs: 0, sq: 0, pct: 0, n: 0, npct: 0 }])),
  ) as Record<Method, { abs: number; sq: number; pct: number; n: number; npct: number }>[];
  let origins = 0;
  let lastFinite = Number.NaN;
  let actualSum = 0;
  let actualN = 0;
  for (let t = 0; t < y.length; t++) {
    const ms = grid.startMs + t * stepMin * MINUTE_MS;
    const isOrigin =
      ms - grid.startMs >= warmupMs &&
      ms % HOUR_MS === 0 &&
      originHours.includes(new Date(ms).getUTCHours()) &&
      (options.fromMs === undefined || ms >= options.fromMs) &&
      (options.toMs === undefined || ms < options.toMs) &&
      t + horizon <= y.length;
    if (naiveErrors.wants(t) && t >= spw) {
      for (let j = 0; j < horizon; j++) naive[j] = y[t + j - spw];
      naiveErrors.record(t, naive);
    }
    if (isOrigin && Number.isFinite(lastFinite)) {
      origins++;
      f.predictInto(fc, t, t + horizon, 0);
      const residuals = {
        gridshift: f.errors.quantiles(t, LEVELS, horizon),
        'naive-weekly': naiveErrors.quantiles(t, LEVELS, horizon),
      };
      for (let j = 0; j < horizon; j++) {
        const actual = y[t + j];
        const preds: Record<Method, number> = {
          gridshift: fc[j],
          persistence: lastFinite,
          'naive-daily': y[t - spd + (j % spd)],
          'naive-weekly': y[t + j - spw],
        };
        if (!Number.isFinite(actual) || METHODS.some((m) => !Number.isFinite(preds[m]))) continue;
        const b = bands.findIndex(([a, z]) => j >= a * slotsPerHour && j < z * slotsPerHour);
        if (b < 0) continue;
        for (const m of METHODS) {
          const s = sums[b][m];
          const e = Math.abs(preds[m] - actual);
          s.abs += e;
          s.sq += e * e;
          s.n++;
          if (Math.abs(actual) > 1e-9) {
            s.pct += e / Math.abs(actual);
            s.npct++;
          }
        }
        const rows = PROBABILISTIC.map((m) => residuals[m]?.[j]);
        if (rows.some((r) => !r || r.some((v) => !Number.isFinite(v)))) continue;
        PROBABILISTIC.forEach((m, i) => {
          const q = (level: number) => preds[m] + rows[i]![level];
          const c = cal[b][m];
          if (actual >= q(Q10) && actual <= q(Q90)) c.inside++;
          let loss = 0;
          LEVELS.forEach((level, l) => {
            loss += pinball(level, q(l), actual);
          });
          c.crps += (2 / LEVELS.length) * loss;
          c.n++;
        });
      }
    }
    naiveErrors.observe(y[t]);
    f.observe(y[t]);
    if (Number.isFinite(y[t])) {
      lastFinite = y[t];
      actualSum += y[t];
      actualN++;
    }
  }
  const result: ZoneResult = {
    dataset,
    stepMin,
    origins,
    meanActual: actualSum / actualN,
    bands: {},
    calibration: {},
  };
  bands.forEach((band, b) => {
    result.bands[bandLabel(band)] = Object.fromEntries(
      METHODS.map((m) => {
        const s = sums[b][m];
        return [m, { mae: s.abs / s.n, mape: (100 * s.pct) / s.npct, rmse: Math.sqrt(s.sq / s.n), n: s.n }];
      }),
    ) as Record<Method, BandScore>;
    result.calibration[bandLabel(band)] = Object.fromEntries(
      PROBABILISTIC.map((m) => {
        const c = cal[b][m];
        return [m, { coverage80: (100 * c.inside) / c.n, crps: c.crps / c.n, n: c.n }];
      }),
    ) as Record<Probabilistic, CalibrationScore>;
  });
  return result;
}

/** Coverage of the 10-90 % band and CRPS per data set and band, beside weekly seasonal-naive. */
export function calibrationTable(results: ZoneResult[], digits = 1): string {
  const lines = [
    '| data | lead | gridshift 10-90 % coverage | naive-weekly coverage | gridshift CRPS | naive-weekly CRPS | naive-weekly MAE (its CRPS as a point forecast) |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results)
    for (const [band, c] of Object.entries(r.calibration))
      lines.push(
        `| ${r.dataset} | ${band} | ${c.gridshift.coverage80.toFixed(1)} % | ${c['naive-weekly'].coverage80.toFixed(1)} % | **${c.gridshift.crps.toFixed(digits)}** | ${c['naive-weekly'].crps.toFixed(digits)} | ${r.bands[band]['naive-weekly'].mae.toFixed(digits)} |`,
      );
  return lines.join('\n');
}

/** Mean over data sets of coverage, and of CRPS relative to weekly seasonal-naive's, per band. */
export function calibrationSummary(results: ZoneResult[]): string {
  const bands = Object.keys(results[0]?.calibration ?? {});
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const lines = [
    `| measure | ${bands.join(' | ')} |`,
    `|---|${bands.map(() => '---:').join('|')}|`,
    `| gridshift 10-90 % coverage | ${bands.map((b) => `${mean(results.map((r) => r.calibration[b].gridshift.coverage80)).toFixed(1)} %`).join(' | ')} |`,
    `| naive-weekly 10-90 % coverage | ${bands.map((b) => `${mean(results.map((r) => r.calibration[b]['naive-weekly'].coverage80)).toFixed(1)} %`).join(' | ')} |`,
    `| gridshift CRPS / naive-weekly CRPS | ${bands.map((b) => mean(results.map((r) => r.calibration[b].gridshift.crps / r.calibration[b]['naive-weekly'].crps)).toFixed(2)).join(' | ')} |`,
    `| gridshift CRPS / naive-weekly MAE | ${bands.map((b) => mean(results.map((r) => r.calibration[b].gridshift.crps / r.bands[b]['naive-weekly'].mae)).toFixed(2)).join(' | ')} |`,
  ];
  return lines.join('\n');
}

export interface IssuedResult {
  dataset: string;
  stepMin: number;
  origins: number;
  fromIso: string;
  /** lead in minutes -> method -> MAE */
  leads: { leadMin: number; watttime: number; gridshift: number; persistence: number; n: number }[];
}

/**
 * Scores WattTime's issued CAISO_NORTH forecasts and the methods here at the same issue times. At an issue time
 * T every method knows only the actual values of slots starting before T (the slot starting at T is not known).
 */
export function evaluateIssued(warmupDays = 7, forecast: ForecastOptions = {}): IssuedResult {
  const stepMin = 5;
  const step = stepMin * MINUTE_MS;
  const grid = resample(readCarbonCsv(new URL(`carbon/${CAISO_ACTUALS_FILE}`, DATA)), stepMin);
  // issue time -> [(target slot, value)]
  const issued = new Map<number, [number, number][]>();
  for (const f of readCaisoIssued()) {
    const list: [number, number][] = [];
    for (const p of f.points) {
      const target = (p.start - grid.startMs) / step;
      if (Number.isInteger(target) && Number.isFinite(p.value)) list.push([target, p.value]);
    }
    issued.set(f.issuedAtMs, list);
  }
  const fromMs = grid.startMs + warmupDays * DAY_MS;
  const y = grid.values;
  const f = createForecaster({ ...forecast, stepMin, startMs: grid.startMs });
  const maxLead = 18;
  const sums = Array.from({ length: maxLead + 1 }, () => ({
    watttime: 0,
    gridshift: 0,
    persistence: 0,
    n: 0,
  }));
  const fc = new Float64Array(maxLead + 1);
  let origins = 0;
  let lastFinite = Number.NaN;
  for (let t = 0; t < y.length; t++) {
    const ms = grid.startMs + t * step;
    const list = issued.get(ms);
    if (ms >= fromMs && list && Number.isFinite(lastFinite)) {
      origins++;
      f.predictInto(fc, t, t + maxLead + 1, 0);
      for (const [target, value] of list) {
        const lead = target - t;
        if (lead < 1 || lead > maxLead || target >= y.length || !Number.isFinite(y[target])) continue;
        const s = sums[lead];
        s.watttime += Math.abs(value - y[target]);
        s.gridshift += Math.abs(fc[lead] - y[target]);
        s.persistence += Math.abs(lastFinite - y[target]);
        s.n++;
      }
    }
    f.observe(y[t]);
    if (Number.isFinite(y[t])) lastFinite = y[t];
  }
  return {
    dataset: 'CAISO_NORTH-moer-2023-06',
    stepMin,
    origins,
    fromIso: toIso(fromMs),
    leads: sums
      .map((s, lead) => ({
        leadMin: lead * stepMin,
        watttime: s.watttime / s.n,
        gridshift: s.gridshift / s.n,
        persistence: s.persistence / s.n,
        n: s.n,
      }))
      // WattTime issued 5..65 minutes ahead almost always; the few longer issues are too few to score
      .filter((r) => r.n >= origins / 2),
  };
}

export const DATASETS: { file: string; stepMin: number }[] = [
  { file: 'DE-2020.csv', stepMin: 30 },
  { file: 'GB-2020.csv', stepMin: 30 },
  ...['DE', 'GB', 'US-CAL-CISO', 'AU-NSW', 'US-TEX-ERCO', 'JP-TK', 'ZA'].map((z) => ({
    file: `${z}-2023.csv`,
    stepMin: 60,
  })),
];

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** `digits`: decimals of the MAE (1 for g/kWh; more for smaller units such as a household's kW). */
export function accuracyTable(results: ZoneResult[], digits = 1): string {
  const labels = Object.keys(results[0].bands);
  const head = `| data | step | method | ${labels.map((l) => `${l} MAE | ${l} MAPE`).join(' | ')} |`;
  const rule = `|---|---|---|${labels.map(() => '---:|---:').join('|')}|`;
  const rows: string[] = [];
  for (const r of results) {
    for (const m of METHODS) {
      const cells = labels.map((l) => {
        const s = r.bands[l][m];
        const best = Math.min(...METHODS.map((k) => r.bands[l][k].mae));
        const mae = s.mae === best ? `**${fmt(s.mae, digits)}**` : fmt(s.mae, digits);
        return `${mae} | ${fmt(s.mape)} %`;
      });
      rows.push(`| ${r.dataset} | ${r.stepMin} min | ${m} | ${cells.join(' | ')} |`);
    }
  }
  return [head, rule, ...rows].join('\n');
}

/** Mean over data sets of each method's MAE relative to weekly seasonal-naive, per band. */
export function skillTable(results: ZoneResult[]): string {
  const labels = Object.keys(results[0].bands);
  const rows = METHODS.map((m) => {
    const cells = labels.map((l) => {
      const ratios = results.map((r) => r.bands[l][m].mae / r.bands[l]['naive-weekly'].mae);
      return fmt(ratios.reduce((a, b) => a + b, 0) / ratios.length, 2);
    });
    return `| ${m} | ${cells.join(' | ')} |`;
  });
  return [`| method | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---:').join('|')}|`, ...rows].join(
    '\n',
  );
}

export function issuedTable(r: IssuedResult): string {
  const rows = r.leads.map(
    (l) => `| ${l.leadMin} min | ${fmt(l.watttime)} | ${fmt(l.gridshift)} | ${fmt(l.persistence)} | ${l.n} |`,
  );
  return [
    '| lead | WattTime issued MAE | gridshift MAE | persistence MAE | pairs |',
    '|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

export interface ThroughputResult {
  steps: number;
  slotsPerStep: number;
  elapsedMs: number;
  nsPerPredictedSlot: number;
}

/** Cost of the simulator's use: observe one slot, then predict the next `slotsPerStep`, at every slot of a grid. */
export function measureThroughput(grid: Grid, slotsPerStep: number): ThroughputResult {
  const f = createForecaster({ stepMin: grid.stepMin, startMs: grid.startMs });
  const out = new Float64Array(slotsPerStep);
  const t0 = performance.now();
  for (let t = 0; t < grid.values.length; t++) {
    f.observe(grid.values[t]);
    f.predictInto(out, t + 1, t + 1 + slotsPerStep, 0);
  }
  const elapsedMs = performance.now() - t0;
  const steps = grid.values.length;
  return { steps, slotsPerStep, elapsedMs, nsPerPredictedSlot: (elapsedMs * 1e6) / (steps * slotsPerStep) };
}

function main(): void {
  if (!existsSync(fileURLToPath(DATA))) {
    console.log(`forecast benchmark skipped: shared data folder not found at ${fileURLToPath(DATA)}`);
    return;
  }
  const t0 = performance.now();
  const results = DATASETS.map(({ file, stepMin }) =>
    evaluateGrid(file.replace('.csv', ''), loadCarbonGrid(file, stepMin), { stepMin }),
  );
  const issued = evaluateIssued();
  const elapsedMs = performance.now() - t0;
  const throughput = measureThroughput(loadCarbonGrid('DE-2020.csv', 30), 336);
  console.log('### Forecast error by lead time (gCO2eq/kWh; lowest MAE in bold)\n');
  console.log(accuracyTable(results));
  console.log('\n### MAE relative to weekly seasonal-naive (mean over the data sets; < 1 is better)\n');
  console.log(skillTable(results));
  console.log('\n### Calibration: 10-90 % band coverage and CRPS by lead time (gCO2eq/kWh)\n');
  console.log(calibrationTable(results));
  console.log('\n### Calibration, mean over the data sets\n');
  console.log(calibrationSummary(results));
  console.log(
    `\n### CAISO_NORTH MOER, 5-minute step: WattTime's issued forecasts vs gridshift (${issued.origins} issue times from ${issued.fromIso})\n`,
  );
  console.log(issuedTable(issued));
  console.log(
    `\nSimulator use (DE-2020, 30 min): observe + predict ${throughput.slotsPerStep} slots at each of ${throughput.steps} steps in ${throughput.elapsedMs.toFixed(0)} ms (${throughput.nsPerPredictedSlot.toFixed(1)} ns per predicted slot). Accuracy runs took ${(elapsedMs / 1000).toFixed(1)} s.`,
  );
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    new URL('forecast.json', OUT),
    `${JSON.stringify({ datasets: results, issued, throughput, elapsedMs: Math.round(elapsedMs) }, null, 2)}\n`,
  );
}

if (import.meta.main) main();
