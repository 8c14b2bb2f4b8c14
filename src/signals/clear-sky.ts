import { ProviderError } from '../core/errors.ts';
import type { Point, Series } from '../core/series.ts';
import { DAY_MS, floorToStep, MINUTE_MS } from '../core/time.ts';
import type { SignalProvider, SignalRequest } from './provider.ts';
import { type PvSite, pvKwFromIrradiance, pvSeries, readPvSource } from './pv-site.ts';

/**
 * What a PV array makes under a cloudless sky, offline: the sun's position (NOAA's low-precision formulas,
 * within about a degree), clear-sky irradiance on the ground (Haurwitz for global, Meinel for direct
 * normal, the rest diffuse), moved onto the panels' plane (isotropic sky, ground albedo 0.2), then to AC
 * power with the site's losses. An upper bound for a day: clouds only take away. The fallback when no PV
 * forecast answers, and a sanity check on those that do.
 */

const RAD = Math.PI / 180;
const ALBEDO = 0.2;
/** samples per slot: slot means are taken over 5-minute steps */
const SAMPLE_MIN = 5;

export interface SunPosition {
  /** angle from the zenith, radians (> π/2: below the horizon) */
  zenith: number;
  /** azimuth from south, radians, positive towards west */
  azimuth: number;
}

/** The sun's position at `ms` (UTC) seen from latitude/longitude (degrees). */
export function sunPosition(ms: number, latitude: number, longitude: number): SunPosition {
  const d = new Date(ms);
  const dayStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const dayOfYear = Math.floor((ms - dayStart) / DAY_MS);
  const hours = (ms - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())) / 3_600_000;
  const yearDays = new Date(Date.UTC(d.getUTCFullYear(), 1, 29)).getUTCMonth() === 1 ? 366 : 365;
  const g = ((2 * Math.PI) / yearDays) * (dayOfYear + (hours - 12) / 24);
  const eqTimeMin =
    229.18 *
    (0.000075 +
      0.001868 * Math.cos(g) -
      0.032077 * Math.sin(g) -
      0.014615 * Math.cos(2 * g) -
      0.040849 * Math.sin(2 * g));
  const decl =
    0.006918 -
    0.399912 * Math.cos(g) +
    0.070257 * Math.sin(g) -
    0.006758 * Math.cos(2 * g) +
    0.000907 * Math.sin(2 * g) -
    0.002697 * Math.cos(3 * g) +
    0.00148 * Math.sin(3 * g);
  const solarMin = hours * 60 + eqTimeMin + 4 * longitude;
  const hourAngle = (solarMin / 4 - 180) * RAD;
  const lat = latitude * RAD;
  const cosZ = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
  const zenith = Math.acos(Math.max(-1, Math.min(1, cosZ)));
  const azimuth = Math.atan2(
    Math.sin(hourAngle),
    Math.cos(hourAngle) * Math.sin(lat) - Math.tan(decl) * Math.cos(lat),
  );
  return { zenith, azimuth };
}

/** Clear-sky irradiance on the panels' plane, W/m², with the sun at `sun`. */
export function clearSkyPlaneIrradiance(sun: SunPosition, tiltDeg: number, azimuthDeg: number): number {
  const cosZ = Math.cos(sun.zenith);
  if (cosZ <= 0.01) return 0;
  const ghi = 1098 * cosZ * Math.exp(-0.057 / cosZ);
  const airMass = Math.min(38, 1 / cosZ);
  const dni = Math.min(ghi / cosZ, 1353 * 0.7 ** (airMass ** 0.678));
  const dhi = Math.max(0, ghi - dni * cosZ);
  const tilt = tiltDeg * RAD;
  const cosIncidence =
    cosZ * Math.cos(tilt) + Math.sin(sun.zenith) * Math.sin(tilt) * Math.cos(sun.azimuth - azimuthDeg * RAD);
  return (
    dni * Math.max(0, cosIncidence) +
    (dhi * (1 + Math.cos(tilt))) / 2 +
    (ghi * ALBEDO * (1 - Math.cos(tilt))) / 2
  );
}

/** Mean clear-sky AC power (kW) of each `stepMin` slot of [fromMs, toMs). */
export function clearSkyPv(site: PvSite, fromMs: number, toMs: number, stepMin: number): Point[] {
  const stepMs = stepMin * MINUTE_MS;
  const samples = Math.max(1, Math.round(stepMin / SAMPLE_MIN));
  const points: Point[] = [];
  for (let start = floorToStep(fromMs, stepMin); start < toMs; start += stepMs) {
    let sum = 0;
    for (let k = 0; k < samples; k++) {
      const at = start + ((k + 0.5) * stepMs) / samples;
      const sun = sunPosition(at, site.latitude, site.longitude);
      sum += pvKwFromIrradiance(clearSkyPlaneIrradiance(sun, site.tiltDeg, site.azimuthDeg), site);
    }
    points.push({ start, value: sum / samples });
  }
  return points;
}

const NAME = 'clear-sky';
const STEP_MIN = 15;

/** The clear-sky model as a PV source for one site (`pv_power`, any range, no I/O). */
export function clearSkySource(options: Record<string, unknown>): SignalProvider {
  const { site } = readPvSource(options, NAME);
  return {
    name: NAME,
    ttlMs: DAY_MS,
    supports: (_zone, metric) => metric === 'pv_power',
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'pv_power')
        throw new ProviderError(NAME, 'unsupported', `no ${req.metric} (only pv_power)`);
      const points = clearSkyPv(site, req.fromMs, req.toMs, STEP_MIN);
      return [
        pvSeries(req.zone.code, NAME, points, STEP_MIN, {
          degraded: 'clear sky: production without clouds, an upper bound',
        }),
      ];
    },
  };
}
