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
  removeWorker,
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
} from './context.ts';
import {
  type DispatchContext,
  type DispatchOptions,
  type DispatchOutcome,
  MqttPool,
  dispatch as realDispatch,
} from './dispatch/index.ts';
import {
  DEFAULT_HEARTBEAT,
  type Heartbeat,
  type HeartbeatSettings,
  recoverLostWork,
  startHeartbeat,
  workerIdentity,
  workerLabel,
} from './lost-workers.ts';
import type { AttemptJob, DeadAttempt } from './queue.ts';

/**
 * The worker: runs the attempts the queue hands out. For each one it checks that the attempt is still the
 * load's current one, moves the load to `running` with a compare-and-set (so an attempt starts exactly once),
 * dispatches it, records the outcome, and then retries (own rescheduling with backoff, counted against the
 * load's maxRetries), moves to the next piece, or finishes and accounts the load.
 */

export type DispatchFn = (
  target: DispatchTargetInput,
  ctx: DispatchContext,
  options?: DispatchOptions,
) => Promise<DispatchOutcome>;

export interface WorkerOptions {
  /** attempts run at the same time in this process (default 4) */
  concurrency?: number;
  /** replaces the dispatcher (embedding; tests use the real one) */
  dispatch?: DispatchFn;
  /** how often the pause switch is checked besides the notifications, ms (default 5 s) */
  pausePollMs?: number;
  /** passed to the dispatcher (environment, timeouts) */
  dispatchOptions?: Omit<DispatchOptions, 'mqttPool' | 'shellTimeoutMs'>;
  /** how often the worker renews its heartbeat and looks for lost workers, ms (default 5 s) */
  heartbeatMs?: number;
  /** a worker whose heartbeat is older than this is lost: its running attempts are retried, ms (default 30 s) */
  lostAfterMs?: number;
}

export interface Worker {
  /** starts taking attempts (unless the scheduler is paused) and marking dead-lettered loads */
  start(): Promise<void>;
  /** runs one attempt (the queue calls this) */
  handleAttempt(job: AttemptJob): Promise<void>;
  /** marks the load of a dead-lettered attempt dead */
  handleDeadLetter(job: DeadAttempt): Promise<void>;
  /** re-reads the pause switch and starts or stops taking attempts */
  syncPause(): Promise<void>;
  /**
   * Takes no new attempts, gives running ones `graceMs` to finish, then stops the rest (they are failed and
   * queued again at once, for this or another worker) and waits for their outcome to be recorded.
   */
  drain(graceMs: number): Promise<void>;
  /** attempts running in this process */
  readonly active: number;
}

type StopReason = 'cancelled' | 'shutdown' | 'piece_end' | 'expiry' | 'cut_off';

interface Running {
  loadId: string;
  stop(reason: StopReason): void;
}

/** States a queued attempt may start a load from. */
const STARTABLE: readonly LoadState[] = ['planned', 'waiting', 'failed'];

export function createWorker(ctx: SchedulerContext, options: WorkerOptions = {}): Worker {
  const dispatch = options.dispatch ?? realDispatch;
  const concurrency = options.concurrency ?? 4;
  const mqttPool = new MqttPool({ env: options.dispatchOptions?.env });
  const running = new Map<string, Running>();
  const pending = new Set<Promise<unknown>>();
  /** aborted when a drain's grace period is over: outcomes the database cannot take by then are given up */
  const graceOver = new AbortController();
  const me = workerIdentity();
  const workerName = workerLabel(me.name);
  const heartbeatSettings: HeartbeatSettings = {
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT.heartbeatMs,
    lostAfterMs: options.lostAfterMs ?? DEFAULT_HEARTBEAT.lostAfterMs,
  };
  let heartbeat: Heartbeat | undefined;
  let workId: string | null = null;
  let started = false;
  let draining = false;
  let syncing: Promise<void> = Promise.resolve();
  let pollTimer: NodeJS.Timeout | undefined;
  const unsubscribe: (() => void)[] = [];

  /** Work that must finish before the store closes (recording an outcome, accounting). */
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };

  const fetching = async (on: boolean) => {
    if (on && !workId && !draining) {
      workId = await ctx.queue.work((job) => handleAttempt(job), { concurrency });
    } else if (!on && workId) {
      const id = workId;
      workId = null;
      await ctx.queue.boss.offWork(ctx.queue.name, { id, wait: false });
    }
  };

  const syncPause = () => {
    syncing = syncing
      .then(async () => {
        if (!started || draining) return;
        const state = await schedulerState(ctx.store);
        await fetching(!state.paused);
      })
      .catch((err) => ctx.log('warn', 'could not read the pause switch', { error: errorMessage(err) }));
    return syncing;
  };

  async function handleAttempt(job: AttemptJob): Promise<void> {
    await track(runAttempt(job));
  }

  async function runAttempt(job: AttemptJob): Promise<void> {
    const load = await getLoad(ctx.store, job.loadId);
    if (!load || FINAL_STATES.includes(load.state)) return; // cancelled, finished or purged meanwhile
    if (load.state === 'running' && load.attempt === job.attempt) {
      // the queue handed the attempt out again: the worker that had it is gone (killed, cut off) and it expired
      if (running.has(load.id)) return; // still running here: let it finish
      await lostAttempt(load, job);
      return;
    }
    if (load.queuedAttempt !== job.attempt || !STARTABLE.includes(load.state)) return; // superseded
    if ((await schedulerState(ctx.store)).paused) {
      await defer(load, job);
      return;
    }
    const { run, index, last } = currentRun(load);
    const startedMs = ctx.now();
    const moved = await claimAttempt(load, job, startedMs);
    if (!moved.won) return; // another worker (or an operator) got there first
    const current = moved.load;
    publishState(ctx, current, moved.from, startedMs);
    await logDecision(ctx, {
      loadId: current.id,
      kind: 'dispatch',
      atMs: startedMs,
      inputs: {
        attempt: job.attempt,
        plannedStart: toIso(run.startMs),
        latenessMs: startedMs - run.startMs,
        ...(load.interruptible ? { piece: index + 1 } : {}),
      },
      choice: { target: current.dispatch.kind, zone: runZone(current), worker: workerName },
      reason: load.held
        ? 'held load reached the latest start that meets its deadline'
        : 'planned start reached',
    });
    await dispatchAttempt(current, job, run, last, startedMs);
  }

  /**
   * waiting -> running, if this attempt is still the load's queued one; recorded as this worker's in the
   * same transaction, so that others know whose it is should this worker be lost.
   */
  function claimAttempt(load: Load, job: AttemptJob, startedMs: number) {
    const { run, index } = currentRun(load);
    return ctx.store.transaction(async (tx) => {
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
          worker: workerName,
        },
      });
      if (moved.won) {
        // a heartbeat now too: what a lost attempt ran is counted up to its worker's last heartbeat
        await beatWorker(tx, me);
        await recordRunningAttempt(tx, {
          loadId: load.id,
          attempt: job.attempt,
          worker: me.name,
          startedMs,
        });
      }
      return moved;
    });
  }

  async function dispatchAttempt(
    load: Load,
    job: AttemptJob,
    run: Run,
    last: boolean,
    startedMs: number,
  ): Promise<void> {
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
    running.set(load.id, { loadId: load.id, stop });
    let outcome: DispatchOutcome;
    try {
      outcome = await dispatch(
        load.dispatch as DispatchTargetInput,
        {
          loadId: load.id,
          attempt: job.attempt,
          name: load.name,
          plannedStartMs: run.startMs,
          deadlineMs: load.interruptible && !last ? startedMs + pieceMs : load.deadlineMs,
          zone: runZone(load),
          signal: controller.signal,
          onProcessGroup: (pgid) => void recordGroup(load.id, job.attempt, pgid),
        },
        { ...options.dispatchOptions, mqttPool, shellTimeoutMs: limitMs },
      );
    } catch (err) {
      outcome = {
        ok: false,
        durationMs: ctx.now() - startedMs,
        error: `dispatcher failed: ${errorMessage(err)}`,
      };
    } finally {
      for (const t of timers) clearTimeout(t);
      job.signal.removeEventListener('abort', onJobAbort);
      running.delete(load.id);
    }
    // a database restart while the load ran must not turn its outcome into a lost attempt (run again)
    await retryWhileUnreachable(() => recordOutcome(load, job, run, last, startedMs, outcome, reason), {
      untilMs: startedMs + expiryMs,
      now: ctx.now,
      signal: graceOver.signal,
      onRetry: (err) =>
        ctx.log('warn', 'database unreachable; recording the outcome again', {
          loadId: load.id,
          error: errorMessage(err),
        }),
    });
    await endRunningAttempt(ctx.store, load.id, job.attempt).catch(() => {});
  }

  /** Records a command's process group, so that a worker restarted on this machine can end it. */
  function recordGroup(loadId: string, attempt: number, pgid: number): Promise<void> {
    const startedTicks = processStartTicks(pgid);
    return track(
      recordProcessGroup(ctx.store, { loadId, attempt, worker: me.name, pgid, startedTicks }).catch((err) =>
        ctx.log('warn', 'could not record the process group of a command', {
          loadId,
          error: errorMessage(err),
        }),
      ),
    );
  }

  async function recordOutcome(
    load: Load,
    job: AttemptJob,
    run: Run,
    last: boolean,
    startedMs: number,
    outcome: DispatchOutcome,
    reason: StopReason | undefined,
  ): Promise<void> {
    const endedMs = ctx.now();
    if (reason === 'cancelled') return; // the operator's cancel already moved the load
    const detail = outcomeDetail(outcome, job.attempt);
    // what ran: a command for as long as it ran; a start signal (webhook, MQTT, none) for the planned length
    const ranMs =
      load.dispatch.kind === 'shell'
        ? Math.max(0, endedMs - startedMs)
        : load.interruptible
          ? run.endMs - run.startMs
          : load.durationMin * MINUTE_MS;
    const actual: Run = { startMs: startedMs, endMs: startedMs + ranMs };
    const pieceDone =
      load.interruptible &&
      !last &&
      (reason === 'piece_end' || (outcome.ok && load.dispatch.kind !== 'shell'));
    if (pieceDone) {
      await nextPiece(load, job, actual, { ...detail, event: 'piece_done' }, endedMs);
      return;
    }
    // a dispatch that reports success succeeded, even if a stop request came in as it finished
    if (outcome.ok) {
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
      return;
    }
    const error =
      reason === 'shutdown'
        ? 'worker stopped before the load finished'
        : reason === 'expiry'
          ? `ran longer than its attempt may (${job.expireInSeconds} s): stopped`
          : reason === 'cut_off'
            ? 'worker cut off from the database: stopped, to be retried by another worker'
            : (outcome.error ?? 'dispatch failed');
    await failAttempt(
      ctx,
      load,
      job.attempt,
      { ...detail, event: 'failed', error },
      endedMs,
      reason !== 'shutdown' && reason !== 'cut_off',
      // a command used energy for as long as it ran; a start signal that failed started nothing
      load.dispatch.kind === 'shell' ? actual : undefined,
    );
  }

  /** Records a piece as done and queues the next one at its planned start. */
  async function nextPiece(
    load: Load,
    job: AttemptJob,
    actual: Run,
    detail: Record<string, unknown>,
    nowMs: number,
  ): Promise<void> {
    const attempt = nextAttempt(load);
    const next = plannedRuns(load)[load.piece + 1];
    const moved = await moveLoad(ctx.store, load.id, 'running', 'waiting', {
      nowMs,
      expectAttempt: job.attempt,
      appendRuns: [actual],
      setPiece: load.piece + 1,
      setQueuedAttempt: attempt,
      ...(next ? { setPlannedStartMs: next.startMs } : {}),
      detail,
    });
    if (!moved.won) return;
    publishState(ctx, moved.load, 'running', nowMs);
    const { run } = currentRun(moved.load);
    await queueAttempt(ctx, moved.load, attempt, Math.max(run.startMs, nowMs));
  }

  /** The attempt's worker disappeared mid-run: failed as 'worker lost', then retried like any failure. */
  async function lostAttempt(load: Load, job: AttemptJob): Promise<void> {
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
  async function defer(load: Load, job: AttemptJob): Promise<void> {
    const nowMs = ctx.now();
    const attempt = nextAttempt(load);
    const requeued = await requeueLoad(ctx.store, load.id, STARTABLE, job.attempt, attempt, { nowMs });
    if (!requeued) return;
    await queueAttempt(ctx, requeued, attempt, nowMs + ctx.settings.pauseDeferMs);
    void syncPause();
  }

  async function handleDeadLetter(job: DeadAttempt): Promise<void> {
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

  return {
    async start() {
      if (started) return;
      started = true;
      // before taking anything: leftovers of a lost worker on this machine are ended, its attempts retried
      await recoverLostWork(ctx, me, heartbeatSettings);
      heartbeat = startHeartbeat(ctx, me, heartbeatSettings, () => {
        for (const r of running.values()) r.stop('cut_off');
      });
      unsubscribe.push(
        ctx.bus.onEvent((e) => {
          if (e.type === 'load.state' && e.to === 'cancelled') running.get(e.loadId)?.stop('cancelled');
        }),
        ctx.bus.onControl(() => {
          void syncPause();
        }),
      );
      await ctx.queue.workDeadLetters((job) => track(handleDeadLetter(job)));
      await syncPause();
      const poll = options.pausePollMs ?? 5000;
      pollTimer = setInterval(() => void syncPause(), poll);
      pollTimer.unref();
    },
    handleAttempt,
    handleDeadLetter,
    syncPause,
    async drain(graceMs) {
      draining = true;
      clearInterval(pollTimer);
      for (const u of unsubscribe.splice(0)) u();
      await syncing;
      if (workId) {
        const id = workId;
        workId = null;
        await ctx.queue.boss.offWork(ctx.queue.name, { id, wait: false }).catch(() => {});
      }
      await ctx.queue.boss.offWork(ctx.queue.deadLetterName, { wait: false }).catch(() => {});
      const settled = () => Promise.allSettled([...pending]);
      let timer: NodeJS.Timeout | undefined;
      const graceUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const first = await Promise.race([settled().then(() => 'done' as const), graceUp]);
      clearTimeout(timer);
      if (first === 'timeout') {
        graceOver.abort();
        for (const r of running.values()) r.stop('shutdown');
        await settled();
      }
      await mqttPool.close().catch(() => {});
      // the heartbeat went on while attempts finished: a draining worker is not lost
      await heartbeat?.stop();
      // gone cleanly; attempts whose outcome could not be recorded are now lost, for other workers to retry
      await removeWorker(ctx.store, me.name).catch(() => {});
    },
    get active() {
      return running.size;
    },
  };
}

function outcomeDetail(o: DispatchOutcome, attempt: number): Record<string, unknown> {
  const d: Record<string, unknown> = { attempt, ok: o.ok, durationMs: o.durationMs };
  if (o.exitCode !== undefined) d.exitCode = o.exitCode;
  if (o.signal) d.signal = o.signal;
  if (o.status !== undefined) d.status = o.status;
  if (o.outputTail) d.outputTail = o.outputTail;
  if (o.timedOut) d.timedOut = true;
  if (o.aborted) d.aborted = true;
  if (o.error && !o.ok) d.dispatchError = o.error;
  return d;
}

function summarise(error: unknown): string {
  if (error == null) return 'no error recorded';
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  const text = JSON.stringify(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
