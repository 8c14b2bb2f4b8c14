import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, ProviderError } from '../../src/core/errors.ts';
import { toIso } from '../../src/core/time.ts';
import type { Zone } from '../../src/core/zones.ts';
import { octopusAgile, resolveNextPage } from '../../src/signals/octopus.ts';
import { parseUrl, sendJson, sendText, startServer, type TestServer } from '../helpers/http-server.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8');

const GB: Zone = { code: 'GB', name: 'Great Britain', timeZone: 'Europe/London', country: 'GB' };
const RATES_PATH =
  '/v1/products/AGILE-24-10-01/electricity-tariffs/E-1R-AGILE-24-10-01-C/standard-unit-rates/';
// 2024-10-27 is the day UK clocks go back (01:00 UTC); the requested hours straddle it.
const FROM = Date.parse('2024-10-27T00:00:00Z');
const TO = Date.parse('2024-10-27T03:00:00Z');
const NOW = Date.parse('2024-10-27T12:00:00Z');

let server: TestServer;
beforeEach(async () => {
  server = await startServer((req, res) => {
    const url = parseUrl(req);
    if (url.pathname !== RATES_PATH) return sendText(res, 404, 'Not found');
    sendText(
      res,
      200,
      fixture(url.searchParams.get('page') === '2' ? 'octopus-agile-page2.json' : 'octopus-agile-page1.json'),
      'application/json',
    );
  });
});
afterEach(() => server.close());

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('octopusAgile', () => {
  it('follows every page, sorts ascending and converts p/kWh to GBP/kWh excluding VAT', async () => {
    const provider = octopusAgile({ baseUrl: server.url });
    const [series] = await provider.fetch({ zone: GB, metric: 'price', fromMs: FROM, toMs: TO, nowMs: NOW });

    expect(server.requests).toHaveLength(2);
    const first = parseUrl(server.requests[0]);
    expect(first.searchParams.get('period_from')).toBe('2024-10-27T00:00:00Z');
    expect(first.searchParams.get('period_to')).toBe('2024-10-27T03:00:00Z');
    // the absolute `next` link of the real API is sent to the configured base URL
    expect(parseUrl(server.requests[1]).searchParams.get('page')).toBe('2');

    expect(series).toMatchObject({
      zone: 'GB',
      metric: 'price',
      unit: 'GBP/kWh',
      kind: 'actual',
      source: 'octopus',
    });
    expect(series.resolutionMin).toBe(30);
    expect(series.degraded).toBeUndefined();
    expect(series.points.map((p) => toIso(p.start))).toEqual([
      '2024-10-27T00:00:00Z',
      '2024-10-27T00:30:00Z',
      '2024-10-27T01:00:00Z',
      '2024-10-27T01:30:00Z',
      '2024-10-27T02:00:00Z',
      '2024-10-27T02:30:00Z',
    ]);
    const expected = [-0.021, 0.1, 0.126, 0.1525, 0.18, 0.205];
    for (const [i, p] of series.points.entries()) expect(p.value).toBeCloseTo(expected[i], 12);
  });

  it('reports prices including VAT when asked', async () => {
    const [series] = await octopusAgile({ baseUrl: server.url, includeVat: true }).fetch({
      zone: GB,
      metric: 'price',
      fromMs: FROM,
      toMs: TO,
      nowMs: NOW,
    });
    expect(series.points[0].value).toBeCloseTo(-0.02205, 12);
    expect(series.points[5].value).toBeCloseTo(0.21525, 12);
  });

  it("uses the zone's own region letter over the configured one", async () => {
    server.handle((_req, res) => sendJson(res, 200, { count: 0, next: null, previous: null, results: [] }));
    const zone: Zone = { ...GB, code: 'GB-SCOTLAND', ids: { octopusRegion: 'p' } };
    await octopusAgile({ baseUrl: server.url, region: 'A' })
      .fetch({ zone, metric: 'price', fromMs: FROM, toMs: TO, nowMs: NOW })
      .catch(() => undefined);
    expect(parseUrl(server.requests[0]).pathname).toBe(
      '/v1/products/AGILE-24-10-01/electricity-tariffs/E-1R-AGILE-24-10-01-P/standard-unit-rates/',
    );
  });

  it('says how far the published prices reach when the range goes beyond them', async () => {
    const [series] = await octopusAgile({ baseUrl: server.url }).fetch({
      zone: GB,
      metric: 'price',
      fromMs: FROM,
      toMs: TO + 3_600_000,
      nowMs: NOW,
    });
    expect(series.points).toHaveLength(6);
    expect(series.degraded).toMatch(/until 2024-10-27T03:00:00Z/);
  });

  it('keeps one rate per half hour where a tariff lists several payment methods', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        count: 2,
        next: null,
        previous: null,
        results: [
          {
            value_exc_vat: 30,
            value_inc_vat: 31.5,
            valid_from: '2024-10-27T00:00:00Z',
            valid_to: '2024-10-27T00:30:00Z',
            payment_method: 'NON_DIRECT_DEBIT',
          },
          {
            value_exc_vat: 20,
            value_inc_vat: 21,
            valid_from: '2024-10-27T00:00:00Z',
            valid_to: '2024-10-27T00:30:00Z',
            payment_method: 'DIRECT_DEBIT',
          },
        ],
      }),
    );
    const [series] = await octopusAgile({ baseUrl: server.url }).fetch({
      zone: GB,
      metric: 'price',
      fromMs: FROM,
      toMs: FROM + 1_800_000,
      nowMs: NOW,
    });
    expect(series.points).toEqual([{ start: FROM, value: 0.2 }]);
  });

  it('answers not_found when no rates are published for the range yet', async () => {
    server.handle((_req, res) => sendJson(res, 200, { count: 0, next: null, previous: null, results: [] }));
    const err = await failure(
      octopusAgile({ baseUrl: server.url }).fetch({
        zone: GB,
        metric: 'price',
        fromMs: FROM,
        toMs: TO,
        nowMs: NOW,
      }),
    );
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/16:00/);
  });

  it('maps HTTP failures to provider errors', async () => {
    const provider = octopusAgile({ baseUrl: server.url });
    const req = { zone: GB, metric: 'price' as const, fromMs: FROM, toMs: TO, nowMs: NOW };

    server.handle((_req, res) =>
      sendJson(res, 401, { detail: 'Authentication credentials were not provided.' }),
    );
    expect((await failure(provider.fetch(req))).kind).toBe('auth');

    server.handle((_req, res) =>
      sendJson(res, 429, { detail: 'Request was throttled.' }, { 'retry-after': '30' }),
    );
    const limited = await failure(provider.fetch(req));
    expect(limited.kind).toBe('rate_limit');
    expect(limited.retryAfterMs).toBe(30_000);

    server.handle((_req, res) => sendText(res, 502, 'Bad gateway'));
    expect((await failure(provider.fetch(req))).kind).toBe('unavailable');
  });

  it('refuses answers that are not the documented shape', async () => {
    const provider = octopusAgile({ baseUrl: server.url });
    const req = { zone: GB, metric: 'price' as const, fromMs: FROM, toMs: TO, nowMs: NOW };

    server.handle((_req, res) => sendText(res, 200, '<html>maintenance</html>', 'text/html'));
    expect((await failure(provider.fetch(req))).kind).toBe('malformed');

    server.handle((_req, res) =>
      sendJson(res, 200, { next: null, results: [{ value: 12, valid_from: 'x' }] }),
    );
    const shape = await failure(provider.fetch(req));
    expect(shape.kind).toBe('malformed');
    expect(shape.message).toMatch(/results\.0\.value_exc_vat/);

    server.handle((_req, res) =>
      sendJson(res, 200, {
        next: null,
        results: [{ value_exc_vat: 1, value_inc_vat: 1, valid_from: 'yesterday', valid_to: null }],
      }),
    );
    expect((await failure(provider.fetch(req))).message).toMatch(/yesterday/);
  });

  it('stops a pagination that loops back on itself', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, { next: `${server.url}${RATES_PATH}?page=2`, results: [] }),
    );
    const err = await failure(
      octopusAgile({ baseUrl: server.url }).fetch({
        zone: GB,
        metric: 'price',
        fromMs: FROM,
        toMs: TO,
        nowMs: NOW,
      }),
    );
    expect(err.kind).toBe('malformed');
    expect(server.requests).toHaveLength(2);
  });

  it('covers GB zones and prices only', () => {
    const provider = octopusAgile();
    expect(provider.supports(GB, 'price')).toBe(true);
    expect(provider.supports({ ...GB, code: 'GB-NIR' }, 'price')).toBe(false);
    expect(provider.supports({ ...GB, code: 'DE', country: 'DE' }, 'price')).toBe(false);
    expect(provider.supports(GB, 'carbon_average')).toBe(false);
  });

  it('refuses other zones and metrics without a request', async () => {
    const provider = octopusAgile({ baseUrl: server.url });
    const err = await failure(
      provider.fetch({ zone: GB, metric: 'carbon_average', fromMs: FROM, toMs: TO, nowMs: NOW }),
    );
    expect(err.kind).toBe('unsupported');
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a bad region letter or product code at configuration time', () => {
    expect(() => octopusAgile({ region: 'I' })).toThrow(InputError);
    expect(() => octopusAgile({ region: 'Z' })).toThrow(/octopus\.region/);
    expect(() => octopusAgile({ product: 'agile 24' })).toThrow(/octopus\.product/);
  });
});

describe('resolveNextPage', () => {
  it('keeps path and query of the next link but the configured host', () => {
    expect(resolveNextPage('https://api.octopus.energy/v1/x/?page=2', 'http://127.0.0.1:9000')).toBe(
      'http://127.0.0.1:9000/v1/x/?page=2',
    );
    expect(resolveNextPage('https://api.octopus.energy/v1/x/?page=2', 'https://proxy.example/octopus/')).toBe(
      'https://proxy.example/octopus/v1/x/?page=2',
    );
    expect(resolveNextPage('/v1/x/?page=3', 'https://api.octopus.energy')).toBe(
      'https://api.octopus.energy/v1/x/?page=3',
    );
  });
});
