/**
 * Scheduling on a real issued forecast: `node bench/issued.ts` (Node 24 runs the TypeScript directly).
 *
 * Replays a seeded workload of short flexible loads on CAISO_NORTH's 5-minute marginal emission rate of June
 * 2023, with every policy deciding on the forecasts WattTime actually issued (every 5 minutes, about 65 minutes
 * ahead: `--forecast issued:PATH`), beside the synthetic modes: `perfect`, a synthetic horizon as long
 * (`horizon:1:0.05`) and the built-in forecaster alone (`model`). Savings against run-now, and as a share of
 * the perfect-foresight optimum of the same loads.
 *
 * Prints Markdown and writes bench/out/issued.json. Skips when ../shared/data is missing.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/core/random.ts';
import { MINUTE_MS } from '../src/core/time.ts';
import { POLICY_NAMES, type PolicyName } from '../src/planner/policies.ts';
import { runSimulation, type SimulationInput, savingsPct } from '../src/simulate/engine.ts';
import { parseForecastMode } from '../src/simulate/forecast-modes.ts';
import type { WorkloadLoad } from '../src/simulate/workload.ts';
import { CAISO_ACTUALS_FILE, CAISO_ZONE, readCaisoIssued } from './caiso-data.ts';
import { DATA, readCarbon } from './simulate.ts';

const OUT = fileURLToPath(new URL('./out/', import.meta.url));
const POLICIES = POLICY_NAMES.filter((p) => p !== 'run-now');
const CASES = [
  { label: 'perfect', mode: 'perfect', replan: false },
  { label: 'issued', mode: 'issued:forecasts.csv', replan: false },
  { label: 'issued --replan', mode: 'issued:forecasts.csv', replan: true },
  { label: 'horizon:1:0.05 --replan', mode: 'horizon:1:0.05', replan: true },
  { label: 'model --replan', mode: 'model', replan: true },
] as const;

/**
 * 600 loads submitted at random 5-minute marks from 15 June (after a week of history) to 6 July 2023:
 * 15 minutes to 4 hours long (log-uniform, whole 5 minutes), 0 to 12 hours of slack, half interruptible.
 */
function workload(seed: number): WorkloadLoad[] {
  const next = mulberry32(seed);
  const from = Date.UTC(2023, 5, 15);
  const span = Date.UTC(2023, 6, 6) - from;
  return Array.from({ length: 600 }, (_, i) => {
    const submitMs = from + Math.floor((next() * span) / (5 * MINUTE_MS)) * 5 * MINUTE_MS;
    const durationMin = Math.max(15, Math.round((15 * 16 ** next()) / 5) * 5);
    const slackMin = Math.round((next() * 12 * 60) / 5) * 5;
    return {
      id: `c${i}`,
      submitMs,
      earliestMs: submitMs,
      deadlineMs: submitMs + (durationMin + slackMin) * MINUTE_MS,
      baselineStartMs: submitMs,
      durationMin,
      powerKw: 1,
      interruptible: next() < 0.5,
      zones: [CAISO_ZONE],
      source: 'bench/issued.ts',
    };
  });
}

function main(): void {
  if (!existsSync(`${DATA}forecasts`)) {
    console.log(`issued benchmark skipped: no shared data at ${DATA} (see docs/benchmarks.md)`);
    return;
  }
  const base = {
    carbon: { [CAISO_ZONE]: readCarbon(CAISO_ACTUALS_FILE, CAISO_ZONE) },
    issued: { [CAISO_ZONE]: readCaisoIssued() },
    loads: workload(1),
    stepMin: 5,
  };
  const t0 = performance.now();
  const cells: { policy: PolicyName; forecast: string; savedPct: number; ms: number }[] = [];
  for (const c of CASES)
    for (const policy of POLICIES) {
      const input: SimulationInput = {
        ...base,
        policy,
        forecast: parseForecastMode(c.mode),
        replan: c.replan,
      };
      const t = performance.now();
      const r = runSimulation(input);
      cells.push({
        policy,
        forecast: c.label,
        savedPct: savingsPct(r.totals.baselineEmissionsG, r.totals.emissionsG),
        ms: performance.now() - t,
      });
      process.stderr.write('.');
    }
  process.stderr.write('\n');
  const optimum = cells.find((c) => c.policy === 'optimal' && c.forecast === 'perfect')!.savedPct;
  const cell = (p: PolicyName, f: string) => cells.find((c) => c.policy === p && c.forecast === f)!;
  const lines = [
    `#### ${CAISO_ZONE} June 2023 (${base.loads.length} loads, 5-minute slots; ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    '',
    `| policy | ${CASES.map((c) => `${c.label} saved %`).join(' | ')} | ${CASES.slice(1)
      .map((c) => `${c.label} % of optimum`)
      .join(' | ')} |`,
    `|---|${CASES.map(() => '---:').join('|')}|${CASES.slice(1)
      .map(() => '---:')
      .join('|')}|`,
    ...POLICIES.map(
      (p) =>
        `| \`${p}\` | ${CASES.map((c) => cell(p, c.label).savedPct.toFixed(2)).join(' | ')} | ${CASES.slice(1)
          .map((c) => ((100 * cell(p, c.label).savedPct) / optimum).toFixed(1))
          .join(' | ')} |`,
    ),
  ];
  console.log(lines.join('\n'));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}issued.json`, `${JSON.stringify({ bench: 'issued', cells }, null, 2)}\n`);
}

if (import.meta.main) main();
