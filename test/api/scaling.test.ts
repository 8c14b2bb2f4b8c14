import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { ConfigError } from '../../src/core/config.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, FIXTURES, NOW, tokensFor } from './helpers.ts';

/** /v1/scaling on the CSV fixtures, clock at 06:20Z: DE carbon 280 g/kWh now; PL has no source that answers. */

const fixture = JSON.parse(readFileSync(`${FIXTURES}gridshift.config.json`, 'utf8'));
const BANDS = [
  { threshold: 437, maxReplicas: 110 },
  { threshold: 200, maxReplicas: 200 },
  { threshold: 571, maxReplicas: 10 },
];
const config = (scaling: unknown) =>
  parseConfig({ ...fixture, scaling }, { source: 'gridshift.config.json', baseDir: FIXTURES, env: {} });

describe('/v1/scaling', () => {
  let backend: TestBackend;
  let app: FastifyInstance;
  let token: string;
  beforeAll(async () => {
    backend = embeddedBackend();
    const store = await backend.open();
    token = (await tokensFor(store)).read;
    const cfg = config({
      web: { zone: 'DE', bands: BANDS, fallbackMaxReplicas: 5, ref: { kind: 'ScaledObject', name: 'web' } },
      'batch-pl': { zone: 'PL', bands: BANDS, fallbackMaxReplicas: 3 },
    });
    const registry = createRegistry({ config: cfg, cache: false, forecastPastHorizon: false });
    app = await buildServer({ registry, store, now: () => NOW, logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await backend?.cleanup();
  });
  const get = (url: string) => app.inject({ url, headers: bearer(token) });

  it("caps a target by its zone's intensity now, in the band (200, 437]", async () => {
    const r = await get('/v1/scaling/web');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      target: 'web',
      zone: 'DE',
      at: '2025-01-15T06:20:00Z',
      carbonIntensity: 280,
      maxReplicas: 110,
      band: { index: 1, lower: 200, upper: 437 },
      fallback: false,
      reason: '280 g/kWh is above 200 and at or below 437 g/kWh: at most 110 replicas',
      source: 'csv',
      degraded: false,
      ref: { kind: 'ScaledObject', namespace: 'default', name: 'web' },
    });
  });

  it('falls back when the zone has no intensity, and lists every target', async () => {
    const pl = (await get('/v1/scaling/batch-pl')).json();
    expect(pl).toMatchObject({
      maxReplicas: 3,
      band: null,
      fallback: true,
      carbonIntensity: null,
      degraded: true,
    });
    const all = (await get('/v1/scaling')).json();
    expect(
      all.targets.map((t: { target: string; maxReplicas: number }) => [t.target, t.maxReplicas]),
    ).toEqual([
      ['web', 110],
      ['batch-pl', 3],
    ]);
  });

  it('answers 404 naming the configured targets, and needs a read token', async () => {
    const r = await get('/v1/scaling/api');
    expect(r.statusCode).toBe(404);
    expect(r.json().detail).toBe('no scaling target "api"; configured: web, batch-pl');
    expect((await app.inject({ url: '/v1/scaling/web' })).statusCode).toBe(401);
  });

  it('refuses a bad scaling configuration, naming the key', () => {
    const err = (scaling: unknown) => {
      try {
        config(scaling);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err({ web: { zone: 'DE', bands: [], fallbackMaxReplicas: 1 } })).toMatch(
      /scaling\.web\.bands: give at least one band/,
    );
    expect(
      err({
        web: {
          zone: 'DE',
          bands: [
            { threshold: 1, maxReplicas: 1 },
            { threshold: 1, maxReplicas: 2 },
          ],
          fallbackMaxReplicas: 1,
        },
      }),
    ).toMatch(/scaling\.web\.bands: two bands have the threshold 1/);
    expect(err({ web: { zone: 'Atlantis', bands: BANDS, fallbackMaxReplicas: 1 } })).toMatch(
      /scaling\.web\.zone/,
    );
    expect(err({ Web: { zone: 'DE', bands: BANDS, fallbackMaxReplicas: 1 } })).toMatch(
      /scaling\.Web: a target name/,
    );
    expect(
      err({ web: { zone: 'DE', bands: [{ threshold: 1, maxReplicas: 1.5 }], fallbackMaxReplicas: 1 } }),
    ).toMatch(/scaling\.web\.bands\[0\]\.maxReplicas: must be a whole number/);
  });
});
