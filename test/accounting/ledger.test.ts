import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountLoad, reaccountForecasts } from '../../src/accounting/ledger.ts';
import { HOUR_MS, MINUTE_MS, toIso } from '../../src/core/time.ts';
import { failAttempt } from '../../src/runner/attempts.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Store } from '../../src/store/db.ts';
import { getLoad, type Load, moveLoad } from '../../src/store/loads.ts';
import {
  dropQueueSchemas,
  type TableSource,
  tableRegistry,
  tableSource,
  testQueue,
  testScheduler,
} from '../runner/helpers.ts';
import { describeEachBackend, type TestBackend } from '../store/backends.ts';

/**
 * Accounting by hand: a 2 kW load submitted at T0 - 1 h (earliest start then) that ran T0 .. T0 + 1 h.
 * Carbon (g/kWh) and price (EUR/kWh) per half hour:
 *   T0-1h: 400 / 0.30   T0-30m: 400 / 0.30   T0: 100 / 0.10   T0+30m: 200 / 0.20   otherwise 300 / 0.25
 * Planned on that forecast; afterwards the measured value of the T0 slot turned out 150.
 *   forecast basis: run 1 kWh x 100 + 1 kWh x 200 = 300 g, 0.10 + 0.20 = 0.30 EUR
 *   actual basis:   run 1 kWh x 150 + 1 kWh x 200 = 350 g, 0.30 EUR
 *   run-now counterfactual (T0-1h .. T0, both bases): 2 x 1 kWh x 400 = 800 g, 0.60 EUR
 */
describeEachBackend('accounting', (make) => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let scheduler: Scheduler;
  let source: TableSource;
  const T0 = Date.UTC(2025, 5, 2, 6, 0);
  let clock = T0 - HOUR_MS;
  let measuredT0 = 100;

  beforeAll(async () => {
    backend = make();
    store = await backend.open();
    queue = await testQueue(store);
    const carbon = (_zone: string, t: number) =>
      t < T0 - HOUR_MS || t >= T0 + HOUR_MS ? 300 : t < T0 ? 400 : t === T0 ? measuredT0 : 200;
    const price = (_zone: string, t: number) =>
      t < T0 - HOUR_MS || t >= T0 + HOUR_MS ? 0.25 : t < T0 ? 0.3 : t === T0 ? 0.1 : 0.2;
    source = tableSource(carbon, price);
    scheduler = testScheduler(store, queue, tableRegistry(source), { now: () => clock });
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await dropQueueSchemas(store);
    await backend?.cleanup();
  });

  /** Submits the load and records it as having run T0 .. T0 + 1 h. */
  async function ranLoad(): Promise<Load> {
    clock = T0 - HOUR_MS;
    const { load } = await scheduler.submit(
      {
        name: 'hand-checked',
        tags: ['check'],
        zones: ['DE'],
        durationMin: 60,
        powerKw: 2,
        objective: 'cost',
        deadline: toIso(T0 + 3 * HOUR_MS),
        dispatch: { kind: 'none' },
      },
      { nowMs: T0 - HOUR_MS },
    );
    expect(load.plannedStartMs).toBe(T0); // the cheapest hour
    await moveLoad(store, load.id, ['waiting', 'planned'], 'running', {
      nowMs: T0,
      expectQueuedAttempt: 1,
      setAttempt: 1,
    });
    const done = await moveLoad(store, load.id, 'running', 'succeeded', {
      nowMs: T0 + HOUR_MS,
      appendRuns: [{ startMs: T0, endMs: T0 + HOUR_MS }],
    });
    return done.load as Load;
  }

  it('accounts on the forecast it ran on until measured values exist, then on the measured ones', async () => {
    const load = await ranLoad();
    measuredT0 = 150; // what the grid turned out to be
    clock = T0 + 45 * MINUTE_MS; // ... but the run has not finished being measured
    const byForecast = await accountLoad(scheduler.context, load);
    expect(byForecast).toMatchObject({
      basis: 'forecast',
      source: 'plan forecast (simulator)',
      energyKwh: 2,
    });
    expect(byForecast?.emissionsG).toBeCloseTo(300, 9);
    expect(byForecast?.baselineEmissionsG).toBeCloseTo(800, 9);
    expect(byForecast?.cost).toBeCloseTo(0.3, 12);
    expect(byForecast?.baselineCost).toBeCloseTo(0.6, 12);
    expect(byForecast?.baselineRuns).toEqual([{ startMs: T0 - HOUR_MS, endMs: T0 }]);

    // measured values are out: the planner's re-accounting upgrades the record
    clock = T0 + 3 * HOUR_MS;
    expect(await reaccountForecasts(scheduler.context, clock)).toBe(1);
    const detail = await scheduler.get(load.id);
    expect(detail?.accounting).toMatchObject({
      basis: 'actual',
      source: 'simulator',
      currency: 'EUR',
      energyKwh: 2,
    });
    expect(detail?.accounting?.emissionsG).toBeCloseTo(350, 9);
    expect(detail?.accounting?.baselineEmissionsG).toBeCloseTo(800, 9);
    expect(detail?.accounting?.cost).toBeCloseTo(0.3, 12);
    expect(detail?.accounting?.baselineCost).toBeCloseTo(0.6, 12);
    expect(await reaccountForecasts(scheduler.context, clock)).toBe(0);
  });

  it('reports the numbers per day, tag and in total', async () => {
    const report = await scheduler.report({ groupBy: 'day' });
    expect(report.rows).toHaveLength(1);
    const [day] = report.rows;
    expect(day).toMatchObject({
      key: '2025-06-02',
      loads: 1,
      energyKwh: 2,
      currency: 'EUR',
      forecastBasis: 0,
    });
    expect(day.emissionsG).toBeCloseTo(350, 9);
    expect(day.savingsG).toBeCloseTo(450, 9);
    expect(day.savingsPct).toBeCloseTo(56.25, 9);
    expect(day.costSavingsPct).toBeCloseTo(50, 9);
    const { key: _key, ...total } = day;
    expect(report.totals).toEqual(total);
    const byTag = await scheduler.report({ groupBy: 'tag', tag: 'check', fromMs: T0, toMs: T0 + HOUR_MS });
    expect(byTag.rows.map((r) => [r.key, r.loads])).toEqual([['check', 1]]);
    expect((await scheduler.report({ zone: 'FR' })).totals.loads).toBe(0);
    // the load ran in the early morning of 2025-06-02 UTC: the evening before in Honolulu (UTC-10)
    const inTz = async (timeZone: string) =>
      (await scheduler.report({ groupBy: 'day', timeZone })).rows.map((r) => r.key);
    expect(await inTz('Pacific/Honolulu')).toEqual(['2025-06-01']);
    expect(await inTz('Asia/Tokyo')).toEqual(['2025-06-02']);
    expect(await inTz('UTC')).toEqual(['2025-06-02']);
  });

  it('keeps the record when the load is purged', async () => {
    const load = (await scheduler.list({ tag: 'check' })).loads[0];
    expect(await scheduler.purge(Date.now() + HOUR_MS)).toBeGreaterThanOrEqual(1);
    expect(await getLoad(store, load.id)).toBeNull();
    expect((await scheduler.report({})).totals.loads).toBe(1);
  });

  it('counts the cost of a load planned for carbon alone, on the prices the zone gives after the run', async () => {
    const { load } = await scheduler.submit(
      {
        name: 'carbon only',
        zones: ['DE'],
        durationMin: 60,
        powerKw: 2,
        deadline: toIso(T0 + 3 * HOUR_MS),
        dispatch: { kind: 'none' },
      },
      { nowMs: T0 - HOUR_MS },
    );
    expect(load.plannedStartMs).toBe(T0); // the cleanest hour
    await moveLoad(store, load.id, ['waiting', 'planned'], 'running', { nowMs: T0, setAttempt: 1 });
    const done = await moveLoad(store, load.id, 'running', 'succeeded', {
      nowMs: T0 + HOUR_MS,
      appendRuns: [{ startMs: T0, endMs: T0 + HOUR_MS }],
    });
    clock = T0 + 45 * MINUTE_MS; // on the forecast: the plan's carbon, the prices as the zone answers now
    const record = await accountLoad(scheduler.context, done.load as Load);
    expect(record).toMatchObject({ basis: 'forecast', currency: 'EUR' });
    expect(record?.cost).toBeCloseTo(0.3, 12); // 1 kWh x 0.10 + 1 kWh x 0.20
    expect(record?.baselineCost).toBeCloseTo(0.6, 12); // 2 kWh x 0.30
  });

  /**
   * A retried load: attempt 1 ran T0 .. T0+30m and failed, attempt 2 ran T0+30m .. T0+1h30m and succeeded.
   * Measured (T0 slot now 150):
   *   failed:    2 kW x 0.5 h = 1 kWh x 150 = 150 g, 1 kWh x 0.10 = 0.10 EUR
   *   succeeded: 1 kWh x 200 (T0+30m) + 1 kWh x 300 (T0+1h) = 500 g, 0.20 + 0.25 = 0.45 EUR
   *   together:  3 kWh, 650 g, 0.55 EUR; the run-now counterfactual runs once: T0-1h .. T0, 800 g, 0.60 EUR
   */
  it('counts the energy and emissions of a failed attempt, and says how much went to it', async () => {
    clock = T0 - HOUR_MS;
    const { load } = await scheduler.submit(
      {
        name: 'retried',
        tags: ['retried'],
        zones: ['DE'],
        durationMin: 60,
        powerKw: 2,
        objective: 'cost',
        deadline: toIso(T0 + 3 * HOUR_MS),
        dispatch: { kind: 'shell', command: 'true' },
      },
      { nowMs: T0 - HOUR_MS },
    );
    const first = await moveLoad(store, load.id, ['waiting', 'planned'], 'running', {
      nowMs: T0,
      expectQueuedAttempt: 1,
      setAttempt: 1,
    });
    const failedRun = { startMs: T0, endMs: T0 + 30 * MINUTE_MS };
    expect(
      await failAttempt(
        scheduler.context,
        first.load as Load,
        1,
        { error: 'exit 1' },
        failedRun.endMs,
        true,
        failedRun,
      ),
    ).toBe(true);
    const retried = (await getLoad(store, load.id)) as Load;
    expect(retried).toMatchObject({ state: 'waiting', failures: 1, failedRuns: [failedRun] });
    await moveLoad(store, load.id, 'waiting', 'running', {
      nowMs: failedRun.endMs,
      expectQueuedAttempt: retried.queuedAttempt,
      setAttempt: retried.queuedAttempt,
    });
    const done = await moveLoad(store, load.id, 'running', 'succeeded', {
      nowMs: T0 + 90 * MINUTE_MS,
      appendRuns: [{ startMs: failedRun.endMs, endMs: T0 + 90 * MINUTE_MS }],
    });
    clock = T0 + 3 * HOUR_MS;
    const record = await accountLoad(scheduler.context, done.load as Load);
    expect(record).toMatchObject({ basis: 'actual', energyKwh: 3, failedEnergyKwh: 1 });
    expect(record?.emissionsG).toBeCloseTo(650, 9);
    expect(record?.failedEmissionsG).toBeCloseTo(150, 9);
    expect(record?.baselineEmissionsG).toBeCloseTo(800, 9);
    expect(record?.cost).toBeCloseTo(0.55, 12);
    expect(record?.baselineCost).toBeCloseTo(0.6, 12);
    expect(record?.baselineRuns).toEqual([{ startMs: T0 - HOUR_MS, endMs: T0 }]);

    const report = await scheduler.report({ tag: 'retried' });
    expect(report.totals).toMatchObject({ loads: 1, energyKwh: 3, failedEnergyKwh: 1 });
    expect(report.totals.failedEmissionsG).toBeCloseTo(150, 9);
    expect(report.totals.savingsG).toBeCloseTo(150, 9);
    const detail = await scheduler.get(load.id);
    expect(detail?.accounting).toMatchObject({ energyKwh: 3, failedEnergyKwh: 1 });
  });
});
