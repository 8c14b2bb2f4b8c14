/**
 * `gridshift home optimize`: plans one home's battery, EV, PV and appliances as an exact MILP
 * (../shared/contracts/home-optimize.md). Bad input exits 2 naming the field; a scenario without a
 * feasible plan exits 3 naming the constraint; `--out` is written whole or not at all.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { optimizeHome } from '../optimize/home.ts';
import { parseScenario } from '../optimize/scenario.ts';
import { loadSolver } from '../optimize/solve.ts';
import { type Cli, globalsOf } from './context.ts';
import { homeDevicesCommand } from './home-devices.ts';
import { homeChart, homeSummary, homeTable } from './home-view.ts';
import { writeAtomically } from './simulate.ts';

export interface HomeOptimizeOptions {
  scenario: string;
  json?: boolean;
  out?: string;
  soft?: boolean;
}

async function readScenario(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `--scenario ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`--scenario ${path}: not valid JSON (${(err as Error).message})`);
  }
}

export async function runHomeOptimize(cli: Cli, opts: HomeOptimizeOptions, command: Command): Promise<void> {
  const started = performance.now();
  const globals = globalsOf(command);
  const json = opts.json === true || globals.json === true;
  const timeZone = cli.timeZone(globals);
  const scenario = parseScenario(await readScenario(opts.scenario));
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
  home.addCommand(homeDevicesCommand(cli));
  return home;
}
