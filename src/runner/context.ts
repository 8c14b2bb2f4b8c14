import { type GridshiftConfig, zoneConfig } from '../core/config.ts';
import type { Run } from '../core/load.ts';
import type { DispatchTargetInput } from '../core/load-input.ts';
import type { Metric } from '../core/series.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import { appendDecision, type NewDecision } from '../store/audit.ts';
import type { Store } from '../store/db.ts';
import type { Load, LoadState } from '../store/loads.ts';
import { type LifecycleEvent, tellTarget as tellTargetHook } from './dispatch/index.ts';
import type { EventBus } from './events.ts';
import type { Queue } from './queue.ts';
import type { LoadAccounting, Report, ReportQuery } from './service.ts';

/**
 * What the parts of the scheduler share: the store, the queue, the signals, the event bus, the clock and
 * the settings. Built once by createScheduler.
 */

export type Role = 'api' | 'worker' | 'planner';

export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, data?: Record<string, unknown>) => void;

export interface RetrySettings {
  /** delay before the first retry, seconds (default 30) */
  delaySeconds: number;
  /** double the delay on each further retry, with jitter (default true) */
  backoff: boolean;
  /** cap on the delay, seconds (default 3600) */
  maxDelaySeconds: number;
}

/** When a planner run moves a waiting load to a new plan: when it gains at least one of these. */
export interface ReplanThresholds {
  /** the new plan emits (or costs, for cost objectives) at least this many percent less than the current one (default 5) */
  minGainPct: number;
  /** carbon objectives: the new plan emits at least this many grams less (default 100) */
  minGainG: number;
  /** cost objectives: the new plan costs at least this much less, in the price's currency (default 0.05) */
  minGainCost: number;
  /** only loads whose planned start is at least this far ahead are moved, ms (default 2 minutes) */
  minLeadMs: number;
}

export interface SchedulerSettings {
  /** planning grid step, minutes (default 30) */
  stepMin: number;
  retry: RetrySettings;
  replan: ReplanThresholds;
  /** a paused scheduler defers an attempt that a worker took anyway by this much, ms (default 60 s) */
  pauseDeferMs: number;
  /** how far ahead recurring loads are materialised, ms (default 24 h; the next occurrence always is) */
  recurringLookaheadMs: number;
  /** the planner's interval, for nextPlannerRun (default 5 minutes) */
  plannerIntervalMs: number;
  /** zones whose signals the planner refreshes besides those of unfinished loads */
  watchZones: string[];
  /** how far ahead the planner looks for window events, ms (default 24 h) */
  signalHorizonMs: number;
  /** a load untouched this long in a between-steps state is repaired by the planner, ms (default 2 minutes) */
  repairAfterMs: number;
  /**
   * expiry of every attempt, seconds; default the run's length plus the queue's margin. A worker that
   * disappears mid-run has its attempt retried elsewhere once it expires.
   */
  attemptExpirySeconds?: number;
}

export interface SchedulerContext {
  store: Store;
  queue: Queue;
  registry: SignalRegistry;
  config: GridshiftConfig;
  bus: EventBus;
  roles: Role[];
  now: () => number;
  settings: SchedulerSettings;
  log: Log;
  accounting: Accounting;
}

/**
 * After-the-fact accounting of what ran, as the scheduler uses it: src/accounting implements it
 * (`createAccounting`), and whoever builds a scheduler passes that in (SchedulerOptions.accounting).
 */
export interface Accounting {
  /** accounts a load that ran, on measured values where they exist, else on the forecast it was planned on */
  account(load: Load): Promise<void>;
  /** re-accounts recent forecast-based records whose measured values may be out; how many were upgraded */
  reaccountForecasts(nowMs: number): Promise<number>;
  /** a load's accounting, null when it has none (it did not run, or not yet) */
  ofLoad(loadId: string): Promise<LoadAccounting | null>;
  report(query: ReportQuery): Promise<Report>;
}

/** What accounting works with: the scheduler's store, signals, settings, clock and log. */
export type AccountingDeps = Pick<SchedulerContext, 'store' | 'registry' | 'config' | 'now' | 'log'>;

export const DEFAULT_SETTINGS: SchedulerSettings = {
  stepMin: 30,
  retry: { delaySeconds: 30, backoff: true, maxDelaySeconds: 3600 },
  replan: { minGainPct: 5, minGainG: 100, minGainCost: 0.05, minLeadMs: 2 * MINUTE_MS },
  pauseDeferMs: 60_000,
  recurringLookaheadMs: 24 * 60 * MINUTE_MS,
  plannerIntervalMs: 5 * MINUTE_MS,
  watchZones: [],
  signalHorizonMs: 24 * 60 * MINUTE_MS,
  repairAfterMs: 2 * MINUTE_MS,
};

/** The carbon metric a zone plans on. */
export function carbonMetric(ctx: Pick<SchedulerContext, 'config'>, zone: string): Metric {
  return zoneConfig(ctx.config, zone).metric;
}

/** Planned runs of a load (one for a contiguous load); a load without a plan runs at its earliest start. */
export function plannedRuns(load: Load): Run[] {
  if (load.plan?.runs.length) return [...load.plan.runs].sort((a, b) => a.startMs - b.startMs);
  const start = load.plannedStartMs ?? load.earliestMs;
  return [{ startMs: start, endMs: start + load.durationMin * MINUTE_MS }];
}

/** The run the load's next (or current) attempt covers: its current piece, or the whole load. */
export function currentRun(load: Load): { run: Run; index: number; last: boolean } {
  const runs = plannedRuns(load);
  const index = Math.min(load.piece, runs.length - 1);
  return { run: runs[index], index, last: index >= runs.length - 1 };
}

/** The zone a load runs in: its plan's, else its home zone. */
export function runZone(load: Load): string {
  return load.plan?.zone ?? load.zones[0];
}

/** The attempt number for a new attempt: above both the started and the queued ones. */
export const nextAttempt = (load: Load): number => Math.max(load.attempt, load.queuedAttempt) + 1;

/** Queues attempt `attempt` of the load for `startMs`, with the expiry of the run it covers. */
export async function queueAttempt(
  ctx: SchedulerContext,
  load: Load,
  attempt: number,
  startMs: number,
): Promise<void> {
  const { run } = currentRun(load);
  const durationMin = load.interruptible
    ? Math.max(1, Math.ceil((run.endMs - run.startMs) / MINUTE_MS))
    : load.durationMin;
  await ctx.queue.scheduleAttempt(load.id, attempt, startMs, {
    durationMin,
    priority: load.priority,
    ...(ctx.settings.attemptExpirySeconds !== undefined
      ? { expireInSeconds: ctx.settings.attemptExpirySeconds }
      : {}),
  });
}

export function publishState(ctx: SchedulerContext, load: Load, from: LoadState | null, atMs?: number): void {
  ctx.bus.publish({
    type: 'load.state',
    at: toIso(atMs ?? ctx.now()),
    loadId: load.id,
    name: load.name,
    from,
    to: load.state,
    attempt: load.attempt,
  });
}

export function publishPlanned(ctx: SchedulerContext, load: Load, reason: string, atMs?: number): void {
  if (load.plannedStartMs === null) return;
  ctx.bus.publish({
    type: 'load.planned',
    at: toIso(atMs ?? ctx.now()),
    loadId: load.id,
    zone: runZone(load),
    plannedStart: toIso(load.plannedStartMs),
    reason,
  });
}

/** Appends a decision; a failure to log is reported but does not undo what was done. */
export async function logDecision(ctx: SchedulerContext, entry: NewDecision): Promise<void> {
  try {
    await appendDecision(ctx.store, entry);
  } catch (err) {
    ctx.log('error', 'could not append to the decision log', {
      kind: entry.kind,
      error: (err as Error).message,
    });
  }
}

/** The retry delay after `failures` failed attempts, ms: doubling from the base with jitter, capped. */
export function retryDelayMs(
  retry: RetrySettings,
  failures: number,
  random: () => number = Math.random,
): number {
  const base = retry.delaySeconds * 1000;
  if (base <= 0) return 0;
  const max = retry.maxDelaySeconds * 1000;
  if (!retry.backoff) return Math.min(base, max);
  const nominal = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  // jitter in [nominal/2, nominal]: retries of loads that failed together spread out
  return Math.round(nominal * (0.5 + random() * 0.5));
}

/** how long a lifecycle hook may take before the scheduler goes on without it, ms */
const TARGET_HOOK_TIMEOUT_MS = 10_000;

/**
 * Tells the load's dispatch target that the load was prepared (queued), moved or cancelled, for targets that
 * hold something for a waiting load (a suspended Kubernetes Job). Never fails and never takes longer than
 * 10 s: a target that cannot be told is logged, and its dispatch makes what is missing.
 */
export async function tellTarget(ctx: SchedulerContext, event: LifecycleEvent, load: Load): Promise<void> {
  const target = load.dispatch as DispatchTargetInput;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${TARGET_HOOK_TIMEOUT_MS / 1000} s`)),
      TARGET_HOOK_TIMEOUT_MS,
    );
  });
  try {
    const hook = tellTargetHook(event, target, {
      loadId: load.id,
      attempt: load.queuedAttempt,
      name: load.name,
      plannedStartMs: currentRun(load).run.startMs,
      deadlineMs: load.deadlineMs,
    });
    await Promise.race([hook, timeout]);
  } catch (err) {
    ctx.log('warn', `could not tell the ${target.kind} target that its load was ${event}`, {
      loadId: load.id,
      error: errorMessage(err),
    });
  } finally {
    clearTimeout(timer);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
