/**
 * `gridshift plan`: when (and where) to run one load. Reads signals through the registry (the offline
 * profile needs no key and no network), plans with the planner, and prints the plan, a sparkline of the
 * forecast with the chosen window, the run-now baseline, the savings and the runner-ups.
 */
import { Command } from 'commander';
import { equivalents } from '../accounting/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDuration } from '../core/human-time.ts';
import { MAX_STEP_MIN, MIN_STEP_MIN } from '../core/limits.ts';
import { needsPrice } from '../core/objective.ts';
import { type Grid, gridEndMs, slotIndex } from '../core/series.ts';
import { MINUTE_MS } from '../core/time.ts';
import { resolveZone, type Zone } from '../core/zones.ts';
import { explainPlan, planToJson } from '../planner/explain.ts';
import type { Plan } from '../planner/plan.ts';
import { type PlanningRequest, planningRange, planRequest, requestFromInput } from '../planner/request.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import {
  formatIntensity,
  formatLocalTime,
  formatMass,
  formatNumber,
  formatPrice,
  sparkline,
  spreadLine,
  visibleLength,
} from './format.ts';
import { checkLoadFlags, homeTimeZone, type LoadFlags, loadFields, withFlagNames } from './load-flags.ts';
import { parsePositive } from './quantities.ts';
import { planningSignals } from './signal-access.ts';

export interface PlanCliOptions extends LoadFlags {
  /** --zone and --region values in command-line order; the first is the home zone */
  candidates: string[];
  name?: string;
  earliest: string;
  objective: string;
  step: string;
  alternatives: string;
}

export interface PlanCliRequest {
  request: PlanningRequest;
  zones: Zone[];
  stepMin: number;
  alternatives: number;
  timeZone: string;
  nowMs: number;
}

/**
 * The load the options describe, checked by the same schema and rules as a submitted load (so `plan` and
 * `submit --dry-run` agree); every problem is an InputError naming the flag.
 */
export function planRequestFromOptions(
  opts: PlanCliOptions,
  cli: Cli,
  globals: GlobalOptions,
): PlanCliRequest {
  const timeZone = cli.timeZone(globals, homeTimeZone(opts));
  const nowMs = cli.nowMs(globals);
  const input = checkLoadFlags({
    name: opts.name ?? 'the load',
    zones: opts.candidates,
    ...loadFields(opts, { nowMs, timeZone }),
  });
  let request: PlanningRequest;
  try {
    request = requestFromInput(input, nowMs, {}, { timeZone });
  } catch (err) {
    throw err instanceof InputError ? new InputError(withFlagNames(err.message)) : err;
  }
  const stepMin = parseDuration(opts.step, '--step');
  if (!(Number.isInteger(stepMin) && stepMin >= MIN_STEP_MIN && stepMin <= MAX_STEP_MIN)) {
    throw new InputError(
      `--step: must be a whole number of minutes from ${MIN_STEP_MIN} to ${MAX_STEP_MIN}, got "${opts.step}"`,
    );
  }
  const alternatives = parsePositive(opts.alternatives, '--alternatives', { min: 0, integer: true });
  if (alternatives > MAX_ALTERNATIVES)
    throw new InputError(`--alternatives: at most ${MAX_ALTERNATIVES}, got "${opts.alternatives}"`);
  const zones = request.zones.map((code) => resolveZone(code));
  return { request, zones, stepMin, alternatives, timeZone, nowMs };
}

/** Runner-ups a plan lists at most. */
const MAX_ALTERNATIVES = 20;

/** Slot flags of the chosen runs on `grid`. */
function chosenSlots(grid: Grid, plan: Plan): boolean[] {
  const marked = new Array<boolean>(grid.values.length).fill(false);
  for (const r of plan.runs) {
    for (let t = r.startMs; t < r.endMs; t += grid.stepMin * MINUTE_MS) {
      const i = slotIndex(grid, t);
      if (i >= 0 && i < marked.length) marked[i] = true;
    }
  }
  return marked;
}

function range(values: Float64Array): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The forecast of the chosen zone as sparklines (carbon, and price when known) with the window marked. */
export function planChart(
  plan: Plan,
  signals: { carbon: Grid; price?: Grid; currency?: string },
  options: { timeZone: string; color: boolean; width?: number },
): string[] {
  const label = (s: string) => s.padEnd(8);
  const marked = chosenSlots(signals.carbon, plan);
  const carbon = sparkline(signals.carbon.values, { marked, color: options.color, width: options.width });
  const [clo, chi] = range(signals.carbon.values);
  const lines = [`${label('carbon')}${carbon.bars}  ${formatIntensity(clo)} .. ${formatIntensity(chi)}`];
  if (signals.price && range(signals.price.values)[0] !== Number.POSITIVE_INFINITY) {
    const price = sparkline(signals.price.values, { marked, color: options.color, width: options.width });
    const [plo, phi] = range(signals.price.values);
    lines.push(
      `${label('price')}${price.bars}  ${formatPrice(plo, signals.currency)} .. ${formatPrice(phi, signals.currency)}`,
    );
  }
  lines.push(`${label('')}${carbon.marks}`);
  const width = visibleLength(carbon.bars);
  const start = formatLocalTime(signals.carbon.startMs, options.timeZone, { short: true });
  const end = formatLocalTime(gridEndMs(signals.carbon), options.timeZone, { short: true });
  lines.push(label('') + spreadLine(start, end, Math.max(width, start.length + end.length + 1)));
  return lines;
}

async function runPlan(cli: Cli, opts: PlanCliOptions, globals: GlobalOptions): Promise<void> {
  const { request, zones, stepMin, alternatives, timeZone, nowMs } = planRequestFromOptions(
    opts,
    cli,
    globals,
  );
  const results = await planningSignals(cli, globals, zones, {
    ...planningRange(request, nowMs, stepMin),
    nowMs,
    stepMin,
    needPrice: needsPrice(request.objective),
  });
  const plan = planRequest(request, results, { nowMs, stepMin, alternatives });
  if (globals.json) return cli.printJson(planToJson(plan));

  const { paint } = cli;
  const lines = explainPlan(plan, { timeZone });
  const [headline, ...rest] = lines;
  cli.print(paint.bold(headline));
  cli.print();
  const chosen = results.find((r) => r.zone === plan.zone) ?? results[0];
  for (const l of planChart(plan, chosen, { timeZone, color: cli.color })) cli.print(l);
  cli.print();
  for (const l of rest) {
    if (l.startsWith('Saves:')) cli.print(paint.green(l));
    else if (l.startsWith('Degraded:')) cli.print(paint.yellow(l));
    else cli.print(l);
  }
  if (Number.isFinite(plan.savings.emissionsG) && plan.savings.emissionsG > 0) {
    const eq = equivalents(plan.savings.emissionsG);
    cli.print(
      `That is about ${formatNumber(eq.carKm)} km not driven in a petrol car, ` +
        `${formatNumber(eq.treeDays)} tree-days of CO2 uptake or ${formatNumber(eq.phoneCharges)} smartphone charges ` +
        `(${formatMass(plan.savings.emissionsG)}).`,
    );
  }
}

export function planCommand(cli: Cli): Command {
  // --zone and --region values in the order given: the first of either kind is the home zone
  const candidates: string[] = [];
  const remember = (value: string, previous: string[] = []) => {
    candidates.push(value);
    return [...previous, value];
  };
  return new Command('plan')
    .description('find the cleanest (or cheapest) time, and zone, to run a load')
    .option(
      '--zone <zone>',
      'zone code, alias or name (repeat for candidate zones; the first is home)',
      remember,
    )
    .option('--region <region>', 'cloud region, e.g. eu-west-1, azure:westeurope (repeatable)', remember)
    .option('--name <name>', 'name of the load, shown in the plan')
    .option('--duration <d>', 'run time: 2h, 90m, 1h30m, PT2H, or minutes')
    .option('--power <p>', 'average power: 1.5kW, 800W (a bare number is kW)')
    .option('--energy <e>', 'energy: 3kWh, 500Wh (with --duration or --power)')
    .option('--earliest <time>', 'earliest start', 'now')
    .option('--deadline <time>', 'latest finish (default: 24 hours after the earliest start)')
    .option('--max-delay <d>', 'latest start, as a delay after the earliest start (instead of --deadline)')
    .option('--interruptible', 'the load may run in separate pieces')
    .option('--min-piece <d>', 'interruptible: shortest piece (default one step)')
    .option('--max-pieces <n>', 'interruptible: most pieces')
    .option('--objective <name>', 'carbon | cost | balanced | max_savings | eco | weights:WC,WP', 'carbon')
    .option('--carbon-cap <mass>', 'most CO2 the run may emit, e.g. 500g, 2kg')
    .option('--step <minutes>', 'planning step in minutes', '30')
    .option('--alternatives <n>', 'how many runner-ups to show', '3')
    .addHelpText(
      'after',
      '\nTimes: now, +4h, in 90 minutes, today 18:30, tomorrow 07:00, 07:00, monday 09:00, ISO-8601.\n' +
        'Example: gridshift plan --zone DE --duration 2h --power 1.5kW --deadline +12h',
    )
    .action(async (opts: Omit<PlanCliOptions, 'candidates'>, command: Command) =>
      runPlan(cli, { ...opts, candidates }, globalsOf(command)),
    );
}
