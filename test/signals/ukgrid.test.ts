import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import type { Zone } from '../../src/core/zones.ts';
import type { SignalRequest } from '../../src/signals/provider.ts';
import { UK_REGION_ZONES, ukArea, ukCarbonIntensity } from '../../src/signals/ukgrid.ts';
import { parseUrl, sendJson, sendText, startServer, type TestServer } from '../helpers/http-server.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8'));
const NATIONAL_RANGE = fixture('ukgrid-national-range.json');
const NATIONAL_FW48H = fixture('ukgrid-national-fw48h.json');
const REGIONAL_RANGE = fixture('ukgrid-regional-range.json');
const REGIONAL_FW48H = fixture('ukgrid-regional-fw48h.json');

const t = (iso: string) => Date.parse(iso);
const HALF_HOUR = 30 * 60_000;
const DAY = 48 * HALF_HOUR;
const NOW = t('2024-03-20T12:00:00Z');
const GB: Zone = { code: 'GB', name: 'Great Britain', timeZone: 'Europe/London', country: 'GB' };
const LONDON = UK_REGION_ZONES.find((z) => z.code === 'GB-LONDON')!;
const request = (fromMs: number, toMs: number, extra: Partial<SignalRequest> = {}): SignalRequest => ({
  zone: GB,
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

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const paths = () => server.requests.map((r) => parseUrl(r).pathname);

describe('ukCarbonIntensity, national', () => {
  it('splits the past into measured values and not-yet-measured forecasts, and adds the 48 h forecast', async () => {
    server = await startServer((req, res) =>
      sendJson(res, 200, parseUrl(req).pathname.endsWith('/fw48h') ? NATIONAL_FW48H : NATIONAL_RANGE),
    );
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const [actual, forecast] = await uk.fetch(request(t('2024-03-20T10:00:00Z'), t('2024-03-20T13:00:00Z')));

    expect(paths()).toEqual([
      '/intensity/2024-03-20T10:00Z/2024-03-20T12:00Z',
      '/intensity/2024-03-20T12:00Z/fw48h',
    ]);
    expect(actual).toMatchObject({
      zone: 'GB',
      metric: 'carbon_average',
      unit: 'gCO2eq/kWh',
      resolutionMin: 30,
      kind: 'actual',
      source: 'ukgrid',
    });
    // 09:30 ends at the start of the range and is dropped; 11:30 has no measured value yet
    expect(actual.points).toEqual([
      { start: t('2024-03-20T10:00:00Z'), value: 149 },
      { start: t('2024-03-20T10:30:00Z'), value: 155 },
      { start: t('2024-03-20T11:00:00Z'), value: 138 },
    ]);
    expect(actual.degraded).toBeUndefined();

    expect(forecast).toMatchObject({ kind: 'forecast', resolutionMin: 30, source: 'ukgrid', issuedAt: NOW });
    // 11:30 comes in both answers: the later forecast (133) wins; 13:00 starts at the end of the range
    expect(forecast.points).toEqual([
      { start: t('2024-03-20T11:30:00Z'), value: 133 },
      { start: t('2024-03-20T12:00:00Z'), value: 130 },
      { start: t('2024-03-20T12:30:00Z'), value: 120 },
    ]);
  });

  it('asks only for the forecast when the range lies ahead, from the current half-hour', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, NATIONAL_FW48H));
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const now = NOW + 10 * 60_000;
    const series = await uk.fetch(request(now, now + 2 * HALF_HOUR, { nowMs: now }));
    expect(paths()).toEqual(['/intensity/2024-03-20T12:00Z/fw48h']);
    expect(series).toHaveLength(1);
    expect(series[0].kind).toBe('forecast');
    expect(series[0].issuedAt).toBe(NOW);
    // the 12:00 slot still holds at 12:10; 13:00 starts before the range ends at 13:10
    expect(series[0].points.map((p) => p.value)).toEqual([130, 120, 95]);
  });

  it('splits ranges longer than 14 days into contiguous requests and joins the answers', async () => {
    server = await startServer((req, res) => {
      const [, , from, to] = parseUrl(req).pathname.split('/');
      const data = [];
      // answer from the half-hour before `from` to `to` inclusive, overlapping the neighbours
      for (let s = t(from) - HALF_HOUR; s <= t(to); s += HALF_HOUR)
        data.push({
          from: new Date(s).toISOString().slice(0, 16) + 'Z',
          to: new Date(s + HALF_HOUR).toISOString().slice(0, 16) + 'Z',
          intensity: { forecast: 100, actual: (s / HALF_HOUR) % 1000, index: 'low' },
        });
      sendJson(res, 200, { data });
    });
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const from = NOW - 30 * DAY;
    const [actual] = await uk.fetch(request(from, NOW));

    expect(paths()).toEqual([
      '/intensity/2024-02-19T12:00Z/2024-03-04T12:00Z',
      '/intensity/2024-03-04T12:00Z/2024-03-18T12:00Z',
      '/intensity/2024-03-18T12:00Z/2024-03-20T12:00Z',
    ]);
    expect(actual.points).toHaveLength(30 * 48);
    actual.points.forEach((p, i) => {
      expect(p.start).toBe(from + i * HALF_HOUR);
      expect(p.value).toBe((p.start / HALF_HOUR) % 1000);
    });
  });

  it('maps HTTP failures to ProviderError kinds', async () => {
    server = await startServer((_req, res) => sendJson(res, 429, {}, { 'retry-after': '60' }));
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const limited = await failure(uk.fetch(request(NOW - DAY, NOW)));
    expect(limited.kind).toBe('rate_limit');
    expect(limited.retryAfterMs).toBe(60_000);

    server.handle((_req, res) => sendText(res, 500, 'oops'));
    expect((await failure(uk.fetch(request(NOW - DAY, NOW)))).kind).toBe('unavailable');

    server.handle((_req, res) => sendJson(res, 403, { error: 'Access forbidden' }));
    expect((await failure(uk.fetch(request(NOW - DAY, NOW)))).kind).toBe('auth');
  });

  it('rejects wrong shapes and non-JSON bodies as malformed', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { data: [{ from: '2024-03-20T10:00Z' }] }));
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const shape = await failure(uk.fetch(request(NOW - DAY, NOW)));
    expect(shape.kind).toBe('malformed');
    expect(shape.message).toMatch(/data\.0/);

    server.handle((_req, res) => sendText(res, 200, 'Bad gateway', 'text/html'));
    expect((await failure(uk.fetch(request(NOW - DAY, NOW)))).kind).toBe('malformed');
  });
});

describe('ukCarbonIntensity, regions', () => {
  it('reads regional forecasts; the past comes from forecasts and says so', async () => {
    server = await startServer((req, res) =>
      sendJson(res, 200, parseUrl(req).pathname.includes('/fw48h/') ? REGIONAL_FW48H : REGIONAL_RANGE),
    );
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const [past, forecast] = await uk.fetch(
      request(t('2024-03-20T11:00:00Z'), t('2024-03-20T13:00:00Z'), { zone: LONDON }),
    );
    expect(paths()).toEqual([
      '/regional/intensity/2024-03-20T11:00Z/2024-03-20T12:00Z/regionid/13',
      '/regional/intensity/2024-03-20T12:00Z/fw48h/regionid/13',
    ]);
    expect(past).toMatchObject({ zone: 'GB-LONDON', kind: 'actual', resolutionMin: 30 });
    expect(past.degraded).toMatch(/no measured values for regions/);
    expect(past.points.map((p) => p.value)).toEqual([200, 190]);
    expect(forecast).toMatchObject({ zone: 'GB-LONDON', kind: 'forecast', issuedAt: NOW });
    expect(forecast.points).toEqual([
      { start: t('2024-03-20T12:00:00Z'), value: 180 },
      { start: t('2024-03-20T12:30:00Z'), value: 170 },
    ]);
  });

  it('uses ids.ukRegion of any zone and refuses an answer for another region', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, REGIONAL_FW48H));
    const uk = ukCarbonIntensity({ baseUrl: server.url });
    const custom: Zone = {
      code: 'my-office',
      name: 'Office',
      timeZone: 'Europe/London',
      country: 'GB',
      ids: { ukRegion: 12 },
    };
    const err = await failure(uk.fetch(request(NOW, NOW + HALF_HOUR, { zone: custom })));
    expect(paths()).toEqual(['/regional/intensity/2024-03-20T12:00Z/fw48h/regionid/12']);
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/region 12.*13/);
  });
});

describe('UK zones', () => {
  it('lists the 17 API regions with unique codes, in Europe/London', () => {
    expect(UK_REGION_ZONES.map((z) => z.ids?.ukRegion)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(new Set(UK_REGION_ZONES.map((z) => z.code)).size).toBe(17);
    for (const z of UK_REGION_ZONES) {
      expect(z.code).toMatch(/^GB-[A-Z]+$/);
      expect(z.timeZone).toBe('Europe/London');
      expect(z.country).toBe('GB');
    }
    expect(UK_REGION_ZONES[0]).toMatchObject({ code: 'GB-NSCOT', name: 'North Scotland' });
    expect(LONDON.ids?.ukRegion).toBe(13);
  });

  it('supports GB and its regions for average carbon intensity only', async () => {
    const uk = ukCarbonIntensity({ baseUrl: 'http://127.0.0.1:9' });
    const de: Zone = { code: 'DE', name: 'Germany', timeZone: 'Europe/Berlin', country: 'DE' };
    expect(ukArea(GB)).toBe('national');
    expect(ukArea(LONDON)).toBe(13);
    expect(ukArea({ ...de, code: 'GB-SCT' })).toBe(16);
    expect(uk.supports(GB, 'carbon_average')).toBe(true);
    expect(uk.supports(LONDON, 'carbon_average')).toBe(true);
    expect(uk.supports(GB, 'carbon_marginal')).toBe(false);
    expect(uk.supports(de, 'carbon_average')).toBe(false);
    expect(uk.supports({ ...de, code: 'GB-NIR' }, 'carbon_average')).toBe(false);
    expect((await failure(uk.fetch(request(NOW, NOW + HALF_HOUR, { zone: de })))).kind).toBe('unsupported');
    expect((await failure(uk.fetch(request(NOW, NOW + HALF_HOUR, { metric: 'price' })))).kind).toBe(
      'unsupported',
    );
  });
});
