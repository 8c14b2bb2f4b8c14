import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import {
  assertSchemaName,
  defaultDataDir,
  isConnectionLost,
  isReconnectable,
  openStore,
  redactUrl,
  retryWhileUnreachable,
  type Store,
  storeOptionsFromEnv,
} from '../../src/store/db.ts';
import { createLoad, getLoad } from '../../src/store/loads.ts';
import { migrate, SCHEMA_VERSION, SchemaVersionError, schemaVersion } from '../../src/store/migrations.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import {
  BACKENDS,
  describeEachBackend,
  skipPostgres,
  suiteBackend,
  TEST_DATABASE_URL,
  terminateSessions,
} from './backends.ts';

const load = {
  name: 'dishwasher',
  zones: ['NL'],
  durationMin: 120,
  powerKw: 1.2,
  earliestMs: Date.UTC(2025, 0, 1),
  deadlineMs: Date.UTC(2025, 0, 2),
};

describe('data directory and options', () => {
  it('follows each platform’s convention for the default data directory', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/ada')).toBe('/xdg/gridshift');
    expect(defaultDataDir({}, 'linux', '/home/ada')).toBe('/home/ada/.local/share/gridshift');
    expect(defaultDataDir({ XDG_DATA_HOME: '  ' }, 'freebsd', '/home/ada')).toBe(
      '/home/ada/.local/share/gridshift',
    );
    expect(defaultDataDir({}, 'darwin', '/Users/ada')).toBe(
      '/Users/ada/Library/Application Support/gridshift',
    );
    expect(
      defaultDataDir({ LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32', 'C:\\Users\\ada'),
    ).toBe(join('C:\\Users\\ada\\AppData\\Local', 'gridshift'));
  });

  it('chooses PostgreSQL when DATABASE_URL is set, else the embedded store', () => {
    expect(storeOptionsFromEnv({ DATABASE_URL: ' postgres://db/grid ' }, { dataDir: '/d' })).toEqual({
      databaseUrl: 'postgres://db/grid',
      schema: undefined,
    });
    expect(storeOptionsFromEnv({}, { dataDir: '/d' })).toEqual({ dataDir: '/d', schema: undefined });
  });

  it('accepts only plain schema names', () => {
    expect(assertSchemaName('gridshift_test1')).toBe('gridshift_test1');
    for (const bad of ['Grid', 'a-b', 'x"; DROP TABLE y; --', '1abc', '']) {
      expect(() => assertSchemaName(bad)).toThrow(InputError);
    }
    expect(() => assertSchemaName('a-b')).toThrow(
      'schema: "a-b" is not a plain identifier (a-z, 0-9, _; at most 63 characters)',
    );
  });

  it('names the server it cannot reach, without the password', async () => {
    const err = await openStore({
      databaseUrl: 'postgres://grid:s3cret@127.0.0.1:1/x',
      reconnectRetries: 0,
    }).catch((e) => e);
    expect(err.message).toMatch(/^cannot reach PostgreSQL at postgres:\/\/grid:\*\*\*@127\.0\.0\.1:1\/x: /);
    expect(err.message).not.toContain('s3cret');
    expect(redactUrl('not a url')).toBe('(unparseable DATABASE_URL)');
  });

  it('retries only errors after which the statement certainly did not run', () => {
    expect(
      isReconnectable({ code: '57P01', message: 'terminating connection due to administrator command' }),
    ).toBe(true);
    expect(isReconnectable({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).toBe(true);
    expect(isReconnectable({ code: '23505', message: 'duplicate key' })).toBe(false);
    expect(isReconnectable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isReconnectable(null)).toBe(false);
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLost({ code: '23505', message: 'duplicate key' })).toBe(false);
  });

  it('repeats work while the database is unreachable, up to a time limit; other errors at once', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    let calls = 0;
    const flaky = async () => {
      if (++calls < 3) throw refused;
      return 'stored';
    };
    const retried: string[] = [];
    const untilMs = Date.now() + 10_000;
    await expect(
      retryWhileUnreachable(flaky, { untilMs, onRetry: (e) => retried.push(e.message) }),
    ).resolves.toBe('stored');
    expect(retried).toEqual(['connect ECONNREFUSED', 'connect ECONNREFUSED']); // after 0.5 s, then 1 s

    calls = 0;
    const always = async () => {
      calls++;
      throw refused;
    };
    // the next wait (0.5 s) would pass the limit: the error is thrown after one try
    await expect(retryWhileUnreachable(always, { untilMs: Date.now() + 100 })).rejects.toBe(refused);
    expect(calls).toBe(1);

    // a shutdown whose grace is over gives up at once, and a wait under way ends with the error
    calls = 0;
    const over = new AbortController();
    over.abort();
    await expect(retryWhileUnreachable(always, { untilMs, signal: over.signal })).rejects.toBe(refused);
    expect(calls).toBe(1);
    calls = 0;
    const later = new AbortController();
    setTimeout(() => later.abort(), 100);
    await expect(retryWhileUnreachable(always, { untilMs, signal: later.signal })).rejects.toBe(refused);
    expect(calls).toBe(1);

    calls = 0;
    const bad = new Error('duplicate key');
    await expect(
      retryWhileUnreachable(
        async () => {
          calls++;
          throw bad;
        },
        { untilMs },
      ),
    ).rejects.toBe(bad);
    expect(calls).toBe(1);
  });
});

describeEachBackend('store and migrations', (make) => {
  const backend = suiteBackend(make());

  it('creates the schema on first open and does nothing on the next', async () => {
    const db = await backend.open({ migrate: false });
    expect(await schemaVersion(db)).toBe(0);
    expect(await migrate(db)).toEqual({
      from: 0,
      to: SCHEMA_VERSION,
      applied: MIGRATIONS.map((m) => m.version),
    });
    expect(await schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(await migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    const rows = await db.query<{ version: number }>(`SELECT version FROM "${db.schema}".gridshift_schema`);
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await db.close();
  });

  it('refuses a database written by a newer gridshift, naming both versions', async () => {
    const db = await backend.open();
    await db.query(`INSERT INTO "${db.schema}".gridshift_schema VALUES ($1, 'from the future', now())`, [
      SCHEMA_VERSION + 5,
    ]);
    await db.close();
    const err = await backend.reopen(db).catch((e) => e);
    expect(err).toBeInstanceOf(SchemaVersionError);
    expect(err.message).toBe(
      `database schema "${db.schema}" is at version ${SCHEMA_VERSION + 5}, but this gridshift knows versions up to ` +
        `${SCHEMA_VERSION}: upgrade gridshift, or point it at another database or data directory`,
    );
    expect(err).toMatchObject({ databaseVersion: SCHEMA_VERSION + 5, knownVersion: SCHEMA_VERSION });
  });

  it('applies a later migration, and rolls back one that fails as a whole', async () => {
    const db = await backend.open();
    const v2 = { version: SCHEMA_VERSION + 1, name: 'extra', sql: 'CREATE TABLE extra (x integer);' };
    const v3 = {
      version: SCHEMA_VERSION + 2,
      name: 'broken',
      sql: 'CREATE TABLE more (x integer); INSERT INTO extra VALUES (1); SELECT 1 / 0;',
    };
    expect((await migrate(db, [...MIGRATIONS, v2])).applied).toEqual([v2.version]);
    await expect(migrate(db, [...MIGRATIONS, v2, v3])).rejects.toThrow(/division by zero/);
    expect(await schemaVersion(db)).toBe(v2.version);
    const [row] = await db.query<{ more: string | null; n: number }>(
      `SELECT to_regclass('"${db.schema}".more')::text AS more, (SELECT count(*)::integer FROM "${db.schema}".extra) AS n`,
    );
    expect(row).toEqual({ more: null, n: 0 });
    // the failed migration left the connection usable
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await expect(migrate(db, [v2])).rejects.toThrow(/out of order/);
    await db.close();
  });

  it('commits a transaction only when its body succeeds', async () => {
    const db = await backend.open();
    await expect(
      db.transaction(async (tx) => {
        await createLoad(tx, { ...load, name: 'rolled back' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const id = await db.transaction(async (tx) => {
      // a nested transaction joins the outer one
      const created = await tx.transaction((inner) => createLoad(inner, load));
      return created.load.id;
    });
    const names = await db.query<{ name: string }>(`SELECT name FROM "${db.schema}".loads`);
    expect(names).toEqual([{ name: 'dishwasher' }]);
    expect((await getLoad(db, id))?.name).toBe('dishwasher');
    await db.close();
  });
});

describe('embedded store', () => {
  const backend = suiteBackend(BACKENDS[0].make());

  it('keeps its data across restarts and serves one process at a time', async () => {
    const db = await backend.open();
    if (db.kind !== 'embedded') throw new Error('expected embedded');
    const { load: stored } = await createLoad(db, load);
    const err = await backend.reopen(db).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`data directory .* is in use by process ${process.pid}`));
    await db.close();
    const again = await backend.reopen(db);
    expect(await getLoad(again, stored.id)).toEqual(stored);
    await again.close();
    // a lock left by a process that is gone is taken over
    writeFileSync(join(db.dataDir, 'gridshift.lock'), '2147483646\n');
    const third = await backend.reopen(db);
    expect((await getLoad(third, stored.id))?.name).toBe('dishwasher');
    await third.close();
    // and one naming this very process, which it does not hold: an earlier run given the same process id
    // (a container restarted after a kill)
    writeFileSync(join(db.dataDir, 'gridshift.lock'), `${process.pid}\n`);
    const fourth = await backend.reopen(db);
    expect((await getLoad(fourth, stored.id))?.name).toBe('dishwasher');
    // while this process holds it, a second open here is refused as before
    const twice = await backend.reopen(db).catch((e) => e);
    expect(twice.message).toMatch(new RegExp(`is in use by process ${process.pid}`));
    await fourth.close();
  });
});

describe.skipIf(skipPostgres)('PostgreSQL store', () => {
  const backend = suiteBackend(BACKENDS[1].make());

  it('lets concurrent starters migrate one schema without racing', async () => {
    const schema = `t_${randomBytes(4).toString('hex')}`;
    const opens = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        openStore({ databaseUrl: TEST_DATABASE_URL, schema, maxConnections: 2 }),
      ),
    );
    const stores = opens.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    try {
      expect(opens.filter((o) => o.status === 'rejected')).toEqual([]);
      const rows = await stores[0].query(`SELECT version FROM "${schema}".gridshift_schema`);
      expect(rows).toHaveLength(MIGRATIONS.length);
    } finally {
      for (const s of stores) await s.close();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it('reconnects after the server ends its sessions (pg_terminate_backend)', async () => {
    const applicationName = `gridshift-test-${randomBytes(4).toString('hex')}`;
    const db: Store = await backend.open({ applicationName });
    // open a few pooled connections
    await Promise.all([
      db.query('SELECT pg_sleep(0.05)'),
      db.query('SELECT pg_sleep(0.05)'),
      db.query('SELECT 1'),
    ]);
    expect(await terminateSessions(applicationName)).toBeGreaterThanOrEqual(2);
    expect(await db.query('SELECT 42 AS answer')).toEqual([{ answer: 42 }]);
    const { load: created } = await db.transaction((tx) => createLoad(tx, load));
    expect((await getLoad(db, created.id))?.id).toBe(created.id);
  });
});
