import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { resolveZone } from '../../src/core/zones.ts';
import { forecastSolar, meanPower } from '../../src/signals/forecast-solar.ts';
import { openMeteo } from '../../src/signals/open-meteo.ts';
import { sendJson, startServer, type TestServer } from '../helpers/http-server.ts';

const SITE = { latitude: 52.16, longitude: 4.47, kwp: 4, tiltDeg: 35, azimuthDeg: -10, lossPct: 14 };
const NOW = Date.parse('2024-04-26T10:00:00Z');
const req = (fromMs: number, toMs: number) => ({
  zone: resolveZone('NL'),
  metric: 'pv_power' as const,
  fromMs,
  toMs,
  nowMs: NOW,
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('open-meteo', () => {
  // the documented shape with timezone=GMT: hourly times without offset, irradiance as the preceding hour's mean
  const answer = {
    latitude: 52.16,
    longitude: 4.47,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    hourly_units: { time: 'iso8601', global_tilted_irradiance: 'W/m²' },
    hourly: {
      time: ['2024-04-26T11:00', '2024-04-26T12:00', '2024-04-26T13:00'],
      global_tilted_irradiance: [500, 800, null],
    },
  };

  it('asks for the tilted irradiance of the plane and places each value on the hour before its stamp', async () => {
    server = await startServer((_r, res) => sendJson(res, 200, answer));
    const source = openMeteo({ ...SITE, baseUrl: server.url });
    const [series] = await source.fetch(
      req(Date.parse('2024-04-26T10:00:00Z'), Date.parse('2024-04-26T13:00:00Z')),
    );
    const url = new URL(server.requests[0].url, server.url);
    expect(url.pathname).toBe('/v1/forecast');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      latitude: '52.16',
      longitude: '4.47',
      hourly: 'global_tilted_irradiance',
      tilt: '35',
      azimuth: '-10',
      timezone: 'GMT',
      start_hour: '2024-04-26T11:00',
      end_hour: '2024-04-26T13:00',
    });
    // 4 kWp x 500 W/m² / 1000 x 0.86 = 1.72 kW for 10:00-11:00; 2.752 kW for 11:00-12:00; missing after
    expect(series).toMatchObject({ metric: 'pv_power', unit: 'kW', source: 'open-meteo', resolutionMin: 60 });
    expect(series.points.map((p) => p.start)).toEqual([
      Date.parse('2024-04-26T10:00:00Z'),
      Date.parse('2024-04-26T11:00:00Z'),
      Date.parse('2024-04-26T12:00:00Z'),
    ]);
    expect(series.points[0].value).toBeCloseTo(1.72, 12);
    expect(series.points[1].value).toBeCloseTo(2.752, 12);
    expect(series.points[2].value).toBeNaN();
  });

  it('reports a refused request with its reason, a broken answer as malformed, and a dead server as unavailable', async () => {
    server = await startServer((_r, res) =>
      sendJson(res, 400, { error: true, reason: 'Parameter tilt must be between 0 and 90' }),
    );
    const bad = await failure(openMeteo({ ...SITE, baseUrl: server.url }).fetch(req(NOW, NOW + HOUR_MS)));
    expect(bad.kind).toBe('malformed');
    expect(bad.message).toMatch(/Parameter tilt must be between 0 and 90/);
    server.handle((_r, res) => sendJson(res, 200, { hourly: { time: ['2024-04-26T11:00'] } }));
    expect(
      (await failure(openMeteo({ ...SITE, baseUrl: server.url }).fetch(req(NOW, NOW + HOUR_MS)))).kind,
    ).toBe('malformed');
    const url = server.url;
    await server.close();
    server = undefined;
    expect((await failure(openMeteo({ ...SITE, baseUrl: url }).fetch(req(NOW, NOW + HOUR_MS)))).kind).toBe(
      'unavailable',
    );
  });
});

describe('forecast-solar', () => {
  // a trimmed answer of the documented shape (time=iso8601)
  const answer = {
    result: {
      watts: {},
      watt_hours_period: {
        '2024-04-26T06:20:00+02:00': 0,
        '2024-04-26T07:00:00+02:00': 90,
        '2024-04-26T08:00:00+02:00': 376,
        '2024-04-26T20:30:00+02:00': 19,
        '2024-04-27T06:18:00+02:00': 0,
        '2024-04-27T07:00:00+02:00': 70,
      },
    },
    message: {
      code: 0,
      type: 'success',
      info: { timezone: 'Europe/Amsterdam' },
      ratelimit: { limit: 12, remaining: 11 },
    },
  };

  it('turns energy per period into mean power, with nights at 0', () => {
    const points = meanPower(answer.result.watt_hours_period);
    const at = (iso: string) => Date.parse(iso);
    const expected: [number, number][] = [
      // 90 Wh over 40 minutes: 0.135 kW; 376 Wh over an hour: 0.376 kW; 19 Wh over 12.5 h
      [at('2024-04-26T06:20:00+02:00'), 0.135],
      [at('2024-04-26T07:00:00+02:00'), 0.376],
      [at('2024-04-26T08:00:00+02:00'), 0.019 / 12.5],
      // the night: 0 Wh until sunrise
      [at('2024-04-26T20:30:00+02:00'), 0],
      [at('2024-04-27T06:18:00+02:00'), 0.1],
      [at('2024-04-27T07:00:00+02:00'), 0],
    ];
    expect(points.map((p) => p.start)).toEqual(expected.map(([start]) => start));
    points.forEach((p, i) => {
      expect(p.value).toBeCloseTo(expected[i][1], 12);
    });
  });

  it('asks the estimate of the plane, keeps a key out of errors, and maps 429 to a rate limit', async () => {
    server = await startServer((_r, res) => sendJson(res, 200, answer));
    const [series] = await forecastSolar({ ...SITE, baseUrl: server.url }).fetch(
      req(NOW, NOW + 24 * HOUR_MS),
    );
    expect(server.requests[0].url).toBe('/estimate/52.16/4.47/35/-10/4?time=iso8601');
    expect(series).toMatchObject({
      metric: 'pv_power',
      unit: 'kW',
      source: 'forecast-solar',
      kind: 'forecast',
    });
    expect(series.points[1].value).toBeCloseTo(0.376, 12);

    server.handle((_r, res) =>
      sendJson(
        res,
        429,
        { message: { code: 429, type: 'error', text: 'Rate limit for API calls reached.' } },
        { 'retry-after': '1800' },
      ),
    );
    const limited = await failure(
      forecastSolar({ ...SITE, baseUrl: server.url }).fetch(req(NOW, NOW + HOUR_MS)),
    );
    expect(limited.kind).toBe('rate_limit');
    expect(limited.retryAfterMs).toBe(1_800_000);

    server.handle((_r, res) =>
      sendJson(res, 401, { message: { code: 401, type: 'error', text: 'Invalid API key' } }),
    );
    const keyed = forecastSolar({ ...SITE, apiKey: 's3cr3t-key', baseUrl: server.url });
    const auth = await failure(keyed.fetch(req(NOW, NOW + HOUR_MS)));
    expect(server.requests.at(-1)!.url).toBe('/s3cr3t-key/estimate/52.16/4.47/35/-10/4?time=iso8601');
    expect(auth.kind).toBe('auth');
    const url = server.url;
    await server.close();
    server = undefined;
    const down = await failure(
      forecastSolar({ ...SITE, apiKey: 's3cr3t-key', baseUrl: url }).fetch(req(NOW, NOW + HOUR_MS)),
    );
    expect(down.kind).toBe('unavailable');
    expect(down.message).not.toContain('s3cr3t-key');
    expect(down.message).toContain('***');
  });
});
