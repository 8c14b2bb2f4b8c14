/**
 * Every SQL statement gridshift runs against its own tables, as plain functions returning text.
 * `s` is the schema name (validated by assertSchemaName, so safe to splice); parameters are always `$n`.
 * The repositories (loads.ts, audit.ts, scheduler.ts, tokens.ts, devices.ts, openai.ts ...) call these;
 * no SQL lives elsewhere.
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
  'baseline_start',
  'min_piece_min',
  'max_pieces',
  'template_id',
  'held',
  'hold_reason',
  'queued_attempt',
  'failures',
  'piece',
  'actual_runs',
  'failed_runs',
];
const loadColumns = (alias = '') => LOAD_COLUMN_NAMES.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
const LOAD_COLUMNS = loadColumns();

/**
 * Inserts a load in state `planned`, or nothing when its idempotency key is taken.
 * $1 id, $2 name, $3 tags, $4 zones, $5 cloud_region, $6 duration_min, $7 power_kw, $8 energy_kwh,
 * $9 earliest_start, $10 deadline, $11 interruptible, $12 objective, $13 carbon_cap_g, $14 priority,
 * $15 dispatch (json text), $16 idempotency_key, $17 max_retries, $18 plan_zone, $19 plan_runs (json text),
 * $20 planned_start, $21 expected_emissions_g, $22 expected_cost, $23 baseline_emissions_g, $24 baseline_cost,
 * $25 cost_currency, $26 now, $27 baseline_start, $28 min_piece_min, $29 max_pieces, $30 template_id,
 * $31 held, $32 hold_reason, $33 queued_attempt, $34 request (json text)
 */
export const insertLoad = (s: string) => `
WITH ins AS (
  INSERT INTO ${q(s)}.loads (id, name, tags, zones, cloud_region, duration_min, power_kw, energy_kwh,
    earliest_start, deadline, interruptible, objective, carbon_cap_g, priority, dispatch, idempotency_key,
    max_retries, state, attempt, plan_zone, plan_runs, planned_start, expected_emissions_g, expected_cost,
    baseline_emissions_g, baseline_cost, cost_currency, created_at, updated_at, state_changed_at,
    baseline_start, min_piece_min, max_pieces, template_id, held, hold_reason, queued_attempt, request)
  VALUES ($1, $2, $3::text[], $4::text[], $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17,
    'planned', 0, $18, $19::jsonb, $20, $21, $22, $23, $24, $25, $26, $26, $26,
    $27, $28, $29, $30::uuid, $31, $32, $33, $34::jsonb)
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

/** The request a load was submitted with (NULL when not stored). $1 id */
export const selectLoadRequest = (s: string) => `SELECT request FROM ${q(s)}.loads WHERE id = $1`;

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

/** $1 dispatch kind */
export const countLoadsOfDispatch = (s: string) =>
  `SELECT state, count(*)::integer AS count FROM ${q(s)}.loads WHERE dispatch->>'kind' = $1 GROUP BY state`;

/** $1 dispatch kind, $2 limit: newest first */
export const listLoadsOfDispatch = (s: string) => `
SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads WHERE dispatch->>'kind' = $1
ORDER BY created_at DESC, id DESC LIMIT $2`;

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

const SCHEDULER_COLUMNS = 'paused, paused_at, paused_reason, last_planner_run, next_planner_run, updated_at';

export const selectScheduler = (s: string) =>
  `SELECT ${SCHEDULER_COLUMNS} FROM ${q(s)}.scheduler_state WHERE id`;

/** $1 paused, $2 now, $3 reason | null */
export const setPaused = (s: string) => `
UPDATE ${q(s)}.scheduler_state SET paused = $1, paused_at = CASE WHEN $1 THEN $2::timestamptz END,
  paused_reason = CASE WHEN $1 THEN $3::text END, updated_at = $2
WHERE id
RETURNING ${SCHEDULER_COLUMNS}`;

/** $1 last run, $2 next run | null, $3 now */
export const recordPlannerRun = (s: string) => `
UPDATE ${q(s)}.scheduler_state SET last_planner_run = $1, next_planner_run = $2, updated_at = $3
WHERE id
RETURNING ${SCHEDULER_COLUMNS}`;

// --- api tokens ------------------------------------------------------------------------------------

const TOKEN_COLUMNS = 'id, name, scopes, created_at, last_used_at, revoked_at';

/** $1 id, $2 name, $3 secret_hash, $4 scopes, $5 now */
export const insertToken = (s: string) => `
INSERT INTO ${q(s)}.api_tokens (id, name, secret_hash, scopes, created_at)
VALUES ($1, $2, $3, $4::text[], $5)
RETURNING ${TOKEN_COLUMNS}`;

/** A live token by its secret's hash, stamping its use: $1 secret_hash, $2 now */
/**
 * The live token with secret hash $1, stamping its last use at $2 only when the stamp is a minute old or
 * more: a busy client must not write (and lock the token's row) on every request. Returns the row as it was
 * before the stamp.
 */
export const useToken = (s: string) => `
WITH live AS (
  SELECT ${TOKEN_COLUMNS} FROM ${q(s)}.api_tokens WHERE secret_hash = $1 AND revoked_at IS NULL
), stamped AS (
  UPDATE ${q(s)}.api_tokens a SET last_used_at = $2 FROM live
  WHERE a.id = live.id AND (a.last_used_at IS NULL OR a.last_used_at < $2::timestamptz - interval '1 minute')
)
SELECT * FROM live`;

export const listTokens = (s: string) =>
  `SELECT ${TOKEN_COLUMNS} FROM ${q(s)}.api_tokens ORDER BY created_at, id`;

/** $1 id, $2 now */
export const revokeToken = (s: string) => `
UPDATE ${q(s)}.api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
RETURNING ${TOKEN_COLUMNS}`;

// --- scheduler: attempts, plans, repairs -------------------------------------------------------------

/**
 * A compare-and-set move of a load with the bookkeeping of the scheduler, and its event, in one statement.
 * The row lock (FOR UPDATE) makes racing movers re-check after the first commits: exactly one wins.
 * $1 id, $2 from states, $3 to state, $4 now, $5 detail (json text), $6 error | null,
 * $7 expected queued_attempt | null, $8 set attempt | null, $9 set queued_attempt | null,
 * $10 failures: 'inc' | 'reset' | null, $11 runs to append (json text) | null, $12 set piece | null,
 * $13 terminal (stamps finished_at), $14 expected attempt | null, $15 set planned_start | null,
 * $16 runs of a failed attempt to append (json text) | null
 */
export const moveLoad = (s: string) => `
WITH prev AS (
  SELECT id, state FROM ${q(s)}.loads
  WHERE id = $1 AND state = ANY($2::text[])
    AND ($7::integer IS NULL OR queued_attempt = $7::integer)
    AND ($14::integer IS NULL OR attempt = $14::integer)
  FOR UPDATE
), moved AS (
  UPDATE ${q(s)}.loads l SET
    state = $3,
    state_changed_at = $4,
    updated_at = $4,
    attempt = COALESCE($8::integer, l.attempt),
    queued_attempt = COALESCE($9::integer, l.queued_attempt),
    failures = CASE $10::text WHEN 'inc' THEN l.failures + 1 WHEN 'reset' THEN 0 ELSE l.failures END,
    actual_runs = CASE WHEN $11::jsonb IS NULL THEN l.actual_runs ELSE l.actual_runs || $11::jsonb END,
    failed_runs = CASE WHEN $16::jsonb IS NULL THEN l.failed_runs ELSE l.failed_runs || $16::jsonb END,
    piece = COALESCE($12::integer, l.piece),
    planned_start = COALESCE($15::timestamptz, l.planned_start),
    started_at = CASE WHEN $3 = 'running' AND (l.piece = 0 OR l.started_at IS NULL) THEN $4 ELSE l.started_at END,
    finished_at = CASE WHEN $13::boolean THEN $4 WHEN $3 = 'running' THEN NULL ELSE l.finished_at END,
    last_error = CASE WHEN $6::text IS NOT NULL THEN $6::text ELSE l.last_error END,
    held = CASE WHEN $3 = 'running' THEN false ELSE l.held END,
    hold_reason = CASE WHEN $3 = 'running' THEN NULL ELSE l.hold_reason END
  FROM prev
  WHERE l.id = prev.id
  RETURNING ${loadColumns('l')}, prev.state AS from_state
), ev AS (
  INSERT INTO ${q(s)}.load_events (load_id, at, from_state, to_state, attempt, detail)
  SELECT id, $4, from_state, state, attempt, $5::jsonb FROM moved
)
SELECT * FROM moved`;

/**
 * Gives a load a new queued attempt without changing its state (a deferred attempt): only while its state
 * is one of $2 and its queued attempt is still $3. $1 id, $2 states, $3 expected queued_attempt,
 * $4 new queued_attempt, $5 now
 */
export const requeueLoad = (s: string) => `
UPDATE ${q(s)}.loads SET queued_attempt = $4, updated_at = $5
WHERE id = $1 AND state = ANY($2::text[]) AND queued_attempt = $3
RETURNING ${LOAD_COLUMNS}`;

/**
 * Records a (re)plan and whether the load is held, on a load in one of the states $11 that has run $16
 * pieces. $1 id, $2 plan_zone, $3 plan_runs, $4 planned_start, $5 expected_emissions_g, $6 expected_cost,
 * $7 baseline_emissions_g, $8 baseline_cost, $9 cost_currency, $10 now, $11 states, $12 held,
 * $13 hold_reason, $14 set queued_attempt | null, $15 expected queued_attempt | null, $16 pieces run
 */
export const replanLoad = (s: string) => `
UPDATE ${q(s)}.loads SET plan_zone = $2, plan_runs = $3::jsonb, planned_start = $4, expected_emissions_g = $5,
  expected_cost = $6, baseline_emissions_g = $7, baseline_cost = $8, cost_currency = $9, updated_at = $10,
  held = $12, hold_reason = $13, queued_attempt = COALESCE($14::integer, queued_attempt)
WHERE id = $1 AND state = ANY($11::text[]) AND piece = $16::integer
  AND ($15::integer IS NULL OR queued_attempt = $15::integer)
RETURNING ${LOAD_COLUMNS}`;

/**
 * Waiting loads the planner may move: held ones, and those whose next run starts after $1 (planned_start
 * is the start of the next piece of an interruptible load that has run some). $2 limit
 */
export const selectReplanCandidates = (s: string) => `
SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads
WHERE state = 'waiting' AND (held OR planned_start > $1)
ORDER BY planned_start, id
LIMIT $2`;

/**
 * Loads a crash may have left between two steps, untouched since $1: planned but never queued, failed but
 * never retried, waiting well past their planned start (their attempt may be missing). $2 limit
 */
export const selectStaleLoads = (s: string) => `
SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads
WHERE updated_at <= $1
  AND (state IN ('planned', 'failed') OR (state = 'waiting' AND planned_start <= $1))
ORDER BY updated_at, id
LIMIT $2`;

/** Waiting loads due at or before $1 (released at once when the scheduler resumes). $2 limit */
export const selectDueLoads = (s: string) => `
SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads
WHERE state = 'waiting' AND planned_start <= $1
ORDER BY planned_start, id
LIMIT $2`;

/** Zones of loads not yet finished: the zones the planner watches. */
export const selectActiveZones = (s: string) => `
SELECT DISTINCT z AS zone FROM (
  SELECT unnest(zones) AS z FROM ${q(s)}.loads WHERE state IN ('planned', 'waiting', 'running', 'failed')
  UNION SELECT plan_zone FROM ${q(s)}.loads WHERE state IN ('planned', 'waiting', 'running', 'failed')
) zs WHERE z IS NOT NULL ORDER BY 1`;

/** The newest decision of the kinds $2 about load $1. */
/** $1 kinds text[], $2 limit: newest first */
export const recentDecisionsOf = (s: string) => `
SELECT ${DECISION_COLUMNS} FROM ${q(s)}.decisions
WHERE kind = ANY($1::text[])
ORDER BY seq DESC LIMIT $2`;

export const lastDecisionOf = (s: string) => `
SELECT ${DECISION_COLUMNS} FROM ${q(s)}.decisions
WHERE load_id = $1 AND kind = ANY($2::text[])
ORDER BY seq DESC LIMIT 1`;

/** Held to the end of the transaction, or not taken when another session holds it: $1 key text */
export const tryAdvisoryXactLock = () => 'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked';

// --- recurring loads -------------------------------------------------------------------------------

const TEMPLATE_COLUMNS =
  'id, name, spec, cron, flex_min, time_zone, idempotency_key, active, last_nominal, created_at, updated_at, cancelled_at';

/** $1 id, $2 name, $3 spec (json text), $4 cron, $5 flex_min, $6 time_zone, $7 idempotency_key, $8 now */
export const insertTemplate = (s: string) => `
INSERT INTO ${q(s)}.recurring_loads (id, name, spec, cron, flex_min, time_zone, idempotency_key, active,
  created_at, updated_at)
VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, true, $8, $8)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING ${TEMPLATE_COLUMNS}`;

export const selectTemplate = (s: string) =>
  `SELECT ${TEMPLATE_COLUMNS} FROM ${q(s)}.recurring_loads WHERE id = $1`;

export const selectTemplateByKey = (s: string) =>
  `SELECT ${TEMPLATE_COLUMNS} FROM ${q(s)}.recurring_loads WHERE idempotency_key = $1`;

/** $1 only active (boolean) */
export const listTemplates = (s: string) => `
SELECT ${TEMPLATE_COLUMNS} FROM ${q(s)}.recurring_loads
WHERE (NOT $1::boolean OR active) ORDER BY created_at, id`;

/** Moves the template's cursor forward (never back): $1 id, $2 nominal time, $3 now */
export const advanceTemplate = (s: string) => `
UPDATE ${q(s)}.recurring_loads SET last_nominal = GREATEST(COALESCE(last_nominal, $2), $2), updated_at = $3
WHERE id = $1
RETURNING ${TEMPLATE_COLUMNS}`;

/** $1 id, $2 now */
export const cancelTemplate = (s: string) => `
UPDATE ${q(s)}.recurring_loads SET active = false, cancelled_at = $2, updated_at = $2
WHERE id = $1 AND active
RETURNING ${TEMPLATE_COLUMNS}`;

/** Loads made from template $1 in states $2, oldest first */
export const selectTemplateLoads = (s: string) => `
SELECT ${LOAD_COLUMNS} FROM ${q(s)}.loads
WHERE template_id = $1 AND ($2::text[] IS NULL OR state = ANY($2::text[]))
ORDER BY created_at, id`;

// --- accounting ------------------------------------------------------------------------------------

const ACCOUNTING_COLUMNS =
  'load_id, name, tags, zone, home_zone, started_at, finished_at, runs, baseline_runs, energy_kwh, emissions_g, ' +
  'baseline_emissions_g, cost, baseline_cost, currency, basis, source, detail, accounted_at, failed_energy_kwh, ' +
  'failed_emissions_g';

/**
 * $1 load_id, $2 name, $3 tags, $4 zone, $5 home_zone, $6 started_at, $7 finished_at, $8 runs, $9 baseline_runs
 * (json text), $10 energy_kwh, $11 emissions_g, $12 baseline_emissions_g, $13 cost, $14 baseline_cost,
 * $15 currency, $16 basis, $17 source, $18 detail (json text), $19 accounted_at, $20 failed_energy_kwh,
 * $21 failed_emissions_g
 */
export const upsertAccounting = (s: string) => `
INSERT INTO ${q(s)}.load_accounting (${ACCOUNTING_COLUMNS})
VALUES ($1, $2, $3::text[], $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15, $16, $17, $18::jsonb, $19, $20, $21)
ON CONFLICT (load_id) DO UPDATE SET name = EXCLUDED.name, tags = EXCLUDED.tags, zone = EXCLUDED.zone,
  home_zone = EXCLUDED.home_zone, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
  runs = EXCLUDED.runs, baseline_runs = EXCLUDED.baseline_runs, energy_kwh = EXCLUDED.energy_kwh,
  emissions_g = EXCLUDED.emissions_g, baseline_emissions_g = EXCLUDED.baseline_emissions_g, cost = EXCLUDED.cost,
  baseline_cost = EXCLUDED.baseline_cost, currency = EXCLUDED.currency, basis = EXCLUDED.basis,
  source = EXCLUDED.source, detail = EXCLUDED.detail, accounted_at = EXCLUDED.accounted_at,
  failed_energy_kwh = EXCLUDED.failed_energy_kwh, failed_emissions_g = EXCLUDED.failed_emissions_g
RETURNING ${ACCOUNTING_COLUMNS}`;

export const selectAccounting = (s: string) =>
  `SELECT ${ACCOUNTING_COLUMNS} FROM ${q(s)}.load_accounting WHERE load_id = $1`;

/** Loads accounted on forecast values since $1 that finished before $2, oldest first: $3 limit */
export const selectForecastAccounting = (s: string) => `
SELECT load_id FROM ${q(s)}.load_accounting
WHERE basis = 'forecast' AND accounted_at >= $1 AND finished_at <= $2
ORDER BY accounted_at, load_id LIMIT $3`;

export type ReportGrouping = 'day' | 'week' | 'month' | 'tag' | 'zone' | 'none';

/** Groupings by period, which take the time zone of their days as $5. */
export const PERIOD_GROUPINGS: readonly ReportGrouping[] = ['day', 'week', 'month'];

const REPORT_KEYS: Record<ReportGrouping, string> = {
  day: `to_char(started_at AT TIME ZONE $5::text, 'YYYY-MM-DD')`,
  week: `to_char(started_at AT TIME ZONE $5::text, 'IYYY-"W"IW')`,
  month: `to_char(started_at AT TIME ZONE $5::text, 'YYYY-MM')`,
  tag: 'tag',
  zone: 'zone',
  none: `'all'`,
};

/**
 * Accounting rows summed per group (`tag` counts a load once under each of its tags, untagged ones under
 * `(untagged)`). Emission and cost sums cover only rows with both the run's and the baseline's value, so
 * savings compare like with like. $1 from | null, $2 to | null (on started_at), $3 zone | null, $4 tag | null,
 * and for the PERIOD_GROUPINGS $5 the IANA time zone their days begin in
 */
export const reportRows = (s: string, group: ReportGrouping) => `
WITH picked AS (
  SELECT * FROM ${q(s)}.load_accounting
  WHERE ($1::timestamptz IS NULL OR started_at >= $1::timestamptz)
    AND ($2::timestamptz IS NULL OR started_at < $2::timestamptz)
    AND ($3::text IS NULL OR zone = $3::text)
    AND ($4::text IS NULL OR tags @> ARRAY[$4::text])
), keyed AS (
  SELECT ${REPORT_KEYS[group]} AS key, p.*
  FROM picked p${
    group === 'tag'
      ? `
  CROSS JOIN LATERAL unnest(CASE WHEN cardinality(p.tags) = 0 THEN ARRAY['(untagged)'] ELSE p.tags END) AS tag`
      : ''
  }
)
SELECT key,
  count(*)::integer AS loads,
  coalesce(sum(energy_kwh), 0) AS energy_kwh,
  coalesce(sum(emissions_g) FILTER (WHERE emissions_g IS NOT NULL AND baseline_emissions_g IS NOT NULL), 0) AS emissions_g,
  coalesce(sum(baseline_emissions_g) FILTER (WHERE emissions_g IS NOT NULL AND baseline_emissions_g IS NOT NULL), 0)
    AS baseline_emissions_g,
  sum(cost) FILTER (WHERE cost IS NOT NULL AND baseline_cost IS NOT NULL) AS cost,
  sum(baseline_cost) FILTER (WHERE cost IS NOT NULL AND baseline_cost IS NOT NULL) AS baseline_cost,
  count(DISTINCT currency) FILTER (WHERE cost IS NOT NULL AND baseline_cost IS NOT NULL)::integer AS currencies,
  min(currency) FILTER (WHERE cost IS NOT NULL AND baseline_cost IS NOT NULL) AS currency,
  count(*) FILTER (WHERE basis = 'forecast')::integer AS forecast_basis,
  coalesce(sum(failed_energy_kwh), 0) AS failed_energy_kwh,
  coalesce(sum(failed_emissions_g) FILTER (WHERE emissions_g IS NOT NULL AND baseline_emissions_g IS NOT NULL), 0)
    AS failed_emissions_g
FROM keyed
GROUP BY key
ORDER BY key COLLATE "C"`;

// --- zone signal state -----------------------------------------------------------------------------

export const selectZoneSignal = (s: string) =>
  `SELECT zone, carbon, price, currency, source, clean, best_now, updated_at FROM ${q(s)}.zone_signals WHERE zone = $1`;

/** $1 zone, $2 carbon, $3 price, $4 currency, $5 source, $6 clean, $7 best_now, $8 now */
export const upsertZoneSignal = (s: string) => `
INSERT INTO ${q(s)}.zone_signals (zone, carbon, price, currency, source, clean, best_now, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (zone) DO UPDATE SET carbon = EXCLUDED.carbon, price = EXCLUDED.price, currency = EXCLUDED.currency,
  source = EXCLUDED.source, clean = EXCLUDED.clean, best_now = EXCLUDED.best_now, updated_at = EXCLUDED.updated_at`;

// --- workers and running attempts ------------------------------------------------------------------

/** A worker's heartbeat (registers it the first time): $1 name, $2 host, $3 pid, $4 started_ticks, $5 boot_id */
export const beatWorker = (s: string) => `
INSERT INTO ${q(s)}.workers (name, host, pid, started_ticks, boot_id, started_at, beat_at)
VALUES ($1, $2, $3, $4, $5, now(), now())
ON CONFLICT (name) DO UPDATE SET beat_at = now()`;

export const deleteWorker = (s: string) => `DELETE FROM ${q(s)}.workers WHERE name = $1`;

/** Workers whose heartbeat is older than $1 ms and who run nothing any more. */
export const pruneWorkers = (s: string) => `
DELETE FROM ${q(s)}.workers w
WHERE w.beat_at < now() - $1::double precision * interval '1 millisecond'
  AND NOT EXISTS (SELECT 1 FROM ${q(s)}.running_attempts ra WHERE ra.worker = w.name)`;

/**
 * Rows of attempts that are not running any more (their worker went before it removed them): at once
 * without a process group, after two days with one (no worker on its machine came back to end it).
 */
export const deleteEndedAttempts = (s: string) => `
DELETE FROM ${q(s)}.running_attempts ra
WHERE (ra.pgid IS NULL OR ra.started_at < now() - interval '2 days') AND NOT EXISTS (
  SELECT 1 FROM ${q(s)}.loads l WHERE l.id = ra.load_id AND l.state = 'running' AND l.attempt = ra.attempt)`;

/** $1 load_id, $2 attempt, $3 worker, $4 started_at */
export const insertRunningAttempt = (s: string) => `
INSERT INTO ${q(s)}.running_attempts (load_id, attempt, worker, started_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (load_id, attempt) DO UPDATE SET worker = EXCLUDED.worker, started_at = EXCLUDED.started_at,
  pgid = NULL, pgid_started_ticks = NULL`;

/** $1 load_id, $2 attempt, $3 worker, $4 pgid, $5 pgid_started_ticks */
export const setAttemptProcessGroup = (s: string) => `
UPDATE ${q(s)}.running_attempts SET pgid = $4, pgid_started_ticks = $5
WHERE load_id = $1 AND attempt = $2 AND worker = $3`;

/** $1 load_id, $2 attempt */
export const deleteRunningAttempt = (s: string) =>
  `DELETE FROM ${q(s)}.running_attempts WHERE load_id = $1 AND attempt = $2`;

/**
 * Attempts still running (their load says so) whose worker is lost: not $1 itself, and without a row, or
 * its heartbeat older than $2 ms, or, when $3 (one process owns the store), not this process ($4 host,
 * $5 pid, $6 started_ticks).
 */
export const selectLostAttempts = (s: string) => `
SELECT ra.load_id, ra.attempt, ra.worker, ra.started_at, ra.pgid, w.beat_at
FROM ${q(s)}.running_attempts ra
JOIN ${q(s)}.loads l ON l.id = ra.load_id AND l.state = 'running' AND l.attempt = ra.attempt
LEFT JOIN ${q(s)}.workers w ON w.name = ra.worker
WHERE ra.worker <> $1
  AND (w.name IS NULL
    OR w.beat_at < now() - $2::double precision * interval '1 millisecond'
    OR ($3::boolean AND NOT (w.host = $4 AND w.pid = $5 AND w.started_ticks IS NOT DISTINCT FROM $6::bigint)))
ORDER BY ra.started_at
LIMIT 100`;

/** Process groups recorded on host $1 by workers other than $2, with what tells their worker is gone. */
export const selectHostProcessGroups = (s: string) => `
SELECT ra.load_id, ra.attempt, ra.worker, ra.pgid, ra.pgid_started_ticks, w.pid AS worker_pid,
  w.started_ticks AS worker_started_ticks, w.boot_id
FROM ${q(s)}.running_attempts ra
JOIN ${q(s)}.workers w ON w.name = ra.worker
WHERE w.host = $1 AND ra.worker <> $2 AND ra.pgid IS NOT NULL`;

// --- notifications ---------------------------------------------------------------------------------

/** $1 channel, $2 payload (at most 8000 bytes) */
export const notify = () => 'SELECT pg_notify($1, $2)';

// --- the home ----------------------------------------------------------------------------------------

const HOME_PLAN_COLUMNS =
  'id, solved_at, start_at, step_min, slots, reason, inputs_hash, scenario, plan, inputs';

export const insertHomePlan = (s: string) => `
INSERT INTO ${q(s)}.home_plans (solved_at, start_at, step_min, slots, reason, inputs_hash, scenario, plan, inputs)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb)
RETURNING ${HOME_PLAN_COLUMNS}`;

export const latestHomePlan = (s: string) =>
  `SELECT ${HOME_PLAN_COLUMNS} FROM ${q(s)}.home_plans ORDER BY solved_at DESC, id DESC LIMIT 1`;

/** Plans solved before $1 (history kept this long) go. */
export const pruneHomePlans = (s: string) => `DELETE FROM ${q(s)}.home_plans WHERE solved_at < $1`;

export const upsertHomeSetpoints = (s: string) => `
INSERT INTO ${q(s)}.home_setpoints (slot_start, plan_id, setpoints, planned, published_at)
VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)
ON CONFLICT (slot_start) DO UPDATE SET plan_id = EXCLUDED.plan_id, setpoints = EXCLUDED.setpoints,
  planned = EXCLUDED.planned, published_at = EXCLUDED.published_at`;

export const homeSetpointsSince = (s: string) => `
SELECT slot_start, plan_id, setpoints, planned, published_at FROM ${q(s)}.home_setpoints
WHERE slot_start >= $1 ORDER BY slot_start`;

export const insertHomeMeasurement = (s: string) => `
INSERT INTO ${q(s)}.home_measurements (at, load_kw, pv_kw, soc_kwh, ev_energy_kwh, import_kw, export_kw)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (at) DO UPDATE SET
  load_kw = COALESCE(EXCLUDED.load_kw, home_measurements.load_kw),
  pv_kw = COALESCE(EXCLUDED.pv_kw, home_measurements.pv_kw),
  soc_kwh = COALESCE(EXCLUDED.soc_kwh, home_measurements.soc_kwh),
  ev_energy_kwh = COALESCE(EXCLUDED.ev_energy_kwh, home_measurements.ev_energy_kwh),
  import_kw = COALESCE(EXCLUDED.import_kw, home_measurements.import_kw),
  export_kw = COALESCE(EXCLUDED.export_kw, home_measurements.export_kw)`;

export const homeMeasurementsSince = (s: string) => `
SELECT at, load_kw, pv_kw, soc_kwh, ev_energy_kwh, import_kw, export_kw FROM ${q(s)}.home_measurements
WHERE at >= $1 ORDER BY at`;

/** The newest reading of each kind at or before $1. */
export const latestHomeReadings = (s: string) => `
SELECT
  (SELECT soc_kwh FROM ${q(s)}.home_measurements WHERE soc_kwh IS NOT NULL AND at <= $1 ORDER BY at DESC LIMIT 1) AS soc_kwh,
  (SELECT at FROM ${q(s)}.home_measurements WHERE soc_kwh IS NOT NULL AND at <= $1 ORDER BY at DESC LIMIT 1) AS soc_at,
  (SELECT ev_energy_kwh FROM ${q(s)}.home_measurements WHERE ev_energy_kwh IS NOT NULL AND at <= $1 ORDER BY at DESC LIMIT 1) AS ev_energy_kwh,
  (SELECT at FROM ${q(s)}.home_measurements WHERE ev_energy_kwh IS NOT NULL AND at <= $1 ORDER BY at DESC LIMIT 1) AS ev_at`;

export const pruneHomeMeasurements = (s: string) => `DELETE FROM ${q(s)}.home_measurements WHERE at < $1`;

// --- grid events -------------------------------------------------------------------------------------

const GRID_EVENT_COLUMNS =
  'id, kind, severity, starts_at, ends_at, zones, source, external_id, raw, received_at';

/** $1 id ... $10 received_at; the same (source, external_id) updates the event and keeps its id. */
export const upsertGridEvent = (s: string) => `
INSERT INTO ${q(s)}.grid_events (id, kind, severity, starts_at, ends_at, zones, source, external_id, raw, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
ON CONFLICT (source, external_id) DO UPDATE SET kind = EXCLUDED.kind, severity = EXCLUDED.severity,
  starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, zones = EXCLUDED.zones, raw = EXCLUDED.raw,
  received_at = EXCLUDED.received_at
RETURNING ${GRID_EVENT_COLUMNS}, (xmax = 0) AS inserted`;

export const selectGridEvent = (s: string) =>
  `SELECT ${GRID_EVENT_COLUMNS} FROM ${q(s)}.grid_events WHERE id = $1`;

/** Ends an open event at $2 (or keeps an earlier end). */
export const endGridEvent = (s: string) => `
UPDATE ${q(s)}.grid_events SET ends_at = LEAST(COALESCE(ends_at, $2), $2) WHERE id = $1
RETURNING ${GRID_EVENT_COLUMNS}`;

/** Events on at $1 (started, not ended), and those ended since $2, newest first; at most $3. */
export const listGridEvents = (s: string) => `
SELECT ${GRID_EVENT_COLUMNS} FROM ${q(s)}.grid_events
WHERE starts_at <= $1 AND (ends_at IS NULL OR ends_at > $2)
ORDER BY starts_at DESC, id LIMIT $3`;

// --- home notices ------------------------------------------------------------------------------------

export const claimNotice = (s: string) => `
INSERT INTO ${q(s)}.home_notices (key, kind, told_at, notice) VALUES ($1, $2, $3, $4::jsonb)
ON CONFLICT (key) DO NOTHING RETURNING key`;

export const recentNotices = (s: string) => `
SELECT key, kind, told_at, notice FROM ${q(s)}.home_notices WHERE told_at >= $1 ORDER BY told_at DESC, key LIMIT $2`;

// --- home devices ----------------------------------------------------------------------------------

const DEVICE_COLUMNS =
  'id, name, kind, adapter, rated_power_w, delegated, action, limit_pct, eco_mode, run_min, protected_windows, ' +
  'state_before, state_saved_at, override_until, override_reason, created_at, updated_at';

/**
 * $1 id, $2 name, $3 kind, $4 adapter (json text), $5 rated_power_w, $6 delegated, $7 action, $8 limit_pct,
 * $9 eco_mode, $10 run_min, $11 protected_windows, $12 now
 */
export const insertDevice = (s: string) => `
INSERT INTO ${q(s)}.home_devices (id, name, kind, adapter, rated_power_w, delegated, action, limit_pct, eco_mode,
  run_min, protected_windows, created_at, updated_at)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11::text[], $12, $12)
RETURNING ${DEVICE_COLUMNS}`;

/** The same parameters as insertDevice; $1 names the device to change. The saved state is kept. */
export const updateDevice = (s: string) => `
UPDATE ${q(s)}.home_devices SET name = $2, kind = $3, adapter = $4::jsonb, rated_power_w = $5, delegated = $6,
  action = $7, limit_pct = $8, eco_mode = $9, run_min = $10, protected_windows = $11::text[], updated_at = $12
WHERE id = $1
RETURNING ${DEVICE_COLUMNS}`;

export const selectDevice = (s: string) => `SELECT ${DEVICE_COLUMNS} FROM ${q(s)}.home_devices WHERE id = $1`;

export const selectDeviceByName = (s: string) =>
  `SELECT ${DEVICE_COLUMNS} FROM ${q(s)}.home_devices WHERE name = $1`;

export const listDevices = (s: string) => `SELECT ${DEVICE_COLUMNS} FROM ${q(s)}.home_devices ORDER BY name`;

export const deleteDevice = (s: string) => `DELETE FROM ${q(s)}.home_devices WHERE id = $1 RETURNING id`;

/** Keeps the state before an action, unless one is kept already (the first action's is the one to restore). $1 id, $2 state (json text), $3 now */
export const saveDeviceState = (s: string) => `
UPDATE ${q(s)}.home_devices SET state_before = $2::jsonb, state_saved_at = $3
WHERE id = $1 AND state_before IS NULL
RETURNING ${DEVICE_COLUMNS}`;

/** Sets (or with $2 null clears) the household's override. $1 id, $2 until, $3 reason */
export const setDeviceOverride = (s: string) => `
UPDATE ${q(s)}.home_devices SET override_until = $2, override_reason = $3 WHERE id = $1
RETURNING ${DEVICE_COLUMNS}`;

/** Drops the kept state (it was restored), returning the row as it was. $1 id */
export const clearDeviceState = (s: string) => `
WITH prev AS (SELECT ${DEVICE_COLUMNS} FROM ${q(s)}.home_devices WHERE id = $1 AND state_before IS NOT NULL FOR UPDATE),
cleared AS (
  UPDATE ${q(s)}.home_devices d SET state_before = NULL, state_saved_at = NULL FROM prev WHERE d.id = prev.id
)
SELECT * FROM prev`;

// --- openai gateway: files and batches ------------------------------------------------------------

const FILE_COLUMNS = 'id, purpose, filename, bytes, created_at';

/** $1 id, $2 purpose, $3 filename, $4 bytes, $5 content, $6 now */
export const insertOpenAiFile = (s: string) => `
INSERT INTO ${q(s)}.openai_files (id, purpose, filename, bytes, content, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING ${FILE_COLUMNS}`;

/** $1 id */
export const selectOpenAiFile = (s: string) =>
  `SELECT ${FILE_COLUMNS} FROM ${q(s)}.openai_files WHERE id = $1`;

/** $1 id */
export const selectOpenAiFileContent = (s: string) =>
  `SELECT content FROM ${q(s)}.openai_files WHERE id = $1`;

const BATCH_COLUMNS = `id, origin, endpoint, input_file_id, completion_window, status, load_id, output_file_id,
  error_file_id, total, completed, failed, metadata, errors, created_at, deadline, in_progress_at,
  finalizing_at, completed_at, failed_at, cancelled_at`;

/** $1 id, $2 origin, $3 endpoint, $4 input_file_id, $5 completion_window, $6 status, $7 total, $8 metadata, $9 now, $10 deadline */
export const insertOpenAiBatch = (s: string) => `
INSERT INTO ${q(s)}.openai_batches
  (id, origin, endpoint, input_file_id, completion_window, status, total, metadata, created_at, deadline)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
RETURNING ${BATCH_COLUMNS}`;

/** $1 id */
export const selectOpenAiBatch = (s: string) =>
  `SELECT ${BATCH_COLUMNS} FROM ${q(s)}.openai_batches WHERE id = $1`;

/** Batches of origin 'batch', newest first, after the cursor $1 (an id, or null); $2 limit */
export const listOpenAiBatches = (s: string) => `
SELECT ${BATCH_COLUMNS} FROM ${q(s)}.openai_batches b
WHERE origin = 'batch' AND ($1::text IS NULL OR (b.created_at, b.id) <
  (SELECT created_at, id FROM ${q(s)}.openai_batches WHERE id = $1))
ORDER BY created_at DESC, id DESC
LIMIT $2`;

/** $1 id, $2 load_id */
export const setOpenAiBatchLoad = (s: string) =>
  `UPDATE ${q(s)}.openai_batches SET load_id = $2 WHERE id = $1 RETURNING ${BATCH_COLUMNS}`;

/**
 * Moves a batch from one of the statuses $2 to $3, stamping the column of the new status with $4; the
 * other columns change only where given: $5 output_file_id, $6 error_file_id, $7 completed, $8 failed,
 * $9 errors (json text). No row when the batch is not in one of the statuses $2.
 */
export const moveOpenAiBatch = (s: string) => `
UPDATE ${q(s)}.openai_batches SET
  status = $3,
  in_progress_at = CASE WHEN $3 = 'in_progress' THEN $4 ELSE in_progress_at END,
  finalizing_at = CASE WHEN $3 = 'finalizing' THEN $4 ELSE finalizing_at END,
  completed_at = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_at END,
  failed_at = CASE WHEN $3 IN ('failed', 'expired') THEN $4 ELSE failed_at END,
  cancelled_at = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_at END,
  output_file_id = COALESCE($5, output_file_id),
  error_file_id = COALESCE($6, error_file_id),
  completed = COALESCE($7, completed),
  failed = COALESCE($8, failed),
  errors = COALESCE($9::jsonb, errors)
WHERE id = $1 AND status = ANY($2::text[])
RETURNING ${BATCH_COLUMNS}`;
