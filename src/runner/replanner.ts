import { type Footprint, footprintOnGrid } from '../accounting/emissions.ts';
import { formatCurrency, formatMass, formatPct } from '../core/format.ts';
import type { Run } from '../core/load.ts';
import type { Grid } from '../core/series.ts';
import { floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import type { PlanningRequest } from '../planner/request.ts';
import { isBestNow, isCleanNow } from '../signals/quality.ts';
import { appendDecision } from '../store/audit.ts';
import {
  activeZones,
  type Load,
  type LoadPlan,
  replanCandidates,
  replanLoad,
  staleLoads,
} from '../store/loads.ts';
import {
  recordPlannerRun,
  saveZoneSignalState,
  schedulerState,
  withPlannerLock,
  zoneSignalState,
} from '../store/scheduler.ts';
import { repairLoad } from './attempts.ts';
import {
  carbonMetric,
  errorMessage,
  plannedRuns,
  publishPlanned,
  runZone,
  type SchedulerContext,
  tellTarget,
} from './context.ts';
import { materialiseRecurring } from './recurring.ts';
import type { ReplanSummary } from './service.ts';
import { loadPowerKw, makePlan, type PlanOutcome, requestFromLoad, type SignalRecord } from './submit.ts';

/**
 * The planner run: one at a time across every process sharing the store. In order it
 * 1. refreshes each watched zone's signals, publishing `signal.update` and the `window.clean_started` /
 *    `window.best_now` transitions;
 * 2. repairs loads a crash left between two steps;
 * 3. makes the due occurrences of recurring loads;
 * 4. replans waiting loads whose planned start is ahead, moving those the new forecast improves enough
 *    (never past their deadline), and plans held loads whose signals came back;
 * 5. re-accounts recent loads accounted on forecasts;
 * and stamps the run (lastPlannerRun, nextPlannerRun).
 */

export async function runPlanner(
  ctx: SchedulerContext,
  options: { nowMs?: number } = {},
): Promise<ReplanSummary> {
  const startedMs = options.nowMs ?? ctx.now();
  const skipped = (why: string): ReplanSummary => ({
    ran: false,
    skipped: why,
    considered: 0,
    moved: 0,
    held: 0,
    startedMs,
    finishedMs: ctx.now(),
  });
  if ((await schedulerState(ctx.store)).paused) return skipped('the scheduler is paused');
  const result = await withPlannerLock(ctx.store, async () => {
    await refreshSignals(ctx, startedMs).catch((err) =>
      ctx.log('warn', 'signal refresh failed', { error: errorMessage(err) }),
    );
    await repairStale(ctx, startedMs);
    await materialiseRecurring(ctx, startedMs);
    const counts = await replanWaiting(ctx, startedMs);
    await ctx.accounting
      .reaccountForecasts(startedMs)
      .catch((err) => ctx.log('warn', 're-accounting failed', { error: errorMessage(err) }));
    const finishedMs = options.nowMs ?? ctx.now();
    await recordPlannerRun(ctx.store, startedMs, startedMs + ctx.settings.plannerIntervalMs, {
      nowMs: finishedMs,
    });
    return { ran: true, ...counts, startedMs, finishedMs };
  });
  return result.ran ? result.value : skipped(result.reason);
}

async function repairStale(ctx: SchedulerContext, nowMs: number): Promise<void> {
  for (const load of await staleLoads(ctx.store, nowMs - ctx.settings.repairAfterMs)) {
    try {
      const done = await repairLoad(ctx, load, nowMs);
      if (done) ctx.log('info', `repaired a load left between two steps: ${done}`, { loadId: load.id });
    } catch (err) {
      ctx.log('warn', 'could not repair a load', { loadId: load.id, error: errorMessage(err) });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Replanning

async function replanWaiting(
  ctx: SchedulerContext,
  nowMs: number,
): Promise<{ considered: number; moved: number; held: number }> {
  let considered = 0;
  let moved = 0;
  let held = 0;
  for (const load of await replanCandidates(ctx.store, nowMs + ctx.settings.replan.minLeadMs)) {
    considered++;
    try {
      const outcome = await replanOne(ctx, load, nowMs);
      if (outcome === 'moved') moved++;
      else if (outcome === 'held') held++;
    } catch (err) {
      ctx.log('warn', 'could not replan a load', { loadId: load.id, error: errorMessage(err) });
    }
  }
  return { considered, moved, held };
}

type ReplanOutcome = 'moved' | 'kept' | 'held';

/**
 * Replans one waiting load; moves it (queue first, then the store) when the new plan is better enough. An
 * interruptible load that has run some pieces is replanned for the time it has left, in the zone it runs in;
 * the pieces it ran stay in its plan.
 */
export async function replanOne(ctx: SchedulerContext, load: Load, nowMs: number): Promise<ReplanOutcome> {
  const piece = load.piece;
  const req = piece > 0 ? remainderRequest(load, nowMs) : requestFromLoad(load);
  if (!(req.durationMin > 0)) return 'kept';
  if (Math.max(nowMs, req.earliestMs) + req.durationMin * MINUTE_MS > load.deadlineMs)
    return load.held ? 'held' : 'kept';
  const outcome = await makePlan(ctx, req, nowMs);
  if (outcome.held) {
    // no signals: a held load stays held; a planned one keeps the plan it got from real data
    return load.held ? 'held' : 'kept';
  }
  const newRuns = outcome.loadPlan.runs;
  const oldRuns = plannedRuns(load).slice(piece);
  if (sameRuns(newRuns, oldRuns) && load.plan?.zone === outcome.loadPlan.zone && !load.held) return 'kept';
  const gain = load.held ? null : improvement(ctx, load, outcome, oldRuns);
  // the stopping rule waiting is a reason on its own: on the expected values waiting looks no better
  const waits = outcome.plan.reason === 'waits-for-better';
  if (gain && !gain.enough && !waits) return 'kept';
  const plan = piece > 0 && gain ? continuedPlan(load, outcome, gain) : outcome.loadPlan;

  const newStart = Math.min(...newRuns.map((r) => r.startMs));
  // the queue first: if the attempt is no longer waiting there (a worker has it), the load is not moved
  const rescheduled = await ctx.queue.rescheduleAttempt(load.id, load.queuedAttempt, newStart);
  if (!rescheduled) return 'kept';
  const updated = await replanLoad(ctx.store, load.id, plan, {
    nowMs,
    states: ['waiting'],
    held: false,
    expectQueuedAttempt: load.queuedAttempt,
    piece,
  });
  if (!updated) return 'kept';
  const reason = load.held
    ? `signals are back: ${outcome.reason}`
    : waits
      ? `waits for a cleaner window: ${outcome.reason}`
      : `the forecast changed: ${gain?.text ?? 'a better plan'}; ${outcome.reason}`;
  await appendDecision(ctx.store, {
    loadId: load.id,
    kind: 'replan',
    atMs: nowMs,
    inputs: {
      ...(outcome.decision.inputs as Record<string, unknown>),
      previous: {
        zone: load.plan?.zone ?? null,
        runs: oldRuns.map((r) => ({ start: toIso(r.startMs), end: toIso(r.endMs) })),
        held: load.held,
        ...(gain ? { now: gain.current, new: gain.next } : {}),
      },
    },
    choice: outcome.decision.choice,
    alternatives: outcome.decision.alternatives,
    reason,
  });
  publishPlanned(ctx, updated, reason, nowMs);
  await tellTarget(ctx, 'moved', updated);
  return 'moved';
}

/** What an interruptible load that has run `load.piece` pieces has left: its time, from now, where it runs. */
function remainderRequest(load: Load, nowMs: number): PlanningRequest {
  const ranMin = load.actualRuns.reduce((s, r) => s + (r.endMs - r.startMs), 0) / MINUTE_MS;
  const full = requestFromLoad(load);
  return {
    ...full,
    zones: [load.plan?.zone ?? runZone(load)],
    durationMin: load.durationMin - ranMin,
    earliestMs: Math.max(nowMs, load.earliestMs),
    baselineStartMs: Math.max(nowMs, load.earliestMs),
    ...(load.maxPieces !== null ? { maxPieces: Math.max(1, load.maxPieces - load.piece) } : {}),
  };
}

/**
 * The whole plan of a load that has run some pieces: those runs, then the new ones; its expected emissions
 * and cost changed by what the move gains (both valued on the new forecast); its run-now baseline unchanged.
 */
function continuedPlan(load: Load, outcome: PlanOutcome, gain: Gain): LoadPlan {
  const old = load.plan;
  const shift = (before: number | null | undefined, from: number | null, to: number | null) =>
    before !== null && before !== undefined && from !== null && to !== null && Number.isFinite(from - to)
      ? before - from + to
      : null;
  return {
    zone: outcome.loadPlan.zone,
    runs: [...plannedRuns(load).slice(0, load.piece), ...outcome.loadPlan.runs],
    expectedEmissionsG: shift(old?.expectedEmissionsG, gain.current.emissionsG, gain.next.emissionsG),
    expectedCost: shift(old?.expectedCost, gain.current.cost, gain.next.cost),
    baselineEmissionsG: old?.baselineEmissionsG ?? null,
    baselineCost: old?.baselineCost ?? null,
    currency: old?.currency ?? null,
  };
}

function sameRuns(a: { startMs: number; endMs: number }[], b: { startMs: number; endMs: number }[]): boolean {
  return a.length === b.length && a.every((r, i) => r.startMs === b[i].startMs && r.endMs === b[i].endMs);
}

interface Gain {
  enough: boolean;
  text: string;
  current: { emissionsG: number; cost: number | null };
  next: { emissionsG: number; cost: number | null };
}

/**
 * How much the new plan gains over the current one, both valued on the new forecast, by the load's objective:
 * carbon in grams and percent, cost in money and percent, weighted objectives by their weighted percentage.
 */
function improvement(ctx: SchedulerContext, load: Load, outcome: PlanOutcome, currentRuns: Run[]): Gain {
  const t = ctx.settings.replan;
  const power = loadPowerKw(load);
  const value = (zone: string, runs: { startMs: number; endMs: number }[]) => {
    const rec = outcome.signals.find((s) => s.zone === zone);
    if (!rec) return { emissionsG: Number.NaN, cost: null };
    const fp: Footprint = footprintOnGrid(runs, power, gridsOf(rec));
    const emissionsG = fp.missingCarbonKwh > 1e-9 ? Number.NaN : fp.emissionsG;
    const cost = fp.cost !== undefined && !(fp.missingPriceKwh ?? 0) ? fp.cost : null;
    return { emissionsG, cost };
  };
  const current = value(load.plan?.zone ?? load.zones[0], currentRuns);
  const next = value(outcome.loadPlan.zone, outcome.loadPlan.runs);
  if (!Number.isFinite(next.emissionsG)) return { enough: false, text: 'no better plan', current, next };
  if (!Number.isFinite(current.emissionsG)) {
    return { enough: true, text: 'the current plan has no signal values now', current, next };
  }
  const pct = (saved: number, of: number) => (of === 0 ? 0 : (100 * saved) / Math.abs(of));
  const savedG = current.emissionsG - next.emissionsG;
  const savedCost = current.cost !== null && next.cost !== null ? current.cost - next.cost : null;
  const { objective } = load;
  let enough: boolean;
  let text: string;
  if (objective.kind === 'carbon') {
    const p = pct(savedG, current.emissionsG);
    enough = savedG > 0 && (savedG >= t.minGainG || p >= t.minGainPct);
    text = `saves ${formatMass(savedG)} (${formatPct(p)}) more`;
  } else if (objective.kind === 'cost') {
    if (savedCost === null) return { enough: false, text: 'no prices', current, next };
    const p = pct(savedCost, current.cost as number);
    enough = savedCost > 0 && (savedCost >= t.minGainCost || p >= t.minGainPct);
    text = `costs ${formatCurrency(savedCost, undefined)} (${formatPct(p)}) less`;
  } else {
    const pc = pct(savedG, current.emissionsG);
    const pp = savedCost !== null ? pct(savedCost, current.cost as number) : 0;
    const w = objective.carbonWeight + objective.costWeight;
    const p = w > 0 ? (objective.carbonWeight * pc + objective.costWeight * pp) / w : 0;
    enough = p > 0 && p >= t.minGainPct;
    text = `scores ${formatPct(p)} better (carbon ${formatPct(pc)}, cost ${formatPct(pp)})`;
  }
  return { enough, text, current, next };
}

function gridsOf(rec: SignalRecord): { carbon: Grid; price?: Grid; currency?: string } {
  const grid = (vals: (number | null)[]): Grid => ({
    startMs: rec.startMs,
    stepMin: rec.stepMin,
    values: Float64Array.from(vals, (v) => (v === null ? Number.NaN : v)),
  });
  return {
    carbon: grid(rec.carbon),
    ...(rec.price ? { price: grid(rec.price), ...(rec.currency ? { currency: rec.currency } : {}) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Signal refresh and window events

/**
 * Reads each watched zone's signals for the coming horizon and publishes `signal.update`; a zone whose carbon
 * turned clean (isCleanNow flips to true) gets `window.clean_started`, one whose current slot became the
 * cleanest and cheapest of the horizon gets `window.best_now`. The last reading per zone is stored, so a
 * transition is reported once whichever process runs the planner. "Best now" needs a horizon that varies:
 * on a flat forecast no slot is better than another.
 */
export async function refreshSignals(ctx: SchedulerContext, nowMs: number): Promise<void> {
  const zones = new Set([...(await activeZones(ctx.store)), ...ctx.settings.watchZones]);
  const step = ctx.settings.stepMin;
  const at = toIso(nowMs);
  for (const zone of zones) {
    let signals: Awaited<ReturnType<typeof ctx.registry.getZoneSignals>>;
    try {
      signals = await ctx.registry.getZoneSignals(zone, {
        fromMs: floorToStep(nowMs, step),
        toMs: nowMs + ctx.settings.signalHorizonMs,
        nowMs,
        stepMin: step,
        metrics: [carbonMetric(ctx, zone), 'price'],
      });
    } catch (err) {
      ctx.log('warn', 'could not refresh signals', { zone, error: errorMessage(err) });
      continue;
    }
    const carbonValues = signals.carbon.values;
    const priceValues = signals.price?.values;
    const carbon = finiteOrNull(carbonValues[0]);
    const price = finiteOrNull(priceValues?.[0]);
    ctx.bus.publish({ type: 'signal.update', at, zone, carbon, price, source: signals.carbonSource });
    const clean = carbon !== null && isCleanNow(carbon, carbonValues.subarray(1)).clean;
    const bestNow = carbon !== null && isBestNow(carbon, carbonValues, price ?? undefined, priceValues);
    const before = await zoneSignalState(ctx.store, zone);
    if (clean && !before?.clean) ctx.bus.publish({ type: 'window.clean_started', at, zone, carbon, price });
    if (bestNow && !before?.bestNow) ctx.bus.publish({ type: 'window.best_now', at, zone, carbon, price });
    await saveZoneSignalState(ctx.store, {
      zone,
      carbon,
      price,
      currency: signals.currency ?? null,
      source: signals.carbonSource,
      clean,
      bestNow,
      updatedMs: nowMs,
    });
  }
}

const finiteOrNull = (v: number | undefined): number | null =>
  v !== undefined && Number.isFinite(v) ? v : null;
