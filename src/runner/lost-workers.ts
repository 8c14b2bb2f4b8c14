import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { bootId, endProcessGroup, isSameProcess, processStartTicks } from '../core/pid.ts';
import { toIso } from '../core/time.ts';
import { getLoad } from '../store/loads.ts';
import {
  beatWorker,
  endRunningAttempt,
  hostProcessGroups,
  type LostAttempt,
  lostAttempts,
  pruneWorkers,
  recordProcessGroup,
  type WorkerIdentity,
} from '../store/workers.ts';
import { failAttempt, lostRun } from './attempts.ts';
import { errorMessage, type SchedulerContext } from './context.ts';

/**
 * Workers that are lost, and what they leave behind. Every worker renews a heartbeat in the store; any live
 * worker that finds another's heartbeat older than `lostAfterMs` fails that worker's running attempts
 * ("worker lost") and retries them like any failure. On the embedded store one process owns the store,
 * so at startup every attempt still marked running by an earlier process is lost at once. A restarted
 * worker first ends the process groups of commands that workers on its machine recorded and left behind
 * (when their guard could not: see dispatch/guard.ts). A worker cut off from the store for that long
 * stops its own running attempts: by then they are retried elsewhere.
 */

export interface HeartbeatSettings {
  /** how often a worker renews its heartbeat and looks for lost workers, ms (default 5 s) */
  heartbeatMs: number;
  /** a worker silent for this long is lost, ms (default 30 s) */
  lostAfterMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatSettings = { heartbeatMs: 5_000, lostAfterMs: 30_000 };

/**
 * This worker process. Its name is unique (host, pid and a random part: a restarted container may have the
 * same host name and pid, and several workers may share a process); events show it without the random part.
 */
export function workerIdentity(): WorkerIdentity {
  return {
    name: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    host: hostname(),
    pid: process.pid,
    startedTicks: processStartTicks(process.pid),
    bootId: bootId(),
  };
}

/** A worker's name as events show it: `host:pid`. */
export const workerLabel = (name: string): string => name.replace(/:[0-9a-f]{8}$/, '');

/**
 * Before a worker takes attempts: registers it, ends leftover process groups on this machine, then fails
 * and retries the attempts of lost workers.
 */
export async function recoverLostWork(
  ctx: SchedulerContext,
  me: WorkerIdentity,
  settings: HeartbeatSettings,
): Promise<void> {
  await beatWorker(ctx.store, me);
  await endLeftoverGroups(ctx, me);
  await retryLostAttempts(ctx, me, settings);
}

/**
 * Kills the process groups that other workers on this machine recorded, when their worker is gone (its pid
 * runs no more, or runs another process) and the group is still the one recorded. Returns how many
 * processes it signalled.
 */
export async function endLeftoverGroups(ctx: SchedulerContext, me: WorkerIdentity): Promise<number> {
  let killed = 0;
  for (const g of await hostProcessGroups(ctx.store, me.host, me.name)) {
    const sameBoot = g.bootId !== null && g.bootId === me.bootId;
    if (sameBoot && isSameProcess(g.workerPid, g.workerStartedTicks)) continue; // its worker still runs
    const n = sameBoot ? endProcessGroup(g.pgid, g.startedTicks) : 0;
    if (n > 0) {
      killed += n;
      ctx.log('warn', 'ended a command left running by a lost worker', {
        loadId: g.loadId,
        attempt: g.attempt,
        worker: workerLabel(g.worker),
        pgid: g.pgid,
      });
    }
    await recordProcessGroup(ctx.store, { ...g, pgid: null, startedTicks: null });
  }
  return killed;
}

/** Fails and retries the running attempts of lost workers; returns how many it failed. */
export async function retryLostAttempts(
  ctx: SchedulerContext,
  me: WorkerIdentity,
  settings: HeartbeatSettings,
): Promise<number> {
  const lost = await lostAttempts(ctx.store, me, {
    silentMs: settings.lostAfterMs,
    soleProcess: ctx.store.kind === 'embedded',
  });
  let failed = 0;
  for (const a of lost) {
    try {
      if (await failLostAttempt(ctx, a)) failed++;
    } catch (err) {
      ctx.log('warn', 'could not retry the attempt of a lost worker', {
        loadId: a.loadId,
        error: errorMessage(err),
      });
    }
  }
  return failed;
}

async function failLostAttempt(ctx: SchedulerContext, a: LostAttempt): Promise<boolean> {
  const load = await getLoad(ctx.store, a.loadId);
  if (load?.state !== 'running' || load.attempt !== a.attempt) return false;
  const nowMs = ctx.now();
  const detail = {
    event: 'failed',
    error: 'worker lost',
    attempt: a.attempt,
    worker: workerLabel(a.worker),
    detail:
      a.lastBeatMs === null
        ? 'its worker is gone'
        : `no heartbeat from its worker since ${toIso(a.lastBeatMs)}`,
  };
  const ran = lostRun(load, Math.min(nowMs, a.lastBeatMs ?? nowMs), a.startedMs);
  const won = await failAttempt(ctx, load, a.attempt, detail, nowMs, true, ran);
  // the queue still holds the attempt as active: withdraw it, so it is not handed out again on expiry
  if (won) await ctx.queue.cancelAttempt(a.loadId, a.attempt).catch(() => false);
  if (a.pgid === null) await endRunningAttempt(ctx.store, a.loadId, a.attempt);
  return won;
}

export interface Heartbeat {
  stop(): Promise<void>;
}

/**
 * Renews the worker's heartbeat every `heartbeatMs` and looks for lost workers. On PostgreSQL, when no
 * heartbeat got through for `lostAfterMs` less one interval (a beat that hangs on a lost connection counts as
 * not through), calls `onCutOff` once per outage: other workers are about to take this one for lost and
 * retry its attempts. The embedded store has no other worker to hand them to.
 */
export function startHeartbeat(
  ctx: SchedulerContext,
  me: WorkerIdentity,
  settings: HeartbeatSettings,
  onCutOff: () => void,
): Heartbeat {
  let lastBeatMs = Date.now();
  let cutOff = false;
  let beating: Promise<void> | null = null;

  const beat = async () => {
    try {
      await beatWorker(ctx.store, me);
      lastBeatMs = Date.now();
      cutOff = false;
      await retryLostAttempts(ctx, me, settings);
      await pruneWorkers(ctx.store, Math.max(settings.lostAfterMs, 60 * 60_000));
    } catch (err) {
      ctx.log('warn', 'heartbeat', { error: errorMessage(err) });
    }
  };
  const checkCutOff = () => {
    const silentMs = Date.now() - lastBeatMs;
    if (ctx.store.kind !== 'postgres' || cutOff || silentMs < settings.lostAfterMs - settings.heartbeatMs)
      return;
    cutOff = true;
    ctx.log('warn', 'no heartbeat got through for too long: stopping the running attempts', { silentMs });
    onCutOff();
  };
  const timer = setInterval(() => {
    checkCutOff();
    beating ??= beat().finally(() => {
      beating = null;
    });
  }, settings.heartbeatMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await beating;
    },
  };
}
