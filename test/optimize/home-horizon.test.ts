import { describe, expect, it } from 'vitest';
import type { HomeConfig } from '../../src/core/home-config.ts';
import { optimizeHome } from '../../src/optimize/home.ts';
import { currentSetpoints, dailyWindow, homeStep } from '../../src/optimize/home-horizon.ts';
import { parseScenario } from '../../src/optimize/scenario.ts';
import { loadSolver } from '../../src/optimize/solve.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { testHome } from '../helpers/home.ts';

const at = (iso: string): number => Date.parse(iso);

function home(extra: Record<string, unknown> = {}): HomeConfig {
  return testHome({
    zone: 'DE',
    stepMin: 60,
    horizonHours: 6,
    exportPricePerKwh: 0.05,
    baseLoadKw: 0.5,
    appliances: [],
    ...extra,
  });
}

const dishwasher = {
  id: 'dishwasher',
  powerKw: 1,
  durationMin: 90,
  contiguous: true,
  earliest: '09:00',
  latestEnd: '15:00',
};
const flat = (n: number, v: number): number[] => new Array(n).fill(v);

describe('dailyWindow', () => {
  it('places a window across midnight and across a clock change in the home time zone', () => {
    const [s, e] = dailyWindow(at('2024-03-30T12:00:00Z'), 0, '18:00', '07:00', 'Europe/Paris');
    expect(new Date(s).toISOString()).toBe('2024-03-30T17:00:00.000Z'); // 18:00 CET
    expect(new Date(e).toISOString()).toBe('2024-03-31T05:00:00.000Z'); // 07:00 CEST, after the change
  });
});

describe('homeStep', () => {
  it('starts at the slot under way and plans an appliance inside what is left of its window', () => {
    const step = homeStep(home({ appliances: [dishwasher] }), at('2024-03-01T10:20:00Z'), {
      loadKw: flat(8, 1),
      importPrice: flat(8, 0.3),
    });
    expect(step.startMs).toBe(at('2024-03-01T10:00:00Z'));
    expect(step.slots).toBe(6); // the horizon, not the longer forecasts
    expect(step.scenario.deferrable).toEqual([
      {
        id: 'dishwasher',
        powerKw: 1,
        durationMin: 120, // 2 slots of 60 min for 90 min
        earliest: '2024-03-01T10:00:00Z',
        latestEnd: '2024-03-01T15:00:00Z',
        contiguous: true,
      },
    ]);
    expect((step.scenario.series as Record<string, number[]>).exportPrice).toEqual(flat(6, 0.05));
  });

  it('runs on an appliance already under way as a fixed load, and leaves out one that is done', () => {
    const h = home({ appliances: [dishwasher] });
    const now = at('2024-03-01T10:20:00Z');
    const forecasts = { loadKw: flat(6, 1), importPrice: flat(6, 0.3) };
    const started = homeStep(h, now, forecasts, {
      applianceOnSlots: { dishwasher: [at('2024-03-01T09:00:00Z')] },
    });
    expect(started.scenario.deferrable).toBeUndefined();
    expect((started.scenario.series as Record<string, number[]>).loadKw).toEqual([2, 1, 1, 1, 1, 1]);
    expect(started.appliances).toEqual([
      {
        scenarioId: 'dishwasher',
        applianceId: 'dishwasher',
        windowStartMs: at('2024-03-01T09:00:00Z'),
        committedSlots: 1,
      },
    ]);
    const done = homeStep(h, at('2024-03-01T11:20:00Z'), forecasts, {
      applianceOnSlots: { dishwasher: [at('2024-03-01T09:00:00Z'), at('2024-03-01T10:00:00Z')] },
    });
    expect(done.appliances).toEqual([]);
  });

  it('runs what is left at once when the window is too short for it', () => {
    const late = { ...dishwasher, durationMin: 180, earliest: '13:00' };
    const step = homeStep(home({ appliances: [late] }), at('2024-03-01T14:00:00Z'), {
      loadKw: flat(6, 1),
      importPrice: flat(6, 0.3),
    });
    expect(step.scenario.deferrable).toMatchObject([
      { earliest: '2024-03-01T14:00:00Z', latestEnd: '2024-03-01T17:00:00Z', durationMin: 180 },
    ]);
  });

  it('asks the car only for what it could not get after the horizon, and clamps the battery', () => {
    const h = home({
      horizonHours: 12,
      ev: {
        energyNeededKwh: 10,
        maxChargeKw: 1,
        minChargeKw: 0,
        efficiency: 1,
        arrive: '18:00',
        depart: '07:00',
        phases: 1,
        volts: 230,
      },
      battery: {
        socMinKwh: 1,
        socMaxKwh: 10,
        maxChargeKw: 3,
        maxDischargeKw: 3,
        chargeEfficiency: 0.9,
        dischargeEfficiency: 0.9,
        cyclingCostPerKwh: 0,
        initialSocKwh: 5,
      },
    });
    const step = homeStep(
      h,
      at('2024-03-01T10:00:00Z'),
      { loadKw: flat(12, 1), importPrice: flat(12, 0.3) },
      { socKwh: 20 },
    );
    // the car leaves at 07:00, 9 h after the horizon ends at 22:00: 9 kWh can still come then
    expect(step.scenario.ev).toEqual({
      arrive: '2024-03-01T18:00:00Z',
      depart: '2024-03-01T22:00:00Z',
      energyNeededKwh: 1,
      maxChargeKw: 1,
      minChargeKw: 0,
      efficiency: 1,
    });
    expect(step.scenario.battery).toMatchObject({ socInitKwh: 10, socFinalMinKwh: 10 });
  });

  it('gives setpoints for the slot under way from the solved plan', async () => {
    const h = home({ appliances: [{ ...dishwasher, durationMin: 60 }] });
    // cheapest at 12:00: the dishwasher waits for it
    const step = homeStep(h, at('2024-03-01T10:00:00Z'), {
      loadKw: flat(6, 0),
      importPrice: [0.4, 0.3, 0.1, 0.3, 0.4, 0.4],
    });
    const plan = optimizeHome(parseScenario(step.scenario), await loadSolver(), { soft: true });
    expect(plan.slots.map((s) => s.deferrable.dishwasher)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(currentSetpoints(h, step, plan)).toEqual({
      slotStart: '2024-03-01T10:00:00Z',
      slotEnd: '2024-03-01T11:00:00Z',
      appliances: { dishwasher: 'off' },
      grid: { importKw: 0, exportKw: 0 },
      curtailKw: 0,
    });
  });
});

describe('the home section of the configuration', () => {
  it('fills in defaults and names the field at fault', () => {
    const config = parseConfig({ home: { zone: 'de', appliances: [dishwasher] } });
    expect(config.home).toMatchObject({
      zone: 'DE',
      timeZone: 'UTC',
      stepMin: 30,
      horizonHours: 24,
      objective: 'cost',
    });
    expect(() => parseConfig({ home: { zone: 'DE', stepMin: 25 } })).toThrow(/home\.stepMin: must be 5, 10/);
    expect(() => parseConfig({ home: { zone: 'DE', timeZone: 'Mars/Olympus' } })).toThrow(/home\.timeZone/);
    expect(() =>
      parseConfig({ home: { zone: 'DE', appliances: [{ ...dishwasher, earliest: '9am' }] } }),
    ).toThrow(/home\.appliances\[0\]\.earliest: must be a time of day HH:MM/);
    expect(() =>
      parseConfig({
        home: {
          zone: 'DE',
          battery: { socMinKwh: 2, socMaxKwh: 10, maxChargeKw: 3, maxDischargeKw: 3, initialSocKwh: 1 },
        },
      }),
    ).toThrow(/home\.battery\.initialSocKwh: 1 is outside/);
    expect(() =>
      parseConfig({ home: { zone: 'DE', pv: { source: 'clearSky', latitude: 52, longitude: 13, kwp: 5 } } }),
    ).toThrow(/home\.pv: tiltDeg: /);
  });
});
