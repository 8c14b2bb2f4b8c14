import type { GridshiftConfig } from '../core/config.ts';
import type { HomeController } from '../home/controller.ts';
import type { SchedulerService } from '../runner/service.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import type { Db } from '../store/db.ts';
import { unavailable } from './problem.ts';

/** What the route plugins get: the services behind the API and the server's clock. */
export interface ApiContext {
  registry: SignalRegistry;
  store: Db;
  config: GridshiftConfig;
  /** the server's clock: the scheduler's when there is one (tests pin it) */
  nowMs(): number;
  /** the scheduler, or a 503 problem when this server runs without one */
  scheduler(): SchedulerService;
  hasScheduler: boolean;
  /** the home controller of this process, when it plans the home */
  home?: HomeController;
}

export function createContext(options: {
  scheduler?: SchedulerService;
  registry: SignalRegistry;
  store: Db;
  config?: GridshiftConfig;
  now?: () => number;
  home?: HomeController;
}): ApiContext {
  const { scheduler } = options;
  if (scheduler && options.now)
    throw new Error(
      'a server with a scheduler reads its clock: give `now` to the scheduler, not to the server',
    );
  return {
    registry: options.registry,
    store: options.store,
    config: options.config ?? options.registry.config,
    nowMs: scheduler ? () => scheduler.nowMs() : (options.now ?? Date.now),
    hasScheduler: scheduler !== undefined,
    ...(options.home ? { home: options.home } : {}),
    scheduler() {
      if (!scheduler)
        throw unavailable('this server runs without a scheduler: loads, reports and events are off');
      return scheduler;
    },
  };
}
