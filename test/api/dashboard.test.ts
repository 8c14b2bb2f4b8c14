import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import type { Dashboard } from '../../src/client/index.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { type TableSource, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, tokensFor } from './helpers.ts';

/**
 * GET /v1/dashboard over the real scheduler on an embedded store, with a table source on 30-minute slots
 * behind the registry's cache. The clock stands at 10:20 UTC. DE: 400 g/kWh before 10:00, then 300, except
 * 100 from 13:00 to 15:00; price 0.20 EUR/kWh in those two hours, 0.30 otherwise. FR: 100 g/kWh and 0.20
 * before 12:00, then 300 and 0.30. So DE is not clean now (300 is above the mean of the 48 coming slots,
 * (44 × 300 + 4 × 100) / 48 = 283.3), FR is clean and at its cleanest and cheapest.
 */

const NOW = Date.parse('2026-03-10T10:20:00Z');
const at = (hhmm: string, day = 10) => Date.parse(`2026-03-${day}T${hhmm}:00Z`);

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let source: TableSource;
let app: FastifyInstance;
let openApp: FastifyInstance;
let bare: FastifyInstance;
let token: string;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  token = (await tokensFor(store)).read;
  source = tableSource(
    (zone, t) => {
      if (zone === 'FR') return t < at('12:00') ? 100 : 300;
      if (t < at('10:00')) return 400;
      return t >= at('13:00') && t < at('15:00') ? 100 : 300;
    },
    (zone, t) => {
      if (zone === 'FR') return t < at('12:00') ? 0.2 : 0.3;
      return t >= at('13:00') && t < at('15:00') ? 0.2 : 0.3;
    },
  );
  // cached for ten minutes, as a live provider's answers are
  Object.assign(source, { ttlMs: 10 * 60_000 });
  const config = parseConfig({
    defaults: { carbon: ['simulator'], price: ['simulator'], failurePolicy: 'open' },
    zones: { DE: {} },
  });
  const registry = createRegistry({ config, factories: { simulator: () => source } });
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry, { now: () => NOW });
  app = await buildServer({ scheduler, registry, store, logger: false });
  openApp = await buildServer({ scheduler, registry, store, logger: false, auth: { openRead: true } });
  bare = await buildServer({ registry, store, logger: false, now: () => NOW });
  await scheduler.submit({
    name: 'backup',
    zones: ['DE'],
    durationMin: 60,
    powerKw: 1,
    deadline: '2026-03-10T18:00:00Z',
  });
});

afterAll(async () => {
  await app?.close();
  await openApp?.close();
  await bare?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
});

async function dashboard(query: string, server = app): Promise<Dashboard> {
  const r = await server.inject({ url: `/v1/dashboard${query}`, headers: bearer(token) });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as Dashboard;
}

describe('GET /v1/dashboard', () => {
  it("gives the zone's series from 12 hours back to 24 ahead, actual then forecast", async () => {
    const d = await dashboard('?zone=DE');
    expect(d.at).toBe('2026-03-10T10:20:00Z');
    expect(d.zone).toEqual({ code: 'DE', name: 'Germany', timeZone: 'Europe/Berlin' });
    expect(d.stepMin).toBe(30);
    expect(d.from).toBe('2026-03-09T22:00:00Z');
    expect(d.to).toBe('2026-03-11T10:00:00Z');
    expect(d.series).toHaveLength(72);
    expect(d.series[0]).toEqual({ start: '2026-03-09T22:00:00Z', carbon: 400, price: 0.3 });
    expect(d.series[24]).toEqual({ start: '2026-03-10T10:00:00Z', carbon: 300, price: 0.3 });
    expect(d.series[30]).toEqual({ start: '2026-03-10T13:00:00Z', carbon: 100, price: 0.2 });
    expect(d.series[34]).toEqual({ start: '2026-03-10T15:00:00Z', carbon: 300, price: 0.3 });
    // the slot holding now is the first one the source gives as a forecast
    expect(d.carbon?.forecastFrom).toBe('2026-03-10T10:00:00Z');
    expect(d.price?.forecastFrom).toBe('2026-03-10T10:00:00Z');
  });

  it('has the figures now as /v1/signals gives them, and no window on in DE', async () => {
    const d = await dashboard('?zone=DE');
    expect(d.carbon).toMatchObject({
      current: 300,
      level: 'poor',
      cleanNow: false,
      source: 'simulator',
      degraded: false,
      reasons: [],
    });
    expect(d.carbon?.forecastMean).toBeCloseTo(13_600 / 48, 6);
    expect(d.price).toMatchObject({ current: 0.3, currency: 'EUR', unit: 'EUR/kWh' });
    expect(d.windows).toEqual({ clean: false, bestNow: false });
    const signals = await app.inject({ url: '/v1/signals/DE?stepMin=30', headers: bearer(token) });
    const { carbon } = signals.json() as { carbon: { current: number; cleanNow: boolean; reason: string } };
    expect({ current: carbon.current, cleanNow: carbon.cleanNow, reason: carbon.reason }).toEqual({
      current: d.carbon?.current,
      cleanNow: d.carbon?.cleanNow,
      reason: d.carbon?.reason,
    });
  });

  it('says a clean and a cheapest-and-cleanest window is on in FR', async () => {
    const d = await dashboard('?zone=FR');
    expect(d.carbon).toMatchObject({ current: 100, level: 'good', cleanNow: true });
    expect(d.windows).toEqual({ clean: true, bestNow: true });
    expect(d.loads).toEqual([]);
  });

  it("lists the waiting load's planned run in its zone, and the zones and cloud regions", async () => {
    const d = await dashboard('?zone=DE');
    expect(d.scheduler).toBe(true);
    expect(d.loads).toHaveLength(1);
    expect(d.loads[0]).toMatchObject({
      name: 'backup',
      state: 'waiting',
      plannedStart: '2026-03-10T13:00:00Z',
      deadline: '2026-03-10T18:00:00Z',
      runs: [{ start: '2026-03-10T13:00:00Z', end: '2026-03-10T14:00:00Z' }],
    });
    expect(d.zones.find((z) => z.code === 'GB')).toEqual({
      code: 'GB',
      name: expect.any(String),
      country: 'GB',
      aliases: expect.arrayContaining(['UK']),
    });
    expect(d.cloudRegions.find((r) => r.provider === 'aws' && r.region === 'eu-central-1')?.zone).toBe('DE');
  });

  it('defaults to the first configured zone and takes cloud regions', async () => {
    expect((await dashboard('')).zone.code).toBe('DE');
    expect((await dashboard('?zone=aws:eu-west-3')).zone.code).toBe('FR');
  });

  it('answers a warm request from the cache, without asking the source', async () => {
    await dashboard('?zone=DE&hours=12');
    const calls = source.calls;
    expect(calls).toBeGreaterThan(0);
    const d = await dashboard('?zone=DE&hours=12');
    expect(source.calls).toBe(calls);
    expect(d.series).toHaveLength(48);
  });

  it('needs the read scope, or open read access', async () => {
    expect((await app.inject({ url: '/v1/dashboard?zone=DE' })).statusCode).toBe(401);
    const open = await openApp.inject({ url: '/v1/dashboard?zone=DE' });
    expect(open.statusCode).toBe(200);
    const bad = await openApp.inject({ url: '/v1/dashboard?zone=DE', headers: bearer('gs_nope') });
    expect(bad.statusCode).toBe(401);
  });

  it('a zone nobody knows is a 404, bad numbers a 400', async () => {
    const unknown = await app.inject({ url: '/v1/dashboard?zone=XX-NOWHERE', headers: bearer(token) });
    expect(unknown.statusCode).toBe(404);
    const bad = await app.inject({ url: '/v1/dashboard?zone=DE&pastHours=-1', headers: bearer(token) });
    expect(bad.statusCode).toBe(400);
  });

  it('without a scheduler: the signals, no loads', async () => {
    const d = await dashboard('?zone=DE', bare);
    expect(d.scheduler).toBe(false);
    expect(d.loads).toEqual([]);
    expect(d.carbon?.current).toBe(300);
    expect(d.series.length).toBe(72);
    expect(Date.parse(d.to) - Date.parse(d.from)).toBe(36 * HOUR_MS);
  });
});

describe('GET /v1/dashboard: the band of the built-in forecast', () => {
  let bandApp: FastifyInstance;
  // irregular measured values (150 .. 450 g/kWh) for three weeks; the source forecasts up to 12:00 only
  const past = (ms: number) => {
    const x = Math.sin(Math.round(ms / 1_800_000) * 12.9898) * 43758.5453;
    return 300 + (x - Math.floor(x) - 0.5) * 300;
  };
  const horizonEnd = at('12:00');
  beforeAll(async () => {
    const table = tableSource((_zone, t) => (t + 1_800_000 <= NOW ? past(t) : 300));
    const short = {
      ...table,
      async fetch(req: Parameters<typeof table.fetch>[0]) {
        return (await table.fetch(req))
          .map((x) => ({ ...x, points: x.points.filter((p) => p.start < horizonEnd) }))
          .filter((x) => x.points.length > 0);
      },
    };
    const config = parseConfig({
      defaults: { carbon: ['electricitymaps'], price: ['profile'], failurePolicy: 'open' },
    });
    const registry = createRegistry({ config, factories: { electricitymaps: () => short }, cache: false });
    bandApp = await buildServer({ registry, store, logger: false, now: () => NOW });
  });
  afterAll(async () => {
    await bandApp?.close();
  });

  it('gives each slot past the provider forecast its 10-90 % band, and none before', async () => {
    const r = await bandApp.inject({ url: '/v1/dashboard?zone=DE', headers: bearer(token) });
    expect(r.statusCode).toBe(200);
    const d = r.json() as Dashboard;
    const banded = d.series.filter((p) => p.carbonBand);
    expect(banded.length).toBeGreaterThan(0);
    // the band starts where the built-in forecast does, and covers every slot from there
    expect(banded[0].start).toBe('2026-03-10T12:00:00Z');
    expect(d.series.filter((p) => Date.parse(p.start) >= horizonEnd).every((p) => p.carbonBand)).toBe(true);
    for (const p of banded) expect(p.carbonBand![0]).toBeLessThanOrEqual(p.carbonBand![1]);
    // the errors are large here: the band is wide
    const widths = banded.map((p) => p.carbonBand![1] - p.carbonBand![0]);
    expect(Math.min(...widths)).toBeGreaterThan(20);
  });
});
