import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import type { Zone } from '../../src/core/zones.ts';
import type { SignalRequest } from '../../src/signals/provider.ts';
import { WATTTIME_REGIONS, watttime, watttimeRegion } from '../../src/signals/watttime.ts';
import {
  type Handler,
  parseUrl,
  type Recorded,
  sendJson,
  sendText,
  startServer,
  type TestServer,
} from '../helpers/http-server.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8'));
const HISTORICAL = fixture('watttime-historical.json');
const FORECAST = fixture('watttime-forecast.json');

const t = (iso: string) => Date.parse(iso);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = t('2024-03-20T12:00:00Z');
const CAISO: Zone = {
  code: 'US-CAL-CISO',
  name: 'California',
  timeZone: 'America/Los_Angeles',
  country: 'US',
};
const request = (fromMs: number, toMs: number, extra: Partial<SignalRequest> = {}): SignalRequest => ({
  zone: CAISO,
  metric: 'carbon_marginal',
  fromMs,
  toMs,
  nowMs: NOW,
  ...extra,
});
const creds = { username: 'ada', password: 's3cret' };

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const logins = () => server.requests.filter((r) => parseUrl(r).pathname === '/login');
const dataRequests = () => server.requests.filter((r) => parseUrl(r).pathname !== '/login');

/**
 * A WattTime stand-in: /login hands out tok-1, tok-2, ... for the right Basic credentials; data endpoints
 * accept only tokens in `valid` (all issued ones unless a test revokes them) and answer with `data`.
 */
async function wtServer(data: Handler = defaultData) {
  let issued = 0;
  const valid = new Set<string>();
  server = await startServer((req, res) => {
    const url = parseUrl(req);
    if (url.pathname === '/login') {
      const expected = `Basic ${Buffer.from('ada:s3cret').toString('base64')}`;
      if (req.headers.authorization !== expected) return sendJson(res, 403, { error: 'bad credentials' });
      const token = `tok-${++issued}`;
      valid.add(token);
      return sendJson(res, 200, { token });
    }
    const bearer = (req.headers.authorization ?? '').replace('Bearer ', '');
    if (!valid.has(bearer)) return sendJson(res, 401, { error: 'token expired' });
    return data(req, res);
  });
  return { valid };
}

function defaultData(req: Recorded, res: Parameters<Handler>[1]) {
  const path = parseUrl(req).pathname;
  if (path === '/v3/historical') return sendJson(res, 200, HISTORICAL);
  if (path === '/v3/forecast') return sendJson(res, 200, FORECAST);
  sendJson(res, 404, { error: 'not found' });
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('watttime', () => {
  it('returns historical and forecast MOER converted from lbs/MWh to g/kWh', async () => {
    await wtServer();
    const wt = watttime({ ...creds, baseUrl: server.url });
    const [actual, forecast] = await wt.fetch(request(t('2024-03-20T11:50:00Z'), t('2024-03-20T12:15:00Z')));

    // 1 lbs/MWh = 453.59237 g / 1000 kWh
    expect(actual).toMatchObject({
      zone: 'US-CAL-CISO',
      metric: 'carbon_marginal',
      unit: 'gCO2eq/kWh',
      resolutionMin: 5,
      kind: 'actual',
      source: 'watttime',
    });
    expect(actual.points.map((p) => p.start)).toEqual([t('2024-03-20T11:50:00Z'), t('2024-03-20T11:55:00Z')]);
    expect(actual.points[0].value).toBeCloseTo(453.59237, 9);
    expect(actual.points[1].value).toBeCloseTo(226.796185, 9);

    expect(forecast).toMatchObject({ kind: 'forecast', resolutionMin: 5, source: 'watttime' });
    expect(forecast.issuedAt).toBe(t('2024-03-20T11:58:31Z'));
    expect(forecast.points.map((p) => p.start)).toEqual([
      t('2024-03-20T12:00:00Z'),
      t('2024-03-20T12:05:00Z'),
      t('2024-03-20T12:10:00Z'),
    ]);
    expect(forecast.points[0].value).toBeCloseTo(362.873896, 9);
    expect(forecast.points[1].value).toBe(0);
    expect(forecast.points[2].value).toBeCloseTo(544.537640185, 9);

    const [hist, fc] = dataRequests().map((r) => parseUrl(r));
    expect(hist.pathname).toBe('/v3/historical');
    expect(Object.fromEntries(hist.searchParams)).toEqual({
      region: 'CAISO_NORTH',
      start: '2024-03-20T11:50:00Z',
      end: '2024-03-20T12:00:00Z',
      signal_type: 'co2_moer',
    });
    expect(Object.fromEntries(fc.searchParams)).toEqual({
      region: 'CAISO_NORTH',
      signal_type: 'co2_moer',
      horizon_hours: '1',
    });
    expect(dataRequests()[0].headers.authorization).toBe('Bearer tok-1');
  });

  it('asks for the forecast horizon the range needs, at most 72 h', async () => {
    await wtServer();
    const wt = watttime({ ...creds, baseUrl: server.url });
    await wt.fetch(request(NOW, NOW + 30 * HOUR + MIN));
    await wt.fetch(request(NOW, NOW + 10 * DAY));
    const horizons = dataRequests().map((r) => parseUrl(r).searchParams.get('horizon_hours'));
    expect(horizons).toEqual(['31', '72']);
  });

  it('logs in once and reuses the token across calls', async () => {
    await wtServer();
    const wt = watttime({ ...creds, baseUrl: server.url });
    for (let i = 0; i < 3; i++) await wt.fetch(request(NOW - HOUR, NOW + HOUR));
    expect(logins()).toHaveLength(1);
    expect(dataRequests()).toHaveLength(6);
    expect(new Set(dataRequests().map((r) => r.headers.authorization))).toEqual(new Set(['Bearer tok-1']));
  });

  it('shares one login between concurrent requests', async () => {
    await wtServer();
    const wt = watttime({ ...creds, baseUrl: server.url });
    await Promise.all([1, 2, 3, 4].map(() => wt.fetch(request(NOW - HOUR, NOW))));
    expect(logins()).toHaveLength(1);
  });

  it('logs in again shortly before the 30-minute token expires', async () => {
    await wtServer();
    let clockMs = NOW;
    const wt = watttime({ ...creds, baseUrl: server.url, clock: () => clockMs });
    await wt.fetch(request(NOW - HOUR, NOW));
    clockMs += 25 * MIN;
    await wt.fetch(request(NOW - HOUR, NOW));
    expect(logins()).toHaveLength(1);
    clockMs += 4 * MIN; // 29 min after login: inside the renewal margin
    await wt.fetch(request(NOW - HOUR, NOW));
    expect(logins()).toHaveLength(2);
    expect(dataRequests().at(-1)!.headers.authorization).toBe('Bearer tok-2');
  });

  it('logs in again once when the token is refused with 401, then carries on', async () => {
    const { valid } = await wtServer();
    const wt = watttime({ ...creds, baseUrl: server.url });
    await wt.fetch(request(NOW - HOUR, NOW));
    valid.delete('tok-1'); // revoked early on the server side
    const [actual] = await wt.fetch(request(NOW - HOUR, NOW));
    expect(actual.points).toHaveLength(2);
    expect(logins()).toHaveLength(2);
    expect(dataRequests().map((r) => r.headers.authorization)).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
  });

  it('fails with auth when a fresh token is refused too, after exactly one more login', async () => {
    await wtServer((_req, res) => sendJson(res, 401, { error: 'nope' }));
    const wt = watttime({ ...creds, baseUrl: server.url });
    const err = await failure(wt.fetch(request(NOW - HOUR, NOW)));
    expect(err.kind).toBe('auth');
    expect(err.status).toBe(401);
    expect(logins()).toHaveLength(2);
  });

  it('maps 403 on a region outside the plan to auth naming the region and the free region', async () => {
    await wtServer((_req, res) => sendJson(res, 403, { error: 'no access to region' }));
    const wt = watttime({ ...creds, baseUrl: server.url });
    const zone: Zone = { ...CAISO, code: 'US-TEX-ERCO' };
    const err = await failure(wt.fetch(request(NOW - HOUR, NOW, { zone })));
    expect(err.kind).toBe('auth');
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/ERCOT_NORTHCENTRAL/);
    expect(err.message).toMatch(/CAISO_NORTH/);
    expect(logins()).toHaveLength(1); // 403 is about the plan, not the token
  });

  it('fails with auth naming the environment variables when the login is refused or credentials are missing', async () => {
    await wtServer();
    const wrong = await failure(
      watttime({ username: 'ada', password: 'wrong', baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)),
    );
    expect(wrong.kind).toBe('auth');
    expect(wrong.message).toMatch(/GRIDSHIFT_WATTTIME_USERNAME.*GRIDSHIFT_WATTTIME_PASSWORD/);

    const before = server.requests.length;
    const missing = await failure(watttime({ baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)));
    expect(missing.kind).toBe('auth');
    expect(missing.message).toMatch(/no credentials: set GRIDSHIFT_WATTTIME_USERNAME/);
    expect(server.requests.length).toBe(before);
  });

  it('maps 429 with Retry-After to rate_limit with retryAfterMs, on data and on login', async () => {
    await wtServer((_req, res) => sendJson(res, 429, { error: 'too many' }, { 'retry-after': '30' }));
    const wt = watttime({ ...creds, baseUrl: server.url });
    const err = await failure(wt.fetch(request(NOW - HOUR, NOW)));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBe(30_000);

    server.handle((_req, res) => sendJson(res, 429, {}, { 'retry-after': '300' }));
    const login = await failure(watttime({ ...creds, baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)));
    expect(login.kind).toBe('rate_limit');
    expect(login.retryAfterMs).toBe(300_000);
  });

  it('maps 5xx to unavailable', async () => {
    await wtServer((_req, res) => sendText(res, 502, 'bad gateway'));
    const err = await failure(watttime({ ...creds, baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)));
    expect(err.kind).toBe('unavailable');
  });

  it('rejects wrong shapes, non-JSON bodies and unknown units as malformed', async () => {
    await wtServer((_req, res) => sendJson(res, 200, { data: [{ time: 'x', value: 1 }], meta: {} }));
    const wt = watttime({ ...creds, baseUrl: server.url });
    expect((await failure(wt.fetch(request(NOW - HOUR, NOW)))).kind).toBe('malformed');

    await server.close();
    await wtServer((_req, res) => sendText(res, 200, 'not json'));
    const text = await failure(watttime({ ...creds, baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)));
    expect(text.kind).toBe('malformed');

    await server.close();
    await wtServer((_req, res) =>
      sendJson(res, 200, { ...HISTORICAL, meta: { ...HISTORICAL.meta, units: 'kg_co2_per_mwh' } }),
    );
    const units = await failure(watttime({ ...creds, baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)));
    expect(units.kind).toBe('malformed');
    expect(units.message).toMatch(/kg_co2_per_mwh/);
  });

  it('splits long historical ranges into pieces of at most 30 days', async () => {
    await wtServer();
    const wt = watttime({ ...creds, baseUrl: server.url });
    await wt.fetch(request(NOW - 45 * DAY, NOW));
    const ranges = dataRequests().map((r) => {
      const q = parseUrl(r).searchParams;
      return [q.get('start'), q.get('end')];
    });
    expect(ranges).toEqual([
      ['2024-02-04T12:00:00Z', '2024-03-05T12:00:00Z'],
      ['2024-03-05T12:00:00Z', '2024-03-20T12:00:00Z'],
    ]);
  });

  it('uses the region option over the zone mapping', async () => {
    await wtServer((_req, res) =>
      sendJson(res, 200, { ...HISTORICAL, meta: { ...HISTORICAL.meta, region: 'CAISO_SANDIEGO' } }),
    );
    const wt = watttime({ ...creds, baseUrl: server.url, region: 'CAISO_SANDIEGO' });
    const de: Zone = { ...CAISO, code: 'DE' };
    expect(wt.supports(de, 'carbon_marginal')).toBe(true);
    await wt.fetch(request(NOW - HOUR, NOW));
    expect(parseUrl(dataRequests()[0]).searchParams.get('region')).toBe('CAISO_SANDIEGO');
  });

  it('refuses an answer for another region than asked', async () => {
    await wtServer((_req, res) =>
      sendJson(res, 200, { ...HISTORICAL, meta: { ...HISTORICAL.meta, region: 'PJM_DC' } }),
    );
    const err = await failure(watttime({ ...creds, baseUrl: server.url }).fetch(request(NOW - HOUR, NOW)));
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/CAISO_NORTH.*PJM_DC/);
  });

  it('finds the region for a location', async () => {
    await wtServer((req, res) => {
      const q = parseUrl(req).searchParams;
      expect(Object.fromEntries(q)).toEqual({
        latitude: '37.77',
        longitude: '-122.42',
        signal_type: 'co2_moer',
      });
      sendJson(res, 200, {
        region: 'CAISO_NORTH',
        region_full_name: 'California ISO Northern',
        signal_type: 'co2_moer',
      });
    });
    const wt = watttime({ ...creds, baseUrl: server.url });
    expect(await wt.regionFromLocation(37.77, -122.42)).toEqual({
      region: 'CAISO_NORTH',
      regionFullName: 'California ISO Northern',
    });
    await expect(wt.regionFromLocation(91, 0)).rejects.toThrow(/not a location/);
  });
});

describe('watttimeRegion', () => {
  const zone = (code: string, ids?: Zone['ids']): Zone => ({
    code,
    name: code,
    timeZone: 'UTC',
    country: 'US',
    ids,
  });

  it('maps the main US zones, prefers ids.watttime and accepts WattTime region codes as zones', () => {
    expect(watttimeRegion(zone('US-CAL-CISO'))).toBe('CAISO_NORTH');
    expect(watttimeRegion(zone('US-TEX-ERCO'))).toBe('ERCOT_NORTHCENTRAL');
    expect(watttimeRegion(zone('US-CAL-CISO', { watttime: 'CAISO_SANDIEGO' }))).toBe('CAISO_SANDIEGO');
    expect(watttimeRegion(zone('PJM_NJ'))).toBe('PJM_NJ');
    expect(watttimeRegion(zone('BPA'))).toBe('BPA');
    for (const region of Object.values(WATTTIME_REGIONS)) expect(watttimeRegion(zone(region))).toBe(region);
  });

  it('does not take Electricity Maps codes of other zones for WattTime regions', async () => {
    for (const code of ['DE', 'FR', 'GB', 'US-XX-NOPE', 'IN-GJ'])
      expect(watttimeRegion(zone(code))).toBeUndefined();
    const wt = watttime({ ...creds, baseUrl: 'http://127.0.0.1:9' });
    expect(wt.supports(zone('DE'), 'carbon_marginal')).toBe(false);
    expect(wt.supports(zone('US-CAL-CISO'), 'carbon_marginal')).toBe(true);
    expect(wt.supports(zone('US-CAL-CISO'), 'carbon_average')).toBe(false);
    const err = await failure(wt.fetch(request(NOW - HOUR, NOW, { zone: zone('DE') })));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/ids\.watttime/);
  });
});
