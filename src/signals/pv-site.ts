import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import type { Point, Series } from '../core/series.ts';
import { POWER_UNIT } from '../core/units.ts';
import { httpOptions } from './options.ts';

/**
 * A home's solar array, as the PV sources need it: where it is, its peak power, and how its panels face.
 * Azimuth as Open-Meteo and Forecast.Solar count it: 0 = south, -90 = east, 90 = west, ±180 = north.
 */
export interface PvSite {
  latitude: number;
  longitude: number;
  /** peak power of the array, kW (kWp) */
  kwp: number;
  /** panel tilt from horizontal, degrees (0 = flat, 90 = vertical) */
  tiltDeg: number;
  /** panel azimuth, degrees: 0 = south, -90 = east, 90 = west */
  azimuthDeg: number;
  /** losses from irradiance to AC power (inverter, wiring, heat, soiling), % (default 14) */
  lossPct: number;
}

export const pvSiteSchema = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  kwp: z.number().positive(),
  tiltDeg: z.number().min(0).max(90),
  azimuthDeg: z.number().min(-180).max(180),
  lossPct: z.number().min(0).max(100).default(14),
});

/** What a PV source is made with: the site, and for the HTTP ones the shared HTTP options and a key. */
const sourceOptions = z.strictObject({
  ...pvSiteSchema.shape,
  ...httpOptions,
  apiKey: z.string().min(1).optional(),
});

export interface PvSourceOptions {
  site: PvSite;
  baseUrl?: string;
  timeoutMs?: number;
  apiKey?: string;
}

/** A PV source's options, checked; an InputError naming the source and the field otherwise. */
export function readPvSource(options: Record<string, unknown>, source: string): PvSourceOptions {
  const parsed = sourceOptions.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key =
      issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'options');
    throw new InputError(`${source}: ${key}: ${issue.message}`);
  }
  const { baseUrl, timeoutMs, apiKey, ...site } = parsed.data;
  return {
    site,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
  };
}

/** AC power of the array, kW, for an irradiance on the panels' plane (W/m²), with the site's losses. */
export function pvKwFromIrradiance(planeWm2: number, site: PvSite): number {
  return (site.kwp * Math.max(0, planeWm2) * (1 - site.lossPct / 100)) / 1000;
}

/** A PV power series (kW, mean over each interval) as a source delivers it. */
export function pvSeries(
  zone: string,
  source: string,
  points: Point[],
  resolutionMin: number,
  extra: Partial<Series> = {},
): Series {
  return {
    zone,
    metric: 'pv_power',
    unit: POWER_UNIT,
    resolutionMin,
    kind: 'forecast',
    source,
    points,
    ...extra,
  };
}
