import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LoadInput } from '../../src/core/load-input.ts';
import { floorToStep, HOUR_MS, MINUTE_MS, toIso } from '../../src/core/time.ts';
import { queueAttempt } from '../../src/runner/context.ts';
import { attemptJobId, type Queue } from '../../src/runner/queue.ts';
import { refreshSignals } from '../../src/runner/replanner.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import type { Store } from '../../src/store/db.ts';
import { createLoad, type Load, moveLoad } from '../../src/store/loads.ts';
import { describeEachBackend, type TestBackend } from '../store/backends.ts';
import {
  dropQueueSchemas,
  type TableSource,
  tableRegistry,
  tableSource,
  testQueue,
  testScheduler,
} from './helpers.ts';

const iso = (ms: number) => new Date(ms).toISOString();

const SLOT = 30 * MINUTE_MS;

describeEachBackend('replanning', (make) => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let source: TableSource;
  let scheduler: Scheduler;
  /** slot values by zone and slot index from `base` (the slot holding the time the suite started); default 400 */
  const table = new Map<string, Map<number, number>>();
  let base: number;
  const events: SchedulerEvent[] = [];
  const set = (zone: string, slot: number, value: number) => {
    if (!table.has(zone)) table.set(zone, new Map());
    table.get(zone)?.set(slot, value);
  };

  beforeAll(async () => {
    backend = make();
    store = await backend.open();
    queue = await testQueue(store);
    base = floorToStep(Date.now(), 30);
    source = tableSource((zone, t) => table.get(zone)?.get(Math.round((t - base) / SLOT)) ?? 400);
    scheduler = testScheduler(store, queue, tableRegistry(source, { NL: { failurePolicy: 'closed' } }), {
      watchZones: ['SE'],
    });
    scheduler.onEvent((e) => events.push(e));
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await dropQueueSchemas(store);
    await backend?.cleanup();
  });

  const load = (zone: string, over: Partial<LoadInput> = {}): LoadInput => ({
    name: `replan ${zone}`,
    zones: [zone],
    durationMin: 60,
    powerKw: 2,
    deadline: iso(base + 10 * HOUR_MS),
    dispatch: { kind: 'none' },
    ...over,
  });

  it('moves a waiting load (and its queued attempt) when the forecast improves enough, and logs why', async () => {
    set('DE', 12, 50);
    set('DE', 13, 50);
    const { load: submitted } = await scheduler.submit(load('DE'));
    expect(submitted.plannedStartMs).toBe(base + 6 * HOUR_MS);

    // a cleaner window appears earlier: 2 x 1 kWh at 20 instead of 50 g/kWh saves 60 g (60%)
    set('DE', 6, 20);
    set('DE', 7, 20);
    const summary = await scheduler.replan();
    expect(summary).toMatchObject({ ran: true });
    expect(summary.moved).toBeGreaterThanOrEqual(1);
    const after = await scheduler.get(submitted.id);
    expect(after?.load.plannedStartMs).toBe(base + 3 * HOUR_MS);
    expect(after?.load.plan?.expectedEmissionsG).toBeCloseTo(40, 9);
    const [job] = await queue.boss.findJobs(queue.name, { id: attemptJobId(submitted.id, 1) });
    expect(job.startAfter.getTime()).toBe(base + 3 * HOUR_MS);
    const decisions = await scheduler.decisions({ loadId: submitted.id });
    expect(decisions.map((d) => d.kind)).toEqual(['plan', 'replan']);
    expect(decisions[1].reason).toMatch(/^the forecast changed: saves 60 g \(60%\) more/);
    expect(decisions[1].inputs).toMatchObject({
      previous: {
        runs: [{ start: toIso(base + 6 * HOUR_MS), end: toIso(base + 7 * HOUR_MS) }],
        now: { emissionsG: 100 },
      },
    });
    expect(
      events.some(
        (e) =>
          e.type === 'load.planned' &&
          e.loadId === submitted.id &&
          e.plannedStart === toIso(base + 3 * HOUR_MS),
      ),
    ).toBe(true);
    const status = await scheduler.status();
    expect(status.lastPlannerRunMs).toBe(summary.startedMs);
    expect(status.nextPlannerRunMs).toBe(summary.startedMs + 5 * 60_000);

    // a window a little better still (2.5%, 1 g) is not worth a move
    set('DE', 8, 19.5);
    set('DE', 9, 19.5);
    await scheduler.replan();
    expect((await scheduler.get(submitted.id))?.load.plannedStartMs).toBe(base + 3 * HOUR_MS);
    expect((await scheduler.decisions({ loadId: submitted.id })).length).toBe(2);
    await scheduler.cancel(submitted.id);
  });

  it('replans what an interruptible load has left after a piece, keeping the piece it ran', async () => {
    // 2 h at 2 kW in 30-minute pieces: the clean hours are base+1h and base+4h (50 g/kWh)
    for (const slot of [2, 3, 8, 9]) set('AT', slot, 50);
    const { load: submitted } = await scheduler.submit(
      load('AT', { durationMin: 120, interruptible: true, minPieceMin: 30 }),
    );
    const first = { startMs: base + HOUR_MS, endMs: base + 2 * HOUR_MS };
    const second = { startMs: base + 4 * HOUR_MS, endMs: base + 5 * HOUR_MS };
    expect(submitted.plan?.runs).toEqual([first, second]);
    expect(submitted.plan?.expectedEmissionsG).toBeCloseTo(200, 9); // 4 kWh x 50
    // the first piece ran, as the worker records it; the next attempt waits for the second piece
    await moveLoad(store, submitted.id, 'waiting', 'running', { expectQueuedAttempt: 1, setAttempt: 1 });
    const { load: between } = await moveLoad(store, submitted.id, 'running', 'waiting', {
      appendRuns: [first],
      setPiece: 1,
      setQueuedAttempt: 2,
      setPlannedStartMs: second.startMs,
    });
    expect(between?.plannedStartMs).toBe(second.startMs);
    await queueAttempt(scheduler.context, between as Load, 2, second.startMs);

    // the hour after the second piece turns much cleaner: 2 kWh at 10 instead of 50 saves 80 g (80%)
    set('AT', 10, 10);
    set('AT', 11, 10);
    await scheduler.replan();
    const after = (await scheduler.get(submitted.id))?.load;
    const moved = { startMs: base + 5 * HOUR_MS, endMs: base + 6 * HOUR_MS };
    expect(after).toMatchObject({ state: 'waiting', piece: 1, plannedStartMs: moved.startMs });
    expect(after?.plan?.runs).toEqual([first, moved]);
    // 200 g expected, less the 100 g the old second piece now costs, plus the 20 g of the new one
    expect(after?.plan?.expectedEmissionsG).toBeCloseTo(120, 9);
    expect(after?.plan?.baselineEmissionsG).toBeCloseTo(submitted.plan?.baselineEmissionsG as number, 9);
    const [job] = await queue.boss.findJobs(queue.name, { id: attemptJobId(submitted.id, 2) });
    expect(job.startAfter.getTime()).toBe(moved.startMs);
    const [, replanned] = await scheduler.decisions({ loadId: submitted.id });
    expect(replanned.reason).toMatch(/^the forecast changed: saves 80 g \(80%\) more/);
    await scheduler.cancel(submitted.id);
  });

  it('runs one planner pass at a time, and none while paused', async () => {
    const [a, b] = await Promise.all([scheduler.replan(), scheduler.replan()]);
    expect([a.ran, b.ran].sort()).toEqual([false, true]);
    expect((a.ran ? b : a).skipped).toMatch(/in progress/);
    await scheduler.pause();
    expect(await scheduler.replan()).toMatchObject({ ran: false, skipped: 'the scheduler is paused' });
    await scheduler.resume();
  });

  it('plans at the baseline when a zone has no signals and its failure policy is open', async () => {
    source.down.add('PL');
    const earliest = base + 2 * HOUR_MS + 10 * MINUTE_MS;
    const { load: submitted, plan } = await scheduler.submit(load('PL', { earliest: iso(earliest) }));
    expect(submitted).toMatchObject({ state: 'waiting', held: false, plannedStartMs: earliest });
    expect(plan.reason).toBe('no-data');
    expect(plan.degraded).toContain('no signals for PL (failure policy open): planned at its baseline');
    const [decision] = await scheduler.decisions({ loadId: submitted.id });
    expect(decision.inputs).toMatchObject({
      signals: [{ zone: 'PL', policy: 'open', failures: [{ kind: 'unavailable' }] }],
    });
    expect(decision.reason).toMatch(/no complete window has signal data/);
    // when signals return, the planner gives it a real plan
    source.down.delete('PL');
    set('PL', 8, 10);
    set('PL', 9, 10);
    await scheduler.replan();
    expect((await scheduler.get(submitted.id))?.load.plannedStartMs).toBe(base + 4 * HOUR_MS);
    await scheduler.cancel(submitted.id);
  });

  it('holds a load when a closed-policy zone has no signals, never past its deadline, and plans it when they return', async () => {
    source.down.add('NL');
    const deadline = base + 10 * HOUR_MS;
    const { load: submitted, plan } = await scheduler.submit(load('NL'));
    expect(submitted).toMatchObject({ state: 'waiting', held: true, plannedStartMs: deadline - HOUR_MS });
    expect(submitted.holdReason).toMatch(/failure policy is closed: held until signals return/);
    expect(plan.runs).toEqual([{ startMs: deadline - HOUR_MS, endMs: deadline }]);
    const [job] = await queue.boss.findJobs(queue.name, { id: attemptJobId(submitted.id, 1) });
    expect(job.startAfter.getTime()).toBe(deadline - HOUR_MS);
    const [decision] = await scheduler.decisions({ loadId: submitted.id });
    expect(decision.choice).toMatchObject({ held: true });

    const still = await scheduler.replan();
    expect(still.held).toBeGreaterThanOrEqual(1);
    expect((await scheduler.get(submitted.id))?.load.held).toBe(true);

    source.down.delete('NL');
    set('NL', 4, 30);
    set('NL', 5, 30);
    await scheduler.replan();
    const released = await scheduler.get(submitted.id);
    expect(released?.load).toMatchObject({
      held: false,
      holdReason: null,
      plannedStartMs: base + 2 * HOUR_MS,
    });
    const decisions = await scheduler.decisions({ loadId: submitted.id });
    expect(decisions.map((d) => d.kind)).toEqual(['plan', 'replan']);
    expect(decisions[1].reason).toMatch(/^signals are back/);
    await scheduler.cancel(submitted.id);
  });

  it('repairs what a crash left between two steps: an unqueued load is queued, a lost attempt replaced', async () => {
    const old = Date.now() - HOUR_MS;
    const { load: unqueued } = await createLoad(
      store,
      {
        name: 'never queued',
        zones: ['DE'],
        durationMin: 30,
        powerKw: 1,
        earliestMs: old,
        deadlineMs: Date.now() + 5 * HOUR_MS,
        plan: { zone: 'DE', runs: [{ startMs: base + 4 * HOUR_MS, endMs: base + 4.5 * HOUR_MS }] },
        queuedAttempt: 1,
      },
      { nowMs: old },
    );
    const { load: orphan } = await createLoad(
      store,
      {
        name: 'attempt gone',
        zones: ['DE'],
        durationMin: 30,
        powerKw: 1,
        earliestMs: old,
        deadlineMs: Date.now() + 5 * HOUR_MS,
        plan: { zone: 'DE', runs: [{ startMs: old, endMs: old + 30 * MINUTE_MS }] },
        queuedAttempt: 1,
      },
      { nowMs: old },
    );
    await moveLoad(store, orphan.id, 'planned', 'waiting', { nowMs: old });
    await scheduler.replan();
    const queued = await scheduler.get(unqueued.id);
    expect(queued?.load.state).toBe('waiting');
    const [job] = await queue.boss.findJobs(queue.name, { id: attemptJobId(unqueued.id, 1) });
    expect(job.state).toBe('created');
    const [again] = await queue.boss.findJobs(queue.name, { id: attemptJobId(orphan.id, 1) });
    expect(again.state).toBe('created');
    for (const id of [unqueued.id, orphan.id]) await scheduler.cancel(id);
  });

  it('publishes signal updates and the clean-window and best-now transitions once each', async () => {
    const from = events.length;
    const zoneEvents = () =>
      events.slice(from).filter((e) => 'zone' in e && e.zone === 'SE' && e.type !== 'load.planned');
    const settle = () => new Promise((r) => setTimeout(r, 10));
    const t0 = base + 60_000;
    await refreshSignals(scheduler.context, t0); // flat forecast: neither clean nor best
    set('SE', 0, 50); // now: the cleanest of the horizon (the rest 400)
    await refreshSignals(scheduler.context, t0 + 1000);
    await settle();
    expect(zoneEvents().map((e) => e.type)).toEqual([
      'signal.update',
      'signal.update',
      'window.clean_started',
      'window.best_now',
    ]);
    expect(zoneEvents()[2]).toMatchObject({ zone: 'SE', carbon: 50, price: null });

    await refreshSignals(scheduler.context, t0 + 2000);
    set('SE', 0, 900); // dirty now
    await refreshSignals(scheduler.context, t0 + 3000);
    set('SE', 0, 40); // clean again
    await refreshSignals(scheduler.context, t0 + 4000);
    await settle();
    expect(
      zoneEvents()
        .map((e) => e.type)
        .slice(4),
    ).toEqual(['signal.update', 'signal.update', 'signal.update', 'window.clean_started', 'window.best_now']);
  });
});
