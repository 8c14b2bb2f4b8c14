/** `optimizeHome` and the baseline on small scenarios computed by hand, and the messages of bad input. */
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { baseline } from '../../src/optimize/baseline.ts';
import { InfeasibleError } from '../../src/optimize/errors.ts';
import { netCharging, type SlotFlows } from '../../src/optimize/exclusivity.ts';
import { optimizeHome } from '../../src/optimize/home.ts';
import { parseScenario } from '../../src/optimize/scenario.ts';
import { loadSolver, type Solver } from '../../src/optimize/solve.ts';
import { planViolations } from './plan-check.ts';

let solver: Solver;
beforeAll(async () => {
  solver = await loadSolver();
});

const START = '2026-01-01T00:00:00Z';
const battery = {
  socInitKwh: 0,
  socMinKwh: 0,
  socMaxKwh: 10,
  maxChargeKw: 5,
  maxDischargeKw: 5,
  chargeEfficiency: 0.9,
  dischargeEfficiency: 0.9,
};

/**
 * 4 one-hour slots, 2 kW of load, import prices [1, 0.1, 1, 0.1], an empty battery that must end empty.
 * Slot 0: nothing stored, import 2 (cost 2). Slot 1: import the load and charge c for slot 2, where
 * discharging 2 kW takes 2 / 0.9 kWh out, so 0.9 c = 2 / 0.9, c = 2 / 0.81 = 2.4691 kW (cost
 * 0.1 * (2 + 2.4691) = 0.44691). Slot 2: the battery covers the load (cost 0). Slot 3: import 2 at 0.1
 * (cost 0.2); storing for later is pointless. Optimum 2 + 0.44691 + 0.2 = 2.64691358. The baseline never
 * charges from the grid: it imports 2 kW every slot, cost 2 + 0.2 + 2 + 0.2 = 4.4.
 */
const arbitrage = {
  start: START,
  stepMin: 60,
  slots: 4,
  series: { loadKw: [2, 2, 2, 2], importPrice: [1, 0.1, 1, 0.1] },
  battery,
};

describe('optimizeHome', () => {
  it('stores cheap energy for the expensive slot (4 slots, battery only)', () => {
    const plan = optimizeHome(parseScenario(arbitrage), solver);
    expect(plan.status).toBe('optimal');
    expect(plan.objectiveValue).toBeCloseTo(2 + 0.1 * (2 + 2 / 0.81) + 0.2, 9);
    expect(plan.totals.cost).toBeCloseTo(2.64691358, 8);
    expect(plan.slots.map((s) => s.importKw)).toEqual([2, expect.closeTo(2 + 2 / 0.81, 9), 0, 2]);
    expect(plan.slots[1].chargeKw).toBeCloseTo(2 / 0.81, 9);
    expect(plan.slots[1].socKwh).toBeCloseTo(2 / 0.9, 9);
    expect(plan.slots[2].dischargeKw).toBeCloseTo(2, 9);
    expect(plan.slots[3].socKwh).toBeCloseTo(0, 9);
    expect(plan.baseline).toEqual({
      objectiveValue: 4.4,
      importKwh: 8,
      exportKwh: 0,
      cost: 4.4,
      finalSocKwh: 0,
    });
    expect(plan.savings.cost).toBeCloseTo(4.4 - 2.64691358, 8);
    expect(plan.savings.costPct).toBeCloseTo((100 * (4.4 - 2.64691358)) / 4.4, 6);
    expect(plan.totals).not.toHaveProperty('emissionsG');
  });

  it('exports nothing where nothing could be exported without importing at once', () => {
    // no PV, no battery: exporting needs importing in the same slot, which the contract forbids, so
    // paid import (-0.001 in slot 1) can only go into the EV: 6 kW, the import limit
    const plan = optimizeHome(
      parseScenario({
        start: START,
        stepMin: 60,
        slots: 3,
        series: { loadKw: [0, 0, 0], importPrice: [0, -0.001, 0] },
        grid: { maxImportKw: 6, maxExportKw: 2 },
        ev: {
          arrive: START,
          depart: '2026-01-01T03:00:00Z',
          energyNeededKwh: 0,
          maxChargeKw: 7.4,
          minChargeKw: 1.4,
        },
      }),
      solver,
    );
    expect(plan.objectiveValue).toBeCloseTo(-0.006, 12);
    expect(plan.slots[1]).toMatchObject({ importKw: 6, exportKw: 0, evKw: 6 });
  });

  it('picks the cheapest consecutive slots for a contiguous load, the cheapest slots otherwise', () => {
    const washer = {
      id: 'washer',
      powerKw: 1,
      durationMin: 100,
      earliest: START,
      latestEnd: '2026-01-01T05:00:00Z',
    };
    const scenario = (contiguous: boolean) => ({
      start: START,
      stepMin: 60,
      slots: 5,
      series: { loadKw: [0, 0, 0, 0, 0], importPrice: [0.5, 0.1, 0.2, 0.05, 0.9] },
      deferrable: [{ ...washer, contiguous }],
    });
    // 100 min at 60-min slots needs 2 slots; pairs cost 0.6, 0.3, 0.25, 0.95: slots 2-3. Apart: 1 and 3.
    const together = optimizeHome(parseScenario(scenario(true)), solver);
    expect(together.slots.map((s) => s.deferrable.washer)).toEqual([0, 0, 1, 1, 0]);
    expect(together.objectiveValue).toBeCloseTo(0.25, 9);
    const apart = optimizeHome(parseScenario(scenario(false)), solver);
    expect(apart.slots.map((s) => s.deferrable.washer)).toEqual([0, 1, 0, 1, 0]);
    // baseline: the first 2 slots of the window, 0.5 + 0.1
    expect(apart.baseline.cost).toBeCloseTo(0.6, 9);
  });

  it('the carbon objective counts grams imported; cost is still reported', () => {
    const plan = optimizeHome(
      parseScenario({
        ...arbitrage,
        objective: 'carbon',
        series: { ...arbitrage.series, carbon: [100, 400, 100, 400] },
        battery: { ...battery, chargeEfficiency: 1, dischargeEfficiency: 1 },
      }),
      solver,
    );
    // charge 2 kW in slot 0 (100 g) for slot 1, and 2 kW in slot 2 for slot 3: 2*(4*100) = 800 g
    expect(plan.objectiveValue).toBeCloseTo(800, 6);
    expect(plan.totals.emissionsG).toBeCloseTo(800, 6);
    expect(plan.totals.cost).toBeCloseTo(4 * 1 + 4 * 1, 6);
    expect(plan.baseline.emissionsG).toBeCloseTo(2000, 9);
    expect(plan.savings.emissionsPct).toBeCloseTo(60, 9);
  });

  it('with soft goals reports the EV shortfall instead of failing', () => {
    const json = {
      start: START,
      stepMin: 60,
      slots: 3,
      series: { loadKw: [0, 0, 0], importPrice: [0.2, 0.2, 0.2] },
      // plugged in for slots 1 and 2 only: 2 h x 7 kW = 14 kWh of the 20
      ev: {
        arrive: '2026-01-01T01:00:00Z',
        depart: '2026-01-01T03:00:00Z',
        energyNeededKwh: 20,
        maxChargeKw: 7,
      },
    };
    expect(() => optimizeHome(parseScenario(json), solver)).toThrow(
      'ev.energyNeededKwh 20 cannot be delivered between ev.arrive and ev.depart: 2 slots at ev.maxChargeKw x ev.efficiency give at most 14 kWh',
    );
    const plan = optimizeHome(parseScenario(json), solver, { soft: true });
    expect(plan.shortfalls).toEqual({ evKwh: 6, finalSocKwh: 0 });
    expect(plan.slots.map((s) => s.evKw)).toEqual([0, 7, 7]);
    expect(plan.objectiveValue).toBeCloseTo(14 * 0.2, 9);
  });

  it('names the constraint an infeasible scenario cannot meet', () => {
    const base = { start: START, stepMin: 60, slots: 2, series: { loadKw: [1, 1], importPrice: [0.2, 0.2] } };
    const fails = (extra: object) => () => optimizeHome(parseScenario({ ...base, ...extra }), solver);
    expect(fails({ battery: { ...battery, socInitKwh: 1, socMinKwh: 6, maxChargeKw: 2 } })).toThrow(
      'battery.socInitKwh 1 is below battery.socMinKwh 6, and one slot of charging at battery.maxChargeKw adds at most 1.8 kWh',
    );
    expect(fails({ battery: { ...battery, socFinalMinKwh: 9.5, maxChargeKw: 2 } })).toThrow(
      'battery.socFinalMinKwh 9.5 cannot be reached: charging at battery.maxChargeKw in every slot gets to 3.6 kWh',
    );
    const dryer = {
      id: 'dryer',
      powerKw: 2,
      durationMin: 90,
      earliest: START,
      latestEnd: '2026-01-01T01:30:00Z',
    };
    expect(fails({ deferrable: [dryer] })).toThrow(
      'deferrable[0] "dryer" needs 2 slots of 60 min, but only 1 lie between its earliest and latestEnd',
    );
    // every slot alone can be covered (3 kW load = 2 imported + 1 from the battery), not both: 2 kWh > 1.5
    const short = { series: { loadKw: [3, 3], importPrice: [0.2, 0.2] }, grid: { maxImportKw: 2 } };
    const empty = { ...battery, socInitKwh: 1.5, socFinalMinKwh: 0, dischargeEfficiency: 1 };
    expect(fails({ ...short, battery: empty })).toThrow(
      'no plan meets every constraint at once (HiGHS proved the model infeasible): check the grid limits, the battery limits and the windows of the EV and the appliances together',
    );
    expect(fails({ ...short, battery: { ...empty, socInitKwh: 1.5, socFinalMinKwh: 1.5 } })).toThrow(
      InfeasibleError,
    );
    // 2 slots at 7 kW could give the EV its 10 kWh, the 3 kW import limit only 6: found by HiGHS, named
    // by solving again with soft goals
    const ev = { arrive: START, depart: '2026-01-01T02:00:00Z', energyNeededKwh: 10, maxChargeKw: 7 };
    expect(
      fails({ series: { loadKw: [0, 0], importPrice: [0.2, 0.2] }, grid: { maxImportKw: 3 }, ev }),
    ).toThrow(
      'no plan meets every constraint at once (HiGHS proved the model infeasible): ev.energyNeededKwh 10 cannot be met within the other limits: at most 6 kWh reach the car (--soft plans with the shortfall)',
    );
    // the battery (from 2 kWh, to end at 4, charging at most 1 kW) can charge in slot 0 from PV, but in
    // slot 1 the 1 kW import limit only covers the load
    const pv = { loadKw: [1, 1], pvKw: [2, 0], importPrice: [0.2, 0.2] };
    expect(
      fails({
        series: pv,
        grid: { maxImportKw: 1 },
        battery: { ...battery, socInitKwh: 2, socFinalMinKwh: 4, maxChargeKw: 1, chargeEfficiency: 1 },
      }),
    ).toThrow(
      'no plan meets every constraint at once (HiGHS proved the model infeasible): battery.socFinalMinKwh 4 cannot be met within the other limits: the battery ends at 3 kWh at most (--soft plans with the shortfall)',
    );
  });

  it('meets the contract constraints on a home with everything', () => {
    const json = {
      start: START,
      stepMin: 30,
      slots: 8,
      series: {
        loadKw: [0.5, 0.4, 0.6, 1.2, 0.8, 0.5, 0.7, 1.5],
        pvKw: [0, 0.5, 2.5, 4, 4.5, 3, 1, 0],
        importPrice: [0.3, 0.28, 0.12, -0.05, 0.1, 0.25, 0.35, 0.4],
        exportPrice: [0.05, 0.05, 0.05, 0.05, 0.15, 0.05, 0.05, 0.45],
      },
      grid: { maxImportKw: 9, maxExportKw: 3 },
      battery: { ...battery, socInitKwh: 2, socMinKwh: 1, socMaxKwh: 6, maxChargeKw: 3, maxDischargeKw: 3 },
      ev: {
        arrive: '2026-01-01T00:45:00Z',
        depart: '2026-01-01T03:50:00Z',
        energyNeededKwh: 4,
        maxChargeKw: 3.7,
        minChargeKw: 1.4,
        efficiency: 0.92,
      },
      deferrable: [
        {
          id: 'dishwasher',
          powerKw: 1.8,
          durationMin: 60,
          earliest: START,
          latestEnd: '2026-01-01T04:00:00Z',
        },
      ],
      allowCurtailment: false,
    };
    const s = parseScenario(json);
    // arrive 00:45 -> first slot starting at or after: slot 2 (01:00); depart 03:50 -> boundary 03:30 = 7
    expect([s.ev?.fromSlot, s.ev?.toSlot]).toEqual([2, 7]);
    const plan = optimizeHome(s, solver);
    expect(plan.status).toBe('optimal');
    expect(planViolations(s, plan)).toEqual([]);
  });
});

describe('baseline', () => {
  /**
   * 1-hour slots; battery 1..4 kWh from 1, charges at most 2 kW at 0.8, discharges at most 1.5 kW at 1.
   * EV plugged in for slots 1-2 (arrives 00:20, leaves 03:40 -> boundary 3), needs 4 kWh at 0.9.
   * Dishwasher 1 kW for 60 min, window from 01:01 (slot 2). Export limit 1 kW.
   * slot 0: net 1 - 5 = -4: charge min(4, 2, 3/0.8) = 2 (soc 2.6), export 1, curtail 1.
   * slot 1: EV min(3, 4/0.9) = 3 (delivers 2.7, 1.3 left); net 2 + 3 = 5: discharge min(5, 1.5, 1.6) = 1.5
   *         (soc 1.1), import 3.5.
   * slot 2: EV 1.3/0.9 = 1.4444; dishwasher 1; net 4.4444: discharge 0.1 (soc 1), import 4.3444.
   * slot 3: net 1 - 3 = -2: charge 2 (soc 2.6).
   * Imports 7.8444 kWh at 0.3, exports 1 at 0.1: cost 2.25333; emissions 200*3.5 + 300*4.3444 = 2003.33 g.
   */
  const json = {
    start: START,
    stepMin: 60,
    slots: 4,
    series: {
      loadKw: [1, 2, 2, 1],
      pvKw: [5, 0, 0, 3],
      importPrice: [0.3, 0.3, 0.3, 0.3],
      exportPrice: [0.1, 0.1, 0.1, 0.1],
      carbon: [100, 200, 300, 400],
    },
    grid: { maxExportKw: 1 },
    battery: {
      ...battery,
      socInitKwh: 1,
      socMinKwh: 1,
      socMaxKwh: 4,
      maxChargeKw: 2,
      maxDischargeKw: 1.5,
      chargeEfficiency: 0.8,
      dischargeEfficiency: 1,
    },
    ev: {
      arrive: '2026-01-01T00:20:00Z',
      depart: '2026-01-01T03:40:00Z',
      energyNeededKwh: 4,
      maxChargeKw: 3,
      efficiency: 0.9,
    },
    deferrable: [
      {
        id: 'dishwasher',
        powerKw: 1,
        durationMin: 60,
        earliest: '2026-01-01T01:01:00Z',
        latestEnd: '2026-01-01T04:00:00Z',
      },
    ],
  };

  it('follows the rule slot by slot', () => {
    const b = baseline(parseScenario(json));
    const close = (xs: number[]) => xs.map((x) => expect.closeTo(x, 9));
    expect(b.slots.map((s) => s.chargeKw)).toEqual(close([2, 0, 0, 2]));
    expect(b.slots.map((s) => s.dischargeKw)).toEqual(close([0, 1.5, 0.1, 0]));
    expect(b.slots.map((s) => s.exportKw)).toEqual(close([1, 0, 0, 0]));
    expect(b.slots.map((s) => s.curtailKw)).toEqual(close([1, 0, 0, 0]));
    expect(b.slots.map((s) => s.evKw)).toEqual(close([0, 3, 1.3 / 0.9, 0]));
    expect(b.slots.map((s) => s.importKw)).toEqual(close([0, 3.5, 2 + 1.3 / 0.9 + 1 - 0.1, 0]));
    expect(b.slots.map((s) => s.socKwh)).toEqual(close([2.6, 1.1, 1, 2.6]));
    expect(b.importKwh).toBeCloseTo(3.5 + 2.9 + 1.3 / 0.9, 9);
    expect(b.exportKwh).toBe(1);
    expect(b.cost).toBeCloseTo(0.3 * (6.4 + 1.3 / 0.9) - 0.1, 9);
    expect(b.emissionsG).toBeCloseTo(200 * 3.5 + 300 * (2.9 + 1.3 / 0.9), 9);
    expect(b.finalSocKwh).toBeCloseTo(2.6, 9);
  });

  it('discharges nothing below socMinKwh and never charges from the grid', () => {
    const b = baseline(
      parseScenario({
        ...json,
        series: { ...json.series, pvKw: [0, 0, 0, 0] },
        ev: undefined,
        deferrable: [],
      }),
    );
    expect(b.slots.map((s) => s.dischargeKw)).toEqual([0, 0, 0, 0]);
    expect(b.slots.map((s) => s.chargeKw)).toEqual([0, 0, 0, 0]);
    expect(b.slots.map((s) => s.importKw)).toEqual([1, 2, 2, 1]);
  });
});

describe('netCharging (the repair of simultaneous charge and discharge)', () => {
  // 2 one-hour slots, battery at 0.5 x 0.5 (eta 0.25), no PV
  const s = parseScenario({
    start: START,
    stepMin: 60,
    slots: 2,
    series: { loadKw: [2, 1], importPrice: [0.2, 0.2] },
    battery: { ...battery, socInitKwh: 4, socMaxKwh: 8, chargeEfficiency: 0.5, dischargeEfficiency: 0.5 },
  });
  const flows = (f: Partial<SlotFlows>): SlotFlows => ({
    importKw: [0, 0],
    exportKw: [0, 0],
    chargeKw: [0, 0],
    dischargeKw: [0, 0],
    curtailKw: [0, 0],
    ...f,
  });

  it('keeps the SoC path and imports less when there is import to cut', () => {
    // slot 0: import 3 + discharge 1 = load 2 + charge 2. Charge 2 less and discharge 0.25 * 2 = 0.5 less:
    // SoC change stays 0.5*2 - 1/0.5 = -1 = -0.5/0.5; the bus gains 2 - 0.5 = 1.5 kW, imported less.
    const f = flows({ importKw: [3, 1], chargeKw: [2, 0], dischargeKw: [1, 0] });
    netCharging(s, f, [false, false]);
    expect(f).toEqual(flows({ importKw: [1.5, 1], chargeKw: [0, 0], dischargeKw: [0.5, 0] }));
  });

  it('nets to the net flow and gives the higher SoC back by charging less later', () => {
    // slot 0: discharge 2 = load 1 + charge 1, no import to cut: net to discharge 1. SoC change was
    // 0.5 - 4 = -3.5, is -2: 1.5 kWh higher. Slot 1 charged 2 kW from import (+1 kWh): charge 2 kW
    // less (removes the 1 kWh rise), import 2 less. The SoC ends 0.5 kWh above the old path.
    const f = flows({ importKw: [0, 3], chargeKw: [1, 2], dischargeKw: [2, 0] });
    netCharging(s, f, [false, false]);
    expect(f).toEqual(flows({ importKw: [0, 1], chargeKw: [0, 0], dischargeKw: [1, 0] }));
  });
});

describe('parseScenario', () => {
  const base = {
    start: START,
    stepMin: 60,
    slots: 4,
    series: { loadKw: [1, 1, 1, 1], importPrice: [1, 1, 1, 1] },
  };
  const bad = (json: unknown) => () => parseScenario(json);

  it('names the field that is wrong', () => {
    expect(bad({ ...base, battery: { ...battery, socInitKwh: 12, socMaxKwh: 9.5 } })).toThrow(
      new InputError('battery.socInitKwh 12 is above battery.socMaxKwh 9.5'),
    );
    expect(bad({ ...base, series: { ...base.series, pvKw: [1, 2, 3] } })).toThrow(
      'series.pvKw has 3 values, but slots is 4: one value per slot',
    );
    expect(bad({ ...base, series: { loadKw: [1, 1, 1, 1] } })).toThrow(
      'series.importPrice is required for the cost and weighted objectives',
    );
    expect(bad({ ...base, objective: 'carbon' })).toThrow(
      'series.carbon is required for the carbon and weighted objectives',
    );
    expect(bad({ ...base, objective: 'cheap' })).toThrow(
      'objective must be "cost", "carbon" or { "carbonPricePerKg": P }, got "cheap"',
    );
    expect(bad({ ...base, battery: { ...battery, chargeEfficiency: 1.2 } })).toThrow(
      'battery.chargeEfficiency 1.2 must be in (0, 1]',
    );
    expect(
      bad({ ...base, ev: { arrive: 'soon', depart: START, energyNeededKwh: 1, maxChargeKw: 1 } }),
    ).toThrow('ev.arrive: "soon" is not an ISO-8601 time');
    expect(bad({ ...base, series: { ...base.series, loadKw: [1, 'x', 1, 1] } })).toThrow(
      'series.loadKw[1] must be a number, got "x"',
    );
    expect(bad({ ...base, slots: 2.5 })).toThrow('slots 2.5 must be a whole number');
    expect(bad({ ...base, grid: { maxImportKw: -1 } })).toThrow('grid.maxImportKw -1 is below 0');
  });

  it('maps times to slots like simulate: starts to the next slot start, ends to the previous boundary', () => {
    const s = parseScenario({
      ...base,
      ev: {
        arrive: '2025-12-31T23:00:00Z',
        depart: '2026-01-01T09:00:00Z',
        energyNeededKwh: 1,
        maxChargeKw: 1,
      },
      deferrable: [
        {
          id: 'd',
          powerKw: 1,
          durationMin: 61,
          earliest: '2026-01-01T00:59:00Z',
          latestEnd: '2026-01-01T03:59:00Z',
        },
      ],
    });
    expect([s.ev?.fromSlot, s.ev?.toSlot]).toEqual([0, 4]);
    expect(s.deferrable[0]).toMatchObject({ fromSlot: 1, toSlot: 3, slotsNeeded: 2 });
  });
});
