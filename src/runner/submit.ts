import { zoneConfig } from '../core/config.ts';
import type { LoadSpec } from '../core/load.ts';
import type { LoadInput } from '../core/load-input.ts';
import { needsPrice, objectiveName } from '../core/objective.ts';
import type { Grid } from '../core/series.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { type PlanJson, planToJson, whyText } from '../planner/explain.ts';
import type { Plan, PlanAlternative, Run } from '../planner/plan.ts';
import {
  type PlanningRequest,
  planningRange,
  planRequest,
  type RequestOverrides,
  requestFromInput,
  splitLongRuns,
} from '../planner/request.ts';
import type { ZoneSignalsResult } from '../signals/registry.ts';
import { appendDecision, type Decision, lastDecisionOf } from '../store/audit.ts';
import { createLoad, type Load, type LoadPlan, moveLoad, type NewLoad } from '../store/loads.ts';
import {
  carbonMetric,
  currentRun,
  publishPlanned,
  publishState,
  queueAttempt,
  runZone,
  type SchedulerContext,
  tellTarget,
} from './context.ts';
import type { SubmitResult } from './service.ts';

/**
 * A load planned and stored: the checked input as the load to store and its planning request, its signals
 * fetched, the plan made (planner/request.ts), the load stored with the plan and a `plan` decision, its first
 * attempt queued. Also the planning the replanner and recurring loads use.
 */

export interface PreparedLoad {
  newLoad: NewLoad;
  request: PlanningRequest;
}

export interface PrepareOverrides extends RequestOverrides {
  templateId?: string;
  idempotencyKey?: string;
}

/** A checked submission as the load to store and the planning request (see `requestFromInput`). */
export function prepareLoad(input: LoadInput, nowMs: number, overrides: PrepareOverrides = {}): PreparedLoad {
  const request = requestFromInput(input, nowMs, overrides);
  const newLoad: NewLoad = {
    name: input.name,
    tags: input.tags ?? [],
    zones: request.zones,
    cloudRegion: input.region,
    durationMin: request.durationMin,
    powerKw: input.powerKw,
    energyKwh: input.energyKwh,
    earliestMs: request.earliestMs,
    deadlineMs: request.deadlineMs,
    interruptible: request.interruptible,
    objective: request.objective,
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

/** The load's power: its energy spread over its duration when the energy is given (so it is exact), else its power. */
export function loadPowerKw(load: Pick<Load, 'powerKw' | 'energyKwh' | 'durationMin'>): number {
  return load.energyKwh !== null && load.energyKwh !== undefined
    ? load.energyKwh / (load.durationMin / 60)
    : (load.powerKw ?? 0);
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
  const durationMs = req.durationMin * MINUTE_MS;
  const { fromMs, toMs } = planningRange(req, nowMs, step);

  const results = await Promise.all(
    req.zones.map((zone) =>
      ctx.registry.getZoneSignals(zone, {
        fromMs,
        toMs,
        nowMs,
        stepMin: step,
        // prices show the cost of a carbon plan too, but only a price objective needs them
        metrics: [carbonMetric(ctx, zone), 'price'],
        priceRequired: needsPrice(req.objective),
      }),
    ),
  );
  const signals = results.map(signalRecord);
  const usable = results.filter((r) => !r.policy);
  const homePolicy = results[0].policy ?? zoneConfig(ctx.config, req.zones[0]).failurePolicy;
  const hold = usable.length === 0 && homePolicy === 'closed';

  // a zone without signals under the failure policy plans on nothing: the load runs at its baseline there
  const plannerSignals = results.map((r) =>
    r.policy ? { ...r, carbon: emptyGrid(r.carbon), price: undefined } : r,
  );
  // the start is decided again at the next planner run, unless it is due by then
  const nextDecisionMs = nowMs + ctx.settings.plannerIntervalMs + ctx.settings.replan.minLeadMs;
  let plan = planRequest(req, plannerSignals, { nowMs, stepMin: step, nextDecisionMs });

  const degraded = [...(plan.degraded ?? [])];
  for (const r of results) {
    if (!r.policy) continue;
    degraded.push(
      `no signals for ${r.zone} (failure policy ${r.policy})${r.policy === 'open' ? ': planned at its baseline' : ''}`,
    );
  }
  let holdReason: string | null = null;
  if (hold) {
    const start = Math.max(req.earliestMs, nowMs, req.deadlineMs - durationMs);
    holdReason =
      `no signals for ${req.zones.join(', ')} and the failure policy is closed: held until signals return, ` +
      `starting at ${toIso(start)} at the latest so that it meets its deadline`;
    degraded.push(holdReason);
    const { slots: _slots, ...rest } = plan;
    plan = { ...rest, runs: splitLongRuns([{ startMs: start, endMs: start + durationMs }]) };
  }
  if (degraded.length) plan = { ...plan, degraded: [...new Set(degraded)] };
  const runs = plan.runs;

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
        objective: objectiveName(req.objective),
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
      objective: objectiveName(load.objective),
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
  const { objective } = load;
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
  await tellTarget(ctx, 'prepared', moved.load);
  return moved.load;
}

/** A repeated submission: the stored load and its plan. A load a crash left unqueued is queued now. */
export async function existingResult(ctx: SchedulerContext, load: Load): Promise<SubmitResult> {
  let current = load;
  if (load.state === 'planned' && load.queuedAttempt > 0) current = await queueFirstAttempt(ctx, load);
  const decision = await lastDecisionOf(ctx.store, load.id);
  return { load: current, plan: planFromDecision(current, decision), created: false };
}
