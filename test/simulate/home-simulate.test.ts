/** The home replay: alignment, gap filling, and the three strategies on households small enough to check by hand. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import type { HomeConfig } from '../../src/core/home-config.ts';
import { loadSolver } from '../../src/optimize/solve.ts';
import { readHouseholdCsv } from '../../src/signals/csv.ts';
import { alignSeries, YEAR_OF_WEEKS_MS } from '../../src/simulate/align.ts';
import type { HomeActuals } from '../../src/simulate/home-ledger.ts';
import { type MpcInputs, realise, replayMpc } from '../../src/simulate/home-mpc.ts';
import { blockBoundary, replayBaseline, replayPerfect } from '../../src/simulate/home-reference.ts';
import { fillGaps } from '../../src/simulate/home-simulate.ts';
import { testHome } from '../helpers/home.ts';

const at = (iso: string) => Date.parse(iso);
const f64 = (xs: number[]) => Float64Array.from(xs);

function home(extra: Record<string, unknown> = {}): HomeConfig {
  return testHome({
    stepMin: 60,
    horizonHours: 4,
    exportPricePerKwh: 0.05,
    baseLoadKw: 1,
    battery: {
      socMinKwh: 0,
      socMaxKwh: 2,
      maxChargeKw: 2,
      maxDischargeKw: 2,
      chargeEfficiency: 1,
      dischargeEfficiency: 1,
      initialSocKwh: 0,
    },
    ...extra,
  });
}

describe('alignSeries', () => {
  const source = { startMs: at('2023-01-02T00:00:00Z'), stepMin: 60, values: f64([1, 2, 3]) };
  const target = { startMs: at('2023-01-02T00:00:00Z') + YEAR_OF_WEEKS_MS, stepMin: 60, slots: 3 };

  it('takes the values 52 weeks earlier, on the same weekday, and says so', () => {
    expect(new Date(target.startMs).getUTCDay()).toBe(new Date(source.startMs).getUTCDay());
    const a = alignSeries(source, target, { allowShift: true, what: 'p.csv', hint: 'h' });
    expect(Array.from(a.values)).toEqual([1, 2, 3]);
    expect(a.spans).toEqual([{ from: '2024-01-01T00:00:00Z', to: '2024-01-01T03:00:00Z', shiftWeeks: 52 }]);
  });

  it('refuses a period the series does not cover unless told to shift, naming the file and the flag', () => {
    expect(() =>
      alignSeries(source, target, { allowShift: false, what: '--prices p.csv', hint: 'pass --align-year' }),
    ).toThrow(
      /--prices p\.csv does not cover 2024-01-01T00:00:00Z.*values from 2023-01-02T00:00:00Z to 2023-01-02T03:00:00Z.*--align-year/,
    );
    const far = { ...target, startMs: target.startMs + 30 * 86_400_000 };
    expect(() => alignSeries(source, far, { allowShift: true, what: 'p.csv', hint: '' })).toThrow(InputError);
  });
});

describe('fillGaps and the household file', () => {
  it('interpolates missing values between the measured ones and holds the ends', () => {
    const { filled, count } = fillGaps(f64([Number.NaN, 1, Number.NaN, Number.NaN, 4, Number.NaN]));
    expect(Array.from(filled)).toEqual([1, 1, 2, 3, 4, 4]);
    expect(count).toBe(4);
  });

  it('reads W into kW, empty cells as gaps, and names a missing column or a bad cell', () => {
    const h = readHouseholdCsv(
      'timestamp,load_w,pv_w,pv_forecast_w\n2024-03-01T00:00:00Z,500,,-1.5\n2024-03-01T00:30:00Z,1500,200,250\n',
      'h.csv',
    );
    expect(h.resolutionMin).toBe(30);
    expect(h.loadKw.map((p) => p.value)).toEqual([0.5, 1.5]);
    expect(Number.isNaN(h.pvKw[0].value)).toBe(true);
    expect(h.pvForecastKw.map((p) => p.value)).toEqual([-0.0015, 0.25]);
    expect(() => readHouseholdCsv('timestamp,load_w,pv_w\n', 'h.csv')).toThrow(
      /h\.csv, line 1: no column pv_forecast_w/,
    );
    expect(() =>
      readHouseholdCsv('timestamp,load_w,pv_w,pv_forecast_w\n2024-03-01T00:00:00Z,-5,0,0\n', 'h.csv'),
    ).toThrow(/h\.csv, line 2: load_w -5 is negative/);
  });
});

/**
 * Four hours: 1 kW of load, 3 kW of PV in the first hour, imports at 0.1 then 0.5, a 2 kWh lossless battery
 * starting empty. By hand: the baseline stores the 2 kW surplus, covers hours 1 and 2 from it and imports
 * hour 3 at 0.5; the optimum stores the same, imports hour 1 at 0.1 and covers the dear hours 2 and 3.
 */
function tiny(): MpcInputs {
  const actuals: HomeActuals = {
    startMs: at('2024-03-01T00:00:00Z'),
    stepMin: 60,
    slots: 4,
    loadKw: f64([1, 1, 1, 1]),
    pvKw: f64([3, 0, 0, 0]),
    importPrice: f64([0.1, 0.1, 0.5, 0.5]),
    carbon: f64([100, 100, 300, 300]),
  };
  return {
    ...actuals,
    measuredLoadKw: actuals.loadKw,
    pvForecastKw: actuals.pvKw,
    carbonForecast: 'actual',
  };
}

describe('the three strategies on a household checked by hand', () => {
  it('baseline 0.5, perfect foresight 0.1, and MPC with exact forecasts keeps all of it', async () => {
    // each solve may leave the battery empty at its horizon's end
    const h = home({ battery: { ...home().battery!, finalSocKwh: 0 } });
    const x = tiny();
    const base = replayBaseline(h, x);
    expect(base.totals.cost).toBeCloseTo(0.5, 9);
    expect(base.totals.emissionsG).toBeCloseTo(300, 9);
    expect(base.totals).toMatchObject({ importKwh: 1, exportKwh: 0, dischargeKwh: 2, finalSocKwh: 0 });
    const solver = await loadSolver();
    const perfect = replayPerfect(h, x, solver);
    expect(perfect.blocks).toBe(1);
    expect(perfect.totals.cost).toBeCloseTo(0.1, 6);
    expect(perfect.totals.emissionsG).toBeCloseTo(100, 4);
    // the load forecaster knows nothing at first (baseLoadKw 1 is then right) and learns the flat 1 kW after
    const mpc = replayMpc(h, x, solver);
    expect(mpc.totals.cost).toBeCloseTo(0.1, 6);
    expect(mpc.stepMs).toHaveLength(4);
    expect(mpc.unplannedSlots).toBe(0);
    // homeStep's default ends every solve at or above the SoC it starts from: from hour 1 on the 2 kWh
    // stored must stay, and all three hours are imported (0.1 + 0.5 + 0.5)
    expect(replayMpc(home(), x, solver).totals.cost).toBeCloseTo(1.1, 6);
  });

  it('MPC never beats perfect foresight in one block, whatever its PV forecast and realisation', async () => {
    // with the final SoC free, every SoC path MPC can realise is a plan the block's optimum considered
    const h = home({ battery: { ...home().battery!, finalSocKwh: 0 } });
    const solver = await loadSolver();
    const perfect = replayPerfect(h, tiny(), solver).totals.cost;
    for (const scale of [0, 0.5, 2])
      for (const realisation of ['absorb', 'strict'] as const) {
        const x = { ...tiny(), pvForecastKw: f64([3 * scale, 0, 0, 0]), realisation };
        expect(replayMpc(h, x, solver).totals.cost).toBeGreaterThanOrEqual(perfect - 1e-9);
      }
  });

  it('realises setpoints: absorbing, the battery takes the forecast error off the grid; strict, the grid takes it', () => {
    const h = home();
    const sp = {
      slotStart: '',
      slotEnd: '',
      battery: { mode: 'charge' as const, powerKw: 1, socKwh: 1 },
      appliances: {},
      grid: { importKw: 0, exportKw: 0 },
      curtailKw: 0,
    };
    // 1 kW more PV than forecast
    const a = { loadKw: 1, pvKw: 3, forecastLoadKw: 1, forecastPvKw: 2, socKwh: 0, dtH: 1 };
    expect(realise(h, sp, a, 'absorb')).toMatchObject({ chargeKw: 2, importKw: 0, exportKw: 0, socKwh: 2 });
    expect(realise(h, sp, a, 'strict')).toMatchObject({ chargeKw: 1, importKw: 0, exportKw: 1, socKwh: 1 });
    // the battery cannot go past its SoC limits: the grid takes the rest
    expect(realise(h, sp, { ...a, socKwh: 1.5 }, 'absorb')).toMatchObject({ chargeKw: 0.5, exportKw: 1.5 });
    // less load than forecast while importing: the battery is not charged from the grid for it
    const idle = { ...sp, battery: { mode: 'idle' as const, powerKw: 0, socKwh: 1 } };
    const low = { loadKw: 0.5, pvKw: 0, forecastLoadKw: 1, forecastPvKw: 0, socKwh: 1, dtH: 1 };
    expect(realise(h, idle, low, 'absorb')).toMatchObject({ chargeKw: 0, dischargeKw: 0, importKw: 0.5 });
    // more load than forecast: the battery covers it, but does not discharge into the grid
    const high = { ...low, loadKw: 1.5, pvKw: 1, forecastPvKw: 1 };
    expect(realise(h, idle, high, 'absorb')).toMatchObject({ dischargeKw: 0.5, importKw: 0, exportKw: 0 });
  });
});

describe('day blocks', () => {
  const ev = {
    energyNeededKwh: 6,
    maxChargeKw: 3,
    minChargeKw: 0,
    efficiency: 1,
    arrive: '18:00',
    depart: '07:00',
    phases: 1 as const,
    volts: 230,
  };
  const dishwasher = {
    id: 'dishwasher',
    powerKw: 1,
    durationMin: 120,
    contiguous: true,
    earliest: '19:00',
    latestEnd: '06:00',
  };

  it('start at a time of day no window holds: midnight if free, else the car leaving', () => {
    expect(blockBoundary(home())).toEqual({ clock: '00:00', quiet: true });
    expect(blockBoundary(home({ ev, appliances: [dishwasher] }))).toEqual({ clock: '07:00', quiet: true });
    const allDay = { ...dishwasher, id: 'pump', earliest: '06:00', latestEnd: '20:00' };
    expect(blockBoundary(home({ ev, appliances: [allDay] }))).toEqual({ clock: '00:00', quiet: false });
  });

  it('charge the car and run the appliance every day; perfect foresight beats the baseline and MPC', async () => {
    const slots = 72;
    const hourOf = (t: number) => t % 24;
    const price = Array.from({ length: slots }, (_, t) =>
      hourOf(t) >= 17 && hourOf(t) < 21 ? 0.4 : hourOf(t) < 6 ? 0.1 : 0.2,
    );
    const pv = Array.from({ length: slots }, (_, t) =>
      Math.max(0, 3 * Math.sin(((hourOf(t) - 6) / 12) * Math.PI)),
    );
    const load = Array.from(
      { length: slots },
      (_, t) => 0.5 + (hourOf(t) >= 18 && hourOf(t) < 22 ? 1 : 0) + (t % 5) * 0.1,
    );
    const h = home({
      horizonHours: 24,
      ev,
      appliances: [dishwasher],
      battery: {
        ...home().battery!,
        socMaxKwh: 5,
        maxChargeKw: 2.5,
        maxDischargeKw: 2.5,
        chargeEfficiency: 0.95,
        dischargeEfficiency: 0.95,
        initialSocKwh: 2,
      },
    });
    const x: MpcInputs = {
      startMs: at('2024-03-04T07:00:00Z'),
      stepMin: 60,
      slots,
      loadKw: f64(load),
      pvKw: f64(pv),
      importPrice: f64(price),
      measuredLoadKw: f64(load),
      // the logged forecast: 20 % under on the first day, right after
      pvForecastKw: f64(pv.map((v, t) => (t < 24 ? 0.8 * v : v))),
      carbonForecast: 'model',
      historyLoadKw: f64(Array.from({ length: 48 }, (_, t) => load[(t + 48) % slots])),
    };
    const solver = await loadSolver();
    const base = replayBaseline(h, x);
    const perfect = replayPerfect(h, x, solver);
    const mpc = replayMpc(h, x, solver);
    for (const r of [base.totals, perfect.totals, mpc.totals]) {
      expect(r.evKwh).toBeCloseTo(18, 3); // three sessions of 6 kWh, all inside the period
      expect(r.evShortfallKwh).toBe(0);
    }
    expect(perfect.blocks).toBe(3);
    expect(perfect.totals.cost).toBeLessThanOrEqual(mpc.totals.cost + 1e-6);
    expect(perfect.totals.cost).toBeLessThan(base.totals.cost);
    // MPC is not always better than the baseline: here its forecasts miss the load's wobble and the first
    // day's PV, and every solve keeps the battery at the SoC it found (homeStep's default)
  });
});
