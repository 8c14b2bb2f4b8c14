import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import { roundForDisplay } from '../../core/format.ts';
import { LOAD_STATES } from '../../core/load.ts';
import { floorToStep, HOUR_MS } from '../../core/time.ts';
import type { SchedulerEvent, SchedulerService } from '../../runner/service.ts';
import type { SignalRegistry } from '../../signals/registry.ts';

/**
 * Prometheus metrics at /metrics, one registry per server. Gauges of the grid (intensity and price per
 * zone) follow the scheduler's signal and window events; loads by state and the queue lag are read from
 * the scheduler when scraped; dispatch outcomes and the energy, emissions and savings counters follow the
 * load state events. Events come from every process sharing the store, so every API replica counts every
 * load: aggregate replicas with max(), not sum(). Node's default process metrics are included.
 * Quantities are exposed rounded to METRIC_DECIMALS places (the totals themselves are kept exact), so float
 * noise such as a saving of 1.8e-15 g on a flat grid reads 0.
 */

/** Decimal places of the exposed gauges and counters: a microgram, a micro-kWh, a millionth of a currency unit. */
const METRIC_DECIMALS = 6;
const exposed = (x: number) => roundForDisplay(x, METRIC_DECIMALS);

export interface MetricsOptions {
  scheduler?: SchedulerService;
  registry: SignalRegistry;
  nowMs: () => number;
  /** the registry to fill; default a new one */
  metricsRegistry?: Registry;
  /** waits before asking again for the accounting of a load that just succeeded, ms */
  accountingRetryMs?: number[];
}

const FINISHING: Record<string, string> = { succeeded: 'succeeded', failed: 'failed', dead: 'dead' };

export async function metricsPlugin(app: FastifyInstance, options: MetricsOptions) {
  const register = options.metricsRegistry ?? new Registry();
  const { scheduler } = options;
  collectDefaultMetrics({ register });

  const carbon = new Gauge({
    name: 'gridshift_carbon_intensity_g_per_kwh',
    help: "Carbon intensity of the grid zone now, gCO2eq/kWh (the zone's configured metric)",
    labelNames: ['zone'],
    registers: [register],
  });
  const price = new Gauge({
    name: 'gridshift_price_per_kwh',
    help: 'Electricity price in the grid zone now, per kWh',
    labelNames: ['zone', 'currency'],
    registers: [register],
  });
  new Gauge({
    name: 'gridshift_loads',
    help: 'Loads in each state',
    labelNames: ['state'],
    registers: [register],
    async collect() {
      if (!scheduler) return;
      const status = await scheduler.status();
      for (const state of LOAD_STATES) this.set({ state }, status.loads[state] ?? 0);
    },
  });
  new Gauge({
    name: 'gridshift_queue_lag_seconds',
    help: 'How far past its planned start the most overdue waiting load is, seconds (0 when none is due)',
    registers: [register],
    async collect() {
      if (!scheduler) return;
      this.set(exposed(await queueLagSeconds(scheduler, options.nowMs())));
    },
  });
  const dispatches = new Counter({
    name: 'gridshift_dispatch_total',
    help: 'Finished dispatch attempts by target kind and outcome (succeeded, failed, dead)',
    labelNames: ['kind', 'outcome'],
    registers: [register],
  });
  const energy = exactTotal(register, 'gridshift_energy_kwh_total', 'Energy of the loads that ran, kWh');
  const emissions = exactTotal(
    register,
    'gridshift_emissions_g_total',
    'Emissions of the loads that ran, gCO2eq',
  );
  const savings = exactTotal(
    register,
    'gridshift_savings_g_total',
    'Emissions avoided against running each load at once, gCO2eq (negative savings count as 0)',
  );

  const currencies = new Map<string, Promise<string>>();
  /** A zone's price currency, from its price series (cached by the registry after the scheduler's refresh). */
  const currencyOf = (zone: string): Promise<string> => {
    let c = currencies.get(zone);
    if (!c) {
      const nowMs = options.nowMs();
      const fromMs = floorToStep(nowMs, 60);
      c = options.registry
        .getSignal({ zone, metric: 'price', fromMs, toMs: fromMs + HOUR_MS, nowMs })
        .then((a) => a.series?.unit.split('/')[0] ?? 'unknown')
        .catch(() => 'unknown');
      currencies.set(zone, c);
    }
    return c;
  };

  const timers = new Set<NodeJS.Timeout>();
  const retries = options.accountingRetryMs ?? [2_000, 15_000, 120_000];
  let closed = false;

  async function account(loadId: string, attempt: number): Promise<void> {
    if (closed || !scheduler) return;
    const detail = await scheduler.get(loadId);
    const a = detail?.accounting;
    if (!a) {
      const wait = retries[attempt];
      if (wait === undefined) return;
      const t = setTimeout(() => {
        timers.delete(t);
        account(loadId, attempt + 1).catch((err) =>
          app.log.warn({ err }, 'metrics: accounting lookup failed'),
        );
      }, wait);
      t.unref();
      timers.add(t);
      return;
    }
    if (Number.isFinite(a.energyKwh) && a.energyKwh > 0) energy.add(a.energyKwh);
    if (Number.isFinite(a.emissionsG) && a.emissionsG > 0) emissions.add(a.emissionsG);
    const saved = a.baselineEmissionsG - a.emissionsG;
    if (Number.isFinite(saved) && saved > 0) savings.add(saved);
  }

  async function onEvent(event: SchedulerEvent): Promise<void> {
    switch (event.type) {
      case 'signal.update':
      case 'window.clean_started':
      case 'window.best_now':
        if (event.carbon !== null && Number.isFinite(event.carbon))
          carbon.set({ zone: event.zone }, exposed(event.carbon));
        if (event.price !== null && Number.isFinite(event.price)) {
          price.set({ zone: event.zone, currency: await currencyOf(event.zone) }, exposed(event.price));
        }
        return;
      case 'load.state': {
        const outcome = FINISHING[event.to];
        if (!outcome || !scheduler) return;
        const detail = await scheduler.get(event.loadId);
        dispatches.inc({ kind: detail?.load.dispatch.kind ?? 'unknown', outcome });
        if (event.to === 'succeeded') await account(event.loadId, 0);
        return;
      }
      default:
        return;
    }
  }

  const unsubscribe = scheduler?.onEvent((event) => {
    onEvent(event).catch((err) => app.log.warn({ err }, 'metrics: event not counted'));
  });

  app.addHook('onClose', async () => {
    closed = true;
    unsubscribe?.();
    for (const t of timers) clearTimeout(t);
    timers.clear();
  });

  app.get(
    '/metrics',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics',
        description: 'Public by default; the server option `auth.metrics: "read"` requires a read token.',
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const text = await register.metrics();
      return reply
        .type(register.contentType)
        .serializer((x: unknown) => x as string)
        .send(text);
    },
  );
}

/**
 * A counter of a running total kept exact and exposed rounded: summing the rounded amounts instead would
 * bring the noise back (0.1 + 0.2 = 0.30000000000000004).
 */
export function exactTotal(
  register: Registry,
  name: string,
  help: string,
): { add: (amount: number) => void } {
  let total = 0;
  new Counter({
    name,
    help,
    registers: [register],
    collect() {
      this.reset();
      this.inc(exposed(total));
    },
  });
  return { add: (amount) => (total += amount) };
}

/** Seconds the most overdue waiting load is past its planned start; 0 when none is due. */
export async function queueLagSeconds(scheduler: SchedulerService, nowMs: number): Promise<number> {
  let oldestDue = Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const { loads, nextCursor } = await scheduler.list({ state: 'waiting', limit: 1000, cursor });
    for (const l of loads) {
      if (l.plannedStartMs !== null && l.plannedStartMs <= nowMs && l.plannedStartMs < oldestDue)
        oldestDue = l.plannedStartMs;
    }
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return Number.isFinite(oldestDue) ? (nowMs - oldestDue) / 1000 : 0;
}
