import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows } from '../../src/api/plugins/auth.ts';
import { buildServer } from '../../src/api/server.ts';
import type { Store } from '../../src/store/db.ts';
import { createToken, revokeToken } from '../../src/store/tokens.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, NOW, testRegistry, tokensFor } from './helpers.ts';

/** Bearer tokens and scopes, open read access, public routes, and secrets kept out of the logs. */

let backend: TestBackend;
let store: Store;
let tokens: Awaited<ReturnType<typeof tokensFor>>;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await backend?.cleanup();
});

async function server(extra: Partial<Parameters<typeof buildServer>[0]> = {}) {
  const app = await buildServer({ registry: testRegistry(), store, now: () => NOW, logger: false, ...extra });
  apps.push(app);
  return app;
}

describe('scopes', () => {
  it('nest: admin includes write and read, write includes read', () => {
    expect(allows(['admin'], 'read')).toBe(true);
    expect(allows(['admin'], 'write')).toBe(true);
    expect(allows(['write'], 'read')).toBe(true);
    expect(allows(['write'], 'admin')).toBe(false);
    expect(allows(['read'], 'write')).toBe(false);
    expect(allows(['read', 'write'], 'admin')).toBe(false);
  });
});

describe('bearer tokens', () => {
  it('answers 401 with a Bearer challenge without a token', async () => {
    const app = await server();
    const r = await app.inject({ url: '/v1/zones' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="gridshift"');
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.json()).toMatchObject({ type: 'urn:gridshift:problem:unauthorized', status: 401 });
  });

  it('answers 401 invalid_token for an unknown, revoked or malformed token, without echoing it', async () => {
    const app = await server({ auth: { tokenCacheMs: 0 } });
    const unknown = await app.inject({ url: '/v1/zones', headers: bearer('gs_not-a-real-token') });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(unknown.body).not.toContain('gs_not-a-real-token');
    const basic = await app.inject({ url: '/v1/zones', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.statusCode).toBe(401);
    expect(basic.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    const { token, secret } = await createToken(store, { name: 'soon revoked', scopes: ['read'] });
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(200);
    await revokeToken(store, token.id);
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(401);
  });

  it('answers 403 naming the missing scope', async () => {
    const app = await server();
    const r = await app.inject({ url: '/v1/tokens', headers: bearer(tokens.write) });
    expect(r.statusCode).toBe(403);
    expect(r.headers['www-authenticate']).toMatch(/error="insufficient_scope", scope="admin"/);
    expect(r.json().detail).toMatch(/admin scope/);
    const write = await app.inject({
      method: 'POST',
      url: '/v1/scheduler/pause',
      headers: bearer(tokens.read),
      payload: {},
    });
    expect(write.statusCode).toBe(403);
  });

  it('lets each scope reach its routes and the wider scopes reach the narrower ones', async () => {
    const app = await server();
    for (const secret of [tokens.read, tokens.write, tokens.admin])
      expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/tokens', headers: bearer(tokens.admin) })).statusCode).toBe(200);
  });

  it('keeps /healthz, /readyz, /openapi.json, /docs and (by default) /metrics public', async () => {
    const app = await server();
    for (const url of ['/healthz', '/readyz', '/openapi.json', '/metrics']) {
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
    const docs = await app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    expect((await app.inject({ url: '/docs/json' })).statusCode).toBe(200);
  });

  it('protects /metrics with a read token when configured', async () => {
    const app = await server({ auth: { metrics: 'read' } });
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: bearer(tokens.read) })).statusCode).toBe(200);
  });
});

describe('token cache', () => {
  it('reuses a successful check for tokenCacheMs, then asks the store again', async () => {
    let nowMs = NOW;
    const app = await server({ auth: { tokenCacheMs: 60_000 }, now: () => nowMs });
    const { token, secret } = await createToken(store, { name: 'cached', scopes: ['read'] });
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(200);
    await revokeToken(store, token.id);
    nowMs += 30_000;
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(200);
    nowMs += 31_000;
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(401);
  });

  it('keeps a check for 5 s by default; a token revoked through this API is refused at once', async () => {
    let nowMs = NOW;
    const app = await server({ now: () => nowMs });
    const elsewhere = await createToken(store, { name: 'revoked elsewhere', scopes: ['read'] });
    expect((await app.inject({ url: '/v1/zones', headers: bearer(elsewhere.secret) })).statusCode).toBe(200);
    await revokeToken(store, elsewhere.token.id); // another process: this one learns it when its check expires
    nowMs += 4_999;
    expect((await app.inject({ url: '/v1/zones', headers: bearer(elsewhere.secret) })).statusCode).toBe(200);
    nowMs += 2;
    expect((await app.inject({ url: '/v1/zones', headers: bearer(elsewhere.secret) })).statusCode).toBe(401);

    const here = await createToken(store, { name: 'revoked here', scopes: ['read'] });
    expect((await app.inject({ url: '/v1/zones', headers: bearer(here.secret) })).statusCode).toBe(200);
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${here.token.id}`,
      headers: bearer(tokens.admin),
    });
    expect(revoked.statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/zones', headers: bearer(here.secret) })).statusCode).toBe(401);
  });
});

describe('open read access', () => {
  it('is off unless configured', async () => {
    const app = await server();
    expect((await app.inject({ url: '/v1/signals/DE' })).statusCode).toBe(401);
  });

  it('serves read routes without a token, never writes or admin routes', async () => {
    const app = await server({ auth: { openRead: true } });
    expect((await app.inject({ url: '/v1/signals/DE?hours=2' })).statusCode).toBe(200);
    const submit = await app.inject({ method: 'POST', url: '/v1/loads', payload: {} });
    expect(submit.statusCode).toBe(401);
    const pause = await app.inject({ method: 'POST', url: '/v1/scheduler/pause', payload: {} });
    expect(pause.statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/tokens' })).statusCode).toBe(401);
  });

  it('still refuses a bad token on a read route', async () => {
    const app = await server({ auth: { openRead: true } });
    expect((await app.inject({ url: '/v1/zones', headers: bearer('gs_wrong') })).statusCode).toBe(401);
  });
});

describe('token management', () => {
  it('creates a token whose secret works once shown, lists it without the secret, and revokes it', async () => {
    const app = await server();
    const created = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(tokens.admin),
      payload: { name: 'ci', scopes: ['write'] },
    });
    expect(created.statusCode).toBe(201);
    const { token, secret } = created.json();
    expect(secret).toMatch(/^gs_/);
    expect(token).toMatchObject({ name: 'ci', scopes: ['write'], revokedAt: null });
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(200);
    const list = await app.inject({ url: '/v1/tokens', headers: bearer(tokens.admin) });
    expect(list.body).not.toContain(secret);
    expect(list.json().tokens.find((t: { id: string }) => t.id === token.id).lastUsedAt).not.toBeNull();
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${token.id}`,
      headers: bearer(tokens.admin),
    });
    expect(revoked.statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/zones', headers: bearer(secret) })).statusCode).toBe(401);
    const again = await app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${token.id}`,
      headers: bearer(tokens.admin),
    });
    expect(again.statusCode).toBe(404);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(tokens.admin),
      payload: { name: 'x', scopes: ['root'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body.scopes.0');
  });
});

describe('logs', () => {
  it('redact the Authorization header and never contain a token secret', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await server({ logger: { level: 'trace', stream } });
    await app.inject({ url: '/v1/zones', headers: bearer(tokens.read) });
    await app.inject({ url: '/v1/zones', headers: bearer('gs_wrong-secret-value') });
    const created = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { ...bearer(tokens.admin), cookie: 'session=cookie-secret' },
      payload: { name: 'logged', scopes: ['read'] },
    });
    const newSecret = created.json().secret as string;
    const log = lines.join('');
    expect(log).toContain('"url":"/v1/zones"');
    expect(log).toContain('"authorization":"[redacted]"');
    expect(log).toContain('"cookie":"[redacted]"');
    expect(log).toContain('API token created');
    for (const secret of [tokens.read, tokens.admin, 'gs_wrong-secret-value', newSecret, 'cookie-secret'])
      expect(log).not.toContain(secret);
  });
});
