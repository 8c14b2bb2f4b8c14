import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import type { Zone } from '../../src/core/zones.ts';
import { electricityMaps, forecastHorizonFor } from '../../src/signals/electricitymaps.ts';
import type { SignalRequest } from '../../src/signals/provider.ts';
import { parseUrl, sendJson, sendText, startServer, type TestServer } from '../helpers/http-server.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8'));
const HISTORY = fixture('electricitymaps-history.json');
const FORECAST = fixture('electricitymaps-forecast.json');
const LATEST = fixture('electricitymaps-latest.json');

const t = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DE: Zone = { code: 'DE', name: 'Germany', timeZone: 'Europe/Berlin', country: 'DE' };
const NOW = t('2024-03-20T12:00:00Z');
const request = (fromMs: number, toMs: number, extra: Partial<SignalRequest> = {}): SignalRequest => ({
  zone: DE,
  metric: 'carbon_average',
  fromMs,
  toMs,
  nowMs: NOW,
  ...extra,
});

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

/** Serves the documented shapes per endpoint; `refuse` lists endpoints that answer 401 as for a free key. */
async function emServer(refuse: string[] = [], status = 401) {
  server = await startServer((req, res) => {
    const endpoint = parseUrl(req).pathname.replace('/v3/carbon-intensity/', '');
    if (refuse.includes(endpoint)) return sendJson(res, status, { message: 'Forbidden' });
    if (endpoint === 'history') return sendJson(res, 200, HISTORY);
    if (endpoint === 'forecast') return sendJson(res, 200, FORECAST);
    if (endpoint === 'latest') return sendJson(res, 200, LATEST);
    sendJson(res, 404, { message: 'no such endpoint' });
  });
  return server;
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('electricityMaps', () => {
  it('returns measured history and the forecast with the right times, kinds and values', async () => {
    await emServer();
    const em = electricityMaps({ apiKey: 'key-1', baseUrl: server.url });
    const [actual, forecast] = await em.fetch(request(t('2024-03-20T09:00:00Z'), t('2024-03-20T15:00:00Z')));

    expect(actual).toMatchObject({
      zone: 'DE',
      metric: 'carbon_average',
      unit: 'gCO2eq/kWh',
      resolutionMin: 60,
      kind: 'actual',
      source: 'electricitymaps',
    });
    expect(actual.degraded).toBeUndefined();
    expect(actual.points.map((p) => p.start)).toEqual([
      t('2024-03-20T09:00:00Z'),
      t('2024-03-20T10:00:00Z'),
      t('2024-03-20T11:00:00Z'),
    ]);
    // a missing value stays a gap (NaN), it must not extend the value before it
    expect(actual.points.map((p) => p.value)).toEqual([300, 310.5, Number.NaN]);

    expect(forecast).toMatchObject({ kind: 'forecast', resolutionMin: 60, source: 'electricitymaps' });
    expect(forecast.issuedAt).toBe(t('2024-03-20T11:45:12Z'));
    // 15:00 starts at the end of the range and is left out
    expect(forecast.points).toEqual([
      { start: t('2024-03-20T12:00:00Z'), value: 280 },
      { start: t('2024-03-20T13:00:00Z'), value: 260 },
      { start: t('2024-03-20T14:00:00Z'), value: 240 },
    ]);

    expect(server.requests.map((r) => parseUrl(r).pathname)).toEqual([
      '/v3/carbon-intensity/history',
      '/v3/carbon-intensity/forecast',
    ]);
    for (const r of server.requests) {
      expect(r.headers['auth-token']).toBe('key-1');
      expect(parseUrl(r).searchParams.get('zone')).toBe('DE');
    }
  });

  it('passes the emission factor type, granularity and horizon when configured', async () => {
    server = await startServer((req, res) => {
      const endpoint = parseUrl(req).pathname;
      if (endpoint.endsWith('/history'))
        return sendJson(res, 200, {
          zone: 'DE',
          history: [
            { carbonIntensity: 100, datetime: '2024-03-20T11:30:00Z', temporalGranularity: '15_minutes' },
            { carbonIntensity: 120, datetime: '2024-03-20T11:45:00Z', temporalGranularity: '15_minutes' },
          ],
        });
      sendJson(res, 200, FORECAST);
    });
    const em = electricityMaps({
      apiKey: 'k',
      baseUrl: server.url,
      emissionFactorType: 'direct',
      temporalGranularity: '15_minutes',
      forecastHorizonHours: 48,
    });
    const [actual] = await em.fetch(request(t('2024-03-20T11:00:00Z'), t('2024-03-20T13:00:00Z')));
    expect(actual.resolutionMin).toBe(15);
    expect(actual.points.map((p) => p.value)).toEqual([100, 120]);
    const [history, forecast] = server.requests.map((r) => parseUrl(r).searchParams);
    expect(history.get('emissionFactorType')).toBe('direct');
    expect(history.get('temporalGranularity')).toBe('15_minutes');
    expect(history.get('horizonHours')).toBeNull();
    expect(forecast.get('horizonHours')).toBe('48');
  });

  it('asks for the shortest forecast that reaches the end of the range, at most 72 h', async () => {
    server = await startServer((req, res) => {
      if (parseUrl(req).pathname.endsWith('/history')) return sendJson(res, 200, { zone: 'DE', history: [] });
      sendJson(res, 200, FORECAST);
    });
    const em = electricityMaps({ apiKey: 'k', baseUrl: server.url });
    const hour = 3_600_000;
    for (const hours of [10, 30, 100]) await em.fetch(request(NOW - hour, NOW + hours * hour));
    const asked = server.requests
      .map((r) => parseUrl(r))
      .filter((u) => u.pathname.endsWith('/forecast'))
      .map((u) => u.searchParams.get('horizonHours'));
    expect(asked).toEqual(['24', '48', '72']);
    expect(forecastHorizonFor(6)).toBe(6);
    expect(forecastHorizonFor(6.5)).toBe(24);
  });

  it('reads older history from past-range in pieces of at most 10 days, without gaps or duplicates', async () => {
    server = await startServer((req, res) => {
      const url = parseUrl(req);
      if (url.pathname.endsWith('/history')) {
        const history = [];
        for (let h = NOW - 24 * HOUR; h < NOW; h += HOUR)
          history.push({ carbonIntensity: 1, datetime: new Date(h).toISOString() });
        return sendJson(res, 200, { zone: 'DE', history });
      }
      // end inclusive, as a server may well be: the client must drop the duplicate hour
      const start = t(url.searchParams.get('start')!);
      const end = t(url.searchParams.get('end')!);
      const data = [];
      for (let h = start; h <= end; h += HOUR)
        data.push({ carbonIntensity: (h - start) / HOUR, datetime: new Date(h).toISOString() });
      sendJson(res, 200, { zone: 'DE', data });
    });
    const em = electricityMaps({ apiKey: 'k', baseUrl: server.url });
    const from = NOW - 21 * 24 * HOUR;
    const [actual] = await em.fetch(request(from, NOW));

    const pastRanges = server.requests
      .map((r) => parseUrl(r))
      .filter((u) => u.pathname.endsWith('/past-range'))
      .map((u) => [u.searchParams.get('start'), u.searchParams.get('end')]);
    expect(pastRanges).toEqual([
      ['2024-02-28T12:00:00Z', '2024-03-09T12:00:00Z'],
      ['2024-03-09T12:00:00Z', '2024-03-19T12:00:00Z'],
    ]);
    expect(actual.points).toHaveLength(21 * 24);
    for (let i = 0; i < actual.points.length; i++) expect(actual.points[i].start).toBe(from + i * HOUR);
    expect(actual.degraded).toBeUndefined();
  });

  it('degrades to measured values when the key has no forecast access (free tier) instead of failing', async () => {
    await emServer(['forecast']);
    const em = electricityMaps({ apiKey: 'free', baseUrl: server.url });
    const series = await em.fetch(request(t('2024-03-20T09:00:00Z'), t('2024-03-20T15:00:00Z')));
    expect(series).toHaveLength(1);
    expect(series[0].kind).toBe('actual');
    expect(series[0].points).toHaveLength(3);
    expect(series[0].degraded).toMatch(/^no forecast for this API key \(free tier\)/);
  });

  it('answers a future-only request of a free key with the latest measured value, degraded', async () => {
    await emServer(['forecast'], 403);
    const em = electricityMaps({ apiKey: 'free', baseUrl: server.url });
    const series = await em.fetch(request(NOW, NOW + 6 * HOUR));
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ kind: 'actual', points: [{ start: NOW, value: 290 }] });
    expect(series[0].degraded).toMatch(/no forecast for this API key/);
  });

  it('degrades when a free key cannot read past-range, keeping the last 24 h', async () => {
    await emServer(['past-range', 'forecast']);
    const em = electricityMaps({ apiKey: 'free', baseUrl: server.url });
    const [actual] = await em.fetch(request(NOW - 3 * 24 * HOUR, NOW + 3 * HOUR));
    expect(actual.points).toHaveLength(3);
    expect(actual.degraded).toMatch(/no past-range access.*; no forecast for this API key/);
  });

  it('fails with auth when the key itself is refused, naming the environment variable', async () => {
    await emServer(['history', 'forecast', 'latest']);
    const em = electricityMaps({ apiKey: 'wrong', baseUrl: server.url });
    const err = await failure(em.fetch(request(t('2024-03-20T09:00:00Z'), t('2024-03-20T15:00:00Z'))));
    expect(err.kind).toBe('auth');
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/GRIDSHIFT_ELECTRICITYMAPS_TOKEN/);

    // future only: forecast refused, and the free endpoint refuses too -> the key is wrong, not the plan
    const future = await failure(em.fetch(request(NOW, NOW + HOUR)));
    expect(future.kind).toBe('auth');
  });

  it('without a key still supports the zone but fails with auth telling how to set one, sending nothing', async () => {
    await emServer();
    const em = electricityMaps({ baseUrl: server.url });
    expect(em.supports(DE, 'carbon_average')).toBe(true);
    const err = await failure(em.fetch(request(NOW - HOUR, NOW)));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/set GRIDSHIFT_ELECTRICITYMAPS_TOKEN/);
    expect(server.requests).toHaveLength(0);
  });

  it('maps 429 with Retry-After to rate_limit with retryAfterMs', async () => {
    server = await startServer((_req, res) =>
      sendJson(res, 429, { message: 'slow down' }, { 'retry-after': '120' }),
    );
    const err = await failure(
      electricityMaps({ apiKey: 'k', baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)),
    );
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('maps 5xx to unavailable, also on the forecast (only auth refusals degrade)', async () => {
    server = await startServer((req, res) =>
      parseUrl(req).pathname.endsWith('/forecast') ? sendText(res, 503, 'down') : sendJson(res, 200, HISTORY),
    );
    const err = await failure(
      electricityMaps({ apiKey: 'k', baseUrl: server.url }).fetch(request(NOW - HOUR, NOW + HOUR)),
    );
    expect(err.kind).toBe('unavailable');
    expect(err.status).toBe(503);
  });

  it('rejects a body of the wrong shape or not JSON as malformed', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { zone: 'DE', data: [] }));
    const em = electricityMaps({ apiKey: 'k', baseUrl: server.url });
    const shape = await failure(em.fetch(request(NOW - HOUR, NOW)));
    expect(shape.kind).toBe('malformed');
    expect(shape.message).toMatch(/history/);

    server.handle((_req, res) =>
      sendJson(res, 200, { zone: 'DE', history: [{ carbonIntensity: 'high', datetime: 'x' }] }),
    );
    expect((await failure(em.fetch(request(NOW - HOUR, NOW)))).kind).toBe('malformed');

    server.handle((_req, res) => sendText(res, 200, '<html>maintenance</html>', 'text/html'));
    const text = await failure(em.fetch(request(NOW - HOUR, NOW)));
    expect(text.kind).toBe('malformed');
    expect(text.message).toMatch(/not JSON/);
  });

  it('refuses an answer for another zone than asked (the API can fall back to the caller location)', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { ...HISTORY, zone: 'FR' }));
    const err = await failure(
      electricityMaps({ apiKey: 'k', baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)),
    );
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/DE.*FR/);
  });

  it('supports only average carbon intensity', async () => {
    const em = electricityMaps({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });
    expect(em.supports(DE, 'carbon_marginal')).toBe(false);
    expect(em.supports(DE, 'price')).toBe(false);
    const err = await failure(em.fetch(request(NOW - HOUR, NOW, { metric: 'price' })));
    expect(err.kind).toBe('unsupported');
  });
});
