/**
 * The request and response shapes of the gridshift API, as the client sends and receives them (ISO-8601
 * times, null for numbers that cannot be known). Where the API declares a shape in a shared zod schema, the
 * type is inferred from that schema (type-only imports: nothing of the server is loaded at run time); the
 * few shapes a route declares for itself are written out here, and test/client checks every one of them,
 * key by key, against /openapi.json.
 */
import type { z } from 'zod';
import type { ClusterView } from '../api/cluster-view.ts';
import type { Dashboard as DashboardShape } from '../api/dashboard-view.ts';
import type { HomeHistoryView, HomePlanView } from '../api/home-view.ts';
import type { Problem as ProblemShape } from '../api/problem.ts';
import type { homeDeviceSchema } from '../api/routes/home-devices.ts';
import type {
  accountingSchema,
  decisionSchema,
  loadEventSchema,
  loadPlanSchema,
  loadSchema,
  loadStateSchema,
  planSchema,
  reportSchema,
  schedulerStatusSchema,
} from '../api/schemas.ts';
import type { Snapshot } from '../api/signal-view.ts';
import type { LoadInput } from '../core/load-input.ts';
import type { DeviceInput, DevicePatch } from '../home/device.ts';
import type { batchSchema, fileSchema } from '../integrations/openai/views.ts';
import type { SchedulerEvent } from '../runner/service.ts';
import type { ChainVerdict } from '../store/audit.ts';

// ------------------------------------------------------------------------- shared schemas

/** An RFC 9457 problem: every error answer of the API. */
export type Problem = ProblemShape;
/** A load to submit (POST /v1/loads, /v1/loads/preview). */
export type NewLoad = LoadInput;
export type DispatchTarget = NonNullable<LoadInput['dispatch']>;
export type LoadState = z.infer<typeof loadStateSchema>;
export type Load = z.infer<typeof loadSchema>;
export type LoadPlan = z.infer<typeof loadPlanSchema>;
export type LoadEvent = z.infer<typeof loadEventSchema>;
export type LoadAccounting = z.infer<typeof accountingSchema>;
export type Plan = z.infer<typeof planSchema>;
export type SchedulerStatus = z.infer<typeof schedulerStatusSchema>;
export type Decision = z.infer<typeof decisionSchema>;
export type Report = z.infer<typeof reportSchema>;
export type ReportRow = Report['rows'][number];
export type ZoneSignals = Snapshot;
/** GET /v1/dashboard: the Now page's data for one zone. */
export type Dashboard = DashboardShape;
/** One Server-Sent Event of GET /v1/events. */
export type ServerEvent = SchedulerEvent;
export type ServerEventType = SchedulerEvent['type'];
/** GET /v1/audit/verify. */
export type AuditVerdict = ChainVerdict;
/** A home's device (GET /v1/home/devices ...). */
export type HomeDevice = z.infer<typeof homeDeviceSchema>;
/** A device to add (POST /v1/home/devices). */
export type NewHomeDevice = DeviceInput;
/** The fields to change (PATCH /v1/home/devices/{device}); null clears limitPct, ecoMode or runMin. */
export type HomeDevicePatch = DevicePatch;

// ------------------------------------------------------------------------- loads

export interface SubmitResult {
  load: Load;
  plan: Plan;
  /** false when the idempotency key matched an earlier load, returned unchanged */
  created: boolean;
  /** for a recurring load: the id of the recurring load; `load` is its first occurrence */
  templateId?: string;
}

export interface PlanPreview {
  plan: Plan;
}

export interface LoadDetail {
  load: Load;
  events: LoadEvent[];
  accounting: LoadAccounting | null;
}

export interface LoadPage {
  loads: Load[];
  /** pass as `cursor` for the next page; null on the last page */
  nextCursor: string | null;
}

export interface ListLoadsQuery {
  /** one state or several */
  state?: LoadState | LoadState[];
  tag?: string;
  /** a candidate zone, the planned zone or the cloud region */
  zone?: string;
  /** created at or after (ISO-8601) */
  createdFrom?: string;
  /** created before (ISO-8601) */
  createdBefore?: string;
  cursor?: string;
  /** 1..1000, default 100 */
  limit?: number;
}

/** Give `before` (ISO-8601) or `olderThanDays`. */
export interface PurgeRequest {
  before?: string;
  olderThanDays?: number;
}

export interface PurgeResult {
  purged: number;
}

export interface LoadAction {
  load: Load;
}

export interface RecurringLoad {
  id: string;
  name: string;
  /** the submitted load without its recurrence */
  spec: Record<string, unknown>;
  cron: string;
  flexMin: number;
  timeZone: string;
  idempotencyKey: string | null;
  active: boolean;
  /** nominal time of the newest occurrence made so far */
  lastNominal: string | null;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
}

export interface RecurringList {
  recurring: RecurringLoad[];
}

// ------------------------------------------------------------------------- signals, zones, decisions

export interface SignalsQuery {
  metric?: 'carbon' | 'price' | 'all';
  /** forecast hours, default 24, at most 168 */
  hours?: number;
  /** forecast step in minutes, default 60 */
  stepMin?: number;
  /** "clean now" also needs the intensity below this, gCO2eq/kWh */
  threshold?: number;
}

export interface DashboardQuery {
  /** zone code, alias, name or cloud region; default the server's first configured zone */
  zone?: string;
  /** hours ahead, default 24, at most 168 */
  hours?: number;
  /** hours back, default 12, at most 48 */
  pastHours?: number;
  /** slot length in minutes, default 30 */
  stepMin?: number;
  /** "clean now" also needs the intensity below this, gCO2eq/kWh */
  threshold?: number;
}

export interface Zone {
  code: string;
  name: string;
  timeZone: string;
  country: string;
  parent?: string;
  aliases: string[];
  /** the carbon signal the zone plans on */
  metric: 'carbon_average' | 'carbon_marginal';
  failurePolicy: 'open' | 'closed';
  sources: { carbon: string[]; price: string[] };
}

export interface CloudRegion {
  provider: 'aws' | 'azure' | 'gcp';
  region: string;
  /** the grid zone powering the region */
  zone: string;
  location: string;
}

export interface DecideNowRequest {
  /** zone code, alias, name or cloud region */
  zone: string;
  /** how long the work runs, default 60 */
  durationMin?: number;
  /** latest finish (ISO-8601); default 24 hours from now */
  deadline?: string;
  /** what to minimise, default carbon */
  metric?: 'carbon' | 'price';
  /** run now when now is within this % of the best upcoming window, default 5 */
  tolerancePct?: number;
  /** run now whenever the value now is at or below this */
  runAtOrBelow?: number;
  /** granularity of candidate start times, minutes, default 60 */
  stepMin?: number;
}

export interface DecideNow {
  action: 'run' | 'defer';
  reason: string;
  zone: string;
  metric: string;
  unit: string | null;
  /** now when running now, else the start of the best window */
  startAt: string;
  current: number | null;
  bestValue: number | null;
  bestAt: string | null;
  expectedSavingsPct: number;
  deadline: string;
  durationMin: number;
  source: string | null;
  degraded: boolean;
  reasons: string[];
}

export interface ModelTierRequest {
  zone: string;
  /** clean when carbon is below this, g/kWh; default 200 */
  carbonBelow?: number;
  /** clean also when below the forecast mean; default true */
  belowForecastMean?: boolean;
  /** cheap when the price is below this (off unless given) */
  priceBelow?: number;
  /** your local solar output (or surplus) now, kW */
  solarKw?: number;
  /** solar counts as available from this output; default 0.5 */
  minSolarKw?: number;
  /** hours the forecast mean covers; default 24 */
  forecastHours?: number;
}

/** GET /v1/cluster: the Kubernetes controller's nodes and taints, caps, Jobs by state and decisions */
export type Cluster = ClusterView;
/** GET /v1/home/plan: the home's newest plan over its horizon, with the setpoints of the slot under way */
export type HomePlan = HomePlanView;
/** GET /v1/home/history: per slot what was planned, the home's readings, today against the baseline */
export type HomeHistory = HomeHistoryView;
/** A reading of the home (POST /v1/home/measurements); `at` defaults to now */
export interface HomeReading {
  at?: string;
  loadKw?: number;
  pvKw?: number;
  socKwh?: number;
  evEnergyKwh?: number;
  importKw?: number;
  exportKw?: number;
}

/** A grid event as the API answers it (GET /v1/grid-events) */
export interface GridEvent {
  id: string;
  kind: 'peak_alert' | 'frequency_drop' | 'voltage_anomaly' | 'load_shedding';
  severity: 'info' | 'warning' | 'critical';
  start: string;
  /** null: until ended */
  end: string | null;
  active: boolean;
  /** empty: every zone */
  zones: string[];
  source: 'api' | 'mqtt' | 'feed' | 'meter';
  externalId: string | null;
  receivedAt: string;
  raw: unknown;
}
/** POST /v1/grid-events: `kind`, `severity`, optional `start`/`end` (ISO-8601 or epoch ms), `zones`, your `id` */
export interface GridEventReport {
  id?: string;
  kind: GridEvent['kind'];
  severity: GridEvent['severity'];
  start?: string | number;
  end?: string | number | null;
  zones?: string[];
  [extra: string]: unknown;
}

/** GET /v1/scaling/{target}: how many replicas a workload may run now, by its zone's carbon intensity */
export interface ReplicaCap {
  target: string;
  zone: string;
  at: string;
  /** g/kWh now; null when no source answered */
  carbonIntensity: number | null;
  maxReplicas: number;
  /** the band used (`lower < ci <= upper`); null when the fallback cap applies */
  band: { index: number; lower: number | null; upper: number | null } | null;
  fallback: boolean;
  reason: string;
  source: string | null;
  degraded: boolean;
  ref?: { kind: 'ScaledObject' | 'Deployment'; namespace: string; name: string };
}

export interface ModelTier {
  tier: 'large' | 'small';
  reason: string;
  zone: string;
  signals: {
    carbon: number | null;
    carbonForecastMean: number | null;
    price: number | null;
    solarKw: number | null;
  };
  source: string | null;
  degraded: boolean;
}

// ------------------------------------------------------------------------- reports, audit

export interface ReportQuery {
  /** ISO-8601; loads that ran at or after */
  from?: string;
  /** ISO-8601; loads that ran before */
  to?: string;
  groupBy?: 'day' | 'week' | 'month' | 'tag' | 'zone' | 'none';
  zone?: string;
  tag?: string;
  /** IANA time zone the days, weeks and months begin in (default UTC) */
  tz?: string;
}

export interface AuditQuery {
  afterSeq?: number;
  /** only this load's decisions */
  loadId?: string;
  /** 1..1000, default 100 */
  limit?: number;
}

export interface AuditPage {
  decisions: Decision[];
  /** pass as `afterSeq` for the next page; null on the last page */
  nextAfterSeq: number | null;
}

export interface AuditExportQuery {
  afterSeq?: number;
  loadId?: string;
}

// ------------------------------------------------------------------------- scheduler, tokens, health

export interface ReplanSummary {
  ran: boolean;
  /** why not, when it did not run */
  skipped?: string;
  considered: number;
  moved: number;
  held: number;
  startedAt: string;
  finishedAt: string;
}

export type TokenScope = 'read' | 'write' | 'admin';

export interface ApiToken {
  id: string;
  name: string;
  scopes: TokenScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewToken {
  name: string;
  scopes: TokenScope[];
}

export interface CreatedToken {
  token: ApiToken;
  /** send as "Authorization: Bearer <secret>"; shown only in this answer */
  secret: string;
}

export interface TokenList {
  tokens: ApiToken[];
}

export interface Readiness {
  status: 'ready' | 'not ready';
  checks: { name: string; ok: boolean; detail?: string }[];
}

// ------------------------------------------------------------------------- OpenAI-compatible gateway

/** A file of the gateway's Files API: a batch's JSONL input, or its output or error file. */
export type OpenAiFile = z.infer<typeof fileSchema>;
/** A batch as OpenAI's Batch API shows it, with the load that runs it under `gridshift`. */
export type OpenAiBatch = z.infer<typeof batchSchema>;

/** POST /openai/v1/batches */
export interface NewOpenAiBatch {
  /** an uploaded file (purpose batch) holding one request per line */
  input_file_id: string;
  endpoint: '/v1/chat/completions' | '/v1/completions';
  /** how long it may wait for a clean window: `24h` (OpenAI's), any duration (`6h`, `PT6H`) or an ISO-8601 time */
  completion_window: string;
  metadata?: Record<string, string> | null;
}

/** GET /openai/v1/batches */
export interface OpenAiBatchList {
  object: 'list';
  data: OpenAiBatch[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** One line of a batch's input file. */
export interface OpenAiBatchRequest {
  custom_id: string;
  method: 'POST';
  url: '/v1/chat/completions' | '/v1/completions';
  body: Record<string, unknown>;
}
