/**
 * `gridshift home optimize`: plans one home's battery, EV, PV and appliances as an exact MILP
 * (../shared/contracts/home-optimize.md). `gridshift home simulate`: replays a household year with model
 * predictive control (src/simulate/home-simulate.ts). Bad input exits 2 naming the field; a scenario without a
 * feasible plan exits 3 naming the constraint; `--out` is written whole or not at all.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { zoneConfig } from '../core/config.ts';
import { InputError } from '../core/errors.ts';
import type { HomeConfig } from '../core/home-config.ts';
import { parseTime } from '../core/human-time.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { optimizeHome } from '../optimize/home.ts';
import { parseScenario } from '../optimize/scenario.ts';
import { loadSolver } from '../optimize/solve.ts';
import { DEFAULT_DELAY_THRESHOLD } from '../planner/strategies.ts';
import { parseConfig } from '../signals/config.ts';
import type { RetailTariff } from '../signals/retail.ts';
import { commonSpan, parseDevicesFile, retailGrid, simulateAppliances } from '../simulate/appliances.ts';
import {
  type HomeSimulationResult,
  readGridFile,
  readHomeSimulation,
  runHomeSimulation,
} from '../simulate/home-simulate.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatTable } from './format.ts';
import { homeDevicesCommand } from './home-devices.ts';
import { homeSimulationText } from './home-simulate-view.ts';
import { homeChart, homeSummary, homeTable } from './home-view.ts';
import { progressBar, writeAtomically } from './simulate.ts';

export interface HomeOptimizeOptions {
  scenario: string;
  json?: boolean;
  out?: string;
  soft?: boolean;
}

async function readJson(path: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${flag} ${path}: not valid JSON (${(err as Error).message})`);
  }
}

export async function runHomeOptimize(cli: Cli, opts: HomeOptimizeOptions, command: Command): Promise<void> {
  const started = performance.now();
  const globals = globalsOf(command);
  const json = opts.json === true || globals.json === true;
  const timeZone = cli.timeZone(globals);
  const scenario = parseScenario(await readJson(opts.scenario, '--scenario'));
  const plan = optimizeHome(scenario, await loadSolver(), { soft: opts.soft === true });
  const result = { ...plan, elapsedMs: Math.round((performance.now() - started) * 10) / 10 };
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (opts.out) await writeAtomically(opts.out, text);
  if (json) {
    cli.io.stdout.write(text);
    return;
  }
  const view = { timeZone, color: cli.color };
  const [headline, ...rest] = homeSummary(scenario, plan, view);
  cli.print(cli.paint.bold(headline));
  for (const l of rest) cli.print(l.startsWith('Shortfall') ? cli.paint.yellow(l) : l);
  cli.print();
  for (const l of homeChart(scenario, plan, view)) cli.print(l);
  cli.print();
  cli.print(homeTable(scenario, plan, view));
}

export interface HomeSimulateCliOptions {
  household?: string;
  devices?: string;
  prices: string;
  carbon?: string;
  home?: string;
  retail?: string;
  alignYear?: boolean;
  carbonForecast: string;
  realisation: string;
  from?: string;
  to?: string;
  warmupDays: string;
  json?: boolean;
  out?: string;
}

/** The home to replay: --home FILE (a JSON of the configuration's `home` section), else the configuration's. */
async function homeOf(cli: Cli, opts: HomeSimulateCliOptions, globals: GlobalOptions): Promise<HomeConfig> {
  if (opts.home) {
    const doc = await readJson(opts.home, '--home');
    const home = parseConfig({ home: doc }, { source: opts.home }).home;
    if (!home) throw new InputError(`--home ${opts.home}: the file holds no home`);
    return home;
  }
  const home = cli.config(globals).home;
  if (!home)
    throw new InputError(
      "no home to replay: pass --home FILE (a JSON of the configuration's home section, e.g. docs/home-config.json) or a --config whose file has a home section",
    );
  return home;
}

/** `--retail FACTOR,FEE,VAT` as a tariff. */
function parseRetail(text: string): RetailTariff {
  const parts = text.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x)) || parts[0] <= 0 || parts[2] < 0)
    throw new InputError(`--retail "${text}": expected FACTOR,FEE_PER_KWH,VAT_PCT, e.g. --retail 1,0.15,20`);
  return { factor: parts[0], feePerKwh: parts[1], vatPct: parts[2] };
}

/** `--retail FACTOR,FEE,VAT`, else the retail tariff the configuration gives the home's zone. */
function retailOf(
  cli: Cli,
  opts: HomeSimulateCliOptions,
  globals: GlobalOptions,
  home: HomeConfig,
): RetailTariff | undefined {
  if (opts.retail !== undefined) return parseRetail(opts.retail);
  if (opts.home) return undefined;
  return zoneConfig(cli.config(globals), home.zone).retail;
}

function choice<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${flag} "${value}" is not one of ${choices.join(', ')}`);
}

export async function runHomeSimulate(
  cli: Cli,
  opts: HomeSimulateCliOptions,
  command: Command,
): Promise<void> {
  const started = performance.now();
  const globals = globalsOf(command);
  const json = opts.json === true || globals.json === true;
  if (opts.devices) return runDevicesSimulate(cli, { ...opts, devices: opts.devices }, globals, json);
  if (!opts.household)
    throw new InputError('--household: give the household CSV (or --devices FILE for appliance runs)');
  const household = opts.household;
  const home = await homeOf(cli, opts, globals);
  const when = (text: string | undefined, flag: string) =>
    text === undefined
      ? undefined
      : parseTime(text, { nowMs: cli.nowMs(globals), timeZone: home.timeZone, what: flag });
  const warmupDays = Number(opts.warmupDays);
  if (!(Number.isInteger(warmupDays) && warmupDays >= 0))
    throw new InputError(`--warmup-days must be a whole number >= 0, got "${opts.warmupDays}"`);
  const progress = json ? undefined : progressBar(cli, 'replaying');
  const inputs = await readHomeSimulation({
    household,
    prices: opts.prices,
    ...(opts.carbon ? { carbon: opts.carbon } : {}),
    home,
    retail: retailOf(cli, opts, globals, home),
    alignYear: opts.alignYear === true,
    carbonForecast: choice(opts.carbonForecast, '--carbon-forecast', ['model', 'actual'] as const),
    realisation: choice(opts.realisation, '--realisation', ['absorb', 'strict'] as const),
    fromMs: when(opts.from, '--from'),
    toMs: when(opts.to, '--to'),
    warmupDays,
    onProgress: progress?.onProgress,
  });
  let result: HomeSimulationResult;
  try {
    result = runHomeSimulation(home, inputs, await loadSolver(), started);
  } finally {
    progress?.stop();
  }
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (opts.out) await writeAtomically(opts.out, text);
  if (json) {
    cli.io.stdout.write(text);
    return;
  }
  const [headline, ...rest] = homeSimulationText(result);
  cli.print(cli.paint.bold(headline));
  for (const l of rest) cli.print(l);
}

/** `home simulate --devices FILE`: appliance runs over the prices and carbon, per strategy, against at once. */
async function runDevicesSimulate(
  cli: Cli,
  opts: HomeSimulateCliOptions & { devices: string },
  globals: GlobalOptions,
  json: boolean,
): Promise<void> {
  if (opts.household) throw new InputError('--devices: give it instead of --household, not with it');
  if (!opts.carbon) throw new InputError('--carbon: the appliance replay needs carbon as well as prices');
  const file = parseDevicesFile(await readJson(opts.devices, '--devices'));
  const [price, carbon] = await Promise.all([
    readGridFile(opts.prices, 'price', 'DE', 60),
    readGridFile(opts.carbon, 'carbon', 'DE', 60),
  ]);
  const retail = opts.retail !== undefined ? parseRetail(opts.retail) : undefined;
  const span = commonSpan(carbon, retailGrid(price, retail));
  const threshold = cli.config(globals).home?.delayThreshold ?? DEFAULT_DELAY_THRESHOLD;
  const result = {
    from: toIso(span.carbon.startMs),
    to: toIso(span.carbon.startMs + span.carbon.values.length * 60 * MINUTE_MS),
    threshold,
    ...(retail ? { retail } : {}),
    ...simulateAppliances(file, span, { threshold }),
  };
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (opts.out) await writeAtomically(opts.out, text);
  if (json) {
    cli.io.stdout.write(text);
    return;
  }
  cli.print(
    cli.paint.bold(
      `Appliance runs ${result.from.slice(0, 10)} .. ${result.to.slice(0, 10)}: ${result.atOnce.runs} runs, threshold ${threshold}`,
    ),
  );
  const row = (
    name: string,
    t: (typeof result)['atOnce'],
    saved?: { savedCostPct: number; savedEmissionsPct: number },
  ) => [
    name,
    t.cost.toFixed(2),
    saved ? `${saved.savedCostPct.toFixed(1)} %` : '-',
    (t.emissionsG / 1000).toFixed(1),
    saved ? `${saved.savedEmissionsPct.toFixed(1)} %` : '-',
    String(t.delayedRuns),
    String(t.forcedRuns),
    t.meanDelayMin ? `${Math.round(t.meanDelayMin)} min` : '-',
  ];
  cli.print(
    formatTable(
      [row('at once', result.atOnce), ...Object.entries(result.byStrategy).map(([s, t]) => row(s, t, t))],
      {
        header: ['STRATEGY', 'COST', 'SAVED', 'KG CO2', 'SAVED', 'DELAYED', 'BY HAND', 'MEAN DELAY'],
        align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      },
    ),
  );
  if (result.skippedRuns)
    cli.print(`${result.skippedRuns} runs left out: no price or carbon in their slots.`);
}

function simulateSubcommand(cli: Cli): Command {
  return new Command('simulate')
    .description(
      'replay a household year with model predictive control; score it against the baseline rule and perfect foresight',
    )
    .option('--household <path>', 'household CSV: timestamp,load_w,pv_w,pv_forecast_w (W)')
    .option(
      '--devices <path>',
      "instead of a household: the appliance runs (JSON, docs/home-devices.json) under the autopilot's strategies",
    )
    .requiredOption('--prices <path>', 'day-ahead price CSV: timestamp,price (per kWh, spot)')
    .option('--carbon <path>', 'carbon CSV: timestamp,carbon_intensity (g/kWh): emissions are reported')
    .option(
      '--home <path>',
      "the home, a JSON of the configuration's home section (default: the configuration's)",
    )
    .option(
      '--retail <factor,fee,vat>',
      "retail tariff on the spot prices (default: the home zone's `retail`)",
    )
    .option(
      '--align-year',
      'shift prices and carbon by whole years of 52 weeks onto the period where they miss it',
    )
    .option(
      '--carbon-forecast <mode>',
      'what MPC knows of carbon ahead: model (built-in forecaster) | actual',
      'model',
    )
    .option(
      '--realisation <mode>',
      'absorb (the battery takes forecast errors off the grid) | strict (it runs its planned power)',
      'absorb',
    )
    .option('--from <time>', 'replay from this time (default: the file start plus the warm-up)')
    .option('--to <time>', 'replay up to this time (default: the file end)')
    .option(
      '--warmup-days <n>',
      'days at the file start the load forecaster only learns from (without --from)',
      '7',
    )
    .option('--json', 'print the result JSON')
    .option('--out <path>', 'write the result JSON to a file (whole or not at all)')
    .addHelpText('after', '\nExit codes: 0 replayed, 2 bad input (the message names the file or field).')
    .action((opts: HomeSimulateCliOptions, command: Command) => runHomeSimulate(cli, opts, command));
}

export function homeCommand(cli: Cli): Command {
  const home = new Command('home').description(
    'plan a home (battery, EV, PV and deferrable appliances) and manage its devices',
  );
  home.addCommand(
    new Command('optimize')
      .description('the cheapest (or cleanest) plan for a home scenario, solved exactly (MILP, HiGHS)')
      .requiredOption('--scenario <path>', 'the scenario, JSON (docs/home.md)')
      .option('--json', 'print the result JSON')
      .option('--out <path>', 'write the result JSON to a file (whole or not at all)')
      .option('--soft', 'EV energy and final SoC become targets: report shortfalls instead of failing')
      .addHelpText(
        'after',
        '\nExit codes: 0 planned, 2 bad scenario (the message names the field), 3 no feasible plan.',
      )
      .action((opts: HomeOptimizeOptions, command: Command) => runHomeOptimize(cli, opts, command)),
  );
  home.addCommand(simulateSubcommand(cli));
  home.addCommand(homeDevicesCommand(cli));
  return home;
}
