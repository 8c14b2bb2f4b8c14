import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { findZone } from '../../src/core/zones.ts';
import { createSignalCache, type SignalCache } from '../../src/signals/cache.ts';
import { nordPool } from '../../src/signals/nordpool.ts';
import type { SignalProvider, SignalRequest } from '../../src/signals/provider.ts';
import { parseUrl, sendJson, startServer, type TestServer } from '../helpers/http-server.ts';
import { carbonSeries, hourly, t, testProvider } from './test-provider.ts';

const DE = findZone('DE')!;
const now = t('2026-03-10T10:00:00Z');
const request = (overrides: Partial<SignalRequest> = {}): SignalRequest => ({
  zone: DE,
  metric: 'carbon_average',
  fromMs: now,
  toMs: now + 6 * HOUR_MS,
  nowMs: now,
  ...overrides,
});
const answering = (name = 'em', ttlMs = 15 * MINUTE_MS) =>
  testProvider(
    name,
    (req) => [carbonSeries(name, hourly(new Date(req.fromMs).toISOString(), [1, 2, 3, 4, 5, 6]))],
    {
      ttlMs,
    },
  );

describe('signal cache', () => {
  it('serves repeated requests within the TTL without fetching, and fetches again after it', async () => {
    const cache = createSignalCache();
    const p = answering('em', 15 * MINUTE_MS);
    const first = await cache.fetch(p, request());
    expect(await cache.fetch(p, request({ nowMs: now + 14 * MINUTE_MS }))).toBe(first);
    expect(p.calls).toHaveLength(1);
    await cache.fetch(p, request({ nowMs: now + 15 * MINUTE_MS }));
    expect(p.calls).toHaveLength(2);
    expect(cache.stats).toEqual({ hits: 1, misses: 2, shared: 0 });
  });

  it('lets the configuration override the provider TTL, by source name', async () => {
    const cache = createSignalCache({ ttlMs: { em: HOUR_MS } });
    const p = answering('em', 15 * MINUTE_MS);
    expect(cache.ttlFor(p)).toBe(HOUR_MS);
    await cache.fetch(p, request());
    await cache.fetch(p, request({ nowMs: now + 59 * MINUTE_MS }));
    expect(p.calls).toHaveLength(1);
    // a provider the override does not name keeps its own TTL
    expect(cache.ttlFor(answering('other', 5 * MINUTE_MS))).toBe(5 * MINUTE_MS);
  });

  it('widens the range to whole hours and answers any range inside a fresh entry', async () => {
    const cache = createSignalCache();
    const p = answering();
    await cache.fetch(p, request({ fromMs: now + 10 * MINUTE_MS, toMs: now + 5 * HOUR_MS + 10 * MINUTE_MS }));
    expect(p.calls[0].fromMs).toBe(now);
    expect(p.calls[0].toMs).toBe(now + 6 * HOUR_MS);
    await cache.fetch(
      p,
      request({ fromMs: now + 30 * MINUTE_MS, toMs: now + 6 * HOUR_MS, nowMs: now + MINUTE_MS }),
    );
    expect(p.calls).toHaveLength(1);
    // beyond the entry: a new fetch
    await cache.fetch(p, request({ toMs: now + 7 * HOUR_MS, nowMs: now + MINUTE_MS }));
    expect(p.calls).toHaveLength(2);
  });

  it('keeps zones, metrics and differently configured instances apart', async () => {
    const cache = createSignalCache();
    const p = answering();
    await cache.fetch(p, request());
    await cache.fetch(p, request({ zone: findZone('FR')! }));
    await cache.fetch(p, request({ metric: 'carbon_marginal' }));
    await cache.fetch(p, request(), { id: 'em{"region":"A"}' });
    expect(p.calls).toHaveLength(4);
  });

  it('shares one fetch between identical requests in flight', async () => {
    const cache = createSignalCache();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const p = testProvider('em', async (req) => {
      await gate;
      return [carbonSeries('em', hourly(new Date(req.fromMs).toISOString(), [7]))];
    });
    const a = cache.fetch(p, request());
    const b = cache.fetch(p, request({ fromMs: now + 5 * MINUTE_MS }));
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toBe(rb);
    expect(p.calls).toHaveLength(1);
    expect(cache.stats.shared).toBe(1);
  });

  it('does not keep failures: the next request asks again', async () => {
    const cache = createSignalCache();
    let fail = true;
    const p = testProvider('em', () => {
      if (fail) throw new ProviderError('em', 'unavailable', 'down');
      return [carbonSeries('em', hourly('2026-03-10T10:00:00Z', [1]))];
    });
    await expect(cache.fetch(p, request())).rejects.toThrow('down');
    fail = false;
    await expect(cache.fetch(p, request())).resolves.toHaveLength(1);
    expect(p.calls).toHaveLength(2);
  });

  it('never caches a provider with TTL 0', async () => {
    const cache = createSignalCache({ ttlMs: { em: 0 } });
    const p = answering();
    await cache.fetch(p, request());
    await cache.fetch(p, request());
    expect(p.calls).toHaveLength(2);
    expect(cache.size).toBe(0);
  });

  it('does not serve an answer fetched later than the request time (replays going back)', async () => {
    const cache = createSignalCache();
    const p = answering();
    await cache.fetch(p, request({ nowMs: now + 5 * MINUTE_MS }));
    await cache.fetch(p, request({ nowMs: now }));
    expect(p.calls).toHaveLength(2);
  });

  it('peeks at fresh entries without fetching', async () => {
    const cache = createSignalCache();
    const p = answering();
    expect(cache.peek(p, request())).toBeUndefined();
    await cache.fetch(p, request());
    expect(cache.peek(p, request({ nowMs: now + MINUTE_MS }))).toHaveLength(1);
    expect(cache.peek(p, request({ nowMs: now + HOUR_MS }))).toBeUndefined();
    expect(p.calls).toHaveLength(1);
  });
});

describe('day-ahead prices', () => {
  /**
   * A Nord Pool data portal that counts requests: each CET delivery day in `published` answers 24 hourly
   * prices of 50 EUR/MWh, any other day 204 (not published yet). January: CET is UTC+1, days start at 23:00Z.
   */
  const published = new Set<string>();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      const date = parseUrl(req).searchParams.get('date') ?? '';
      if (!published.has(date)) {
        res.writeHead(204);
        res.end();
        return;
      }
      const dayStart = t(`${date}T00:00:00Z`) - HOUR_MS;
      const entries = Array.from({ length: 24 }, (_, h) => ({
        deliveryStart: new Date(dayStart + h * HOUR_MS).toISOString(),
        deliveryEnd: new Date(dayStart + (h + 1) * HOUR_MS).toISOString(),
        entryPerArea: { SE3: 50 },
      }));
      sendJson(res, 200, { deliveryDateCET: date, currency: 'EUR', multiAreaEntries: entries });
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    published.clear();
    server.requests.length = 0;
  });

  const SE3 = findZone('SE-SE3')!;
  /** The next 24 hours from `iso`, as a planner asks every few minutes. */
  const nextDay = (iso: string): SignalRequest => ({
    zone: SE3,
    metric: 'price',
    fromMs: t(iso),
    toMs: t(iso) + 24 * HOUR_MS,
    nowMs: t(iso),
  });
  const lastHour = async (cache: SignalCache, provider: SignalProvider, iso: string) => {
    const [series] = await cache.fetch(provider, nextDay(iso));
    return new Date(series.points[series.points.length - 1].start).toISOString();
  };

  it('keeps them until the next publication, answering later windows from the cache', async () => {
    const cache = createSignalCache();
    const provider = nordPool({ baseUrl: server.url });
    published.add('2026-01-15');
    // 10:00 CET: today's prices (one request per delivery day: today, and tomorrow not published yet)
    expect(await lastHour(cache, provider, '2026-01-15T09:00:00Z')).toBe('2026-01-15T22:00:00.000Z');
    expect(server.requests).toHaveLength(2);
    // 11:30 and 13:10 CET: windows reaching further, but nothing newer exists before 13:15 CET
    await lastHour(cache, provider, '2026-01-15T10:30:00Z');
    await lastHour(cache, provider, '2026-01-15T12:10:00Z');
    expect(server.requests).toHaveLength(2);
    // 13:20 CET: after publication, tomorrow is asked for, up to its end
    published.add('2026-01-16');
    expect(await lastHour(cache, provider, '2026-01-15T12:20:00Z')).toBe('2026-01-16T22:00:00.000Z');
    expect(server.requests).toHaveLength(4);
    // the evening and the next morning: from the cache, well past the 30 minutes a TTL used to allow
    await lastHour(cache, provider, '2026-01-15T20:00:00Z');
    await lastHour(cache, provider, '2026-01-16T12:00:00Z');
    expect(server.requests).toHaveLength(4);
    expect(cache.stats).toMatchObject({ misses: 2, hits: 4 });
  });

  it('asks again soon when the next day is late after publication', async () => {
    const cache = createSignalCache();
    const provider = nordPool({ baseUrl: server.url });
    published.add('2026-01-16');
    // 13:20 CET on the 16th: the auction for the 17th is late
    expect(await lastHour(cache, provider, '2026-01-16T12:20:00Z')).toBe('2026-01-16T22:00:00.000Z');
    expect(server.requests).toHaveLength(2);
    // within 30 minutes: the same answer
    await lastHour(cache, provider, '2026-01-16T12:40:00Z');
    expect(server.requests).toHaveLength(2);
    // 30 minutes on, the prices are out: asked again and then kept
    published.add('2026-01-17');
    expect(await lastHour(cache, provider, '2026-01-16T12:51:00Z')).toBe('2026-01-17T22:00:00.000Z');
    expect(server.requests).toHaveLength(4);
    await lastHour(cache, provider, '2026-01-16T18:00:00Z');
    expect(server.requests).toHaveLength(4);
  });

  it('lets a configured TTL cut the wait short', async () => {
    const cache = createSignalCache({ ttlMs: { nordpool: HOUR_MS } });
    const provider = nordPool({ baseUrl: server.url });
    published.add('2026-01-15');
    published.add('2026-01-16');
    await lastHour(cache, provider, '2026-01-15T12:20:00Z');
    await lastHour(cache, provider, '2026-01-15T13:19:00Z');
    expect(server.requests).toHaveLength(2);
    await lastHour(cache, provider, '2026-01-15T13:21:00Z');
    expect(server.requests).toHaveLength(4);
  });
});

describe('persisted cache', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'gridshift-cache-'));
    dirs.push(d);
    return d;
  };

  it('reuses fresh answers across processes (a new cache reading the same file)', async () => {
    const file = join(tmp(), 'nested', 'signals.json');
    const p = answering();
    await createSignalCache({ file }).fetch(p, request());
    expect(JSON.parse(readFileSync(file, 'utf8')).entries).toHaveLength(1);
    const again = createSignalCache({ file });
    const series = await again.fetch(p, request({ nowMs: now + 10 * MINUTE_MS }));
    expect(p.calls).toHaveLength(1);
    expect(series[0].points.map((x) => x.value)).toEqual([1, 2, 3, 4, 5, 6]);
    // expired entries are not served
    await createSignalCache({ file }).fetch(p, request({ nowMs: now + 20 * MINUTE_MS }));
    expect(p.calls).toHaveLength(2);
  });

  it('keeps missing values missing through the file', async () => {
    const file = join(tmp(), 'signals.json');
    const gap = testProvider('em', () => [
      carbonSeries('em', hourly('2026-03-10T10:00:00Z', [1, Number.NaN, 3])),
    ]);
    await createSignalCache({ file }).fetch(gap, request());
    const [series] = await createSignalCache({ file }).fetch(gap, request());
    expect(gap.calls).toHaveLength(1);
    expect(series.points.map((p) => p.value)).toEqual([1, Number.NaN, 3]);
  });

  it('starts empty from an unreadable file', async () => {
    const file = join(tmp(), 'signals.json');
    writeFileSync(file, '{ not json');
    const p = answering();
    await createSignalCache({ file }).fetch(p, request());
    expect(p.calls).toHaveLength(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });
});
