import type { Db, Row } from './db.ts';
import { countLoadsByState, type LoadState } from './loads.ts';
import { ms, msOrNull, numOrNull } from './rows.ts';
import * as sql from './sql.ts';

/** Scheduler-wide state shared by every API replica and worker: the pause switch and planner runs. */
export interface SchedulerState {
  /** while paused, nothing new is dispatched; running loads finish */
  paused: boolean;
  pausedMs: number | null;
  pausedReason: string | null;
  lastPlannerRunMs: number | null;
  nextPlannerRunMs: number | null;
  updatedMs: number;
}

export interface SchedulerStatus extends SchedulerState {
  loads: Record<LoadState, number>;
}

/** Pauses the whole scheduler (idempotent: pausing again keeps it paused and updates the reason). */
export async function pauseScheduler(
  db: Db,
  options: { reason?: string; nowMs?: number } = {},
): Promise<SchedulerState> {
  const [row] = await db.query<Row>(sql.setPaused(db.schema), [
    true,
    new Date(options.nowMs ?? Date.now()),
    options.reason ?? null,
  ]);
  return rowToState(row);
}

export async function resumeScheduler(db: Db, options: { nowMs?: number } = {}): Promise<SchedulerState> {
  const [row] = await db.query<Row>(sql.setPaused(db.schema), [
    false,
    new Date(options.nowMs ?? Date.now()),
    null,
  ]);
  return rowToState(row);
}

export async function schedulerState(db: Db): Promise<SchedulerState> {
  const [row] = await db.query<Row>(sql.selectScheduler(db.schema));
  return rowToState(row);
}

/** The scheduler state with the number of loads in each state. */
export async function schedulerStatus(db: Db): Promise<SchedulerStatus> {
  const [state, loads] = await Promise.all([schedulerState(db), countLoadsByState(db)]);
  return { ...state, loads };
}

/** Stamps a planner pass and when the next one is due. */
export async function recordPlannerRun(
  db: Db,
  lastRunMs: number,
  nextRunMs: number | null,
  options: { nowMs?: number } = {},
): Promise<SchedulerState> {
  const [row] = await db.query<Row>(sql.recordPlannerRun(db.schema), [
    new Date(lastRunMs),
    nextRunMs === null ? null : new Date(nextRunMs),
    new Date(options.nowMs ?? Date.now()),
  ]);
  return rowToState(row);
}

function rowToState(r: Row | undefined): SchedulerState {
  if (!r) throw new Error('scheduler_state row is missing: the schema was not migrated');
  return {
    paused: Boolean(r.paused),
    pausedMs: msOrNull(r.paused_at),
    pausedReason: (r.paused_reason as string | null) ?? null,
    lastPlannerRunMs: msOrNull(r.last_planner_run),
    nextPlannerRunMs: msOrNull(r.next_planner_run),
    updatedMs: ms(r.updated_at),
  };
}

// ---------------------------------------------------------------------------------------------------
// One planner run at a time

/** Planner runs in progress in this process, by store (the embedded store serves one process). */
const localRuns = new WeakMap<Db, Set<string>>();

export type LockedRun<T> = { ran: true; value: T } | { ran: false; reason: string };

/**
 * Runs `fn` only if no other run of `name` holds its lock: in this process (a flag per store) and, on
 * PostgreSQL, across every process sharing the database (a transaction-scoped advisory lock, held by one
 * connection while `fn` works through the others; a lost connection releases it). Never waits.
 */
export async function withRunLock<T>(db: Db, name: string, fn: () => Promise<T>): Promise<LockedRun<T>> {
  const running = localRuns.get(db) ?? new Set<string>();
  localRuns.set(db, running);
  if (running.has(name)) return { ran: false, reason: `a ${name} run is in progress in this process` };
  running.add(name);
  try {
    if (db.kind === 'embedded') return { ran: true, value: await fn() };
    return await db.transaction(async (tx) => {
      const [row] = await tx.query<{ locked: boolean }>(sql.tryAdvisoryXactLock(), [
        `gridshift.${name}:${db.schema}`,
      ]);
      if (!row?.locked) return { ran: false as const, reason: `another process is running the ${name}` };
      return { ran: true as const, value: await fn() };
    });
  } finally {
    running.delete(name);
  }
}

/** The planner's run lock (see withRunLock). */
export const withPlannerLock = <T>(db: Db, fn: () => Promise<T>): Promise<LockedRun<T>> =>
  withRunLock(db, 'planner', fn);

// ---------------------------------------------------------------------------------------------------
// The last signal reading per zone (so window transitions are reported once)

export interface ZoneSignalState {
  zone: string;
  carbon: number | null;
  price: number | null;
  currency: string | null;
  source: string | null;
  /** isCleanNow said clean at the last reading */
  clean: boolean;
  /** the slot of the last reading was the cleanest and cheapest of the horizon */
  bestNow: boolean;
  updatedMs: number;
}

export async function zoneSignalState(db: Db, zone: string): Promise<ZoneSignalState | null> {
  const [r] = await db.query<Row>(sql.selectZoneSignal(db.schema), [zone]);
  if (!r) return null;
  return {
    zone: String(r.zone),
    carbon: numOrNull(r.carbon),
    price: numOrNull(r.price),
    currency: (r.currency as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    clean: Boolean(r.clean),
    bestNow: Boolean(r.best_now),
    updatedMs: ms(r.updated_at),
  };
}

export async function saveZoneSignalState(db: Db, state: ZoneSignalState): Promise<void> {
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  await db.query(sql.upsertZoneSignal(db.schema), [
    state.zone,
    finite(state.carbon),
    finite(state.price),
    state.currency,
    state.source,
    state.clean,
    state.bestNow,
    new Date(state.updatedMs),
  ]);
}
