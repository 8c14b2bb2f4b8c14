import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import {
  type AccountingRecord,
  getAccounting,
  reportSums,
  saveAccounting,
} from '../../src/store/accounting.ts';
import {
  createLoad,
  dueLoads,
  loadEvents,
  moveLoad,
  type NewLoad,
  replanCandidates,
  replanLoad,
  requeueLoad,
  staleLoads,
} from '../../src/store/loads.ts';
import { SCHEMA_VERSION, schemaVersion } from '../../src/store/migrations.ts';
import {
  advanceTemplate,
  cancelTemplate,
  createTemplate,
  getTemplate,
  listTemplates,
  templateLoads,
} from '../../src/store/recurring.ts';
import { saveZoneSignalState, withPlannerLock, zoneSignalState } from '../../src/store/scheduler.ts';
import { BACKENDS, describeEachStore, skipPostgres, suiteBackend, terminateSessions } from './backends.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 5, 2, 6, 0, 0);

const spec = (over: Partial<NewLoad> = {}): NewLoad => ({
  name: 'backup',
  zones: ['DE'],
  durationMin: 60,
  powerKw: 2,
  earliestMs: T0,
  deadlineMs: T0 + 12 * HOUR,
  plan: { zone: 'DE', runs: [{ startMs: T0 + 3 * HOUR, endMs: T0 + 4 * HOUR }] },
  queuedAttempt: 1,
  ...over,
});

/** Resolves after `ms` (used only to let a notification arrive). */
const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describeEachStore('scheduler store', (suite) => {
  it('is at the newest schema version, with the scheduler columns on loads', async () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
    expect(await schemaVersion(suite.db)).toBe(SCHEMA_VERSION);
    const { load } = await createLoad(
      suite.db,
      spec({
        baselineStartMs: T0 + HOUR,
        minPieceMin: 15,
        maxPieces: 3,
        interruptible: true,
        held: true,
        holdReason: 'no signals',
      }),
      { nowMs: T0 - HOUR },
    );
    expect(load).toMatchObject({
      baselineStartMs: T0 + HOUR,
      minPieceMin: 15,
      maxPieces: 3,
      templateId: null,
      held: true,
      holdReason: 'no signals',
      queuedAttempt: 1,
      failures: 0,
      piece: 0,
      actualRuns: [],
    });
  });

  it('starts an attempt only with the queued attempt number, counts failures and records what ran', async () => {
    const { load } = await createLoad(suite.db, spec(), { nowMs: T0 });
    expect(
      (await moveLoad(suite.db, load.id, 'planned', 'running', { expectQueuedAttempt: 2, setAttempt: 2 }))
        .won,
    ).toBe(false);
    const started = await moveLoad(suite.db, load.id, 'planned', 'running', {
      nowMs: T0 + 1000,
      expectQueuedAttempt: 1,
      setAttempt: 1,
      detail: { event: 'started' },
    });
    expect(started).toMatchObject({
      won: true,
      from: 'planned',
      load: { state: 'running', attempt: 1, startedMs: T0 + 1000 },
    });
    const failed = await moveLoad(suite.db, load.id, 'running', 'failed', {
      nowMs: T0 + 2000,
      expectAttempt: 1,
      failures: 'inc',
      detail: { error: 'exit code 1' },
    });
    expect(failed.load).toMatchObject({
      state: 'failed',
      failures: 1,
      lastError: 'exit code 1',
      finishedMs: T0 + 2000,
    });
    await moveLoad(suite.db, load.id, 'failed', 'waiting', { nowMs: T0 + 3000, setQueuedAttempt: 2 });
    // a stale attempt (1) cannot start it any more
    expect(
      (await moveLoad(suite.db, load.id, 'waiting', 'running', { expectQueuedAttempt: 1, setAttempt: 1 }))
        .won,
    ).toBe(false);
    await moveLoad(suite.db, load.id, 'waiting', 'running', {
      nowMs: T0 + 4000,
      expectQueuedAttempt: 2,
      setAttempt: 2,
    });
    const done = await moveLoad(suite.db, load.id, 'running', 'succeeded', {
      nowMs: T0 + 5000,
      expectAttempt: 2,
      appendRuns: [{ startMs: T0 + 4000, endMs: T0 + 5000 }],
    });
    expect(done.load).toMatchObject({
      state: 'succeeded',
      attempt: 2,
      failures: 1,
      actualRuns: [{ startMs: T0 + 4000, endMs: T0 + 5000 }],
      finishedMs: T0 + 5000,
    });
    const events = await loadEvents(suite.db, load.id);
    expect(events.map((e) => [e.from, e.to, e.attempt])).toEqual([
      [null, 'planned', 0],
      ['planned', 'running', 1],
      ['running', 'failed', 1],
      ['failed', 'waiting', 1],
      ['waiting', 'running', 2],
      ['running', 'succeeded', 2],
    ]);
  });

  it('moves an interruptible load back to waiting between pieces, keeping its first start', async () => {
    const { load } = await createLoad(
      suite.db,
      spec({
        interruptible: true,
        plan: {
          zone: 'DE',
          runs: [
            { startMs: T0 + HOUR, endMs: T0 + 1.5 * HOUR },
            { startMs: T0 + 3 * HOUR, endMs: T0 + 3.5 * HOUR },
          ],
        },
      }),
    );
    await moveLoad(suite.db, load.id, 'planned', 'running', {
      nowMs: T0 + HOUR,
      expectQueuedAttempt: 1,
      setAttempt: 1,
    });
    const between = await moveLoad(suite.db, load.id, 'running', 'waiting', {
      nowMs: T0 + 1.5 * HOUR,
      setPiece: 1,
      setQueuedAttempt: 2,
      appendRuns: [{ startMs: T0 + HOUR, endMs: T0 + 1.5 * HOUR }],
    });
    expect(between.load).toMatchObject({ state: 'waiting', piece: 1, queuedAttempt: 2 });
    // a replan between pieces keeps the piece run and plans from the next one
    const first = { startMs: T0 + HOUR, endMs: T0 + 1.5 * HOUR };
    const moved = { startMs: T0 + 2.5 * HOUR, endMs: T0 + 3 * HOUR };
    expect(await replanLoad(suite.db, load.id, { zone: 'DE', runs: [first, moved] })).toBeNull(); // piece 0
    await expect(replanLoad(suite.db, load.id, { zone: 'DE', runs: [first] }, { piece: 1 })).rejects.toThrow(
      /plan: needs the 1 run\(s\) already made and at least one more, got 1/,
    );
    const replanned = await replanLoad(suite.db, load.id, { zone: 'DE', runs: [first, moved] }, { piece: 1 });
    expect(replanned).toMatchObject({ piece: 1, plannedStartMs: moved.startMs, queuedAttempt: 2 });
    const second = await moveLoad(suite.db, load.id, 'waiting', 'running', {
      nowMs: T0 + 3 * HOUR,
      expectQueuedAttempt: 2,
      setAttempt: 2,
    });
    expect(second.load?.startedMs).toBe(T0 + HOUR);
    // a running load is not replanned: its pieces run count no longer matches
    expect(
      await replanLoad(
        suite.db,
        load.id,
        { zone: 'DE', runs: [{ startMs: T0, endMs: T0 + HOUR }] },
        { states: ['running'] },
      ),
    ).toBeNull();
  });

  it('requeues and replans with compare-and-set on the queued attempt', async () => {
    const { load } = await createLoad(suite.db, spec());
    await moveLoad(suite.db, load.id, 'planned', 'waiting');
    expect(await requeueLoad(suite.db, load.id, ['waiting'], 7, 8)).toBeNull();
    const requeued = await requeueLoad(suite.db, load.id, ['waiting'], 1, 2, { nowMs: T0 });
    expect(requeued).toMatchObject({ state: 'waiting', queuedAttempt: 2, updatedMs: T0 });
    const plan = {
      zone: 'DE',
      runs: [{ startMs: T0 + 5 * HOUR, endMs: T0 + 6 * HOUR }],
      expectedEmissionsG: 200,
    };
    expect(await replanLoad(suite.db, load.id, plan, { expectQueuedAttempt: 1 })).toBeNull();
    const replanned = await replanLoad(suite.db, load.id, plan, {
      expectQueuedAttempt: 2,
      held: true,
      holdReason: 'why',
    });
    expect(replanned).toMatchObject({ plannedStartMs: T0 + 5 * HOUR, held: true, holdReason: 'why' });
    expect(replanned?.plan?.expectedEmissionsG).toBe(200);
  });

  it('finds loads to replan, to repair and that are due', async () => {
    const fresh = await suite.backend.open();
    const mk = async (over: Partial<NewLoad>, state: 'waiting' | 'failed' | 'planned', nowMs: number) => {
      const { load } = await createLoad(fresh, spec(over), { nowMs });
      if (state === 'waiting') await moveLoad(fresh, load.id, 'planned', 'waiting', { nowMs });
      if (state === 'failed') {
        await moveLoad(fresh, load.id, 'planned', 'running', { nowMs });
        await moveLoad(fresh, load.id, 'running', 'failed', { nowMs });
      }
      return load.id;
    };
    const later = await mk(
      { plan: { zone: 'DE', runs: [{ startMs: T0 + 5 * HOUR, endMs: T0 + 6 * HOUR }] } },
      'waiting',
      T0,
    );
    const soon = await mk(
      { plan: { zone: 'DE', runs: [{ startMs: T0 + 10 * 60_000, endMs: T0 + HOUR }] } },
      'waiting',
      T0,
    );
    const heldSoon = await mk(
      { held: true, plan: { zone: 'DE', runs: [{ startMs: T0 + 60_000, endMs: T0 + HOUR }] } },
      'waiting',
      T0,
    );
    const stuckPlanned = await mk({}, 'planned', T0);
    const stuckFailed = await mk({}, 'failed', T0);
    expect((await replanCandidates(fresh, T0 + HOUR)).map((l) => l.id).sort()).toEqual(
      [later, heldSoon].sort(),
    );
    expect((await dueLoads(fresh, T0 + 20 * 60_000)).map((l) => l.id).sort()).toEqual(
      [soon, heldSoon].sort(),
    );
    // untouched since T0; at T0 + 30 min the waiting ones not yet due are fine
    expect((await staleLoads(fresh, T0 + 30 * 60_000)).map((l) => l.id).sort()).toEqual(
      [soon, heldSoon, stuckPlanned, stuckFailed].sort(),
    );
    expect(await staleLoads(fresh, T0 - 1)).toEqual([]);
  });

  it('keeps recurring templates: idempotent creation, a cursor that only moves forward, cancellation', async () => {
    const t = {
      name: 'nightly',
      spec: { name: 'nightly', durationMin: 30 },
      cron: '0 2 * * *',
      flexMin: 60,
      timeZone: 'UTC',
    };
    const a = await createTemplate(suite.db, { ...t, idempotencyKey: 'nightly-1' }, { nowMs: T0 });
    const b = await createTemplate(suite.db, { ...t, idempotencyKey: 'nightly-1' }, { nowMs: T0 + 1 });
    expect(a.created).toBe(true);
    expect(b).toEqual({ template: a.template, created: false });
    expect(a.template).toMatchObject({
      cron: '0 2 * * *',
      flexMin: 60,
      active: true,
      lastNominalMs: null,
      createdMs: T0,
    });
    expect((await advanceTemplate(suite.db, a.template.id, T0 + 2 * HOUR))?.lastNominalMs).toBe(
      T0 + 2 * HOUR,
    );
    expect((await advanceTemplate(suite.db, a.template.id, T0 + HOUR))?.lastNominalMs).toBe(T0 + 2 * HOUR);
    const { load } = await createLoad(suite.db, spec({ templateId: a.template.id }));
    expect((await templateLoads(suite.db, a.template.id)).map((l) => l.id)).toEqual([load.id]);
    expect(await templateLoads(suite.db, a.template.id, ['waiting'])).toEqual([]);
    expect((await cancelTemplate(suite.db, a.template.id, { nowMs: T0 + 5 }))?.active).toBe(false);
    expect(await cancelTemplate(suite.db, a.template.id)).toBeNull();
    expect((await getTemplate(suite.db, a.template.id))?.cancelledMs).toBe(T0 + 5);
    expect((await listTemplates(suite.db, { activeOnly: true })).map((x) => x.id)).not.toContain(
      a.template.id,
    );
    await expect(createTemplate(suite.db, { ...t, flexMin: -1 })).rejects.toThrow(InputError);
  });

  it('stores accounting and sums it per day, tag and zone (costs in one currency only)', async () => {
    const fresh = await suite.backend.open();
    const rec = (over: Partial<AccountingRecord>): AccountingRecord => ({
      loadId: randomUUID(),
      name: 'x',
      tags: [],
      zone: 'DE',
      homeZone: 'DE',
      startedMs: T0,
      finishedMs: T0 + HOUR,
      runs: [{ startMs: T0, endMs: T0 + HOUR }],
      baselineRuns: [{ startMs: T0 - HOUR, endMs: T0 }],
      energyKwh: 2,
      failedEnergyKwh: 0,
      failedEmissionsG: 0,
      emissionsG: 300,
      baselineEmissionsG: 800,
      cost: 0.4,
      baselineCost: 0.6,
      currency: 'EUR',
      basis: 'actual',
      source: 'table',
      detail: {},
      accountedMs: T0 + 2 * HOUR,
      ...over,
    });
    const a = await saveAccounting(fresh, rec({ tags: ['backup', 'nightly'] }));
    expect(await getAccounting(fresh, a.loadId)).toEqual(a);
    await saveAccounting(
      fresh,
      rec({
        tags: ['backup'],
        zone: 'FR',
        emissionsG: 100,
        baselineEmissionsG: 200,
        cost: 0.1,
        baselineCost: 0.3,
      }),
    );
    await saveAccounting(
      fresh,
      rec({
        startedMs: T0 + 24 * HOUR,
        finishedMs: T0 + 25 * HOUR,
        cost: 1,
        baselineCost: 2,
        currency: 'GBP',
        basis: 'forecast',
      }),
    );
    // re-accounting replaces
    await saveAccounting(fresh, { ...a, emissionsG: 350 });

    const days = await reportSums(fresh, 'day');
    expect(days.map((d) => d.key)).toEqual(['2025-06-02', '2025-06-03']);
    expect(days[0]).toMatchObject({
      loads: 2,
      energyKwh: 4,
      emissionsG: 450,
      baselineEmissionsG: 1000,
      currency: 'EUR',
      mixedCurrencies: false,
      forecastBasis: 0,
    });
    expect(days[0].cost).toBeCloseTo(0.5, 12);
    expect(days[0].baselineCost).toBeCloseTo(0.9, 12);
    expect(days[1]).toMatchObject({ loads: 1, cost: 1, baselineCost: 2, currency: 'GBP', forecastBasis: 1 });

    const all = await reportSums(fresh, 'none');
    expect(all).toEqual([
      expect.objectContaining({
        key: 'all',
        loads: 3,
        emissionsG: 750,
        cost: null,
        currency: null,
        mixedCurrencies: true,
      }),
    ]);
    const tags = await reportSums(fresh, 'tag');
    expect(tags.map((t) => [t.key, t.loads, t.emissionsG])).toEqual([
      ['(untagged)', 1, 300],
      ['backup', 2, 450],
      ['nightly', 1, 350],
    ]);
    const zones = await reportSums(fresh, 'zone', { fromMs: T0, toMs: T0 + 24 * HOUR });
    expect(zones.map((z) => [z.key, z.loads])).toEqual([
      ['DE', 1],
      ['FR', 1],
    ]);
    expect((await reportSums(fresh, 'week', { tag: 'nightly' })).map((w) => [w.key, w.loads])).toEqual([
      ['2025-W23', 1],
    ]);
    expect((await reportSums(fresh, 'month', { zone: 'FR' })).map((w) => [w.key, w.loads])).toEqual([
      ['2025-06', 1],
    ]);
  });

  it('remembers the last signal reading per zone', async () => {
    expect(await zoneSignalState(suite.db, 'DE')).toBeNull();
    const state = {
      zone: 'DE',
      carbon: 120,
      price: Number.NaN,
      currency: null,
      source: 'table',
      clean: true,
      bestNow: false,
      updatedMs: T0,
    };
    await saveZoneSignalState(suite.db, state);
    expect(await zoneSignalState(suite.db, 'DE')).toEqual({ ...state, price: null });
  });

  it('runs one planner pass at a time', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = withPlannerLock(suite.db, async () => {
      await gate;
      return 'first';
    });
    await tick();
    expect(await withPlannerLock(suite.db, async () => 'second')).toMatchObject({ ran: false });
    release();
    expect(await first).toEqual({ ran: true, value: 'first' });
    expect(await withPlannerLock(suite.db, async () => 'third')).toEqual({ ran: true, value: 'third' });
  });

  it('delivers notifications to listeners, after commit only', async () => {
    const got: string[] = [];
    const channel = `${suite.db.schema}_test`;
    const stop = await suite.db.listen(channel, (p) => got.push(p));
    await suite.db.notify(channel, 'one');
    await suite.db
      .transaction(async (tx) => {
        await tx.notify(channel, 'rolled back');
        throw new Error('no');
      })
      .catch(() => {});
    await suite.db.transaction(async (tx) => tx.notify(channel, 'committed'));
    await waitUntil(() => got.length >= 2);
    await tick();
    expect(got).toEqual(['one', 'committed']);
    await stop();
    await suite.db.notify(channel, 'after');
    await tick();
    expect(got).toEqual(['one', 'committed']);
    await expect(suite.db.notify('Bad Channel', 'x')).rejects.toThrow(InputError);
    await expect(suite.db.notify('Bad Channel', 'x')).rejects.toThrow(
      'channel: "Bad Channel" is not a plain identifier (a-z, 0-9, _; at most 63 characters)',
    );
    await expect(suite.db.notify(channel, 'x'.repeat(9000))).rejects.toThrow(/8000/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await tick(20);
  }
}

describe.skipIf(skipPostgres)('scheduler store on PostgreSQL across processes', () => {
  const backend = suiteBackend(BACKENDS[1].make());

  it('lets one of two stores run the planner, the other is told', async () => {
    const a = await backend.open();
    const b = await backend.reopen(a);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = withPlannerLock(a, async () => gate);
    await tick(100);
    expect(await withPlannerLock(b, async () => 1)).toEqual({
      ran: false,
      reason: 'another process is running the planner',
    });
    release();
    await first;
    expect(await withPlannerLock(b, async () => 2)).toEqual({ ran: true, value: 2 });
  });

  it('hears another process, and listens again after the server dropped its connection', async () => {
    const applicationName = `gs-listen-${randomUUID().slice(0, 8)}`;
    const a = await backend.open({ applicationName });
    const b = await backend.reopen(a);
    const channel = `${a.schema}_x`;
    const got: string[] = [];
    let reconnects = 0;
    await a.listen(channel, (p) => got.push(p), { onReconnect: () => reconnects++ });
    await b.notify(channel, 'before');
    await waitUntil(() => got.includes('before'));
    expect(await terminateSessions(`${applicationName}-listen`)).toBe(1);
    await waitUntil(() => reconnects > 0, 10_000);
    await b.notify(channel, 'after');
    await waitUntil(() => got.includes('after'));
    expect(got).toEqual(['before', 'after']);
  });
});
