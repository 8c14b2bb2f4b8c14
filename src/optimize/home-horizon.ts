/**
 * One model-predictive step for a configured home: the scenario of ../shared/contracts/home-optimize.md over
 * the next hours, from the home's description (core/home-config.ts), the forecasts known now and what has
 * already happened (the battery's charge, the car's energy so far, appliance runs under way). The service
 * and `gridshift home simulate` both build their solves here, so a replay plans exactly as the service does.
 * Pure: no clock, no I/O.
 */
import type { HomeApplianceConfig, HomeConfig } from '../core/home-config.ts';
import { zonedTimeToMs } from '../core/human-time.ts';
import { floorToStep, MINUTE_MS, toIso, zonedParts } from '../core/time.ts';
import type { HomePlan } from './home.ts';

/** Per-slot forecasts from the horizon's first slot; the horizon ends where the shortest one ends. */
export interface HomeForecasts {
  loadKw: ArrayLike<number>;
  pvKw?: ArrayLike<number>;
  importPrice?: ArrayLike<number>;
  carbon?: ArrayLike<number>;
}

/** What has happened that the next plan must build on. */
export interface HomeState {
  /** the battery's measured state of charge, kWh; absent = the configured initial one */
  socKwh?: number;
  /** energy delivered into the car since it arrived for the session now under way, kWh */
  evDeliveredKwh?: number;
  /** by appliance id: the starts (ms) of the slots it has been switched on in, recent ones at least */
  applianceOnSlots?: Record<string, readonly number[]>;
}

/** One day's occurrence of an appliance in the scenario. */
export interface ApplianceRun {
  /** the id in the scenario's `deferrable` list (`dishwasher`, the next day's `dishwasher+1`) */
  scenarioId: string;
  applianceId: string;
  /** its window's start, ms */
  windowStartMs: number;
  /** already started and not finished: it runs on in the first `slots` slots (a fixed load, not planned) */
  committedSlots?: number;
}

export interface HomeStep {
  /** the contract's scenario document (what `gridshift home optimize --scenario` reads) */
  scenario: Record<string, unknown>;
  startMs: number;
  slots: number;
  appliances: ApplianceRun[];
}

/** A daily window `from`-`to` (HH:MM, local; `to` at or before `from` ends the next day) of the day `offset` days from `ms`. */
export function dailyWindow(
  ms: number,
  offset: number,
  from: string,
  to: string,
  timeZone: string,
): [number, number] {
  const p = zonedParts(ms, timeZone);
  const [fh, fm] = from.split(':').map(Number);
  const [th, tm] = to.split(':').map(Number);
  const day = p.day + offset;
  const startMs = zonedTimeToMs({ year: p.year, month: p.month, day, hour: fh, minute: fm }, timeZone);
  const endDay = th * 60 + tm <= fh * 60 + fm ? day + 1 : day;
  const endMs = zonedTimeToMs({ year: p.year, month: p.month, day: endDay, hour: th, minute: tm }, timeZone);
  return [startMs, endMs];
}

/** The daily windows that end after `afterMs` and start before `beforeMs`, in time order. */
function windowsBetween(
  afterMs: number,
  beforeMs: number,
  from: string,
  to: string,
  timeZone: string,
): [number, number][] {
  const out: [number, number][] = [];
  for (let offset = -1; offset <= 4; offset++) {
    const w = dailyWindow(afterMs, offset, from, to, timeZone);
    if (w[1] > afterMs && w[0] < beforeMs) out.push(w);
  }
  return out;
}

/** The car's session (arrival, departure) under way at `ms`, or null when it is not plugged in then. */
export function evSessionAt(home: HomeConfig, ms: number): [number, number] | null {
  if (!home.ev) return null;
  const [session] = windowsBetween(ms, ms + 1, home.ev.arrive, home.ev.depart, home.timeZone);
  return session && session[0] <= ms ? session : null;
}

const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;

function horizonSlots(home: HomeConfig, f: HomeForecasts): number {
  // a series the objective needs that nobody gave leaves nothing to plan
  const needed = [
    f.importPrice ?? (home.objective === 'carbon' ? undefined : []),
    f.carbon ?? (home.objective === 'cost' ? undefined : []),
  ];
  const lengths = [f.loadKw, f.pvKw, ...needed].filter((s) => s !== undefined).map((s) => s.length);
  return Math.max(0, Math.min(Math.round((home.horizonHours * 60) / home.stepMin), ...lengths));
}

function batteryOf(home: HomeConfig, state: HomeState): Record<string, unknown> | undefined {
  const b = home.battery;
  if (!b) return undefined;
  const socInitKwh = Math.min(b.socMaxKwh, Math.max(b.socMinKwh, state.socKwh ?? b.initialSocKwh));
  return {
    socInitKwh: round(socInitKwh),
    socMinKwh: b.socMinKwh,
    socMaxKwh: b.socMaxKwh,
    maxChargeKw: b.maxChargeKw,
    maxDischargeKw: b.maxDischargeKw,
    chargeEfficiency: b.chargeEfficiency,
    dischargeEfficiency: b.dischargeEfficiency,
    socFinalMinKwh: round(b.finalSocKwh ?? socInitKwh),
    cyclingCostPerKwh: b.cyclingCostPerKwh,
  };
}

/**
 * The car's session now under way or next within the horizon. A departure past the horizon asks only for
 * the energy that could not be delivered after the horizon's end at full power.
 */
function evOf(
  home: HomeConfig,
  state: HomeState,
  startMs: number,
  endMs: number,
): Record<string, unknown> | undefined {
  const ev = home.ev;
  if (!ev) return undefined;
  const [session] = windowsBetween(startMs, endMs, ev.arrive, ev.depart, home.timeZone);
  if (!session) return undefined;
  const [arriveMs, departMs] = session;
  const delivered = arriveMs <= startMs ? (state.evDeliveredKwh ?? 0) : 0;
  let neededKwh = Math.max(0, ev.energyNeededKwh - delivered);
  if (departMs > endMs) {
    const afterHorizonKwh = (ev.maxChargeKw * ev.efficiency * (departMs - endMs)) / 3_600_000;
    neededKwh = Math.max(0, neededKwh - afterHorizonKwh);
  }
  return {
    arrive: toIso(Math.max(arriveMs, startMs)),
    depart: toIso(Math.min(departMs, endMs)),
    energyNeededKwh: round(neededKwh),
    maxChargeKw: ev.maxChargeKw,
    minChargeKw: ev.minChargeKw,
    efficiency: ev.efficiency,
  };
}

interface Deferrable {
  id: string;
  powerKw: number;
  durationMin: number;
  earliest: string;
  latestEnd: string;
  contiguous: boolean;
}

/**
 * An appliance's daily runs in the horizon: done ones are left out, one under way (contiguous) runs on as a
 * fixed load, the rest are planned; a window too short for what is left runs what is left at once.
 */
function applianceRuns(
  a: HomeApplianceConfig,
  home: HomeConfig,
  state: HomeState,
  startMs: number,
  endMs: number,
): { runs: ApplianceRun[]; deferrable: Deferrable[] } {
  const stepMs = home.stepMin * MINUTE_MS;
  const needed = Math.ceil(a.durationMin / home.stepMin - 1e-9);
  const onSlots = state.applianceOnSlots?.[a.id] ?? [];
  const runs: ApplianceRun[] = [];
  const deferrable: Deferrable[] = [];
  windowsBetween(startMs, endMs, a.earliest, a.latestEnd, home.timeZone).forEach(([ws, we], k) => {
    const scenarioId = k === 0 ? a.id : `${a.id}+${k}`;
    const ran = onSlots.filter((t) => t >= ws && t < we && t < startMs).length;
    const left = needed - ran;
    if (left <= 0) return;
    if (a.contiguous && ran > 0) {
      runs.push({ scenarioId, applianceId: a.id, windowStartMs: ws, committedSlots: left });
      return;
    }
    const from = Math.max(ws, startMs);
    const firstSlot = Math.ceil((from - startMs) / stepMs);
    const latest = Math.max(Math.floor((we - startMs) / stepMs), firstSlot + left);
    const lastSlot = Math.min(latest, Math.round((endMs - startMs) / stepMs));
    if (lastSlot - firstSlot < left) return; // the window reaches past the horizon: planned by a later solve
    runs.push({ scenarioId, applianceId: a.id, windowStartMs: ws });
    deferrable.push({
      id: scenarioId,
      powerKw: a.powerKw,
      durationMin: left * home.stepMin,
      earliest: toIso(startMs + firstSlot * stepMs),
      latestEnd: toIso(startMs + lastSlot * stepMs),
      contiguous: a.contiguous,
    });
  });
  return { runs, deferrable };
}

/** The scenario to solve at `nowMs`: slots from the start of the slot now under way. */
export function homeStep(
  home: HomeConfig,
  nowMs: number,
  forecasts: HomeForecasts,
  state: HomeState = {},
): HomeStep {
  const startMs = floorToStep(nowMs, home.stepMin);
  const slots = horizonSlots(home, forecasts);
  const endMs = startMs + slots * home.stepMin * MINUTE_MS;
  const loadKw = Array.from({ length: slots }, (_, t) => Math.max(0, forecasts.loadKw[t]));
  const appliances: ApplianceRun[] = [];
  const deferrable: Deferrable[] = [];
  for (const a of home.appliances) {
    const planned = applianceRuns(a, home, state, startMs, endMs);
    appliances.push(...planned.runs);
    deferrable.push(...planned.deferrable);
    for (const run of planned.runs)
      for (let t = 0; t < Math.min(slots, run.committedSlots ?? 0); t++) loadKw[t] += a.powerKw;
  }
  const series: Record<string, number[]> = {
    loadKw: loadKw.map((v) => round(v)),
    exportPrice: new Array(slots).fill(home.exportPricePerKwh),
  };
  if (forecasts.pvKw)
    series.pvKw = Array.from({ length: slots }, (_, t) => round(Math.max(0, forecasts.pvKw?.[t] ?? 0)));
  if (forecasts.importPrice)
    series.importPrice = Array.from({ length: slots }, (_, t) => forecasts.importPrice?.[t] ?? 0);
  if (forecasts.carbon) series.carbon = Array.from({ length: slots }, (_, t) => forecasts.carbon?.[t] ?? 0);
  const battery = batteryOf(home, state);
  const ev = evOf(home, state, startMs, endMs);
  const scenario: Record<string, unknown> = {
    start: toIso(startMs),
    stepMin: home.stepMin,
    slots,
    objective: home.objective,
    series,
    grid: {
      ...(home.maxImportKw !== undefined ? { maxImportKw: home.maxImportKw } : {}),
      ...(home.maxExportKw !== undefined ? { maxExportKw: home.maxExportKw } : {}),
    },
    ...(battery ? { battery } : {}),
    ...(ev ? { ev } : {}),
    ...(deferrable.length > 0 ? { deferrable } : {}),
    allowCurtailment: home.allowCurtailment,
  };
  return { scenario, startMs, slots, appliances };
}

/** What the home should do in the slot now under way, as devices take it. */
export interface HomeSetpoints {
  slotStart: string;
  slotEnd: string;
  battery?: { mode: 'charge' | 'discharge' | 'idle'; powerKw: number; socKwh: number };
  ev?: { charging: boolean; powerKw: number; currentA: number };
  /** by appliance id */
  appliances: Record<string, 'on' | 'off'>;
  grid: { importKw: number; exportKw: number };
  curtailKw: number;
}

/** The first slot of `plan` (solved from `step`) as setpoints. */
export function currentSetpoints(home: HomeConfig, step: HomeStep, plan: HomePlan): HomeSetpoints {
  const slot = plan.slots[0];
  const stepMs = home.stepMin * MINUTE_MS;
  const appliances: Record<string, 'on' | 'off'> = {};
  for (const a of home.appliances) appliances[a.id] = 'off';
  for (const run of step.appliances)
    if ((run.committedSlots ?? 0) > 0 || slot?.deferrable[run.scenarioId] === 1)
      appliances[run.applianceId] = 'on';
  const out: HomeSetpoints = {
    slotStart: toIso(step.startMs),
    slotEnd: toIso(step.startMs + stepMs),
    appliances,
    grid: { importKw: round(slot?.importKw ?? 0, 3), exportKw: round(slot?.exportKw ?? 0, 3) },
    curtailKw: round(slot?.curtailKw ?? 0, 3),
  };
  if (home.battery) {
    const ch = slot?.chargeKw ?? 0;
    const dis = slot?.dischargeKw ?? 0;
    const mode = ch > 1e-6 ? 'charge' : dis > 1e-6 ? 'discharge' : 'idle';
    out.battery = {
      mode,
      powerKw: round(mode === 'charge' ? ch : mode === 'discharge' ? dis : 0, 3),
      socKwh: round(slot?.socKwh ?? 0, 3),
    };
  }
  if (home.ev) {
    const kw = slot?.evKw ?? 0;
    out.ev = {
      charging: kw > 1e-6,
      powerKw: round(kw, 3),
      currentA: round((kw * 1000) / (home.ev.volts * home.ev.phases), 1),
    };
  }
  return out;
}
