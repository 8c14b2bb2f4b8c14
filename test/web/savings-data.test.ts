import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/client/index.ts';
import { LOCAL_TIME_ZONE } from '../../web/src/local-time.ts';
import {
  exportName,
  periodDays,
  periodOf,
  periodSearch,
  reportCsv,
  type SavingsReports,
} from '../../web/src/pages/savings-data.ts';

/** The Savings page's periods (in the process's time zone, as the browser's) and its CSV. */

const NOW = new Date(2026, 10, 15, 12, 30).getTime(); // 15 Nov 2026, 12:30 local
const q = (text: string) => new URLSearchParams(text);
const local = (y: number, m: number, d: number) => new Date(y, m - 1, d).toISOString();

describe('periodOf', () => {
  it('reads the presets as whole local days, the last one being today', () => {
    expect(periodOf(q('period=7d'), NOW)).toEqual({
      key: '7d',
      from: local(2026, 11, 9),
      fromDay: '2026-11-09',
      to: local(2026, 11, 16),
      toDay: '2026-11-15',
      step: 'day',
    });
    expect(periodOf(q(''), NOW)).toMatchObject({ key: '30d', fromDay: '2026-10-17', toDay: '2026-11-15' });
    expect(periodOf(q('period=month'), NOW)).toMatchObject({
      from: local(2026, 11, 1),
      to: local(2026, 12, 1),
      toDay: '2026-11-30',
      step: 'day',
    });
    expect(periodOf(q('period=last-month'), NOW)).toMatchObject({
      fromDay: '2026-10-01',
      toDay: '2026-10-31',
    });
    expect(periodOf(q('period=year'), NOW)).toMatchObject({
      fromDay: '2026-01-01',
      toDay: '2026-12-31',
      step: 'week',
    });
    expect(periodOf(q('period=all'), NOW)).toEqual({ key: 'all', step: 'month' });
    expect(periodOf(q('period=nonsense'), NOW).key).toBe('30d');
  });

  it('reads a custom period from its first to its last day, inclusive', () => {
    const p = periodOf(q('from=2026-11-03&to=2026-11-05'), NOW);
    expect(p).toMatchObject({ key: 'custom', from: local(2026, 11, 3), to: local(2026, 11, 6), step: 'day' });
    expect(periodSearch(p)).toBe('?period=custom&from=2026-11-03&to=2026-11-05');
    expect(exportName(p, 'csv')).toBe('gridshift-report-2026-11-03-to-2026-11-05.csv');
    // an end before the start is dropped; a day that is not one is ignored
    expect(periodOf(q('period=custom&from=2026-11-03&to=2026-11-01'), NOW)).toMatchObject({
      fromDay: '2026-11-03',
      step: 'month',
    });
    expect(periodOf(q('period=custom&from=3.11.2026'), NOW)).toEqual({ key: 'custom', step: 'month' });
  });
});

describe('periodDays', () => {
  it('lists every day of a period stepped by day, across a month end', () => {
    expect(periodDays(periodOf(q('from=2026-10-30&to=2026-11-02'), NOW))).toEqual([
      '2026-10-30',
      '2026-10-31',
      '2026-11-01',
      '2026-11-02',
    ]);
    expect(periodDays(periodOf(q('period=7d'), NOW))).toHaveLength(7);
    expect(periodDays(periodOf(q('period=year'), NOW))).toBeNull();
  });
});

describe('reportCsv', () => {
  const figures = (loads: number, energyKwh: number | null) => ({
    loads,
    energyKwh,
    emissionsG: 123.456789,
    baselineEmissionsG: 200,
    savingsG: 76.543211,
    savingsPct: 38.2716055,
    cost: null,
    baselineCost: null,
    costSavingsPct: null,
    currency: null,
    forecastBasis: 0,
    failedEnergyKwh: 0,
    failedEmissionsG: 0,
  });
  const report = (rows: Report['rows']): Report => ({ query: {}, rows, totals: figures(3, 1.5) });

  it('writes the totals first and every row unrounded, quoting what needs it', () => {
    const r: SavingsReports = {
      period: periodOf(q('from=2026-11-03&to=2026-11-05'), NOW),
      trend: report([{ key: '2026-11-04', ...figures(3, 1.5) }]),
      byTag: report([{ key: 'night, "cheap"', ...figures(1, 0.5) }]),
      byZone: report([]),
      totals: figures(3, 1.5),
    };
    const lines = reportCsv(r).split('\r\n');
    expect(lines[0]).toBe(
      'group,key,from,to,time_zone,loads,energy_kwh,emissions_g,baseline_emissions_g,savings_g,savings_pct,cost,baseline_cost,cost_savings_pct,currency,forecast_basis,failed_energy_kwh,failed_emissions_g',
    );
    const period = `${local(2026, 11, 3)},${local(2026, 11, 6)},${LOCAL_TIME_ZONE}`;
    expect(lines[1]).toBe(`total,all,${period},3,1.5,123.456789,200,76.543211,38.2716055,,,,,0,0,0`);
    expect(lines[2]).toBe(`day,2026-11-04,${period},3,1.5,123.456789,200,76.543211,38.2716055,,,,,0,0,0`);
    expect(lines[3]).toBe(
      `tag,"night, ""cheap""",${period},1,0.5,123.456789,200,76.543211,38.2716055,,,,,0,0,0`,
    );
    expect(lines.slice(4)).toEqual(['']);
  });
});
