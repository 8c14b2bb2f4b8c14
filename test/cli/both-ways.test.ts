import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounting } from '../../src/accounting/ledger.ts';
import { buildServer } from '../../src/api/server.ts';
import { openQueue, type Queue } from '../../src/runner/queue.ts';
import { createScheduler, type Scheduler } from '../../src/runner/scheduler.ts';
import { loadConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { tokensFor } from '../api/helpers.ts';
import { skipPostgres, TEST_DATABASE_URL } from '../store/backends.ts';
import { scratchDatabase } from '../store/scratch-database.ts';
import { CLI_FIXTURES, type Ran, runIn } from './service-helpers.ts';

/**
 * Every service command run both ways on the same PostgreSQL database, at the same instant: directly
 * (DATABASE_URL: the API built inside the command) and through a server (`GRIDSHIFT_SERVER`, an admin
 * token). The two must print the same, byte for byte once the words naming the way ("PostgreSQL at ..."
 * or "the server at ...") and the ids of loads made for the comparison are set aside, and exit the same.
 */

const NOW = Date.parse('2024-03-27T06:00:00Z');
const database = scratchDatabase('gridshift_ways', TEST_DATABASE_URL);
const DATABASE_URL = database.url;

let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let app: FastifyInstance;
let serverEnv: Record<string, string>;

beforeAll(async () => {
  if (skipPostgres) return;
  await database.create();
  store = await openStore({ databaseUrl: DATABASE_URL });
  const config = loadConfig({ cwd: CLI_FIXTURES, env: {} });
  const registry = createRegistry({ config });
  queue = await openQueue(store, { onError: () => {} });
  scheduler = createScheduler({
    accounting: createAccounting,
    store,
    queue,
    registry,
    config,
    roles: ['api'],
    now: () => NOW,
    log: () => {},
  });
  app = await buildServer({ scheduler, registry, store, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  serverEnv = {
    GRIDSHIFT_SERVER: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    GRIDSHIFT_TOKEN: (await tokensFor(store)).admin,
  };
}, 60_000);

afterAll(async () => {
  if (skipPostgres) return;
  await app?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await store?.close();
  await database.drop();
});

const direct = (args: string[]) => runIn(args, { env: { DATABASE_URL, TZ: 'UTC' }, nowMs: NOW });
const served = (args: string[]) => runIn(args, { env: { ...serverEnv, TZ: 'UTC' }, nowMs: NOW });

/** What a command printed, with the way it went and the given ids set aside. */
function comparable(r: Ran, ids: Record<string, string> = {}): Ran {
  const clean = (text: string) => {
    let out = text
      .replace(/PostgreSQL at postgres:\/\/\S+/g, '<where>')
      .replace(/the server at http:\/\/127\.0\.0\.1:\d+/g, '<where>')
      // the database's own clock stamps these, not the command's
      .replace(/"(updatedAt|stateChangedAt)": "[^"]+"/g, '"$1": "<db time>"');
    for (const [id, name] of Object.entries(ids)) out = out.replaceAll(id, name);
    return out;
  };
  return { code: r.code, stdout: clean(r.stdout), stderr: clean(r.stderr) };
}

async function bothWays(args: string[]): Promise<Ran> {
  const a = comparable(await direct(args));
  const b = comparable(await served(args));
  expect(b, args.join(' ')).toEqual(a);
  return a;
}

const load = ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--deadline', '+12h', '--no-dispatch'];

describe.skipIf(skipPostgres)('each CLI command, directly and through a server', () => {
  let id = '';

  it('plans and stores alike', async () => {
    const dry = await bothWays(['submit', '--name', 'dry', ...load, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Run dry in DE/m);
    await bothWays(['submit', '--name', 'dry', ...load, '--dry-run', '--json']);
    // a real submit makes a load each way: the same answer, but for the id
    const a = await direct(['submit', '--name', 'backup', ...load, '--tag', 'nightly', '--json']);
    const b = await served(['submit', '--name', 'backup', ...load, '--tag', 'nightly', '--json']);
    const idA = JSON.parse(a.stdout).load.id as string;
    const idB = JSON.parse(b.stdout).load.id as string;
    expect(comparable(b, { [idB]: '<id>' })).toEqual(comparable(a, { [idA]: '<id>' }));
    id = idA;
    await bothWays(['submit', '--name', 'bad', ...load, '--energy', '3kWh']);
  });

  it('lists, shows and reports alike', async () => {
    for (const args of [
      ['loads'],
      ['loads', '--tag', 'nightly', '--json'],
      ['loads', 'list', '--state', 'waiting', '--limit', '1', '--json'],
      ['loads', 'list', '--state', 'sleeping'],
      ['loads', 'show', id],
      ['loads', 'show', id, '--json'],
      ['loads', 'show', '00000000-0000-4000-8000-000000000000'],
      ['report'],
      ['report', '--group-by', 'zone', '--json'],
      // the direct way once accepted an empty period that the API refuses
      ['report', '--from', '2024-03-28', '--to', '2024-03-27'],
      ['audit', 'list', '--json'],
      ['audit', 'verify'],
    ])
      await bothWays(args);
    // status says which way answered and the roles of what answers; the rest is the same
    const status = async (run: typeof direct) => {
      const { servedBy: _by, roles: _roles, ...rest } = JSON.parse((await run(['status', '--json'])).stdout);
      return rest;
    };
    expect(await status(served)).toEqual(await status(direct));
  });

  it('acts alike', async () => {
    for (const args of [
      ['pause', '--reason', 'maintenance'],
      ['resume'],
      ['loads', 'retry', id],
      ['loads', 'purge', '--older-than', '30d'],
    ]) {
      const a = comparable(await direct(args));
      const b = comparable(await served(args));
      expect(b, args.join(' ')).toEqual(a);
    }
    // cancelling: one load each way, then again (refused alike)
    const other = JSON.parse((await direct(['submit', '--name', 'backup', ...load, '--json'])).stdout).load
      .id;
    const a = comparable(await direct(['loads', 'cancel', id, '--reason', 'not today']), { [id]: '<id>' });
    const b = comparable(await served(['loads', 'cancel', other, '--reason', 'not today']), {
      [other]: '<id>',
    });
    expect(b).toEqual(a);
    expect(a.stdout).toBe('Load <id> ("backup"): cancelled\n');
    await bothWays(['loads', 'cancel', id]);
  });
});
