/**
 * Model predictive control of a home, replayed: at every slot, the forecasts known then (the house-load
 * forecaster on the load measured so far, the PV forecast the household logged, the day-ahead prices
 * published by then, carbon from the built-in forecaster or as it was), one solve built by `homeStep`
 * exactly as the service builds it, the first slot's setpoints, and what they do against the actual load
 * and PV. Pure apart from the solver it is given.
 */
import type { HomeConfig } from '../core/home-config.ts';
import { MINUTE_MS } from '../core/time.ts';
import { InfeasibleError } from '../optimize/errors.ts';
import { optimizeHome } from '../optimize/home.ts';
import { currentSetpoints, type HomeSetpoints, homeStep } from '../optimize/home-horizon.ts';
import { parseScenario } from '../optimize/scenario.ts';
import type { Solver } from '../optimize/solve.ts';
import { createForecaster } from '../signals/forecast.ts';
import { houseLoadForecaster } from '../signals/house-load.ts';
import type { PublicationTime } from '../signals/provider.ts';
import { EU_DAY_AHEAD_PUBLICATION, publishedUntilMs } from '../signals/publication.ts';
import { createLedger, type HomeActuals, type HomeTotals, type SlotOutcome } from './home-ledger.ts';

export interface MpcInputs extends HomeActuals {
  /** the house load as measured (NaN = missing): what the load forecaster learns from */
  measuredLoadKw: Float64Array;
  /** the load measured before the period (NaN = missing), on the same step: the forecaster's warm-up */
  historyLoadKw?: Float64Array;
  /** the PV forecast logged for each slot, kW (NaN = none: 0) */
  pvForecastKw: Float64Array;
  /** `model`: the built-in forecaster on the carbon seen so far; `actual`: the series as it turned out */
  carbonForecast: 'model' | 'actual';
  /** when the next day's prices become known (default the EU day-ahead auction, ~13:00 CET) */
  publication?: PublicationTime;
  /** how setpoints meet the actual load and PV (default `absorb`) */
  realisation?: Realisation;
  onProgress?: (done: number, total: number) => void;
}

export interface MpcResult {
  totals: HomeTotals;
  /** wall time of each step's build and solve (homeStep, parseScenario, optimizeHome, setpoints), ms */
  stepMs: Float64Array;
  /** slots whose solve failed even with soft goals: the home ran without a plan (battery idle, no EV) */
  unplannedSlots: number;
  /** mean horizon of the solves, slots */
  meanHorizonSlots: number;
}

function usesPrices(home: HomeConfig): boolean {
  return home.objective !== 'carbon';
}

/**
 * How setpoints meet reality. `absorb`: the battery runs its planned power and takes the forecast's error
 * where that keeps power off the grid: PV beyond the forecast (or load below it) charges it, but only from a
 * real surplus, never from the grid; load beyond the forecast (or PV below it) discharges it, but never into
 * the grid; what a home battery in self-consumption mode around a plan does. `strict`: the battery runs its
 * planned power and the grid takes every error. Both keep the SoC limits.
 */
export type Realisation = 'absorb' | 'strict';

export interface SlotActuals {
  loadKw: number;
  pvKw: number;
  /** what the plan expected of both (base load without the appliances) */
  forecastLoadKw: number;
  forecastPvKw: number;
  socKwh: number;
  dtH: number;
}

/** What the setpoints do against the actual load and PV. */
export function realise(home: HomeConfig, sp: HomeSetpoints, a: SlotActuals, mode: Realisation): SlotOutcome {
  const b = home.battery;
  const { dtH, socKwh } = a;
  const appliancesOn = home.appliances.filter((x) => sp.appliances[x.id] === 'on');
  const evKw = sp.ev?.powerKw ?? 0;
  const applianceKw = appliancesOn.reduce((sum, x) => sum + x.powerKw, 0);
  let wanted =
    sp.battery?.mode === 'charge'
      ? sp.battery.powerKw
      : sp.battery?.mode === 'discharge'
        ? -sp.battery.powerKw
        : 0;
  if (mode === 'absorb') {
    // grid power with the planned battery flow, as it is and as the plan expected it (import positive)
    const actualNet = a.loadKw + evKw + applianceKw + wanted - a.pvKw;
    const error = actualNet - (a.forecastLoadKw + evKw + applianceKw + wanted - a.forecastPvKw);
    if (error > 0) wanted -= Math.min(error, Math.max(0, actualNet));
    else wanted += Math.min(-error, Math.max(0, -actualNet));
  }
  let chargeKw = 0;
  let dischargeKw = 0;
  if (b && wanted > 0)
    chargeKw = Math.max(
      0,
      Math.min(wanted, b.maxChargeKw, (b.socMaxKwh - socKwh) / (b.chargeEfficiency * dtH)),
    );
  if (b && wanted < 0)
    dischargeKw = Math.max(
      0,
      Math.min(-wanted, b.maxDischargeKw, ((socKwh - b.socMinKwh) * b.dischargeEfficiency) / dtH),
    );
  const net = a.loadKw + evKw + applianceKw + chargeKw - dischargeKw - a.pvKw;
  const surplus = Math.max(0, -net);
  // PV the export limit cannot take is curtailed (when curtailment is off it is exported regardless)
  const exportKw = home.allowCurtailment ? Math.min(surplus, home.maxExportKw ?? surplus) : surplus;
  return {
    importKw: Math.max(0, net),
    exportKw,
    chargeKw,
    dischargeKw,
    curtailKw: surplus - exportKw,
    evKw,
    socKwh: b ? socKwh + dtH * (b.chargeEfficiency * chargeKw - dischargeKw / b.dischargeEfficiency) : 0,
    appliancesOn: appliancesOn.map((x) => x.id),
  };
}

/** Horizon of the solve at slot `t`, in slots: the configured one, the end of published prices, the period's end. */
function horizonAt(home: HomeConfig, x: MpcInputs, t: number, publication: PublicationTime): number {
  const stepMs = x.stepMin * MINUTE_MS;
  let n = Math.min(Math.round((home.horizonHours * 60) / x.stepMin), x.slots - t);
  if (usesPrices(home)) {
    const nowMs = x.startMs + t * stepMs;
    n = Math.min(n, Math.floor((publishedUntilMs(publication, nowMs) - nowMs) / stepMs));
  }
  return Math.max(1, n);
}

export function replayMpc(home: HomeConfig, x: MpcInputs, solver: Solver): MpcResult {
  const publication = x.publication ?? EU_DAY_AHEAD_PUBLICATION;
  const dtH = x.stepMin / 60;
  const stepMs = x.stepMin * MINUTE_MS;
  const ledger = createLedger(home, x);
  const history = x.historyLoadKw ?? new Float64Array(0);
  const load = houseLoadForecaster(x.startMs - history.length * stepMs, x.stepMin);
  for (const v of history) load.observe(v);
  const carbonModel =
    x.carbon && x.carbonForecast === 'model'
      ? createForecaster({ startMs: x.startMs, stepMin: x.stepMin })
      : undefined;
  const maxSlots = Math.round((home.horizonHours * 60) / x.stepMin);
  const loadAhead = new Float64Array(maxSlots);
  const carbonAhead = new Float64Array(maxSlots);
  const stepTimes = new Float64Array(x.slots);
  let unplanned = 0;
  let horizonSum = 0;
  let socKwh = home.battery?.initialSocKwh ?? 0;
  for (let t = 0; t < x.slots; t++) {
    const nowMs = x.startMs + t * stepMs;
    const n = horizonAt(home, x, t, publication);
    horizonSum += n;
    load.predictInto(loadAhead, history.length + t, history.length + t + n, 0);
    for (let k = 0; k < n; k++) if (!Number.isFinite(loadAhead[k])) loadAhead[k] = home.baseLoadKw;
    let carbon: ArrayLike<number> | undefined;
    if (x.carbon && carbonModel) {
      carbonModel.predictInto(carbonAhead, t, t + n, 0);
      for (let k = 0; k < n; k++) if (!Number.isFinite(carbonAhead[k])) carbonAhead[k] = x.carbon[t + k];
      carbon = carbonAhead.subarray(0, n);
    } else if (x.carbon) carbon = x.carbon.subarray(t, t + n);
    const pv = x.pvForecastKw.subarray(t, t + n).map((v) => (Number.isFinite(v) ? v : 0));
    const started = performance.now();
    const step = homeStep(
      home,
      nowMs,
      {
        loadKw: loadAhead.subarray(0, n),
        pvKw: pv,
        ...(usesPrices(home) ? { importPrice: x.importPrice.subarray(t, t + n) } : {}),
        ...(carbon ? { carbon } : {}),
      },
      ledger.state(t),
    );
    let sp: HomeSetpoints;
    try {
      const plan = optimizeHome(parseScenario(step.scenario), solver, { soft: true });
      sp = currentSetpoints(home, step, plan);
    } catch (err) {
      if (!(err instanceof InfeasibleError)) throw err;
      unplanned++;
      sp = { slotStart: '', slotEnd: '', appliances: {}, grid: { importKw: 0, exportKw: 0 }, curtailKw: 0 };
      for (const run of step.appliances)
        if ((run.committedSlots ?? 0) > 0) sp.appliances[run.applianceId] = 'on';
    }
    stepTimes[t] = performance.now() - started;
    const outcome = realise(
      home,
      sp,
      {
        loadKw: x.loadKw[t],
        pvKw: x.pvKw[t],
        forecastLoadKw: Math.max(0, loadAhead[0]),
        forecastPvKw: pv[0],
        socKwh,
        dtH,
      },
      x.realisation ?? 'absorb',
    );
    ledger.record(t, outcome);
    socKwh = outcome.socKwh;
    load.observe(x.measuredLoadKw[t]);
    if (carbonModel && x.carbon) carbonModel.observe(x.carbon[t]);
    if (x.onProgress && (t % 96 === 95 || t === x.slots - 1)) x.onProgress(t + 1, x.slots);
  }
  return {
    totals: ledger.totals(),
    stepMs: stepTimes,
    unplannedSlots: unplanned,
    meanHorizonSlots: x.slots > 0 ? horizonSum / x.slots : 0,
  };
}
