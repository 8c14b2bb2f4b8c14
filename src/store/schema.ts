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

export const LOAD_STATES = [
  'planned',
  'waiting',
  'running',
  'succeeded',
  'failed',
  'dead',
  'cancelled',
] as const;

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
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
