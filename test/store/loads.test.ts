import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { LOAD_STATES } from '../../src/core/load.ts';
import { STRATEGIES } from '../../src/core/objective.ts';
import {
  countLoadsByState,
  createLoad,
  getLoad,
  LOAD_TRANSITIONS,
  type Load,
  listLoads,
  loadEvents,
  moveLoad,
  type NewLoad,
  purgeLoads,
  replanLoad,
} from '../../src/store/loads.ts';
import { describeEachStore } from './backends.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

const spec = (over: Partial<NewLoad> = {}): NewLoad => ({
  name: 'nightly backup',
  zones: ['DE', 'FR'],
  durationMin: 90,
  powerKw: 1.5,
  earliestMs: T0,
  deadlineMs: T0 + 12 * HOUR,
  ...over,
});

describe('load lifecycle rules', () => {
  it('lets no final state move on except an operator retry of a dead load', () => {
    expect(LOAD_TRANSITIONS.succeeded).toEqual([]);
    expect(LOAD_TRANSITIONS.cancelled).toEqual([]);
    expect(LOAD_TRANSITIONS.dead).toEqual(['waiting', 'planned']);
  });
  it('only names real states', () => {
    for (const [from, tos] of Object.entries(LOAD_TRANSITIONS)) {
      expect(LOAD_STATES).toContain(from);
      for (const to of tos) expect(LOAD_STATES).toContain(to);
    }
  });
});

describeEachStore('loads', (suite) => {
  it('stores every field of a load, its plan, and a creation event', async () => {
    const plan = {
      zone: 'FR',
      runs: [
        { startMs: T0 + 4 * HOUR, endMs: T0 + 5 * HOUR },
        { startMs: T0 + 2 * HOUR, endMs: T0 + 2.5 * HOUR },
      ],
      expectedEmissionsG: 120.5,
      expectedCost: 0.31,
      baselineEmissionsG: 410,
      baselineCost: 0.52,
      currency: 'EUR',
    };
    const { load, created } = await createLoad(
      suite.db,
      spec({
        tags: ['backup', 'nightly'],
        energyKwh: 2.25,
        interruptible: true,
        objective: STRATEGIES.balanced,
        carbonCapG: 500,
        priority: 3,
        dispatch: { kind: 'shell', command: 'restic backup /srv' },
        maxRetries: 4,
        plan,
      }),
      { nowMs: T0 - HOUR },
    );
    expect(created).toBe(true);
    expect(load).toMatchObject({
      name: 'nightly backup',
      tags: ['backup', 'nightly'],
      zones: ['DE', 'FR'],
      cloudRegion: null,
      durationMin: 90,
      powerKw: 1.5,
      energyKwh: 2.25,
      earliestMs: T0,
      deadlineMs: T0 + 12 * HOUR,
      interruptible: true,
      objective: STRATEGIES.balanced,
      carbonCapG: 500,
      priority: 3,
      dispatch: { kind: 'shell', command: 'restic backup /srv' },
      idempotencyKey: null,
      maxRetries: 4,
      state: 'planned',
      attempt: 0,
      // the earliest run, not the first listed
      plannedStartMs: T0 + 2 * HOUR,
      createdMs: T0 - HOUR,
      updatedMs: T0 - HOUR,
      stateChangedMs: T0 - HOUR,
      startedMs: null,
      finishedMs: null,
    });
    expect(load.plan).toEqual(plan);
    expect(await getLoad(suite.db, load.id)).toEqual(load);
    const events = await loadEvents(suite.db, load.id);
    expect(events).toEqual([
      expect.objectContaining({ from: null, to: 'planned', atMs: T0 - HOUR, attempt: 0 }),
    ]);
  });

  it('returns null for unknown and malformed ids', async () => {
    expect(await getLoad(suite.db, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await getLoad(suite.db, 'not-a-uuid')).toBeNull();
  });

  it('refuses bad loads with an error naming the field', async () => {
    const bad: [Partial<NewLoad>, RegExp][] = [
      [{ name: ' ' }, /^name/],
      [{ durationMin: 0 }, /^durationMin/],
      [{ durationMin: 1.5 }, /^durationMin/],
      [{ powerKw: undefined }, /^powerKw/],
      [{ powerKw: -1 }, /^powerKw/],
      [{ deadlineMs: T0 }, /^deadlineMs/],
      [{ zones: [] }, /^zones/],
      [{ idempotencyKey: '' }, /^idempotencyKey/],
      [{ plan: { zone: 'DE', runs: [] } }, /^plan.runs/],
      [{ plan: { zone: 'DE', runs: [{ startMs: T0 + HOUR, endMs: T0 }] } }, /^plan.runs/],
    ];
    for (const [over, message] of bad) {
      const err = await createLoad(suite.db, spec(over)).catch((e) => e);
      expect(err, JSON.stringify(over)).toBeInstanceOf(InputError);
      expect(err.message).toMatch(message);
    }
    // a cloud region is enough where no zone is given; an energy estimate is enough without power
    const cloud = await createLoad(
      suite.db,
      spec({ zones: [], cloudRegion: 'aws:eu-west-1', powerKw: undefined, energyKwh: 3 }),
    );
    expect(cloud.load).toMatchObject({
      zones: [],
      cloudRegion: 'aws:eu-west-1',
      powerKw: null,
      energyKwh: 3,
    });
  });

  it('is idempotent on the idempotency key, also when the same request races itself', async () => {
    const first = await createLoad(suite.db, spec({ idempotencyKey: 'order-17', name: 'first' }));
    const second = await createLoad(
      suite.db,
      spec({ idempotencyKey: 'order-17', name: 'second', durationMin: 5 }),
    );
    expect(second.created).toBe(false);
    expect(second.load).toEqual(first.load);

    const racing = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        createLoad(suite.db, spec({ idempotencyKey: 'order-18', name: `try ${i}` })),
      ),
    );
    expect(racing.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(racing.map((r) => r.load.id)).size).toBe(1);
    const { loads } = await listLoads(suite.db, { limit: 1000 });
    expect(loads.filter((l) => l.idempotencyKey === 'order-18')).toHaveLength(1);
  });

  it('moves a load through its life, stamping each move and keeping the attempt it was given', async () => {
    const { load } = await createLoad(suite.db, spec(), { nowMs: T0 });
    type Step = [Parameters<typeof moveLoad>[2], Parameters<typeof moveLoad>[3], number, number?];
    const steps: Step[] = [
      ['planned', 'waiting', T0 + 1000],
      ['waiting', 'running', T0 + 2000, 1],
      ['running', 'failed', T0 + 3000],
      ['failed', 'running', T0 + 4000, 2],
      ['running', 'succeeded', T0 + 5000],
    ];
    for (const [from, to, nowMs, setAttempt] of steps) {
      const r = await moveLoad(suite.db, load.id, from, to, {
        nowMs,
        setAttempt,
        detail: to === 'failed' ? { error: 'exit code 3' } : { by: 'test' },
      });
      expect(r.won, `${from} -> ${to}`).toBe(true);
    }
    const done = (await getLoad(suite.db, load.id)) as Load;
    expect(done).toMatchObject({
      state: 'succeeded',
      attempt: 2,
      lastError: 'exit code 3',
      startedMs: T0 + 4000,
      finishedMs: T0 + 5000,
      stateChangedMs: T0 + 5000,
    });
    const events = await loadEvents(suite.db, load.id);
    expect(events.map((e) => [e.from, e.to, e.atMs, e.attempt])).toEqual([
      [null, 'planned', T0, 0],
      ['planned', 'waiting', T0 + 1000, 0],
      ['waiting', 'running', T0 + 2000, 1],
      ['running', 'failed', T0 + 3000, 1],
      ['failed', 'running', T0 + 4000, 2],
      ['running', 'succeeded', T0 + 5000, 2],
    ]);
    expect(events[3].detail).toEqual({ error: 'exit code 3' });
  });

  it('refuses a move the lifecycle does not allow', async () => {
    const { load } = await createLoad(suite.db, spec());
    const err = await moveLoad(suite.db, load.id, 'planned', 'succeeded').catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe('transition: a load cannot move from planned to succeeded');
    await expect(moveLoad(suite.db, load.id, 'planned', 'sleeping' as never)).rejects.toThrow(
      /not a load state/,
    );
  });

  it('lets exactly one of many racing workers move a load (compare-and-set)', async () => {
    const { load } = await createLoad(suite.db, spec());
    await moveLoad(suite.db, load.id, 'planned', 'waiting');
    // every worker would start it as a different attempt: only the winner's number may land
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        moveLoad(suite.db, load.id, ['waiting', 'planned'], 'running', {
          setAttempt: i + 1,
          detail: { worker: i },
        }),
      ),
    );
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.won)) expect(r.load?.state).toBe('running');
    const winner = results.findIndex((r) => r.won);
    const after = (await getLoad(suite.db, load.id)) as Load;
    expect(after.attempt).toBe(winner + 1);
    const runs = (await loadEvents(suite.db, load.id)).filter((e) => e.to === 'running');
    expect(runs.map((e) => [e.attempt, e.detail])).toEqual([[winner + 1, { worker: winner }]]);
    expect(winners[0].won && winners[0].from).toBe('waiting');
  });

  it('reports a lost move with the load as it now is', async () => {
    const { load } = await createLoad(suite.db, spec());
    await moveLoad(suite.db, load.id, 'planned', 'cancelled');
    const lost = await moveLoad(suite.db, load.id, ['planned', 'waiting'], 'running');
    expect(lost.won).toBe(false);
    expect(lost.load?.state).toBe('cancelled');
    expect(
      (await moveLoad(suite.db, '00000000-0000-4000-8000-000000000000', 'planned', 'waiting')).load,
    ).toBeNull();
  });

  it('records a replan only while the load has not started', async () => {
    const { load } = await createLoad(suite.db, spec());
    const plan = {
      zone: 'DE',
      runs: [{ startMs: T0 + 3 * HOUR, endMs: T0 + 4.5 * HOUR }],
      expectedEmissionsG: 99,
    };
    const replanned = await replanLoad(suite.db, load.id, plan, { nowMs: T0 + 7 });
    expect(replanned?.plan).toMatchObject({ zone: 'DE', expectedEmissionsG: 99, expectedCost: null });
    expect(replanned?.plannedStartMs).toBe(T0 + 3 * HOUR);
    expect(replanned?.updatedMs).toBe(T0 + 7);
    await moveLoad(suite.db, load.id, 'planned', 'running');
    expect(await replanLoad(suite.db, load.id, plan)).toBeNull();
  });

  it('counts loads by state', async () => {
    const before = await countLoadsByState(suite.db);
    const { load } = await createLoad(suite.db, spec());
    await moveLoad(suite.db, load.id, 'planned', 'waiting');
    const after = await countLoadsByState(suite.db);
    expect(after.waiting - before.waiting).toBe(1);
    expect(after.planned - before.planned).toBe(0);
    expect(Object.keys(after).sort()).toEqual([...LOAD_STATES].sort());
  });
});

describeEachStore('listing loads', (suite) => {
  const ids: string[] = [];
  beforeAll(async () => {
    // 25 loads, one minute apart; three share each minute's neighbour's timestamp to exercise the id tie-break
    for (let i = 0; i < 25; i++) {
      const createdMs = T0 + Math.floor(i / 3) * 60_000;
      const { load } = await createLoad(
        suite.db,
        spec({ name: `load ${i}`, tags: i % 2 ? ['odd'] : ['even'], zones: i < 5 ? ['GB'] : ['DE'] }),
        { nowMs: createdMs },
      );
      ids.push(load.id);
      if (i % 5 === 0) await moveLoad(suite.db, load.id, 'planned', 'waiting');
    }
  });

  const all = async (filter: Parameters<typeof listLoads>[1], pageSize: number) => {
    const seen: Load[] = [];
    let cursor = filter?.cursor;
    let pages = 0;
    do {
      const page = await listLoads(suite.db, { ...filter, cursor, limit: pageSize });
      seen.push(...page.loads);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    return { seen, pages };
  };

  it('pages through every load once, newest first', async () => {
    const { seen, pages } = await all({}, 10);
    expect(pages).toBe(3);
    expect(seen.map((l) => l.id).sort()).toEqual([...ids].sort());
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1], seen[i]];
      expect(a.createdMs > b.createdMs || (a.createdMs === b.createdMs && a.id > b.id)).toBe(true);
    }
  });

  it('ends with a null cursor when the last page is exactly full', async () => {
    const { pages, seen } = await all({}, 25);
    expect(pages).toBe(1);
    expect(seen).toHaveLength(25);
  });

  it('keeps its place when loads are added between pages', async () => {
    const first = await listLoads(suite.db, { limit: 10, tag: 'even' });
    const extra = await createLoad(suite.db, spec({ tags: ['even'] }), { nowMs: T0 + 365 * 24 * HOUR });
    const rest = await all({ tag: 'even', cursor: first.nextCursor ?? undefined }, 10);
    const listed = [...first.loads, ...rest.seen].map((l) => l.id);
    expect(listed).not.toContain(extra.load.id);
    expect(new Set(listed).size).toBe(13); // the 13 even loads made before
    await moveLoad(suite.db, extra.load.id, 'planned', 'cancelled', { nowMs: T0 + 365 * 24 * HOUR });
    await purgeLoads(suite.db, T0 + 366 * 24 * HOUR, ['cancelled']);
  });

  it('filters by state, tag, zone and creation time', async () => {
    const waiting = await all({ state: 'waiting' }, 100);
    expect(waiting.seen.map((l) => l.name).sort()).toEqual([
      'load 0',
      'load 10',
      'load 15',
      'load 20',
      'load 5',
    ]);
    const oddGb = await all({ tag: 'odd', zone: 'GB' }, 100);
    expect(oddGb.seen.map((l) => l.name).sort()).toEqual(['load 1', 'load 3']);
    // minutes 2 and 3 hold loads 6..11
    const window = await all({ createdFromMs: T0 + 2 * 60_000, createdBeforeMs: T0 + 4 * 60_000 }, 4);
    expect(window.seen.map((l) => l.name).sort()).toEqual(
      ['load 10', 'load 11', 'load 6', 'load 7', 'load 8', 'load 9'].sort(),
    );
    expect((await all({ state: ['waiting', 'planned'], zone: 'XX' }, 10)).seen).toEqual([]);
  });

  it('refuses a cursor it did not issue and a silly page size', async () => {
    await expect(listLoads(suite.db, { cursor: 'bogus' })).rejects.toThrow(/^cursor/);
    await expect(listLoads(suite.db, { limit: 0 })).rejects.toThrow(/^limit/);
    await expect(listLoads(suite.db, { state: 'sleeping' as never })).rejects.toThrow(/^state/);
  });
});

describeEachStore('purging loads', (suite) => {
  it('deletes old finished loads with their events and keeps the rest', async () => {
    const mk = async (to: 'succeeded' | 'cancelled' | 'running', atMs: number) => {
      const { load } = await createLoad(suite.db, spec(), { nowMs: atMs });
      if (to === 'cancelled') await moveLoad(suite.db, load.id, 'planned', 'cancelled', { nowMs: atMs });
      else {
        await moveLoad(suite.db, load.id, 'planned', 'running', { nowMs: atMs });
        if (to === 'succeeded') await moveLoad(suite.db, load.id, 'running', 'succeeded', { nowMs: atMs });
      }
      return load.id;
    };
    const oldDone = await mk('succeeded', T0 - 40 * 24 * HOUR);
    const oldCancelled = await mk('cancelled', T0 - 31 * 24 * HOUR);
    const oldRunning = await mk('running', T0 - 40 * 24 * HOUR);
    const recentDone = await mk('succeeded', T0 - HOUR);
    const purged = await purgeLoads(suite.db, T0 - 30 * 24 * HOUR);
    expect(purged).toBe(2);
    expect(await getLoad(suite.db, oldDone)).toBeNull();
    expect(await getLoad(suite.db, oldCancelled)).toBeNull();
    expect(await loadEvents(suite.db, oldDone)).toEqual([]);
    expect((await getLoad(suite.db, oldRunning))?.state).toBe('running');
    expect((await getLoad(suite.db, recentDone))?.state).toBe('succeeded');
    expect(await purgeLoads(suite.db, T0 - 30 * 24 * HOUR)).toBe(0);
  });
});
