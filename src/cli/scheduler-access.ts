/**
 * How a CLI command reaches the scheduler: through a server's API, or directly on the store through the
 * same API built in this process (direct-access.ts). Either way the command calls the typed client and the
 * API's routes answer, so it prints the same. Which one:
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
import type { GridshiftClient } from '../client/index.ts';
import { createClient, GridshiftApiError, GridshiftConnectionError } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { ConflictError, NotFoundError } from '../runner/errors.ts';
import type { Store } from '../store/db.ts';
import type { Cli, GlobalOptions } from './context.ts';
import { directAccess } from './direct-access.ts';
import { type FoundServer, liveServer, recordedServers, SERVERS_DIR } from './server-file.ts';

/** The part of the API the CLI's service commands use. */
export type ServiceApi = Pick<
  GridshiftClient,
  'loads' | 'scheduler' | 'reports' | 'audit' | 'tokens' | 'homeDevices'
>;

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
    return directAccess(cli, globals, store, where);
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
  return directAccess(cli, globals, store, storeText);
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
    homeDevices: client.homeDevices,
    async close() {},
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
