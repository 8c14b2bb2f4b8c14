import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { exactTotal } from '../../src/api/plugins/metrics.ts';
import { buildServer } from '../../src/api/server.ts';
import type { LoadInput } from '../../src/core/load-input.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Worker } from '../../src/runner/worker.ts';
import type { Store } from '../../src/store/db.ts';
import { tableRegistry, tableSource, testQueue, testScheduler, waitFor } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { embeddedBackend } from './helpers.ts';

/**
 * /metrics with the real scheduler and worker on an embedded store: dispatch outcomes and the energy,
 * emissions and savings counters follow the loads that ran, load gauges the scheduler's counts, grid
 * gauges the planner's signal events, and the queue lag the most overdue waiting load.
 */

interface Setup {
  backend: TestBackend;
  store: Store;
  queue: Queue;
  scheduler: Scheduler;
  app: FastifyInstance;
  worker?: Worker;
}

const setups: Setup[] = [];

async function setup(options: { worker?: boolean; now?: () => number } = {}): Promise<Setup> {
  const backend = embeddedBackend();
  const store = await backend.open();
  // a flat grid: every load runs at once
  const registry = tableRegistry(
    tableSource(
      () => 300,
      () => 0.2,
    ),
  );
  const queue = await testQueue(store);
  const scheduler = testScheduler(store, queue, registry, {
    watchZones: ['DE'],
    ...(options.now ? { now: options.now } : {}),
  });
  // the API reads the scheduler's clock
  const app = await buildServer({
    scheduler,
    registry,
    store,
    logger: false,
    metrics: { accountingRetryMs: [50, 200, 1000, 3000] },
  });
  const s: Setup = { backend, store, queue, scheduler, app };
  if (options.worker) s.worker = await scheduler.startWorker();
  setups.push(s);
  return s;
}

afterEach(async () => {
  for (const s of setups.splice(0)) {
    await s.worker?.drain(0);
    await s.app.close();
    await s.scheduler.close();
    await s.queue.stop({ graceful: false });
    await s.backend.cleanup();
  }
});

/** The value of one sample (`name{labels}`) in the exposition text, or undefined. */
async function sample(app: FastifyInstance, name: string): Promise<number | undefined> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const load = (extra: Partial<LoadInput> = {}): LoadInput => ({
  name: 'metered',
  zones: ['DE'],
  durationMin: 30,
  powerKw: 4,
  dispatch: { kind: 'none' },
  ...extra,
});

describe('/metrics', () => {
  it('counts dispatch outcomes and the energy, emissions and savings of the loads that ran', async () => {
    const { app, scheduler } = await setup({ worker: true });
    const { load: l } = await scheduler.submit(load());
    const accounting = await waitFor(async () => (await scheduler.get(l.id))?.accounting, 'the accounting');
    await waitFor(
      async () => (await sample(app, 'gridshift_energy_kwh_total')) === accounting.energyKwh,
      'energy',
    );
    // 4 kW for 30 min = 2 kWh at a flat 300 g/kWh: 600 g, the same as running at once, so nothing saved
    // (whatever float noise the stored difference carries, the metric reads exactly 0)
    expect(accounting.energyKwh).toBe(2);
    expect(await sample(app, 'gridshift_emissions_g_total')).toBe(600);
    expect(await sample(app, 'gridshift_savings_g_total')).toBe(0);
    expect(await sample(app, 'gridshift_dispatch_total{kind="none",outcome="succeeded"}')).toBe(1);
    expect(await sample(app, 'gridshift_loads{state="succeeded"}')).toBe(1);
    expect(await sample(app, 'gridshift_loads{state="waiting"}')).toBe(0);
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toContain('# TYPE gridshift_dispatch_total counter');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts failed dispatches by kind', async () => {
    const { app, scheduler } = await setup({ worker: true });
    const { load: l } = await scheduler.submit(
      load({ name: 'failing', dispatch: { kind: 'shell', command: 'exit 3' }, maxRetries: 0 }),
    );
    await waitFor(async () => (await scheduler.get(l.id))?.load.state === 'dead', 'the load to die');
    await waitFor(
      async () => (await sample(app, 'gridshift_dispatch_total{kind="shell",outcome="failed"}')) === 1,
      'the failure counted',
    );
    await waitFor(
      async () => (await sample(app, 'gridshift_dispatch_total{kind="shell",outcome="dead"}')) === 1,
      'the dead letter counted',
    );
    expect(await sample(app, 'gridshift_energy_kwh_total')).toBe(0);
  });

  it("follows the planner's signal events per zone, with the price's currency", async () => {
    const { app, scheduler } = await setup();
    expect(await sample(app, 'gridshift_carbon_intensity_g_per_kwh{zone="DE"}')).toBeUndefined();
    await scheduler.replan();
    await waitFor(
      async () => (await sample(app, 'gridshift_carbon_intensity_g_per_kwh{zone="DE"}')) === 300,
      'carbon',
    );
    await waitFor(
      async () => (await sample(app, 'gridshift_price_per_kwh{zone="DE",currency="EUR"}')) === 0.2,
      'price',
    );
  });

  it('shows the queue lag of the most overdue waiting load', async () => {
    let nowMs = Date.now();
    const { app, scheduler } = await setup({ now: () => nowMs });
    await scheduler.pause('hold everything');
    const { load: l } = await scheduler.submit(load());
    expect(l.state).toBe('waiting');
    const planned = l.plannedStartMs as number;
    nowMs = planned - 1000;
    expect(await sample(app, 'gridshift_queue_lag_seconds')).toBe(0);
    nowMs = planned + 90_000;
    expect(await sample(app, 'gridshift_queue_lag_seconds')).toBe(90);
    expect(await sample(app, 'gridshift_loads{state="waiting"}')).toBe(1);
  });
});

describe('totals on /metrics', () => {
  const exposition = async (adds: number[]) => {
    const register = new Registry();
    const total = exactTotal(register, 'gridshift_test_total', 'a test total');
    for (const x of adds) total.add(x);
    return register.metrics();
  };

  it('are kept exact and shown to 6 decimals, so float noise reads 0', async () => {
    // 0.1 + 0.2 is 0.30000000000000004 in binary floating point; shown: 0.3
    expect(await exposition([0.1, 0.2])).toContain('\ngridshift_test_total 0.3\n');
    expect(await exposition([1.7763568394002505e-15])).toContain('\ngridshift_test_total 0\n');
    // a millionth is kept; the sum of a million millionths is 1
    expect(await exposition([0.000001])).toContain('\ngridshift_test_total 0.000001\n');
    expect(await exposition(Array.from({ length: 1_000_000 }, () => 0.000001))).toContain(
      '\ngridshift_test_total 1\n',
    );
    expect(await exposition([])).toContain('\ngridshift_test_total 0\n');
  });
});
