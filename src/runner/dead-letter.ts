import { FINAL_STATES, getLoad, moveLoad } from '../store/loads.ts';
import { logDecision, publishState, type SchedulerContext } from './context.ts';
import type { DeadAttempt } from './queue.ts';

/** An attempt the queue gave up on (dead-lettered): its load, if that attempt is still its current one, is dead. */
export async function handleDeadLetter(ctx: SchedulerContext, job: DeadAttempt): Promise<void> {
  const load = await getLoad(ctx.store, job.loadId);
  if (!load || FINAL_STATES.includes(load.state)) return;
  const current =
    load.queuedAttempt === job.attempt || (load.state === 'running' && load.attempt === job.attempt);
  if (!current) return; // the load moved on to another attempt
  const nowMs = ctx.now();
  const error = `the queue gave up on attempt ${job.attempt} after ${job.retryCount + 1} tries: ${summarise(job.error)}`;
  const dead = await moveLoad(ctx.store, load.id, load.state, 'dead', {
    nowMs,
    detail: { event: 'dead_letter', attempt: job.attempt, error },
  });
  if (!dead.won) return;
  publishState(ctx, dead.load, dead.from, nowMs);
  await logDecision(ctx, {
    loadId: load.id,
    kind: 'dead',
    atMs: nowMs,
    inputs: { attempt: job.attempt, retryCount: job.retryCount },
    choice: { state: 'dead' },
    reason: error,
  });
}

function summarise(error: unknown): string {
  if (error == null) return 'no error recorded';
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  const text = JSON.stringify(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
