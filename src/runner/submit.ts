import type { z } from 'zod';
import { zoneConfig } from '../core/config.ts';
import { InputError } from '../core/errors.ts';
import type { LoadSpec } from '../core/load.ts';
import type { Grid } from '../core/series.ts';
import { ceilToStep, floorToStep, HOUR_MS, MINUTE_MS, toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import { type PlanJson, planToJson, whyText } from '../planner/explain.ts';
import { needsPrice, type Objective, parseObjective } from '../planner/objectives.ts';
import { type Plan, type PlanAlternative, planLoad, type Run } from '../planner/plan.ts';
import type { ZoneSignalsResult } from '../signals/registry.ts';
import { appendDecision, type Decision, lastDecisionOf } from '../store/audit.ts';
import {
  createLoad,
  getLoadByKey,
  type Load,
  type LoadPlan,
  moveLoad,
  type NewLoad,
} from '../store/loads.ts';
import {
  carbonMetric,
  currentRun,
  publishPlanned,
  publishState,
  queueAttempt,
  runZone,
  type SchedulerContext,
} from './context.ts';
import { type LoadInput, loadInput } from './load-input.ts';
import { previewRecurring, submitRecurring } from './recurring.ts';
import type { SubmitResult } from './service.ts';

/**
 * Submitting a load: the input checked (every problem an InputError naming the field), its signals
 * fetched, the plan made, the load stored with the plan and a `plan` decision, its first attempt queued.
 * Also the planning both submit and the replanner use.
 */

/** A contiguous run must fit in one queue run: 24 hours less the queue's default 5-minute expiry margin. */
export const MAX_RUN_MIN = 24 * 60 - 5;

/** Reads a submitted load with the zod schema; the first problem becomes an InputError naming its field. */
export function parseLoadInput(raw: unknown): LoadInput {
  const parsed = loadInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InputError(describeIssue(parsed.error.issues[0]));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p, i) =>
    typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`,
  );
  const field = path.join('');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    return `${field ? `${field}.` : ''}${key}: unknown field`;
  }
  return field ? `${field}: ${issue.message}` : issue.message;
}

/** What the planner needs to know about a load, from a submission or a stored load. */
export interface PlanningRequest {
  id?: string;
  name: string;
  /** zone codes, home first */
  zones: string[];
  durationMin: number;
  powerKw: number;
  earliestMs: number;
  deadlineMs: number;
  /** the run-now counterfactual's start */
  baselineStartMs: number;
  interruptible: boolean;
  minPieceMin?: number;
  maxPieces?: number;
  /** objective or strategy text (carbon, cost, balanced ...) */
  objective: string;
  carbonCapG?: number;
}

export interface PreparedLoad {
  newLoad: NewLoad;
  request: PlanningRequest;
}

export interface PrepareOverrides {
  earliestMs?: number;
  deadlineMs?: number;
  baselineStartMs?: number;
  templateId?: string;
  idempotencyKey?: string;
}

/**
 * Turns a checked submission into the load to store and the planning request: zones resolved, duration in
 * whole minutes, earliest start (default now) and deadline (default `maxDelayMin` after the earliest start
 * plus the run, else 24 hours after it) checked against each other.
 */
export function prepareLoad(input: LoadInput, nowMs: number, overrides: PrepareOverrides = {}): PreparedLoad {
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

  const durationMin = Math.ceil(input.durationMin - 1e-9);
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
  const objectiveText = input.objective ?? 'carbon';
  try {
    parseObjective(objectiveText);
  } catch (err) {
    throw new InputError(`objective: ${(err as Error).message}`);
  }
  const powerKw = input.powerKw ?? (input.energyKwh as number) / (durationMin / 60);

  const earliestMs = overrides.earliestMs ?? (input.earliest ? Date.parse(input.earliest) : nowMs);
  const durationMs = durationMin * MINUTE_MS;
  const deadlineMs =
    overrides.deadlineMs ??
    (input.deadline
      ? Date.parse(input.deadline)
      : input.maxDelayMin !== undefined
        ? earliestMs + input.maxDelayMin * MINUTE_MS + durationMs
        : earliestMs + Math.max(24 * HOUR_MS, durationMs));
  if (deadlineMs <= earliestMs) {
    throw new InputError(
      `deadline: ${toIso(deadlineMs)} is not after the earliest start ${toIso(earliestMs)}`,
    );
  }
  const startFrom = Math.max(earliestMs, nowMs);
  if (deadlineMs - startFrom < durationMs) {
    throw new InputError(
      `deadline: a ${durationMin}-minute load starting at ${toIso(startFrom)} cannot finish by ${toIso(deadlineMs)}; ` +
        `set the deadline to ${toIso(startFrom + durationMs)} or later`,
    );
  }
  const baselineStartMs = overrides.baselineStartMs ?? startFrom;

  const newLoad: NewLoad = {
    name: input.name,
    tags: input.tags ?? [],
    zones,
    cloudRegion: input.region,
    durationMin,
    powerKw: input.powerKw,
    energyKwh: input.energyKwh,
    earliestMs,
    deadlineMs,
    interruptible,
    objective: objectiveText,
    carbonCapG: input.carbonCapG,
    priority: input.priority,
    dispatch: input.dispatch ?? { kind: 'none' },
    idempotencyKey: overrides.idempotencyKey ?? input.idempotencyKey,
    maxRetries: input.maxRetries,
    minPieceMin: input.minPieceMin,
    maxPieces: input.maxPieces,
    templateId: overrides.templateId,
    ...(overrides.baselineStartMs !== undefined ? { baselineStartMs: overrides.baselineStartMs } : {}),
  };
  const request: PlanningRequest = {
    name: input.name,
    zones,
    durationMin,
    powerKw,
    earliestMs,
    deadlineMs,
    baselineStartMs,
    interruptible,
    minPieceMin: input.minPieceMin,
    maxPieces: input.maxPieces,
    objective: objectiveText,
    carbonCapG: input.carbonCapG,
  };
  return { newLoad, request };
}

/** The planning request of a stored load (for replanning): its baseline is when it was submitted, or its nominal time. */
export function requestFromLoad(load: Load): PlanningRequest {
  return {
    id: load.id,
    name: load.name,
    zones: load.zones.length ? load.zones : [runZone(load)],
    durationMin: load.durationMin,
    powerKw: loadPowerKw(load),
    earliestMs: load.earliestMs,
    deadlineMs: load.deadlineMs,
    baselineStartMs: load.baselineStartMs ?? Math.max(load.earliestMs, load.createdMs),
    interruptible: load.interruptible,
    minPieceMin: load.minPieceMin ?? undefined,
    maxPieces: load.maxPieces ?? undefined,
    objective: load.objective,
    carbonCapG: load.carbonCapG ?? undefined,
  };
}

/** The load's power: given, or its energy spread over its duration. */
export function loadPowerKw(load: Pick<Load, 'powerKw' | 'energyKwh' | 'durationMin'>): number {
  return load.powerKw ?? (load.energyKwh ?? 0) / (load.durationMin / 60);
}

// ---------------------------------------------------------------------------------------------------
// Planning

/** The signal values a plan was made on, per zone, as stored in the decision log. */
export interface SignalRecord {
  zone: string;
  metric: string;
  startMs: number;
  start: string;
  stepMin: number;
  carbonSource: string;
  priceSource?: string;
  currency?: string;
  degraded: string[];
  /** set when no source answered: what the zone's failure policy says */
  policy?: 'open' | 'closed';
  failures: { provider: string; kind: string; message: string }[];
  /** one value per slot from `start`; null where there is none */
  carbon: (number | null)[];
  price?: (number | null)[];
}

export interface PlanOutcome {
  /** the plan, with the runs as stored (moved to start no earlier than now, cut to the load's duration) */
  plan: Plan;
  loadPlan: LoadPlan;
  held: boolean;
  holdReason: string | null;
  /** why, in a sentence (for decisions and events) */
  reason: string;
  signals: SignalRecord[];
  decision: { inputs: unknown; choice: unknown; alternatives: unknown[]; reason: string };
}

/**
 * Plans a load now: fetches each candidate zone's signals through the registry (price only when the
 * objective needs it) over the allowed window, applies the failure policy when a zone has none, and runs the
 * planner. The slot that holds `now` is allowed: a load that is best run at once starts now, not at the
 * next slot boundary.
 */
export async function makePlan(
  ctx: SchedulerContext,
  req: PlanningRequest,
  nowMs: number,
): Promise<PlanOutcome> {
  const step = ctx.settings.stepMin;
  const stepMs = step * MINUTE_MS;
  const objective = parseObjective(req.objective);
  const durationMs = req.durationMin * MINUTE_MS;
  const startFrom = Math.max(req.earliestMs, nowMs);
  const gridEarliest = floorToStep(startFrom, step);
  const baselineFloor = floorToStep(req.baselineStartMs, step);
  const k = Math.ceil(req.durationMin / step - 1e-9);
  const fromMs = Math.min(gridEarliest, baselineFloor);
  const toMs = Math.max(ceilToStep(req.deadlineMs, step), baselineFloor + k * stepMs, fromMs + stepMs);

  const results = await Promise.all(
    req.zones.map((zone) =>
      ctx.registry.getZoneSignals(zone, {
        fromMs,
        toMs,
        nowMs,
        stepMin: step,
        metrics: [carbonMetric(ctx, zone), ...(needsPrice(objective) ? (['price'] as const) : [])],
      }),
    ),
  );
  const signals = results.map(signalRecord);
  const usable = results.filter((r) => !r.policy);
  const homePolicy = results[0].policy ?? zoneConfig(ctx.config, req.zones[0]).failurePolicy;
  const hold = usable.length === 0 && homePolicy === 'closed';

  const spec: LoadSpec = {
    ...(req.id !== undefined ? { id: req.id } : {}),
    name: req.name,
    durationMin: req.durationMin,
    powerKw: req.powerKw,
    earliestMs: gridEarliest,
    deadlineMs: req.deadlineMs,
    baselineStartMs: baselineFloor,
    zones: req.zones,
    objective,
    ...(req.interruptible ? { interruptible: true } : {}),
    ...(req.minPieceMin !== undefined ? { minPieceMin: req.minPieceMin } : {}),
    ...(req.maxPieces !== undefined ? { maxPieces: req.maxPieces } : {}),
    ...(req.carbonCapG !== undefined ? { carbonCapG: req.carbonCapG } : {}),
  };
  // a zone without signals under the failure policy plans on nothing: the load runs at its baseline there
  const plannerSignals = results.map((r) =>
    r.policy ? { ...r, carbon: emptyGrid(r.carbon), price: undefined } : r,
  );
  let plan = planLoad(spec, plannerSignals, { stepMin: step });
  let runs = fitRuns(plan.runs, startFrom, durationMs, req.interruptible);
  if (runs.length && runs[runs.length - 1].endMs > req.deadlineMs && gridEarliest < startFrom) {
    // the slot holding now was chosen but, started now, the load would end past the deadline
    plan = planLoad({ ...spec, earliestMs: ceilToStep(startFrom, step) }, plannerSignals, { stepMin: step });
    runs = fitRuns(plan.runs, startFrom, durationMs, req.interruptible);
  }

  const degraded = [...(plan.degraded ?? [])];
  for (const r of results) {
    if (!r.policy) continue;
    degraded.push(
      `no signals for ${r.zone} (failure policy ${r.policy})${r.policy === 'open' ? ': planned at its baseline' : ''}`,
    );
  }
  let holdReason: string | null = null;
  if (hold) {
    const start = Math.max(startFrom, req.deadlineMs - durationMs);
    runs = [{ startMs: start, endMs: start + durationMs }];
    holdReason =
      `no signals for ${req.zones.join(', ')} and the failure policy is closed: held until signals return, ` +
      `starting at ${toIso(start)} at the latest so that it meets its deadline`;
    degraded.push(holdReason);
  }
  runs = splitLongRuns(runs);
  // the run-now baseline and the runner-ups shown as the load would really run them, like the chosen runs
  plan = {
    ...plan,
    runs,
    baseline: {
      ...plan.baseline,
      runs: fitRuns(plan.baseline.runs, req.baselineStartMs, durationMs, false),
    },
    alternatives: plan.alternatives.map((a) => ({
      ...a,
      runs: fitRuns(a.runs, startFrom, durationMs, req.interruptible === true),
    })),
    ...(degraded.length ? { degraded: [...new Set(degraded)] } : {}),
  };
  if (plan.slots && hold) delete plan.slots;

  const loadPlan: LoadPlan = hold
    ? { zone: req.zones[0], runs }
    : {
        zone: plan.zone,
        runs,
        expectedEmissionsG: plan.emissionsG,
        expectedCost: plan.cost ?? null,
        baselineEmissionsG: plan.baseline.emissionsG,
        baselineCost: plan.baseline.cost ?? null,
        currency: plan.currency ?? null,
      };
  const why = hold ? (holdReason as string) : whyOf(plan);
  return {
    plan,
    loadPlan,
    held: hold,
    holdReason,
    reason: why,
    signals,
    decision: decisionOf(req, plan, why, hold, holdReason, signals, nowMs, step),
  };
}

function emptyGrid(g: Grid): Grid {
  return {
    startMs: g.startMs,
    stepMin: g.stepMin,
    values: new Float64Array(g.values.length).fill(Number.NaN),
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
function splitLongRuns(runs: Run[]): Run[] {
  const maxMs = MAX_RUN_MIN * MINUTE_MS;
  const out: Run[] = [];
  for (const r of runs) {
    for (let s = r.startMs; s < r.endMs; s += maxMs)
      out.push({ startMs: s, endMs: Math.min(r.endMs, s + maxMs) });
  }
  return out;
}

/** The explanation's "Why" line, made alone: the whole explanation formats every time and amount, which
 * took about half of a plan preview's time. */
function whyOf(plan: Plan): string {
  return whyText(plan);
}

const values = (a: Float64Array): (number | null)[] => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

function signalRecord(r: ZoneSignalsResult): SignalRecord {
  const rec: SignalRecord = {
    zone: r.zone,
    metric: r.answers.carbon.metric,
    startMs: r.carbon.startMs,
    start: toIso(r.carbon.startMs),
    stepMin: r.carbon.stepMin,
    carbonSource: r.carbonSource,
    degraded: r.degraded ?? [],
    failures: r.failures.map((f) => ({ provider: f.provider, kind: f.kind, message: f.message })),
    carbon: values(r.carbon.values),
  };
  if (r.policy) rec.policy = r.policy;
  if (r.price) {
    rec.price = values(r.price.values);
    if (r.priceSource) rec.priceSource = r.priceSource;
    if (r.currency) rec.currency = r.currency;
  }
  return rec;
}

function decisionOf(
  req: PlanningRequest,
  plan: Plan,
  reason: string,
  held: boolean,
  holdReason: string | null,
  signals: SignalRecord[],
  nowMs: number,
  stepMin: number,
): PlanOutcome['decision'] {
  const { alternatives, ...choice } = planToJson(plan);
  return {
    inputs: {
      now: toIso(nowMs),
      stepMin,
      load: {
        name: req.name,
        zones: req.zones,
        durationMin: req.durationMin,
        powerKw: req.powerKw,
        earliest: toIso(req.earliestMs),
        deadline: toIso(req.deadlineMs),
        baselineStart: toIso(req.baselineStartMs),
        interruptible: req.interruptible,
        ...(req.minPieceMin !== undefined ? { minPieceMin: req.minPieceMin } : {}),
        ...(req.maxPieces !== undefined ? { maxPieces: req.maxPieces } : {}),
        objective: req.objective,
        ...(req.carbonCapG !== undefined ? { carbonCapG: req.carbonCapG } : {}),
      },
      signals,
    },
    choice: { ...choice, held, ...(holdReason ? { holdReason } : {}) },
    alternatives,
    reason,
  };
}

/** Rebuilds the plan a load was given from its (newest) plan or replan decision. */
export function planFromDecision(load: Load, decision: Decision | null): Plan {
  const choice = (decision?.choice ?? null) as (PlanJson & { held?: boolean }) | null;
  const runsOf = (rs: { start: string; end: string }[] | undefined): Run[] =>
    (rs ?? []).map((r) => ({ startMs: Date.parse(r.start), endMs: Date.parse(r.end) }));
  const num = (v: number | null | undefined) => (v === null || v === undefined ? Number.NaN : v);
  const spec = specOf(load);
  if (!choice) {
    const runs = load.plan?.runs ?? [];
    return {
      load: spec,
      objective: load.objective,
      stepMin: 0,
      zone: runZone(load),
      runs,
      energyKwh: (spec.powerKw * load.durationMin) / 60,
      emissionsG: num(load.plan?.expectedEmissionsG),
      baseline: { zone: load.zones[0], runs: [], emissionsG: num(load.plan?.baselineEmissionsG) },
      savings: { emissionsG: Number.NaN, emissionsPct: Number.NaN },
      alternatives: [],
      reason: 'no-data',
      sources: { carbon: 'unknown' },
    };
  }
  const plan: Plan = {
    load: spec,
    objective: choice.objective,
    stepMin: choice.stepMin,
    zone: choice.zone,
    runs: runsOf(choice.runs),
    energyKwh: choice.energyKwh,
    emissionsG: num(choice.emissionsG),
    baseline: {
      zone: choice.baseline.zone,
      runs: runsOf(choice.baseline.runs),
      emissionsG: num(choice.baseline.emissionsG),
      ...(choice.baseline.cost != null ? { cost: choice.baseline.cost } : {}),
    },
    savings: {
      emissionsG: num(choice.savings.emissionsG),
      emissionsPct: num(choice.savings.emissionsPct),
      ...(choice.savings.cost != null ? { cost: choice.savings.cost } : {}),
      ...(choice.savings.costPct != null ? { costPct: choice.savings.costPct } : {}),
    },
    alternatives: ((decision?.alternatives ?? []) as PlanJson['alternatives']).map(
      (a): PlanAlternative => ({
        zone: a.zone,
        runs: runsOf(a.runs),
        emissionsG: num(a.emissionsG),
        ...(a.cost != null ? { cost: a.cost } : {}),
        ...(a.currency ? { currency: a.currency } : {}),
      }),
    ),
    reason: choice.reason,
    sources: choice.sources,
  };
  if (choice.slots) plan.slots = choice.slots.map((s) => Date.parse(s));
  if (choice.cost != null) plan.cost = choice.cost;
  if (choice.currency) plan.currency = choice.currency;
  if (choice.capExceeded) plan.capExceeded = true;
  if (choice.degraded?.length) plan.degraded = choice.degraded;
  return plan;
}

function specOf(load: Load): LoadSpec {
  let objective: Objective = { kind: 'carbon' };
  try {
    objective = parseObjective(load.objective);
  } catch {
    // stored by another version: show it as carbon
  }
  return {
    id: load.id,
    name: load.name,
    durationMin: load.durationMin,
    powerKw: loadPowerKw(load),
    earliestMs: load.earliestMs,
    deadlineMs: load.deadlineMs,
    zones: load.zones,
    objective,
    ...(load.baselineStartMs !== null ? { baselineStartMs: load.baselineStartMs } : {}),
    ...(load.interruptible ? { interruptible: true } : {}),
    ...(load.minPieceMin !== null ? { minPieceMin: load.minPieceMin } : {}),
    ...(load.maxPieces !== null ? { maxPieces: load.maxPieces } : {}),
    ...(load.carbonCapG !== null ? { carbonCapG: load.carbonCapG } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Submit and preview

export async function previewLoad(
  ctx: SchedulerContext,
  raw: LoadInput,
  options: { nowMs?: number } = {},
): Promise<Plan> {
  const input = parseLoadInput(raw);
  const nowMs = options.nowMs ?? ctx.now();
  if (input.recurrence) return previewRecurring(ctx, input, nowMs);
  const { request } = prepareLoad(input, nowMs);
  return (await makePlan(ctx, request, nowMs)).plan;
}

export async function submitLoad(
  ctx: SchedulerContext,
  raw: LoadInput,
  options: { nowMs?: number } = {},
): Promise<SubmitResult> {
  const input = parseLoadInput(raw);
  const nowMs = options.nowMs ?? ctx.now();
  if (input.recurrence) return submitRecurring(ctx, input, nowMs);
  if (input.idempotencyKey) {
    const existing = await getLoadByKey(ctx.store, input.idempotencyKey);
    if (existing) return existingResult(ctx, existing);
  }
  return createPlannedLoad(ctx, prepareLoad(input, nowMs), nowMs);
}

/**
 * Plans, stores (with its `plan` decision, in one transaction) and queues a prepared load. With an
 * idempotency key that is already taken, the existing load is returned with created false.
 */
export async function createPlannedLoad(
  ctx: SchedulerContext,
  prepared: PreparedLoad,
  nowMs: number,
): Promise<SubmitResult> {
  const outcome = await makePlan(ctx, prepared.request, nowMs);
  const { load, created } = await ctx.store.transaction(async (tx) => {
    const made = await createLoad(
      tx,
      {
        ...prepared.newLoad,
        plan: outcome.loadPlan,
        held: outcome.held,
        ...(outcome.holdReason ? { holdReason: outcome.holdReason } : {}),
        queuedAttempt: 1,
      },
      { nowMs },
    );
    if (made.created) {
      await appendDecision(tx, { loadId: made.load.id, kind: 'plan', atMs: nowMs, ...outcome.decision });
    }
    return made;
  });
  if (!created) return existingResult(ctx, load);
  publishState(ctx, load, null, nowMs);
  publishPlanned(ctx, load, outcome.reason, nowMs);
  // after the store transaction: on the embedded store the queue shares the one connection
  const queued = await queueFirstAttempt(ctx, load);
  return {
    load: queued,
    plan: { ...outcome.plan, load: { ...outcome.plan.load, id: load.id } },
    created: true,
  };
}

/** Queues a planned load's first attempt at its planned start and moves it to waiting. */
export async function queueFirstAttempt(ctx: SchedulerContext, load: Load): Promise<Load> {
  const { run } = currentRun(load);
  await queueAttempt(ctx, load, load.queuedAttempt, run.startMs);
  const moved = await moveLoad(ctx.store, load.id, 'planned', 'waiting', {
    expectQueuedAttempt: load.queuedAttempt,
    detail: { event: 'queued', attempt: load.queuedAttempt, startAfter: toIso(run.startMs), held: load.held },
  });
  if (!moved.won) return moved.load ?? load; // a worker started it already
  publishState(ctx, moved.load, 'planned');
  return moved.load;
}

/** A repeated submission: the stored load and its plan. A load a crash left unqueued is queued now. */
async function existingResult(ctx: SchedulerContext, load: Load): Promise<SubmitResult> {
  let current = load;
  if (load.state === 'planned' && load.queuedAttempt > 0) current = await queueFirstAttempt(ctx, load);
  const decision = await lastDecisionOf(ctx.store, load.id);
  return { load: current, plan: planFromDecision(current, decision), created: false };
}
