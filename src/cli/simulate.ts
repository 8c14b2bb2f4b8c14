/** `gridshift simulate`: replay grid series and a workload through a policy; score it against running at once. */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { InputError } from '../core/errors.ts';
import { POLICY_NAMES } from '../planner/policies.ts';
import { SAMPLED_PATHS } from '../signals/forecast-errors.ts';
import { runSimulation, type SimulationResult } from '../simulate/engine.ts';
import { formatReport } from '../simulate/report.ts';
import { readInputs } from '../simulate/simulate.ts';
import { type Cli, createCli } from './context.ts';

export interface SimulateCliOptions {
  carbon: string[];
  prices: string[];
  workload: string;
  policy: string;
  forecast: string;
  replan?: boolean;
  objective: string;
  step: string;
  threshold: string;
  horizonH: string;
  forecastError: string[];
  waitPaths: string;
  json?: boolean;
  out?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `ZONE=PATH` pairs into an ordered record; a zone given twice is an error. */
export function parseZonePaths(
  values: readonly string[],
  flag: string,
  form = { name: 'PATH', example: 'DE=data/DE-2020.csv' },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const zone = eq > 0 ? v.slice(0, eq).trim() : '';
    const path = eq > 0 ? v.slice(eq + 1).trim() : '';
    if (!zone || !path)
      throw new InputError(`${flag} "${v}": expected ZONE=${form.name}, e.g. ${flag} ${form.example}`);
    if (zone in out) throw new InputError(`${flag}: zone ${zone} is given twice`);
    out[zone] = path;
  }
  return out;
}

function positiveNumber(text: string, flag: string, integer = false): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || (integer && (!Number.isInteger(v) || v === 0)))
    throw new InputError(
      `${flag} must be ${integer ? 'a whole number > 0' : 'a number >= 0'}, got "${text}"`,
    );
  return v;
}

function wholeNumber(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < 0)
    throw new InputError(`${flag} must be a whole number >= 0, got "${text}"`);
  return v;
}

/** Writes `text` to `path` through a temporary file in the same folder, so a failure leaves nothing partial. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new InputError(
      `--out ${path}: cannot write the result (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
}

/** A progress bar on stderr, shown only on a terminal and only once a run has taken a while. */
export function progressBar(
  cli: Cli,
  label = 'simulating',
): { onProgress: (done: number, total: number) => void; stop: () => void } {
  const stream = cli.io.stderr as NodeJS.WriteStream;
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    onProgress(done, total) {
      if (!bar) {
        if (stream.isTTY !== true || Date.now() - started < 1000 || done >= total) return;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} [{bar}] {percentage}% | ETA {eta}s`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

/** Runs the command's work: read, simulate, write JSON or print the summary. */
export async function runSimulateCommand(
  cli: Cli,
  opts: SimulateCliOptions,
  json: boolean,
): Promise<SimulationResult> {
  if (opts.carbon.length === 0)
    throw new InputError('--carbon ZONE=PATH is required (repeat it for several zones)');
  const errors = parseZonePaths(opts.forecastError ?? [], '--forecast-error', {
    name: 'G',
    example: 'DE=45',
  });
  const forecastErrorSd = Object.fromEntries(
    Object.entries(errors).map(([zone, g]) => [zone, positiveNumber(g, `--forecast-error ${zone}`)]),
  );
  const progress = json ? undefined : progressBar(cli);
  const input = await readInputs({
    carbon: parseZonePaths(opts.carbon, '--carbon'),
    prices: parseZonePaths(opts.prices, '--prices'),
    workload: opts.workload,
    policy: opts.policy,
    forecast: opts.forecast,
    replan: opts.replan === true,
    objective: opts.objective,
    stepMin: positiveNumber(opts.step, '--step', true),
    thresholdGPerKwh: positiveNumber(opts.threshold, '--threshold'),
    horizonH: positiveNumber(opts.horizonH, '--horizon-h'),
    ...(Object.keys(forecastErrorSd).length ? { forecastErrorSd } : {}),
    waitPaths: wholeNumber(opts.waitPaths, '--wait-paths'),
    onProgress: progress?.onProgress,
  });
  let result: SimulationResult;
  try {
    result = runSimulation(input);
  } finally {
    progress?.stop();
  }
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (opts.out) await writeAtomically(opts.out, text);
  if (json) cli.io.stdout.write(text);
  else cli.print(formatReport(result, input.loads));
  return result;
}

function defaultCli(): Cli {
  return createCli({
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  });
}

export function simulateCommand(cli: Cli = defaultCli()): Command {
  return new Command('simulate')
    .description(
      'replay grid series and a workload through a scheduling policy, and score its emissions and cost against running at once',
    )
    .option(
      '--carbon <ZONE=PATH>',
      'carbon series of a zone, CSV timestamp,carbon_intensity (repeatable)',
      collect,
      [],
    )
    .option('--prices <ZONE=PATH>', 'price series of a zone, CSV timestamp,price (repeatable)', collect, [])
    .requiredOption('--workload <path>', 'the loads, JSON Lines, one load per line')
    .addOption(
      new Option('--policy <name>', 'scheduling policy').choices([...POLICY_NAMES]).makeOptionMandatory(),
    )
    .option(
      '--forecast <mode>',
      'what policies know: perfect | noise:REL[:SEED] | horizon:HOURS[:REL[:SEED]] | issued:PATH | model',
      'perfect',
    )
    .option('--replan', 're-decide pending loads whenever new forecast information arrives')
    .option('--objective <obj>', 'carbon | cost | balanced | weights:WC,WP', 'carbon')
    .option('--step <minutes>', 'planning grid in minutes', '30')
    .option('--threshold <g/kWh>', 'threshold policy: run at once below this forecast intensity', '200')
    .option('--horizon-h <hours>', 'threshold policy: how far a start may be delayed', '4')
    .option(
      '--forecast-error <ZONE=G>',
      "optimal: the known standard deviation of a zone's forecast error, g/kWh (repeatable)",
      collect,
      [],
    )
    .option(
      '--wait-paths <n>',
      'optimal with --replan: sampled futures weighed before a one-piece load starts (0: start when planned)',
      String(SAMPLED_PATHS),
    )
    .option('--json', 'write the result JSON to stdout')
    .option('--out <path>', 'write the result JSON to a file')
    .action(async (opts: SimulateCliOptions, command: Command) => {
      const json = opts.json === true || command.optsWithGlobals().json === true;
      await runSimulateCommand(cli, opts, json);
    });
}
