import type { Run } from '../core/load.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { type Load, moveLoad, requeueLoad } from '../store/loads.ts';
import {
  currentRun,
  logDecision,
  nextAttempt,
  publishState,
  queueAttempt,
  retryDelayMs,
  type SchedulerContext,
} from './context.ts';
import { attemptJobId } from './queue.ts';
import { queueFirstAttempt } from './submit.ts';

/**
 * The steps after an attempt failed, shared by the worker and the planner's repairs: failed, then retried
 * with backoff or given up (dead); and making sure a waiting load has a live attempt in the queue.
 */

/**
 * running -> failed; then a retry after a backoff, or dead when the load's retries are used up. A failure
 * that is not the load's fault (its worker was stopped) is retried at once and not counted. `ran` is what
 * the attempt ran (a command for as long as it ran), kept for the load's accounting.
 */
export async function failAttempt(
  ctx: SchedulerContext,
  load: Load,
  attempt: number,
  detail: Record<string, unknown>,
  nowMs: number,
  counts: boolean,
  ran?: Run,
): Promise<boolean> {
  const failed = await moveLoad(ctx.store, load.id, 'running', 'failed', {
    nowMs,
    expectAttempt: attempt,
    ...(counts ? { failures: 'inc' as const } : {}),
    ...(ran && ran.endMs > ran.startMs ? { appendFailedRuns: [ran] } : {}),
    detail,
  });
  if (!failed.won) return false;
  publishState(ctx, failed.load, 'running', nowMs);
  await retryOrGiveUp(ctx, failed.load, nowMs, counts);
  return true;
}

/**
 * What an attempt lost with its worker ran, as far as anyone knows: from its start (`startedMs`; by default
 * the load's, which is that of its first piece) until the worker was last seen, and no longer than the run
 * it covered.
 */
export function lostRun(load: Load, lastSeenMs: number, startedMs?: number): Run | undefined {
  const startMs = startedMs ?? (load.piece === 0 ? load.startedMs : null);
  if (startMs === null) return undefined;
  const { run } = currentRun(load);
  const plannedMs = load.interruptible ? run.endMs - run.startMs : load.durationMin * MINUTE_MS;
  return { startMs, endMs: Math.max(startMs, Math.min(lastSeenMs, startMs + plannedMs)) };
}

/** A failed load: queued again after the backoff delay, or dead when it failed more than maxRetries times. */
export async function retryOrGiveUp(
  ctx: SchedulerContext,
  load: Load,
  nowMs: number,
  counted = true,
): Promise<void> {
  if (load.failures > load.maxRetries) {
    const dead = await moveLoad(ctx.store, load.id, 'failed', 'dead', {
      nowMs,
      detail: { event: 'dead', failures: load.failures, maxRetries: load.maxRetries },
    });
    if (!dead.won) return;
    publishState(ctx, dead.load, 'failed', nowMs);
    await logDecision(ctx, {
      loadId: load.id,
      kind: 'dead',
      atMs: nowMs,
      inputs: { failures: load.failures, maxRetries: load.maxRetries, lastError: load.lastError },
      choice: { state: 'dead' },
      reason: `failed ${load.failures} time${load.failures === 1 ? '' : 's'}; no retries left`,
    });
    return;
  }
  const delayMs = counted ? retryDelayMs(ctx.settings.retry, load.failures) : 0;
  const attempt = nextAttempt(load);
  const startMs = nowMs + delayMs;
  const waiting = await moveLoad(ctx.store, load.id, 'failed', 'waiting', {
    nowMs,
    setQueuedAttempt: attempt,
    detail: { event: 'retry', attempt, delayMs, startAfter: toIso(startMs), retry: load.failures },
  });
  if (!waiting.won) return;
  publishState(ctx, waiting.load, 'failed', nowMs);
  await queueAttempt(ctx, waiting.load, attempt, startMs);
}

/** Queue states in which an attempt will still be handed to a worker (or is with one). */
const LIVE_JOB_STATES = new Set(['created', 'retry', 'active']);

/**
 * Makes sure a load that a crash may have left between two steps goes on: a planned load is queued, a failed
 * one retried, and a waiting one whose queued attempt is gone (finished without moving the load, dropped
 * after the retention) gets a new attempt, due now. Returns what was done, or null when nothing was needed.
 */
export async function repairLoad(ctx: SchedulerContext, load: Load, nowMs: number): Promise<string | null> {
  if (load.state === 'planned') {
    if (load.queuedAttempt === 0) {
      const requeued = await requeueLoad(ctx.store, load.id, ['planned'], 0, 1, { nowMs });
      if (!requeued) return null;
      await queueFirstAttempt(ctx, requeued);
    } else await queueFirstAttempt(ctx, load);
    return 'queued';
  }
  if (load.state === 'failed') {
    await retryOrGiveUp(ctx, load, nowMs, false);
    return 'retried';
  }
  if (load.state !== 'waiting') return null;
  const { run } = currentRun(load);
  if (load.queuedAttempt > 0) {
    const [job] = await ctx.queue.boss.findJobs(ctx.queue.name, {
      id: attemptJobId(load.id, load.queuedAttempt),
    });
    if (job && LIVE_JOB_STATES.has(job.state)) return null;
    if (!job) {
      await queueAttempt(ctx, load, load.queuedAttempt, Math.max(run.startMs, nowMs));
      return 'queued again';
    }
  }
  const attempt = nextAttempt(load);
  const requeued = await requeueLoad(ctx.store, load.id, ['waiting'], load.queuedAttempt, attempt, { nowMs });
  if (!requeued) return null;
  await queueAttempt(ctx, requeued, attempt, Math.max(run.startMs, nowMs));
  return 'new attempt';
}
