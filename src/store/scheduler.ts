import type { Db, Row } from './db.ts';
import { countLoadsByState, type LoadState } from './loads.ts';
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

const msOrNull = (v: unknown): number | null => (v == null ? null : new Date(v as Date).getTime());

function rowToState(r: Row | undefined): SchedulerState {
  if (!r) throw new Error('scheduler_state row is missing: the schema was not migrated');
  return {
    paused: Boolean(r.paused),
    pausedMs: msOrNull(r.paused_at),
    pausedReason: (r.paused_reason as string | null) ?? null,
    lastPlannerRunMs: msOrNull(r.last_planner_run),
    nextPlannerRunMs: msOrNull(r.next_planner_run),
    updatedMs: new Date(r.updated_at as Date).getTime(),
  };
}
