/**
 * The one way from a load request to a plan. `requestFromInput` applies the defaults and checks a submitted
 * load against now and the bounds of src/core/limits.ts; `planningRange` says which signals the plan needs;
 * `planRequest` plans it and shows the runs as the load will really run them (from now, for its own
 * duration). Pure: `gridshift plan`, `submit` and its preview, replanning and recurring loads all call these.
 */
import { InputError } from '../core/errors.ts';
import { formatDuration, formatLocalTime } from '../core/format.ts';
import { MAX_DURATION_MIN, MAX_RUN_MIN, MAX_TIME_OFFSET_DAYS, MAX_WINDOW_MIN } from '../core/limits.ts';
import type { LoadSpec, ZoneSignals } from '../core/load.ts';
import type { LoadInput } from '../core/load-input.ts';
import { type Objective, parseObjective } from '../core/objective.ts';
import { ceilToStep, DAY_MS, floorToStep, HOUR_MS, MINUTE_MS, toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import { type Plan, planLoad, type Run } from './plan.ts';

/** What the planner needs to know about a load, from a submission or a stored load. */
export interface PlanningRequest {
  id?: string;
  name: string;
  /** zone codes, home first */
  zones: string[];
  /** whole minutes */
  durationMin: number;
  powerKw: number;
  earliestMs: number;
  deadlineMs: number;
  /** the run-now counterfactual's start */
  baselineStartMs: number;
  interruptible: boolean;
  minPieceMin?: number;
  maxPieces?: number;
  objective: Objective;
  carbonCapG?: number;
}

/** Times that replace the submitted ones: a recurring occurrence's window, its nominal start. */
export interface RequestOverrides {
  earliestMs?: number;
  deadlineMs?: number;
  baselineStartMs?: number;
}

/**
 * The planning request of a checked submission: zones resolved, duration in whole minutes (or from energy
 * and power), earliest start (default now) and deadline (default `maxDelayMin` after the earliest start plus
 * the run, else 24 hours after it) checked against now, each other and the bounds. Every problem is an
 * InputError naming the field.
 */
export function requestFromInput(
  input: LoadInput,
  nowMs: number,
  overrides: RequestOverrides = {},
  options: { timeZone?: string } = {},
): PlanningRequest {
  const show = timeShower(options.timeZone);
  const zones = zonesOf(input);
  const { durationMin, powerKw } = runQuantities(input);
  const interruptible = input.interruptible === true;
  if (!interruptible && durationMin > MAX_RUN_MIN) {
    throw new InputError(
      `durationMin: a single run of ${durationMin} minutes is longer than the ${MAX_RUN_MIN} minutes the queue can hold; ` +
        'make the load interruptible so it runs in pieces',
    );
  }
  if (!interruptible && (input.minPieceMin !== undefined || input.maxPieces !== undefined)) {
    throw new InputError('minPieceMin: minPieceMin and maxPieces apply only to interruptible loads');
  }
  let objective: Objective;
  try {
    objective = parseObjective(input.objective ?? 'carbon');
  } catch (err) {
    throw new InputError(`objective: ${(err as Error).message}`);
  }

  const durationMs = durationMin * MINUTE_MS;
  const earliestMs = overrides.earliestMs ?? (input.earliest ? Date.parse(input.earliest) : nowMs);
  checkNearNow(earliestMs, nowMs, 'earliest', show);
  const deadlineMs =
    overrides.deadlineMs ??
    (input.deadline
      ? Date.parse(input.deadline)
      : input.maxDelayMin !== undefined
        ? earliestMs + input.maxDelayMin * MINUTE_MS + durationMs
        : earliestMs + Math.max(24 * HOUR_MS, durationMs));
  checkWindow(earliestMs, deadlineMs, nowMs, durationMin, show);

  return {
    name: input.name,
    zones,
    durationMin,
    powerKw,
    earliestMs,
    deadlineMs,
    baselineStartMs: overrides.baselineStartMs ?? Math.max(earliestMs, nowMs),
    interruptible,
    ...(input.minPieceMin !== undefined ? { minPieceMin: input.minPieceMin } : {}),
    ...(input.maxPieces !== undefined ? { maxPieces: input.maxPieces } : {}),
    objective,
    ...(input.carbonCapG !== undefined ? { carbonCapG: input.carbonCapG } : {}),
  };
}

function zonesOf(input: LoadInput): string[] {
  const zones: string[] = [];
  const add = (text: string, field: string) => {
    let code: string;
    try {
      code = resolveZone(text).code;
    } catch (err) {
      throw new InputError(`${field}: ${(err as Error).message.replace(/^zone: /, '')}`);
    }
    if (!zones.includes(code)) zones.push(code);
  };
  input.zones?.forEach((z, i) => {
    add(z, `zones[${i}]`);
  });
  if (input.region !== undefined) add(input.region, 'region');
  return zones;
}

/**
 * Run time in whole minutes and power, from the two of duration, power and energy that were given. With
 * energy, the power is the energy spread over the (rounded-up) run, so the energy is exact.
 */
export function runQuantities(input: LoadInput): { durationMin: number; powerKw: number } {
  let exact = input.durationMin;
  if (exact === undefined) {
    const powerKw = input.powerKw as number;
    if (!(powerKw > 0))
      throw new InputError('powerKw: must be greater than 0 to work out the run time from energyKwh');
    exact = ((input.energyKwh as number) / powerKw) * 60;
    if (!(exact > 0)) throw new InputError('energyKwh: must be greater than 0 to work out the run time');
    if (exact > MAX_DURATION_MIN)
      throw new InputError(
        `energyKwh: at ${powerKw} kW the run would take ${days(exact * MINUTE_MS)}, longer than the ` +
          `${days(MAX_DURATION_MIN * MINUTE_MS)} a load may run`,
      );
  }
  const durationMin = Math.ceil(exact - 1e-9);
  const powerKw =
    input.energyKwh !== undefined ? input.energyKwh / (durationMin / 60) : (input.powerKw as number);
  return { durationMin, powerKw };
}

function days(ms: number): string {
  const d = ms / DAY_MS;
  return `${d >= 10 ? Math.round(d) : Number(d.toFixed(1))} days`;
}

/** Times in messages: ISO-8601 UTC, or local times in `timeZone` (named once, at the end). */
function timeShower(timeZone: string | undefined): (ms: number, last?: boolean) => string {
  if (timeZone === undefined) return toIso;
  return (ms, last) => `${formatLocalTime(ms, timeZone)}${last ? ` (${timeZone})` : ''}`;
}

type ShowTime = ReturnType<typeof timeShower>;

function checkNearNow(ms: number, nowMs: number, field: string, show: ShowTime): void {
  const limitMs = MAX_TIME_OFFSET_DAYS * DAY_MS;
  if (Math.abs(ms - nowMs) <= limitMs) return;
  throw new InputError(
    `${field}: ${show(ms, true)} is ${days(Math.abs(ms - nowMs))} ${ms > nowMs ? 'after' : 'before'} now; ` +
      `times may be at most ${MAX_TIME_OFFSET_DAYS} days from now`,
  );
}

/** The deadline: after the earliest start, far enough for the run, and within the longest planning window. */
function checkWindow(
  earliestMs: number,
  deadlineMs: number,
  nowMs: number,
  durationMin: number,
  show: ShowTime,
): void {
  const startFrom = Math.max(earliestMs, nowMs);
  if (deadlineMs <= earliestMs) {
    throw new InputError(
      `deadline: ${show(deadlineMs)} is not after the earliest start ${show(earliestMs, true)}`,
    );
  }
  const windowMs = deadlineMs - startFrom;
  if (windowMs > MAX_WINDOW_MIN * MINUTE_MS) {
    throw new InputError(
      `deadline: ${show(deadlineMs, true)} is ${days(windowMs)} after ${earliestMs > nowMs ? 'the earliest start' : 'now'}; ` +
        `the planning window may be at most ${days(MAX_WINDOW_MIN * MINUTE_MS)}`,
    );
  }
  const durationMs = durationMin * MINUTE_MS;
  if (windowMs < durationMs) {
    throw new InputError(
      `deadline: a ${formatDuration(durationMin)} run starting at ${show(startFrom)} cannot finish by ` +
        `${show(deadlineMs, true)}; set the deadline to ${show(startFrom + durationMs)} or later`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Planning

export interface RequestPlanOptions {
  nowMs: number;
  stepMin: number;
  /** runner-ups to list (default 3) */
  alternatives?: number;
  /**
   * When the load's start is next decided again (the next replanning): a start before it is decided now,
   * by the stopping rule (see PlanOptions.nextDecisionMs). Without it the plan is not a decision to start.
   */
  nextDecisionMs?: number;
}

/** The allowed times of a request as the planner sees them now, on the planning grid. */
interface Window {
  /** the load starts no earlier than this: the earliest start, or now when later */
  startFrom: number;
  /** the first slot the planner may choose: the one holding `startFrom` */
  gridEarliest: number;
  /** the deadline, cut to the longest planning window after `startFrom` (for loads stored before the bound) */
  deadlineMs: number;
  baselineFloor: number;
  slots: number;
}

function windowOf(req: PlanningRequest, nowMs: number, stepMin: number): Window {
  const startFrom = Math.max(req.earliestMs, nowMs);
  const longest = MAX_WINDOW_MIN * MINUTE_MS;
  return {
    startFrom,
    gridEarliest: floorToStep(startFrom, stepMin),
    deadlineMs: Math.min(req.deadlineMs, startFrom + longest),
    baselineFloor: floorToStep(Math.max(req.baselineStartMs, startFrom - longest), stepMin),
    slots: Math.ceil(req.durationMin / stepMin - 1e-9),
  };
}

/** The span of signals a plan of `req` needs, on a grid of `stepMin` minutes: the window and the baseline. */
export function planningRange(
  req: PlanningRequest,
  nowMs: number,
  stepMin: number,
): { fromMs: number; toMs: number } {
  const w = windowOf(req, nowMs, stepMin);
  const stepMs = stepMin * MINUTE_MS;
  const fromMs = Math.min(w.gridEarliest, w.baselineFloor);
  const toMs = Math.max(
    ceilToStep(w.deadlineMs, stepMin),
    w.baselineFloor + w.slots * stepMs,
    fromMs + stepMs,
  );
  return { fromMs, toMs };
}

/**
 * Plans a request on the signals of its zones. The slot that holds now is allowed: a load that is best run
 * at once starts now, not at the next slot boundary. The chosen runs, the run-now baseline and the runner-ups
 * are shown as the load would really run them: from now at the earliest, for its own duration, in pieces no
 * longer than one queue run.
 */
export function planRequest(
  req: PlanningRequest,
  signals: readonly ZoneSignals[],
  options: RequestPlanOptions,
): Plan {
  const { stepMin } = options;
  const w = windowOf(req, options.nowMs, stepMin);
  const durationMs = req.durationMin * MINUTE_MS;
  const spec: LoadSpec = {
    ...(req.id !== undefined ? { id: req.id } : {}),
    name: req.name,
    durationMin: req.durationMin,
    powerKw: req.powerKw,
    earliestMs: w.gridEarliest,
    deadlineMs: w.deadlineMs,
    baselineStartMs: w.baselineFloor,
    zones: req.zones,
    objective: req.objective,
    ...(req.interruptible ? { interruptible: true } : {}),
    ...(req.minPieceMin !== undefined ? { minPieceMin: req.minPieceMin } : {}),
    ...(req.maxPieces !== undefined ? { maxPieces: req.maxPieces } : {}),
    ...(req.carbonCapG !== undefined ? { carbonCapG: req.carbonCapG } : {}),
  };
  const planOptions = {
    stepMin,
    ...(options.nextDecisionMs !== undefined ? { nextDecisionMs: options.nextDecisionMs } : {}),
    ...(options.alternatives !== undefined ? { alternatives: options.alternatives } : {}),
  };
  let plan = planLoad(spec, signals as ZoneSignals[], planOptions);
  let runs = fitRuns(plan.runs, w.startFrom, durationMs, req.interruptible);
  if (runs[runs.length - 1].endMs > w.deadlineMs && w.gridEarliest < w.startFrom) {
    // the slot holding now was chosen but, started now, the load would end past the deadline
    plan = planLoad(
      { ...spec, earliestMs: ceilToStep(w.startFrom, stepMin) },
      signals as ZoneSignals[],
      planOptions,
    );
    runs = fitRuns(plan.runs, w.startFrom, durationMs, req.interruptible);
  }
  return {
    ...plan,
    runs: splitLongRuns(runs),
    baseline: { ...plan.baseline, runs: fitRuns(plan.baseline.runs, req.baselineStartMs, durationMs, false) },
    alternatives: plan.alternatives.map((a) => ({
      ...a,
      runs: fitRuns(a.runs, w.startFrom, durationMs, req.interruptible),
    })),
  };
}

/**
 * The planner's slots as runs of the real load: none starts before `startFrom` (the slot holding now is
 * allowed, so its run moves to start now), and together they last the load's duration (slots round it up).
 */
export function fitRuns(
  runs: readonly Run[],
  startFrom: number,
  durationMs: number,
  interruptible: boolean,
): Run[] {
  const sorted = [...runs].sort((a, b) => a.startMs - b.startMs);
  if (sorted.length === 0) return [{ startMs: startFrom, endMs: startFrom + durationMs }];
  if (!interruptible) {
    const start = Math.max(sorted[0].startMs, startFrom);
    return [{ startMs: start, endMs: start + durationMs }];
  }
  const out: Run[] = [];
  let cursor = startFrom;
  let remaining = durationMs;
  for (const r of sorted) {
    if (remaining <= 0) break;
    const length = Math.min(r.endMs - r.startMs, remaining);
    const start = Math.max(r.startMs, cursor);
    const end = start + length;
    const last = out[out.length - 1];
    if (last && start <= last.endMs) last.endMs = Math.max(last.endMs, end);
    else out.push({ startMs: start, endMs: end });
    cursor = end;
    remaining -= length;
  }
  return out;
}

/** Pieces longer than one queue run are split (an interruptible load may be planned as one long stretch). */
export function splitLongRuns(runs: readonly Run[]): Run[] {
  const maxMs = MAX_RUN_MIN * MINUTE_MS;
  const out: Run[] = [];
  for (const r of runs) {
    for (let s = r.startMs; s < r.endMs; s += maxMs)
      out.push({ startMs: s, endMs: Math.min(r.endMs, s + maxMs) });
  }
  return out;
}
