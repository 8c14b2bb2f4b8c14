import { defaultConfig, type GridshiftConfig } from '../core/config.ts';
import { InputError } from '../core/errors.ts';
import { createRegistry, type SignalRegistry } from '../signals/registry.ts';
import { type Decision, readDecisions } from '../store/audit.ts';
import type { Store } from '../store/db.ts';
import { getLoad, listLoads, loadEvents } from '../store/loads.ts';
import { getTemplate, listTemplates, type RecurringTemplate, templateLoads } from '../store/recurring.ts';
import { schedulerStatus } from '../store/scheduler.ts';
import { cancelLoad, pause, purgeOld, resume, retryLoad, runLoadNow } from './actions.ts';
import {
  type Accounting,
  type AccountingDeps,
  DEFAULT_SETTINGS,
  type Log,
  type ReplanThresholds,
  type RetrySettings,
  type Role,
  type SchedulerContext,
  type SchedulerSettings,
} from './context.ts';
import { NotFoundError } from './errors.ts';
import { createEventBus, type EventBus } from './events.ts';
import type { Queue } from './queue.ts';
import { cancelRecurring } from './recurring.ts';
import { runPlanner } from './replanner.ts';
import type { SchedulerService, SchedulerView } from './service.ts';
import { previewLoad, submitLoad } from './submissions.ts';
import { createWorker, type Worker, type WorkerOptions } from './worker.ts';

/**
 * createScheduler: the SchedulerService over a store, a signal registry and the dispatch queue. The API,
 * the CLI and `gridshift worker` processes all use it; which parts run where is process.ts's business.
 */

export interface SchedulerOptions {
  store: Store;
  queue: Queue;
  /** signal sources and failure policies; default the offline configuration */
  config?: GridshiftConfig;
  /** default a registry over `config` */
  registry?: SignalRegistry;
  /** this process's roles, shown in status() (default all three) */
  roles?: Role[];
  /** the clock (default Date.now) */
  now?: () => number;
  /** planning grid step, minutes (default 30) */
  stepMin?: number;
  retry?: Partial<RetrySettings>;
  replan?: Partial<ReplanThresholds>;
  pauseDeferMs?: number;
  recurringLookaheadMs?: number;
  plannerIntervalMs?: number;
  watchZones?: string[];
  signalHorizonMs?: number;
  repairAfterMs?: number;
  /** expiry of every attempt, seconds (default the run's length plus the queue's margin) */
  attemptExpirySeconds?: number;
  /** events across processes; default one made on the store (call `bus.start()` to hear other processes) */
  bus?: EventBus;
  /** where warnings go (default stderr for warnings and errors) */
  log?: Log;
  /** makes the accounting of what ran over the scheduler's store and signals: `createAccounting` (src/accounting) */
  accounting: (deps: AccountingDeps) => Accounting;
}

export interface Scheduler extends SchedulerService {
  readonly context: SchedulerContext;
  /** starts this process's worker: takes attempts from the queue and runs them */
  startWorker(options?: WorkerOptions): Promise<Worker>;
  /** stops listening for events; the store and the queue belong to the caller */
  close(): Promise<void>;
}

const defaultLog: Log = (level, message, data) => {
  if (level === 'info') return;
  process.stderr.write(`gridshift ${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
};

export function createScheduler(options: SchedulerOptions): Scheduler {
  const config = options.config ?? options.registry?.config ?? defaultConfig();
  const log = options.log ?? defaultLog;
  const settings: SchedulerSettings = {
    stepMin: options.stepMin ?? DEFAULT_SETTINGS.stepMin,
    retry: { ...DEFAULT_SETTINGS.retry, ...options.retry },
    replan: { ...DEFAULT_SETTINGS.replan, ...options.replan },
    pauseDeferMs: options.pauseDeferMs ?? DEFAULT_SETTINGS.pauseDeferMs,
    recurringLookaheadMs: options.recurringLookaheadMs ?? DEFAULT_SETTINGS.recurringLookaheadMs,
    plannerIntervalMs: options.plannerIntervalMs ?? DEFAULT_SETTINGS.plannerIntervalMs,
    watchZones: options.watchZones ?? DEFAULT_SETTINGS.watchZones,
    signalHorizonMs: options.signalHorizonMs ?? DEFAULT_SETTINGS.signalHorizonMs,
    repairAfterMs: options.repairAfterMs ?? DEFAULT_SETTINGS.repairAfterMs,
    ...(options.attemptExpirySeconds !== undefined
      ? { attemptExpirySeconds: options.attemptExpirySeconds }
      : {}),
  };
  if (!(Number.isInteger(settings.stepMin) && settings.stepMin >= 1 && settings.stepMin <= 1440)) {
    throw new InputError(`stepMin: ${settings.stepMin} is not a whole number of minutes from 1 to 1440`);
  }
  if (typeof options.accounting !== 'function') {
    throw new InputError(
      'accounting: a scheduler needs its accounting (createAccounting from src/accounting)',
    );
  }
  const ownsBus = !options.bus;
  const deps: Omit<SchedulerContext, 'accounting'> = {
    store: options.store,
    queue: options.queue,
    registry: options.registry ?? createRegistry({ config }),
    config,
    bus:
      options.bus ??
      createEventBus(options.store, { onError: (err) => log('warn', 'event bus', { error: err.message }) }),
    roles: options.roles ?? ['api', 'worker', 'planner'],
    now: options.now ?? Date.now,
    settings,
    log,
  };
  const ctx: SchedulerContext = { ...deps, accounting: options.accounting(deps) };
  const workers: Worker[] = [];

  const view = async (): Promise<SchedulerView> => ({
    ...(await schedulerStatus(ctx.store)),
    roles: [...ctx.roles],
  });

  return {
    context: ctx,
    nowMs: () => ctx.now(),
    submit: (input, opts) => submitLoad(ctx, input, opts),
    preview: (input, opts) => previewLoad(ctx, input, opts),
    async get(id) {
      const load = await getLoad(ctx.store, id);
      if (!load) return null;
      const [events, accounting] = await Promise.all([loadEvents(ctx.store, id), ctx.accounting.ofLoad(id)]);
      return { load, events, accounting };
    },
    list: (filter) => listLoads(ctx.store, filter),
    async cancel(id, reason) {
      if (await getLoad(ctx.store, id)) return cancelLoad(ctx, id, reason);
      if (await getTemplate(ctx.store, id)) {
        await cancelRecurring(ctx, id, reason);
        const loads = await templateLoads(ctx.store, id);
        const newest = loads[loads.length - 1];
        if (newest) return newest;
      }
      throw new NotFoundError('load', id);
    },
    runNow: (id) => runLoadNow(ctx, id),
    retry: (id) => retryLoad(ctx, id),
    purge: (olderThanMs) => purgeOld(ctx, olderThanMs),
    async pause(reason) {
      await pause(ctx, reason);
      return view();
    },
    async resume() {
      await resume(ctx);
      return view();
    },
    status: view,
    replan: (opts) => runPlanner(ctx, opts),
    report: (query) => ctx.accounting.report(query),
    async decisions(opts = {}) {
      const limit = opts.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new InputError(`limit: ${limit} is not a whole number from 1 to 10000`);
      }
      const out: Decision[] = [];
      for await (const d of readDecisions(ctx.store, {
        afterSeq: opts.afterSeq,
        loadId: opts.loadId,
        pageSize: Math.min(limit, 500),
      })) {
        out.push(d);
        if (out.length >= limit) break;
      }
      return out;
    },
    onEvent: (listener) => ctx.bus.onEvent(listener),
    publish: (event) => ctx.bus.publish(event),
    recurring: (opts) => listTemplates(ctx.store, opts),
    async cancelRecurring(id, reason): Promise<RecurringTemplate> {
      return (await cancelRecurring(ctx, id, reason)).template;
    },
    async startWorker(workerOptions) {
      const worker = createWorker(ctx, workerOptions);
      await worker.start();
      workers.push(worker);
      return worker;
    },
    async close() {
      if (ownsBus) await ctx.bus.close();
    },
  };
}
