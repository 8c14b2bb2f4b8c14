/**
 * Scheduling policies on real grid data: `node bench/simulate.ts` (Node 24 runs the TypeScript directly).
 *
 * Replays the three seeded workloads of bench/workloads.ts through `gridshift simulate`'s engine, in process:
 * - nightly: a 30-minute job each night, movable 8 h either side of 01:00 UTC, on DE-2020 and GB-2020;
 * - ml: the ML-training scenario of "Let's Wait Awhile" (3,387 jobs, half interruptible) on DE-2020 and
 *   GB-2020, reported for all jobs and for the non-interruptible and interruptible halves;
 * - ml-next-workday: the same jobs with the study's own deadline rule (finish by the next working time:
 *   09:00-17:00 Mon-Fri UTC), to set beside its published numbers;
 * - adhoc: 5,000 loads with 0-24 h of slack and 1-3 candidate zones among the seven 2023 zones.
 * Every policy runs under three forecast modes: `perfect`, `noise:0.05` and `horizon:24:0.05` with
 * replanning. Each saving is also shown as a share of the perfect-foresight optimum (`optimal` under
 * `perfect`) of the same loads, and `optimal` under `perfect` is checked load by load against a brute-force
 * optimum computed here. Further tables: `optimal` by half-year, and the wall time of each simulate run (the
 * median of three).
 *
 * Prints Markdown and writes the raw numbers to bench/out/simulate.json. Skips with a message when
 * ../shared/data (the shared data folder next to the repository) is missing.
 *
 *   node bench/simulate.ts [--only nightly,ml,ml-next-workday,adhoc] [--step-2023 60] [--also MODE,...]
 *
 * --also adds forecast modes (horizon and model modes with replanning), e.g. --also horizon:48:0.05.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resample } from '../src/core/series.ts';
import { ceilToStep, DAY_MS, floorToStep, MINUTE_MS, toIso } from '../src/core/time.ts';
import { POLICY_NAMES, type PolicyName } from '../src/planner/policies.ts';
import { readCsvSeries } from '../src/signals/csv.ts';
import {
  runSimulation,
  type SeriesInput,
  type SimulationInput,
  type SimulationResult,
  savingsPct,
} from '../src/simulate/engine.ts';
import { type ForecastMode, parseForecastMode } from '../src/simulate/forecast-modes.ts';
import { parseWorkload, type WorkloadLoad } from '../src/simulate/workload.ts';
import {
  ADHOC_ZONES,
  adhocWorkload,
  mlWorkload,
  nightlyWorkload,
  toJsonLines,
  type WorkloadRecord,
} from './workloads.ts';

export const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const OUT = fileURLToPath(new URL('./out/', import.meta.url));

/** The policies compared; run-now is the baseline every saving is measured against. */
const POLICIES: readonly PolicyName[] = POLICY_NAMES.filter((p) => p !== 'run-now');

interface ForecastCase {
  label: string;
  mode: string;
  replan: boolean;
}

export const DEFAULT_FORECASTS: readonly ForecastCase[] = [
  { label: 'perfect', mode: 'perfect', replan: false },
  { label: 'noise:0.05', mode: 'noise:0.05', replan: false },
  { label: 'horizon:24:0.05 --replan', mode: 'horizon:24:0.05', replan: true },
];

/** The forecasts of this run: the defaults and those added with `--also` */
let FORECASTS: readonly ForecastCase[] = DEFAULT_FORECASTS;

/** One workload on one set of zones. */
export interface Scenario {
  name: string;
  workload: 'nightly' | 'ml' | 'ml-next-workday' | 'adhoc';
  data: string;
  stepMin: number;
  carbon: Record<string, SeriesInput>;
  loads: WorkloadLoad[];
  /**
   * subsets reported separately (e.g. interruptible loads), by load id; compact ones only in the short
   * table of `optimal` by half-year
   */
  subsets: { name: string; ids: Set<string>; compact?: boolean }[];
}

interface Cell {
  policy: PolicyName;
  forecast: string;
  subset: string;
  savingsPct: number;
  /** savings as a share of the perfect-foresight optimum of the same loads, % */
  ofOptimumPct: number;
  emissionsG: number;
  baselineEmissionsG: number;
}

interface Timing {
  scenario: string;
  policy: PolicyName;
  forecast: string;
  loads: number;
  ms: number;
  loadsPerSec: number;
}

/** A carbon series of the shared data (`carbon/<file>`) as the simulator takes it. */
export function readCarbon(file: string, zone: string): SeriesInput {
  const path = `${DATA}carbon/${file}`;
  const s = readCsvSeries(readFileSync(path, 'utf8'), { zone, source: `csv:${path}`, file: path });
  return { points: s.points, resolutionMin: s.resolutionMin, source: path };
}

/** Workload records read back through the simulator's own JSON Lines parser. */
export function asLoads(records: WorkloadRecord[], name: string): WorkloadLoad[] {
  // through the JSON Lines parser, so the loads are exactly what `gridshift simulate` would read
  return parseWorkload(toJsonLines(records), `${name}.jsonl`);
}

/**
 * "Let's Wait Awhile"'s deadline for a job that would finish at `finishMs` (its `next_workday` rule, in UTC):
 * 09:00 the next day when it would finish after 17:00 or on a Sunday, Monday 09:00 on a Saturday, 09:00 the
 * same day before 09:00, and no room at all within 09:00-17:00 on a workday.
 */
export function nextWorkdayDeadline(finishMs: number): number {
  const d = new Date(finishMs);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 .. Sunday 6
  const time = d.getUTCHours() + d.getUTCMinutes() / 60;
  const nineAm = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 9);
  if (weekday === 5) return nineAm + 2 * DAY_MS;
  if (weekday === 6 || time > 17) return nineAm + DAY_MS;
  if (time < 9) return nineAm;
  return finishMs;
}

function mlSubsets(records: WorkloadRecord[]): Scenario['subsets'] {
  const ids = (keep: (r: WorkloadRecord) => boolean) => new Set(records.filter(keep).map((r) => r.id));
  const july = Date.UTC(2020, 6, 1);
  return [
    { name: 'non-interruptible', ids: ids((r) => !r.interruptible) },
    { name: 'interruptible', ids: ids((r) => r.interruptible) },
    { name: 'submitted Jan-Jun', ids: ids((r) => Date.parse(r.submit) < july), compact: true },
    { name: 'submitted Jul-Dec', ids: ids((r) => Date.parse(r.submit) >= july), compact: true },
  ];
}

export function scenarios(only: Set<string>, step2023: number): Scenario[] {
  const out: Scenario[] = [];
  for (const zone of ['DE', 'GB']) {
    const carbon = { [zone]: readCarbon(`${zone}-2020.csv`, zone) };
    if (only.has('nightly'))
      out.push({
        name: `nightly ${zone}-2020`,
        workload: 'nightly',
        data: `${zone}-2020`,
        stepMin: 30,
        carbon,
        loads: asLoads(nightlyWorkload({ year: 2020, zones: [zone] }), `nightly-${zone}`),
        subsets: [],
      });
    if (only.has('ml')) {
      const records = mlWorkload({ year: 2020, seed: 1, zones: [zone] });
      out.push({
        name: `ml ${zone}-2020`,
        workload: 'ml',
        data: `${zone}-2020`,
        stepMin: 30,
        carbon,
        loads: asLoads(records, `ml-${zone}`),
        subsets: mlSubsets(records),
      });
    }
    if (only.has('ml-next-workday')) {
      const records = mlWorkload({ year: 2020, seed: 1, zones: [zone] }).map((r) => ({
        ...r,
        deadline: toIso(nextWorkdayDeadline(Date.parse(r.earliest) + r.durationMin * MINUTE_MS)),
      }));
      out.push({
        name: `ml-next-workday ${zone}-2020`,
        workload: 'ml-next-workday',
        data: `${zone}-2020`,
        stepMin: 30,
        carbon,
        loads: asLoads(records, `ml-next-workday-${zone}`),
        subsets: mlSubsets(records),
      });
    }
  }
  if (only.has('adhoc')) {
    const carbon = Object.fromEntries(ADHOC_ZONES.map((z) => [z, readCarbon(`${z}-2023.csv`, z)]));
    const records = adhocWorkload({ year: 2023, seed: 1 });
    out.push({
      name: 'adhoc 2023',
      workload: 'adhoc',
      data: ADHOC_ZONES.map((z) => `${z}-2023`).join(', '),
      stepMin: step2023,
      carbon,
      loads: asLoads(records, 'adhoc'),
      subsets: [1, 2, 3].map((n) => ({
        name: `${n} zone${n > 1 ? 's' : ''}`,
        ids: new Set(records.filter((r) => r.zones.length === n).map((r) => r.id)),
      })),
    });
  }
  return out;
}

function totalsOf(result: SimulationResult, ids: Set<string> | null): { e: number; b: number } {
  let e = 0;
  let b = 0;
  for (const l of result.loads) {
    if (ids && !ids.has(l.id)) continue;
    e += l.emissionsG;
    b += l.baselineEmissionsG;
  }
  return { e, b };
}

/** runs of each configuration; the wall time reported is their median */
const TIMING_RUNS = 3;

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** The check of `optimal` under `perfect` against a brute-force optimum computed here, load by load. */
interface OptimumCheck {
  scenario: string;
  loads: number;
  /** loads whose emissions differ from the brute-force optimum by more than 1e-9 relative */
  mismatches: number;
  maxAbsDiffG: number;
  /** time of the brute-force scan: every start (every slot, sorted, for interruptible loads) */
  naiveMs: number;
  /** time of the same loads through the simulator with `optimal` under `perfect` */
  simulateMs: number;
}

/**
 * The lowest emissions each load could have had, by trying every start of every candidate zone and summing
 * its run slot by slot (and sorting the allowed slots of interruptible loads): no prefix sums, no selection,
 * none of the planner's code. Same grid and slot rules as the simulate contract.
 */
function bruteForceOptimum(sc: Scenario): { emissionsG: Map<string, number>; ms: number } {
  const t = performance.now();
  const step = sc.stepMin;
  const stepMs = step * MINUTE_MS;
  const grids = new Map(Object.entries(sc.carbon).map(([z, series]) => [z, resample(series, step)]));
  const startMs = Math.min(...[...grids.values()].map((g) => g.startMs));
  const value = (zone: string, slot: number): number => {
    const g = grids.get(zone)!;
    const i = slot - Math.round((g.startMs - startMs) / stepMs);
    return i >= 0 && i < g.values.length ? g.values[i] : Number.NaN;
  };
  const out = new Map<string, number>();
  for (const load of sc.loads) {
    const k = Math.ceil(load.durationMin / step - 1e-9);
    const firstMs = Math.max(ceilToStep(load.earliestMs, step), ceilToStep(load.submitMs, step));
    const from = Math.round((firstMs - startMs) / stepMs);
    const to = Math.round((floorToStep(load.deadlineMs, step) - startMs) / stepMs);
    const baseStart = Math.round((ceilToStep(load.baselineStartMs, step) - startMs) / stepMs);
    let best = Number.POSITIVE_INFINITY;
    if (to - from < k) {
      best = 0;
      for (let s = baseStart; s < baseStart + k; s++) best += value(load.zones[0], s);
    } else
      for (const zone of load.zones) {
        if (load.interruptible) {
          const vs: number[] = [];
          for (let s = from; s < to; s++) if (Number.isFinite(value(zone, s))) vs.push(value(zone, s));
          if (vs.length < k) continue;
          vs.sort((a, b) => a - b);
          let total = 0;
          for (let i = 0; i < k; i++) total += vs[i];
          best = Math.min(best, total);
        } else
          for (let s = from; s + k <= to; s++) {
            let total = 0;
            for (let i = s; i < s + k; i++) total += value(zone, i);
            if (total < best) best = total; // NaN never compares lower
          }
      }
    out.set(load.id, (best * load.powerKw * step) / 60);
  }
  return { emissionsG: out, ms: performance.now() - t };
}

function runScenario(sc: Scenario, cells: Cell[], timings: Timing[], checks: OptimumCheck[]): void {
  const subsets: { name: string; ids: Set<string> | null }[] = [{ name: 'all', ids: null }, ...sc.subsets];
  const results = new Map<string, SimulationResult>();
  for (const f of FORECASTS) {
    const mode: ForecastMode = parseForecastMode(f.mode);
    for (const policy of POLICIES) {
      const input: SimulationInput = {
        carbon: sc.carbon,
        loads: sc.loads,
        policy,
        forecast: mode,
        replan: f.replan,
        stepMin: sc.stepMin,
      };
      const times: number[] = [];
      let r: SimulationResult | undefined;
      for (let i = 0; i < TIMING_RUNS; i++) {
        const t = performance.now();
        r = runSimulation(input);
        times.push(performance.now() - t);
      }
      const ms = times.sort((a, b) => a - b)[TIMING_RUNS >> 1];
      results.set(`${policy}|${f.label}`, r!);
      timings.push({
        scenario: sc.name,
        policy,
        forecast: f.label,
        loads: sc.loads.length,
        ms: round(ms, 1),
        loadsPerSec: Math.round((sc.loads.length / ms) * 1000),
      });
      process.stderr.write('.');
    }
  }
  const optimum = results.get('optimal|perfect')!;
  const brute = bruteForceOptimum(sc);
  let mismatches = 0;
  let maxAbsDiffG = 0;
  for (const l of optimum.loads) {
    const diff = Math.abs(l.emissionsG - brute.emissionsG.get(l.id)!);
    maxAbsDiffG = Math.max(maxAbsDiffG, diff);
    if (!(diff <= 1e-9 * Math.max(1, Math.abs(l.emissionsG)))) mismatches++;
  }
  checks.push({
    scenario: sc.name,
    loads: sc.loads.length,
    mismatches,
    maxAbsDiffG,
    naiveMs: round(brute.ms, 1),
    simulateMs: timings.find(
      (x) => x.scenario === sc.name && x.policy === 'optimal' && x.forecast === 'perfect',
    )!.ms,
  });
  for (const s of subsets) {
    const best = totalsOf(optimum, s.ids);
    const bestSaving = savingsPct(best.b, best.e);
    for (const f of FORECASTS)
      for (const policy of POLICIES) {
        const { e, b } = totalsOf(results.get(`${policy}|${f.label}`)!, s.ids);
        const pct = savingsPct(b, e);
        cells.push({
          policy,
          forecast: f.label,
          subset: s.name,
          savingsPct: pct,
          ofOptimumPct: bestSaving === 0 ? Number.NaN : (100 * pct) / bestSaving,
          emissionsG: round(e, 1),
          baselineEmissionsG: round(b, 1),
        });
      }
  }
}

function table(sc: Scenario, cells: Cell[], subset: string): string[] {
  const mine = cells.filter((c) => c.subset === subset);
  const cell = (p: PolicyName, f: string) => mine.find((c) => c.policy === p && c.forecast === f)!;
  const header = [
    'policy',
    ...FORECASTS.map((f) => `${f.label} saved %`),
    ...FORECASTS.map((f) => `${f.label} % of optimum`),
  ];
  const rows = POLICIES.map((p) => {
    const vals = FORECASTS.map((f) => fmt(cell(p, f.label).savingsPct));
    const shares = FORECASTS.map((f) => fmt(cell(p, f.label).ofOptimumPct, 1));
    // the best policy under each imperfect forecast in bold
    const bold = (v: string, f: ForecastCase) => {
      // compared as printed, so that policies shown with the same number are all bold
      const top = Math.max(...POLICIES.map((q) => Number(fmt(cell(q, f.label).savingsPct))));
      return Number(v) === top && f.mode !== 'perfect' ? `**${v}**` : v;
    };
    return [`\`${p}\``, ...vals.map((v, i) => bold(v, FORECASTS[i])), ...shares];
  });
  const count =
    subset === 'all' ? sc.loads.length : (sc.subsets.find((s) => s.name === subset)?.ids.size ?? 0);
  return [
    `#### ${sc.name}${subset === 'all' ? '' : `, ${subset}`} (${count} loads, ${sc.stepMin}-minute slots)`,
    '',
    `| ${header.join(' | ')} |`,
    `|---|${header
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      only: { type: 'string' },
      'step-2023': { type: 'string', default: '60' },
      also: { type: 'string' },
    },
  });
  // more forecast modes to compare, e.g. --also horizon:48:0.05 (horizon modes replan, as the default one)
  const also = (values.also ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  for (const m of also) parseForecastMode(m); // fails early on a typo
  FORECASTS = [
    ...DEFAULT_FORECASTS,
    ...also.map((m) => {
      const replan = m.startsWith('horizon') || m.startsWith('model');
      return { label: replan ? `${m} --replan` : m, mode: m, replan };
    }),
  ];
  if (!existsSync(`${DATA}carbon`)) {
    console.log(`simulate benchmark skipped: no shared data at ${DATA} (see docs/benchmarks.md)`);
    return;
  }
  const only = new Set((values.only ?? 'nightly,ml,ml-next-workday,adhoc').split(',').map((s) => s.trim()));
  const step2023 = Number(values['step-2023']);
  const all = scenarios(only, step2023);
  const cells: Record<string, Cell[]> = {};
  const timings: Timing[] = [];
  const checks: OptimumCheck[] = [];
  const t0 = performance.now();
  for (const sc of all) {
    cells[sc.name] = [];
    runScenario(sc, cells[sc.name], timings, checks);
  }
  process.stderr.write('\n');
  const totalS = (performance.now() - t0) / 1000;

  const lines: string[] = [
    `Simulate benchmark: Node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}); ${fmt(totalS, 1)} s for ${timings.length} runs`,
    '',
  ];
  for (const sc of all) {
    lines.push(...table(sc, cells[sc.name], 'all'));
    for (const s of sc.subsets) if (!s.compact) lines.push(...table(sc, cells[sc.name], s.name));
  }
  const halves = all.filter((sc) => sc.subsets.some((s) => s.compact));
  if (halves.length > 0) {
    lines.push(
      '#### `optimal` by half-year (saved %, and % of the optimum of the same loads)',
      '',
      `| scenario | loads | ${FORECASTS.map((f) => `${f.label} saved %`).join(' | ')} | ${FORECASTS.filter(
        (f) => f.mode !== 'perfect',
      )
        .map((f) => `${f.label} % of optimum`)
        .join(' | ')} |`,
      `|---|---:|${FORECASTS.map(() => '---:').join('|')}|${FORECASTS.filter((f) => f.mode !== 'perfect')
        .map(() => '---:')
        .join('|')}|`,
    );
    for (const sc of halves)
      for (const s of sc.subsets.filter((x) => x.compact)) {
        const c = (f: ForecastCase) =>
          cells[sc.name].find(
            (x) => x.subset === s.name && x.policy === 'optimal' && x.forecast === f.label,
          )!;
        lines.push(
          `| ${sc.name}, ${s.name} | ${s.ids.size} | ${FORECASTS.map((f) => fmt(c(f).savingsPct)).join(' | ')} | ${FORECASTS.filter(
            (f) => f.mode !== 'perfect',
          )
            .map((f) => fmt(c(f).ofOptimumPct, 1))
            .join(' | ')} |`,
        );
      }
    lines.push('');
  }
  lines.push(
    '#### Wall time per simulate run (ms; loads/s)',
    '',
    `| scenario | loads | policy | ${FORECASTS.map((f) => f.label).join(' | ')} |`,
    `|---|---:|---|${FORECASTS.map(() => '---:').join('|')}|`,
  );
  for (const sc of all)
    for (const p of POLICIES) {
      const t = FORECASTS.map(
        (f) => timings.find((x) => x.scenario === sc.name && x.policy === p && x.forecast === f.label)!,
      );
      lines.push(
        `| ${sc.name} | ${sc.loads.length} | \`${p}\` | ${t.map((x) => `${fmt(x.ms, 0)} (${x.loadsPerSec})`).join(' | ')} |`,
      );
    }
  lines.push(
    '',
    '#### `optimal` under `perfect` against a brute-force optimum (every start tried, slot by slot)',
    '',
    '| scenario | loads | loads not at the optimum | largest difference (g) | brute force ms | simulate ms | x brute force |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...checks.map(
      (c) =>
        `| ${c.scenario} | ${c.loads} | ${c.mismatches} | ${c.maxAbsDiffG.toExponential(1)} | ${fmt(c.naiveMs, 0)} | ${fmt(c.simulateMs, 0)} | ${fmt(c.naiveMs / c.simulateMs, 1)} |`,
    ),
  );
  console.log(lines.join('\n'));

  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    `${OUT}simulate.json`,
    `${JSON.stringify(
      {
        bench: 'simulate',
        node: process.version,
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? null,
        forecasts: FORECASTS,
        scenarios: all.map((sc) => ({
          name: sc.name,
          workload: sc.workload,
          data: sc.data,
          stepMin: sc.stepMin,
          loads: sc.loads.length,
          subsets: sc.subsets.map((s) => ({ name: s.name, loads: s.ids.size })),
          cells: cells[sc.name],
        })),
        timings,
        optimumChecks: checks,
        totalSeconds: round(totalS, 2),
      },
      null,
      2,
    )}\n`,
  );
}

if (import.meta.main) main();
