import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import type { Store } from '../../src/store/db.ts';
import type { TestBackend } from '../store/backends.ts';
import { embeddedBackend, NOW, testRegistry } from './helpers.ts';

/**
 * The dashboard's files at `/`: index.html revalidated, hashed assets immutable (and gzipped for clients
 * that take it), client-side routes answered with index.html, and nothing of the API shadowed: /v1, the
 * documents and unknown API paths answer as before. Without a build, `/` says how to make one.
 */

const INDEX = '<!doctype html><title>gridshift</title><div id="app"></div>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

let backend: TestBackend;
let dir: string;
let app: FastifyInstance;
let unbuilt: FastifyInstance;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gridshift-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), SCRIPT);
  backend = embeddedBackend();
  store = await backend.open();
  const base = { registry: testRegistry(), store, now: () => NOW, logger: false as const };
  app = await buildServer({ ...base, dashboard: { dir } });
  unbuilt = await buildServer({ ...base, dashboard: { dir: join(dir, 'missing') } });
});

afterAll(async () => {
  await app?.close();
  await unbuilt?.close();
  await backend?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard at /', () => {
  it('serves index.html at / with no-cache, without a token', async () => {
    const r = await app.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.body).toBe(INDEX);
    // the page loads from and talks to this server only, and is not framed
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('answers HEAD as GET, without a body', async () => {
    const r = await app.inject({ method: 'HEAD', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toBe('');
  });

  it('serves hashed assets as immutable, gzipped when asked', async () => {
    const plain = await app.inject({ url: '/assets/index-AbC123.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.body).toBe(SCRIPT);
    const zipped = await app.inject({
      url: '/assets/index-AbC123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(SCRIPT);
    expect(zipped.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
  });

  it('answers a page route of the client (a browser navigation) with index.html', async () => {
    const r = await app.inject({ url: '/loads?state=waiting', headers: { accept: 'text/html,*/*' } });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe(INDEX);
  });

  it('a missing asset, or a non-page request, is a 404 problem, not the page', async () => {
    const asset = await app.inject({ url: '/assets/index-Old999.js', headers: { accept: 'text/html' } });
    expect(asset.statusCode).toBe(404);
    expect(asset.headers['content-type']).toMatch(/problem\+json/);
    const json = await app.inject({ url: '/nothing-here', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
  });

  it('shadows nothing of the API: /v1 routes, unknown /v1 paths and the documents answer as before', async () => {
    const html = { accept: 'text/html' };
    const zones = await app.inject({ url: '/v1/zones', headers: html });
    expect(zones.statusCode).toBe(401);
    const unknown = await app.inject({ url: '/v1/nope', headers: html });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ title: 'Not Found', detail: 'no route GET /v1/nope' });
    const openapi = await app.inject({ url: '/openapi.json', headers: html });
    expect(openapi.headers['content-type']).toMatch(/application\/json/);
    const write = await app.inject({ method: 'POST', url: '/', headers: html });
    expect(write.statusCode).toBe(404);
  });

  it('without a build, / says how to build it (not a 500)', async () => {
    const r = await unbuilt.inject({ url: '/' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('npm run build:web');
  });

  it('a server without the dashboard answers / with a 404 problem', async () => {
    const plain = await buildServer({ registry: testRegistry(), store, logger: false });
    const r = await plain.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    await plain.close();
  });
});
