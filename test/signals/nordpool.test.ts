import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, ProviderError } from '../../src/core/errors.ts';
import { toIso } from '../../src/core/time.ts';
import type { Zone } from '../../src/core/zones.ts';
import { deliveryDate, NORDPOOL_AREAS, nordPool, nordPoolArea } from '../../src/signals/nordpool.ts';
import {
  type Handler,
  parseUrl,
  sendJson,
  sendText,
  startServer,
  type TestServer,
} from '../helpers/http-server.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8');
const iso = (text: string) => Date.parse(text);

const SE3: Zone = { code: 'SE-SE3', name: 'Sweden SE3', timeZone: 'Europe/Stockholm', country: 'SE' };
const FI: Zone = { code: 'FI', name: 'Finland', timeZone: 'Europe/Helsinki', country: 'FI' };

/** Serves the fixture for the dates it has and 204 No Content (not yet published) for the others. */
function dataPortal(days: Record<string, string>): Handler {
  return (req, res) => {
    const url = parseUrl(req);
    const file = days[`${url.searchParams.get('date')}/${url.searchParams.get('deliveryArea')}`];
    if (url.pathname !== '/api/DayAheadPrices') sendText(res, 404, 'Not found');
    else if (file) sendText(res, 200, fixture(file), 'application/json');
    else {
      res.writeHead(204);
      res.end();
    }
  };
}

let server: TestServer;
beforeEach(async () => {
  server = await startServer(
    dataPortal({
      '2024-10-27/SE3': 'nordpool-SE3-2024-10-27.json',
      '2025-10-15/FI': 'nordpool-FI-2025-10-15-15min.json',
    }),
  );
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

const SE3_DAY = {
  zone: SE3,
  metric: 'price' as const,
  // the CET delivery day 2024-10-27 runs 22:00Z to 23:00Z the next day: 25 hours, clocks go back
  fromMs: iso('2024-10-26T22:00:00Z'),
  toMs: iso('2024-10-27T23:00:00Z'),
  nowMs: iso('2024-10-28T12:00:00Z'),
};

describe('nordPool', () => {
  it('asks for one delivery day and converts EUR/MWh to EUR/kWh across the DST change', async () => {
    const [series] = await nordPool({ baseUrl: server.url }).fetch(SE3_DAY);

    expect(server.requests).toHaveLength(1);
    expect(Object.fromEntries(parseUrl(server.requests[0]).searchParams)).toEqual({
      date: '2024-10-27',
      market: 'DayAhead',
      deliveryArea: 'SE3',
      currency: 'EUR',
    });
    expect(series).toMatchObject({
      zone: 'SE-SE3',
      metric: 'price',
      unit: 'EUR/kWh',
      kind: 'actual',
      source: 'nordpool',
    });
    expect(series.resolutionMin).toBe(60);
    expect(series.degraded).toBeUndefined();
    expect(series.points).toHaveLength(25);
    for (let i = 0; i < 25; i++)
      expect(series.points[i].start).toBe(iso('2024-10-26T22:00:00Z') + i * 3_600_000);
    expect(series.points[0].value).toBeCloseTo(0.02154, 12);
    expect(series.points[17].value).toBeCloseTo(0.21586, 12);
    expect(toIso(series.points[24].start)).toBe('2024-10-27T22:00:00Z');
    expect(series.points[24].value).toBeCloseTo(-0.00125, 12);
  });

  it('handles 15-minute products', async () => {
    const [series] = await nordPool({ baseUrl: server.url }).fetch({
      zone: FI,
      metric: 'price',
      fromMs: iso('2025-10-14T22:00:00Z'),
      toMs: iso('2025-10-14T23:00:00Z'),
      nowMs: iso('2025-10-14T20:00:00Z'),
    });
    expect(parseUrl(server.requests[0]).searchParams.get('date')).toBe('2025-10-15');
    expect(series.resolutionMin).toBe(15);
    expect(series.points.map((p) => toIso(p.start))).toEqual([
      '2025-10-14T22:00:00Z',
      '2025-10-14T22:15:00Z',
      '2025-10-14T22:30:00Z',
      '2025-10-14T22:45:00Z',
    ]);
    const expected = [0.0125, 0.01004, -0.0008, 0.003];
    for (const [i, p] of series.points.entries()) expect(p.value).toBeCloseTo(expected[i], 12);
  });

  it("returns the published day and says tomorrow's prices are missing (204 No Content)", async () => {
    const [series] = await nordPool({ baseUrl: server.url }).fetch({
      ...SE3_DAY,
      toMs: iso('2024-10-28T23:00:00Z'),
      nowMs: iso('2024-10-27T11:00:00Z'),
    });
    expect(server.requests.map((r) => parseUrl(r).searchParams.get('date'))).toEqual([
      '2024-10-27',
      '2024-10-28',
    ]);
    expect(series.points).toHaveLength(25);
    expect(series.degraded).toMatch(/until 2024-10-27T23:00:00Z/);
  });

  it('does not ask for days that cannot have been auctioned yet', async () => {
    await nordPool({ baseUrl: server.url }).fetch({
      ...SE3_DAY,
      toMs: iso('2024-11-05T00:00:00Z'),
      nowMs: iso('2024-10-27T14:00:00Z'),
    });
    expect(server.requests.map((r) => parseUrl(r).searchParams.get('date'))).toEqual([
      '2024-10-27',
      '2024-10-28',
    ]);
  });

  it('answers not_found when no day in the range is published', async () => {
    const err = await failure(
      nordPool({ baseUrl: server.url }).fetch({
        zone: SE3,
        metric: 'price',
        fromMs: iso('2024-10-28T23:00:00Z'),
        toMs: iso('2024-10-29T23:00:00Z'),
        nowMs: iso('2024-10-28T11:00:00Z'),
      }),
    );
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/13:00 CET/);
  });

  it('asks in the configured currency and checks the answer is in it', async () => {
    server.handle((_req, res) => {
      const doc = JSON.parse(fixture('nordpool-FI-2025-10-15-15min.json'));
      sendJson(res, 200, { ...doc, currency: 'SEK' });
    });
    const req = {
      zone: FI,
      metric: 'price' as const,
      fromMs: iso('2025-10-14T22:00:00Z'),
      toMs: iso('2025-10-14T23:00:00Z'),
      nowMs: iso('2025-10-14T20:00:00Z'),
    };
    const [series] = await nordPool({ baseUrl: server.url, currency: 'SEK' }).fetch(req);
    expect(parseUrl(server.requests[0]).searchParams.get('currency')).toBe('SEK');
    expect(series.unit).toBe('SEK/kWh');

    const err = await failure(nordPool({ baseUrl: server.url, currency: 'NOK' }).fetch(req));
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/NOK.*SEK/);
  });

  it('maps HTTP failures to provider errors', async () => {
    const provider = nordPool({ baseUrl: server.url });

    server.handle((_req, res) => sendText(res, 403, 'Forbidden'));
    expect((await failure(provider.fetch(SE3_DAY))).kind).toBe('auth');

    server.handle((_req, res) =>
      sendJson(res, 429, { message: 'Rate limit is exceeded.' }, { 'retry-after': '5' }),
    );
    const limited = await failure(provider.fetch(SE3_DAY));
    expect(limited.kind).toBe('rate_limit');
    expect(limited.retryAfterMs).toBe(5000);

    server.handle((_req, res) => sendText(res, 500, 'Internal Server Error'));
    expect((await failure(provider.fetch(SE3_DAY))).kind).toBe('unavailable');
  });

  it('refuses answers that are not the documented shape', async () => {
    const provider = nordPool({ baseUrl: server.url });

    server.handle((_req, res) => sendText(res, 200, '<!doctype html><title>Nord Pool</title>', 'text/html'));
    expect((await failure(provider.fetch(SE3_DAY))).message).toMatch(/not JSON/);

    server.handle((_req, res) =>
      sendJson(res, 200, { deliveryDateCET: '2024-10-27', currency: 'EUR', entries: [] }),
    );
    const shape = await failure(provider.fetch(SE3_DAY));
    expect(shape.kind).toBe('malformed');
    expect(shape.message).toMatch(/multiAreaEntries/);

    server.handle((_req, res) =>
      sendJson(res, 200, {
        deliveryDateCET: '2024-10-27',
        currency: 'EUR',
        multiAreaEntries: [
          {
            deliveryStart: '2024-10-26T22:00:00Z',
            deliveryEnd: '2024-10-26T23:00:00Z',
            entryPerArea: { SE3: '21,54' },
          },
        ],
      }),
    );
    expect((await failure(provider.fetch(SE3_DAY))).message).toMatch(/entryPerArea\.SE3/);

    server.handle((_req, res) =>
      sendJson(res, 200, {
        deliveryDateCET: '2024-10-27',
        currency: 'EUR',
        multiAreaEntries: [
          {
            deliveryStart: '2024-10-26T22:00:00Z',
            deliveryEnd: '2024-10-26T23:00:00Z',
            entryPerArea: { SE3: 1 },
          },
          {
            deliveryStart: '2024-10-26T22:30:00Z',
            deliveryEnd: '2024-10-26T23:30:00Z',
            entryPerArea: { SE3: 2 },
          },
        ],
      }),
    );
    expect((await failure(provider.fetch(SE3_DAY))).message).toMatch(/overlap/);
  });

  it('maps our zone codes to delivery areas, with ids.nordpool taking precedence', async () => {
    expect(nordPoolArea(SE3)).toBe('SE3');
    expect(nordPoolArea({ ...FI, code: 'DK-DK1' })).toBe('DK1');
    expect(nordPoolArea({ ...FI, code: 'DE' })).toBe('GER');
    expect(nordPoolArea({ ...FI, code: 'ES' })).toBeUndefined();
    expect(Object.keys(NORDPOOL_AREAS)).toContain('NO-NO5');

    const provider = nordPool({ baseUrl: server.url });
    expect(provider.supports({ ...FI, code: 'ES' }, 'price')).toBe(false);
    expect(provider.supports(SE3, 'carbon_average')).toBe(false);
    const custom: Zone = { ...FI, code: 'SE-STOCKHOLM', ids: { nordpool: 'SE3' } };
    expect(provider.supports(custom, 'price')).toBe(true);
    const [series] = await provider.fetch({ ...SE3_DAY, zone: custom });
    expect(series.zone).toBe('SE-STOCKHOLM');
    expect(series.points).toHaveLength(25);

    const err = await failure(provider.fetch({ ...SE3_DAY, zone: { ...FI, code: 'ES' } }));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/ids\.nordpool/);
  });

  it('refuses an unknown currency at configuration time', () => {
    expect(() => nordPool({ currency: 'GBP' as 'EUR' })).toThrow(InputError);
  });
});

describe('deliveryDate', () => {
  it('is the CET/CEST calendar day', () => {
    expect(deliveryDate(iso('2024-10-26T21:59:59Z'))).toBe('2024-10-26');
    expect(deliveryDate(iso('2024-10-26T22:00:00Z'))).toBe('2024-10-27'); // midnight CEST
    expect(deliveryDate(iso('2024-10-27T22:59:59Z'))).toBe('2024-10-27');
    expect(deliveryDate(iso('2024-10-27T23:00:00Z'))).toBe('2024-10-28'); // midnight CET
  });
});
