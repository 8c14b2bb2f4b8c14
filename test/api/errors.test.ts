import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import type { Store } from '../../src/store/db.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, NOW, testRegistry, tokensFor } from './helpers.ts';

/** Problem details (RFC 9457) for bad input, oversized bodies, unknown routes; readiness. */

let backend: TestBackend;
let store: Store;
let tokens: Awaited<ReturnType<typeof tokensFor>>;
let app: FastifyInstance;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  app = await buildServer({
    registry: testRegistry(),
    store,
    now: () => NOW,
    logger: false,
    bodyLimit: 4096,
  });
});

afterAll(async () => {
  await app?.close();
  await backend?.cleanup();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: payload as string,
    headers: { ...bearer(tokens.admin), ...headers },
  });

describe('problem details', () => {
  it('name every bad field of a body, including unknown ones', async () => {
    const r = await post('/v1/decide/now', {
      zone: '',
      durationMin: 'long',
      deadline: 'tomorrow',
      color: 'red',
    });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = r.json();
    expect(body.type).toBe('urn:gridshift:problem:validation');
    expect(body.title).toBe('Bad Request');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.color',
      'body.deadline',
      'body.durationMin',
      'body.zone',
    ]);
    expect(body.detail).toContain('body.durationMin');
  });

  it('name query and path parameters', async () => {
    const q = await app.inject({ url: '/v1/signals/DE?hours=-3&metric=wind', headers: bearer(tokens.read) });
    expect(q.statusCode).toBe(400);
    expect(
      q
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['query.hours', 'query.metric']);
  });

  it('turn domain input errors into 400s naming the field', async () => {
    const r = await post('/v1/decide/now', { zone: 'atlantis' });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors).toEqual([
      { path: 'body.zone', message: expect.stringContaining('unknown zone') },
    ]);
    const past = await post('/v1/decide/now', { zone: 'DE', deadline: '2025-01-15T06:00:00Z' });
    expect(past.json().errors).toEqual([{ path: 'body.deadline', message: 'must be in the future' }]);
    const far = await post('/v1/decide/now', { zone: 'DE', deadline: '2025-02-15T06:00:00Z' });
    expect(far.json().errors).toEqual([{ path: 'body.deadline', message: 'must be within 7 days' }]);
  });

  it('answer 413 for a body over the limit, 400 for broken JSON, 415 for other media types', async () => {
    const big = await post('/v1/decide/now', { zone: 'DE', padding: 'x'.repeat(5000) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ type: 'urn:gridshift:problem:body-too-large', status: 413 });
    expect(big.json().detail).toContain('4096 bytes');
    const broken = await post('/v1/decide/now', '{"zone": "DE",', { 'content-type': 'application/json' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().detail).toBe('the body is not valid JSON');
    const text = await post('/v1/decide/now', 'zone=DE', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(text.statusCode).toBe(415);
  });

  it('answer 404 for unknown routes and 503 for scheduler routes on a server without one', async () => {
    const r = await app.inject({ url: '/v2/anything' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({
      type: 'urn:gridshift:problem:not-found',
      detail: 'no route GET /v2/anything',
    });
    const loads = await app.inject({ url: '/v1/loads', headers: bearer(tokens.read) });
    expect(loads.statusCode).toBe(503);
    expect(loads.json().detail).toMatch(/without a scheduler/);
  });

  it('keep the default limit of 1 MiB', async () => {
    const other = await buildServer({ registry: testRegistry(), store, now: () => NOW, logger: false });
    try {
      const r = await other.inject({
        method: 'POST',
        url: '/v1/decide/now',
        headers: bearer(tokens.read),
        payload: { zone: 'DE', padding: 'x'.repeat(1024 * 1024) },
      });
      expect(r.statusCode).toBe(413);
    } finally {
      await other.close();
    }
  });
});

describe('readiness', () => {
  it('is ready with a reachable, migrated store', async () => {
    const r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'store', ok: true },
        { name: 'migrations', ok: true },
      ],
    });
  });

  it('answers 503 naming the check when migrations are not applied or the store is gone', async () => {
    const unmigrated = await backend.open({ migrate: false });
    const a = await buildServer({ registry: testRegistry(), store: unmigrated, logger: false });
    try {
      const r = await a.inject({ url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json().checks).toContainEqual({
        name: 'migrations',
        ok: false,
        detail: expect.stringMatching(/version 0/),
      });
      await unmigrated.close();
      const gone = await a.inject({ url: '/readyz' });
      expect(gone.statusCode).toBe(503);
      expect(gone.json().checks[0]).toMatchObject({ name: 'store', ok: false });
      expect((await a.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await a.close();
    }
  });
});
