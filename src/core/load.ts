import type { Objective } from './objective.ts';
import type { Grid } from './series.ts';

/**
 * The one model of a load: what the store keeps, the scheduler moves through its states and the API shows
 * (in its own wire shape, api/views.ts). The objective is parsed where the load comes in and kept parsed.
 */

export const LOAD_STATES = [
  'planned',
  'waiting',
  'running',
  'succeeded',
  'failed',
  'dead',
  'cancelled',
] as const;
export type LoadState = (typeof LOAD_STATES)[number];

/** A period of running, [startMs, endMs). */
export interface Run {
  startMs: number;
  endMs: number;
}

/** Where and how a load is started; the runner's dispatchers define the shapes (shell, webhook, mqtt ...). */
export interface DispatchTarget {
  kind: string;
  [option: string]: unknown;
}

/** The plan chosen for a load, with what it is expected to emit and cost against running at once. */
export interface LoadPlan {
  zone: string;
  /** time-ordered pieces; one for a contiguous load */
  runs: Run[];
  expectedEmissionsG?: number | null;
  expectedCost?: number | null;
  baselineEmissionsG?: number | null;
  baselineCost?: number | null;
  /** currency of the costs, e.g. EUR */
  currency?: string | null;
}

export interface Load {
  id: string;
  name: string;
  tags: string[];
  zones: string[];
  cloudRegion: string | null;
  durationMin: number;
  powerKw: number | null;
  energyKwh: number | null;
  earliestMs: number;
  deadlineMs: number;
  interruptible: boolean;
  objective: Objective;
  carbonCapG: number | null;
  priority: number;
  dispatch: DispatchTarget;
  idempotencyKey: string | null;
  maxRetries: number;
  state: LoadState;
  /** attempts started so far (entering `running` counts one) */
  attempt: number;
  plan: LoadPlan | null;
  /** start of the first planned run */
  plannedStartMs: number | null;
  lastError: string | null;
  createdMs: number;
  updatedMs: number;
  stateChangedMs: number;
  startedMs: number | null;
  finishedMs: number | null;
  /** the run-now counterfactual's start when it is not the earliest start (recurring loads: the nominal time) */
  baselineStartMs: number | null;
  minPieceMin: number | null;
  maxPieces: number | null;
  /** the recurring load it is an occurrence of */
  templateId: string | null;
  /** waiting for signals (closed failure policy): queued at the latest start that meets the deadline */
  held: boolean;
  holdReason: string | null;
  /** the attempt number of the load's queued attempt; a worker starts the load only with that attempt */
  queuedAttempt: number;
  /** failed attempts since creation or the last operator retry (counted against maxRetries) */
  failures: number;
  /** index of the planned run (piece) the next or current attempt runs */
  piece: number;
  /** what actually ran, for accounting */
  actualRuns: Run[];
  /** what attempts that failed (or were lost with their worker) ran, for accounting */
  failedRuns: Run[];
}

export interface LoadEvent {
  seq: number;
  loadId: string;
  atMs: number;
  from: LoadState | null;
  to: LoadState;
  attempt: number;
  detail: Record<string, unknown>;
}

/** A flexible load to place in time (and place): what the planner needs to know about it. */
export interface LoadSpec {
  id?: string;
  name?: string;
  durationMin: number;
  powerKw: number;
  /** earliest allowed start (epoch ms) */
  earliestMs: number;
  /** latest allowed finish (epoch ms) */
  deadlineMs: number;
  /** when it would start without gridshift (the run-now counterfactual); default `earliestMs` */
  baselineStartMs?: number;
  /** may run in separate pieces */
  interruptible?: boolean;
  /** interruptible loads: shortest piece in minutes (default one slot) */
  minPieceMin?: number;
  /** interruptible loads: most pieces (default unlimited) */
  maxPieces?: number;
  /** candidate zones; the first is the home zone of the baseline */
  zones: string[];
  /** default carbon */
  objective?: Objective;
  /** upper bound on the load's emissions in grams; with a cost objective: cheapest plan under this cap */
  carbonCapG?: number;
}

/** Signals of one zone on one planning grid: carbon and (optionally) price share startMs and stepMin. */
export interface ZoneSignals {
  zone: string;
  carbon: Grid;
  price?: Grid;
  /** currency of `price`, e.g. EUR */
  currency?: string;
  carbonSource: string;
  priceSource?: string;
  /** reasons the signals are degraded (fallback source, no forecast ...), empty when not */
  degraded?: string[];
  /**
   * sampled errors (actual - forecast, g/kWh) of `carbon` from `fromMs` (the first forecast slot) on: one
   * array per path, indexed by slot of `carbon` from fromMs. Absent when too little history to sample them
   */
  carbonErrors?: { fromMs: number; paths: Float64Array[] };
}
