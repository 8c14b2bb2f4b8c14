/**
 * The server side of bench/service.ts, in a process of its own so that the load generator does not share
 * its event loop. Started with one JSON argument:
 *
 * - `{"mode":"bare"}`: a minimal Fastify app with one POST route that answers a small JSON object;
 * - `{"mode":"api","store":{...}}`: gridshift's API on a real store, started like `gridshift serve` with
 *   only the api role (startService, no worker, no planner). It listens three times on the one scheduler:
 *   `cached` (token checks reused for 60 s), `uncached` (every request checks its token in the store,
 *   `tokenCacheMs: 0`) and `logged` (cached, with pino request logging at info to stdout, which the parent discards).
 *
 * It talks to its parent over IPC: once listening it sends `{ready, ports, token}`; then it answers
 * `{cmd: 'submit', n, concurrency, body}` (scheduler.submit in process), `{cmd: 'count'}` (loads by state and
 * queued attempts), `{cmd: 'preview', n, body}` (scheduler.preview in process, one after another) and
 * `{cmd: 'stop'}`.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAccounting } from '../../src/accounting/ledger.ts';
import { buildServer } from '../../src/api/server.ts';
import { startService } from '../../src/runner/process.ts';
import { DISPATCH_QUEUE } from '../../src/runner/queue.ts';
import type { StoreOptions } from '../../src/store/db.ts';
import { countLoadsByState } from '../../src/store/loads.ts';
import { createToken } from '../../src/store/tokens.ts';

export type ServerSpec = { mode: 'bare' } | { mode: 'api'; store: StoreOptions };

export type ServerRequest =
  | { cmd: 'submit'; n: number; concurrency: number; body: Record<string, unknown> }
  | { cmd: 'preview'; n: number; body: Record<string, unknown> }
  | { cmd: 'count' }
  | { cmd: 'stop' };

export interface SubmitReport {
  elapsedMs: number;
  /** per submit, ms */
  latenciesMs: number[];
  failures: number;
}

export interface CountReport {
  states: Record<string, number>;
  /** attempts waiting in the dispatch queue for their start */
  queuedJobs: number;
}

const send = (message: unknown) =>
  new Promise<void>((resolve, reject) =>
    process.send?.(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
  );

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

async function bare(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/bare', async () => ({ ok: true, service: 'bare' }));
  const port = await listen(app);
  process.on('message', async (m: ServerRequest) => {
    if (m.cmd !== 'stop') return;
    await app.close();
    await send({ stopped: true });
    process.exit(0);
  });
  await send({ ready: true, ports: { bare: port } });
}

async function api(storeOptions: StoreOptions): Promise<void> {
  const apps: Record<string, FastifyInstance> = {};
  const service = await startService({
    accounting: createAccounting,
    store: storeOptions,
    roles: ['api'],
    handleSignals: false,
    log: () => {},
    queue: { onError: () => {} },
    attach: async (scheduler) => {
      const common = { scheduler, registry: scheduler.context.registry, store: scheduler.context.store };
      apps.cached = await buildServer({ ...common, logger: false, auth: { tokenCacheMs: 60_000 } });
      apps.uncached = await buildServer({ ...common, logger: false, auth: { tokenCacheMs: 0 } });
      apps.logged = await buildServer({
        ...common,
        logger: { level: 'info' },
        auth: { tokenCacheMs: 60_000 },
      });
      return {
        async close() {
          for (const app of Object.values(apps)) await app.close();
        },
      };
    },
  });
  const ports: Record<string, number> = {};
  for (const [name, app] of Object.entries(apps)) ports[name] = await listen(app);
  const { secret } = await createToken(service.store, { name: 'bench', scopes: ['write'] });

  process.on('message', async (m: ServerRequest) => {
    try {
      if (m.cmd === 'submit') {
        await send(await submitInProcess(service.scheduler.submit, m));
      } else if (m.cmd === 'preview') {
        const t0 = performance.now();
        for (let i = 0; i < m.n; i++) await service.scheduler.preview(m.body as never);
        await send({ elapsedMs: performance.now() - t0 });
      } else if (m.cmd === 'count') {
        const store = service.store;
        const [jobs] = await store.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${service.queue.schema}.job WHERE name = $1 AND state = 'created'`,
          [DISPATCH_QUEUE],
        );
        const report: CountReport = {
          states: await countLoadsByState(store),
          queuedJobs: jobs.n,
        };
        await send(report);
      } else if (m.cmd === 'stop') {
        await service.stop({ graceMs: 0 });
        await send({ stopped: true });
        process.exit(0);
      }
    } catch (err) {
      await send({ error: (err as Error).stack ?? String(err) });
    }
  });
  await send({ ready: true, ports, token: secret });
}

/** `n` submits, `concurrency` at a time, each timed. */
async function submitInProcess(
  submit: (input: never) => Promise<unknown>,
  m: Extract<ServerRequest, { cmd: 'submit' }>,
): Promise<SubmitReport> {
  const latenciesMs: number[] = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < m.n) {
      next++;
      const s = performance.now();
      try {
        await submit(m.body as never);
        latenciesMs.push(performance.now() - s);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, lane));
  return { elapsedMs: performance.now() - t0, latenciesMs, failures };
}

const spec = JSON.parse(process.argv[2] ?? '{"mode":"bare"}') as ServerSpec;
try {
  if (spec.mode === 'bare') await bare();
  else await api(spec.store);
} catch (err) {
  await send({ error: (err as Error).stack ?? String(err) });
  process.exit(1);
}
