import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounting } from '../../src/accounting/ledger.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { type RunningService, startService } from '../../src/runner/process.ts';
import {
  type PrivatePostgres,
  privatePostgresUnavailable,
  startPrivatePostgres,
} from '../store/private-postgres.ts';
import { isGone, isRunning } from './dispatch/helpers.ts';
import { tableRegistry, tableSource, waitFor } from './helpers.ts';

/**
 * A worker whose database goes away (a private PostgreSQL server, stopped) cannot renew its heartbeat: once
 * none got through for the lost-after time less one interval, it stops its running command, since other
 * workers would take it for lost and retry the load. When the database is back it records why.
 */

const skip = privatePostgresUnavailable !== null && !process.env.CI;
if (privatePostgresUnavailable) console.warn(`cut-off test: ${privatePostgresUnavailable}`);

let db: PrivatePostgres;
let service: RunningService | undefined;
const dir = mkdtempSync(join(tmpdir(), 'gridshift-cutoff-'));

beforeAll(async () => {
  if (!skip) db = await startPrivatePostgres();
}, 60_000);

afterAll(async () => {
  await service?.stop({ graceMs: 1000 });
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(skip)('a worker cut off from PostgreSQL', () => {
  it('stops its running command while the database is away, and records why once it is back', async () => {
    service = await startService({
      accounting: createAccounting,
      store: { databaseUrl: db.url, maxConnections: 4 },
      roles: ['api', 'worker'],
      registry: tableRegistry(tableSource((_z, t) => (t <= Date.now() ? 100 : 300))),
      handleSignals: false,
      retry: { delaySeconds: 0, backoff: false },
      worker: { heartbeatMs: 300, lostAfterMs: 2_000 },
      queue: { pollingIntervalSeconds: 0.5, onError: () => {} },
      log: () => {},
    });
    const marker = join(dir, 'first.pid');
    const now = Date.now();
    const { load } = await service.scheduler.submit({
      name: 'cut off',
      zones: ['DE'],
      durationMin: 60,
      powerKw: 1,
      earliest: new Date(now + 500).toISOString(),
      deadline: new Date(now + 3 * HOUR_MS).toISOString(),
      dispatch: {
        kind: 'shell',
        command: `if [ "$GRIDSHIFT_ATTEMPT" = 1 ]; then echo $$ > ${marker}; exec sleep 600; fi`,
      },
    });
    await waitFor(
      () => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n'),
      'the first attempt',
    );
    const command = Number(readFileSync(marker, 'utf8'));
    expect(isRunning(command)).toBe(true);

    await db.stop();
    // stopped while the database is still away
    expect(await isGone(command, 15_000)).toBe(true);
    await db.start();

    const done = await waitFor(
      async () => {
        const d = await service?.scheduler.get(load.id);
        return d?.load.state === 'succeeded' ? d : undefined;
      },
      'the load to be retried and succeed',
      60_000,
    );
    const failed = done.events.find((e) => e.to === 'failed');
    expect(failed?.detail).toMatchObject({
      error: 'worker cut off from the database: stopped, to be retried by another worker',
      attempt: 1,
    });
    // not the load's fault: not counted against its retries
    expect(done.load).toMatchObject({ attempt: 2, failures: 0 });
  }, 120_000);
});
