import { expect, it } from 'vitest';
import { createLoad } from '../../src/store/loads.ts';
import {
  pauseScheduler,
  recordPlannerRun,
  resumeScheduler,
  schedulerState,
  schedulerStatus,
} from '../../src/store/scheduler.ts';
import {
  authenticateToken,
  createToken,
  hashSecret,
  listTokens,
  revokeToken,
} from '../../src/store/tokens.ts';
import { describeEachStore } from './backends.ts';

const T0 = Date.UTC(2025, 2, 3, 8, 0, 0);

describeEachStore('scheduler state and tokens', (suite) => {
  it('starts running, pauses with a reason, resumes', async () => {
    expect(await schedulerState(suite.db)).toMatchObject({
      paused: false,
      pausedMs: null,
      pausedReason: null,
    });
    const paused = await pauseScheduler(suite.db, { reason: 'grid emergency', nowMs: T0 });
    expect(paused).toMatchObject({
      paused: true,
      pausedMs: T0,
      pausedReason: 'grid emergency',
      updatedMs: T0,
    });
    // on PostgreSQL a second store (another replica) sees the same switch
    const other = suite.backend.kind === 'postgres' ? await suite.backend.reopen(suite.db) : suite.db;
    expect((await schedulerState(other)).paused).toBe(true);
    const resumed = await resumeScheduler(other, { nowMs: T0 + 60_000 });
    expect(resumed).toMatchObject({
      paused: false,
      pausedMs: null,
      pausedReason: null,
      updatedMs: T0 + 60_000,
    });
    expect((await schedulerState(suite.db)).paused).toBe(false);
  });

  it('records planner runs and reports load counts', async () => {
    await recordPlannerRun(suite.db, T0, T0 + 900_000, { nowMs: T0 });
    await createLoad(suite.db, {
      name: 'a',
      zones: ['DK1'],
      durationMin: 30,
      powerKw: 1,
      earliestMs: T0,
      deadlineMs: T0 + 1e7,
    });
    const status = await schedulerStatus(suite.db);
    expect(status).toMatchObject({ lastPlannerRunMs: T0, nextPlannerRunMs: T0 + 900_000 });
    expect(status.loads.planned).toBe(1);
    expect(status.loads.running).toBe(0);
    await recordPlannerRun(suite.db, T0 + 900_000, null);
    expect((await schedulerState(suite.db)).nextPlannerRunMs).toBeNull();
  });

  it('stores only a hash of token secrets and accepts the secret until revoked', async () => {
    const { token, secret } = await createToken(suite.db, {
      name: 'ci',
      scopes: ['read', 'write', 'read'],
      nowMs: T0,
    });
    expect(secret).toMatch(/^gs_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'ci', scopes: ['read', 'write'], createdMs: T0, lastUsedMs: null });
    const [row] = await suite.db.query<{ secret_hash: string }>(
      `SELECT secret_hash FROM "${suite.db.schema}".api_tokens`,
    );
    expect(row.secret_hash).toBe(hashSecret(secret));
    expect(row.secret_hash).not.toContain(secret.slice(3));

    const used = await authenticateToken(suite.db, secret, { nowMs: T0 + 5 });
    expect(used).toMatchObject({ id: token.id, lastUsedMs: T0 + 5 });
    // within a minute the stored stamp is not rewritten (no row write per request); after it, it is
    await authenticateToken(suite.db, secret, { nowMs: T0 + 30_000 });
    expect((await listTokens(suite.db))[0].lastUsedMs).toBe(T0 + 5);
    expect(await authenticateToken(suite.db, secret, { nowMs: T0 + 70_000 })).toMatchObject({
      lastUsedMs: T0 + 70_000,
    });
    expect((await listTokens(suite.db))[0].lastUsedMs).toBe(T0 + 70_000);
    expect(await authenticateToken(suite.db, `${secret}x`)).toBeNull();
    expect(await authenticateToken(suite.db, 'Bearer nonsense')).toBeNull();

    expect(await revokeToken(suite.db, token.id, { nowMs: T0 + 10 })).toBe(true);
    expect(await revokeToken(suite.db, token.id)).toBe(false);
    expect(await authenticateToken(suite.db, secret)).toBeNull();
    expect((await listTokens(suite.db)).map((t) => [t.name, t.revokedMs])).toEqual([['ci', T0 + 10]]);
  });

  it('refuses tokens without a name or with unknown scopes', async () => {
    await expect(createToken(suite.db, { name: '', scopes: ['read'] })).rejects.toThrow(/^name/);
    await expect(createToken(suite.db, { name: 'x', scopes: [] })).rejects.toThrow(/^scopes/);
    await expect(createToken(suite.db, { name: 'x', scopes: ['root' as never] })).rejects.toThrow(
      /^scopes: "root"/,
    );
  });
});
