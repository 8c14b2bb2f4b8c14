/**
 * A year of a home under model predictive control (`npm run bench -- home-simulate`): the household of
 * `../shared/data/home/household-FR-2024.csv` (load, PV and its logged PV forecast, 30 min) with the home of
 * docs/home-config.json (10 kWh battery, an EV needing 12 kWh each night, a dishwasher and a washing
 * machine), Finnish day-ahead prices of 2023 plus 0.15 EUR/kWh of fees (retail) and German carbon intensity
 * of 2023, both shifted by whole years of 52 weeks onto the household's period. The same run as
 * `gridshift home simulate` (src/simulate/home-simulate.ts): MPC re-solving every slot, the baseline rule and
 * the perfect-foresight optimum of each day. `HOME_SIM_DAYS=N` replays only the first N days after the warm-up.
 *
 * Prints Markdown and writes bench/out/home-simulate.json. Skips with a message when the shared data is missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DAY_MS } from '../src/core/time.ts';
import { loadSolver } from '../src/optimize/solve.ts';
import { parseConfig } from '../src/signals/config.ts';
import { readHouseholdCsv } from '../src/signals/csv.ts';
import { DEFAULT_WARMUP_DAYS, readHomeSimulation, runHomeSimulation } from '../src/simulate/home-simulate.ts';

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const HOME =
  process.env.HOME_SIM_CONFIG ?? fileURLToPath(new URL('../docs/home-config.json', import.meta.url));
const OUT = new URL('./out/', import.meta.url);
const household = `${DATA}home/household-FR-2024.csv`;
const RETAIL = { factor: 1, feePerKwh: 0.15, vatPct: 0 };

async function main(): Promise<void> {
  if (!existsSync(household)) {
    console.log(`home-simulate benchmark skipped: ${household} not found`);
    return;
  }
  const started = performance.now();
  const home = parseConfig({ home: JSON.parse(readFileSync(HOME, 'utf8')) }).home;
  if (!home) throw new Error(`${HOME}: no home`);
  const days = Number(process.env.HOME_SIM_DAYS ?? 0);
  let toMs: number | undefined;
  if (days > 0) {
    const first = readHouseholdCsv(readFileSync(household, 'utf8'), household).loadKw[0].start;
    toMs = first + (DEFAULT_WARMUP_DAYS + days) * DAY_MS;
  }
  const inputs = await readHomeSimulation({
    household,
    prices: `${DATA}prices/FI-2023.csv`,
    carbon: `${DATA}carbon/DE-2023.csv`,
    home,
    retail: RETAIL,
    alignYear: true,
    carbonForecast: 'model',
    ...(toMs ? { toMs } : {}),
    onProgress: (done, total) => {
      if (done % (30 * 48) === 0 || done === total) process.stderr.write(`mpc ${done}/${total} slots\n`);
    },
  });
  const r = runHomeSimulation(home, inputs, await loadSolver(), started);
  const f2 = (x: number) => x.toFixed(2);
  const kg = (g?: number) => (g === undefined ? '-' : (g / 1000).toFixed(0));
  console.log(
    `Home replay ${r.period.start} .. ${r.period.end} (${r.period.slots} slots of ${r.period.stepMin} min)\n`,
  );
  console.log(
    '| | cost (EUR) | cost less stored energy | saved vs baseline | emissions (kg) | import (kWh) | export (kWh) | EV shortfall (kWh) | final SoC (kWh) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, t, saved, adjusted] of [
    ['baseline rule', r.baseline, 0, r.storageAdjustedCost.baseline],
    ['MPC (forecasts)', r.mpc, r.savings.mpc.cost, r.storageAdjustedCost.mpc],
    ['perfect foresight (day blocks)', r.perfect, r.savings.perfect.cost, r.storageAdjustedCost.perfect],
  ] as const)
    console.log(
      `| ${label} | ${f2(t.cost)} | ${f2(adjusted)} | ${f2(saved)} | ${kg(t.emissionsG)} | ${t.importKwh.toFixed(0)} | ${t.exportKwh.toFixed(0)} | ${t.evShortfallKwh.toFixed(1)} | ${f2(t.finalSocKwh)} |`,
    );
  const pct = (x: number | null | undefined) =>
    x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)} %`;
  console.log(`\nMPC keeps ${pct(r.shareOfOptimum.cost)} of the perfect-foresight cost savings.`);
  const s = r.mpcSolve;
  console.log(
    `MPC solve per step (homeStep, parse, optimizeHome, setpoints): median ${s.medianMs} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms; ${s.steps} steps, ${(s.totalMs / 1000).toFixed(1)} s in solves; mean horizon ${s.meanHorizonHours} h; ${s.unplannedSlots} slots without a plan.`,
  );
  console.log(`Whole run (read, baseline, perfect foresight, MPC): ${(r.elapsedMs / 1000).toFixed(1)} s.`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(new URL('home-simulate.json', OUT), `${JSON.stringify(r, null, 2)}\n`);
}

if (import.meta.main) await main();
