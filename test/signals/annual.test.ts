import { describe, expect, it } from 'vitest';
import { findZone, type Zone } from '../../src/core/zones.ts';
import { annualAverage, annualFigure, figureYear } from '../../src/signals/annual.ts';

const t = (iso: string) => Date.parse(iso);
const zone = (code: string) => findZone(code)!;
const NOW = t('2025-06-01T00:00:00Z');

async function annual(z: Zone, fromIso: string, toIso: string, nowMs = NOW) {
  const [s] = await annualAverage().fetch({
    zone: z,
    metric: 'carbon_average',
    fromMs: t(fromIso),
    toMs: t(toIso),
    nowMs,
  });
  return s;
}

describe('annualAverage', () => {
  // Electricity Maps 2024 annual averages as published in @tgwf/co2 0.19: DE 341, FR 33, IN 614 gCO2eq/kWh
  it('gives Germany, France and India their 2024 annual average as a flat hourly series', async () => {
    for (const [code, value] of [
      ['DE', 341],
      ['FR', 33],
      ['IN', 614],
    ] as const) {
      const s = await annual(zone(code), '2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z');
      expect(s.points).toHaveLength(24);
      expect(new Set(s.points.map((p) => p.value))).toEqual(new Set([value]));
      expect(s.degraded).toBe(`annual average for ${code} (2024)`);
      expect(s).toMatchObject({
        metric: 'carbon_average',
        unit: 'gCO2eq/kWh',
        source: 'annual',
        resolutionMin: 60,
      });
    }
  });

  it('uses the year of the range, changing at New Year (DE 2023: 379, 2024: 341)', async () => {
    const s = await annual(zone('DE'), '2023-12-31T22:00:00Z', '2024-01-01T02:00:00Z');
    expect(s.points.map((p) => p.value)).toEqual([379, 379, 341, 341]);
    expect(s.degraded).toBe('annual average for DE (2023); annual average for DE (2024)');
  });

  it('never uses a year that has not ended, and the earliest year for older ranges', () => {
    expect(figureYear(2025, t('2025-06-01T00:00:00Z'))).toBe(2024);
    expect(figureYear(2030, t('2030-01-01T00:00:00Z'))).toBe(2025);
    expect(figureYear(2019, NOW)).toBe(2021);
    expect(figureYear(2022, NOW)).toBe(2022);
  });

  it('uses the nearest area with a figure: the regional grid for an Indian state', async () => {
    const s = await annual(zone('IN-GJ'), '2024-05-01T00:00:00Z', '2024-05-01T01:00:00Z');
    expect(s.points[0].value).toBe(657);
    expect(s.degraded).toBe('annual average for IN-WE (2024)');
  });

  it("falls back to Ember's country figure (by ISO3) when Electricity Maps has none", () => {
    const f = annualFigure({ code: 'DE-TEST', name: 'x', timeZone: 'UTC', country: 'DE' }, undefined);
    expect(f).toEqual({ area: 'DE', gPerKwh: 342.06, source: 'Ember' });
  });

  it('answers only average carbon, and only where a figure exists', async () => {
    const p = annualAverage();
    expect(p.name).toBe('annual');
    expect(p.supports(zone('DE'), 'carbon_average')).toBe(true);
    expect(p.supports(zone('DE'), 'price')).toBe(false);
    expect(p.supports(zone('DE'), 'carbon_marginal')).toBe(false);
    const nowhere: Zone = { code: 'ZZ', name: 'nowhere', timeZone: 'UTC', country: 'ZZ' };
    expect(p.supports(nowhere, 'carbon_average')).toBe(false);
    await expect(
      p.fetch({ zone: nowhere, metric: 'carbon_average', fromMs: 0, toMs: 3_600_000, nowMs: NOW }),
    ).rejects.toMatchObject({ kind: 'unsupported' });
    await expect(
      p.fetch({ zone: zone('DE'), metric: 'price', fromMs: 0, toMs: 3_600_000, nowMs: NOW }),
    ).rejects.toMatchObject({ kind: 'unsupported' });
  });
});
