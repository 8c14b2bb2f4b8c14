import { describe, expect, it } from 'vitest';
import { bearer, fixtureApi } from './helpers.ts';

/**
 * One test per 5xx the fuzz suite (test/api/fuzz.test.ts, bench/fuzz.ts) found, each the smallest request
 * that showed it. (Its first finding, text PostgreSQL refuses, such as a lone surrogate in a cancel reason,
 * is test/api/request-input.test.ts.) Fixture data: DE carbon hourly on 2025-01-15, the clock at 06:20 UTC (280 g/kWh).
 */

const api = fixtureApi();

describe('fuzz findings', () => {
  it('a forecast span so small that it adds nothing to now (4e-323 hours) reads the slot holding now', async () => {
    const tier = (forecastHours: number) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/decide/model-tier',
        headers: bearer(api.token),
        payload: { zone: 'DE', forecastHours },
      });
    const tiny = await tier(4e-323);
    expect(tiny.statusCode, tiny.body).toBe(200);
    expect(tiny.json().signals).toMatchObject({ carbon: 280, carbonForecastMean: 280 });
    expect(tiny.json().signals).toEqual((await tier(1)).json().signals);
  });

  it('so does GET /v1/signals with hours=1e-300', async () => {
    const signals = (hours: string) =>
      api.app.inject({ url: `/v1/signals/DE?hours=${hours}`, headers: bearer(api.token) });
    const tiny = await signals('1e-300');
    expect(tiny.statusCode, tiny.body).toBe(200);
    expect(tiny.json().carbon.current).toBe(280);
    expect(tiny.json().carbon.forecastMean).toBe((await signals('1')).json().carbon.forecastMean);
  });
});
