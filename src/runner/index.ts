/**
 * The scheduler service: submit, plan, queue, run, replan and account loads. `createScheduler` gives the
 * SchedulerService every client uses; `startService` runs a whole process (api, worker, planner roles).
 */

export type { DispatchFn } from './attempt-run.ts';
export type {
  Accounting,
  AccountingDeps,
  Log,
  LogLevel,
  ReplanThresholds,
  RetrySettings,
  Role,
  SchedulerSettings,
} from './context.ts';
export { DEFAULT_SETTINGS, retryDelayMs } from './context.ts';
export { ConflictError, NotFoundError } from './errors.ts';
export { type ControlMessage, createEventBus, type EventBus, eventChannel } from './events.ts';

export { type RunningService, type ServiceOptions, startService } from './process.ts';
export {
  type AttemptJob,
  attemptJobId,
  DEAD_LETTER_QUEUE,
  type DeadAttempt,
  DISPATCH_QUEUE,
  openQueue,
  type Queue,
  type QueueOptions,
} from './queue.ts';
export { occurrences } from './recurring.ts';
export { refreshSignals, runPlanner } from './replanner.ts';
export { createScheduler, type Scheduler, type SchedulerOptions } from './scheduler.ts';
export type * from './service.ts';
export { makePlan, prepareLoad } from './submit.ts';
export { createWorker, type Worker, type WorkerOptions } from './worker.ts';
