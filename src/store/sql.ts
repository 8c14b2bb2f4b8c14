/**
 * Every SQL statement gridshift runs against its own tables, as plain functions returning text.
 * `s` is the schema name (validated by assertSchemaName, so safe to splice); parameters are always `$n`.
 * The repositories (loads.ts, audit.ts, scheduler.ts, tokens.ts) call these; no SQL lives elsewhere.
 */

const q = (s: string) => `"${s}"`;

// --- migrations ------------------------------------------------------------------------------------

/** Held until the migration transaction ends; $1 is a text key naming the schema. */
export const migrationLock = () => 'SELECT pg_advisory_xact_lock(hashtext($1)) AS locked';

export const createSchemaTable = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${q(s)};
CREATE TABLE IF NOT EXISTS ${q(s)}.gridshift_schema (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL
);`;

export const schemaTableExists = () =>
  `SELECT to_regclass(quote_ident($1) || '.gridshift_schema') IS NOT NULL AS exists`;

export const currentVersion = (s: string) => `SELECT max(version) AS version FROM ${q(s)}.gridshift_schema`;

export const recordMigration = (s: string) =>
  `INSERT INTO ${q(s)}.gridshift_schema (version, name, applied_at) VALUES ($1, $2, $3)`;

// --- loads -----------------------------------------------------------------------------------------

const LOAD_COLUMN_NAMES = [
  'id',
  'name',
  'tags',
  'zones',
  'cloud_region',
  'duration_min',
  'power_kw',
  'energy_kwh',
  'earliest_start',
  'deadline',
  'interruptible',
  'objective',
  'carbon_cap_g',
  'priority',
  'dispatch',
  'idempotency_key',
  'max_retries',
  'state',
  'attempt',
  'plan_zone',
  'plan_runs',
  'planned_start',
  'expected_emissions_g',
  'expected_cost',
  'baseline_emissions_g',
  'baseline_cost',
  'cost_currency',
  'last_error',
  'created_at',
  'updated_at',
  'state_changed_at',
  'started_at',
  'finished_at',
];
const loadColumns = (alias = '') => LOAD_COLUMN_NAMES.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
const LOAD_COLUMNS = loadColumns();

/**
 * Inserts a load in state `planned`, or nothing when its idempotency key is taken.
 * $1 id, $2 name, $3 tags, $4 zones, $5 cloud_region, $6 duration_min, $7 power_kw, $8 energy_kwh,
 * $9 earliest_start, $10 deadline, $11 interruptible, $12 objective, $13 carbon_cap_g, $14 priority,
 * $15 dispatch (json text), $16 idempotency_key, $17 max_retries, $18 plan_zone, $19 plan_runs (json text),
 * $20 planned_start, $21 expected_emissions_g, $22 expected_cost, $23 baseline_emissions_g, $24 baseline_cost,
 * $25 cost_currency, $26 now
 */
export const insertLoad = (s: string) => `
WITH ins AS (
  INSERT INTO ${q(s)}.loads (id, name, tags, zones, cloud_region, duration_min, power_kw, energy_kwh,
    earliest_start, deadline, interruptible, objective, carbon_cap_g, priority, dispatch, idempotency_key,
    max_retries, state, attempt, plan_zone, plan_runs, planned_start, expected_emissions_g, expected_cost,
    baseline_emissions_g, baseline_cost, cost_currency, created_at, updated_at, state_changed_at)
  VALUES ($1, $2, $3::text[], $4::text[], $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17,
    'planned', 0, $18, $19::jsonb, $20, $21, $22, $23, $24, $25, $26, $26, $26)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING ${LOAD_COLUMNS}
), ev AS (
  INSERT INTO ${q(s)}.load_events (load_id, at, from_state, to_state, attempt, detail)
  SELECT id, created_at, NULL, state, attempt, '{"event":"created"}'::jsonb FROM ins
)
SELECT ${LOAD_COLUMNS} FROM ins`;

export const selectLoad = (s: string) => `SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads WHERE id = $1`;

export const selectLoadByKey = (s: string) =>
  `SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads WHERE idempotency_key = $1`;

/**
 * One page of loads, newest first, keyset-paginated on (created_at, id).
 * $1 states text[] | null, $2 tag | null, $3 zone | null, $4 created from | null, $5 created before | null,
 * $6 cursor created_at | null, $7 cursor id | null, $8 limit
 */
export const listLoads = (s: string) => `
SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads
WHERE ($1::text[] IS NULL OR state = ANY($1::text[]))
  AND ($2::text IS NULL OR tags @> ARRAY[$2::text])
  AND ($3::text IS NULL OR zones @> ARRAY[$3::text] OR plan_zone = $3::text OR cloud_region = $3::text)
  AND ($4::timestamptz IS NULL OR created_at >= $4::timestamptz)
  AND ($5::timestamptz IS NULL OR created_at < $5::timestamptz)
  AND ($6::timestamptz IS NULL OR (created_at, id) < ($6::timestamptz, $7::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $8`;

/**
 * Compare-and-set of a load's state: moves it only when its state is one of $2, and records the event
 * in the same statement. The row lock taken by FOR UPDATE makes a concurrent mover re-check the state
 * after this one commits, so of two racing movers exactly one gets a row back.
 * $1 id, $2 from states, $3 to state, $4 now, $5 detail (json text), $6 error text | null,
 * $7 increment attempt (boolean), $8 terminal (boolean)
 */
export const transitionLoad = (s: string) => `
WITH prev AS (
  SELECT id, state FROM ${q(s)}.loads WHERE id = $1 AND state = ANY($2::text[]) FOR UPDATE
), moved AS (
  UPDATE ${q(s)}.loads l SET
    state = $3,
    attempt = l.attempt + CASE WHEN $7::boolean THEN 1 ELSE 0 END,
    state_changed_at = $4,
    updated_at = $4,
    started_at = CASE WHEN $3 = 'running' THEN $4 ELSE l.started_at END,
    finished_at = CASE WHEN $8::boolean THEN $4 WHEN $3 = 'running' THEN NULL ELSE l.finished_at END,
    last_error = CASE WHEN $6::text IS NOT NULL THEN $6::text ELSE l.last_error END
  FROM prev
  WHERE l.id = prev.id
  RETURNING ${loadColumns('l')}, prev.state AS from_state
), ev AS (
  INSERT INTO ${q(s)}.load_events (load_id, at, from_state, to_state, attempt, detail)
  SELECT id, $4, from_state, state, attempt, $5::jsonb FROM moved
)
SELECT * FROM moved`;

/**
 * Records a (re)plan on a load that has not started: $1 id, $2 plan_zone, $3 plan_runs (json text),
 * $4 planned_start, $5 expected_emissions_g, $6 expected_cost, $7 baseline_emissions_g, $8 baseline_cost,
 * $9 cost_currency, $10 now, $11 allowed states text[]
 */
export const updatePlan = (s: string) => `
UPDATE ${q(s)}.loads SET plan_zone = $2, plan_runs = $3::jsonb, planned_start = $4, expected_emissions_g = $5,
  expected_cost = $6, baseline_emissions_g = $7, baseline_cost = $8, cost_currency = $9, updated_at = $10
WHERE id = $1 AND state = ANY($11::text[])
RETURNING ${LOAD_COLUMNS}`;

export const selectLoadEvents = (s: string) => `
SELECT seq, load_id, at, from_state, to_state, attempt, detail
FROM ${q(s)}.load_events WHERE load_id = $1 ORDER BY seq`;

/** $1 states text[], $2 last change before. Events go with their loads (ON DELETE CASCADE). */
export const purgeLoads = (s: string) => `
WITH gone AS (
  DELETE FROM ${q(s)}.loads WHERE state = ANY($1::text[]) AND state_changed_at < $2 RETURNING id
)
SELECT count(*)::integer AS count FROM gone`;

export const countLoadsByState = (s: string) =>
  `SELECT state, count(*)::integer AS count FROM ${q(s)}.loads GROUP BY state`;

// --- decisions (audit log) ---------------------------------------------------------------------------

/** Serialises appenders for the rest of the transaction, so the chain never forks. */
export const lockDecisions = (s: string) => `LOCK TABLE ${q(s)}.decisions IN SHARE ROW EXCLUSIVE MODE`;

export const lastDecision = (s: string) =>
  `SELECT seq, hash FROM ${q(s)}.decisions ORDER BY seq DESC LIMIT 1`;

/** $1 seq, $2 at, $3 load_id, $4 kind, $5 inputs, $6 choice, $7 alternatives (json text), $8 reason, $9 prev_hash, $10 hash */
export const insertDecision = (s: string) => `
INSERT INTO ${q(s)}.decisions (seq, at, load_id, kind, inputs, choice, alternatives, reason, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10)`;

const DECISION_COLUMNS = 'seq, at, load_id, kind, inputs, choice, alternatives, reason, prev_hash, hash';

/** A page of decisions in chain order: $1 after seq, $2 load_id | null, $3 limit */
export const selectDecisions = (s: string) => `
SELECT ${DECISION_COLUMNS} FROM ${q(s)}.decisions
WHERE seq > $1 AND ($2::uuid IS NULL OR load_id = $2::uuid)
ORDER BY seq LIMIT $3`;

// --- scheduler state -------------------------------------------------------------------------------

export const selectScheduler = (s: string) => `
SELECT paused, paused_at, paused_reason, last_planner_run, next_planner_run, updated_at
FROM ${q(s)}.scheduler_state WHERE id`;

/** $1 paused, $2 now, $3 reason | null */
export const setPaused = (s: string) => `
UPDATE ${q(s)}.scheduler_state SET paused = $1, paused_at = CASE WHEN $1 THEN $2::timestamptz END,
  paused_reason = CASE WHEN $1 THEN $3::text END, updated_at = $2
WHERE id
RETURNING paused, paused_at, paused_reason, last_planner_run, next_planner_run, updated_at`;

/** $1 last run, $2 next run | null, $3 now */
export const recordPlannerRun = (s: string) => `
UPDATE ${q(s)}.scheduler_state SET last_planner_run = $1, next_planner_run = $2, updated_at = $3
WHERE id
RETURNING paused, paused_at, paused_reason, last_planner_run, next_planner_run, updated_at`;

// --- api tokens ------------------------------------------------------------------------------------

const TOKEN_COLUMNS = 'id, name, scopes, created_at, last_used_at, revoked_at';

/** $1 id, $2 name, $3 secret_hash, $4 scopes, $5 now */
export const insertToken = (s: string) => `
INSERT INTO ${q(s)}.api_tokens (id, name, secret_hash, scopes, created_at)
VALUES ($1, $2, $3, $4::text[], $5)
RETURNING ${TOKEN_COLUMNS}`;

/** A live token by its secret's hash, stamping its use: $1 secret_hash, $2 now */
export const useToken = (s: string) => `
UPDATE ${q(s)}.api_tokens SET last_used_at = $2
WHERE secret_hash = $1 AND revoked_at IS NULL
RETURNING ${TOKEN_COLUMNS}`;

export const listTokens = (s: string) =>
  `SELECT ${TOKEN_COLUMNS} FROM ${q(s)}.api_tokens ORDER BY created_at, id`;

/** $1 id, $2 now */
export const revokeToken = (s: string) => `
UPDATE ${q(s)}.api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
RETURNING ${TOKEN_COLUMNS}`;
