import { describe, expect, it } from 'vitest';
import type { Dashboard } from '../../src/client/index.ts';
import { chartData } from '../../web/src/chart-data.ts';

/**
 * The Now page's chart data: each signal split where its forecast begins into a measured and a forecast
 * line of stepped values (the measured line holds its last value up to where the forecast begins), one more
 * x closing the last slot, and the waiting loads' runs clipped to the chart.
 */

const slot = (h: number) => `2026-03-10T${String(h).padStart(2, '0')}:00:00Z`;
const s = (h: number) => Date.parse(slot(h)) / 1000;

function dashboard(over: Partial<Dashboard> = {}): Dashboard {
  return {
    at: '2026-03-10T02:20:00Z',
    zone: { code: 'DE', name: 'Germany', timeZone: 'Europe/Berlin' },
    stepMin: 60,
    from: slot(0),
    to: slot(4),
    series: [
      { start: slot(0), carbon: 300, price: 0.3 },
      { start: slot(1), carbon: 280, price: 0.25 },
      { start: slot(2), carbon: 200, price: null },
      { start: slot(3), carbon: 150, price: 0.2 },
    ],
    windows: { clean: false, bestNow: false },
    loads: [],
    scheduler: true,
    zones: [],
    cloudRegions: [],
    ...over,
  } as Dashboard;
}

describe('chartData', () => {
  it('splits carbon and price where each forecast begins', () => {
    const d = chartData(
      dashboard({
        carbon: { forecastFrom: slot(2) } as Dashboard['carbon'],
        price: { forecastFrom: slot(1) } as Dashboard['price'],
      }),
    );
    expect(d.xs).toEqual([s(0), s(1), s(2), s(3), s(4)]);
    expect(d.carbonActual).toEqual([300, 280, 280, null, null]);
    expect(d.carbonForecast).toEqual([null, null, 200, 150, 150]);
    expect(d.priceActual).toEqual([0.3, 0.3, null, null, null]);
    expect(d.priceForecast).toEqual([null, 0.25, null, 0.2, 0.2]);
    expect(d.nowS).toBe(Date.parse('2026-03-10T02:20:00Z') / 1000);
    expect(d.hasPrice).toBe(true);
  });

  it('carries the carbon band where slots have one, and none without', () => {
    const series = dashboard().series.map((p, i) =>
      i >= 2 ? { ...p, carbonBand: [p.carbon! - 20, p.carbon! + 30] as [number, number] } : p,
    );
    const d = chartData(dashboard({ series }));
    expect(d.carbonBand).toEqual({ low: [null, null, 180, 130, 130], high: [null, null, 230, 180, 180] });
    expect(chartData(dashboard()).carbonBand).toBeUndefined();
  });

  it('without a forecast everything is measured; all forecast, nothing is', () => {
    const measured = chartData(dashboard());
    expect(measured.carbonActual).toEqual([300, 280, 200, 150, 150]);
    expect(measured.carbonForecast).toEqual([null, null, null, null, null]);
    const forecast = chartData(dashboard({ carbon: { forecastFrom: slot(0) } as Dashboard['carbon'] }));
    expect(forecast.carbonActual).toEqual([null, null, null, null, null]);
    expect(forecast.carbonForecast).toEqual([300, 280, 200, 150, 150]);
  });

  it("clips the waiting loads' runs to the chart and drops those outside it", () => {
    const runs = (a: string, b: string) => [{ start: a, end: b }];
    const d = chartData(
      dashboard({
        loads: [
          {
            id: '1',
            name: 'backup',
            state: 'waiting',
            plannedStart: slot(3),
            deadline: slot(9),
            runs: runs(slot(3), '2026-03-10T05:00:00Z'),
          },
          {
            id: '2',
            name: 'later',
            state: 'waiting',
            plannedStart: null,
            deadline: slot(9),
            runs: runs(slot(6), slot(7)),
          },
        ],
      }),
    );
    expect(d.windows).toEqual([{ fromS: s(3), toS: s(4), name: 'backup' }]);
  });
});
