/**
 * `gridshift plan`: when (and where) to run one load. Reads signals through the registry (the offline
 * profile needs no key and no network), plans with the planner, and prints the plan, a sparkline of the
 * forecast with the chosen window, the run-now baseline, the savings and the runner-ups.
 */
import { Command } from 'commander';
import { equivalents } from '../accounting/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDuration, parseTime } from '../core/human-time.ts';
import type { LoadSpec } from '../core/load.ts';
import { type Grid, gridEndMs, slotIndex } from '../core/series.ts';
import { HOUR_MS, MINUTE_MS } from '../core/time.ts';
import { resolveZone, type Zone } from '../core/zones.ts';
import { explainPlan, planToJson } from '../planner/explain.ts';
import { needsPrice, type Objective, parseObjective } from '../planner/objectives.ts';
import { type Plan, planLoad } from '../planner/plan.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import {
  formatDuration,
  formatIntensity,
  formatLocalTime,
  formatMass,
  formatNumber,
  formatPrice,
  sparkline,
  spreadLine,
  visibleLength,
} from './format.ts';
import { parseEnergyKwh, parseMassG, parsePositive, parsePowerKw } from './quantities.ts';
import { planningSignals } from './signal-access.ts';

export interface PlanCliOptions {
  /** --zone and --region values in command-line order; the first is the home zone */
  candidates: string[];
  name?: string;
  duration?: string;
  power?: string;
  energy?: string;
  earliest: string;
  deadline?: string;
  maxDelay?: string;
  interruptible?: boolean;
  minPiece?: string;
  maxPieces?: string;
  objective: string;
  carbonCap?: string;
  step: string;
  alternatives: string;
}

/** Default window when neither --deadline nor --max-delay is given: the next 24 hours. */
export const DEFAULT_HORIZON_MS = 24 * HOUR_MS;

export interface PlanRequest {
  load: LoadSpec;
  zones: Zone[];
  stepMin: number;
  alternatives: number;
  timeZone: string;
  nowMs: number;
}

/** The load and planning settings the options describe; every problem is an InputError naming the flag. */
export function planRequestFromOptions(opts: PlanCliOptions, cli: Cli, globals: GlobalOptions): PlanRequest {
  const zoneTexts = opts.candidates;
  if (zoneTexts.length === 0) {
    throw new InputError(
      'plan: give a zone with --zone (e.g. DE, GB, US-CAL-CISO) or a cloud region with --region (e.g. eu-west-1)',
    );
  }
  const zones: Zone[] = [];
  for (const text of zoneTexts) {
    const z = resolveZone(text);
    if (!zones.some((x) => x.code === z.code)) zones.push(z);
  }
  const timeZone = cli.timeZone(globals, zones[0].timeZone);
  const nowMs = cli.nowMs(globals);

  // duration, power, energy: any two give the third
  let durationMin = opts.duration === undefined ? undefined : parseDuration(opts.duration, '--duration');
  let powerKw = opts.power === undefined ? undefined : parsePowerKw(opts.power, '--power');
  const energyKwh = opts.energy === undefined ? undefined : parseEnergyKwh(opts.energy, '--energy');
  if (durationMin !== undefined && !(durationMin > 0)) {
    throw new InputError(`--duration: must be longer than 0, got "${opts.duration}"`);
  }
  const given = [durationMin, powerKw, energyKwh].filter((x) => x !== undefined).length;
  if (given < 2) {
    throw new InputError(
      'plan: give two of --duration, --power and --energy (e.g. --duration 2h --power 1.5kW)',
    );
  }
  if (given === 3) {
    throw new InputError(
      'plan: give only two of --duration, --power and --energy; the third follows from them',
    );
  }
  if (durationMin === undefined) durationMin = (energyKwh! / powerKw!) * 60;
  if (powerKw === undefined) powerKw = energyKwh! / (durationMin / 60);

  const at = (text: string, what: string) => parseTime(text, { nowMs, timeZone, what });
  const earliestMs = at(opts.earliest, '--earliest');
  if (opts.deadline !== undefined && opts.maxDelay !== undefined) {
    throw new InputError('plan: give --deadline or --max-delay, not both');
  }
  let deadlineMs: number;
  if (opts.deadline !== undefined) deadlineMs = at(opts.deadline, '--deadline');
  else if (opts.maxDelay !== undefined) {
    const delayMin = parseDuration(opts.maxDelay, '--max-delay');
    deadlineMs = earliestMs + (delayMin + durationMin) * MINUTE_MS;
  } else deadlineMs = Math.max(earliestMs + DEFAULT_HORIZON_MS, earliestMs + durationMin * MINUTE_MS);

  const show = (ms: number) => formatLocalTime(ms, timeZone);
  if (deadlineMs <= earliestMs) {
    throw new InputError(
      `--deadline: ${show(deadlineMs)} is not after the earliest start ${show(earliestMs)} (${timeZone})`,
    );
  }
  const stepMin = parseDuration(opts.step, '--step');
  if (!(stepMin >= 1 && Number.isInteger(stepMin))) {
    throw new InputError(`--step: must be a whole number of minutes >= 1, got "${opts.step}"`);
  }
  // the planner places whole slots between grid boundaries: the run must fit in what lies between them
  const slots = Math.ceil(durationMin / stepMin - 1e-9);
  const firstBoundary = Math.ceil(earliestMs / (stepMin * MINUTE_MS)) * stepMin * MINUTE_MS;
  const lastBoundary = Math.floor(deadlineMs / (stepMin * MINUTE_MS)) * stepMin * MINUTE_MS;
  if (lastBoundary - firstBoundary < slots * stepMin * MINUTE_MS) {
    const needed = firstBoundary + slots * stepMin * MINUTE_MS;
    throw new InputError(
      `--deadline: a ${formatDuration(durationMin)} run cannot finish between ${show(earliestMs)} and ` +
        `${show(deadlineMs)} (${timeZone}) on a ${stepMin}-minute grid; ` +
        `set the deadline to ${show(needed)} or later, or shorten the run`,
    );
  }

  let objective: Objective;
  try {
    objective = parseObjective(opts.objective);
  } catch (err) {
    throw new InputError(`--objective: ${(err as Error).message}`);
  }
  const load: LoadSpec = {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    durationMin,
    powerKw,
    earliestMs,
    deadlineMs,
    zones: zones.map((z) => z.code),
    objective,
  };
  if (opts.interruptible) {
    load.interruptible = true;
    if (opts.minPiece !== undefined) load.minPieceMin = parseDuration(opts.minPiece, '--min-piece');
    if (opts.maxPieces !== undefined)
      load.maxPieces = parsePositive(opts.maxPieces, '--max-pieces', { integer: true });
  } else if (opts.minPiece !== undefined || opts.maxPieces !== undefined) {
    throw new InputError('plan: --min-piece and --max-pieces apply only with --interruptible');
  }
  if (opts.carbonCap !== undefined) load.carbonCapG = parseMassG(opts.carbonCap, '--carbon-cap');
  const alternatives = parsePositive(opts.alternatives, '--alternatives', { min: 0, integer: true });
  return { load, zones, stepMin, alternatives, timeZone, nowMs };
}

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
  const req = planRequestFromOptions(opts, cli, globals);
  const objective = req.load.objective ?? { kind: 'carbon' };
  const results = await planningSignals(cli, globals, req.zones, {
    fromMs: Math.min(req.load.earliestMs, req.load.baselineStartMs ?? req.load.earliestMs),
    toMs: req.load.deadlineMs,
    nowMs: req.nowMs,
    stepMin: req.stepMin,
    needPrice: needsPrice(objective),
  });
  const plan = planLoad(req.load, results, { stepMin: req.stepMin, alternatives: req.alternatives });
  if (globals.json) return cli.printJson(planToJson(plan));

  const { paint } = cli;
  const lines = explainPlan(plan, { timeZone: req.timeZone });
  const [headline, ...rest] = lines;
  cli.print(paint.bold(headline));
  cli.print();
  const chosen = results.find((r) => r.zone === plan.zone) ?? results[0];
  for (const l of planChart(plan, chosen, { timeZone: req.timeZone, color: cli.color })) cli.print(l);
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
