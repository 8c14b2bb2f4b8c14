import { describe, expect, it } from 'vitest';
import type { HomeHistory, HomePlan } from '../../src/client/index.ts';
import { applianceRuns, historyData, planPowerData, planPriceData } from '../../web/src/home-data.ts';
import { emissions, kw, money, saving } from '../../web/src/pages/home-format.ts';

/**
 * The Home page's chart data, by hand: one more x closing the last slot, flows and prices held over their
 * slot, the SoC at each slot's end, appliance runs merged over consecutive slots, and the readings on the
 * planned lines' x axis.
 */

const at = (m: number) => `2026-03-10T10:${String(m).padStart(2, '0')}:00Z`;
const s = (m: number) => Date.parse(at(m)) / 1000;

function slot(m: number, over: Partial<HomePlan['series'][number]> = {}): HomePlan['series'][number] {
  return {
    start: at(m),
    loadKw: 1,
    pvKw: 0,
    importPrice: 0.3,
    exportPrice: 0.05,
    carbon: 300,
    importKw: 1,
    exportKw: 0,
    chargeKw: 0,
    dischargeKw: 0,
    curtailKw: 0,
    evKw: 0,
    socKwh: 2,
    appliances: { dishwasher: 0, washer: 0 },
    ...over,
  };
}

function plan(series: HomePlan['series'], battery = true): HomePlan {
  return {
    solvedAt: at(0),
    reason: 'start',
    status: 'optimal',
    objective: 'cost',
    start: at(0),
    stepMin: 15,
    slots: series.length,
    timeZone: 'Europe/Berlin',
    setpoints: {
      slotStart: at(0),
      slotEnd: at(15),
      ...(battery ? { battery: { mode: 'charge' as const, powerKw: 2, socKwh: 2.5 } } : {}),
      appliances: { dishwasher: 'on', washer: 'off' },
      grid: { importKw: 3, exportKw: 0 },
      curtailKw: 0,
    },
    totals: { importKwh: 1, exportKwh: 0, dischargeKwh: 0, curtailedKwh: 0 },
    baseline: { importKwh: 1, exportKwh: 0, finalSocKwh: 2 },
    savings: {},
    series,
    sources: {},
    degraded: [],
  };
}

const three = plan([
  slot(0, { importKw: 3, socKwh: 2.5, appliances: { dishwasher: 1, washer: 0 } }),
  slot(15, { importKw: 2, socKwh: 3, importPrice: 0.1, appliances: { dishwasher: 1, washer: 0 } }),
  slot(30, {
    importKw: 0,
    exportKw: 1.5,
    socKwh: 2,
    importPrice: null,
    appliances: { dishwasher: 0, washer: 1 },
  }),
]);

describe('planPowerData', () => {
  it('holds the flows over their slots and draws the SoC at each slot end', () => {
    const d = planPowerData(three);
    expect(d.xs).toEqual([s(0), s(15), s(30), s(45)]);
    const line = (label: string) => d.lines.find((l) => l.label === label);
    expect(line('Import')?.values).toEqual([3, 2, 0, 0]);
    expect(line('Export')?.values).toEqual([0, 0, 1.5, 1.5]);
    expect(line('Battery SoC')?.values).toEqual([null, 2.5, 3, 2]);
    expect(line('Battery SoC')?.scale).toBe('kwh');
    expect(line('EV charging')).toBeUndefined();
    expect(d.nowS).toBe(s(0));
  });

  it('has no SoC line for a home without a battery', () => {
    expect(planPowerData(plan(three.series, false)).lines.map((l) => l.label)).toEqual([
      'Import',
      'Export',
      'PV',
      'House load',
    ]);
  });
});

describe('applianceRuns', () => {
  it('merges consecutive slots into one run per appliance', () => {
    const runs = applianceRuns(three).map(({ name, fromS, toS }) => ({ name, fromS, toS }));
    expect(runs).toEqual([
      { name: 'dishwasher', fromS: s(0), toS: s(30) },
      { name: 'washer', fromS: s(30), toS: s(45) },
    ]);
  });

  it('keeps runs apart when a slot between them is idle', () => {
    const p = plan([
      slot(0, { appliances: { dishwasher: 1, washer: 0 } }),
      slot(15),
      slot(30, { appliances: { dishwasher: 1, washer: 0 } }),
    ]);
    expect(applianceRuns(p).map((r) => [r.fromS, r.toS])).toEqual([
      [s(0), s(15)],
      [s(30), s(45)],
    ]);
  });
});

describe('planPriceData', () => {
  it('keeps an unknown price as a gap', () => {
    const d = planPriceData(three);
    expect(d.lines[0]?.values).toEqual([0.3, 0.1, null, null]);
    expect(d.lines[1]?.values).toEqual([0.05, 0.05, 0.05, 0.05]);
  });
});

describe('historyData', () => {
  const history = (measurements: HomeHistory['measurements']): HomeHistory => ({
    from: at(0),
    to: at(40),
    slots: [
      { start: at(0), setpoints: three.setpoints, planned: { importKw: 3, socKwh: 2.5 } },
      { start: at(15), setpoints: three.setpoints, planned: { importKw: 2, socKwh: 3 } },
    ],
    measurements,
    today: { from: at(0), slots: 2 },
  });
  const reading = (m: number, importKw: number | null, socKwh: number | null) => ({
    at: at(m),
    importKw,
    socKwh,
    loadKw: null,
    pvKw: null,
    evEnergyKwh: null,
    exportKw: null,
  });

  it('puts the readings on the x axis of the planned slots', () => {
    const d = historyData(history([reading(5, 2.8, 2.2), reading(20, 2.1, null)]), 15);
    expect(d.xs).toEqual([s(0), s(5), s(15), s(20), s(30)]);
    const line = (label: string) => d.lines.find((l) => l.label === label)?.values;
    // planned import holds over its slot, readings inside it included
    expect(line('Import, planned')).toEqual([3, 3, 2, 2, 2]);
    expect(line('Import, read')).toEqual([null, 2.8, null, 2.1, null]);
    expect(line('SoC, planned')).toEqual([null, null, 2.5, null, 3]);
    expect(line('SoC, read')).toEqual([null, 2.2, null, null, null]);
    expect(d.nowS).toBe(s(40));
  });

  it('leaves out a reading line with nothing in it', () => {
    const d = historyData(history([]), 15);
    expect(d.lines.map((l) => l.label)).toEqual(['Import, planned', 'SoC, planned']);
  });
});

describe('the numbers in words', () => {
  it('rounds, and says which way a saving goes', () => {
    expect(kw(-0.01)).toBe('0.0 kW');
    expect(money(0.654)).toBe('0.65');
    expect(money(undefined)).toBe('–');
    expect(emissions(950)).toBe('950 g');
    expect(emissions(1234)).toBe('1.23 kg');
    expect(saving(0.3, money, 12.34)).toBe('0.30 saved (12.3 %)');
    expect(saving(-0.65, money)).toBe('0.65 more');
    expect(saving(-0.2, money, -25)).toBe('0.20 more (25.0 %)');
    expect(saving(0, money)).toBe('the same as the baseline');
    expect(saving(undefined, money)).toBe('not known');
  });
});
