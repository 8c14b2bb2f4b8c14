import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import type { LoadInput } from '../../src/core/load-input.ts';
import { HOUR_MS, MINUTE_MS, toIso } from '../../src/core/time.ts';
import { ConflictError } from '../../src/runner/errors.ts';
import type { Queue } from '../../src/runner/queue.ts';
import { occurrences } from '../../src/runner/recurring.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Store } from '../../src/store/db.ts';
import { templateLoads } from '../../src/store/recurring.ts';
import { describeEachBackend, type TestBackend } from '../store/backends.ts';
import { dropQueueSchemas, tableRegistry, tableSource, testQueue, testScheduler } from './helpers.ts';

describe('occurrences of a cron expression', () => {
  it('reads the expression in its time zone, across a daylight-saving change', () => {
    const it = occurrences('0 2 * * *', 'Europe/Berlin', Date.UTC(2025, 2, 29, 12), 30, 60);
    const first = [it.next().value, it.next().value];
    // 02:00 CET is 01:00 UTC; on 30 March 02:00 does not exist and moves to 03:00 CEST (01:00 UTC); then 00:00 UTC
    expect(first.map((o) => o && toIso(o.nominalMs))).toEqual([
      '2025-03-30T01:00:00Z',
      '2025-03-31T00:00:00Z',
    ]);
    expect(first[0]).toEqual({
      nominalMs: Date.UTC(2025, 2, 30, 1),
      earliestMs: Date.UTC(2025, 2, 30, 0, 30),
      deadlineMs: Date.UTC(2025, 2, 30, 2, 30),
    });
  });
});

describeEachBackend('recurring loads', (make) => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let scheduler: Scheduler;
  // a fixed day in the past: no worker runs in this suite, so nothing is dispatched
  const T0 = Date.UTC(2025, 5, 2, 0, 30);

  beforeAll(async () => {
    backend = make();
    store = await backend.open();
    queue = await testQueue(store);
    scheduler = testScheduler(store, queue, tableRegistry(tableSource(() => 300)), { now: () => T0 });
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await dropQueueSchemas(store);
    await backend?.cleanup();
  });

  const nightly = (over: Partial<LoadInput> = {}): LoadInput => ({
    name: 'nightly backup',
    zones: ['DE'],
    durationMin: 30,
    powerKw: 1,
    dispatch: { kind: 'none' },
    recurrence: { cron: '0 3 * * *', flexMin: 60, timeZone: 'UTC' },
    ...over,
  });

  it('stores a template and makes its next occurrence a load with its own window and key', async () => {
    const result = await scheduler.submit(nightly({ idempotencyKey: 'nightly' }), { nowMs: T0 });
    expect(result.created).toBe(true);
    expect(result.templateId).toMatch(/^[0-9a-f-]{36}$/);
    const nominal = Date.UTC(2025, 5, 2, 3);
    expect(result.load).toMatchObject({
      state: 'waiting',
      templateId: result.templateId,
      earliestMs: nominal - HOUR_MS,
      deadlineMs: nominal + HOUR_MS + 30 * MINUTE_MS,
      baselineStartMs: nominal,
      idempotencyKey: `recurring:${result.templateId}:${toIso(nominal)}`,
    });
    expect(result.plan.baseline.runs[0].startMs).toBe(nominal);
    // only the next occurrence: the one after opens beyond the 24-hour look-ahead
    expect(await templateLoads(store, result.templateId as string)).toHaveLength(1);
    const [template] = await scheduler.recurring();
    expect(template).toMatchObject({
      id: result.templateId,
      cron: '0 3 * * *',
      flexMin: 60,
      timeZone: 'UTC',
      lastNominalMs: nominal,
    });

    const again = await scheduler.submit(nightly({ idempotencyKey: 'nightly' }), { nowMs: T0 });
    expect(again).toMatchObject({
      created: false,
      templateId: result.templateId,
      load: { id: result.load.id },
    });
    const other = await scheduler
      .submit(
        {
          ...nightly({ idempotencyKey: 'nightly' }),
          recurrence: { cron: '0 4 * * *', flexMin: 60, timeZone: 'UTC' },
        },
        { nowMs: T0 },
      )
      .catch((e) => e);
    expect(other).toBeInstanceOf(ConflictError);
    expect(other.message).toMatch(
      /^idempotencyKey: "nightly" was already used for a different recurring load \(cron differs\)/,
    );
  });

  it('makes later occurrences on planner runs, skipping windows that closed meanwhile', async () => {
    const [template] = await scheduler.recurring();
    await scheduler.replan({ nowMs: T0 + 24 * HOUR_MS });
    let loads = await templateLoads(store, template.id);
    expect(loads.map((l) => toIso(l.baselineStartMs as number))).toEqual([
      '2025-06-02T03:00:00Z',
      '2025-06-03T03:00:00Z',
    ]);
    // three days later: 4 and 5 June have closed, 6 June is the next
    await scheduler.replan({ nowMs: T0 + 4 * 24 * HOUR_MS });
    loads = await templateLoads(store, template.id);
    expect(loads.map((l) => toIso(l.baselineStartMs as number))).toEqual([
      '2025-06-02T03:00:00Z',
      '2025-06-03T03:00:00Z',
      '2025-06-06T03:00:00Z',
    ]);
  });

  it('stops when cancelled: no more occurrences, pending ones cancelled', async () => {
    const [template] = await scheduler.recurring();
    const newest = await scheduler.cancel(template.id, 'decommissioned');
    expect(newest.templateId).toBe(template.id);
    expect(newest.state).toBe('cancelled');
    const loads = await templateLoads(store, template.id);
    expect(loads.every((l) => l.state === 'cancelled')).toBe(true);
    expect((await scheduler.recurring({ activeOnly: true })).map((t) => t.id)).not.toContain(template.id);
    await scheduler.replan({ nowMs: T0 + 10 * 24 * HOUR_MS });
    expect(await templateLoads(store, template.id)).toHaveLength(loads.length);
    const [decision] = (await scheduler.decisions({ limit: 10_000 })).filter(
      (d) => d.kind === 'cancel' && (d.inputs as { templateId?: string }).templateId === template.id,
    );
    expect(decision.reason).toBe('decommissioned');
  });

  it('previews the next occurrence and refuses a bad cron expression or time zone', async () => {
    const before = (await scheduler.recurring()).length;
    const plan = await scheduler.preview(nightly(), { nowMs: T0 });
    expect(plan.baseline.runs[0].startMs).toBe(Date.UTC(2025, 5, 2, 3));
    expect((await scheduler.recurring()).length).toBe(before);
    await expect(
      scheduler.submit(nightly({ recurrence: { cron: 'every night', flexMin: 10 } })),
    ).rejects.toThrow(/^recurrence\.cron: "every night" is not a cron expression/);
    const err = await scheduler
      .submit(nightly({ recurrence: { cron: '0 3 * * *', flexMin: 10, timeZone: 'Mars/Olympus' } }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^recurrence\.timeZone: "Mars\/Olympus" is not an IANA time zone/);
    expect((await scheduler.recurring()).length).toBe(before);
  });
});
