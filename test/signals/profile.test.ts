import { describe, expect, it } from 'vitest';
import { resample } from '../../src/core/series.ts';
import { findZone, listZones, type Zone } from '../../src/core/zones.ts';
import { annualAverage } from '../../src/signals/annual.ts';
import {
  carbonProfile,
  dayFactor,
  isSouthern,
  layProfile,
  PROFILE_DEGRADED,
  priceProfile,
  profileTable,
  profileValueAt,
  seasonOf,
  shapeFactors,
} from '../../src/signals/profile.ts';
import { CARBON_PROFILES, DERIVED_SHAPES, PRICE_PROFILES } from '../../src/signals/profile-data.ts';

const H = 3_600_000;
const t = (iso: string) => Date.parse(iso);
const zone = (code: string): Zone => {
  const z = findZone(code);
  if (!z) throw new Error(`no zone ${code}`);
  return z;
};
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('seasons', () => {
  it('maps months to seasons, flipped in the southern hemisphere', () => {
    const north = Array.from({ length: 12 }, (_, i) => seasonOf(i + 1, false));
    expect(north).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0]);
    const south = Array.from({ length: 12 }, (_, i) => seasonOf(i + 1, true));
    expect(south).toEqual([2, 2, 3, 3, 3, 0, 0, 0, 1, 1, 1, 2]);
    expect(isSouthern('AU')).toBe(true);
    expect(isSouthern('ZA')).toBe(true);
    expect(isSouthern('BR')).toBe(true);
    expect(isSouthern('DE')).toBe(false);
  });
});

describe('shapes', () => {
  it('parametric shapes average to 1 over the year and follow the seasonal multipliers', () => {
    const f = shapeFactors({
      solarDip: 0.3,
      morningPeak: 0.1,
      eveningPeak: 0.2,
      nightDip: 0.1,
      seasonal: [1.2, 1, 0.8, 1],
    });
    const seasonMeans = f.map(mean);
    expect(mean(seasonMeans)).toBeCloseTo(1, 10);
    expect(seasonMeans[0]).toBeCloseTo(1.2, 10);
    expect(seasonMeans[2]).toBeCloseTo(0.8, 10);
    // summer: the midday dip makes 13:00 lower than 19:00 (evening peak)
    expect(f[2][13]).toBeLessThan(f[2][19]);
  });

  it('a flat shape is flat', () => {
    const f = shapeFactors({
      solarDip: 0,
      morningPeak: 0,
      eveningPeak: 0,
      nightDip: 0,
      seasonal: [1, 1, 1, 1],
    });
    for (const row of f) for (const v of row) expect(v).toBeCloseTo(1, 12);
  });

  it('derived shapes are 4 x 24 ratios to the annual mean', () => {
    for (const [key, rows] of Object.entries(DERIVED_SHAPES)) {
      expect(rows, key).toHaveLength(4);
      for (const row of rows) {
        expect(row).toHaveLength(24);
        for (const v of row) expect(v).toBeGreaterThan(0);
      }
      expect(mean(rows.map(mean)), key).toBeCloseTo(1, 1);
    }
  });

  it('every table entry gives 96 positive finite values', () => {
    for (const table of [CARBON_PROFILES, PRICE_PROFILES])
      for (const [code, entry] of Object.entries(table)) {
        if (typeof entry.shape === 'string') expect(DERIVED_SHAPES[entry.shape], code).toBeDefined();
        const factors =
          typeof entry.shape === 'string' ? DERIVED_SHAPES[entry.shape] : shapeFactors(entry.shape);
        for (const row of factors) for (const v of row) expect(v * entry.mean, code).toBeGreaterThan(0);
      }
  });

  it('the derived zones keep their solar dip: California spring midday is the cleanest hour', () => {
    const spring = carbonProfile(zone('US-CAL-CISO'))!.values[1];
    const cleanest = spring.indexOf(Math.min(...spring));
    expect(cleanest).toBeGreaterThanOrEqual(10);
    expect(cleanest).toBeLessThanOrEqual(15);
  });
});

describe('profile lookup', () => {
  it('has its own figures for the main zones', () => {
    for (const code of [
      'US-CAL-CISO',
      'US-NE-ISNE',
      'US-MIDA-PJM',
      'US-MIDW-MISO',
      'SE',
      'DE',
      'GB',
      'FR',
      'JP',
      'AU',
      'SG',
      'IN',
      'IN-BR',
      'IN-GJ',
    ]) {
      expect(carbonProfile(zone(code))?.basis, code).toBe(code);
    }
    expect(priceProfile(zone('US-NEISO'))?.basis).toBe('US-NE-ISNE');
  });

  it('falls back to the parent, then the country', () => {
    expect(carbonProfile(zone('IN-MH'))?.basis).toBe('IN-WE');
    expect(carbonProfile(zone('GB-NSCOT'))?.basis).toBe('GB');
    expect(priceProfile(zone('IN-GJ'))?.basis).toBe('IN');
    expect(priceProfile(zone('IN-GJ'))?.unit).toBe('INR/kWh');
    expect(carbonProfile({ code: 'US-XX', name: 'x', timeZone: 'UTC', country: 'US' })?.basis).toBe('US');
    expect(carbonProfile({ code: 'ZZ', name: 'x', timeZone: 'UTC', country: 'ZZ' })).toBeUndefined();
  });

  it('the level of a table entry is its mean over the year', () => {
    const de = carbonProfile(zone('DE'))!;
    const all = de.values.flat();
    expect(mean(all)).toBeCloseTo(341, -1);
    const fr = carbonProfile(zone('FR'))!;
    expect(mean(fr.values.flat())).toBeCloseTo(33, 8);
  });
});

describe('weekly pattern', () => {
  it('scales weekdays and weekends by the derived ratio, keeping the weekly mean (DE: weekend = 0.825 x weekday)', () => {
    const de = carbonProfile(zone('DE'))!;
    expect(de.weekdayFactor).toBeCloseTo(7 / 6.65, 12);
    expect(de.weekendFactor).toBeCloseTo((0.825 * 7) / 6.65, 12);
    expect((5 * de.weekdayFactor + 2 * de.weekendFactor) / 7).toBeCloseTo(1, 12);
    expect([0, 1, 5, 6].map((d) => dayFactor(de, d))).toEqual([
      de.weekendFactor,
      de.weekdayFactor,
      de.weekdayFactor,
      de.weekendFactor,
    ]);
    // 2024-06-08 is a Saturday, 2024-06-10 a Monday; 10:00Z = 12:00 CEST
    const sat = profileValueAt(de, zone('DE'), t('2024-06-08T10:00:00Z'));
    const mon = profileValueAt(de, zone('DE'), t('2024-06-10T10:00:00Z'));
    expect(sat / mon).toBeCloseTo(0.825, 12);
  });

  it('has no weekly pattern where no data showed one', () => {
    const fr = carbonProfile(zone('FR'))!;
    expect(fr.weekdayFactor).toBe(1);
    expect(fr.weekendFactor).toBe(1);
  });
});

describe('local hours and DST', () => {
  const de = zone('DE');
  const profile = carbonProfile(de)!;
  const spring = profile.values[1];
  const autumn = profile.values[3];
  // 2024-03-30/31 and 2024-10-26/27 are weekends
  const we = profile.weekendFactor;

  it('uses the local hour before and after the spring change (Europe/Berlin, 2024-03-31)', () => {
    // 00:30Z = 01:30 CET; 01:30Z = 03:30 CEST (02:00 local never happens)
    expect(profileValueAt(profile, de, t('2024-03-31T00:30:00Z'))).toBe(spring[1] * we);
    expect(profileValueAt(profile, de, t('2024-03-31T01:30:00Z'))).toBe(spring[3] * we);
    // and winter time the day before: 12:00Z = 13:00 CET
    expect(profileValueAt(profile, de, t('2024-03-30T12:00:00Z'))).toBe(spring[13] * we);
  });

  it('repeats the local hour at the autumn change (2024-10-27)', () => {
    expect(profileValueAt(profile, de, t('2024-10-27T00:30:00Z'))).toBe(autumn[2] * we); // 02:30 CEST
    expect(profileValueAt(profile, de, t('2024-10-27T01:30:00Z'))).toBe(autumn[2] * we); // 02:30 CET
    expect(profileValueAt(profile, de, t('2024-10-27T02:30:00Z'))).toBe(autumn[3] * we);
  });

  it('lays 23 hours over the spring-forward day, skipping local 02:00', () => {
    // the local day 2024-03-31 runs from 23:00Z (Mar 30) to 22:00Z (Mar 31)
    const points = layProfile(profile, de, t('2024-03-30T23:00:00Z'), t('2024-03-31T22:00:00Z'));
    expect(points).toHaveLength(23);
    expect(points.map((p) => p.start)).toEqual(points.map((_, i) => t('2024-03-30T23:00:00Z') + i * H));
    const hours = [0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)];
    expect(points.map((p) => p.value)).toEqual(hours.map((h) => spring[h] * we));
  });

  it('lays 25 hours over the fall-back day, repeating local 02:00', () => {
    const points = layProfile(profile, de, t('2024-10-26T22:00:00Z'), t('2024-10-27T23:00:00Z'));
    expect(points).toHaveLength(25);
    const hours = [0, 1, 2, 2, ...Array.from({ length: 21 }, (_, i) => i + 3)];
    expect(points.map((p) => p.value)).toEqual(hours.map((h) => autumn[h] * we));
  });

  it('starts at the local hour containing the range start, on half-hour offsets too (India, UTC+5:30)', () => {
    const inZone = zone('IN-GJ');
    const p = carbonProfile(inZone)!;
    // 00:00Z = 05:30 IST: the hour started at 05:00 IST = 23:30Z the day before
    const points = layProfile(p, inZone, t('2024-01-15T00:00:00Z'), t('2024-01-15T03:00:00Z'));
    expect(points.map((x) => x.start)).toEqual([
      t('2024-01-14T23:30:00Z'),
      t('2024-01-15T00:30:00Z'),
      t('2024-01-15T01:30:00Z'),
      t('2024-01-15T02:30:00Z'),
    ]);
    // a Monday: no weekly pattern for this zone anyway
    expect(points.map((x) => x.value)).toEqual([5, 6, 7, 8].map((h) => p.values[0][h]));
  });

  it('uses southern seasons for Australia: January is summer, July winter', () => {
    const nsw = zone('AU-NSW');
    const p = carbonProfile(nsw)!;
    // 02:00Z = 13:00 AEDT in January, 12:00 AEST in July (both Wednesdays)
    expect(profileValueAt(p, nsw, t('2024-01-10T02:00:00Z'))).toBe(p.values[2][13] * p.weekdayFactor);
    expect(profileValueAt(p, nsw, t('2024-07-10T02:00:00Z'))).toBe(p.values[0][12] * p.weekdayFactor);
  });
});

describe('profileTable provider', () => {
  const req = (code: string, metric: 'carbon_average' | 'price' | 'carbon_marginal') => ({
    zone: zone(code),
    metric,
    fromMs: t('2025-01-06T00:00:00Z'),
    toMs: t('2025-01-08T00:00:00Z'),
    nowMs: t('2025-01-05T12:00:00Z'),
  });

  it('returns a degraded forecast series from the table', async () => {
    const p = profileTable();
    expect(p.name).toBe('profile');
    const [s] = await p.fetch(req('DE', 'carbon_average'));
    expect(s).toMatchObject({
      zone: 'DE',
      metric: 'carbon_average',
      unit: 'gCO2eq/kWh',
      kind: 'forecast',
      source: 'profile',
      degraded: PROFILE_DEGRADED,
      resolutionMin: 60,
      issuedAt: t('2025-01-05T12:00:00Z'),
    });
    expect(PROFILE_DEGRADED).toBe('typical profile, not live data');
    expect(s.points).toHaveLength(48);
    // 2025-01-06T00:00Z = 01:00 CET on a Monday, winter
    const de = carbonProfile(zone('DE'))!;
    expect(s.points[0].value).toBe(de.values[0][1] * de.weekdayFactor);
    const [price] = await p.fetch(req('GB', 'price'));
    expect(price.unit).toBe('GBP/kWh');
  });

  it('does not claim marginal intensity', async () => {
    const p = profileTable();
    expect(p.supports(zone('DE'), 'carbon_marginal')).toBe(false);
    await expect(p.fetch(req('DE', 'carbon_marginal'))).rejects.toMatchObject({ kind: 'unsupported' });
  });
});

describe('offline chain', () => {
  const fromMs = t('2025-03-29T00:00:00Z');
  const toMs = t('2025-04-01T00:00:00Z');
  const nowMs = t('2025-03-28T00:00:00Z');

  it('gives every registry zone a finite carbon and price series (profile) and annual carbon', async () => {
    const profile = profileTable();
    const annual = annualAverage();
    for (const z of listZones()) {
      for (const metric of ['carbon_average', 'price'] as const) {
        expect(profile.supports(z, metric), `${z.code} ${metric}`).toBe(true);
        const [s] = await profile.fetch({ zone: z, metric, fromMs, toMs, nowMs });
        const grid = resample(s, 60, { startMs: fromMs, endMs: toMs });
        expect(grid.values).toHaveLength(72);
        for (const v of grid.values) expect(Number.isFinite(v) && v > 0, `${z.code} ${metric}`).toBe(true);
      }
      expect(annual.supports(z, 'carbon_average'), z.code).toBe(true);
      const [a] = await annual.fetch({ zone: z, metric: 'carbon_average', fromMs, toMs, nowMs });
      const grid = resample(a, 60, { startMs: fromMs, endMs: toMs });
      for (const v of grid.values) expect(Number.isFinite(v) && v > 0, `${z.code} annual`).toBe(true);
    }
  });
});
