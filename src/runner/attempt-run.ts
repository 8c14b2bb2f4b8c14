import type { Run } from '../core/load.ts';
import type { DispatchTargetInput } from '../core/load-input.ts';
import { processStartTicks } from '../core/pid.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { retryWhileUnreachable } from '../store/db.ts';
import { FINAL_STATES, getLoad, type Load, type LoadState, moveLoad, requeueLoad } from '../store/loads.ts';
import { schedulerState } from '../store/scheduler.ts';
import {
  beatWorker,
  endRunningAttempt,
  recordProcessGroup,
  recordRunningAttempt,
  type WorkerIdentity,
} from '../store/workers.ts';
import { failAttempt, lostRun } from './attempts.ts';
import {
  currentRun,
  errorMessage,
  logDecision,
  nextAttempt,
  plannedRuns,
  publishState,
  queueAttempt,
  runZone,
  type SchedulerContext,
  tellTarget,
} from './context.ts';
import {
  type DispatchContext,
  type DispatchOptions,
  type DispatchOutcome,
  type MqttPool,
  runsTheWork,
} from './dispatch/index.ts';
import type { AttemptJob } from './queue.ts';

/**
 * Running one attempt the queue handed out: check that it is still the load's current one, move the load to
 * `running` with a compare-and-set (so an attempt starts exactly once), dispatch it, and record the outcome:
 * succeeded (then accounted), a piece done (the next one queued), or failed (retried with backoff, counted
 * against the load's maxRetries, or given up).
 */

export type DispatchFn = (
  target: DispatchTargetInput,
  ctx: DispatchContext,
  options?: DispatchOptions,
) => Promise<DispatchOutcome>;

export type StopReason = 'cancelled' | 'shutdown' | 'piece_end' | 'expiry' | 'cut_off';

/** An attempt running in this process. */
export interface Running {
  loadId: string;
  stop(reason: StopReason): void;
}

/** What a worker shares with the attempts it runs. */
export interface AttemptRunner {
  ctx: SchedulerContext;
  dispatch: DispatchFn;
  dispatchOptions: Omit<DispatchOptions, 'mqttPool' | 'shellTimeoutMs' | 'openai'> | undefined;
  mqttPool: MqttPool;
  /** attempts running in this process, by load id */
  running: Map<string, Running>;
  /** aborted when a drain's grace period is over: outcomes the database cannot take by then are given up */
  graceOver: AbortSignal;
  me: WorkerIdentity;
  /** the worker's name as decisions and events show it */
  workerName: string;
  /** work that must finish before the store closes (recording an outcome, accounting) */
  track: <T>(p: Promise<T>) => Promise<T>;
  /** re-reads the pause switch */
  syncPause: () => Promise<void>;
}

/** One claimed attempt: the load as it started, the run (piece) it covers and when it started. */
interface Attempt {
  load: Load;
  job: AttemptJob;
  run: Run;
  /** the load's last piece (a load that is not interruptible has only one) */
  last: boolean;
  startedMs: number;
}

/** States a queued attempt may start a load from. */
const STARTABLE: readonly LoadState[] = ['planned', 'waiting', 'failed'];

/** Runs one attempt the queue handed out, unless it is superseded, lost (retried) or held by a pause (deferred). */
export async function runAttempt(r: AttemptRunner, job: AttemptJob): Promise<void> {
  const { ctx } = r;
  const load = await getLoad(ctx.store, job.loadId);
  if (!load || FINAL_STATES.includes(load.state)) return; // cancelled, finished or purged meanwhile
  if (load.state === 'running' && load.attempt === job.attempt) {
    // the queue handed the attempt out again: the worker that had it is gone (killed, cut off) and it expired
    if (r.running.has(load.id)) return; // still running here: let it finish
    await lostAttempt(r, load, job);
    return;
  }
  if (load.queuedAttempt !== job.attempt || !STARTABLE.includes(load.state)) return; // superseded
  if ((await schedulerState(ctx.store)).paused) {
    await defer(r, load, job);
    return;
  }
  const { run, index, last } = currentRun(load);
  const startedMs = ctx.now();
  const moved = await claimAttempt(r, load, job, startedMs);
  if (!moved.won) return; // another worker (or an operator) got there first
  const attempt: Attempt = { load: moved.load, job, run, last, startedMs };
  publishState(ctx, attempt.load, moved.from, startedMs);
  await logDispatch(r, attempt, index);
  await dispatchAttempt(r, attempt);
}

/**
 * waiting -> running, if this attempt is still the load's queued one; recorded as this worker's in the
 * same transaction, so that others know whose it is should this worker be lost.
 */
function claimAttempt(r: AttemptRunner, load: Load, job: AttemptJob, startedMs: number) {
  const { run, index } = currentRun(load);
  return r.ctx.store.transaction(async (tx) => {
    const moved = await moveLoad(tx, load.id, STARTABLE, 'running', {
      nowMs: startedMs,
      expectQueuedAttempt: job.attempt,
      setAttempt: job.attempt,
      detail: {
        event: 'started',
        attempt: job.attempt,
        ...(load.interruptible ? { piece: index + 1, pieces: plannedRuns(load).length } : {}),
        plannedStart: toIso(run.startMs),
        latenessMs: startedMs - run.startMs,
        worker: r.workerName,
      },
    });
    if (moved.won) {
      // a heartbeat now too: what a lost attempt ran is counted up to its worker's last heartbeat
      await beatWorker(tx, r.me);
      await recordRunningAttempt(tx, {
        loadId: load.id,
        attempt: job.attempt,
        worker: r.me.name,
        startedMs,
      });
    }
    return moved;
  });
}

/** The dispatch decision; `index` is the piece's. */
async function logDispatch(r: AttemptRunner, a: Attempt, index: number): Promise<void> {
  const { load, job, run, startedMs } = a;
  await logDecision(r.ctx, {
    loadId: load.id,
    kind: 'dispatch',
    atMs: startedMs,
    inputs: {
      attempt: job.attempt,
      plannedStart: toIso(run.startMs),
      latenessMs: startedMs - run.startMs,
      ...(load.interruptible ? { piece: index + 1 } : {}),
    },
    choice: { target: load.dispatch.kind, zone: runZone(load), worker: r.workerName },
    reason: load.held
      ? 'held load reached the latest start that meets its deadline'
      : 'planned start reached',
  });
}

/** Dispatches a claimed attempt and records its outcome. */
async function dispatchAttempt(r: AttemptRunner, a: Attempt): Promise<void> {
  const { ctx } = r;
  const { load, job, startedMs } = a;
  const stopper = startStopper(r, a);
  let outcome: DispatchOutcome;
  try {
    outcome = await dispatchLoad(r, a, stopper);
  } catch (err) {
    outcome = {
      ok: false,
      durationMs: ctx.now() - startedMs,
      error: `dispatcher failed: ${errorMessage(err)}`,
    };
  } finally {
    stopper.release();
  }
  // a database restart while the load ran must not turn its outcome into a lost attempt (run again)
  await retryWhileUnreachable(() => recordOutcome(r, a, outcome, stopper.reason()), {
    untilMs: startedMs + stopper.expiryMs,
    now: ctx.now,
    signal: r.graceOver,
    onRetry: (err) =>
      ctx.log('warn', 'database unreachable; recording the outcome again', {
        loadId: load.id,
        error: errorMessage(err),
      }),
  });
  await endRunningAttempt(ctx.store, load.id, job.attempt).catch(() => {});
}

/** How a running attempt is stopped: by its worker (drain, cut off, cancel), at its piece's end, or in time. */
interface Stopper {
  signal: AbortSignal;
  /** why the attempt was stopped, if it was */
  reason(): StopReason | undefined;
  /** the queue's expiry of the attempt, ms */
  expiryMs: number;
  /** the attempt is stopped this long after it started, to finish before the queue's expiry, ms */
  limitMs: number;
  /** clears the timers and forgets the attempt */
  release(): void;
}

/** Registers the attempt as running here, with the timers that stop it. */
function startStopper(r: AttemptRunner, { load, job, run, last }: Attempt): Stopper {
  const controller = new AbortController();
  let reason: StopReason | undefined;
  const stop = (why: StopReason) => {
    if (reason) return;
    reason = why;
    controller.abort(new Error(why));
  };
  const timers: NodeJS.Timeout[] = [];
  const onJobAbort = () => stop('shutdown');
  job.signal.addEventListener('abort', onJobAbort, { once: true });
  // finish before the queue's expiry so the outcome is ours to record, not a lost attempt
  const expiryMs = job.expireInSeconds * 1000;
  const safetyMs = Math.min(30_000, Math.max(1000, expiryMs * 0.1));
  const limitMs = Math.max(1000, expiryMs - safetyMs);
  timers.push(setTimeout(() => stop('expiry'), limitMs));
  const pieceMs = run.endMs - run.startMs;
  // a piece other than the last one ends at its planned length; the last runs until the work is done
  if (load.interruptible && !last) timers.push(setTimeout(() => stop('piece_end'), Math.max(0, pieceMs)));
  r.running.set(load.id, { loadId: load.id, stop });
  return {
    signal: controller.signal,
    reason: () => reason,
    expiryMs,
    limitMs,
    release() {
      for (const t of timers) clearTimeout(t);
      job.signal.removeEventListener('abort', onJobAbort);
      r.running.delete(load.id);
    },
  };
}

/** Hands the load to its dispatcher, for the attempt's piece and time. */
function dispatchLoad(r: AttemptRunner, a: Attempt, stopper: Stopper): Promise<DispatchOutcome> {
  const { load, job, run, last, startedMs } = a;
  const pieceMs = run.endMs - run.startMs;
  return r.dispatch(
    load.dispatch as DispatchTargetInput,
    {
      loadId: load.id,
      attempt: job.attempt,
      name: load.name,
      plannedStartMs: run.startMs,
      deadlineMs: load.interruptible && !last ? startedMs + pieceMs : load.deadlineMs,
      zone: runZone(load),
      ...(load.interruptible
        ? {
            piece: {
              index: currentRun(load).index,
              count: plannedRuns(load).length,
              loadDeadlineMs: load.deadlineMs,
            },
          }
        : {}),
      signal: stopper.signal,
      onProcessGroup: (pgid) => void recordGroup(r, load.id, job.attempt, pgid),
    },
    {
      ...r.dispatchOptions,
      mqttPool: r.mqttPool,
      shellTimeoutMs: stopper.limitMs,
      openai: { store: r.ctx.store, registry: r.ctx.registry, config: r.ctx.config, nowMs: r.ctx.now },
    },
  );
}

/** Records a command's process group, so that a worker restarted on this machine can end it. */
function recordGroup(r: AttemptRunner, loadId: string, attempt: number, pgid: number): Promise<void> {
  const { ctx } = r;
  const startedTicks = processStartTicks(pgid);
  return r.track(
    recordProcessGroup(ctx.store, { loadId, attempt, worker: r.me.name, pgid, startedTicks }).catch((err) =>
      ctx.log('warn', 'could not record the process group of a command', {
        loadId,
        error: errorMessage(err),
      }),
    ),
  );
}

/** Records what came of an attempt: a piece done, succeeded, or failed. */
async function recordOutcome(
  r: AttemptRunner,
  a: Attempt,
  outcome: DispatchOutcome,
  reason: StopReason | undefined,
): Promise<void> {
  const { load, job, last } = a;
  const endedMs = r.ctx.now();
  if (reason === 'cancelled') return; // the operator's cancel already moved the load
  const ended: Ended = {
    endedMs,
    detail: outcomeDetail(outcome, job.attempt),
    actual: actualRun(a, endedMs),
  };
  const pieceDone =
    load.interruptible && !last && (reason === 'piece_end' || (outcome.ok && !runsTheWork(load.dispatch)));
  if (pieceDone) {
    await nextPiece(r, a, ended);
    return;
  }
  // a dispatch that reports success succeeded, even if a stop request came in as it finished
  if (outcome.ok) {
    await recordSuccess(r, a, ended);
    return;
  }
  await recordFailure(r, a, ended, failure(job, outcome, reason), reason);
}

/** An attempt's end: when, the outcome's detail for the load's event, and what ran. */
interface Ended {
  endedMs: number;
  detail: Record<string, unknown>;
  actual: Run;
}

/** What ran: a command or a Job for as long as it ran; a start signal (webhook, MQTT, none) for the planned length. */
function actualRun({ load, run, startedMs }: Attempt, endedMs: number): Run {
  const ranMs = runsTheWork(load.dispatch)
    ? Math.max(0, endedMs - startedMs)
    : load.interruptible
      ? run.endMs - run.startMs
      : load.durationMin * MINUTE_MS;
  return { startMs: startedMs, endMs: startedMs + ranMs };
}

/** running -> succeeded, then accounted. */
async function recordSuccess(
  r: AttemptRunner,
  { load, job }: Attempt,
  { endedMs, detail, actual }: Ended,
): Promise<void> {
  const { ctx, track } = r;
  const done = await moveLoad(ctx.store, load.id, 'running', 'succeeded', {
    nowMs: endedMs,
    expectAttempt: job.attempt,
    appendRuns: [actual],
    detail: { ...detail, event: 'succeeded' },
  });
  if (!done.won) return;
  publishState(ctx, done.load, 'running', endedMs);
  // accounting asks providers for measured values: not part of the attempt's time in the queue
  void track(
    ctx.accounting
      .account(done.load)
      .catch((err) =>
        ctx.log('warn', 'could not account a load', { loadId: load.id, error: errorMessage(err) }),
      ),
  );
}

/** Why an attempt failed, as its event says. */
function failure(job: AttemptJob, outcome: DispatchOutcome, reason: StopReason | undefined): string {
  return reason === 'shutdown'
    ? 'worker stopped before the load finished'
    : reason === 'expiry'
      ? `ran longer than its attempt may (${job.expireInSeconds} s): stopped`
      : reason === 'cut_off'
        ? 'worker cut off from the database: stopped, to be retried by another worker'
        : (outcome.error ?? 'dispatch failed');
}

/** running -> failed, then retried; a failure of the worker (stopped, cut off) does not count against the load. */
async function recordFailure(
  r: AttemptRunner,
  { load, job }: Attempt,
  { endedMs, detail, actual }: Ended,
  error: string,
  reason: StopReason | undefined,
): Promise<void> {
  await failAttempt(
    r.ctx,
    load,
    job.attempt,
    { ...detail, event: 'failed', error },
    endedMs,
    reason !== 'shutdown' && reason !== 'cut_off',
    // a command used energy for as long as it ran; a start signal that failed started nothing
    runsTheWork(load.dispatch) ? actual : undefined,
  );
}

/** Records a piece as done and queues the next one at its planned start. */
async function nextPiece(
  r: AttemptRunner,
  { load, job }: Attempt,
  { endedMs: nowMs, detail, actual }: Ended,
): Promise<void> {
  const { ctx } = r;
  const attempt = nextAttempt(load);
  const next = plannedRuns(load)[load.piece + 1];
  const moved = await moveLoad(ctx.store, load.id, 'running', 'waiting', {
    nowMs,
    expectAttempt: job.attempt,
    appendRuns: [actual],
    setPiece: load.piece + 1,
    setQueuedAttempt: attempt,
    ...(next ? { setPlannedStartMs: next.startMs } : {}),
    detail: { ...detail, event: 'piece_done' },
  });
  if (!moved.won) return;
  publishState(ctx, moved.load, 'running', nowMs);
  const { run } = currentRun(moved.load);
  await queueAttempt(ctx, moved.load, attempt, Math.max(run.startMs, nowMs));
  await tellTarget(ctx, 'moved', moved.load);
}

/** The attempt's worker disappeared mid-run: failed as 'worker lost', then retried like any failure. */
async function lostAttempt({ ctx }: AttemptRunner, load: Load, job: AttemptJob): Promise<void> {
  await failAttempt(
    ctx,
    load,
    job.attempt,
    {
      event: 'failed',
      error: 'worker lost',
      attempt: job.attempt,
      detail: 'the attempt expired without an outcome',
    },
    ctx.now(),
    true,
    lostRun(load, ctx.now()),
  );
}

/** A paused scheduler holds loads: an attempt taken anyway is queued again for later (resume releases it). */
async function defer(r: AttemptRunner, load: Load, job: AttemptJob): Promise<void> {
  const { ctx } = r;
  const nowMs = ctx.now();
  const attempt = nextAttempt(load);
  const requeued = await requeueLoad(ctx.store, load.id, STARTABLE, job.attempt, attempt, { nowMs });
  if (!requeued) return;
  await queueAttempt(ctx, requeued, attempt, nowMs + ctx.settings.pauseDeferMs);
  void r.syncPause();
}

function outcomeDetail(o: DispatchOutcome, attempt: number): Record<string, unknown> {
  const d: Record<string, unknown> = { attempt, ok: o.ok, durationMs: o.durationMs };
  if (o.exitCode !== undefined) d.exitCode = o.exitCode;
  if (o.signal) d.signal = o.signal;
  if (o.status !== undefined) d.status = o.status;
  if (o.ref) d.ref = o.ref;
  if (o.outputTail) d.outputTail = o.outputTail;
  if (o.timedOut) d.timedOut = true;
  if (o.aborted) d.aborted = true;
  if (o.error && !o.ok) d.dispatchError = o.error;
  return d;
}
