import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { openStore, type Store } from '../../src/store/db.ts';

/**
 * The two real backends the store and queue tests run against: PGlite in a temporary data directory,
 * and the PostgreSQL server (a fresh schema per store, dropped afterwards).
 */

export const TEST_DATABASE_URL =
  process.env.GRIDSHIFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await probe(TEST_DATABASE_URL);
/** In CI a missing PostgreSQL fails the suites; locally they are skipped with a message. */
export const skipPostgres = unreachable !== null && !process.env.CI;
if (unreachable !== null) {
  console.warn(
    `PostgreSQL at ${TEST_DATABASE_URL} is not reachable (${unreachable}): ` +
      (skipPostgres ? 'skipping the PostgreSQL suites' : 'CI is set, so the PostgreSQL suites will fail'),
  );
}

export interface TestBackend {
  kind: 'embedded' | 'postgres';
  /** a new, empty store (its own data directory or schema); migrated unless `migrate: false` */
  open(options?: { migrate?: boolean; applicationName?: string }): Promise<Store>;
  /** opens the same database/schema as `store` again (a second process would) */
  reopen(store: Store, options?: { migrate?: boolean }): Promise<Store>;
  /** closes what is still open and removes every directory and schema made by open() */
  cleanup(): Promise<void>;
}

const unique = () => randomBytes(4).toString('hex');

// initdb of a PGlite data directory takes seconds; copying a fresh one takes milliseconds. The empty
// (unmigrated) template is kept in the temp directory, keyed by the PGlite version, and shared by all test
// files; whoever builds it first renames it into place, so racing builders are harmless.
let template: Promise<string> | undefined;
function templateDir(): Promise<string> {
  template ??= (async () => {
    const pkg = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
    const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
    const dir = join(tmpdir(), `gridshift-test-pglite-${version}`);
    if (existsSync(join(dir, 'pgdata', 'PG_VERSION'))) return dir;
    const building = mkdtempSync(join(tmpdir(), 'gridshift-template-'));
    const store = await openStore({ dataDir: building, migrate: false });
    await store.close();
    try {
      renameSync(building, dir);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another file built it first
    }
    return dir;
  })();
  return template;
}

function embeddedBackend(): TestBackend {
  // made on the first open, so a backend whose suite never runs leaves nothing behind
  let root: string | undefined;
  const opened: Store[] = [];
  return {
    kind: 'embedded',
    async open(options = {}) {
      root ??= mkdtempSync(join(tmpdir(), 'gridshift-store-'));
      const dir = join(root, `db-${unique()}`);
      cpSync(await templateDir(), dir, { recursive: true });
      const store = await openStore({ dataDir: dir, migrate: options.migrate });
      opened.push(store);
      return store;
    },
    async reopen(store, options = {}) {
      if (store.kind !== 'embedded') throw new Error('not an embedded store');
      const again = await openStore({ dataDir: store.dataDir, migrate: options.migrate });
      opened.push(again);
      return again;
    },
    async cleanup() {
      for (const s of opened) await s.close().catch(() => {});
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): TestBackend {
  const opened: Store[] = [];
  const schemas = new Set<string>();
  return {
    kind: 'postgres',
    async open(options = {}) {
      if (unreachable !== null)
        throw new Error(`PostgreSQL at ${TEST_DATABASE_URL} is not reachable: ${unreachable}`);
      const schema = `t_${unique()}`;
      schemas.add(schema);
      const store = await openStore({
        databaseUrl: TEST_DATABASE_URL,
        schema,
        migrate: options.migrate,
        applicationName: options.applicationName,
        maxConnections: 5,
      });
      opened.push(store);
      return store;
    },
    async reopen(store, options = {}) {
      const again = await openStore({
        databaseUrl: TEST_DATABASE_URL,
        schema: store.schema,
        migrate: options.migrate,
        maxConnections: 5,
      });
      opened.push(again);
      return again;
    },
    async cleanup() {
      for (const s of opened) await s.close().catch(() => {});
      if (!schemas.size || unreachable !== null) return;
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        for (const s of schemas) {
          await client.query(
            `DROP SCHEMA IF EXISTS "${s}" CASCADE; DROP SCHEMA IF EXISTS "${s}_queue" CASCADE`,
          );
        }
      } finally {
        await client.end();
      }
    },
  };
}

export const BACKENDS = [
  { name: 'embedded PGlite', kind: 'embedded', make: embeddedBackend, skip: false },
  { name: 'PostgreSQL', kind: 'postgres', make: postgresBackend, skip: skipPostgres },
] as const;

/** `describe.each` over both backends; the PostgreSQL one is skipped (locally only) when the server is down. */
export function describeEachBackend(title: string, body: (backend: () => TestBackend) => void): void {
  describe.each(BACKENDS)(`${title} on $name`, ({ make, skip }) => {
    if (skip) {
      describe.skip('PostgreSQL not reachable', () => body(make));
      return;
    }
    body(make);
  });
}

/** Removes what `backend` opened once the suite's tests are done; returns it. */
export function suiteBackend(backend: TestBackend): TestBackend {
  afterAll(() => backend.cleanup());
  return backend;
}

/**
 * Ends the PostgreSQL sessions of `applicationName` (with `prefix`: of every application name starting with
 * it), as a failover or an administrator would; how many.
 */
export async function terminateSessions(
  applicationName: string,
  options: { prefix?: boolean } = {},
): Promise<number> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = options.prefix
      ? await admin.query<{ n: number }>(
          'SELECT count(pg_terminate_backend(pid))::integer AS n FROM pg_stat_activity ' +
            "WHERE application_name LIKE $1 ESCAPE '\\'",
          [`${applicationName.replace(/[\\%_]/g, '\\$&')}%`],
        )
      : await admin.query<{ n: number }>(
          'SELECT count(pg_terminate_backend(pid))::integer AS n FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
    return rows[0].n;
  } finally {
    await admin.end();
  }
}

export interface SuiteStore {
  /** the suite's backend: open more stores on it, or reopen `db` as a second process would */
  readonly backend: TestBackend;
  /** a fresh migrated store, open from the suite's first hook to its end */
  readonly db: Store;
}

/**
 * `describeEachBackend` with a fresh migrated store for the suite: opened before its tests (and before
 * hooks the body adds), closed and removed after them.
 */
export function describeEachStore(title: string, body: (suite: SuiteStore) => void): void {
  describeEachBackend(title, (make) => {
    const backend = suiteBackend(make());
    const suite = { backend } as { backend: TestBackend; db: Store };
    beforeAll(async () => {
      suite.db = await backend.open();
    });
    body(suite);
  });
}
