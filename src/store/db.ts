import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { InputError } from '../core/errors.ts';
import { isProcessAlive } from '../core/pid.ts';
import { migrate } from './migrations.ts';
import * as sql from './sql.ts';

/** One row as the driver returns it. */
export type Row = Record<string, unknown>;

/**
 * The one database interface the rest of gridshift uses, the same over the embedded store (PGlite) and
 * PostgreSQL. SQL comes from src/store/sql.ts; every table is qualified with `schema`.
 */
export interface Db {
  readonly kind: 'embedded' | 'postgres';
  /** the PostgreSQL schema holding gridshift's tables (validated identifier, unquoted) */
  readonly schema: string;
  /** one statement with `$1 ...` parameters; returns its rows */
  query<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** several statements, no parameters (migrations, DDL) */
  exec(sql: string): Promise<void>;
  /** runs `fn` in one transaction; commits when it resolves, rolls back when it throws. Nested calls join the outer one. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Sends `payload` (at most 8000 bytes) on `channel`: every listener on the database, in every process,
   * receives it. Inside a transaction it is sent when the transaction commits, and not at all on rollback.
   */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Calls `onNotify` with the payload of each notification on `channel` until the returned function is
   * called. On PostgreSQL one dedicated connection per store listens; when the server drops it, it
   * reconnects (backing off to 5 s) and listens again, then calls `onReconnect`: notifications sent while
   * it was away are lost, so a listener that cares re-reads what it follows.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    options?: { onReconnect?: () => void },
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The embedded store: PGlite persisted in a data directory. One process at a time owns it. */
export interface EmbeddedDb extends Db {
  readonly kind: 'embedded';
  readonly dataDir: string;
  /** the PGlite instance, for pg-boss's PGlite adapter; everything else goes through `query`/`exec` */
  readonly pglite: PGlite;
}

/** PostgreSQL through a pg Pool. Any number of processes may share it. */
export interface PostgresDb extends Db {
  readonly kind: 'postgres';
  readonly databaseUrl: string;
}

export type Store = EmbeddedDb | PostgresDb;

interface CommonOptions {
  /** schema for gridshift's tables (default `gridshift`); tests use one schema each on a shared database */
  schema?: string;
  /** apply pending migrations on open (default true) */
  migrate?: boolean;
}
export interface EmbeddedOptions extends CommonOptions {
  /** directory for the embedded database; default `defaultDataDir()` */
  dataDir?: string;
}
export interface PostgresOptions extends CommonOptions {
  databaseUrl: string;
  /** pool size (default 10) */
  maxConnections?: number;
  /** shown in pg_stat_activity (default gridshift) */
  applicationName?: string;
  /** retries of a statement whose connection the server dropped before running it (default 3) */
  reconnectRetries?: number;
  /** told about connection errors the pool recovers from by itself (idle clients killed by a restart) */
  onConnectionError?: (err: Error) => void;
}
export type StoreOptions = EmbeddedOptions | PostgresOptions;

export const DEFAULT_SCHEMA = 'gridshift';

/** PostgreSQL's limit on a notification payload, in bytes. */
export const MAX_NOTIFY_BYTES = 8000;

/** Names spliced into SQL must be plain lower-case identifiers; `field` names the option in the error. */
function assertIdentifier(field: string, name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new InputError(
      `${field}: "${name}" is not a plain identifier (a-z, 0-9, _; at most 63 characters)`,
    );
  }
  return name;
}

/** Channels are spliced into LISTEN statements. */
function assertChannel(channel: string): string {
  return assertIdentifier('channel', channel);
}

function assertPayload(payload: string): string {
  if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) {
    throw new InputError(
      `payload: ${Buffer.byteLength(payload)} bytes is more than a notification holds (${MAX_NOTIFY_BYTES})`,
    );
  }
  return payload;
}

/**
 * Where gridshift keeps its data when no `--data-dir` is given:
 * Linux and others `$XDG_DATA_HOME/gridshift` or `~/.local/share/gridshift`;
 * macOS `~/Library/Application Support/gridshift`; Windows `%LOCALAPPDATA%\gridshift`.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA?.trim();
    return join(local ? local : join(home, 'AppData', 'Local'), 'gridshift');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'gridshift');
  const xdg = env.XDG_DATA_HOME?.trim();
  return join(xdg ? xdg : join(home, '.local', 'share'), 'gridshift');
}

/** Schema names are spliced into SQL, so only plain lower-case identifiers are accepted. */
export function assertSchemaName(schema: string): string {
  return assertIdentifier('schema', schema);
}

/**
 * Opens the store: PostgreSQL when `databaseUrl` is given, else the embedded database in `dataDir`.
 * Pending migrations are applied before it is returned; a database whose schema is newer than this
 * build knows is refused (SchemaVersionError).
 */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const schema = assertSchemaName(options.schema ?? DEFAULT_SCHEMA);
  const db = 'databaseUrl' in options ? openPostgres(options, schema) : await openEmbedded(options, schema);
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      if (db.kind === 'postgres' && isReconnectable(err)) {
        throw new Error(
          `cannot reach PostgreSQL at ${redactUrl(db.databaseUrl)}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }
  return db;
}

/** A connection string fit for messages and logs: the password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** The store the environment asks for: `DATABASE_URL` selects PostgreSQL, else the embedded store in `dataDir`. */
export function storeOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  extra: { dataDir?: string; schema?: string } = {},
): StoreOptions {
  const url = env.DATABASE_URL?.trim();
  if (url) return { databaseUrl: url, schema: extra.schema };
  return { dataDir: extra.dataDir, schema: extra.schema };
}

// ---------------------------------------------------------------------------------------------------
// Embedded: PGlite

async function openEmbedded(options: EmbeddedOptions, schema: string): Promise<EmbeddedDb> {
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    // The database lives in a subfolder so the data directory can hold other files next to it.
    pglite = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
  } catch (err) {
    releaseLock();
    throw err;
  }
  const make = (target: Pick<PGlite, 'query' | 'exec'>, inTx: boolean): EmbeddedDb => {
    const db: EmbeddedDb = {
      kind: 'embedded',
      schema,
      dataDir,
      pglite,
      async query<T>(sql: string, params: unknown[] = []) {
        const result = await target.query<T>(sql, params);
        return result.rows;
      },
      async exec(sql: string) {
        await target.exec(sql);
      },
      async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
        if (inTx) return fn(db);
        return pglite.transaction((tx) => fn(make(tx, true)));
      },
      async notify(channel: string, payload: string) {
        await target.query(sql.notify(), [assertChannel(channel), assertPayload(payload)]);
      },
      async listen(channel: string, onNotify: (payload: string) => void) {
        if (inTx) throw new Error('listen() called inside a transaction');
        const unlisten = await pglite.listen(assertChannel(channel), onNotify);
        return async () => {
          if (!pglite.closed) await unlisten();
        };
      },
      async close() {
        if (inTx) throw new Error('close() called inside a transaction');
        try {
          if (!pglite.closed) await pglite.close();
        } finally {
          releaseLock();
        }
      },
    };
    return db;
  };
  return make(pglite, false);
}

/**
 * PGlite has no guard against two processes opening one data directory (which corrupts it), so a lock
 * file with the owner's pid is taken here. A lock left by a dead process is taken over.
 */
/** Lock files this process holds: one naming this process's id but not held here is an earlier run's. */
const heldLocks = new Set<string>();

function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'gridshift.lock');
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldLocks.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldLocks.delete(path);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      // a lock naming this process's id that it does not hold was left by an earlier run given the same id
      // (a container restarted after a kill: every run is process 1)
      const live = owner === process.pid ? heldLocks.has(path) : owner > 0 && isProcessAlive(owner);
      if (Number.isInteger(owner) && live) {
        throw new InputError(
          `data directory ${dataDir} is in use by process ${owner}; the embedded store serves one process ` +
            '(run API and workers in one `gridshift serve`, or set DATABASE_URL to share PostgreSQL)',
        );
      }
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not lock data directory ${dataDir}`);
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL: pg Pool

/**
 * Errors after which the statement certainly did not run, so running it again is safe:
 * the connection could not be made, or the server ended the session (restart, pg_terminate_backend)
 * which aborts whatever that session had in progress.
 */
export function isReconnectable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code === '57P01' || e.code === '57P02' || e.code === '57P03') return true; // admin/crash shutdown, starting up
  if (
    e.code === 'ECONNREFUSED' ||
    e.code === 'ECONNRESET' ||
    e.code === 'ENOTFOUND' ||
    e.code === 'EAI_AGAIN'
  ) {
    return true;
  }
  return /not queryable|Connection terminated due to connection timeout/.test(e.message ?? '');
}

/**
 * Errors of a connection lost or not to be had: the reconnectable ones, and a session that ended while a
 * statement was in flight (that statement may or may not have run).
 */
export function isConnectionLost(err: unknown): boolean {
  if (isReconnectable(err)) return true;
  const message = (err as { message?: string } | null)?.message ?? '';
  return /Connection terminated|connection error|terminating connection/i.test(message);
}

/**
 * Runs `fn` again while the database cannot be reached (a restart, a failover), waiting 0.5 s, 1 s, 2 s, ...
 * (at most 5 s) between tries, until `untilMs` or until `signal` aborts; then the last error is thrown. Only
 * for work that is safe to repeat after a lost connection, such as a state change guarded by the state it
 * expects.
 */
export async function retryWhileUnreachable<T>(
  fn: () => Promise<T>,
  options: { untilMs: number; now?: () => number; signal?: AbortSignal; onRetry?: (err: Error) => void },
): Promise<T> {
  const now = options.now ?? Date.now;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const waitMs = Math.min(5000, 500 * 2 ** attempt);
      const giveUp = () => options.signal?.aborted === true || now() + waitMs > options.untilMs;
      if (!isConnectionLost(err) || giveUp()) throw err;
      options.onRetry?.(err as Error);
      await new Promise((r) => setTimeout(r, waitMs));
      if (options.signal?.aborted) throw err;
    }
  }
}

function openPostgres(options: PostgresOptions, schema: string): PostgresDb {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    keepAlive: true,
    application_name: options.applicationName ?? 'gridshift',
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would end the
  // process. pg drops the client, so the next checkout opens a fresh connection.
  pool.on('error', (err) => options.onConnectionError?.(err));
  const retries = options.reconnectRetries ?? 3;

  const withReconnect = async <T>(run: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt >= retries || !isReconnectable(err)) throw err;
        options.onConnectionError?.(err as Error);
        await new Promise((r) => setTimeout(r, 100 * 4 ** attempt));
      }
    }
  };

  const onClient = (client: pg.PoolClient): PostgresDb => {
    const db: PostgresDb = {
      kind: 'postgres',
      schema,
      databaseUrl: options.databaseUrl,
      async query<T>(sql: string, params: unknown[] = []) {
        const result = await client.query(sql, params);
        return result.rows as T[];
      },
      async exec(sql: string) {
        await client.query(sql);
      },
      async transaction<T>(fn: (tx: Db) => Promise<T>) {
        return fn(db);
      },
      async notify(channel: string, payload: string) {
        await client.query(sql.notify(), [assertChannel(channel), assertPayload(payload)]);
      },
      async listen() {
        throw new Error('listen() called inside a transaction');
      },
      async close() {
        throw new Error('close() called inside a transaction');
      },
    };
    return db;
  };
  const listener = createListener(options);

  let closed = false;
  return {
    kind: 'postgres',
    schema,
    databaseUrl: options.databaseUrl,
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await withReconnect(() => pool.query(sql, params));
      return result.rows as T[];
    },
    async exec(sql: string) {
      await withReconnect(() => pool.query(sql));
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      // Only getting the connection and BEGIN are retried: once the body ran, an error belongs to the caller.
      const client = await withReconnect(async () => {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          return c;
        } catch (err) {
          c.release(err as Error);
          throw err;
        }
      });
      let broken: Error | undefined;
      try {
        const result = await fn(onClient(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error; // the connection is gone: do not return it to the pool
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async notify(channel: string, payload: string) {
      await withReconnect(() => pool.query(sql.notify(), [assertChannel(channel), assertPayload(payload)]));
    },
    listen(channel, onNotify, listenOptions = {}) {
      return listener.listen(assertChannel(channel), onNotify, listenOptions.onReconnect);
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await pool.end();
    },
  };
}

interface Subscriber {
  onNotify: (payload: string) => void;
  onReconnect?: () => void;
}

/**
 * LISTEN on one dedicated connection (a pooled one would be handed to other work). When the server drops
 * it, it reconnects with backoff (100 ms doubling to 5 s), listens on every channel again and tells the
 * subscribers, who may have missed notifications meanwhile.
 */
function createListener(options: PostgresOptions) {
  const channels = new Map<string, Set<Subscriber>>();
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let delayMs = 100;
  let closed = false;

  const connect = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: options.databaseUrl,
        keepAlive: true,
        application_name: `${options.applicationName ?? 'gridshift'}-listen`,
      });
      c.on('notification', (msg) => {
        for (const sub of channels.get(msg.channel) ?? []) sub.onNotify(msg.payload ?? '');
      });
      c.on('error', (err) => {
        options.onConnectionError?.(err);
        lost(c);
      });
      c.on('end', () => lost(c));
      try {
        await c.connect();
        for (const channel of channels.keys()) await c.query(`LISTEN "${channel}"`);
      } catch (err) {
        c.end().catch(() => {});
        throw err;
      }
      if (closed) {
        await c.end().catch(() => {});
        throw new Error('the store is closed');
      }
      client = c;
      delayMs = 100;
      return c;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = null;
    c.end().catch(() => {});
    reconnectLater();
  };

  const reconnectLater = () => {
    if (closed || timer || channels.size === 0) return;
    timer = setTimeout(async () => {
      timer = undefined;
      try {
        await connect();
        for (const subs of channels.values()) for (const sub of subs) sub.onReconnect?.();
      } catch (err) {
        if (closed) return;
        options.onConnectionError?.(err as Error);
        delayMs = Math.min(delayMs * 2, 5000);
        reconnectLater();
      }
    }, delayMs);
    timer.unref();
  };

  return {
    async listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void) {
      if (closed) throw new Error('the store is closed');
      const sub: Subscriber = { onNotify, onReconnect };
      let subs = channels.get(channel);
      const first = !subs;
      if (!subs) {
        subs = new Set();
        channels.set(channel, subs);
      }
      subs.add(sub);
      try {
        const c = await connect();
        // a fresh connection listened on every channel already; LISTEN twice is harmless
        if (first) await c.query(`LISTEN "${channel}"`);
      } catch (err) {
        subs.delete(sub);
        if (subs.size === 0) channels.delete(channel);
        throw err;
      }
      return async () => {
        const set = channels.get(channel);
        if (!set?.delete(sub) || set.size > 0) return;
        channels.delete(channel);
        await client?.query(`UNLISTEN "${channel}"`).catch(() => {});
      };
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      const c = client ?? (connecting ? await connecting.catch(() => null) : null);
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
