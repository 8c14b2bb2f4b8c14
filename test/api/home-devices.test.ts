import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { saveStateBefore } from '../../src/store/devices.ts';
import type { TokenScope } from '../../src/store/tokens.ts';
import { describeEachStore } from '../store/backends.ts';
import { bearer, NOW, testRegistry, tokensFor } from './helpers.ts';

const plug = {
  name: 'washer',
  kind: 'washer',
  adapter: { type: 'mqtt', convention: 'tasmota', topic: 'tasmota_washer' },
  ratedPowerW: 2100,
  action: 'delay_start',
  runMin: 120,
  protectedWindows: ['22:00-06:00'],
};

describeEachStore('/v1/home/devices', (suite) => {
  let app: FastifyInstance;
  let tokens: Record<TokenScope, string>;
  beforeAll(async () => {
    tokens = await tokensFor(suite.db);
    app = await buildServer({ registry: testRegistry(), store: suite.db, now: () => NOW, logger: false });
  });
  afterAll(() => app?.close());

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    scope: TokenScope | null,
    body?: unknown,
  ) =>
    app.inject({
      method,
      url,
      headers: scope ? bearer(tokens[scope]) : {},
      ...(body !== undefined && { payload: body as object }),
    });

  it('adds, lists, reads by name and id, changes and removes a device (admin for writes)', async () => {
    const created = await call('POST', '/v1/home/devices', 'admin', plug);
    expect(created.statusCode).toBe(201);
    const device = created.json().device;
    expect(device).toEqual({
      ...plug,
      id: device.id,
      delegated: false,
      limitPct: null,
      ecoMode: null,
      stateBefore: null,
      override: null,
      createdAt: '2025-01-15T06:20:00Z',
      updatedAt: '2025-01-15T06:20:00Z',
    });
    expect((await call('GET', '/v1/home/devices', 'read')).json().devices).toEqual([device]);
    expect((await call('GET', '/v1/home/devices/washer', 'read')).json().device).toEqual(device);
    expect((await call('GET', `/v1/home/devices/${device.id}`, 'read')).json().device).toEqual(device);

    const changed = await call('PATCH', '/v1/home/devices/washer', 'admin', { delegated: true, runMin: 95 });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().device).toMatchObject({ delegated: true, runMin: 95, name: 'washer' });

    await saveStateBefore(suite.db, device.id, { on: true, action: 'delay_start' }, { nowMs: NOW });
    expect((await call('GET', '/v1/home/devices/washer', 'read')).json().device.stateBefore).toEqual({
      on: true,
      action: 'delay_start',
      savedAt: '2025-01-15T06:20:00Z',
    });

    expect((await call('DELETE', '/v1/home/devices/washer', 'admin')).statusCode).toBe(204);
    const gone = await call('GET', '/v1/home/devices/washer', 'read');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().detail).toBe('device "washer" not found');
  });

  it('needs a token to read and the admin scope to write', async () => {
    expect((await call('GET', '/v1/home/devices', null)).statusCode).toBe(401);
    expect((await call('POST', '/v1/home/devices', 'write', plug)).statusCode).toBe(403);
    expect((await call('DELETE', '/v1/home/devices/washer', 'read')).statusCode).toBe(403);
    expect((await call('GET', '/v1/home/devices', 'read')).json().devices).toEqual([]);
  });

  it('answers 400 naming the field, 409 for a name taken, 404 for an unknown device', async () => {
    const bad = await call('POST', '/v1/home/devices', 'admin', {
      ...plug,
      protectedWindows: ['25:00-06:00'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body.protectedWindows.0');
    const missing = await call('POST', '/v1/home/devices', 'admin', { ...plug, runMin: undefined });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().detail).toContain('delay_start needs runMin');
    const secret = await call('POST', '/v1/home/devices', 'admin', {
      ...plug,
      adapter: { type: 'mqtt', convention: 'tasmota', topic: 't', url: 'mqtt://user:pw@broker:1883' },
    });
    expect(secret.statusCode).toBe(400);
    expect(secret.json().detail).toContain('must not hold a user or password');

    expect((await call('POST', '/v1/home/devices', 'admin', plug)).statusCode).toBe(201);
    const dup = await call('POST', '/v1/home/devices', 'admin', plug);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().detail).toBe('a device named "washer" exists already');
    const patch = await call('PATCH', '/v1/home/devices/washer', 'admin', { action: 'limit_power' });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().detail).toBe('limitPct: limit_power needs limitPct (0-100)');
    expect((await call('PATCH', '/v1/home/devices/dryer', 'admin', { delegated: true })).statusCode).toBe(
      404,
    );
    expect((await call('DELETE', '/v1/home/devices/dryer', 'admin')).statusCode).toBe(404);
    expect((await call('DELETE', '/v1/home/devices/washer', 'admin')).statusCode).toBe(204);
  });

  it('lets the household override a device, by default for an hour without a home, and clear it by hand', async () => {
    await call('POST', '/v1/home/devices', 'admin', { ...plug, name: 'dryer', delegated: true });
    await saveStateBefore(suite.db, (await call('GET', '/v1/home/devices/dryer', 'read')).json().device.id, {
      on: true,
      action: 'delay_start',
    });
    const set = await call('POST', '/v1/home/devices/dryer/override', 'write', { reason: 'laundry now' });
    expect(set.statusCode).toBe(200);
    // held until then: the household decides now, so the hold is forgotten
    expect(set.json().device).toMatchObject({
      override: { until: '2025-01-15T07:20:00Z', reason: 'laundry now' },
      stateBefore: null,
    });
    const until = await call('POST', '/v1/home/devices/dryer/override', 'write', {
      until: '2025-01-15T09:00:00+01:00',
    });
    expect(until.json().device.override.until).toBe('2025-01-15T08:00:00Z');
    const past = await call('POST', '/v1/home/devices/dryer/override', 'write', {
      until: '2025-01-15T06:00:00Z',
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().detail).toMatch(/^body\.until: .* is not in the future/);
    expect((await call('POST', '/v1/home/devices/dryer/override', 'read', {})).statusCode).toBe(403);
    const cleared = await call('DELETE', '/v1/home/devices/dryer/override', 'write');
    expect(cleared.json().device.override).toBeNull();
  });
});
