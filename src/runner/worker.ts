import { schedulerState } from '../store/scheduler.ts';
import { removeWorker } from '../store/workers.ts';
import { type AttemptRunner, type DispatchFn, type Running, runAttempt } from './attempt-run.ts';
import { errorMessage, type SchedulerContext } from './context.ts';
import { handleDeadLetter } from './dead-letter.ts';
import { type DispatchOptions, MqttPool, dispatch as realDispatch } from './dispatch/index.ts';
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
 * The worker: takes the attempts the queue hands out while the scheduler is not paused, runs each one
 * (attempt-run.ts), marks dead-lettered loads dead (dead-letter.ts), keeps its heartbeat, and drains on
 * shutdown.
 */

export interface WorkerOptions {
  /** attempts run at the same time in this process (default 4) */
  concurrency?: number;
  /** replaces the dispatcher (embedding; tests use the real one) */
  dispatch?: DispatchFn;
  /** how often the pause switch is checked besides the notifications, ms (default 5 s) */
  pausePollMs?: number;
  /** passed to the dispatcher (environment, timeouts) */
  dispatchOptions?: Omit<DispatchOptions, 'mqttPool' | 'shellTimeoutMs' | 'openai'>;
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

export function createWorker(ctx: SchedulerContext, options: WorkerOptions = {}): Worker {
  const running = new Map<string, Running>();
  const pending = new Set<Promise<unknown>>();
  const graceOver = new AbortController();
  const me = workerIdentity();
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
      workId = await ctx.queue.work((job) => handleAttempt(job), { concurrency: options.concurrency ?? 4 });
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

  const runner: AttemptRunner = {
    ctx,
    dispatch: options.dispatch ?? realDispatch,
    dispatchOptions: options.dispatchOptions,
    mqttPool: new MqttPool({ env: options.dispatchOptions?.env }),
    running,
    graceOver: graceOver.signal,
    me,
    workerName: workerLabel(me.name),
    track,
    syncPause,
  };
  const handleAttempt = async (job: AttemptJob): Promise<void> => {
    await track(runAttempt(runner, job));
  };
  const deadLetter = (job: DeadAttempt) => handleDeadLetter(ctx, job);

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
      await ctx.queue.workDeadLetters((job) => track(deadLetter(job)));
      await syncPause();
      pollTimer = setInterval(() => void syncPause(), options.pausePollMs ?? 5000);
      pollTimer.unref();
    },
    handleAttempt,
    handleDeadLetter: deadLetter,
    syncPause,
    async drain(graceMs) {
      draining = true;
      clearInterval(pollTimer);
      for (const u of unsubscribe.splice(0)) u();
      await syncing;
      await fetching(false).catch(() => {});
      await ctx.queue.boss.offWork(ctx.queue.deadLetterName, { wait: false }).catch(() => {});
      if (!(await settledWithin(pending, graceMs))) {
        // outcomes the database cannot take by now are given up
        graceOver.abort();
        for (const r of running.values()) r.stop('shutdown');
        await Promise.allSettled([...pending]);
      }
      await runner.mqttPool.close().catch(() => {});
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

/** Whether the pending work settled within `graceMs`. */
async function settledWithin(pending: Set<Promise<unknown>>, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const graceUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([Promise.allSettled([...pending]).then(() => 'done' as const), graceUp]);
  clearTimeout(timer);
  return first === 'done';
}
