import { MINUTE_MS, toIso } from '../core/time.ts';
import {
  dueLoads,
  FINAL_STATES,
  getLoad,
  type Load,
  type LoadPlan,
  moveLoad,
  purgeLoads,
  replanLoad,
  requeueLoad,
} from '../store/loads.ts';
import { pauseScheduler, resumeScheduler } from '../store/scheduler.ts';
import {
  errorMessage,
  logDecision,
  nextAttempt,
  publishPlanned,
  publishState,
  queueAttempt,
  runZone,
  type SchedulerContext,
  tellTarget,
} from './context.ts';
import { ConflictError, NotFoundError } from './errors.ts';

/**
 * What operators do to loads and to the scheduler: cancel, run now, retry a dead load, purge old loads,
 * pause and resume. Each is a compare-and-set on the load's state, then the queue is told, then the event
 * and the decision follow. Refusals are ConflictError (wrong state) or NotFoundError.
 */

async function mustGet(ctx: SchedulerContext, id: string): Promise<Load> {
  const load = await getLoad(ctx.store, id);
  if (!load) throw new NotFoundError('load', id);
  return load;
}

function refuseFinal(load: Load, action: string): void {
  if (FINAL_STATES.includes(load.state)) {
    throw new ConflictError(`cannot ${action} load ${load.id}: it is already ${load.state}`, load.state);
  }
}

/** Cancels a load that has not finished; a running one is stopped (its worker aborts the dispatch). */
export async function cancelLoad(ctx: SchedulerContext, id: string, reason?: string): Promise<Load> {
  for (let tries = 0; tries < 3; tries++) {
    const load = await mustGet(ctx, id);
    refuseFinal(load, 'cancel');
    const nowMs = ctx.now();
    const moved = await moveLoad(ctx.store, id, load.state, 'cancelled', {
      nowMs,
      detail: { event: 'cancelled', ...(reason ? { reason } : {}) },
    });
    if (!moved.won) continue; // it moved on meanwhile: look again
    await ctx.queue.cancelAttempt(id, load.queuedAttempt).catch((err) => {
      ctx.log('warn', 'could not cancel the queued attempt of a cancelled load', {
        loadId: id,
        error: errorMessage(err),
      });
    });
    publishState(ctx, moved.load, moved.from, nowMs);
    await tellTarget(ctx, 'cancelled', moved.load);
    await logDecision(ctx, {
      loadId: id,
      kind: 'cancel',
      atMs: nowMs,
      inputs: { state: moved.from, attempt: load.attempt },
      choice: { state: 'cancelled' },
      reason: reason ?? 'cancelled by an operator',
    });
    return moved.load;
  }
  throw new ConflictError(`cannot cancel load ${id}: its state keeps changing`);
}

/**
 * Runs a load that has not started as soon as a worker takes it (a paused scheduler runs it on resume).
 * The rest of its plan is replaced by one run from now; an interruptible load in the middle of its pieces
 * starts its next piece now.
 */
export async function runLoadNow(ctx: SchedulerContext, id: string): Promise<Load> {
  const load = await mustGet(ctx, id);
  refuseFinal(load, 'run now');
  if (load.state === 'running') throw new ConflictError(`load ${id} is already running`, load.state);
  const nowMs = ctx.now();
  let current = load;
  if (load.piece === 0) {
    const plan: LoadPlan = {
      zone: runZone(load),
      runs: [{ startMs: nowMs, endMs: nowMs + load.durationMin * MINUTE_MS }],
      baselineEmissionsG: load.plan?.baselineEmissionsG ?? null,
      baselineCost: load.plan?.baselineCost ?? null,
      currency: load.plan?.currency ?? null,
    };
    const updated = await replanLoad(ctx.store, id, plan, {
      nowMs,
      states: ['planned', 'waiting', 'failed'],
      held: false,
      expectQueuedAttempt: load.queuedAttempt,
    });
    if (!updated) {
      const again = await mustGet(ctx, id);
      throw new ConflictError(`cannot run load ${id} now: it is ${again.state}`, again.state);
    }
    current = updated;
  }
  let moved = load.queuedAttempt > 0 && (await ctx.queue.rescheduleAttempt(id, load.queuedAttempt, nowMs));
  if (!moved) {
    // no waiting attempt to move (never queued, or already taken by a worker): queue a fresh one
    const attempt = nextAttempt(current);
    const requeued = await requeueLoad(
      ctx.store,
      id,
      ['planned', 'waiting', 'failed'],
      current.queuedAttempt,
      attempt,
      { nowMs },
    );
    if (!requeued) {
      const again = await mustGet(ctx, id);
      throw new ConflictError(`cannot run load ${id} now: it is ${again.state}`, again.state);
    }
    await queueAttempt(ctx, requeued, attempt, nowMs);
    current = requeued;
    moved = true;
  }
  if (current.state === 'planned') {
    const w = await moveLoad(ctx.store, id, 'planned', 'waiting', {
      nowMs,
      expectQueuedAttempt: current.queuedAttempt,
      detail: { event: 'queued', attempt: current.queuedAttempt, startAfter: toIso(nowMs), runNow: true },
    });
    if (w.won) {
      current = w.load;
      publishState(ctx, w.load, 'planned', nowMs);
    }
  }
  publishPlanned(ctx, current, 'run now by an operator', nowMs);
  await tellTarget(ctx, 'moved', current);
  await logDecision(ctx, {
    loadId: id,
    kind: 'run_now',
    atMs: nowMs,
    inputs: {
      state: load.state,
      plannedStart: load.plannedStartMs === null ? null : toIso(load.plannedStartMs),
    },
    choice: { start: toIso(nowMs), attempt: current.queuedAttempt },
    reason: 'run now by an operator',
  });
  return (await getLoad(ctx.store, id)) ?? current;
}

/** Gives a dead load a new attempt now, with its failure count reset. */
export async function retryLoad(ctx: SchedulerContext, id: string): Promise<Load> {
  const load = await mustGet(ctx, id);
  if (load.state !== 'dead') {
    const why =
      load.state === 'failed'
        ? 'it failed and is already being retried'
        : `only dead loads are retried, and it is ${load.state}`;
    throw new ConflictError(`cannot retry load ${id}: ${why}`, load.state);
  }
  const nowMs = ctx.now();
  const attempt = nextAttempt(load);
  const moved = await moveLoad(ctx.store, id, 'dead', 'waiting', {
    nowMs,
    setQueuedAttempt: attempt,
    failures: 'reset',
    detail: { event: 'retry', attempt, by: 'operator' },
  });
  if (!moved.won) {
    throw new ConflictError(
      `cannot retry load ${id}: it is ${moved.load?.state ?? 'gone'}`,
      moved.load?.state,
    );
  }
  let current = moved.load;
  if (current.piece === 0) {
    current =
      (await replanLoad(
        ctx.store,
        id,
        {
          zone: runZone(current),
          runs: [{ startMs: nowMs, endMs: nowMs + current.durationMin * MINUTE_MS }],
          baselineEmissionsG: current.plan?.baselineEmissionsG ?? null,
          baselineCost: current.plan?.baselineCost ?? null,
          currency: current.plan?.currency ?? null,
        },
        { nowMs, states: ['waiting'], held: false },
      )) ?? current;
  }
  await queueAttempt(ctx, current, attempt, nowMs);
  publishState(ctx, current, 'dead', nowMs);
  await logDecision(ctx, {
    loadId: id,
    kind: 'retry',
    atMs: nowMs,
    inputs: { lastError: load.lastError, failures: load.failures, attempt: load.attempt },
    choice: { attempt, start: toIso(nowMs) },
    reason: 'dead load retried by an operator',
  });
  return current;
}

/** Deletes finished loads last changed before the cutoff; their decisions and accounting are kept. */
export async function purgeOld(ctx: SchedulerContext, olderThanMs: number): Promise<number> {
  const count = await purgeLoads(ctx.store, olderThanMs);
  if (count > 0) {
    await logDecision(ctx, {
      kind: 'purge',
      inputs: { olderThan: toIso(olderThanMs) },
      choice: { deleted: count },
      reason: `purged ${count} finished load${count === 1 ? '' : 's'}`,
    });
  }
  return count;
}

export async function pause(ctx: SchedulerContext, reason?: string): Promise<void> {
  const nowMs = ctx.now();
  await pauseScheduler(ctx.store, { reason, nowMs });
  ctx.bus.broadcast({ type: 'paused' });
  await logDecision(ctx, {
    kind: 'pause',
    atMs: nowMs,
    inputs: {},
    choice: { paused: true },
    reason: reason ?? 'paused by an operator',
  });
}

/** Resumes dispatching; attempts that became due (or were deferred) while paused are released at once. */
export async function resume(ctx: SchedulerContext): Promise<void> {
  const nowMs = ctx.now();
  await resumeScheduler(ctx.store, { nowMs });
  ctx.bus.broadcast({ type: 'resumed' });
  for (const load of await dueLoads(ctx.store, nowMs)) {
    await ctx.queue.rescheduleAttempt(load.id, load.queuedAttempt, nowMs).catch(() => false);
  }
  await logDecision(ctx, {
    kind: 'resume',
    atMs: nowMs,
    inputs: {},
    choice: { paused: false },
    reason: 'resumed by an operator',
  });
}
