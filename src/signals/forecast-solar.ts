import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Point, Series } from '../core/series.ts';
import { MINUTE_MS } from '../core/time.ts';
import { expectShape, getJson } from './http.ts';
import type { SignalProvider, SignalRequest } from './provider.ts';
import { pvSeries, readPvSource } from './pv-site.ts';

/**
 * Forecast.Solar's estimate (free tier: no key, today and tomorrow, 12 requests an hour per address; a
 * personal key gives more): `GET /estimate/{lat}/{lon}/{declination}/{azimuth}/{kwp}?time=iso8601`. Its
 * `watt_hours_period` gives the energy (Wh) made between each time it lists and the one before, from sunrise
 * to sunset each day; each such period becomes a point with its mean power (kW), and the nights are 0. The
 * key, when given, goes in the path, and is kept out of every error message.
 */

const NAME = 'forecast-solar';
const DEFAULT_BASE_URL = 'https://api.forecast.solar';
const TTL_MS = 60 * MINUTE_MS;

const shape = z.object({
  result: z.object({ watt_hours_period: z.record(z.string(), z.number()) }),
});

export function forecastSolar(options: Record<string, unknown>): SignalProvider {
  const { site, timeoutMs, apiKey, ...given } = readPvSource(options, NAME);
  const baseUrl = (given.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const path =
    `${apiKey ? `/${encodeURIComponent(apiKey)}` : ''}/estimate/${site.latitude}/${site.longitude}` +
    `/${site.tiltDeg}/${site.azimuthDeg}/${site.kwp}`;
  const hide = (text: string) => (apiKey ? text.split(encodeURIComponent(apiKey)).join('***') : text);
  return {
    name: NAME,
    ttlMs: TTL_MS,
    supports: (_zone, metric) => metric === 'pv_power',
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'pv_power')
        throw new ProviderError(NAME, 'unsupported', `no ${req.metric} (only pv_power)`);
      let data: unknown;
      try {
        data = await getJson(`${baseUrl}${path}?time=iso8601`, { provider: NAME, timeoutMs });
      } catch (err) {
        if (err instanceof ProviderError && apiKey)
          throw new ProviderError(NAME, err.kind, hide(err.message.replace(/^forecast-solar: /, '')), {
            ...(err.status !== undefined ? { status: err.status } : {}),
            ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
          });
        throw err;
      }
      const periods = expectShape(shape, data, NAME).result.watt_hours_period;
      const points = meanPower(periods);
      if (points.length === 0) throw new ProviderError(NAME, 'not_found', 'no estimate in the answer');
      return [pvSeries(req.zone.code, NAME, points, 60, { issuedAt: req.nowMs })];
    },
  };
}

/**
 * Points of mean power (kW) from energies per period: the period ending at each listed time began at the
 * time before it, so its mean power is Wh / hours / 1000. The first time of a day ends the night (0 Wh);
 * after the last time listed the power is 0.
 */
export function meanPower(wattHoursPeriod: Record<string, number>): Point[] {
  const times = Object.entries(wattHoursPeriod)
    .map(([t, wh]) => {
      const ms = Date.parse(t);
      if (!Number.isFinite(ms)) throw new ProviderError(NAME, 'malformed', `not a time: "${t}"`);
      return { ms, wh };
    })
    .sort((a, b) => a.ms - b.ms);
  const points: Point[] = [];
  for (let i = 1; i < times.length; i++) {
    const hours = (times[i].ms - times[i - 1].ms) / 3_600_000;
    if (hours > 0) points.push({ start: times[i - 1].ms, value: times[i].wh / hours / 1000 });
  }
  if (times.length > 0) points.push({ start: times[times.length - 1].ms, value: 0 });
  return points;
}
