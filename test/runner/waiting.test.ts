import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadInput } from '../../src/core/load-input.ts';
import { MINUTE_MS } from '../../src/core/time.ts';
import { attemptJobId, type Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';
import { SLOT_MIN, tableSource, testQueue, testScheduler } from './helpers.ts';

/**
 * The stopping rule deciding starts in the service: a zone's measured past is irregular (150 to 450 g/kWh,
 * so the built-in forecaster's errors are large); its source forecasts until 12:00, flat at 300 g/kWh but
 * for one slot at 150, and the built-in forecast goes on from there (185 to 360). Starting in the dip is
 * the best on the forecast; but the hours after 12:00 will be known before they come, and with that much
 * error the best of them is expected to be lower still, so a load about to start in the dip waits.
 */
const T0 = Date.parse('2026-03-10T10:05:00Z');
const SLOT = SLOT_MIN * MINUTE_MS;
const HORIZON_END = Date.parse('2026-03-10T12:00:00Z');
const slotOf = (ms: number) => Math.floor((ms - Date.parse('2026-03-10T10:00:00Z')) / SLOT);
// irregular, repeatable: 150 .. 450
const past = (ms: number) => {
  const x = Math.sin(Math.round(ms / SLOT) * 12.9898) * 43758.5453;
  return 300 + (x - Math.floor(x) - 0.5) * 300;
};

describe('the stopping rule in the service (embedded store)', () => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let scheduler: Scheduler;
  let clock = T0;
  /** the slot (from 10:00) whose forecast is 150 g/kWh, by zone; the others are 300 */
  const dip: Record<string, number> = { DE: 0, FR: 1, PL: 0 };

  beforeAll(async () => {
    backend = BACKENDS[0].make();
    store = await backend.open();
    queue = await testQueue(store);
    // PL has no measured values: nothing to learn the forecast's errors from
    const table = tableSource((zone, t) => {
      if (t + SLOT <= T0) return zone === 'PL' ? Number.NaN : past(t);
      return slotOf(t) === dip[zone] ? 150 : 300;
    });
    // the source forecasts up to 12:00; the built-in forecast goes on from there
    const source = {
      ...table,
      async fetch(req: Parameters<typeof table.fetch>[0]) {
        const answer = await table.fetch(req);
        return answer
          .map((x) => ({ ...x, points: x.points.filter((p) => p.start < HORIZON_END) }))
          .filter((x) => x.points.length > 0);
      },
    };
    const config = parseConfig({ defaults: { carbon: ['electricitymaps'], failurePolicy: 'open' } });
    const registry = createRegistry({ config, factories: { electricitymaps: () => source }, cache: false });
    scheduler = testScheduler(store, queue, registry, { now: () => clock });
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await backend?.cleanup();
  });

  const load = (zone: string): LoadInput => ({
    name: `waits ${zone}`,
    zones: [zone],
    durationMin: 30,
    powerKw: 1,
    deadline: new Date(T0 + 10 * 60 * MINUTE_MS).toISOString(),
    dispatch: { kind: 'none' },
  });

  it('is asked at submit: a load best started at once waits for a cleaner window', async () => {
    clock = T0;
    const plan = await scheduler.preview(load('DE'));
    expect(plan.reason).toBe('waits-for-better');
    expect(plan.waiting).toMatchObject({ deferred: true });
    expect(plan.waiting!.expectedLowerPct).toBeGreaterThan(10);
    // the best later start on the forecast: the built-in forecast's lowest slot
    expect(plan.runs[0].startMs).toBe(Date.parse('2026-03-10T17:30:00Z'));
    expect(plan.alternatives[0].runs[0].startMs).toBe(T0);

    const { load: submitted } = await scheduler.submit(load('DE'));
    expect(submitted.plannedStartMs).toBe(Date.parse('2026-03-10T17:30:00Z'));
    const [decision] = await scheduler.decisions({ loadId: submitted.id });
    expect(decision.reason).toMatch(/waiting is expected to find a cleaner one/);
    await scheduler.cancel(submitted.id);
  });

  it('is asked by the planner run before a planned start: the load moves on and says why', async () => {
    clock = T0;
    const { load: submitted } = await scheduler.submit(load('FR'));
    // 10:30 (150) is the best and not due before the next planner run: planned, not yet decided
    expect(submitted.plannedStartMs).toBe(Date.parse('2026-03-10T10:30:00Z'));
    expect((await scheduler.get(submitted.id))?.load.plan?.runs).toHaveLength(1);

    // five minutes later nothing is due before the next run: kept
    clock = T0 + 5 * MINUTE_MS;
    await scheduler.replan();
    expect((await scheduler.get(submitted.id))?.load.plannedStartMs).toBe(Date.parse('2026-03-10T10:30:00Z'));

    // the last planner run before 10:30 decides it: waiting is expected to be cleaner
    clock = Date.parse('2026-03-10T10:25:00Z');
    const summary = await scheduler.replan();
    expect(summary.moved).toBe(1);
    const after = await scheduler.get(submitted.id);
    expect(after?.load.plannedStartMs).toBe(Date.parse('2026-03-10T17:30:00Z'));
    const [job] = await queue.boss.findJobs(queue.name, { id: attemptJobId(submitted.id, 1) });
    expect(job.startAfter.getTime()).toBe(Date.parse('2026-03-10T17:30:00Z'));
    const decisions = await scheduler.decisions({ loadId: submitted.id });
    expect(decisions.map((d) => d.kind)).toEqual(['plan', 'replan']);
    expect(decisions[1].reason).toMatch(/^waits for a cleaner window: /);
    await scheduler.cancel(submitted.id);
  });

  it('leaves a load alone when the source gives no history to learn errors from', async () => {
    clock = T0;
    const plan = await scheduler.preview(load('PL'));
    expect(plan.reason).toBe('already-best');
    expect(plan.runs[0].startMs).toBe(T0);
    expect(plan.waiting).toBeUndefined();
  });
});
