import { createHash } from 'node:crypto';
import { type Clock, fromPglite, type JobWithMetadata, PgBoss } from 'pg-boss';
import { InputError } from '../core/errors.ts';
import { isReconnectable, type Store } from '../store/db.ts';

/**
 * The durable queue of load attempts, on pg-boss: an attempt waits in the database until its planned
 * start (`startAfter`), is handed to exactly one worker, is retried with backoff when it fails or when
 * its worker disappears (expiry), and lands in a dead-letter queue when the retries run out.
 * On the embedded store pg-boss runs on the same PGlite instance; on PostgreSQL it has its own pool.
 */

export const DISPATCH_QUEUE = 'gridshift-dispatch';
export const DEAD_LETTER_QUEUE = 'gridshift-dead';

/** pg-boss refuses an expiry longer than 24 hours. */
const MAX_EXPIRE_SECONDS = 24 * 60 * 60;

export interface QueueOptions {
  /** pg-boss schema; default `<store schema>_queue` */
  schema?: string;
  /** retries after the first try before the attempt is dead-lettered (default 2) */
  retryLimit?: number;
  /** delay before the first retry, seconds (default 30) */
  retryDelaySeconds?: number;
  /** double the delay on each retry, with jitter (default true) */
  retryBackoff?: boolean;
  /** cap on the backoff delay, seconds (default 3600) */
  retryDelayMaxSeconds?: number;
  /** added to a load's duration to give its expiry: how long past its end a run may go unanswered (default 300) */
  expireMarginSeconds?: number;
  /** how often an idle worker asks for due work, seconds (default 2, at least 0.5) */
  pollingIntervalSeconds?: number;
  /** how often expiry of stuck work and cleanup run, seconds (default 30); the effective period is the larger of the two */
  superviseIntervalSeconds?: number;
  monitorIntervalSeconds?: number;
  /** how long a due attempt may wait for a worker (a paused scheduler, all workers down) before it is dropped, days (default 30) */
  retentionDays?: number;
  /** PostgreSQL pool size for pg-boss (default 10) */
  maxConnections?: number;
  /** shown in pg_stat_activity (default gridshift-queue) */
  applicationName?: string;
  /** a pg-boss TestClock in tests; default the system clock */
  clock?: Clock;
  /** errors pg-boss recovers from by itself (lost connections, failed polls) and its warnings (slow queries,
   * a large backlog); default: written to stderr */
  onError?: (err: Error) => void;
}

/** The payload of a dispatch job. */
interface AttemptData {
  loadId: string;
  attempt: number;
}

/** One attempt of a load, as a worker receives it. */
export interface AttemptJob {
  jobId: string;
  loadId: string;
  attempt: number;
  /** how many times this job was handed out before (after a failure or an expired run) */
  retryCount: number;
  /** the run is failed and retried when it takes longer than this */
  expireInSeconds: number;
  /** aborted when the worker is stopping and the run did not finish within the grace period */
  signal: AbortSignal;
}

/** An attempt whose retries ran out. */
export interface DeadAttempt {
  jobId: string;
  loadId: string;
  attempt: number;
  /** the job's last failure output (an error's message and stack when the handler threw) */
  error: unknown;
  retryCount: number;
}

export interface ScheduleOptions {
  /** the run's duration; with the margin it gives the expiry (default: one hour plus the margin) */
  durationMin?: number;
  /** explicit expiry in seconds (overrides durationMin) */
  expireInSeconds?: number;
  priority?: number;
}

export interface Queue {
  readonly boss: PgBoss;
  /** the PostgreSQL schema pg-boss keeps its tables in */
  readonly schema: string;
  readonly name: string;
  readonly deadLetterName: string;
  /**
   * Enqueues attempt `attempt` of a load to become due at `startAfter`. An attempt is enqueued once:
   * scheduling it again (another replica, a retried request) changes nothing and returns created false.
   */
  scheduleAttempt(
    loadId: string,
    attempt: number,
    startAfter: Date | number,
    options?: ScheduleOptions,
  ): Promise<{ jobId: string; created: boolean }>;
  /** Moves a waiting attempt to a new start (a replan, or `run now`); false when it is no longer waiting. */
  rescheduleAttempt(loadId: string, attempt: number, startAfter: Date | number): Promise<boolean>;
  /** Cancels an attempt that has not finished; false when there was none to cancel. */
  cancelAttempt(loadId: string, attempt: number): Promise<boolean>;
  /** Runs `handler` for due attempts, `concurrency` at a time in this process. Throwing fails the try. */
  work(handler: (job: AttemptJob) => Promise<void>, options?: { concurrency?: number }): Promise<string>;
  /** Runs `handler` for each attempt that reached the dead-letter queue (to mark its load dead). */
  workDeadLetters(handler: (job: DeadAttempt) => Promise<void>): Promise<string>;
  /** Stops workers and maintenance. Graceful (default): running handlers get `timeoutMs` (default 30 s) to finish. */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

/**
 * The job id of an attempt: a UUID derived from (load, attempt), so the database's primary key makes a
 * second enqueue of the same attempt a no-op even after the first has finished.
 */
export function attemptJobId(loadId: string, attempt: number): string {
  const b = createHash('sha256').update(`gridshift:${loadId}:${attempt}`).digest();
  b[6] = (b[6] & 0x0f) | 0x80; // UUID version 8 (custom)
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const attemptKey = (loadId: string, attempt: number) => `${loadId}:${attempt}`;

/** Starts pg-boss on the store (installing or migrating its schema) and creates the two queues. */
export async function openQueue(store: Store, options: QueueOptions = {}): Promise<Queue> {
  const schema = options.schema ?? `${store.schema}_queue`;
  const onError = options.onError ?? ((err: Error) => console.error(`gridshift queue: ${err.message}`));
  const common = {
    schema,
    clock: options.clock,
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 30,
    monitorIntervalSeconds: options.monitorIntervalSeconds ?? 30,
  };
  const boss =
    store.kind === 'embedded'
      ? new PgBoss({ ...common, backend: 'pglite', db: fromPglite(store.pglite) })
      : new PgBoss({
          ...common,
          connectionString: store.databaseUrl,
          max: options.maxConnections ?? 10,
          application_name: options.applicationName ?? 'gridshift-queue',
        });
  // pg-boss reports recoverable trouble as 'error' events; an EventEmitter without a listener would throw.
  boss.on('error', (err) => onError(err instanceof Error ? err : new Error(String(err))));
  boss.on('warning', (warning) => onError(new Error(`warning: ${warning.message}`)));
  await boss.start();

  const retryBackoff = options.retryBackoff ?? true;
  const retry = {
    retentionSeconds: Math.round((options.retentionDays ?? 30) * 86_400),
    retryLimit: options.retryLimit ?? 2,
    retryDelay: options.retryDelaySeconds ?? 30,
    retryBackoff,
    // pg-boss accepts a cap only together with backoff
    ...(retryBackoff ? { retryDelayMax: options.retryDelayMaxSeconds ?? 3600 } : {}),
  };
  const margin = options.expireMarginSeconds ?? 300;
  // A dead-letter handler that fails (the database briefly away) must get another chance to mark its load.
  await boss.createQueue(DEAD_LETTER_QUEUE, {
    retryLimit: 10,
    retryDelay: 10,
    retryBackoff: true,
    retryDelayMax: 600,
  });
  // 'exclusive': at most one job per singleton key (load:attempt) queued or running at a time.
  await boss.createQueue(DISPATCH_QUEUE, { policy: 'exclusive', deadLetter: DEAD_LETTER_QUEUE, ...retry });
  // createQueue keeps an existing queue as it was; apply changed settings.
  await boss.updateQueue(DISPATCH_QUEUE, { ...retry, retryDelayMax: retry.retryDelayMax ?? null });
  const polling = { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 };

  const expiryFor = (o: ScheduleOptions): number => {
    const seconds =
      o.expireInSeconds ?? (o.durationMin !== undefined ? o.durationMin * 60 + margin : undefined);
    if (seconds === undefined) return Math.min(MAX_EXPIRE_SECONDS, 3600 + margin);
    if (!(Number.isFinite(seconds) && seconds >= 1))
      throw new InputError(`expireInSeconds: ${seconds} is not >= 1`);
    if (seconds > MAX_EXPIRE_SECONDS) {
      throw new InputError(
        `durationMin: a single run of ${Math.round(seconds / 60)} minutes (with margin) is longer than the 24 hours ` +
          'the queue can hold a run; split the load into shorter pieces',
      );
    }
    return Math.ceil(seconds);
  };

  // pg-boss does not retry a statement whose pooled connection the server closed (restart, failover).
  // These calls are idempotent (the job id is derived from load and attempt), so they retry a few times.
  const retrying = async <T>(run: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt >= 3 || !isReconnectable(err)) throw err;
        await new Promise((r) => setTimeout(r, 100 * 4 ** attempt));
      }
    }
  };

  return {
    boss,
    schema,
    name: DISPATCH_QUEUE,
    deadLetterName: DEAD_LETTER_QUEUE,

    async scheduleAttempt(loadId, attempt, startAfter, scheduleOptions = {}) {
      if (!Number.isInteger(attempt) || attempt < 0)
        throw new InputError(`attempt: ${attempt} is not a whole number`);
      const jobId = attemptJobId(loadId, attempt);
      const sendOptions = {
        id: jobId,
        singletonKey: attemptKey(loadId, attempt),
        startAfter: new Date(startAfter),
        expireInSeconds: expiryFor(scheduleOptions),
        priority: scheduleOptions.priority ?? 0,
      };
      const id = await retrying(() => boss.send(DISPATCH_QUEUE, { loadId, attempt }, sendOptions));
      return { jobId, created: id !== null };
    },

    async rescheduleAttempt(loadId, attempt, startAfter) {
      const result = await retrying(() =>
        boss.update(DISPATCH_QUEUE, undefined, {
          id: attemptJobId(loadId, attempt),
          startAfter: new Date(startAfter),
        }),
      );
      return result.updated > 0;
    },

    async cancelAttempt(loadId, attempt) {
      const result = await retrying(() => boss.cancel(DISPATCH_QUEUE, attemptJobId(loadId, attempt)));
      // CommandResponse is declared empty in pg-boss's types; at run time it carries the count.
      return ((result as { affected?: number }).affected ?? 0) > 0;
    },

    async work(handler, workOptions = {}) {
      let workId: string | undefined;
      workId = await boss.work<AttemptData>(
        DISPATCH_QUEUE,
        { ...polling, batchSize: 1, localConcurrency: workOptions.concurrency ?? 1 },
        async ([job]) => {
          // pg-boss waits out the polling interval after every fetch, even one that found work, so a worker
          // would start at most `concurrency` attempts per interval. A job in hand means more may be due
          // (planned starts gather on the cleanest slots): this call's workers fetch again at once, and a
          // fetch that comes back empty returns them to polling.
          for (const w of boss.getWipData()) {
            if (w.workId === workId && w.name === DISPATCH_QUEUE) boss.notifyWorker(w.id);
          }
          await handler({
            jobId: job.id,
            loadId: job.data.loadId,
            attempt: job.data.attempt,
            retryCount: job.retryCount,
            expireInSeconds: job.expireInSeconds,
            signal: job.signal,
          });
        },
      );
      return workId;
    },

    workDeadLetters(handler) {
      return boss.work(
        DEAD_LETTER_QUEUE,
        { pollingIntervalSeconds: polling.pollingIntervalSeconds, batchSize: 1, includeMetadata: true },
        async ([job]: JobWithMetadata<AttemptData>[]) => {
          await handler({
            jobId: job.id,
            loadId: job.data.loadId,
            attempt: job.data.attempt,
            error: job.sourceOutput,
            retryCount: job.sourceRetryCount ?? 0,
          });
        },
      );
    },

    async stop(stopOptions = {}) {
      await boss.stop({ graceful: stopOptions.graceful ?? true, timeout: stopOptions.timeoutMs ?? 30_000 });
    },
  };
}
