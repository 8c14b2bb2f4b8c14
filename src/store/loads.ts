import { randomUUID } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import {
  type DispatchTarget,
  LOAD_STATES,
  type Load,
  type LoadEvent,
  type LoadPlan,
  type LoadState,
  type Run,
} from '../core/load.ts';
import { type Objective, objectiveName, storedObjective } from '../core/objective.ts';
import type { Db, Row } from './db.ts';
import { ms, msOrNull, numOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * Loads and their life, stored: create (idempotent on a key), read, list with keyset pagination,
 * compare-and-set state transitions with an event per transition, plan updates, purge.
 */

export type {
  DispatchTarget,
  Load,
  LoadEvent,
  LoadPlan,
  LoadState,
} from '../core/load.ts';

/**
 * Which moves the lifecycle allows. `planned -> waiting -> running -> succeeded | failed`, a failed attempt
 * is retried (`failed -> waiting | running`) or gives up (`failed -> dead`); an operator can retry a dead
 * load, run one now (`planned | waiting -> running`) or cancel anything not finished. An interruptible load
 * goes back to `waiting` between its pieces (`running -> waiting`). An attempt the queue gave up on (its
 * dead-letter queue) makes the load `dead` from wherever it was.
 */
export const LOAD_TRANSITIONS: Readonly<Record<LoadState, readonly LoadState[]>> = {
  planned: ['waiting', 'running', 'cancelled', 'dead'],
  waiting: ['running', 'planned', 'cancelled', 'dead'],
  running: ['succeeded', 'failed', 'cancelled', 'waiting', 'dead'],
  failed: ['waiting', 'running', 'dead', 'cancelled'],
  dead: ['waiting', 'planned'],
  succeeded: [],
  cancelled: [],
};

/** States in which nothing more will happen unless an operator acts. */
export const FINAL_STATES: readonly LoadState[] = ['succeeded', 'dead', 'cancelled'];
/** States that end an attempt: `finishedMs` is stamped on entering them. */
const FINISHING_STATES: readonly LoadState[] = ['succeeded', 'failed', 'dead', 'cancelled'];

export interface NewLoad {
  name: string;
  tags?: string[];
  /** candidate zones, home zone first; or a cloud region */
  zones?: string[];
  cloudRegion?: string;
  /** whole minutes */
  durationMin: number;
  /** power draw, or leave it out and give `energyKwh` */
  powerKw?: number;
  energyKwh?: number;
  earliestMs: number;
  deadlineMs: number;
  interruptible?: boolean;
  /** default carbon */
  objective?: Objective;
  carbonCapG?: number;
  /** higher runs first when capacity is short; default 0 */
  priority?: number;
  dispatch?: DispatchTarget;
  /** a second create with the same key returns the first load instead of making another */
  idempotencyKey?: string;
  /** retries of a failed attempt before the load is dead; default 2 */
  maxRetries?: number;
  plan?: LoadPlan;
  /** when it would start without gridshift (the run-now counterfactual); default the earliest start */
  baselineStartMs?: number;
  /** interruptible loads: shortest piece and most pieces, kept for replanning */
  minPieceMin?: number;
  maxPieces?: number;
  /** the recurring load this one is an occurrence of */
  templateId?: string;
  /** held (no signals under a closed failure policy): queued at the latest start, planned when signals return */
  held?: boolean;
  holdReason?: string;
  /** the attempt number its first queued attempt will carry (default 0: none queued yet) */
  queuedAttempt?: number;
  /** the load as its client sent it, without its idempotency key: a reused key is checked against it */
  request?: Record<string, unknown>;
}

interface Clocked {
  /** the time to stamp (epoch ms); default now */
  nowMs?: number;
}

// ---------------------------------------------------------------------------------------------------

/**
 * Stores a new load in state `planned` (with its plan, when given). With an idempotency key already used,
 * nothing is written and the existing load is returned with `created: false`.
 */
export async function createLoad(
  db: Db,
  load: NewLoad,
  options: Clocked = {},
): Promise<{ load: Load; created: boolean }> {
  validateNewLoad(load);
  const now = new Date(options.nowMs ?? Date.now());
  const plan = load.plan ? planParams(load.plan) : planParams(null);
  const rows = await db.query<Row>(sql.insertLoad(db.schema), [
    randomUUID(),
    load.name.trim(),
    load.tags ?? [],
    load.zones ?? [],
    load.cloudRegion ?? null,
    load.durationMin,
    load.powerKw ?? null,
    load.energyKwh ?? null,
    new Date(load.earliestMs),
    new Date(load.deadlineMs),
    load.interruptible ?? false,
    objectiveName(load.objective ?? { kind: 'carbon' }),
    load.carbonCapG ?? null,
    load.priority ?? 0,
    JSON.stringify(load.dispatch ?? { kind: 'none' }),
    load.idempotencyKey ?? null,
    load.maxRetries ?? 2,
    ...plan,
    now,
    load.baselineStartMs === undefined ? null : new Date(load.baselineStartMs),
    load.minPieceMin ?? null,
    load.maxPieces ?? null,
    load.templateId ?? null,
    load.held ?? false,
    load.holdReason ?? null,
    load.queuedAttempt ?? 0,
    load.request === undefined ? null : JSON.stringify(load.request),
  ]);
  if (rows.length) return { load: rowToLoad(rows[0]), created: true };
  const [existing] = await db.query<Row>(sql.selectLoadByKey(db.schema), [load.idempotencyKey]);
  if (!existing)
    throw new Error(`load with idempotency key "${load.idempotencyKey}" vanished while creating it`);
  return { load: rowToLoad(existing), created: false };
}

export async function getLoad(db: Db, id: string): Promise<Load | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.selectLoad(db.schema), [id]);
  return row ? rowToLoad(row) : null;
}

/** The request a load was submitted with, or null when it was not stored (see NewLoad.request). */
export async function getLoadRequest(db: Db, id: string): Promise<Record<string, unknown> | null> {
  const [row] = await db.query<{ request: Record<string, unknown> | null }>(
    sql.selectLoadRequest(db.schema),
    [id],
  );
  return row?.request ?? null;
}

/** The load created with this idempotency key, or null. */
export async function getLoadByKey(db: Db, idempotencyKey: string): Promise<Load | null> {
  const [row] = await db.query<Row>(sql.selectLoadByKey(db.schema), [idempotencyKey]);
  return row ? rowToLoad(row) : null;
}

export interface LoadFilter {
  state?: LoadState | LoadState[];
  tag?: string;
  /** matches a candidate zone, the planned zone or the cloud region */
  zone?: string;
  /** created at or after (epoch ms) */
  createdFromMs?: number;
  /** created before (epoch ms) */
  createdBeforeMs?: number;
  /** from the previous page's `nextCursor` */
  cursor?: string;
  /** page size, 1..1000 (default 100) */
  limit?: number;
}

export interface LoadPage {
  loads: Load[];
  /** pass back as `cursor` for the next page; null on the last page */
  nextCursor: string | null;
}

/** Loads newest first. Pages are keyset-paginated: stable while loads are added or deleted. */
export async function listLoads(db: Db, filter: LoadFilter = {}): Promise<LoadPage> {
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InputError(`limit: ${limit} is not a whole number from 1 to 1000`);
  }
  const states = filter.state === undefined ? null : [filter.state].flat();
  for (const s of states ?? []) assertState(s, 'state');
  const after = filter.cursor ? decodeCursor(filter.cursor) : null;
  const rows = await db.query<Row>(sql.listLoads(db.schema), [
    states,
    filter.tag ?? null,
    filter.zone ?? null,
    filter.createdFromMs === undefined ? null : new Date(filter.createdFromMs),
    filter.createdBeforeMs === undefined ? null : new Date(filter.createdBeforeMs),
    after ? new Date(after.createdMs) : null,
    after ? after.id : null,
    limit + 1,
  ]);
  const loads = rows.slice(0, limit).map(rowToLoad);
  const last = loads[loads.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(last) : null;
  return { loads, nextCursor };
}

/** Every state transition of a load, oldest first. */
export async function loadEvents(db: Db, loadId: string): Promise<LoadEvent[]> {
  if (!isUuid(loadId)) return [];
  const rows = await db.query<Row>(sql.selectLoadEvents(db.schema), [loadId]);
  return rows.map((r) => ({
    seq: Number(r.seq),
    loadId: String(r.load_id),
    atMs: ms(r.at),
    from: (r.from_state as LoadState | null) ?? null,
    to: r.to_state as LoadState,
    attempt: Number(r.attempt),
    detail: (r.detail as Record<string, unknown>) ?? {},
  }));
}

/**
 * Deletes loads (and their events) in `states` whose last state change is older than `olderThanMs`.
 * The decision log is kept. Returns how many loads went.
 */
export async function purgeLoads(
  db: Db,
  olderThanMs: number,
  states: readonly LoadState[] = FINAL_STATES,
): Promise<number> {
  for (const s of states) assertState(s, 'states');
  const [row] = await db.query<{ count: number }>(sql.purgeLoads(db.schema), [
    [...states],
    new Date(olderThanMs),
  ]);
  return Number(row?.count ?? 0);
}

/** How many loads are in each state (every state present, zero when none). */
export async function countLoadsByState(db: Db): Promise<Record<LoadState, number>> {
  const counts = Object.fromEntries(LOAD_STATES.map((s) => [s, 0])) as Record<LoadState, number>;
  const rows = await db.query<{ state: LoadState; count: number }>(sql.countLoadsByState(db.schema));
  for (const r of rows) counts[r.state] = Number(r.count);
  return counts;
}

/** How many loads dispatched by `kind` (e.g. `kubernetes`) are in each state (every state present). */
export async function countLoadsOfDispatch(db: Db, kind: string): Promise<Record<LoadState, number>> {
  const counts = Object.fromEntries(LOAD_STATES.map((s) => [s, 0])) as Record<LoadState, number>;
  const rows = await db.query<{ state: LoadState; count: number }>(sql.countLoadsOfDispatch(db.schema), [
    kind,
  ]);
  for (const r of rows) counts[r.state] = Number(r.count);
  return counts;
}

/** The newest `limit` loads dispatched by `kind`, newest first. */
export async function loadsOfDispatch(db: Db, kind: string, limit: number): Promise<Load[]> {
  const rows = await db.query<Row>(sql.listLoadsOfDispatch(db.schema), [kind, limit]);
  return rows.map(rowToLoad);
}

// ---------------------------------------------------------------------------------------------------

function validateNewLoad(load: NewLoad): void {
  if (typeof load.name !== 'string' || !load.name.trim()) throw new InputError('name: must not be empty');
  if (!Number.isInteger(load.durationMin) || load.durationMin <= 0) {
    throw new InputError(`durationMin: ${load.durationMin} is not a positive whole number of minutes`);
  }
  if (load.powerKw === undefined && load.energyKwh === undefined) {
    throw new InputError('powerKw: give the power draw (or energyKwh, an energy estimate)');
  }
  for (const [field, v] of [
    ['powerKw', load.powerKw],
    ['energyKwh', load.energyKwh],
    ['carbonCapG', load.carbonCapG],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new InputError(`${field}: ${v} is not >= 0`);
  }
  if (!Number.isFinite(load.earliestMs)) throw new InputError('earliestMs: not a time');
  if (!Number.isFinite(load.deadlineMs)) throw new InputError('deadlineMs: not a time');
  if (load.deadlineMs <= load.earliestMs) throw new InputError('deadlineMs: must be after earliestMs');
  if (!load.zones?.length && !load.cloudRegion) {
    throw new InputError('zones: give at least one zone (or a cloudRegion)');
  }
  if (load.priority !== undefined && !Number.isInteger(load.priority)) {
    throw new InputError(`priority: ${load.priority} is not a whole number`);
  }
  if (load.maxRetries !== undefined && !(Number.isInteger(load.maxRetries) && load.maxRetries >= 0)) {
    throw new InputError(`maxRetries: ${load.maxRetries} is not a whole number >= 0`);
  }
  if (load.idempotencyKey !== undefined && (!load.idempotencyKey || load.idempotencyKey.length > 200)) {
    throw new InputError('idempotencyKey: must be 1 to 200 characters');
  }
  if (load.dispatch !== undefined && typeof load.dispatch?.kind !== 'string') {
    throw new InputError('dispatch.kind: must name a dispatcher');
  }
  if (load.plan) validatePlan(load.plan);
  if (load.baselineStartMs !== undefined && !Number.isFinite(load.baselineStartMs))
    throw new InputError('baselineStartMs: not a time');
  if (load.minPieceMin !== undefined && !(Number.isFinite(load.minPieceMin) && load.minPieceMin > 0))
    throw new InputError(`minPieceMin: ${load.minPieceMin} is not a positive number of minutes`);
  if (load.maxPieces !== undefined && !(Number.isInteger(load.maxPieces) && load.maxPieces >= 1))
    throw new InputError(`maxPieces: ${load.maxPieces} is not a whole number >= 1`);
  if (load.templateId !== undefined && !isUuid(load.templateId))
    throw new InputError(`templateId: "${load.templateId}" is not a recurring load id`);
  if (load.queuedAttempt !== undefined && !(Number.isInteger(load.queuedAttempt) && load.queuedAttempt >= 0))
    throw new InputError(`queuedAttempt: ${load.queuedAttempt} is not a whole number >= 0`);
}

function validatePlan(plan: LoadPlan): void {
  if (!plan.zone) throw new InputError('plan.zone: must not be empty');
  if (!plan.runs.length) throw new InputError('plan.runs: a plan has at least one run');
  for (const r of plan.runs) {
    if (!(Number.isFinite(r.startMs) && Number.isFinite(r.endMs) && r.endMs > r.startMs)) {
      throw new InputError(`plan.runs: run ${JSON.stringify(r)} does not end after it starts`);
    }
  }
}

function assertState(s: string, field: string): asserts s is LoadState {
  if (!(LOAD_STATES as readonly string[]).includes(s)) {
    throw new InputError(`${field}: "${s}" is not a load state (${LOAD_STATES.join(', ')})`);
  }
}

const finiteOrNull = (v: number | null | undefined) =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;

/** $18..$25 of insertLoad, $2..$9 of replanLoad */
function planParams(plan: LoadPlan | null): unknown[] {
  if (!plan) return [null, null, null, null, null, null, null, null];
  validatePlan(plan);
  const runs = plan.runs.map((r) => ({ startMs: r.startMs, endMs: r.endMs }));
  return [
    plan.zone,
    JSON.stringify(runs),
    new Date(Math.min(...runs.map((r) => r.startMs))),
    finiteOrNull(plan.expectedEmissionsG),
    finiteOrNull(plan.expectedCost),
    finiteOrNull(plan.baselineEmissionsG),
    finiteOrNull(plan.baselineCost),
    plan.currency ?? null,
  ];
}

export function rowToLoad(r: Row): Load {
  const runs = r.plan_runs as Run[] | null;
  return {
    id: String(r.id),
    name: String(r.name),
    tags: (r.tags as string[]) ?? [],
    zones: (r.zones as string[]) ?? [],
    cloudRegion: (r.cloud_region as string | null) ?? null,
    durationMin: Number(r.duration_min),
    powerKw: numOrNull(r.power_kw),
    energyKwh: numOrNull(r.energy_kwh),
    earliestMs: ms(r.earliest_start),
    deadlineMs: ms(r.deadline),
    interruptible: Boolean(r.interruptible),
    objective: storedObjective(String(r.objective)),
    carbonCapG: numOrNull(r.carbon_cap_g),
    priority: Number(r.priority),
    dispatch: r.dispatch as DispatchTarget,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    maxRetries: Number(r.max_retries),
    state: r.state as LoadState,
    attempt: Number(r.attempt),
    plan:
      r.plan_zone === null || r.plan_zone === undefined
        ? null
        : {
            zone: String(r.plan_zone),
            runs: runs ?? [],
            expectedEmissionsG: numOrNull(r.expected_emissions_g),
            expectedCost: numOrNull(r.expected_cost),
            baselineEmissionsG: numOrNull(r.baseline_emissions_g),
            baselineCost: numOrNull(r.baseline_cost),
            currency: (r.cost_currency as string | null) ?? null,
          },
    plannedStartMs: msOrNull(r.planned_start),
    lastError: (r.last_error as string | null) ?? null,
    createdMs: ms(r.created_at),
    updatedMs: ms(r.updated_at),
    stateChangedMs: ms(r.state_changed_at),
    startedMs: msOrNull(r.started_at),
    finishedMs: msOrNull(r.finished_at),
    baselineStartMs: msOrNull(r.baseline_start),
    minPieceMin: numOrNull(r.min_piece_min),
    maxPieces: numOrNull(r.max_pieces),
    templateId: (r.template_id as string | null) ?? null,
    held: Boolean(r.held),
    holdReason: (r.hold_reason as string | null) ?? null,
    queuedAttempt: Number(r.queued_attempt ?? 0),
    failures: Number(r.failures ?? 0),
    piece: Number(r.piece ?? 0),
    actualRuns: (r.actual_runs as Run[] | null) ?? [],
    failedRuns: (r.failed_runs as Run[] | null) ?? [],
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs; anything else cannot name a load (and would make PostgreSQL raise on the cast). */
export const isUuid = (id: string): boolean => UUID_RE.test(id);

/** Cursors are opaque to callers: base64url of the last row's (created_at, id). */
function encodeCursor(load: Load): string {
  return Buffer.from(JSON.stringify([load.createdMs, load.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdMs: number; id: string } {
  try {
    const [createdMs, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Number.isFinite(createdMs) && typeof id === 'string' && isUuid(id)) return { createdMs, id };
  } catch {
    // fall through
  }
  throw new InputError('cursor: not a cursor this server issued');
}

// ---------------------------------------------------------------------------------------------------
// Moves (compare-and-set, with the scheduler's bookkeeping), replans, and the loads the scheduler looks for

export type MoveResult =
  | { won: true; from: LoadState; load: Load }
  /** the load was not in one of the expected states (someone else moved it), or does not exist */
  | { won: false; load: Load | null };

export interface MoveOptions extends Clocked {
  /** recorded on the event; `error` (a string) is also kept as the load's lastError */
  detail?: Record<string, unknown>;
  /** move only if the load's queued attempt is this one */
  expectQueuedAttempt?: number;
  /** move only if the load's current attempt is this one */
  expectAttempt?: number;
  /** set the load's attempt number (entering running) */
  setAttempt?: number;
  /** set the attempt number of the load's queued attempt */
  setQueuedAttempt?: number;
  /** count a failure, or reset the count (an operator retry) */
  failures?: 'inc' | 'reset';
  /** runs that actually happened, appended to actualRuns */
  appendRuns?: Run[];
  /** what a failed attempt ran, appended to failedRuns */
  appendFailedRuns?: Run[];
  /** set the index of the next piece */
  setPiece?: number;
  /** set the planned start (that of the next piece) */
  setPlannedStartMs?: number;
}

/**
 * Moves a load to `to` if, and only if, its state is one of `from` (and its attempt numbers are the
 * expected ones): an atomic compare-and-set, so of several workers racing for the same load exactly one
 * wins. The scheduler's bookkeeping (attempt numbers, failures, pieces, actual runs) changes in the same
 * statement, and every move is recorded as a load event with its time and detail.
 */
export async function moveLoad(
  db: Db,
  loadId: string,
  from: LoadState | readonly LoadState[],
  to: LoadState,
  options: MoveOptions = {},
): Promise<MoveResult> {
  const fromStates = [from].flat() as LoadState[];
  assertState(to, 'to');
  for (const f of fromStates) {
    assertState(f, 'from');
    if (!LOAD_TRANSITIONS[f].includes(to)) {
      throw new InputError(`transition: a load cannot move from ${f} to ${to}`);
    }
  }
  const detail = options.detail ?? {};
  const error = typeof detail.error === 'string' ? detail.error : null;
  const rows = isUuid(loadId)
    ? await db.query<Row>(sql.moveLoad(db.schema), [
        loadId,
        fromStates,
        to,
        new Date(options.nowMs ?? Date.now()),
        JSON.stringify(detail),
        error,
        options.expectQueuedAttempt ?? null,
        options.setAttempt ?? null,
        options.setQueuedAttempt ?? null,
        options.failures ?? null,
        options.appendRuns ? JSON.stringify(options.appendRuns) : null,
        options.setPiece ?? null,
        FINISHING_STATES.includes(to),
        options.expectAttempt ?? null,
        options.setPlannedStartMs === undefined ? null : new Date(options.setPlannedStartMs),
        options.appendFailedRuns ? JSON.stringify(options.appendFailedRuns) : null,
      ])
    : [];
  if (rows.length) return { won: true, from: rows[0].from_state as LoadState, load: rowToLoad(rows[0]) };
  return { won: false, load: await getLoad(db, loadId) };
}

/**
 * Gives a load a new queued attempt number without a state change (an attempt deferred to later), if its
 * state is one of `states` and its queued attempt is still `expectQueuedAttempt`. Null when it is not.
 */
export async function requeueLoad(
  db: Db,
  loadId: string,
  states: readonly LoadState[],
  expectQueuedAttempt: number,
  queuedAttempt: number,
  options: Clocked = {},
): Promise<Load | null> {
  if (!isUuid(loadId)) return null;
  const rows = await db.query<Row>(sql.requeueLoad(db.schema), [
    loadId,
    [...states],
    expectQueuedAttempt,
    queuedAttempt,
    new Date(options.nowMs ?? Date.now()),
  ]);
  return rows[0] ? rowToLoad(rows[0]) : null;
}

export interface ReplanOptions extends Clocked {
  /** states the load may be in (default planned, waiting) */
  states?: readonly LoadState[];
  held?: boolean;
  holdReason?: string | null;
  setQueuedAttempt?: number;
  expectQueuedAttempt?: number;
  /**
   * pieces of the interruptible load already run (default 0): the plan keeps their runs first, and the
   * planned start becomes that of the next piece
   */
  piece?: number;
}

/**
 * Records a new plan (and whether the load is held) on a load that has run `options.piece` pieces (default
 * none); null when the load is no longer in one of the allowed states, ran another piece meanwhile, or its
 * queued attempt moved on.
 */
export async function replanLoad(
  db: Db,
  loadId: string,
  plan: LoadPlan,
  options: ReplanOptions = {},
): Promise<Load | null> {
  if (!isUuid(loadId)) return null;
  const piece = options.piece ?? 0;
  const params = planParams(plan);
  if (piece > 0) {
    const next = [...plan.runs].sort((a, b) => a.startMs - b.startMs)[piece];
    if (!next)
      throw new InputError(
        `plan: needs the ${piece} run(s) already made and at least one more, got ${plan.runs.length}`,
      );
    params[2] = new Date(next.startMs);
  }
  const rows = await db.query<Row>(sql.replanLoad(db.schema), [
    loadId,
    ...params,
    new Date(options.nowMs ?? Date.now()),
    [...(options.states ?? ['planned', 'waiting'])],
    options.held ?? false,
    options.holdReason ?? null,
    options.setQueuedAttempt ?? null,
    options.expectQueuedAttempt ?? null,
    piece,
  ]);
  return rows[0] ? rowToLoad(rows[0]) : null;
}

/** Waiting loads that are held or whose next run starts after `afterMs`, soonest first. */
export async function replanCandidates(db: Db, afterMs: number, limit = 1000): Promise<Load[]> {
  const rows = await db.query<Row>(sql.selectReplanCandidates(db.schema), [new Date(afterMs), limit]);
  return rows.map(rowToLoad);
}

/**
 * Loads untouched since `beforeMs` that a crash may have left between two steps: planned but not queued,
 * failed but not retried, or waiting well past their planned start.
 */
export async function staleLoads(db: Db, beforeMs: number, limit = 200): Promise<Load[]> {
  const rows = await db.query<Row>(sql.selectStaleLoads(db.schema), [new Date(beforeMs), limit]);
  return rows.map(rowToLoad);
}

/** Waiting loads due at or before `atMs`, soonest first. */
export async function dueLoads(db: Db, atMs: number, limit = 1000): Promise<Load[]> {
  const rows = await db.query<Row>(sql.selectDueLoads(db.schema), [new Date(atMs), limit]);
  return rows.map(rowToLoad);
}

/** Zones (candidate and planned) of the loads that are not finished. */
export async function activeZones(db: Db): Promise<string[]> {
  const rows = await db.query<{ zone: string }>(sql.selectActiveZones(db.schema));
  return rows.map((r) => r.zone);
}
