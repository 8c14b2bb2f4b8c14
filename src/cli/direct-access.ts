import type { FastifyInstance } from 'fastify';
import { injectFetch } from '../api/in-process.ts';
import { createClient } from '../client/index.ts';
import type { Queue } from '../runner/queue.ts';
import type { Scheduler, SchedulerOptions } from '../runner/scheduler.ts';
import type { SchedulerService } from '../runner/service.ts';
import type { Store } from '../store/db.ts';
import type { Cli, GlobalOptions } from './context.ts';
import type { SchedulerAccess } from './scheduler-access.ts';
import { registryFor } from './signal-access.ts';

/**
 * The CLI's direct mode: the gridshift API itself, built in this process over a store it opened, and
 * answered through `inject` (nothing listens). Commands talk to it with the same typed client they use
 * for a server, so every operation has one implementation, the API's route over the scheduler, and a
 * command prints the same whichever way it reached the store. The caller is this process's operator
 * (admin); the clock is the CLI's (`--now`).
 */
export async function directAccess(
  cli: Cli,
  globals: GlobalOptions,
  store: Store,
  where: string,
): Promise<SchedulerAccess> {
  const nowMs = () => cli.nowMs(globals);
  const config = cli.config(globals);
  const registry = registryFor(cli, globals);
  let opened: Promise<{ scheduler: Scheduler; queue: Queue }> | undefined;
  const open = () => {
    opened ??= openScheduler(cli, globals, { store, config, registry, nowMs });
    return opened.then((o) => o.scheduler);
  };
  let app: FastifyInstance;
  try {
    const { buildServer } = await import('../api/server.ts');
    app = await buildServer({
      scheduler: openedOnFirstUse(open, nowMs),
      registry,
      store,
      config,
      inProcess: true,
      auth: { tokenCacheMs: 0 },
      logger: globals.verbose ? { level: 'error' } : false,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const client = createClient({ baseUrl: 'http://gridshift.invalid', fetch: injectFetch(app), timeoutMs: 0 });
  return {
    kind: store.kind,
    where,
    store: where,
    loads: client.loads,
    scheduler: client.scheduler,
    reports: client.reports,
    audit: client.audit,
    tokens: client.tokens,
    homeDevices: client.homeDevices,
    async close() {
      await app.close().catch(() => {});
      if (opened) {
        const { scheduler, queue } = await opened.catch(() => ({ scheduler: null, queue: null }));
        await scheduler?.close().catch(() => {});
        await queue?.stop({ graceful: false, timeoutMs: 1000 }).catch(() => {});
      }
      await store.close();
    },
  };
}

/** The dispatch queue and a scheduler without roles: this process plans and stores, it runs nothing. */
async function openScheduler(
  cli: Cli,
  globals: GlobalOptions,
  {
    store,
    config,
    registry,
    nowMs,
  }: Pick<SchedulerOptions, 'store' | 'config' | 'registry'> & { nowMs: () => number },
): Promise<{ scheduler: Scheduler; queue: Queue }> {
  const quiet = (err: Error) => {
    if (globals.verbose) cli.io.stderr.write(`gridshift queue: ${err.message}\n`);
  };
  const [{ openQueue }, { createScheduler }, { createAccounting }] = await Promise.all([
    import('../runner/queue.ts'),
    import('../runner/scheduler.ts'),
    import('../accounting/ledger.ts'),
  ]);
  const queue = await openQueue(store, { onError: quiet });
  try {
    const scheduler = createScheduler({
      accounting: createAccounting,
      store,
      queue,
      config,
      registry,
      roles: [],
      now: nowMs,
      log: (level, message, data) => {
        if (level !== 'info' && (globals.verbose || level === 'error'))
          cli.io.stderr.write(`gridshift ${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
      },
    });
    return { scheduler, queue };
  } catch (err) {
    await queue.stop({ graceful: false, timeoutMs: 1000 }).catch(() => {});
    throw err;
  }
}

/**
 * The scheduler, opened on the first operation that needs it: tokens and the decision log need only the
 * store, and a command that reads them should not start the dispatch queue. This process's API subscribes
 * to no events (nothing streams from it).
 */
function openedOnFirstUse(open: () => Promise<SchedulerService>, nowMs: () => number): SchedulerService {
  return new Proxy({} as SchedulerService, {
    get(_target, name) {
      if (name === 'nowMs') return nowMs;
      if (name === 'onEvent') return () => () => {};
      if (typeof name !== 'string' || name === 'then') return undefined;
      return async (...args: unknown[]) => {
        const scheduler = (await open()) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return scheduler[name](...args);
      };
    },
  });
}
