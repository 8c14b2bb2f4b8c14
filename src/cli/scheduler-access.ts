/**
 * How a CLI command reaches the scheduler: through a server's API (the typed client), or directly on the
 * store. Both answer in the API's shapes, so commands print the same either way. Which one:
 *
 * 1. `--server URL` or GRIDSHIFT_SERVER: that server, with the token in GRIDSHIFT_TOKEN;
 * 2. DATABASE_URL: PostgreSQL directly (any number of processes share it);
 * 3. the embedded store in `--data-dir` (GRIDSHIFT_DATA_DIR, else the default data directory): when a
 *    `gridshift serve` runs on it (its `server.json` names a live process), its API, since the embedded
 *    store serves one process; otherwise the store itself. Without `--data-dir` or GRIDSHIFT_DATA_DIR, a
 *    server that runs on another data directory of this machine (found through its record in `servers/`)
 *    is used when no server runs on the default one: the command says so, and refuses to guess among two.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  accountingView,
  decisionView,
  loadEventView,
  loadView,
  replanView,
  reportView,
  schedulerView,
  tokenView,
} from '../api/views.ts';
import type { GridshiftClient, LoadState } from '../client/index.ts';
import { createClient, GridshiftApiError, GridshiftConnectionError } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { assertTimeZone } from '../core/human-time.ts';
import { parseIsoMs } from '../core/time.ts';
import { planToJson } from '../planner/explain.ts';
import { ConflictError, NotFoundError } from '../runner/errors.ts';
import type { Queue } from '../runner/queue.ts';
import type { Scheduler } from '../runner/scheduler.ts';
import type { ReportQuery } from '../runner/service.ts';
import { readDecisions, verifyAuditChain } from '../store/audit.ts';
import type { Store } from '../store/db.ts';
import type { LoadFilter } from '../store/loads.ts';
import { createToken, listTokens, revokeToken } from '../store/tokens.ts';
import type { Cli, GlobalOptions } from './context.ts';
import { type FoundServer, liveServer, recordedServers, SERVERS_DIR } from './server-file.ts';
import { registryFor } from './signal-access.ts';

/** The part of the API the CLI's service commands use. */
export type ServiceApi = Pick<GridshiftClient, 'loads' | 'scheduler' | 'reports' | 'audit' | 'tokens'>;

export interface SchedulerAccess extends ServiceApi {
  kind: 'server' | 'embedded' | 'postgres';
  /** for messages: `the server at http://...`, `the embedded store in DIR`, `PostgreSQL at postgres://...` */
  where: string;
  /** the store read, when known (not through --server): `the embedded store in DIR`, `PostgreSQL at ...` */
  store?: string;
  /**
   * set when a server answers: its URL; its process id when found through server.json; whether the token
   * sent is GRIDSHIFT_TOKEN's (else server.json's, or none)
   */
  server?: { url: string; pid?: number; envToken: boolean };
  /** liveness and readiness, when a server answers */
  health?: GridshiftClient['health'];
  close(): Promise<void>;
}

export interface AccessOptions {
  server?: string;
  dataDir?: string;
}

/** Adds `--server` and `--data-dir` to a command that reaches the scheduler. */
export function accessOptions(command: Command): Command {
  return command
    .option(
      '--server <url>',
      'a gridshift server to talk to (default GRIDSHIFT_SERVER); token from GRIDSHIFT_TOKEN',
    )
    .option('--data-dir <dir>', 'the embedded store (default GRIDSHIFT_DATA_DIR, else the data directory)');
}

/**
 * The database driver, the queue and the scheduler are loaded when a command needs them, so that commands
 * that do not (plan, signals, zones) start fast.
 */
const storeModule = () => import('../store/db.ts');

/** The data directory of the embedded store: --data-dir, GRIDSHIFT_DATA_DIR, else the platform default. */
export async function dataDirOf(cli: Cli, dataDir: string | undefined): Promise<string> {
  const chosen = dataDir ?? cli.io.env.GRIDSHIFT_DATA_DIR?.trim();
  if (chosen) return resolve(cli.io.cwd, chosen);
  return defaultDataDirOf(cli);
}

async function defaultDataDirOf(cli: Cli): Promise<string> {
  const { defaultDataDir } = await storeModule();
  return resolve(cli.io.cwd, defaultDataDir(cli.io.env as NodeJS.ProcessEnv));
}

/** Where `gridshift serve` records itself, so that commands find it whatever data directory it serves. */
export async function serversDirOf(cli: Cli): Promise<string> {
  return join(await defaultDataDirOf(cli), SERVERS_DIR);
}

/**
 * For a command given no data directory, when no server runs on the default one: the only server recorded
 * on this machine, or null when none runs. Two or more: the user chooses.
 */
async function serverElsewhere(cli: Cli, defaultDir: string): Promise<FoundServer | null> {
  const running = recordedServers(await serversDirOf(cli));
  if (running.length <= 1) return running[0] ?? null;
  const list = running.map((s) => `process ${s.file.pid} on ${s.dataDir}`).join(', ');
  throw new InputError(
    `${running.length} gridshift servers run on this machine (${list}) and none on the default data ` +
      `directory ${defaultDir}: choose one with --data-dir DIR (or GRIDSHIFT_DATA_DIR)`,
  );
}

/** Opens the way to the scheduler, runs `fn` with it, closes it; failures get messages for people. */
export async function withAccess<T>(
  cli: Cli,
  globals: GlobalOptions,
  options: AccessOptions,
  fn: (access: SchedulerAccess) => Promise<T>,
): Promise<T> {
  const access = await openAccess(cli, globals, options);
  try {
    return await fn(access);
  } catch (err) {
    throw explainError(err, access);
  } finally {
    await access.close();
  }
}

export async function openAccess(
  cli: Cli,
  globals: GlobalOptions,
  options: AccessOptions,
): Promise<SchedulerAccess> {
  const env = cli.io.env;
  const token = env.GRIDSHIFT_TOKEN?.trim() || undefined;
  const serverUrl = options.server ?? (env.GRIDSHIFT_SERVER?.trim() || undefined);
  if (serverUrl) return remoteAccess(serverUrl, { token, envToken: token !== undefined });
  const databaseUrl = env.DATABASE_URL?.trim();
  const { openStore, redactUrl } = await storeModule();
  if (databaseUrl) {
    const where = `PostgreSQL at ${redactUrl(databaseUrl)}`;
    const store = await openStore({ databaseUrl }).catch((err: Error) => {
      // say which database, when the driver did not (`database "x" does not exist`)
      throw err.message.includes('PostgreSQL at')
        ? err
        : new Error(`cannot open ${where} (DATABASE_URL): ${err.message}`, { cause: err });
    });
    return storeAccess(cli, globals, store, where);
  }
  const explicit = options.dataDir !== undefined || Boolean(env.GRIDSHIFT_DATA_DIR?.trim());
  const chosenDir = await dataDirOf(cli, options.dataDir);
  const own = liveServer(chosenDir);
  const found: FoundServer | null = own
    ? { dataDir: chosenDir, file: own }
    : explicit
      ? null
      : await serverElsewhere(cli, chosenDir);
  const dataDir = found?.dataDir ?? chosenDir;
  const storeText = `the embedded store in ${dataDir}`;
  if (found) {
    if (found.dataDir !== chosenDir)
      cli.io.stderr.write(
        `gridshift: no server runs on the default data directory ${chosenDir}; using the one on ` +
          `${found.dataDir} (process ${found.file.pid}); --data-dir chooses another store\n`,
      );
    return remoteAccess(found.file.url, {
      token: token ?? found.file.token,
      envToken: token !== undefined,
      pid: found.file.pid,
      store: storeText,
    });
  }
  let store: Store;
  try {
    store = await openStore({ dataDir });
  } catch (err) {
    const busy = /is in use by process (\d+)/.exec((err as Error).message);
    if (!busy) throw err;
    throw new InputError(
      `the embedded store in ${dataDir} is in use by process ${busy[1]}, which serves no API this command could use ` +
        '(no server.json): if it is `gridshift serve` starting, try again in a moment; otherwise wait for it ' +
        'to finish, or point this command at a server with --server URL',
    );
  }
  return storeAccess(cli, globals, store, storeText);
}

function remoteAccess(
  url: string,
  {
    token,
    envToken,
    pid,
    store,
  }: { token: string | undefined; envToken: boolean; pid?: number; store?: string },
): SchedulerAccess {
  let client: GridshiftClient;
  try {
    client = createClient({ baseUrl: url, token });
  } catch {
    throw new InputError(`--server: "${url}" is not an http(s) URL (e.g. http://127.0.0.1:8080)`);
  }
  return {
    kind: 'server',
    where: `the server at ${client.baseUrl}${pid ? ` (process ${pid})` : ''}`,
    ...(store ? { store } : {}),
    server: { url: client.baseUrl, ...(pid ? { pid } : {}), envToken },
    health: client.health,
    loads: client.loads,
    scheduler: client.scheduler,
    reports: client.reports,
    audit: client.audit,
    tokens: client.tokens,
    async close() {},
  };
}

/**
 * The API over a store opened by this process. The dispatch queue and the scheduler are opened on first
 * use: tokens and the audit log need only the store.
 */
function storeAccess(cli: Cli, globals: GlobalOptions, store: Store, where: string): SchedulerAccess {
  let opened: Promise<{ scheduler: Scheduler; queue: Queue }> | undefined;
  const nowMs = () => cli.nowMs(globals);
  const scheduler = async () => {
    opened ??= (async () => {
      const quiet = (err: Error) => {
        if (globals.verbose) cli.io.stderr.write(`gridshift queue: ${err.message}\n`);
      };
      // the configuration first: a bad one must not leave a queue running
      const config = cli.config(globals);
      const registry = registryFor(cli, globals);
      const [{ openQueue }, { createScheduler }] = await Promise.all([
        import('../runner/queue.ts'),
        import('../runner/scheduler.ts'),
      ]);
      const queue = await openQueue(store, { onError: quiet });
      try {
        const s = createScheduler({
          store,
          queue,
          config,
          registry,
          roles: [],
          now: () => cli.io.now(),
          log: (level, message, data) => {
            if (level !== 'info' && (globals.verbose || level === 'error'))
              cli.io.stderr.write(
                `gridshift ${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`,
              );
          },
        });
        return { scheduler: s, queue };
      } catch (err) {
        await queue.stop({ graceful: false, timeoutMs: 1000 }).catch(() => {});
        throw err;
      }
    })();
    return (await opened).scheduler;
  };
  const found = async (id: string) => {
    const detail = await (await scheduler()).get(id);
    if (!detail) throw new NotFoundError('load', id);
    return detail;
  };
  const filterOf = (query: Parameters<ServiceApi['loads']['list']>[0] = {}): LoadFilter => {
    const filter: LoadFilter = { limit: query.limit ?? 100 };
    const states = [query.state ?? []].flat().flatMap((s) => s.split(','));
    if (states.length) filter.state = states as LoadState[];
    if (query.tag) filter.tag = query.tag;
    if (query.zone) filter.zone = query.zone;
    if (query.createdFrom) filter.createdFromMs = parseIsoMs(query.createdFrom, 'createdFrom');
    if (query.createdBefore) filter.createdBeforeMs = parseIsoMs(query.createdBefore, 'createdBefore');
    if (query.cursor) filter.cursor = query.cursor;
    return filter;
  };
  const list = async (query?: Parameters<ServiceApi['loads']['list']>[0]) => {
    const page = await (await scheduler()).list(filterOf(query));
    return { loads: page.loads.map(loadView), nextCursor: page.nextCursor };
  };

  return {
    kind: store.kind,
    where,
    store: where,
    loads: {
      async create(input) {
        const r = await (await scheduler()).submit(input, { nowMs: nowMs() });
        return {
          load: loadView(r.load),
          plan: planToJson(r.plan),
          created: r.created,
          ...(r.templateId !== undefined ? { templateId: r.templateId } : {}),
        };
      },
      async preview(input) {
        return { plan: planToJson(await (await scheduler()).preview(input, { nowMs: nowMs() })) };
      },
      list,
      async *listAll(query = {}) {
        let cursor: string | undefined;
        do {
          const page = await list({ ...query, cursor });
          yield* page.loads;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      },
      async get(id) {
        const d = await found(id);
        return {
          load: loadView(d.load),
          events: d.events.map(loadEventView),
          accounting: accountingView(d.accounting),
        };
      },
      async cancel(id, body) {
        return { load: loadView(await (await scheduler()).cancel(id, body?.reason)) };
      },
      async runNow(id) {
        return { load: loadView(await (await scheduler()).runNow(id)) };
      },
      async retry(id) {
        return { load: loadView(await (await scheduler()).retry(id)) };
      },
      async purge(request) {
        const cutoff =
          request.before !== undefined
            ? parseIsoMs(request.before, 'before')
            : nowMs() - (request.olderThanDays ?? Number.NaN) * 86_400_000;
        if (!Number.isFinite(cutoff)) throw new InputError('purge: give before or olderThanDays');
        return { purged: await (await scheduler()).purge(cutoff) };
      },
    },
    scheduler: {
      status: async () => schedulerView(await (await scheduler()).status()),
      pause: async (body) => schedulerView(await (await scheduler()).pause(body?.reason)),
      resume: async () => schedulerView(await (await scheduler()).resume()),
      replan: async () => replanView(await (await scheduler()).replan({ nowMs: nowMs() })),
    },
    reports: {
      async get(query = {}) {
        const q: ReportQuery = { groupBy: query.groupBy ?? 'none' };
        if (query.from) q.fromMs = parseIsoMs(query.from, 'from');
        if (query.to) q.toMs = parseIsoMs(query.to, 'to');
        if (query.zone) q.zone = query.zone;
        if (query.tag) q.tag = query.tag;
        if (query.tz) q.timeZone = assertTimeZone(query.tz, 'tz');
        return reportView(await (await scheduler()).report(q));
      },
    },
    audit: {
      async list(query = {}) {
        const limit = query.limit ?? 100;
        const rows = await (await scheduler()).decisions({ ...query, limit: limit + 1 });
        const page = rows.slice(0, limit);
        return {
          decisions: page.map(decisionView),
          nextAfterSeq: rows.length > limit ? page[page.length - 1].seq : null,
        };
      },
      async *export(query = {}) {
        for await (const d of readDecisions(store, query)) yield decisionView(d);
      },
      verify: () => verifyAuditChain(store),
    },
    tokens: {
      list: async () => ({ tokens: (await listTokens(store)).map(tokenView) }),
      async create(token) {
        const created = await createToken(store, { ...token, nowMs: nowMs() });
        return { token: tokenView(created.token), secret: created.secret };
      },
      async revoke(id) {
        if (!(await revokeToken(store, id, { nowMs: nowMs() }))) throw new NotFoundError('live token', id);
      },
    },
    async close() {
      if (opened) {
        const { scheduler: s, queue } = await opened.catch(() => ({ scheduler: null, queue: null }));
        await s?.close().catch(() => {});
        await queue?.stop({ graceful: false, timeoutMs: 1000 }).catch(() => {});
      }
      await store.close();
    },
  };
}

/**
 * Errors as the CLI reports them: what the user must fix (an unknown load, a state that does not allow the
 * action, a refused token, bad input the server named) is an InputError (exit code 2); a server that does
 * not answer says which and why.
 */
export function explainError(
  err: unknown,
  access: Pick<SchedulerAccess, 'where' | 'kind' | 'server'>,
): unknown {
  if (err instanceof NotFoundError || err instanceof ConflictError) return new InputError(err.message);
  if (err instanceof GridshiftConnectionError) {
    const hint =
      access.server?.pid !== undefined
        ? ' (it is listed in server.json but does not answer; is it still starting, or stuck?)'
        : ' (is `gridshift serve` running there?)';
    return new Error(`${err.message}${hint}`, { cause: err });
  }
  if (err instanceof GridshiftApiError) {
    const detail = err.problem.detail ?? err.problem.title;
    if (err.status === 401 || err.status === 403) {
      // a local server gives this machine admin access, unless GRIDSHIFT_TOKEN overrides it
      const fix =
        access.server?.pid !== undefined && access.server.envToken
          ? 'GRIDSHIFT_TOKEN is set and is sent instead of the local access server.json gives: unset it, or ' +
            'set it to a token with the needed scope'
          : 'set GRIDSHIFT_TOKEN to a token with the needed scope (create one with `gridshift token create`)';
      return new InputError(`${access.where} refused the request: ${detail}; ${fix}`);
    }
    if (err.status >= 400 && err.status < 500) return new InputError(detail);
    return new Error(`${access.where} failed: ${err.status} ${err.problem.title}: ${detail}`, { cause: err });
  }
  return err;
}
