import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import type { LoadInput } from '../../src/core/load-input.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { ConflictError, NotFoundError } from '../../src/runner/errors.ts';
import { attemptJobId, type Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import { queueFirstAttempt } from '../../src/runner/submit.ts';
import type { Worker } from '../../src/runner/worker.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import type { Store } from '../../src/store/db.ts';
import { createLoad, type Load } from '../../src/store/loads.ts';
import { describeEachBackend, type TestBackend } from '../store/backends.ts';
import {
  dropQueueSchemas,
  type TableSource,
  tableRegistry,
  tableSource,
  testQueue,
  testScheduler,
  waitFor,
} from './helpers.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describeEachBackend('scheduler', (make) => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let source: TableSource;
  let scheduler: Scheduler;
  let worker: Worker;
  let dir: string;
  const events: SchedulerEvent[] = [];

  beforeAll(async () => {
    backend = make();
    store = await backend.open();
    queue = await testQueue(store);
    // DE: the slot holding now is the cleanest, so loads there run at once; FR: clean only from 3 hours on
    source = tableSource((zone, t) => {
      if (zone === 'FR') return t >= Date.now() + 3 * HOUR_MS ? 50 : 400;
      return t <= Date.now() ? 100 : 300;
    });
    scheduler = testScheduler(store, queue, tableRegistry(source));
    scheduler.onEvent((e) => events.push(e));
    worker = await scheduler.startWorker({ concurrency: 4, pausePollMs: 200 });
    dir = mkdtempSync(join(tmpdir(), 'gridshift-scheduler-'));
  });
  afterAll(async () => {
    await worker?.drain(2000);
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await dropQueueSchemas(store);
    await backend?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const settled = (id: string, states: Load['state'][]) =>
    waitFor(
      async () => {
        const d = await scheduler.get(id);
        return d && states.includes(d.load.state) ? d : undefined;
      },
      `load ${id} to become ${states.join(' or ')}`,
    );

  const soon = (over: Partial<LoadInput> = {}): LoadInput => {
    const now = Date.now();
    return {
      name: 'soon',
      zones: ['DE'],
      durationMin: 1,
      powerKw: 2,
      earliest: iso(now + 1500),
      deadline: iso(now + 2 * HOUR_MS),
      ...over,
    };
  };
  const later = (over: Partial<LoadInput> = {}): LoadInput => ({
    name: 'later',
    zones: ['FR'],
    durationMin: 30,
    powerKw: 1,
    deadline: iso(Date.now() + 8 * HOUR_MS),
    dispatch: { kind: 'none' },
    ...over,
  });

  it('runs a shell load at its planned start, records the outcome and accounts it', async () => {
    const out = join(dir, 'ran.txt');
    const input = soon({
      dispatch: { kind: 'shell', command: `echo "$GRIDSHIFT_LOAD_ID" >> ${out}; echo hello` },
    });
    const { load, plan, created } = await scheduler.submit(input);
    expect(created).toBe(true);
    expect(load.state).toBe('waiting');
    expect(load.queuedAttempt).toBe(1);
    // the slot holding now is the cleanest: it starts at its earliest start, not at the next slot boundary
    expect(load.plannedStartMs).toBe(Date.parse(input.earliest as string));
    expect(plan.runs).toEqual([
      { startMs: load.plannedStartMs, endMs: (load.plannedStartMs as number) + MINUTE_MS },
    ]);
    expect(plan.load.id).toBe(load.id);

    expect((await settled(load.id, ['succeeded', 'dead'])).load.state).toBe('succeeded');
    // the worker accounts a load after recording its success
    const done = await waitFor(async () => {
      const d = await scheduler.get(load.id);
      return d?.accounting ? d : undefined;
    }, `load ${load.id} to be accounted`);
    expect(readFileSync(out, 'utf8')).toBe(`${load.id}\n`);
    expect(done.events.map((e) => [e.from, e.to, e.attempt])).toEqual([
      [null, 'planned', 0],
      ['planned', 'waiting', 0],
      ['waiting', 'running', 1],
      ['running', 'succeeded', 1],
    ]);
    const [, , started, finished] = done.events;
    expect(started.atMs).toBeGreaterThanOrEqual(load.plannedStartMs as number);
    expect(started.detail).toMatchObject({ event: 'started', attempt: 1 });
    expect(finished.detail).toMatchObject({ exitCode: 0, ok: true, outputTail: 'hello\n' });
    expect(done.load.actualRuns).toHaveLength(1);
    const ran = done.load.actualRuns[0];
    expect(ran.startMs).toBe(started.atMs);

    const mine = events.filter((e) => 'loadId' in e && e.loadId === load.id);
    expect(mine.map((e) => (e.type === 'load.state' ? `${e.from}->${e.to}` : e.type))).toEqual([
      'null->planned',
      'load.planned',
      'planned->waiting',
      'waiting->running',
      'running->succeeded',
    ]);
    const decisions = await scheduler.decisions({ loadId: load.id });
    expect(decisions.map((d) => d.kind)).toEqual(['plan', 'dispatch']);
    const planned = decisions[0];
    expect(planned.inputs).toMatchObject({
      load: { zones: ['DE'], durationMin: 1, powerKw: 2 },
      signals: [{ zone: 'DE', carbonSource: 'simulator', degraded: [] }],
    });
    // the slot it starts in: 100 g/kWh (300 if the earliest start fell into the next slot)
    const plannedGPerKwh = (planned.inputs as { signals: { carbon: number[] }[] }).signals[0].carbon[0];
    expect([100, 300]).toContain(plannedGPerKwh);
    // the slot it ran in has not ended, so no measured value yet: accounted on the plan's forecast
    expect(done.accounting).toMatchObject({ basis: 'forecast', cost: null });
    const kwh = (2 * (ran.endMs - ran.startMs)) / HOUR_MS;
    expect(done.accounting?.energyKwh).toBeCloseTo(kwh, 12);
    expect(done.accounting?.emissionsG).toBeCloseTo(kwh * plannedGPerKwh, 9);
    expect(planned.choice).toMatchObject({ zone: 'DE', reason: 'already-best', held: false });
    expect(planned.reason).toMatch(/running at once/);
  });

  it('retries a failing command until it is dead, and an operator retry revives it', async () => {
    const flag = join(dir, 'fixed');
    const { load } = await scheduler.submit(
      soon({
        name: 'flaky',
        maxRetries: 2,
        dispatch: { kind: 'shell', command: `test -f ${flag} || { echo broken; exit 3; }` },
      }),
    );
    const dead = await settled(load.id, ['dead', 'succeeded']);
    expect(dead.load).toMatchObject({ state: 'dead', attempt: 3, failures: 3 });
    expect(dead.load.lastError).toMatch(/3/);
    const moves = dead.events.map((e) => `${e.from}->${e.to}`);
    expect(moves).toEqual([
      'null->planned',
      'planned->waiting',
      'waiting->running',
      'running->failed',
      'failed->waiting',
      'waiting->running',
      'running->failed',
      'failed->waiting',
      'waiting->running',
      'running->failed',
      'failed->dead',
    ]);
    const failures = dead.events.filter((e) => e.to === 'failed');
    expect(failures.map((e) => e.attempt)).toEqual([1, 2, 3]);
    for (const f of failures)
      expect(f.detail).toMatchObject({ exitCode: 3, outputTail: 'broken\n', ok: false });
    // the decision is logged just after the move
    await waitFor(
      async () => (await scheduler.decisions({ loadId: load.id })).some((d) => d.kind === 'dead'),
      'the dead decision',
    );

    await expect(scheduler.retry(randomUUID())).rejects.toThrow(NotFoundError);
    writeFileSync(flag, '');
    const retried = await scheduler.retry(load.id);
    expect(retried).toMatchObject({ state: 'waiting', failures: 0, queuedAttempt: 4 });
    const done = await settled(load.id, ['succeeded', 'dead']);
    expect(done.load).toMatchObject({ state: 'succeeded', attempt: 4 });
    await expect(scheduler.retry(load.id)).rejects.toThrow(ConflictError);
  });

  it('cancels a waiting load and its queued attempt; refuses to cancel twice or what does not exist', async () => {
    const { load } = await scheduler.submit(later());
    expect(load.state).toBe('waiting');
    expect(load.plannedStartMs as number).toBeGreaterThan(Date.now() + 2 * HOUR_MS);
    const cancelled = await scheduler.cancel(load.id, 'not needed');
    expect(cancelled.state).toBe('cancelled');
    const [job] = await queue.boss.findJobs(queue.name, { id: attemptJobId(load.id, 1) });
    expect(job.state).toBe('cancelled');
    const err = await scheduler.cancel(load.id).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(`cannot cancel load ${load.id}: it is already cancelled`);
    await expect(scheduler.cancel(randomUUID())).rejects.toThrow(NotFoundError);
    expect(await scheduler.get(randomUUID())).toBeNull();
    expect(await scheduler.get('not-a-uuid')).toBeNull();
  });

  it('stops a running load when it is cancelled', async () => {
    const marker = join(dir, 'long-started');
    const { load } = await scheduler.submit(
      soon({ name: 'long', dispatch: { kind: 'shell', command: `touch ${marker}; exec sleep 30` } }),
    );
    await settled(load.id, ['running']);
    await waitFor(() => existsSync(marker), 'the command to start');
    await scheduler.cancel(load.id);
    await waitFor(() => worker.active === 0, 'the worker to stop the command');
    const after = await scheduler.get(load.id);
    expect(after?.load.state).toBe('cancelled');
    expect(after?.events.map((e) => e.to).slice(-2)).toEqual(['running', 'cancelled']);
  });

  it('runs a waiting load now when asked', async () => {
    const { load } = await scheduler.submit(later({ name: 'now please' }));
    const before = Date.now();
    const moved = await scheduler.runNow(load.id);
    expect(moved.plannedStartMs as number).toBeGreaterThanOrEqual(before);
    expect(moved.plannedStartMs as number).toBeLessThanOrEqual(Date.now());
    const done = await settled(load.id, ['succeeded', 'dead']);
    expect(done.load.state).toBe('succeeded');
    expect((await scheduler.decisions({ loadId: load.id })).map((d) => d.kind)).toEqual([
      'plan',
      'run_now',
      'dispatch',
    ]);
    await expect(scheduler.runNow(load.id)).rejects.toThrow(ConflictError);
  });

  it('refuses to build a scheduler without its accounting', () => {
    const noAccounting = { accounting: undefined } as unknown as Parameters<typeof testScheduler>[3];
    expect(() => testScheduler(store, queue, tableRegistry(source), noAccounting)).toThrow(
      /^accounting: a scheduler needs its accounting/,
    );
  });

  it('holds loads while paused (an attempt taken anyway is deferred) and releases them on resume', async () => {
    const view = await scheduler.pause('maintenance');
    expect(view).toMatchObject({
      paused: true,
      pausedReason: 'maintenance',
      roles: ['api', 'worker', 'planner'],
    });
    await worker.syncPause();
    const out = join(dir, 'paused.txt');
    const { load } = await scheduler.submit(
      soon({ name: 'held by pause', dispatch: { kind: 'shell', command: `echo x >> ${out}` } }),
    );
    // a worker that had already taken the attempt when the pause came defers it
    await worker.handleAttempt({
      jobId: attemptJobId(load.id, 1),
      loadId: load.id,
      attempt: 1,
      retryCount: 0,
      expireInSeconds: 120,
      signal: new AbortController().signal,
    });
    const deferred = await scheduler.get(load.id);
    expect(deferred?.load).toMatchObject({ state: 'waiting', queuedAttempt: 2, attempt: 0 });
    await new Promise((r) => setTimeout(r, 2500)); // several polling rounds
    expect((await scheduler.get(load.id))?.load.state).toBe('waiting');
    expect(existsSync(out)).toBe(false);
    expect((await scheduler.status()).loads.waiting).toBeGreaterThan(0);

    expect((await scheduler.resume()).paused).toBe(false);
    const done = await settled(load.id, ['succeeded', 'dead']);
    expect(done.load).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(readFileSync(out, 'utf8')).toBe('x\n');
    const kinds = (await scheduler.decisions({ limit: 10_000 })).map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['pause', 'resume']));
  });

  it('previews a plan without storing or queueing anything', async () => {
    const count = async () =>
      (await store.query<{ n: number }>(`SELECT count(*)::integer AS n FROM "${store.schema}".loads`))[0].n;
    const jobs = async () =>
      (await store.query<{ n: number }>(`SELECT count(*)::integer AS n FROM "${queue.schema}".job`))[0].n;
    const [loads0, jobs0, decisions0] = [
      await count(),
      await jobs(),
      (await scheduler.decisions({ limit: 10_000 })).length,
    ];
    const plan = await scheduler.preview(later({ name: 'what if' }));
    expect(plan.zone).toBe('FR');
    expect(plan.runs[0].startMs).toBeGreaterThanOrEqual(Date.now() + 3 * HOUR_MS - 30 * MINUTE_MS);
    expect(plan.savings.emissionsG).toBeCloseTo(0.5 * (400 - 50), 9);
    expect(await count()).toBe(loads0);
    expect(await jobs()).toBe(jobs0);
    // every run shown, chosen, baseline or runner-up, lasts the load's 20 minutes; run now starts now
    const second = await scheduler.preview(later({ durationMin: 20 }));
    for (const r of [second.runs, second.baseline.runs, ...second.alternatives.map((a) => a.runs)].flat())
      expect(r.endMs - r.startMs).toBe(20 * MINUTE_MS);
    expect(second.alternatives.length).toBeGreaterThan(0);
    expect(Math.abs(second.baseline.runs[0].startMs - Date.now())).toBeLessThan(60_000);
    expect((await scheduler.decisions({ limit: 10_000 })).length).toBe(decisions0);
  });

  it('returns the existing load for a repeated idempotency key, and refuses the key for another load', async () => {
    const key = `key-${randomUUID()}`;
    const load = later({ name: 'once', idempotencyKey: key });
    const first = await scheduler.submit(load);
    // the same load, with a default spelt out
    const again = await scheduler.submit({ ...load, objective: 'carbon' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.load.id).toBe(first.load.id);
    const loads = (await scheduler.list({ limit: 1000 })).loads.length;
    const other = await scheduler.submit({ ...load, name: 'twice', durationMin: 20 }).catch((e) => e);
    expect(other).toBeInstanceOf(ConflictError);
    expect(other.message).toBe(
      `idempotencyKey: "${key}" was already used for a different load (durationMin, name differ); ` +
        'send the same load again to get the first one back, or use a new key',
    );
    expect((await scheduler.list({ limit: 1000 })).loads.length).toBe(loads);
    expect(again.plan.runs).toEqual(first.plan.runs);
    expect(again.plan.zone).toBe(first.plan.zone);
    expect(again.plan.emissionsG).toBeCloseTo(first.plan.emissionsG, 9);
    expect((await scheduler.decisions({ loadId: first.load.id })).length).toBe(1);
    await scheduler.cancel(first.load.id);
  });

  it('refuses bad input with a message naming the field', async () => {
    const bad = async (input: unknown) => {
      const err = await scheduler.submit(input as LoadInput).catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      return (err as Error).message;
    };
    expect(await bad({ name: 'x', durationMin: 10, powerKw: 1 })).toBe('zones: give zones or region');
    expect(await bad({ ...later(), zones: ['Atlantis'] })).toMatch(
      /^zones\[0\]: unknown zone or cloud region "Atlantis"/,
    );
    expect(await bad({ ...later(), colour: 'green' })).toBe('colour: unknown field');
    expect(await bad({ ...later(), durationMin: -5 })).toMatch(/^durationMin: /);
    expect(await bad({ ...later(), objective: 'fastest' })).toMatch(/^objective: /);
    expect(await bad({ ...later(), dispatch: { kind: 'fax' } })).toMatch(/^dispatch/);
    expect(await bad({ ...later(), deadline: iso(Date.now() + 10 * MINUTE_MS) })).toMatch(
      /^deadline: a 30m run starting at .* cannot finish by/,
    );
    expect(await bad({ ...later(), durationMin: 2000 })).toMatch(/^durationMin: .*interruptible/);
    expect(await bad({ ...later(), maxPieces: 2 })).toMatch(/^minPieceMin: .*interruptible/);
  });

  it('runs an interruptible load piece by piece, stopping each piece at its planned end', async () => {
    const now = Date.now();
    const out = join(dir, 'pieces.txt');
    const { load } = await createLoad(store, {
      name: 'pieces',
      zones: ['DE'],
      durationMin: 1,
      powerKw: 1,
      earliestMs: now,
      deadlineMs: now + HOUR_MS,
      interruptible: true,
      dispatch: {
        kind: 'shell',
        command: `echo "$GRIDSHIFT_ATTEMPT" >> ${out}; if [ "$GRIDSHIFT_ATTEMPT" = 1 ]; then exec sleep 30; fi`,
      },
      plan: {
        zone: 'DE',
        runs: [
          { startMs: now + 500, endMs: now + 2000 },
          { startMs: now + 3000, endMs: now + 4500 },
        ],
      },
      queuedAttempt: 1,
    });
    await queueFirstAttempt(scheduler.context, load);
    const done = await settled(load.id, ['succeeded', 'dead']);
    expect(done.load).toMatchObject({ state: 'succeeded', attempt: 2, piece: 1 });
    expect(readFileSync(out, 'utf8')).toBe('1\n2\n');
    expect(done.events.map((e) => `${e.from}->${e.to}`)).toEqual([
      'null->planned',
      'planned->waiting',
      'waiting->running',
      'running->waiting',
      'waiting->running',
      'running->succeeded',
    ]);
    expect(done.events[3].detail).toMatchObject({ event: 'piece_done', aborted: true });
    const [first, second] = done.load.actualRuns;
    expect(first.endMs - first.startMs).toBeGreaterThanOrEqual(1500);
    expect(second.startMs).toBeGreaterThanOrEqual(now + 3000);
  });

  it('marks a load dead when the queue gives up on its attempt (dead-letter queue)', async () => {
    const { load } = await scheduler.submit(later({ name: 'given up' }));
    // an attempt of another number is not the load's current one: nothing happens
    await worker.handleDeadLetter({ jobId: 'x', loadId: load.id, attempt: 9, error: 'boom', retryCount: 2 });
    expect((await scheduler.get(load.id))?.load.state).toBe('waiting');
    await worker.handleDeadLetter({
      jobId: attemptJobId(load.id, 1),
      loadId: load.id,
      attempt: 1,
      error: { message: 'handler crashed' },
      retryCount: 2,
    });
    const dead = await scheduler.get(load.id);
    expect(dead?.load.state).toBe('dead');
    expect(dead?.load.lastError).toBe('the queue gave up on attempt 1 after 3 tries: handler crashed');
    expect(dead?.events.at(-1)).toMatchObject({
      from: 'waiting',
      to: 'dead',
      detail: { event: 'dead_letter' },
    });
  });

  it('keeps a decision log whose chain verifies', async () => {
    const verdict = await verifyAuditChain(store);
    expect(verdict.ok).toBe(true);
    expect(verdict.count).toBeGreaterThan(10);
  });

  it('reports what ran, per zone', async () => {
    const report = await scheduler.report({ groupBy: 'zone' });
    const de = report.rows.find((r) => r.key === 'DE');
    expect(de?.loads).toBeGreaterThanOrEqual(3);
    expect(report.totals.loads).toBe(report.rows.reduce((s, r) => s + r.loads, 0));
    expect(report.totals.forecastBasis).toBe(report.totals.loads);
  });
});
