import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import type { Point, Series } from '../core/series.ts';
import { POWER_UNIT } from '../core/units.ts';

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

/** The site from a source's options; an InputError naming the field otherwise. */
export function readPvSite(options: Record<string, unknown>, source: string): PvSite {
  const site = Object.fromEntries(Object.entries(options).filter(([k]) => k in pvSiteSchema.shape));
  const parsed = pvSiteSchema.safeParse(site);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InputError(`${source}: ${issue.path.join('.') || 'site'}: ${issue.message}`);
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
