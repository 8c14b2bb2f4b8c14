import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestClock } from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import {
  type AttemptJob,
  attemptJobId,
  type DeadAttempt,
  openQueue,
  type Queue,
  type QueueOptions,
} from '../../src/runner/queue.ts';
import type { Store } from '../../src/store/db.ts';
import {
  BACKENDS,
  describeEachBackend,
  skipPostgres,
  type TestBackend,
  terminateSessions,
} from '../store/backends.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const T0 = Date.UTC(2025, 3, 1, 0, 0, 0);

/** Resolves when `count` calls of the returned callback have happened. */
function waiter<T>(count = 1) {
  const seen: T[] = [];
  let done!: (v: T[]) => void;
  const promise = new Promise<T[]>((r) => {
    done = r;
  });
  return {
    seen,
    promise,
    push(v: T) {
      seen.push(v);
      if (seen.length === count) done(seen);
    },
  };
}

describe('attempt job ids', () => {
  it('are stable UUIDs per (load, attempt)', () => {
    const load = '3f2b8f0e-5a7c-4d1e-9b6a-0c1d2e3f4a5b';
    expect(attemptJobId(load, 1)).toBe(attemptJobId(load, 1));
    expect(attemptJobId(load, 1)).not.toBe(attemptJobId(load, 2));
    expect(attemptJobId(load, 1)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describeEachBackend('queue', (make) => {
  let backend: TestBackend;
  let store: Store;
  const queues: Queue[] = [];
  let n = 0;
  /** a queue in its own pg-boss schema, so each test starts empty */
  const open = async (options: QueueOptions = {}) => {
    const q = await openQueue(store, {
      schema: `${store.schema}_q${n++}`,
      pollingIntervalSeconds: 0.5,
      onError: () => {},
      ...options,
    });
    queues.push(q);
    return q;
  };
  beforeAll(async () => {
    backend = make();
    store = await backend.open();
  });
  afterEach(async () => {
    while (queues.length) await queues.pop()?.stop({ graceful: false });
  });
  afterAll(async () => {
    if (store?.kind === 'postgres') {
      for (let i = 0; i < n; i++) await store.exec(`DROP SCHEMA IF EXISTS "${store.schema}_q${i}" CASCADE`);
    }
    await backend?.cleanup();
  });

  it('does not hand out an attempt before its planned start', async () => {
    const clock = new TestClock(T0);
    const q = await open({ clock });
    const loadId = randomUUID();
    const { jobId, created } = await q.scheduleAttempt(loadId, 1, T0 + 3_600_000, { durationMin: 30 });
    expect(created).toBe(true);
    expect(await q.boss.fetch(q.name)).toEqual([]);
    await clock.setTime(T0 + 3_600_000 - 1000);
    expect(await q.boss.fetch(q.name)).toEqual([]);
    await clock.setTime(T0 + 3_600_000);
    const [job] = await q.boss.fetch<{ loadId: string; attempt: number }>(q.name);
    expect(job).toMatchObject({ id: jobId, data: { loadId, attempt: 1 }, expireInSeconds: 30 * 60 + 300 });
  });

  it('enqueues an attempt once, also after it has finished', async () => {
    const clock = new TestClock(T0);
    const q = await open({ clock });
    const loadId = randomUUID();
    const first = await q.scheduleAttempt(loadId, 1, T0);
    expect(await q.scheduleAttempt(loadId, 1, T0 + 5000)).toEqual({ jobId: first.jobId, created: false });
    const [job] = await q.boss.fetch(q.name);
    await q.boss.complete(q.name, job.id);
    expect((await q.scheduleAttempt(loadId, 1, T0)).created).toBe(false);
    const second = await q.scheduleAttempt(loadId, 2, T0);
    expect(second.created).toBe(true);
    expect(second.jobId).not.toBe(first.jobId);
  });

  it('moves a waiting attempt (replan, run now) and cancels one', async () => {
    const clock = new TestClock(T0);
    const q = await open({ clock });
    const [a, b] = [randomUUID(), randomUUID()];
    await q.scheduleAttempt(a, 1, T0 + 86_400_000);
    await q.scheduleAttempt(b, 1, T0 + 86_400_000);
    expect(await q.rescheduleAttempt(a, 1, T0)).toBe(true);
    expect(await q.cancelAttempt(b, 1)).toBe(true);
    expect(await q.cancelAttempt(b, 1)).toBe(false);
    const jobs = await q.boss.fetch<{ loadId: string }>(q.name, { batchSize: 10 });
    expect(jobs.map((j) => j.data.loadId)).toEqual([a]);
    await clock.setTime(T0 + 86_400_000);
    expect(await q.boss.fetch(q.name)).toEqual([]); // b was cancelled
    expect(await q.rescheduleAttempt(a, 1, T0 + 1)).toBe(false); // a is running
  });

  it('takes due attempts one after another without waiting out the polling interval', async () => {
    // the test clock stands still: a worker that waited between fetches would stop after the first attempt
    const clock = new TestClock(T0);
    const q = await open({ clock, pollingIntervalSeconds: 2 });
    const loads = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const loadId of loads) await q.scheduleAttempt(loadId, 1, T0);
    const done = waiter<AttemptJob>(loads.length);
    await q.work(async (job) => done.push(job));
    const jobs = await done.promise;
    expect(jobs.map((j) => j.loadId).sort()).toEqual([...loads].sort());
  });

  it('derives expiry from the duration and refuses runs longer than a day', async () => {
    const q = await open();
    const loadId = randomUUID();
    await expect(q.scheduleAttempt(loadId, 1, T0, { durationMin: 24 * 60 })).rejects.toThrow(InputError);
    await expect(q.scheduleAttempt(loadId, 1.5, T0)).rejects.toThrow(/^attempt/);
    await q.scheduleAttempt(loadId, 1, T0, { durationMin: 90 });
    const [job] = await q.boss.findJobs(q.name, { id: attemptJobId(loadId, 1) });
    expect(job.expireInSeconds).toBe(90 * 60 + 300);
  });

  it('retries a failing attempt, then puts it in the dead-letter queue', async () => {
    const q = await open({ retryLimit: 2, retryDelaySeconds: 0, retryBackoff: false });
    const tries = waiter<AttemptJob>(3);
    const dead = waiter<DeadAttempt>(1);
    await q.work(async (job) => {
      tries.push(job);
      throw new Error(`dispatch failed (try ${job.retryCount + 1})`);
    });
    await q.workDeadLetters(async (job) => dead.push(job));
    const loadId = randomUUID();
    const { jobId } = await q.scheduleAttempt(loadId, 4, Date.now() - 1000);
    const [deadJob] = await dead.promise;
    expect(tries.seen.map((j) => [j.jobId, j.retryCount])).toEqual([
      [jobId, 0],
      [jobId, 1],
      [jobId, 2],
    ]);
    expect(deadJob).toMatchObject({ loadId, attempt: 4, retryCount: 2 });
    expect(JSON.stringify(deadJob.error)).toContain('dispatch failed (try 3)');
  });

  it('backs off between retries', async () => {
    const clock = new TestClock(T0);
    const q = await open({
      clock,
      retryLimit: 3,
      retryDelaySeconds: 60,
      retryBackoff: true,
      retryDelayMaxSeconds: 3600,
    });
    await q.scheduleAttempt(randomUUID(), 1, T0);
    // first retry: 60..120 s later; second: 120..240 s after that
    const [job] = await q.boss.fetch(q.name);
    await q.boss.fail(q.name, job, { message: 'no answer' });
    await clock.tick(59_000);
    expect(await q.boss.fetch(q.name)).toEqual([]);
    await clock.tick(62_000);
    const [again] = await q.boss.fetch(q.name);
    expect(again).toMatchObject({ id: job.id, retryCount: 1 });
    await q.boss.fail(q.name, again, { message: 'no answer' });
    await clock.tick(119_000);
    expect(await q.boss.fetch(q.name)).toEqual([]);
    await clock.tick(122_000);
    expect(await q.boss.fetch(q.name)).toMatchObject([{ id: job.id, retryCount: 2 }]);
  });

  it('retries an attempt whose worker went away without finishing, once it expires', async () => {
    const clock = new TestClock(T0);
    const q = await open({
      clock,
      monitorIntervalSeconds: 1,
      superviseIntervalSeconds: 1,
      retryDelaySeconds: 0,
      retryBackoff: false,
    });
    await q.scheduleAttempt(randomUUID(), 1, T0, { expireInSeconds: 60 });
    const [taken] = await q.boss.fetch(q.name); // ... and never completed
    await clock.tick(30_000);
    await q.boss.supervise(q.name);
    expect(await q.boss.fetch(q.name)).toEqual([]); // not expired yet
    await clock.tick(31_000);
    await q.boss.supervise(q.name);
    const [retried] = await q.boss.fetch(q.name);
    expect(retried).toMatchObject({ id: taken.id, retryCount: 1 });
    // the lost worker's late completion cannot settle the new try
    const late = await q.boss.complete(q.name, taken);
    expect((late as { affected: number }).affected).toBe(0);
  });

  it('lets a running attempt finish when stopping gracefully', async () => {
    const q = await open();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const started = waiter<AttemptJob>(1);
    let finished = false;
    await q.work(async (job) => {
      started.push(job);
      await gate;
      finished = true;
    });
    const { jobId } = await q.scheduleAttempt(randomUUID(), 1, Date.now() - 1000);
    await started.promise;
    let stopped = false;
    const stopping = q.stop({ graceful: true, timeoutMs: 20_000 }).then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    const rows = await store.query<{ state: string }>(`SELECT state FROM "${q.schema}".job WHERE id = $1`, [
      jobId,
    ]);
    expect(rows).toEqual([{ state: 'completed' }]);
  });
});

describe.skipIf(skipPostgres)('queue on PostgreSQL with several workers', () => {
  let backend: TestBackend;
  let store: Store;
  const queues: Queue[] = [];
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    backend = BACKENDS[1].make();
    store = await backend.open();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    while (queues.length) await queues.pop()?.stop({ graceful: false });
  });
  afterAll(async () => backend?.cleanup());

  const open = async (options: QueueOptions = {}) => {
    const q = await openQueue(store, {
      pollingIntervalSeconds: 0.5,
      maxConnections: 4,
      onError: () => {},
      ...options,
    });
    queues.push(q);
    return q;
  };

  it('hands each attempt to exactly one of three workers', async () => {
    const workers = [await open(), await open(), await open()];
    const total = 150;
    const handled = new Map<string, number[]>();
    const all = waiter<string>(total);
    const when = Date.now() - 1000;
    await Promise.all(Array.from({ length: total }, () => workers[0].scheduleAttempt(randomUUID(), 1, when)));
    await Promise.all(
      workers.map((q, w) =>
        q.work(
          async (job) => {
            const by = handled.get(job.jobId) ?? [];
            by.push(w);
            handled.set(job.jobId, by);
            all.push(job.jobId);
            await new Promise((r) => setTimeout(r, Math.random() * 5));
          },
          { concurrency: 10 },
        ),
      ),
    );
    await all.promise;
    // let anything still in flight finish before counting
    for (const q of workers) await q.stop({ graceful: true });
    queues.length = 0;
    expect(handled.size).toBe(total);
    const duplicates = [...handled.entries()].filter(([, by]) => by.length > 1);
    expect(duplicates).toEqual([]);
    // the work was shared, not done by one worker
    const perWorker = [0, 1, 2].map((w) => [...handled.values()].filter((by) => by[0] === w).length);
    expect(perWorker.filter((c) => c > 0).length).toBeGreaterThan(1);
    const [{ n }] = await store.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM "${store.schema}_queue".job WHERE name = $1 AND state = 'completed'`,
      [workers[0].name],
    );
    expect(n).toBe(total);
  });

  it('retries the attempt of a worker process killed mid-run on another worker, after expiry', async () => {
    const child = spawn(
      join(root, 'node_modules', '.bin', 'node'),
      [
        join(root, 'test', 'fixtures', 'queue', 'hanging-worker.ts'),
        (store as { databaseUrl: string }).databaseUrl,
        store.schema,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const lines: string[] = [];
    const lineWaiters: [RegExp, (line: string) => void][] = [];
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let i = buffer.indexOf('\n');
      while (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        lines.push(line);
        for (const [re, resolve] of lineWaiters) if (re.test(line)) resolve(line);
        i = buffer.indexOf('\n');
      }
    });
    const nextLine = (re: RegExp) =>
      new Promise<string>((resolve) => {
        const seen = lines.find((l) => re.test(l));
        if (seen) resolve(seen);
        else lineWaiters.push([re, resolve]);
      });
    await nextLine(/^ready$/);

    const q = await open({
      superviseIntervalSeconds: 1,
      monitorIntervalSeconds: 1,
      retryDelaySeconds: 0,
      retryBackoff: false,
    });
    const loadId = randomUUID();
    const { jobId } = await q.scheduleAttempt(loadId, 1, Date.now() - 1000, { expireInSeconds: 1 });
    const started = await nextLine(/^started /);
    expect(started).toBe(`started ${jobId} 0`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const retried = waiter<AttemptJob>(1);
    await q.work(async (job) => retried.push(job));
    const [job] = await retried.promise;
    expect(job).toMatchObject({ jobId, loadId, attempt: 1, retryCount: 1 });
  });

  it('keeps working after the server ends its connections', async () => {
    const applicationName = `gridshift-queue-test-${randomUUID().slice(0, 8)}`;
    const q = await open({ applicationName });
    const done = waiter<AttemptJob>(2);
    await q.work(async (job) => done.push(job), { concurrency: 2 });
    await q.scheduleAttempt(randomUUID(), 1, Date.now() - 1000);
    expect(await terminateSessions(applicationName)).toBeGreaterThan(0);
    // scheduling may meet a dead pooled connection once; pg-boss's pool replaces it
    const schedule = () => q.scheduleAttempt(randomUUID(), 1, Date.now() - 1000);
    await schedule();
    const jobs = await done.promise;
    expect(jobs).toHaveLength(2);
  });
});
