import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { findZone } from '../../src/core/zones.ts';
import { createSignalCache } from '../../src/signals/cache.ts';
import type { SignalRequest } from '../../src/signals/provider.ts';
import {
  AGILE_PUBLICATION,
  EU_DAY_AHEAD_PUBLICATION,
  nextPublicationMs,
} from '../../src/signals/publication.ts';
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

describe('day-ahead publication', () => {
  it('finds the next 13:15 Brussels time in winter (UTC+1) and summer (UTC+2)', () => {
    const pub = EU_DAY_AHEAD_PUBLICATION;
    expect(nextPublicationMs(pub, t('2026-01-15T08:00:00Z'))).toBe(t('2026-01-15T12:15:00Z'));
    expect(nextPublicationMs(pub, t('2026-01-15T12:15:00Z'))).toBe(t('2026-01-16T12:15:00Z'));
    expect(nextPublicationMs(pub, t('2026-07-15T23:30:00Z'))).toBe(t('2026-07-16T11:15:00Z'));
  });

  it('crosses the spring DST change (Europe/London, 29 March 2026)', () => {
    const pub = AGILE_PUBLICATION;
    // 16:15 GMT on the 28th, then 16:15 BST (15:15 UTC) on the 29th
    expect(nextPublicationMs(pub, t('2026-03-28T12:00:00Z'))).toBe(t('2026-03-28T16:15:00Z'));
    expect(nextPublicationMs(pub, t('2026-03-28T17:00:00Z'))).toBe(t('2026-03-29T15:15:00Z'));
  });

  it('expires day-ahead prices at the next publication even inside their TTL', async () => {
    const cache = createSignalCache();
    const entsoe = testProvider(
      'entsoe',
      () => [carbonSeries('entsoe', hourly('2026-01-15T11:00:00Z', [1]))],
      { ttlMs: 6 * HOUR_MS, publication: EU_DAY_AHEAD_PUBLICATION },
    );
    const at = (iso: string) =>
      request({
        metric: 'price',
        fromMs: t('2026-01-15T11:00:00Z'),
        toMs: t('2026-01-15T12:00:00Z'),
        nowMs: t(iso),
      });
    await cache.fetch(entsoe, at('2026-01-15T11:00:00Z'));
    await cache.fetch(entsoe, at('2026-01-15T12:14:00Z')); // before 13:15 CET: fresh
    expect(entsoe.calls).toHaveLength(1);
    await cache.fetch(entsoe, at('2026-01-15T12:16:00Z')); // after publication: fetched again
    expect(entsoe.calls).toHaveLength(2);
    // fetched after publication: the full 6 h apply
    await cache.fetch(entsoe, at('2026-01-15T18:15:00Z'));
    expect(entsoe.calls).toHaveLength(2);
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
