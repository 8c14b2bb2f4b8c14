/**
 * Scheduling policies on real grid data: `node bench/simulate.ts` (Node 24 runs the TypeScript directly).
 *
 * Replays the three seeded workloads of bench/workloads.ts through `gridshift simulate`'s engine, in process:
 * - nightly: a 30-minute job each night, movable 8 h either side of 01:00 UTC, on DE-2020 and GB-2020;
 * - ml: the ML-training scenario of "Let's Wait Awhile" (3,387 jobs, half interruptible) on DE-2020 and
 *   GB-2020, reported for all jobs and for the non-interruptible and interruptible halves;
 * - adhoc: 5,000 loads with 0-24 h of slack and 1-3 candidate zones among the seven 2023 zones.
 * Every policy runs under three forecast modes: `perfect`, `noise:0.05` and `horizon:24:0.05` with
 * replanning. Each saving is also shown as a share of the perfect-foresight optimum (`optimal` under
 * `perfect`) of the same loads. A second table gives the wall time of each simulate run.
 *
 * Prints Markdown and writes the raw numbers to bench/out/simulate.json. Skips with a message when
 * ../shared/data (the shared data folder next to the repository) is missing.
 *
 *   node bench/simulate.ts [--only nightly,ml,adhoc] [--step-2023 60]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { POLICY_NAMES, type PolicyName } from '../src/planner/policies.ts';
import { readCsvSeries } from '../src/signals/csv.ts';
import {
  runSimulation,
  type SeriesInput,
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

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const OUT = fileURLToPath(new URL('./out/', import.meta.url));

/** The policies compared; run-now is the baseline every saving is measured against. */
const POLICIES: readonly PolicyName[] = POLICY_NAMES.filter((p) => p !== 'run-now');

interface ForecastCase {
  label: string;
  mode: string;
  replan: boolean;
}

export const FORECASTS: readonly ForecastCase[] = [
  { label: 'perfect', mode: 'perfect', replan: false },
  { label: 'noise:0.05', mode: 'noise:0.05', replan: false },
  { label: 'horizon:24:0.05 --replan', mode: 'horizon:24:0.05', replan: true },
];

/** One workload on one set of zones. */
interface Scenario {
  name: string;
  workload: 'nightly' | 'ml' | 'adhoc';
  data: string;
  stepMin: number;
  carbon: Record<string, SeriesInput>;
  loads: WorkloadLoad[];
  /** subsets reported separately (e.g. interruptible loads), by load id */
  subsets: { name: string; ids: Set<string> }[];
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

function readCarbon(file: string, zone: string): SeriesInput {
  const path = `${DATA}carbon/${file}`;
  const s = readCsvSeries(readFileSync(path, 'utf8'), { zone, source: `csv:${path}`, file: path });
  return { points: s.points, resolutionMin: s.resolutionMin, source: path };
}

function asLoads(records: WorkloadRecord[], name: string): WorkloadLoad[] {
  // through the JSON Lines parser, so the loads are exactly what `gridshift simulate` would read
  return parseWorkload(toJsonLines(records), `${name}.jsonl`);
}

function scenarios(only: Set<string>, step2023: number): Scenario[] {
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
        subsets: [
          { name: 'non-interruptible', ids: new Set(records.filter((r) => !r.interruptible).map((r) => r.id)) },
          { name: 'interruptible', ids: new Set(records.filter((r) => r.interruptible).map((r) => r.id)) },
        ],
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

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

function runScenario(sc: Scenario, cells: Cell[], timings: Timing[]): void {
  const subsets: { name: string; ids: Set<string> | null }[] = [{ name: 'all', ids: null }, ...sc.subsets];
  const results = new Map<string, SimulationResult>();
  for (const f of FORECASTS) {
    const mode: ForecastMode = parseForecastMode(f.mode);
    for (const policy of POLICIES) {
      const t = performance.now();
      const r = runSimulation({
        carbon: sc.carbon,
        loads: sc.loads,
        policy,
        forecast: mode,
        replan: f.replan,
        stepMin: sc.stepMin,
      });
      const ms = performance.now() - t;
      results.set(`${policy}|${f.label}`, r);
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
          savingsPct: round(pct, 3),
          ofOptimumPct: round(bestSaving === 0 ? Number.NaN : (100 * pct) / bestSaving, 2),
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
      const top = Math.max(...POLICIES.map((q) => cell(q, f.label).savingsPct));
      return cell(p, f.label).savingsPct === top && f.mode !== 'perfect' ? `**${v}**` : v;
    };
    return [`\`${p}\``, ...vals.map((v, i) => bold(v, FORECASTS[i])), ...shares];
  });
  const count = subset === 'all' ? sc.loads.length : (sc.subsets.find((s) => s.name === subset)?.ids.size ?? 0);
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
    options: { only: { type: 'string' }, 'step-2023': { type: 'string', default: '60' } },
  });
  if (!existsSync(`${DATA}carbon`)) {
    console.log(`simulate benchmark skipped: no shared data at ${DATA} (see docs/benchmarks.md)`);
    return;
  }
  const only = new Set((values.only ?? 'nightly,ml,adhoc').split(',').map((s) => s.trim()));
  const step2023 = Number(values['step-2023']);
  const all = scenarios(only, step2023);
  const cells: Record<string, Cell[]> = {};
  const timings: Timing[] = [];
  const t0 = performance.now();
  for (const sc of all) {
    cells[sc.name] = [];
    runScenario(sc, cells[sc.name], timings);
  }
  process.stderr.write('\n');
  const totalS = (performance.now() - t0) / 1000;

  const lines: string[] = [
    `Simulate benchmark: Node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}); ${fmt(totalS, 1)} s for ${timings.length} runs`,
    '',
  ];
  for (const sc of all) {
    lines.push(...table(sc, cells[sc.name], 'all'));
    for (const s of sc.subsets) lines.push(...table(sc, cells[sc.name], s.name));
  }
  lines.push(
    '#### Wall time per simulate run (ms; loads/s)',
    '',
    `| scenario | loads | policy | ${FORECASTS.map((f) => f.label).join(' | ')} |`,
    `|---|---:|---|${FORECASTS.map(() => '---:').join('|')}|`,
  );
  for (const sc of all)
    for (const p of POLICIES) {
      const t = FORECASTS.map((f) => timings.find((x) => x.scenario === sc.name && x.policy === p && x.forecast === f.label)!);
      lines.push(
        `| ${sc.name} | ${sc.loads.length} | \`${p}\` | ${t.map((x) => `${fmt(x.ms, 0)} (${x.loadsPerSec})`).join(' | ')} |`,
      );
    }
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
        totalSeconds: round(totalS, 2),
      },
      null,
      2,
    )}\n`,
  );
}

if (import.meta.main) main();
