import { createAccounting } from '../../src/accounting/ledger.ts';
import { ProviderError } from '../../src/core/errors.ts';
import type { Metric, Point, Series } from '../../src/core/series.ts';
import { floorToStep, MINUTE_MS } from '../../src/core/time.ts';
import { openQueue, type Queue, type QueueOptions } from '../../src/runner/queue.ts';
import { createScheduler, type Scheduler, type SchedulerOptions } from '../../src/runner/scheduler.ts';
import { parseConfig } from '../../src/signals/config.ts';
import type { SignalProvider } from '../../src/signals/provider.ts';
import { createRegistry, type SignalRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';

/**
 * A signal source for scheduler tests: values from functions the test sets (and changes), on 30-minute
 * slots; a slot that ended before `now` is measured (`actual`), later ones are a forecast, as a live
 * provider answers. A zone can be taken down (the source then fails as `unavailable`).
 */
export interface TableSource extends SignalProvider {
  carbon: (zone: string, slotMs: number) => number;
  price: ((zone: string, slotMs: number) => number) | null;
  down: Set<string>;
  calls: number;
}

export const SLOT_MIN = 30;

export function tableSource(
  carbon: (zone: string, slotMs: number) => number = () => 300,
  price: ((zone: string, slotMs: number) => number) | null = null,
): TableSource {
  const source: TableSource = {
    name: 'table',
    ttlMs: 0,
    carbon,
    price,
    down: new Set(),
    calls: 0,
    supports: () => true,
    async fetch(req) {
      source.calls++;
      if (source.down.has(req.zone.code))
        throw new ProviderError('table', 'unavailable', 'the table is down');
      const fn = req.metric === 'price' ? source.price : source.carbon;
      if (!fn) return [];
      const step = SLOT_MIN * MINUTE_MS;
      const actual: Point[] = [];
      const forecast: Point[] = [];
      for (let t = floorToStep(req.fromMs, SLOT_MIN); t < req.toMs; t += step) {
        const value = fn(req.zone.code, t);
        (t + step <= req.nowMs ? actual : forecast).push({ start: t, value });
      }
      const base = (kind: 'actual' | 'forecast', points: Point[]): Series => ({
        zone: req.zone.code,
        metric: req.metric as Metric,
        unit: req.metric === 'price' ? 'EUR/kWh' : 'gCO2eq/kWh',
        resolutionMin: SLOT_MIN,
        kind,
        ...(kind === 'forecast' ? { issuedAt: req.nowMs } : {}),
        source: 'table',
        points,
      });
      const out: Series[] = [];
      if (actual.length) out.push(base('actual', actual));
      if (forecast.length) out.push(base('forecast', forecast));
      return out;
    },
  };
  return source;
}

/** A registry whose every zone asks `source` (under the name `simulator`), uncached. */
export function tableRegistry(
  source: TableSource,
  zones: Record<string, { failurePolicy?: 'open' | 'closed' }> = {},
): SignalRegistry {
  const config = parseConfig({
    defaults: { carbon: ['simulator'], price: ['simulator'], failurePolicy: 'open' },
    zones,
  });
  return createRegistry({ config, factories: { simulator: () => source }, cache: false });
}

let queues = 0;

/** A queue in a schema of its own (so tests do not see each other's attempts), polling twice a second. */
export async function testQueue(store: Store, options: QueueOptions = {}): Promise<Queue> {
  return openQueue(store, {
    schema: `${store.schema}_q${queues++}`,
    pollingIntervalSeconds: 0.5,
    onError: () => {},
    ...options,
  });
}

/** Drops the queue schemas a PostgreSQL test made. */
export async function dropQueueSchemas(store: Store | undefined): Promise<void> {
  if (store?.kind !== 'postgres') return;
  for (let i = 0; i < queues; i++) await store.exec(`DROP SCHEMA IF EXISTS "${store.schema}_q${i}" CASCADE`);
}

export function testScheduler(
  store: Store,
  queue: Queue,
  registry: SignalRegistry,
  options: Partial<SchedulerOptions> = {},
): Scheduler {
  return createScheduler({
    store,
    queue,
    registry,
    retry: { delaySeconds: 0, backoff: false },
    log: () => {},
    accounting: createAccounting,
    ...options,
  });
}

/** Polls `check` until it returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
