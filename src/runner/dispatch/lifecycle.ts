/**
 * Hooks a dispatch target may have around a load's life outside its runs, for targets that hold something
 * for the load while it waits (a suspended Kubernetes Job). The scheduler calls them after the fact and
 * never depends on them: a hook that fails is logged, and the dispatch makes what is missing.
 */

/** What a hook knows of the load. */
export interface TargetLoad {
  loadId: string;
  /** the attempt queued for the load */
  attempt: number;
  name: string;
  /** the start of the load's next run (its next piece, for an interruptible load) */
  plannedStartMs: number;
  deadlineMs: number;
}

export interface TargetLifecycle<T> {
  /** the load was planned and queued: its first attempt waits for its planned start */
  prepared?(target: T, load: TargetLoad, env?: NodeJS.ProcessEnv): Promise<void>;
  /** the load's planned start moved (a replan, run now, the next piece queued) */
  moved?(target: T, load: TargetLoad, env?: NodeJS.ProcessEnv): Promise<void>;
  /** the load was cancelled */
  cancelled?(target: T, load: TargetLoad, env?: NodeJS.ProcessEnv): Promise<void>;
}

export type LifecycleEvent = keyof TargetLifecycle<unknown>;
