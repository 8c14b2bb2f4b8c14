import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { resolveZone } from '../../src/core/zones.ts';
import {
  clearSkyPlaneIrradiance,
  clearSkyPv,
  clearSkySource,
  sunPosition,
} from '../../src/signals/clear-sky.ts';
import type { PvSite } from '../../src/signals/pv-site.ts';

const DEG = 180 / Math.PI;
const flat = (latitude: number, longitude = 0): PvSite => ({
  latitude,
  longitude,
  kwp: 1,
  tiltDeg: 0,
  azimuthDeg: 0,
  lossPct: 14,
});

describe('sunPosition', () => {
  it('puts the sun overhead at the equator at solar noon on the March equinox', () => {
    // 2024-03-20: declination ~0, equation of time ~-7.5 min, so solar noon at 0° longitude is ~12:07:30 UTC
    const sun = sunPosition(Date.parse('2024-03-20T12:07:30Z'), 0, 0);
    expect(sun.zenith * DEG).toBeLessThan(0.6);
  });

  it('at 50° N on the June solstice at solar noon: 90 - (50 - 23.44) = 63.4° high, due south', () => {
    // equation of time on 21 June ~ -1.7 min; at 2.35° E solar noon is 12:00 + 1.7 - 9.4 = 11:52:18 UTC
    const sun = sunPosition(Date.parse('2024-06-21T11:52:18Z'), 50, 2.35);
    expect(sun.zenith * DEG).toBeCloseTo(50 - 23.44, 0);
    expect(Math.abs(sun.azimuth * DEG)).toBeLessThan(1.5);
    // east in the morning (negative), west in the afternoon
    expect(sunPosition(Date.parse('2024-06-21T07:00:00Z'), 50, 2.35).azimuth).toBeLessThan(0);
    expect(sunPosition(Date.parse('2024-06-21T17:00:00Z'), 50, 2.35).azimuth).toBeGreaterThan(0);
    // below the horizon at midnight
    expect(sunPosition(Date.parse('2024-06-21T23:52:18Z'), 50, 2.35).zenith * DEG).toBeGreaterThan(90);
  });
});

describe('clear-sky PV', () => {
  it('is Haurwitz global irradiance on a flat array: 1098 x e^-0.057 = 1037.2 W/m² with the sun overhead', () => {
    expect(clearSkyPlaneIrradiance({ zenith: 0, azimuth: 0 }, 0, 0)).toBeCloseTo(1037.2, 1);
    // 1 kWp with 14 % losses: 0.892 kW; the 5-minute samples around the equinox noon stay within 0.3 %
    const [noon] = clearSkyPv(
      flat(0),
      Date.parse('2024-03-20T12:00:00Z'),
      Date.parse('2024-03-20T12:15:00Z'),
      15,
    );
    expect(noon.value).toBeCloseTo(0.892, 2);
  });

  it('is zero at night and never negative', () => {
    const day = clearSkyPv(
      flat(48.85, 2.35),
      Date.parse('2024-12-21T00:00:00Z'),
      Date.parse('2024-12-22T00:00:00Z'),
      30,
    );
    expect(day).toHaveLength(48);
    expect(day[0].value).toBe(0);
    expect(day[47].value).toBe(0);
    for (const p of day) expect(p.value).toBeGreaterThanOrEqual(0);
  });

  it('gives a south-facing tilted array more than a flat one in a northern winter, and an east one its morning', () => {
    const from = Date.parse('2024-12-21T00:00:00Z');
    const to = from + 24 * HOUR_MS;
    const energy = (site: PvSite) => clearSkyPv(site, from, to, 30).reduce((s, p) => s + p.value * 0.5, 0);
    const paris = flat(48.85, 2.35);
    expect(energy({ ...paris, tiltDeg: 60 })).toBeGreaterThan(1.5 * energy(paris));
    const morning = (site: PvSite) =>
      clearSkyPv(site, Date.parse('2024-06-21T06:00:00Z'), Date.parse('2024-06-21T07:00:00Z'), 60)[0].value;
    expect(morning({ ...paris, tiltDeg: 45, azimuthDeg: -90 })).toBeGreaterThan(
      morning({ ...paris, tiltDeg: 45, azimuthDeg: 90 }),
    );
  });

  it('answers as a source for any range, and names a bad site field', async () => {
    const source = clearSkySource({ latitude: 48.85, longitude: 2.35, kwp: 6, tiltDeg: 30, azimuthDeg: 0 });
    const from = Date.parse('2024-06-21T00:00:00Z');
    const [series] = await source.fetch({
      zone: resolveZone('FR'),
      metric: 'pv_power',
      fromMs: from,
      toMs: from + 24 * HOUR_MS,
      nowMs: from,
    });
    expect(series).toMatchObject({
      metric: 'pv_power',
      unit: 'kW',
      kind: 'forecast',
      source: 'clear-sky',
      resolutionMin: 15,
    });
    expect(series.points).toHaveLength(96);
    expect(series.points[1].start - series.points[0].start).toBe(15 * MINUTE_MS);
    expect(Math.max(...series.points.map((p) => p.value))).toBeLessThan(6);
    expect(() => clearSkySource({ latitude: 95, longitude: 0, kwp: 1, tiltDeg: 0, azimuthDeg: 0 })).toThrow(
      /clear-sky: latitude/,
    );
    expect(() => clearSkySource({ latitude: 45, longitude: 0, kwp: 0, tiltDeg: 0, azimuthDeg: 0 })).toThrow(
      /clear-sky: kwp/,
    );
  });
});
