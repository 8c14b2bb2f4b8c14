import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Point, Series } from '../core/series.ts';
import { ceilToStep, floorToStep, HOUR_MS, MINUTE_MS } from '../core/time.ts';
import { expectShape, getJson } from './http.ts';
import type { SignalProvider, SignalRequest } from './provider.ts';
import { pvKwFromIrradiance, pvSeries, readPvSource } from './pv-site.ts';

/**
 * Open-Meteo's weather forecast API (free, no key): hourly global tilted irradiance on the array's plane
 * (`hourly=global_tilted_irradiance` with its `tilt` and `azimuth`), turned into AC power with the site's
 * losses. Open-Meteo's radiation values are means over the *preceding* hour: the value stamped 13:00 holds
 * for 12:00-13:00, and is placed there. Past hours within its 92-day window come from its own archive of
 * forecasts; the forecast reaches 16 days.
 */

const NAME = 'open-meteo';
const DEFAULT_BASE_URL = 'https://api.open-meteo.com';
const TTL_MS = 60 * MINUTE_MS;

const shape = z.object({
  hourly: z.object({
    time: z.array(z.string()),
    global_tilted_irradiance: z.array(z.number().nullable()),
  }),
});

/** `2024-06-01T13:00` in GMT (as Open-Meteo writes it with `timezone=GMT`) to epoch ms. */
function gmtMs(text: string): number {
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  if (!Number.isFinite(ms)) throw new ProviderError(NAME, 'malformed', `not a time: "${text}"`);
  return ms;
}

const hourParam = (ms: number) => new Date(ms).toISOString().slice(0, 16);

export function openMeteo(options: Record<string, unknown>): SignalProvider {
  const { site, timeoutMs, ...given } = readPvSource(options, NAME);
  const baseUrl = (given.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  return {
    name: NAME,
    ttlMs: TTL_MS,
    supports: (_zone, metric) => metric === 'pv_power',
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'pv_power')
        throw new ProviderError(NAME, 'unsupported', `no ${req.metric} (only pv_power)`);
      // the hours stamped after each hour of the range: the value stamped T covers the hour before T
      const first = floorToStep(req.fromMs, 60) + HOUR_MS;
      const last = ceilToStep(req.toMs, 60);
      const query = new URLSearchParams({
        latitude: String(site.latitude),
        longitude: String(site.longitude),
        hourly: 'global_tilted_irradiance',
        tilt: String(site.tiltDeg),
        azimuth: String(site.azimuthDeg),
        timezone: 'GMT',
        start_hour: hourParam(first),
        end_hour: hourParam(last),
      });
      const data = await getJson(`${baseUrl}/v1/forecast?${query}`, { provider: NAME, timeoutMs });
      const { hourly } = expectShape(shape, data, NAME);
      if (hourly.time.length !== hourly.global_tilted_irradiance.length)
        throw new ProviderError(
          NAME,
          'malformed',
          'hourly.time and hourly.global_tilted_irradiance differ in length',
        );
      const points: Point[] = hourly.time.map((t, i) => {
        const irradiance = hourly.global_tilted_irradiance[i];
        return {
          start: gmtMs(t) - HOUR_MS,
          value: irradiance === null ? Number.NaN : pvKwFromIrradiance(irradiance, site),
        };
      });
      if (points.length === 0) throw new ProviderError(NAME, 'not_found', 'no hourly values for the range');
      return [pvSeries(req.zone.code, NAME, points, 60, { issuedAt: req.nowMs })];
    },
  };
}
