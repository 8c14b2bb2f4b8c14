import { LOAD_STATES } from '../core/load.ts';
/**
 * gridshift's database schema as an ordered list of migrations. Each runs once, in order, inside the
 * transaction that records its version, with `search_path` set to gridshift's schema so the statements
 * are unqualified. Never edit a released migration: append a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const stateList = LOAD_STATES.map((s) => `'${s}'`).join(', ');

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'loads, events, decisions, tokens, scheduler',
    sql: `
CREATE TABLE loads (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  zones text[] NOT NULL DEFAULT '{}',
  cloud_region text,
  duration_min integer NOT NULL CHECK (duration_min > 0),
  power_kw double precision CHECK (power_kw >= 0),
  energy_kwh double precision CHECK (energy_kwh >= 0),
  earliest_start timestamptz NOT NULL,
  deadline timestamptz NOT NULL,
  interruptible boolean NOT NULL DEFAULT false,
  objective text NOT NULL DEFAULT 'carbon',
  carbon_cap_g double precision CHECK (carbon_cap_g >= 0),
  priority integer NOT NULL DEFAULT 0,
  dispatch jsonb NOT NULL DEFAULT '{}',
  idempotency_key text UNIQUE,
  max_retries integer NOT NULL DEFAULT 2 CHECK (max_retries >= 0),
  state text NOT NULL CHECK (state IN (${stateList})),
  attempt integer NOT NULL DEFAULT 0,
  plan_zone text,
  plan_runs jsonb,
  planned_start timestamptz,
  expected_emissions_g double precision,
  expected_cost double precision,
  baseline_emissions_g double precision,
  baseline_cost double precision,
  cost_currency text,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  state_changed_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  CHECK (deadline > earliest_start),
  CHECK (power_kw IS NOT NULL OR energy_kwh IS NOT NULL),
  CHECK (cardinality(zones) > 0 OR cloud_region IS NOT NULL)
);
CREATE INDEX loads_created ON loads (created_at DESC, id DESC);
CREATE INDEX loads_state ON loads (state, created_at DESC, id DESC);
CREATE INDEX loads_tags ON loads USING gin (tags);
CREATE INDEX loads_zones ON loads USING gin (zones);

CREATE TABLE load_events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  load_id uuid NOT NULL REFERENCES loads (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  from_state text,
  to_state text NOT NULL,
  attempt integer NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX load_events_load ON load_events (load_id, seq);

-- The decision log outlives the loads it speaks of (no foreign key): purging loads keeps the audit.
CREATE TABLE decisions (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  at timestamptz NOT NULL,
  load_id uuid,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*$'),
  inputs jsonb NOT NULL,
  choice jsonb NOT NULL,
  alternatives jsonb NOT NULL,
  reason text NOT NULL,
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE
);
CREATE INDEX decisions_load ON decisions (load_id, seq);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  secret_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'admin']::text[] AND cardinality(scopes) > 0),
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE scheduler_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  paused boolean NOT NULL DEFAULT false,
  paused_at timestamptz,
  paused_reason text,
  last_planner_run timestamptz,
  next_planner_run timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO scheduler_state (id) VALUES (true);
`,
  },
  {
    version: 2,
    name: 'scheduler: attempts, pieces, holds, recurring loads, accounting, zone signal state',
    sql: `
-- queued_attempt: the attempt number of the load's queued job; a worker starts the load only with that attempt.
-- failures: failed attempts since the load was created or last retried by an operator (counted against max_retries).
-- piece: index of the planned run (interruptible loads) the next or current attempt runs.
-- actual_runs: [{startMs, endMs}] of what ran, for accounting.
ALTER TABLE loads
  ADD COLUMN baseline_start timestamptz,
  ADD COLUMN min_piece_min double precision CHECK (min_piece_min > 0),
  ADD COLUMN max_pieces integer CHECK (max_pieces >= 1),
  ADD COLUMN template_id uuid,
  ADD COLUMN held boolean NOT NULL DEFAULT false,
  ADD COLUMN hold_reason text,
  ADD COLUMN queued_attempt integer NOT NULL DEFAULT 0 CHECK (queued_attempt >= 0),
  ADD COLUMN failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  ADD COLUMN piece integer NOT NULL DEFAULT 0 CHECK (piece >= 0),
  ADD COLUMN actual_runs jsonb NOT NULL DEFAULT '[]';
CREATE INDEX loads_pending ON loads (planned_start) WHERE state IN ('planned', 'waiting', 'failed');
CREATE INDEX loads_template ON loads (template_id, created_at) WHERE template_id IS NOT NULL;

CREATE TABLE recurring_loads (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  spec jsonb NOT NULL,
  cron text NOT NULL,
  flex_min integer NOT NULL CHECK (flex_min >= 0),
  time_zone text NOT NULL,
  idempotency_key text UNIQUE,
  active boolean NOT NULL DEFAULT true,
  last_nominal timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  cancelled_at timestamptz
);

-- No foreign key to loads: reports outlive purges.
CREATE TABLE load_accounting (
  load_id uuid PRIMARY KEY,
  name text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  zone text NOT NULL,
  home_zone text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  runs jsonb NOT NULL,
  baseline_runs jsonb NOT NULL,
  energy_kwh double precision NOT NULL CHECK (energy_kwh >= 0),
  emissions_g double precision,
  baseline_emissions_g double precision,
  cost double precision,
  baseline_cost double precision,
  currency text,
  basis text NOT NULL CHECK (basis IN ('actual', 'forecast')),
  source text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  accounted_at timestamptz NOT NULL
);
CREATE INDEX load_accounting_started ON load_accounting (started_at);
CREATE INDEX load_accounting_forecast ON load_accounting (accounted_at) WHERE basis = 'forecast';

-- The last signal reading per zone seen by the planner, so window transitions are reported once.
CREATE TABLE zone_signals (
  zone text PRIMARY KEY,
  carbon double precision,
  price double precision,
  currency text,
  source text,
  clean boolean NOT NULL DEFAULT false,
  best_now boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'loads: the request as submitted',
    sql: `
-- request: the load as its client sent it (without its idempotency key), so that a repeated submit with the
-- same key can be told apart from a different load that reuses the key. NULL for occurrences of recurring
-- loads and for loads stored before this version.
ALTER TABLE loads ADD COLUMN request jsonb;
`,
  },
  {
    version: 4,
    name: 'crash recovery: runs of failed attempts, worker heartbeats, running attempts and their processes',
    sql: `
-- failed_runs: [{startMs, endMs}] of attempts that ran and failed (or were lost with their worker); their
-- energy is part of the load's accounting.
ALTER TABLE loads ADD COLUMN failed_runs jsonb NOT NULL DEFAULT '[]';
ALTER TABLE load_accounting
  ADD COLUMN failed_energy_kwh double precision NOT NULL DEFAULT 0 CHECK (failed_energy_kwh >= 0),
  ADD COLUMN failed_emissions_g double precision;

-- A row per live worker, its heartbeat renewed every few seconds: a worker whose heartbeat is too old is lost,
-- and its running attempts are failed and retried. started_ticks: the process's start time in clock ticks
-- after boot (/proc/<pid>/stat), so that a pid used again later does not pass for the worker.
CREATE TABLE workers (
  name text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_ticks bigint,
  boot_id text,
  started_at timestamptz NOT NULL,
  beat_at timestamptz NOT NULL
);

-- The attempts running now, each with the worker that runs it and, for a command, its process group
-- (pgid and its leader's start time): a restarted worker on the same machine ends groups left behind.
CREATE TABLE running_attempts (
  load_id uuid NOT NULL,
  attempt integer NOT NULL,
  worker text NOT NULL,
  started_at timestamptz NOT NULL,
  pgid integer,
  pgid_started_ticks bigint,
  PRIMARY KEY (load_id, attempt)
);
CREATE INDEX running_attempts_worker ON running_attempts (worker);
`,
  },
  {
    version: 5,
    name: 'the home: plans solved, setpoints per slot, measurements',
    sql: `
-- Every plan the home controller solved (history kept: what was planned), with the scenario it solved.
CREATE TABLE home_plans (
  id bigserial PRIMARY KEY,
  solved_at timestamptz NOT NULL,
  start_at timestamptz NOT NULL,
  step_min integer NOT NULL,
  slots integer NOT NULL,
  reason text NOT NULL,
  inputs_hash text NOT NULL,
  scenario jsonb NOT NULL,
  plan jsonb NOT NULL,
  inputs jsonb NOT NULL
);
CREATE INDEX home_plans_solved ON home_plans (solved_at DESC);

-- The setpoints in force for each slot (the last plan solved in it), with that slot's planned and baseline
-- cost and emissions: what was asked of the home, slot by slot.
CREATE TABLE home_setpoints (
  slot_start timestamptz PRIMARY KEY,
  plan_id bigint NOT NULL,
  setpoints jsonb NOT NULL,
  planned jsonb NOT NULL,
  published_at timestamptz NOT NULL
);

-- What the home reported: readings at an instant (any of them may be missing).
CREATE TABLE home_measurements (
  at timestamptz PRIMARY KEY,
  load_kw double precision,
  pv_kw double precision,
  soc_kwh double precision,
  ev_energy_kwh double precision,
  import_kw double precision,
  export_kw double precision
);
`,
  },
  {
    version: 6,
    name: 'grid events',
    sql: `
-- What the grid's operator, an aggregator or the home's meter said about the grid. The same external id from
-- the same source is one event, updated as it changes (an end time given later, a severity raised).
CREATE TABLE grid_events (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('peak_alert', 'frequency_drop', 'voltage_anomaly', 'load_shedding')),
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz,
  zones text[] NOT NULL DEFAULT '{}',
  source text NOT NULL,
  external_id text,
  raw jsonb NOT NULL,
  received_at timestamptz NOT NULL,
  UNIQUE (source, external_id)
);
CREATE INDEX grid_events_starts ON grid_events (starts_at DESC);
`,
  },
  {
    version: 7,
    name: 'home notices',
    sql: `
-- What the home was told, by transition (kind and window start, or event and severity): each is told once,
-- whatever the restarts and however many processes share the store.
CREATE TABLE home_notices (
  key text PRIMARY KEY,
  kind text NOT NULL,
  told_at timestamptz NOT NULL,
  notice jsonb NOT NULL
);
CREATE INDEX home_notices_told ON home_notices (told_at DESC);
`,
  },
  {
    version: 8,
    name: 'home devices',
    sql: `
-- A home's devices (src/home/device.ts): how to reach each (adapter, JSON as configured), what it draws,
-- whether gridshift may act on it, its preferred action and the daily windows in which it is left alone.
-- state_before: the device's state before gridshift acted on it ({on, mode?, limitPct?, action}), kept until it
-- is restored, so that a restart during a peak still puts the device back; NULL when nothing is held.
CREATE TABLE home_devices (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  kind text NOT NULL,
  adapter jsonb NOT NULL,
  rated_power_w double precision NOT NULL CHECK (rated_power_w > 0),
  delegated boolean NOT NULL DEFAULT false,
  action text NOT NULL CHECK (action IN ('turn_off', 'eco_mode', 'delay_start', 'limit_power')),
  limit_pct double precision CHECK (limit_pct BETWEEN 0 AND 100),
  eco_mode text,
  run_min integer CHECK (run_min > 0),
  protected_windows text[] NOT NULL DEFAULT '{}',
  state_before jsonb,
  state_saved_at timestamptz,
  -- the household overrode the autopilot (switched it on by hand, or in the app) until then
  override_until timestamptz,
  override_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
`,
  },
  {
    version: 9,
    name: 'openai gateway: files and batches',
    sql: `
-- Files of the OpenAI-compatible gateway (purpose batch: the JSONL input of a batch; batch_output and
-- batch_errors: what it answered), kept whole: a batch's lines are read from here by the worker that runs it.
CREATE TABLE openai_files (
  id text PRIMARY KEY,
  purpose text NOT NULL,
  filename text NOT NULL,
  bytes integer NOT NULL CHECK (bytes >= 0),
  content text NOT NULL,
  created_at timestamptz NOT NULL
);

-- A batch (or one deferred request, origin 'request') and the load that runs it in its window.
CREATE TABLE openai_batches (
  id text PRIMARY KEY,
  origin text NOT NULL CHECK (origin IN ('batch', 'request')),
  endpoint text NOT NULL,
  input_file_id text NOT NULL REFERENCES openai_files (id),
  completion_window text NOT NULL,
  status text NOT NULL,
  load_id uuid,
  output_file_id text REFERENCES openai_files (id),
  error_file_id text REFERENCES openai_files (id),
  total integer NOT NULL DEFAULT 0,
  completed integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  metadata jsonb,
  errors jsonb,
  created_at timestamptz NOT NULL,
  deadline timestamptz NOT NULL,
  in_progress_at timestamptz,
  finalizing_at timestamptz,
  completed_at timestamptz,
  failed_at timestamptz,
  cancelled_at timestamptz
);
CREATE INDEX openai_batches_created ON openai_batches (created_at, id);
`,
  },
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
