import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { floorToStep, HOUR_MS } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { embeddedBackend, tokensFor } from '../api/helpers.ts';
import { tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';

/**
 * A real gridshift API on 127.0.0.1 (an ephemeral port) over the scheduler on an embedded store, for the
 * client tests. The grid is 400 g/kWh except two clean hours (100 g/kWh) three hours from now, and prices
 * 0.25 EUR/kWh; no worker runs, so loads stay where the planner put them. The OpenAI-compatible gateway
 * is configured (zone DE; deferred work 0.3 kW for an hour), its upstream never asked (nothing runs).
 */
export interface TestApi {
  url: string;
  store: Store;
  scheduler: Scheduler;
  tokens: Awaited<ReturnType<typeof tokensFor>>;
  close(): Promise<void>;
}

export async function startTestApi(): Promise<TestApi> {
  const backend: TestBackend = embeddedBackend();
  const store = await backend.open();
  const tokens = await tokensFor(store);
  const cleanFrom = floorToStep(Date.now(), 30) + 3 * HOUR_MS;
  const source = tableSource(
    (_zone, t) => (t >= cleanFrom && t < cleanFrom + 2 * HOUR_MS ? 100 : 400),
    () => 0.25,
  );
  const config = parseConfig({
    defaults: { carbon: ['simulator'], price: ['simulator'], failurePolicy: 'open' },
    openai: {
      zone: 'DE',
      upstreams: [
        { name: 'local', baseUrl: 'http://127.0.0.1:9/v1', tiers: { large: 'big', small: 'tiny' } },
      ],
      deferred: { powerKw: 0.3, durationMin: 60 },
    },
  });
  const registry = createRegistry({ config, factories: { simulator: () => source }, cache: false });
  const queue: Queue = await testQueue(store);
  const scheduler = testScheduler(store, queue, registry);
  const app: FastifyInstance = await buildServer({
    scheduler,
    registry,
    store,
    logger: false,
    events: { keepAliveMs: 200 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    scheduler,
    tokens,
    async close() {
      await app.close();
      await scheduler.close();
      await queue.stop({ graceful: false });
      await backend.cleanup();
    },
  };
}
