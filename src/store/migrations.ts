import type { Db } from './db.ts';
import { MIGRATIONS, type Migration, SCHEMA_VERSION } from './schema.ts';
import * as sql from './sql.ts';

/** The database was written by a newer gridshift than this one; running on it could corrupt it. */
export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
  readonly databaseVersion: number;
  readonly knownVersion: number;
  constructor(schema: string, databaseVersion: number, knownVersion: number) {
    super(
      `database schema "${schema}" is at version ${databaseVersion}, but this gridshift knows versions up to ` +
        `${knownVersion}: upgrade gridshift, or point it at another database or data directory`,
    );
    this.databaseVersion = databaseVersion;
    this.knownVersion = knownVersion;
  }
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

/**
 * Brings the schema up to the newest version this build knows, in one transaction. An advisory lock
 * (keyed by the schema name) makes concurrent starters on one PostgreSQL wait for each other instead of
 * racing; the second finds the work done. A newer database version is refused with SchemaVersionError.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  assertOrdered(migrations);
  const known = migrations.length ? migrations[migrations.length - 1].version : 0;
  return db.transaction(async (tx) => {
    await tx.query(sql.migrationLock(), [`gridshift.migrate:${db.schema}`]);
    await tx.exec(sql.createSchemaTable(db.schema));
    const from = await readVersion(tx);
    if (from > known) throw new SchemaVersionError(db.schema, from, known);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      await tx.exec(`SET LOCAL search_path TO "${db.schema}";\n${m.sql}`);
      await tx.query(sql.recordMigration(db.schema), [m.version, m.name, new Date()]);
      applied.push(m.version);
    }
    await tx.exec('SET LOCAL search_path TO DEFAULT');
    return { from, to: Math.max(from, known), applied };
  });
}

/** The schema version of the database (0 when gridshift never ran on it). */
export async function schemaVersion(db: Db): Promise<number> {
  const [row] = await db.query<{ exists: boolean }>(sql.schemaTableExists(), [db.schema]);
  if (!row?.exists) return 0;
  return readVersion(db);
}

async function readVersion(db: Db): Promise<number> {
  const [row] = await db.query<{ version: number | string | null }>(sql.currentVersion(db.schema));
  return row?.version == null ? 0 : Number(row.version);
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration list out of order: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
  });
}

export { SCHEMA_VERSION };
