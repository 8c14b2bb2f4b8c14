import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/signals/config.ts';
import { createRegistry, type SignalRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { createToken, type TokenScope } from '../../src/store/tokens.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';

/**
 * Shared pieces of the API tests: a deterministic signal registry on the CSV fixtures in
 * test/fixtures/api (DE carbon and price, FR carbon, 2025-01-15 and 16, hourly; PL with a missing file
 * and the closed failure policy), a fixed clock, an embedded store in a temporary directory and tokens.
 */

export const FIXTURES = fileURLToPath(new URL('../fixtures/api/', import.meta.url));
/** 06:20 UTC on the first fixture day */
export const NOW = Date.parse('2025-01-15T06:20:00Z');

/** DE carbon intensity by UTC hour, both fixture days. */
export const DE_CARBON = [
  400, 380, 360, 340, 320, 300, 280, 260, 240, 220, 200, 180, 160, 170, 190, 210, 250, 300, 350, 400, 420,
  430, 440, 450,
];
/** FR carbon intensity at UTC hour h: 50 + 10 (h mod 4). */
export const frCarbon = (h: number) => 50 + 10 * (h % 4);
/** DE price at UTC hour h, EUR/kWh. */
export const dePrice = (h: number) => Number((0.1 + 0.01 * (h % 12)).toFixed(2));

export function testRegistry(): SignalRegistry {
  const config = loadConfig({ path: `${FIXTURES}gridshift.config.json`, env: {} });
  return createRegistry({ config, cache: false, forecastPastHorizon: false });
}

export function embeddedBackend(): TestBackend {
  const embedded = BACKENDS.find((b) => b.kind === 'embedded');
  if (!embedded) throw new Error('no embedded backend');
  return embedded.make();
}

export async function tokensFor(store: Store): Promise<Record<TokenScope, string>> {
  const out = {} as Record<TokenScope, string>;
  for (const scope of ['read', 'write', 'admin'] as const) {
    out[scope] = (await createToken(store, { name: `test-${scope}`, scopes: [scope] })).secret;
  }
  return out;
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

export interface FixtureApi {
  readonly app: FastifyInstance;
  /** a token with the read scope */
  readonly token: string;
}

/**
 * The API on the fixture registry with the clock at NOW and a fresh embedded store: built before the
 * file's tests (before hooks added after this call), closed and removed after them.
 */
export function fixtureApi(): FixtureApi {
  const backend = embeddedBackend();
  const api = {} as { app: FastifyInstance; token: string };
  beforeAll(async () => {
    const store = await backend.open();
    api.token = (await tokensFor(store)).read;
    api.app = await buildServer({ registry: testRegistry(), store, now: () => NOW, logger: false });
  });
  afterAll(async () => {
    await api.app?.close();
    await backend.cleanup();
  });
  return api;
}
