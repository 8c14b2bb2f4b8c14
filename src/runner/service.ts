import type { LoadInput } from '../core/load-input.ts';
import type { Plan } from '../planner/plan.ts';
import type { Decision } from '../store/audit.ts';
import type { Load, LoadEvent, LoadFilter, LoadPage } from '../store/loads.ts';
import type { RecurringTemplate } from '../store/recurring.ts';
import type { SchedulerStatus } from '../store/scheduler.ts';

/**
 * The scheduler as its clients see it: the API routes, the CLI (directly on the embedded store or through
 * the API) and the dashboard all go through these operations. `createScheduler` (scheduler.ts) implements
 * it over a store, a signal registry and the dispatch queue.
 */
export interface SchedulerService {
  /** the scheduler's clock: what "now" is for planning, events and the API in front of it */
  nowMs(): number;
  /** plans and stores a load (idempotent on `idempotencyKey`), logs the decision, queues its first attempt */
  submit(input: LoadInput, options?: { nowMs?: number }): Promise<SubmitResult>;
  /** the plan a submit would make, without storing or queueing anything */
  preview(input: LoadInput, options?: { nowMs?: number }): Promise<Plan>;
  get(id: string): Promise<LoadDetail | null>;
  list(filter?: LoadFilter): Promise<LoadPage>;
  /** operator actions; each throws a NotFound / Conflict error (errors.ts) naming why it cannot */
  cancel(id: string, reason?: string): Promise<Load>;
  runNow(id: string): Promise<Load>;
  retry(id: string): Promise<Load>;
  /** deletes finished loads older than the cutoff; the decision log is kept */
  purge(olderThanMs: number): Promise<number>;
  pause(reason?: string): Promise<SchedulerView>;
  resume(): Promise<SchedulerView>;
  status(): Promise<SchedulerView>;
  /** replans waiting loads now (the periodic planner run); only one run at a time across all processes */
  replan(options?: { nowMs?: number }): Promise<ReplanSummary>;
  /** energy, emissions, cost and savings of what ran, grouped */
  report(query: ReportQuery): Promise<Report>;
  /** the decision log, oldest first */
  decisions(options?: { afterSeq?: number; loadId?: string; limit?: number }): Promise<Decision[]>;
  /** state changes, signal updates and window transitions, from every process sharing the store */
  onEvent(listener: (event: SchedulerEvent) => void): () => void;
  /** tells every process's listeners (events of other parts of the service: the home, grid events) */
  publish(event: SchedulerEvent): void;
  /** recurring loads (templates), oldest first */
  recurring(options?: { activeOnly?: boolean }): Promise<RecurringTemplate[]>;
  /** stops a recurring load: no more occurrences, and its occurrences not started yet are cancelled */
  cancelRecurring(id: string, reason?: string): Promise<RecurringTemplate>;
}

export interface SubmitResult {
  load: Load;
  plan: Plan;
  /** false when the idempotency key matched an existing load (which is returned unchanged) */
  created: boolean;
  /** a recurring submission: the id of the recurring load (template); `load` is its first occurrence */
  templateId?: string;
}

export interface LoadDetail {
  load: Load;
  events: LoadEvent[];
  /** what the load emitted and cost once it ran, against its run-now counterfactual */
  accounting: LoadAccounting | null;
}

export interface LoadAccounting {
  /** of every attempt that ran, failed ones included */
  energyKwh: number;
  emissionsG: number;
  /** the part of energyKwh and emissionsG that went to failed attempts (NaN: no carbon value covers them) */
  failedEnergyKwh: number;
  failedEmissionsG: number;
  baselineEmissionsG: number;
  cost: number | null;
  baselineCost: number | null;
  currency: string | null;
  /** `actual`: measured intensity/price of the slots used; `forecast`: the forecast it ran on (no actuals yet) */
  basis: 'actual' | 'forecast';
  source: string;
}

export interface SchedulerView extends SchedulerStatus {
  /** this process's role(s) */
  roles: ('api' | 'worker' | 'planner')[];
}

export interface ReplanSummary {
  ran: boolean;
  /** why not, when `ran` is false (another process holds the planner lock, scheduler paused) */
  skipped?: string;
  considered: number;
  moved: number;
  held: number;
  startedMs: number;
  finishedMs: number;
}

export type ReportGroup = 'day' | 'week' | 'month' | 'tag' | 'zone' | 'none';

export interface ReportQuery {
  fromMs?: number;
  toMs?: number;
  groupBy?: ReportGroup;
  zone?: string;
  tag?: string;
  /** IANA time zone the days, weeks and months begin in (default UTC) */
  timeZone?: string;
}

export interface ReportRow {
  key: string;
  loads: number;
  energyKwh: number;
  emissionsG: number;
  baselineEmissionsG: number;
  savingsG: number;
  savingsPct: number;
  cost: number | null;
  baselineCost: number | null;
  costSavingsPct: number | null;
  currency: string | null;
  /** how many of the loads were accounted on forecast values (no actuals available) */
  forecastBasis: number;
  /** the part of energyKwh and emissionsG that went to attempts that failed before one succeeded */
  failedEnergyKwh: number;
  failedEmissionsG: number;
}

export interface Report {
  query: ReportQuery;
  rows: ReportRow[];
  totals: Omit<ReportRow, 'key'>;
}

export type SchedulerEvent =
  | {
      type: 'load.state';
      at: string;
      loadId: string;
      name: string;
      from: string | null;
      to: string;
      attempt: number;
    }
  | { type: 'load.planned'; at: string; loadId: string; zone: string; plannedStart: string; reason: string }
  | {
      type: 'signal.update';
      at: string;
      zone: string;
      carbon: number | null;
      price: number | null;
      source: string;
    }
  | {
      type: 'grid.event';
      at: string;
      id: string;
      kind: string;
      severity: string;
      change: 'started' | 'updated' | 'ended';
      start: string;
      end: string | null;
      zones: string[];
    }
  | {
      type: 'home.notice';
      at: string;
      key: string;
      kind: string;
      title: string;
      message: string;
      window?: { start: string; end: string };
      gridEvent?: { id: string; kind: string; severity: string; start: string; end: string | null };
      devices: string[];
      priority: number;
    }
  | {
      type: 'home.setpoints';
      at: string;
      planId: number;
      reason: string;
      /** the home's setpoints for the slot under way (optimize/home-horizon.ts HomeSetpoints) */
      setpoints: object;
    }
  | {
      type: 'window.clean_started' | 'window.best_now';
      at: string;
      zone: string;
      carbon: number | null;
      price: number | null;
    };
