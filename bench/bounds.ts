/**
 * What a noisy forecast allows on the nightly job: `node bench/bounds.ts` (or `npm run bench -- bounds`).
 *
 * The nightly workload of bench/workloads.ts (one 30-minute job a night, 17:00 to 09:30 UTC, 33 half-hour
 * slots) on DE-2020 and GB-2020, on the simulator's own grid and with its own forecast error (`noisy` of
 * src/simulate/forecast-modes.ts: actual + Gaussian error of sd 5 % of the zone's mean, one draw per slot).
 * Each night's choice is scored on the actuals against the simulator's baseline (the job at 01:00), as
 * `gridshift simulate` scores it. Policies:
 * - perfect: the lowest actual slot (the optimum); raw forecast: the lowest noisy slot (what `rolling-min`
 *   and `cheapest-slots` do); both checked against the simulator itself;
 * - `optimal` itself, run through the simulator under `noise:0.05` and `horizon:24:0.05 --replan`;
 * - oracle-prior Bayes: each night's 33 actual values as a vector, its mean and covariance taken from all
 *   nights of the same year (in sample: a prior no real forecaster has), and the slot of lowest posterior mean
 *   given the night's noisy forecast; also given, besides, the exact actuals of the 4 hours before 17:00 (what
 *   `optimal` knows when it decides at submit), and replanned at every slot with the actuals of the slots
 *   that have ended (what it knows under `--replan`: start when the current slot has the lowest posterior
 *   mean of the slots left);
 * - own-night prior: the prior mean is the night's own actuals smoothed (a centred 5-slot moving average) and
 *   the covariance that of the residuals of that smoothing over the year: a policy told the night's shape.
 * Every noisy policy runs on noise seeds 1..20; the tables give seed 1 and the mean and sd over the seeds.
 *
 * Prints Markdown and writes bench/out/bounds.json. Skips with a message when the shared data is missing.
 *
 *   node bench/bounds.ts [--seeds 20]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runSimulation, savingsPct } from '../src/simulate/engine.ts';
import { type ForecastMode, forecastErrorSd, noisy } from '../src/simulate/forecast-modes.ts';
import { buildGrid } from '../src/simulate/grid.ts';
import { placeLoads } from '../src/simulate/placement.ts';
import type { WorkloadLoad } from '../src/simulate/workload.ts';
import {
  type GaussianPrior,
  type Observations,
  posteriorMean,
  sampleMoments,
  withoutRow,
} from './gaussian.ts';
import { asLoads, DATA, readCarbon } from './simulate.ts';
import { nightlyWorkload } from './workloads.ts';

const OUT = fileURLToPath(new URL('./out/', import.meta.url));
const STEP_MIN = 30;
const REL = 0.05;
/** slots of a full night's window, 17:00 to 09:30 */
const WINDOW = 33;
/** slots of actuals before the window that the "with the past" variants condition on (4 hours) */
const PAST = 8;
/** half-width of the moving average of the own-night prior, in slots */
const SMOOTH = 2;

/** One night's job on the grid: its allowed start slots [from, to) and its baseline slot. */
interface Night {
  from: number;
  to: number;
  base: number;
}

/** A zone's year: actual values on the simulator's grid and the nightly jobs on it. */
interface ZoneYear {
  zone: string;
  carbon: Float64Array;
  firstSlot: number;
  nights: Night[];
  loads: WorkloadLoad[];
  series: ReturnType<typeof readCarbon>;
}

/** Chooses each night's slot given the actuals and the noisy forecast (same grid). */
type Chooser = (night: Night, noisyValues: Float64Array) => number;

function zoneYear(zone: string): ZoneYear {
  const series = readCarbon(`${zone}-2020.csv`, zone);
  const loads = asLoads(nightlyWorkload({ year: 2020, zones: [zone] }), `nightly-${zone}`);
  const grid = buildGrid({ [zone]: series }, undefined, STEP_MIN, { kind: 'carbon' });
  const nights = placeLoads(loads, grid).map((p) => {
    if (p.k !== 1 || p.noRoom) throw new Error(`${p.load.id}: expected a one-slot job with room to move`);
    if (p.to - p.from > WINDOW) throw new Error(`${p.load.id}: window longer than ${WINDOW} slots`);
    return { from: p.from, to: p.to, base: p.baseStart };
  });
  const z = grid.zones[0];
  return { zone, carbon: z.carbon, firstSlot: z.firstSlot, nights, loads, series };
}

// ---------------------------------------------------------------- the night as a template vector

/** Position p of a night's template (PAST slots before a full window, then the window) on the grid. */
const templateSlot = (n: Night, p: number) => n.to - WINDOW - PAST + p;

/** The template positions of a night's window (the first night of the year has a shorter one). */
function windowPositions(n: Night): number[] {
  const out: number[] = [];
  for (let p = PAST; p < PAST + WINDOW; p++) if (templateSlot(n, p) >= n.from) out.push(p);
  return out;
}

/** The template positions before the window that lie on the grid. */
function pastPositions(n: Night): number[] {
  const out: number[] = [];
  for (let p = 0; p < PAST; p++) if (templateSlot(n, p) >= 0) out.push(p);
  return out;
}

/** Every night's whole template of actuals, for those that have one (all but the first of the year). */
function templateRows(y: ZoneYear, from: number, to: number): { night: Night; row: Float64Array }[] {
  const out: { night: Night; row: Float64Array }[] = [];
  for (const n of y.nights) {
    if (templateSlot(n, 0) < 0 || windowPositions(n).length < WINDOW) continue;
    const row = new Float64Array(to - from);
    for (let p = from; p < to; p++) row[p - from] = y.carbon[templateSlot(n, p)];
    if (row.every(Number.isFinite)) out.push({ night: n, row });
  }
  return out;
}

/** The prior of template positions [from, to) fitted on all nights, the same for every night (in sample). */
function yearPrior(y: ZoneYear, from: number, to: number): (n: Night) => GaussianPrior {
  const prior = sampleMoments(
    templateRows(y, from, to).map((r) => r.row),
    to - from,
  );
  return () => prior;
}

/** The same fitted on all nights but the one it is for (out of sample, for the nights that have a row). */
function leaveOneOutPrior(y: ZoneYear, from: number, to: number): (n: Night) => GaussianPrior {
  const rows = templateRows(y, from, to);
  const all = sampleMoments(
    rows.map((r) => r.row),
    to - from,
  );
  const own = new Map(rows.map((r) => [r.night, withoutRow(all, rows.length, r.row)]));
  return (n) => own.get(n) ?? all;
}

const argmin = (values: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  return best;
};

// ---------------------------------------------------------------- policies

const perfect =
  (y: ZoneYear): Chooser =>
  (n) =>
    n.from + argmin(y.carbon.subarray(n.from, n.to));

const rawForecast: Chooser = (n, x) => n.from + argmin(x.subarray(n.from, n.to));

/** The oracle-prior Bayes pick on the forecast alone (`past` false) or with the actuals before 17:00. */
function bayesAtSubmit(
  y: ZoneYear,
  priorOf: (n: Night) => GaussianPrior,
  noiseVar: number,
  past: boolean,
): Chooser {
  const offset = past ? 0 : PAST; // the prior's coordinate 0 is template position `offset`
  return (n, x) => {
    const win = windowPositions(n);
    const known = past ? pastPositions(n) : [];
    const obs: Observations = {
      index: [...known, ...win].map((p) => p - offset),
      values: [...known.map((p) => y.carbon[templateSlot(n, p)]), ...win.map((p) => x[templateSlot(n, p)])],
      noiseVar: [...known.map(() => 0), ...win.map(() => noiseVar)],
    };
    const m = posteriorMean(
      priorOf(n),
      obs,
      win.map((p) => p - offset),
    );
    return templateSlot(n, win[argmin(m)]);
  };
}

/**
 * The oracle-prior Bayes policy replanned at every slot: the actuals of the slots that have ended are known,
 * the rest is the noisy forecast; it starts when the current slot has the lowest posterior mean of those left.
 */
function bayesReplanned(y: ZoneYear, priorOf: (n: Night) => GaussianPrior, noiseVar: number): Chooser {
  return (n, x) => {
    const prior = priorOf(n);
    const win = windowPositions(n);
    const past = pastPositions(n);
    for (let t = 0; t < win.length - 1; t++) {
      const ended = [...past, ...win.slice(0, t)];
      const ahead = win.slice(t);
      const obs: Observations = {
        index: [...ended, ...ahead],
        values: [
          ...ended.map((p) => y.carbon[templateSlot(n, p)]),
          ...ahead.map((p) => x[templateSlot(n, p)]),
        ],
        noiseVar: [...ended.map(() => 0), ...ahead.map(() => noiseVar)],
      };
      const m = posteriorMean(prior, obs, ahead);
      if (argmin(m) === 0) return templateSlot(n, ahead[0]);
    }
    return templateSlot(n, win[win.length - 1]);
  };
}

/** Centred moving average of `values` over ±SMOOTH, shortened at the ends. */
function smooth(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - SMOOTH); j <= Math.min(values.length - 1, i + SMOOTH); j++) {
      s += values[j];
      c++;
    }
    out[i] = s / c;
  }
  return out;
}

/** The Bayes pick with the night's own smoothed actuals as prior mean and the residuals' covariance. */
function ownNightPrior(y: ZoneYear, noiseVar: number): Chooser {
  const residuals = templateRows(y, PAST, PAST + WINDOW).map(({ row }) => {
    const s = smooth(row);
    return row.map((v, i) => v - s[i]);
  });
  const resid = sampleMoments(residuals, WINDOW);
  return (n, x) => {
    const win = windowPositions(n);
    const idx = win.map((p) => p - PAST);
    const actual = win.map((p) => y.carbon[templateSlot(n, p)]);
    const s = smooth(actual);
    const mean = Float64Array.from(resid.mean);
    idx.forEach((i, k) => {
      mean[i] += s[k];
    });
    const obs: Observations = {
      index: idx,
      values: win.map((p) => x[templateSlot(n, p)]),
      noiseVar: win.map(() => noiseVar),
    };
    return templateSlot(n, win[argmin(posteriorMean({ ...resid, mean }, obs, idx))]);
  };
}

// ---------------------------------------------------------------- scoring and runs

/** Saved % of the nights' choices against their baselines, on the actuals (powerKw and kWh cancel). */
function savedPct(y: ZoneYear, choose: Chooser, x: Float64Array): number {
  let base = 0;
  let chosen = 0;
  for (const n of y.nights) {
    const s = choose(n, x);
    if (s < n.from || s >= n.to) throw new Error(`slot ${s} outside the window [${n.from}, ${n.to})`);
    base += y.carbon[n.base];
    chosen += y.carbon[s];
  }
  return savingsPct(base, chosen);
}

function simulatedPct(y: ZoneYear, policy: 'optimal' | 'rolling-min', mode: ForecastMode, replan: boolean) {
  return runSimulation({
    carbon: { [y.zone]: y.series },
    loads: y.loads,
    policy,
    forecast: mode,
    replan,
    stepMin: STEP_MIN,
  }).totals.savingsPct;
}

const POLICIES = [
  { key: 'raw', label: 'lowest raw forecast (`rolling-min`, `cheapest-slots`)' },
  { key: 'optimal-noise', label: '`optimal`, `noise:0.05`' },
  { key: 'optimal-replan', label: '`optimal`, `horizon:24:0.05 --replan`' },
  { key: 'bayes', label: 'oracle-prior Bayes, forecast only' },
  {
    key: 'bayes-out-of-sample',
    label: "the same, each night's prior fitted without that night (leave-one-out)",
  },
  { key: 'bayes-past', label: 'oracle-prior Bayes, forecast + 4 h of actuals before 17:00' },
  { key: 'bayes-replan', label: 'oracle-prior Bayes, replanned every slot with the ended actuals' },
  { key: 'own-night', label: 'own-night prior (the night smoothed over ±1 h), forecast only' },
] as const;
type PolicyKey = (typeof POLICIES)[number]['key'];

interface ZoneResult {
  zone: string;
  nights: number;
  noiseSdG: number;
  perfectSavedPct: number;
  /** the simulator's `optimal` under `perfect`, to check the optimum computed here */
  simulatedPerfectSavedPct: number;
  /** the simulator's `rolling-min` under `noise:0.05` (seed 1), to check the raw-forecast pick here */
  simulatedRawSavedPct: number;
  /** saved % per policy and seed (seeds 1..n in order) */
  savedPct: Record<PolicyKey, number[]>;
}

function runZone(zone: string, seeds: number): ZoneResult {
  const y = zoneYear(zone);
  const actuals = [{ zone, carbon: y.carbon, firstSlot: y.firstSlot }];
  const sd = forecastErrorSd({ kind: 'noise', rel: REL, seed: 1 }, actuals)[0];
  const v = sd * sd;
  const fullPrior = yearPrior(y, 0, PAST + WINDOW);
  const choosers: Partial<Record<PolicyKey, Chooser>> = {
    raw: rawForecast,
    bayes: bayesAtSubmit(y, yearPrior(y, PAST, PAST + WINDOW), v, false),
    'bayes-out-of-sample': bayesAtSubmit(y, leaveOneOutPrior(y, PAST, PAST + WINDOW), v, false),
    'bayes-past': bayesAtSubmit(y, fullPrior, v, true),
    'bayes-replan': bayesReplanned(y, fullPrior, v),
    'own-night': ownNightPrior(y, v),
  };
  const saved = Object.fromEntries(POLICIES.map((p) => [p.key, [] as number[]])) as Record<
    PolicyKey,
    number[]
  >;
  for (let seed = 1; seed <= seeds; seed++) {
    const x = noisy(actuals, REL, seed)[0];
    for (const [key, choose] of Object.entries(choosers))
      saved[key as PolicyKey].push(savedPct(y, choose, x));
    saved['optimal-noise'].push(simulatedPct(y, 'optimal', { kind: 'noise', rel: REL, seed }, false));
    saved['optimal-replan'].push(
      simulatedPct(y, 'optimal', { kind: 'horizon', hours: 24, rel: REL, seed }, true),
    );
    process.stderr.write('.');
  }
  return {
    zone,
    nights: y.nights.length,
    noiseSdG: sd,
    perfectSavedPct: savedPct(y, perfect(y), y.carbon),
    simulatedPerfectSavedPct: simulatedPct(y, 'optimal', { kind: 'perfect' }, false),
    simulatedRawSavedPct: simulatedPct(y, 'rolling-min', { kind: 'noise', rel: REL, seed: 1 }, false),
    savedPct: saved,
  };
}

// ---------------------------------------------------------------- output

const fmt = (x: number, d = 1) => x.toFixed(d);
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs: readonly number[]) => {
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

function table(r: ZoneResult, seeds: number): string[] {
  const share = (x: number) => (100 * x) / r.perfectSavedPct;
  const rows = POLICIES.map((p) => {
    const xs = r.savedPct[p.key];
    const shares = xs.map(share);
    return `| ${p.label} | ${fmt(xs[0], 2)} | ${fmt(shares[0])} | ${fmt(meanOf(shares))} ± ${fmt(sdOf(shares))} | ${fmt(Math.min(...shares))}-${fmt(Math.max(...shares))} |`;
  });
  return [
    `#### nightly ${r.zone}-2020 (${r.nights} loads, 30-minute slots; error sd ${fmt(r.noiseSdG)} g/kWh; perfect saves ${fmt(r.perfectSavedPct, 2)} %)`,
    '',
    `| policy | saved % (seed 1) | % of optimum (seed 1) | % of optimum, mean ± sd over ${seeds} seeds | range |`,
    '|---|---:|---:|---:|---:|',
    ...rows,
    '',
  ];
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { seeds: { type: 'string', default: '20' } },
  });
  const seeds = Number(values.seeds);
  if (!(Number.isInteger(seeds) && seeds >= 1))
    throw new RangeError(`--seeds must be >= 1, got ${values.seeds}`);
  if (!existsSync(`${DATA}carbon`)) {
    console.log(`bounds benchmark skipped: no shared data at ${DATA} (see docs/benchmarks.md)`);
    return;
  }
  const t0 = performance.now();
  const results = ['DE', 'GB'].map((z) => runZone(z, seeds));
  process.stderr.write('\n');
  const lines = [`Bounds benchmark: Node ${process.version}; ${fmt((performance.now() - t0) / 1000)} s`, ''];
  for (const r of results) lines.push(...table(r, seeds));
  lines.push('Checks against the simulator (saved %):', '');
  for (const r of results)
    lines.push(
      `- ${r.zone}: optimum here ${fmt(r.perfectSavedPct, 4)}, \`optimal\` under \`perfect\` ${fmt(r.simulatedPerfectSavedPct, 4)}; lowest raw forecast here ${fmt(r.savedPct.raw[0], 4)}, \`rolling-min\` under \`noise:0.05\` ${fmt(r.simulatedRawSavedPct, 4)}`,
    );
  console.log(lines.join('\n'));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    `${OUT}bounds.json`,
    `${JSON.stringify(
      {
        bench: 'bounds',
        node: process.version,
        rel: REL,
        seeds,
        pastSlots: PAST,
        smoothHalfWidthSlots: SMOOTH,
        policies: POLICIES,
        zones: results.map((r) => ({
          ...r,
          ofOptimumPct: Object.fromEntries(
            POLICIES.map((p) => [p.key, r.savedPct[p.key].map((x) => (100 * x) / r.perfectSavedPct)]),
          ),
        })),
      },
      null,
      2,
    )}\n`,
  );
}

if (import.meta.main) main();
