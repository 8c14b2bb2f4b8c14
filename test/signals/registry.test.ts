import { afterEach, describe, expect, it } from 'vitest';
import type { GridshiftConfig } from '../../src/core/config.ts';
import { ProviderError } from '../../src/core/errors.ts';
import type { Series } from '../../src/core/series.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { createSignalCache } from '../../src/signals/cache.ts';
import { parseConfig } from '../../src/signals/config.ts';
import type { ProviderFactory } from '../../src/signals/provider.ts';
import type { ProviderName } from '../../src/signals/providers.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import { sendJson, startServer, type TestServer } from '../helpers/http-server.ts';
import { carbonSeries, hourly, priceSeries, type TestProvider, t, testProvider } from './test-provider.ts';

const now = t('2026-03-10T12:00:00Z');
const range = { fromMs: now, toMs: now + 4 * HOUR_MS, nowMs: now };

const config = (raw: unknown, env: Record<string, string> = {}): GridshiftConfig =>
  parseConfig(raw, { source: 'test', baseDir: '/tmp', env });

/** Factories that hand out the given test providers by config name. */
function factories(providers: Partial<Record<ProviderName, TestProvider>>) {
  const out: Partial<Record<ProviderName, ProviderFactory>> = {};
  for (const [name, p] of Object.entries(providers)) out[name as ProviderName] = () => p!;
  return out;
}

const full = (name: string, values = [100, 200, 300, 400], extra: Partial<Series> = {}) =>
  testProvider(name, () => [carbonSeries(name, hourly('2026-03-10T12:00:00Z', values), extra)]);
const failing = (name: string, kind: ProviderError['kind'], extra: { retryAfterMs?: number } = {}) =>
  testProvider(name, () => {
    throw new ProviderError(name, kind, `${kind} failure`, extra);
  });

describe('source chain', () => {
  it('answers from the first source and does not ask the others', async () => {
    const em = full('electricitymaps');
    const profile = full('profile');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em, profile }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.source).toBe('electricitymaps');
    expect(a.sources).toEqual(['electricitymaps']);
    expect(a.failures).toEqual([]);
    expect(a.degraded).toBe(false);
    expect(a.series?.points.map((p) => p.value)).toEqual([100, 200, 300, 400]);
    expect(profile.calls).toHaveLength(0);
  });

  it('falls through failing sources in order and reports which answered and why the others did not', async () => {
    const em = failing('electricitymaps', 'auth');
    const csvLike = testProvider('annual', () => []); // answers nothing
    const profile = full('profile', [10, 20, 30, 40]);
    const annual = full('annual');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'simulator', 'profile', 'annual'] } } }),
      factories: factories({ electricitymaps: em, simulator: csvLike, profile, annual }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.source).toBe('profile');
    expect(a.failures).toEqual([
      { provider: 'electricitymaps', kind: 'auth', message: 'electricitymaps: auth failure' },
      { provider: 'simulator', kind: 'not_found', message: expect.stringContaining('no data') },
    ]);
    expect(a.degraded).toBe(true);
    expect(a.reasons[0]).toBe(
      'fallback: profile answered; electricitymaps (auth), simulator (not_found) did not',
    );
    expect(a.series?.points.map((p) => p.value)).toEqual([10, 20, 30, 40]);
    expect([em.calls.length, csvLike.calls.length, profile.calls.length, annual.calls.length]).toEqual([
      1, 1, 1, 0,
    ]);
  });

  it('skips a source that does not support the zone without calling it', async () => {
    const wt = testProvider('watttime', () => [], { supports: (zone) => zone.code === 'US-CAL-CISO' });
    const profile = full('profile');
    const reg = createRegistry({
      config: config({ defaults: { carbon: ['watttime', 'profile'] } }),
      factories: factories({ watttime: wt, profile }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(wt.calls).toHaveLength(0);
    expect(a.failures).toEqual([
      { provider: 'watttime', kind: 'unsupported', message: 'does not cover carbon_average in DE' },
    ]);
    expect(a.source).toBe('profile');
  });

  it('is degraded when the answering series is degraded, even from the first source', async () => {
    const profile = full('profile', [1, 2, 3, 4], { degraded: 'typical-day profile, not live data' });
    const reg = createRegistry({ factories: factories({ profile }) });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.degraded).toBe(true);
    expect(a.reasons).toEqual(['profile: typical-day profile, not live data']);
    expect(a.series?.degraded).toBe('profile: typical-day profile, not live data');
  });

  it('stitches actual history and forecast: the forecast takes over after the last actual', async () => {
    const em = testProvider('electricitymaps', () => [
      carbonSeries('electricitymaps', hourly('2026-03-10T09:00:00Z', [300, 310, 320]), { kind: 'actual' }),
      // an older forecast issue, then a newer one: the newer wins where they overlap
      carbonSeries('electricitymaps', hourly('2026-03-10T11:00:00Z', [999, 999, 999, 999]), {
        kind: 'forecast',
        issuedAt: t('2026-03-10T09:00:00Z'),
      }),
      carbonSeries('electricitymaps', hourly('2026-03-10T11:00:00Z', [111, 400, 410, 420]), {
        kind: 'forecast',
        issuedAt: t('2026-03-10T11:00:00Z'),
      }),
    ]);
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps'] } } }),
      factories: factories({ electricitymaps: em }),
    });
    const a = await reg.getSignal({
      zone: 'DE',
      metric: 'carbon_average',
      fromMs: t('2026-03-10T09:00:00Z'),
      toMs: t('2026-03-10T15:00:00Z'),
      nowMs: now,
    });
    expect(a.series?.points).toEqual(hourly('2026-03-10T09:00:00Z', [300, 310, 320, 400, 410, 420]));
    expect(a.series?.kind).toBe('forecast');
    expect(a.series?.issuedAt).toBe(t('2026-03-10T11:00:00Z'));
    expect(a.forecastFromMs).toBe(now);
    expect(a.degraded).toBe(false);
  });

  it('fills what the first source leaves uncovered from the next one, and says so', async () => {
    // history only up to 13:00 (free tier without forecast); the profile fills the rest
    const em = testProvider('electricitymaps', () => [
      carbonSeries('electricitymaps', hourly('2026-03-10T12:00:00Z', [500]), { kind: 'actual' }),
    ]);
    const profile = full('profile', [1, 2, 3, 4], { kind: 'forecast' });
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em, profile }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.source).toBe('electricitymaps');
    expect(a.sources).toEqual(['electricitymaps', 'profile']);
    expect(a.series?.points.map((p) => p.value)).toEqual([500, 2, 3, 4]);
    expect(a.series?.source).toBe('electricitymaps+profile');
    expect(a.degraded).toBe(true);
    expect(a.reasons).toEqual([
      'profile fills 2026-03-10T13:00:00Z .. 2026-03-10T16:00:00Z',
      'electricitymaps not extended past its forecast: 0 h of measured values before 2026-03-10T12:00:00Z, needs 24 h',
    ]);
  });

  it('reports the part of the range no source covers', async () => {
    const profile = testProvider('profile', () => [
      carbonSeries('profile', hourly('2026-03-10T12:00:00Z', [1, 2])),
    ]);
    const reg = createRegistry({
      config: config({ defaults: { carbon: ['profile'] } }),
      factories: factories({ profile }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.reasons).toEqual(['no data for 2026-03-10T14:00:00Z .. 2026-03-10T16:00:00Z']);
    expect(a.policy).toBeUndefined();
  });

  it('refuses to stitch a source whose unit differs from the ones before it', async () => {
    const entsoe = testProvider('entsoe', () => [
      priceSeries('entsoe', hourly('2026-03-10T12:00:00Z', [0.1])),
    ]);
    const profile = testProvider('profile', () => [
      priceSeries('profile', hourly('2026-03-10T12:00:00Z', [1, 2, 3, 4]), { unit: 'GBP/kWh' }),
    ]);
    const reg = createRegistry({
      config: config({ zones: { DE: { price: ['entsoe', 'profile'] } } }),
      factories: factories({ entsoe, profile }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'price', ...range });
    expect(a.failures).toEqual([
      {
        provider: 'profile',
        kind: 'unsupported',
        message: 'values in GBP/kWh, not EUR/kWh like the sources before it',
      },
    ]);
    expect(a.series?.points.map((p) => p.value)).toEqual([0.1]);
  });

  it('lists unexpected errors and invalid series as failures instead of throwing', async () => {
    const em = testProvider('electricitymaps', () => {
      throw new TypeError('boom');
    });
    const wt = testProvider('watttime', () => [
      carbonSeries('watttime', [
        { start: now + HOUR_MS, value: 1 },
        { start: now, value: 2 },
      ]),
    ]);
    const annual = full('annual');
    const reg = createRegistry({
      config: config({ defaults: { carbon: ['electricitymaps', 'watttime', 'annual'] } }),
      factories: factories({ electricitymaps: em, watttime: wt, annual }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.failures.map((f) => [f.provider, f.kind])).toEqual([
      ['electricitymaps', 'error'],
      ['watttime', 'malformed'],
    ]);
    expect(a.source).toBe('annual');
  });

  it('resolves aliases and cloud regions to the zone, and refuses unknown zones', async () => {
    const profile = full('profile');
    const reg = createRegistry({ factories: factories({ profile }) });
    const a = await reg.getSignal({ zone: 'gcp:europe-west3', metric: 'carbon_average', ...range });
    expect(a.zone).toBe('DE');
    await expect(reg.getSignal({ zone: 'Atlantis', metric: 'carbon_average', ...range })).rejects.toThrow(
      /unknown zone/,
    );
  });
});

describe('failure policy', () => {
  it('open: no series, policy open (run at baseline), failures listed', async () => {
    const reg = createRegistry({
      config: config({ defaults: { carbon: ['electricitymaps', 'annual'] } }),
      factories: factories({
        electricitymaps: failing('electricitymaps', 'unavailable'),
        annual: failing('annual', 'not_found'),
      }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.series).toBeUndefined();
    expect(a.policy).toBe('open');
    expect(a.failures.map((f) => f.kind)).toEqual(['unavailable', 'not_found']);
    expect(a.reasons[0]).toContain('run at baseline');
  });

  it('closed: policy closed (hold loads), per zone', async () => {
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps'], failurePolicy: 'closed' } } }),
      factories: factories({ electricitymaps: failing('electricitymaps', 'auth') }),
    });
    const a = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(a.policy).toBe('closed');
    expect(a.reasons[0]).toContain('hold loads');
    expect(a.failures).toHaveLength(1);
  });
});

describe('rate-limit circuit breaker', () => {
  it('does not call a rate-limited provider again before Retry-After has passed', async () => {
    let limited = true;
    const em = testProvider('electricitymaps', () => {
      if (limited)
        throw new ProviderError('electricitymaps', 'rate_limit', 'rate limited (HTTP 429)', {
          retryAfterMs: 120_000,
        });
      return [carbonSeries('electricitymaps', hourly('2026-03-10T12:00:00Z', [9, 9, 9, 9]))];
    });
    const profile = full('profile');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em, profile }),
      cache: false,
    });
    const ask = (nowMs: number) => reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range, nowMs });

    const first = await ask(now);
    expect(first.failures[0].kind).toBe('rate_limit');
    expect(first.source).toBe('profile');
    expect(reg.restingUntil('electricitymaps', now)).toBe(now + 120_000);

    limited = false;
    const during = await ask(now + 119_000);
    expect(em.calls).toHaveLength(1);
    expect(during.failures).toEqual([
      {
        provider: 'electricitymaps',
        kind: 'rate_limit',
        message: 'rate limited: not asked again before 2026-03-10T12:02:00Z',
      },
    ]);
    expect(during.source).toBe('profile');

    const after = await ask(now + 120_000);
    expect(em.calls).toHaveLength(2);
    expect(after.source).toBe('electricitymaps');
    expect(reg.restingUntil('electricitymaps', now + 120_000)).toBeUndefined();
  });

  it('rests a default minute when the 429 gave no Retry-After', async () => {
    const em = failing('electricitymaps', 'rate_limit');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em, profile: full('profile') }),
      cache: false,
    });
    await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(reg.restingUntil('electricitymaps', now)).toBe(now + 60_000);
  });

  it('still serves a fresh cached answer while the provider rests', async () => {
    let limited = false;
    const em = testProvider('electricitymaps', (req) => {
      if (limited)
        throw new ProviderError('electricitymaps', 'rate_limit', 'rate limited', { retryAfterMs: HOUR_MS });
      return [carbonSeries('electricitymaps', hourly(new Date(req.fromMs).toISOString(), [7, 7, 7, 7]))];
    });
    const anyRange = testProvider('profile', (req) => [
      carbonSeries('profile', hourly(new Date(req.fromMs).toISOString(), [1, 1, 1, 1])),
    ]);
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em, profile: anyRange }),
    });
    await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    limited = true;
    // another range: the provider is called and rate-limits
    const other = await reg.getSignal({
      zone: 'DE',
      metric: 'carbon_average',
      ...range,
      fromMs: now + 10 * HOUR_MS,
      toMs: now + 12 * HOUR_MS,
      nowMs: now + MINUTE_MS,
    });
    expect(other.source).toBe('profile');
    // the first range is still fresh in the cache: answered without a call
    const again = await reg.getSignal({
      zone: 'DE',
      metric: 'carbon_average',
      ...range,
      nowMs: now + 2 * MINUTE_MS,
    });
    expect(again.source).toBe('electricitymaps');
    expect(em.calls).toHaveLength(2);
  });
});

describe('caching through the registry', () => {
  it('repeated planning within the TTL asks each source once', async () => {
    const em = full('electricitymaps');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps'] } } }),
      factories: factories({ electricitymaps: em }),
    });
    for (let i = 0; i < 5; i++)
      await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range, nowMs: now + i * MINUTE_MS });
    expect(em.calls).toHaveLength(1);
    expect(reg.cache?.stats.hits).toBe(4);
  });

  it('uses the configured TTL per provider', async () => {
    const em = full('electricitymaps');
    const reg = createRegistry({
      config: config({
        zones: { DE: { carbon: ['electricitymaps'] } },
        cache: { ttl: { electricitymaps: '1m' } },
      }),
      factories: factories({ electricitymaps: em }),
    });
    await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range, nowMs: now + 2 * MINUTE_MS });
    expect(em.calls).toHaveLength(2);
  });

  it('shares one cache between registries when given one', async () => {
    const em = full('electricitymaps');
    const cache = createSignalCache();
    const make = () =>
      createRegistry({
        config: config({ zones: { DE: { carbon: ['electricitymaps'] } } }),
        factories: factories({ electricitymaps: em }),
        cache,
      });
    await make().getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    await make().getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(em.calls).toHaveLength(1);
  });
});

describe('zone signals for the planner', () => {
  it('puts carbon and price on one grid with their sources and currency', async () => {
    const profile = testProvider('profile', (req) =>
      req.metric === 'price'
        ? [priceSeries('profile', hourly('2026-03-10T12:00:00Z', [0.2, 0.3, 0.4, 0.5]))]
        : [carbonSeries('profile', hourly('2026-03-10T12:00:00Z', [100, 200, 300, 400]))],
    );
    const reg = createRegistry({ factories: factories({ profile }) });
    const z = await reg.getZoneSignals('DE', {
      fromMs: now,
      toMs: now + 2 * HOUR_MS,
      nowMs: now,
      stepMin: 30,
    });
    expect(z.zone).toBe('DE');
    expect(z.carbon.startMs).toBe(now);
    expect(Array.from(z.carbon.values)).toEqual([100, 100, 200, 200]);
    expect(z.price?.startMs).toBe(now);
    expect(Array.from(z.price!.values)).toEqual([0.2, 0.2, 0.3, 0.3]);
    expect(z.currency).toBe('EUR');
    expect(z.carbonSource).toBe('profile');
    expect(z.priceSource).toBe('profile');
    expect(z.degraded).toEqual([]);
    expect(z.policy).toBeUndefined();
  });

  it('aligns the grid to the step and averages finer data into it', async () => {
    const profile = testProvider('profile', () => [
      carbonSeries('profile', hourly('2026-03-10T12:00:00Z', [100, 300, 500]), { resolutionMin: 60 }),
    ]);
    const reg = createRegistry({ factories: factories({ profile }) });
    const z = await reg.getZoneSignals('DE', {
      fromMs: now + 10 * MINUTE_MS,
      toMs: now + 2 * HOUR_MS + 10 * MINUTE_MS,
      nowMs: now,
      stepMin: 90,
      metrics: ['carbon_average'],
    });
    expect(z.carbon.startMs).toBe(now);
    // slots 12:00-13:30 (60 min of 100, 30 of 300) and 13:30-15:00 (30 of 300, 60 of 500)
    expect(Array.from(z.carbon.values)).toEqual([(100 * 60 + 300 * 30) / 90, (300 * 30 + 500 * 60) / 90]);
    expect(z.price).toBeUndefined();
    expect(z.answers.price).toBeUndefined();
  });

  it('prefixes degraded reasons with the metric and leaves out a price nobody could give', async () => {
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'], price: ['entsoe'] } } }),
      factories: factories({
        electricitymaps: failing('electricitymaps', 'auth'),
        profile: full('profile'),
        entsoe: failing('entsoe', 'unavailable'),
      }),
    });
    const z = await reg.getZoneSignals('DE', { ...range, stepMin: 60 });
    expect(z.carbonSource).toBe('profile');
    expect(z.price).toBeUndefined();
    expect(z.degraded).toEqual([
      'carbon: fallback: profile answered; electricitymaps (auth) did not',
      'price: no source answered; failure policy open: run at baseline',
    ]);
    expect(z.failures.map((f) => f.provider)).toEqual(['electricitymaps', 'entsoe']);
    expect(z.policy).toBe('open');
  });

  it('gives an all-missing carbon grid and the policy when no carbon source answers', async () => {
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps'], failurePolicy: 'closed' } } }),
      factories: factories({ electricitymaps: failing('electricitymaps', 'auth') }),
    });
    const z = await reg.getZoneSignals('DE', { ...range, stepMin: 60, metrics: ['carbon_average'] });
    expect(z.policy).toBe('closed');
    expect(z.carbon.values).toHaveLength(4);
    expect(Array.from(z.carbon.values).every(Number.isNaN)).toBe(true);
    expect(z.carbonSource).toBe('none');
  });

  it('plans on the zone’s configured carbon metric', async () => {
    const wt = testProvider('watttime', (req) => [
      carbonSeries('watttime', hourly('2026-03-10T12:00:00Z', [1, 2, 3, 4]), {
        metric: req.metric,
        zone: 'US-CAL-CISO',
      }),
    ]);
    const reg = createRegistry({
      config: config({ zones: { 'US-CAL-CISO': { carbon: ['watttime'], metric: 'carbon_marginal' } } }),
      factories: factories({ watttime: wt, profile: full('profile') }),
    });
    const z = await reg.getZoneSignals('US-CAL-CISO', { ...range, stepMin: 60, metrics: undefined });
    expect(wt.calls.find((c) => c.metric !== 'price')?.metric).toBe('carbon_marginal');
    expect(z.answers.carbon.metric).toBe('carbon_marginal');
  });
});

describe('offline default', () => {
  it('answers carbon and price for a registry zone with no key, from the built-in profile (degraded)', async () => {
    const reg = createRegistry();
    const z = await reg.getZoneSignals('FR', { ...range, stepMin: 30 });
    expect(z.carbonSource).toBe('profile');
    expect(z.priceSource).toBe('profile');
    expect(z.carbon.values).toHaveLength(8);
    expect(Array.from(z.carbon.values).every((v) => v > 0)).toBe(true);
    expect(z.price?.values).toHaveLength(8);
    expect(z.currency).toBe('EUR');
    expect(z.degraded?.some((r) => r.startsWith('carbon: profile:'))).toBe(true);
    expect(z.policy).toBeUndefined();
  });
});

describe('chains from the configuration', () => {
  it('lists the chain a zone asks, with defaults for zones not configured', () => {
    const reg = createRegistry({
      config: config({ zones: { GB: { price: [{ provider: 'octopus', region: 'C' }] } } }),
    });
    expect(reg.chain('FR', 'carbon_average').map((c) => c.provider)).toEqual(['profile', 'annual']);
    expect(reg.chain('GB', 'price')).toEqual([{ provider: 'octopus', id: 'octopus{"region":"C"}' }]);
  });
});

describe('with a real HTTP provider', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const history = {
    zone: 'DE',
    history: [
      { datetime: '2026-03-10T10:00:00.000Z', carbonIntensity: 410 },
      { datetime: '2026-03-10T11:00:00.000Z', carbonIntensity: 420 },
    ],
  };
  const forecast = {
    zone: 'DE',
    updatedAt: '2026-03-10T11:30:00.000Z',
    forecast: [
      { datetime: '2026-03-10T12:00:00.000Z', carbonIntensity: 300 },
      { datetime: '2026-03-10T13:00:00.000Z', carbonIntensity: 250 },
      { datetime: '2026-03-10T14:00:00.000Z', carbonIntensity: 200 },
    ],
  };

  it('answers from Electricity Maps, caches within the TTL, and falls back to the profile when the key is refused', async () => {
    server = await startServer((req, res) => {
      if (req.url.includes('/history')) return sendJson(res, 200, history);
      if (req.url.includes('/forecast')) return sendJson(res, 200, forecast);
      sendJson(res, 404, { error: 'unknown' });
    });
    const profile = full('profile', [1, 2, 3, 4, 5], { kind: 'forecast' });
    const reg = createRegistry({
      config: config(
        { zones: { DE: { carbon: ['electricitymaps', 'profile'] } } },
        { GRIDSHIFT_ELECTRICITYMAPS_TOKEN: 'secret-token', GRIDSHIFT_ELECTRICITYMAPS_BASE_URL: server.url },
      ),
      factories: factories({ profile }),
    });
    const query = {
      zone: 'DE',
      metric: 'carbon_average' as const,
      fromMs: t('2026-03-10T10:00:00Z'),
      toMs: t('2026-03-10T15:00:00Z'),
      nowMs: now,
    };
    const a = await reg.getSignal(query);
    expect(a.source).toBe('electricitymaps');
    expect(a.series?.points.map((p) => p.value)).toEqual([410, 420, 300, 250, 200]);
    expect(a.forecastFromMs).toBe(now);
    expect(a.degraded).toBe(false);
    expect(server.requests[0].headers['auth-token']).toBe('secret-token');
    const served = server.requests.length;

    // planning again five minutes later: no new request
    await reg.getSignal({ ...query, nowMs: now + 5 * MINUTE_MS });
    expect(server.requests.length).toBe(served);

    // after the TTL (15 min) the key is refused: the profile answers
    server.handle((_req, res) => sendJson(res, 401, { message: 'bad key' }));
    const b = await reg.getSignal({ ...query, nowMs: now + 16 * MINUTE_MS });
    expect(server.requests.length).toBeGreaterThan(served);
    expect(b.source).toBe('profile');
    expect(b.failures[0]).toMatchObject({ provider: 'electricitymaps', kind: 'auth' });
    expect(b.degraded).toBe(true);
  });

  it('honours Retry-After from a real 429 and does not call the server meanwhile', async () => {
    server = await startServer((_req, res) =>
      sendJson(res, 429, { message: 'slow down' }, { 'retry-after': '300' }),
    );
    const reg = createRegistry({
      config: config(
        { zones: { DE: { carbon: ['electricitymaps', 'profile'] } } },
        { GRIDSHIFT_ELECTRICITYMAPS_TOKEN: 'k', GRIDSHIFT_ELECTRICITYMAPS_BASE_URL: server.url },
      ),
      factories: factories({ profile: full('profile') }),
    });
    const first = await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range });
    expect(first.failures[0].kind).toBe('rate_limit');
    const calls = server.requests.length;
    expect(calls).toBeGreaterThan(0);
    await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range, nowMs: now + 299_000 });
    expect(server.requests.length).toBe(calls);
    await reg.getSignal({ zone: 'DE', metric: 'carbon_average', ...range, nowMs: now + 300_000 });
    expect(server.requests.length).toBeGreaterThan(calls);
  });
});
