import type { Db, Row } from './db.ts';
import { ms, msOrNull, numOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * Workers and the attempts they run: each worker renews a heartbeat row, and records each attempt it runs
 * (with the process group of a command), so that a lost worker's attempts are found and retried, and the
 * commands it left behind are ended. Heartbeats are stamped and compared with the database's clock, so
 * the clocks of the workers' machines do not matter.
 */

/** One worker process. */
export interface WorkerIdentity {
  /** unique among the workers sharing the store */
  name: string;
  host: string;
  pid: number;
  /** the process's start time in clock ticks after boot (null without /proc) */
  startedTicks: number | null;
  /** the machine's boot (null without /proc) */
  bootId: string | null;
}

/** Registers the worker, or renews its heartbeat. */
export async function beatWorker(db: Db, w: WorkerIdentity): Promise<void> {
  await db.query(sql.beatWorker(db.schema), [w.name, w.host, w.pid, w.startedTicks, w.bootId]);
}

/** A worker that stopped cleanly leaves. */
export async function removeWorker(db: Db, name: string): Promise<void> {
  await db.query(sql.deleteWorker(db.schema), [name]);
}

/** Forgets workers silent for longer than `silentMs` that run nothing any more, and rows of attempts that ended. */
export async function pruneWorkers(db: Db, silentMs: number): Promise<void> {
  await db.query(sql.deleteEndedAttempts(db.schema));
  await db.query(sql.pruneWorkers(db.schema), [silentMs]);
}

/** Records that `worker` runs the attempt (in the transaction that moves the load to running). */
export async function recordRunningAttempt(
  db: Db,
  a: { loadId: string; attempt: number; worker: string; startedMs: number },
): Promise<void> {
  await db.query(sql.insertRunningAttempt(db.schema), [a.loadId, a.attempt, a.worker, new Date(a.startedMs)]);
}

/** Records the process group of the attempt's command (null: it has none any more). */
export async function recordProcessGroup(
  db: Db,
  a: { loadId: string; attempt: number; worker: string; pgid: number | null; startedTicks: number | null },
): Promise<void> {
  await db.query(sql.setAttemptProcessGroup(db.schema), [
    a.loadId,
    a.attempt,
    a.worker,
    a.pgid,
    a.startedTicks,
  ]);
}

/** The attempt is over (its outcome recorded, or its leftovers dealt with). */
export async function endRunningAttempt(db: Db, loadId: string, attempt: number): Promise<void> {
  await db.query(sql.deleteRunningAttempt(db.schema), [loadId, attempt]);
}

/** A running attempt whose worker is lost. */
export interface LostAttempt {
  loadId: string;
  attempt: number;
  worker: string;
  startedMs: number;
  /** the lost worker's last heartbeat; null when it has no row any more */
  lastBeatMs: number | null;
  /** the process group of its command, if it recorded one */
  pgid: number | null;
}

/**
 * Running attempts of workers other than `me` that are lost: silent for longer than `silentMs`, or, with
 * `soleProcess` (the embedded store, which one process owns), any worker that is not of this process.
 */
export async function lostAttempts(
  db: Db,
  me: WorkerIdentity,
  options: { silentMs: number; soleProcess: boolean },
): Promise<LostAttempt[]> {
  const rows = await db.query<Row>(sql.selectLostAttempts(db.schema), [
    me.name,
    options.silentMs,
    options.soleProcess,
    me.host,
    me.pid,
    me.startedTicks,
  ]);
  return rows.map((r) => ({
    loadId: String(r.load_id),
    attempt: Number(r.attempt),
    worker: String(r.worker),
    startedMs: ms(r.started_at),
    lastBeatMs: msOrNull(r.beat_at),
    pgid: numOrNull(r.pgid),
  }));
}

/** A command's process group recorded on this machine by another worker. */
export interface RecordedGroup {
  loadId: string;
  attempt: number;
  worker: string;
  pgid: number;
  /** the group leader's start time in clock ticks after boot */
  startedTicks: number | null;
  workerPid: number;
  workerStartedTicks: number | null;
  bootId: string | null;
}

/** Process groups recorded on `host` by workers other than `me`. */
export async function hostProcessGroups(db: Db, host: string, me: string): Promise<RecordedGroup[]> {
  const rows = await db.query<Row>(sql.selectHostProcessGroups(db.schema), [host, me]);
  return rows.map((r) => ({
    loadId: String(r.load_id),
    attempt: Number(r.attempt),
    worker: String(r.worker),
    pgid: Number(r.pgid),
    startedTicks: numOrNull(r.pgid_started_ticks),
    workerPid: Number(r.worker_pid),
    workerStartedTicks: numOrNull(r.worker_started_ticks),
    bootId: (r.boot_id as string | null) ?? null,
  }));
}
