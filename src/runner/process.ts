import type { GridshiftConfig } from '../core/config.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import { openStore, type Store, type StoreOptions } from '../store/db.ts';
import { errorMessage, type Log, type Role } from './context.ts';
import { createEventBus } from './events.ts';
import { openQueue, type Queue, type QueueOptions } from './queue.ts';
import { createScheduler, type Scheduler, type SchedulerOptions } from './scheduler.ts';
import type { Worker, WorkerOptions } from './worker.ts';

/**
 * A scheduler process: `gridshift serve` (api, worker and planner) or `gridshift worker` (worker only), on one
 * store. startService opens the store and the queue, starts the roles asked for, and on SIGTERM or SIGINT
 * drains: it stops taking attempts, lets running ones finish within the grace period (the rest are failed
 * and queued again at once, for another worker), stops the queue and closes the store, then exits 0.
 */

export interface ServiceOptions
  extends Omit<SchedulerOptions, 'store' | 'queue' | 'roles' | 'bus' | 'config' | 'registry' | 'log'> {
  /** an open store, or how to open one (then it is closed on stop) */
  store: Store | StoreOptions;
  config?: GridshiftConfig;
  registry?: SignalRegistry;
  /** default api, worker and planner */
  roles?: Role[];
  /** attempts run at once by this process's worker (default 4) */
  concurrency?: number;
  /** planner runs every this many ms, give or take `plannerJitter` (default 5 minutes) */
  plannerIntervalMs?: number;
  /** fraction of the interval the planner's start varies by, so processes do not run in step (default 0.1) */
  plannerJitter?: number;
  /** delay before the first planner run, ms (default 1 s) */
  plannerFirstRunMs?: number;
  /** how long running attempts may go on after SIGTERM (default 30 s) */
  graceMs?: number;
  queue?: QueueOptions;
  worker?: Omit<WorkerOptions, 'concurrency'>;
  /** install SIGTERM / SIGINT handlers that drain and exit (default true) */
  handleSignals?: boolean;
  /** how the process ends after a signal (default process.exit) */
  exit?: (code: number) => void;
  log?: Log;
  /** starts what else the process serves (the HTTP API) once the scheduler is up; closed first on stop */
  attach?: (scheduler: Scheduler) => Promise<{ close(): Promise<void> } | undefined>;
}

export interface RunningService {
  scheduler: Scheduler;
  store: Store;
  queue: Queue;
  worker: Worker | null;
  /** drains and closes everything; idempotent */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** resolves once stopped */
  readonly stopped: Promise<void>;
}

const isStore = (s: Store | StoreOptions): s is Store => typeof (s as Store).query === 'function';

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const log: Log =
    options.log ??
    ((level, message, data) => {
      if (level !== 'info')
        process.stderr.write(`gridshift ${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
    });
  const roles = options.roles ?? ['api', 'worker', 'planner'];
  const ownsStore = !isStore(options.store);
  const store = isStore(options.store)
    ? options.store
    : await openStore({
        ...options.store,
        ...('databaseUrl' in options.store
          ? {
              onConnectionError: (err: Error) =>
                log('warn', 'database connection lost; reconnecting', { error: err.message }),
            }
          : {}),
      });
  let queue: Queue | undefined;
  try {
    queue = await openQueue(store, {
      onError: (err) => log('warn', 'queue', { error: err.message }),
      ...options.queue,
    });
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
  let worker: Worker | null = null;
  const bus = createEventBus(store, {
    onError: (err) => log('warn', 'events', { error: err.message }),
    onReconnect: () => {
      log('info', 'listening for events again after a lost connection');
      void worker?.syncPause();
    },
  });
  await bus.start();
  const plannerIntervalMs = options.plannerIntervalMs ?? 5 * 60_000;
  const scheduler = createScheduler({
    ...options,
    store,
    queue,
    roles,
    bus,
    log,
    plannerIntervalMs,
  });

  if (roles.includes('worker')) {
    worker = await scheduler.startWorker({ ...options.worker, concurrency: options.concurrency ?? 4 });
  }

  // the planner loop: one run at a time here; across processes the planner lock decides
  let plannerTimer: NodeJS.Timeout | undefined;
  let plannerRun: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const jitter = options.plannerJitter ?? 0.1;
  const schedulePlanner = (delayMs: number) => {
    if (stopping) return;
    plannerTimer = setTimeout(() => {
      plannerRun = scheduler
        .replan()
        .catch((err) => log('warn', 'planner run failed', { error: errorMessage(err) }))
        .finally(() => schedulePlanner(plannerIntervalMs * (1 + jitter * (2 * Math.random() - 1))));
    }, delayMs);
  };
  if (roles.includes('planner')) schedulePlanner(options.plannerFirstRunMs ?? 1000);

  let attached: { close(): Promise<void> } | undefined;
  try {
    attached = (await options.attach?.(scheduler)) ?? undefined;
  } catch (err) {
    stopping = true;
    clearTimeout(plannerTimer);
    await worker?.drain(0);
    await queue.stop({ graceful: false }).catch(() => {});
    await scheduler.close();
    await bus.close();
    if (ownsStore) await store.close();
    throw err;
  }

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  let stopPromise: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log('info', `${signal}: draining`);
    const exit = options.exit ?? ((code: number) => process.exit(code));
    stop().then(
      () => exit(0),
      (err) => {
        log('error', 'could not stop cleanly', { error: errorMessage(err) });
        exit(1);
      },
    );
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  const stop = (stopOptions: { graceMs?: number } = {}): Promise<void> => {
    stopPromise ??= (async () => {
      stopping = true;
      if (handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      const errors: unknown[] = [];
      const step = async (what: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
          log('warn', `stopping: ${what} failed`, { error: errorMessage(err) });
        }
      };
      await step('API', async () => attached?.close());
      clearTimeout(plannerTimer);
      await step('planner', () => plannerRun);
      await step('worker', async () => worker?.drain(stopOptions.graceMs ?? options.graceMs ?? 30_000));
      await step('queue', () => (queue as Queue).stop({ graceful: false, timeoutMs: 1000 }));
      await step('scheduler', () => scheduler.close());
      await step('events', () => bus.close());
      if (ownsStore) await step('store', () => store.close());
      resolveStopped();
    })();
    return stopPromise;
  };

  return { scheduler, store, queue, worker, stop, stopped };
}
