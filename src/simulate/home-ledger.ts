/**
 * What happened in a replayed home, slot by slot: the totals reported (cost, emissions, energy) and the
 * state the next plan builds on (battery charge, the car's energy this session, appliance runs). The MPC
 * replay, the baseline and the perfect-foresight reference all record into one, so their numbers are
 * counted the same way. Pure.
 */
import type { HomeConfig } from '../core/home-config.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';
import { dailyWindow, type HomeState } from '../optimize/home-horizon.ts';

/** The actual series of the replayed period, one value per slot. */
export interface HomeActuals {
  startMs: number;
  stepMin: number;
  slots: number;
  /** house base load, kW; gaps already filled */
  loadKw: Float64Array;
  pvKw: Float64Array;
  /** what an imported kWh costs (retail), per slot */
  importPrice: Float64Array;
  /** gCO2eq per kWh imported; absent = no emissions reported */
  carbon?: Float64Array;
}

/** One slot as it happened, kW. */
export interface SlotOutcome {
  importKw: number;
  exportKw: number;
  chargeKw: number;
  dischargeKw: number;
  curtailKw: number;
  evKw: number;
  /** state of charge at the end of the slot, kWh */
  socKwh: number;
  /** ids of the appliances on in the slot */
  appliancesOn: readonly string[];
}

export interface HomeTotals {
  /** import price x import - export price x export (cycling cost not included) */
  cost: number;
  emissionsG?: number;
  importKwh: number;
  exportKwh: number;
  curtailedKwh: number;
  dischargeKwh: number;
  /** energy into the car */
  evKwh: number;
  /** energy the car missed at departures inside the period, summed over sessions */
  evShortfallKwh: number;
  finalSocKwh: number;
}

interface Session {
  arriveMs: number;
  departMs: number;
  deliveredKwh: number;
}

/** Appliance slots older than this cannot matter to a plan any more (windows are at most a day long). */
const KEEP_MS = 2 * DAY_MS;

export interface Ledger {
  /** records slot `t` and moves on */
  record(t: number, o: SlotOutcome): void;
  /** what the plan at the start of slot `t` builds on */
  state(t: number): HomeState;
  totals(): HomeTotals;
}

export function createLedger(home: HomeConfig, a: HomeActuals): Ledger {
  const dt = a.stepMin / 60;
  const stepMs = a.stepMin * MINUTE_MS;
  const endMs = a.startMs + a.slots * stepMs;
  let socKwh = home.battery?.initialSocKwh ?? 0;
  const onSlots: Record<string, number[]> = Object.fromEntries(home.appliances.map((x) => [x.id, []]));
  const sessions: Session[] = [];
  const totals: HomeTotals = {
    cost: 0,
    ...(a.carbon ? { emissionsG: 0 } : {}),
    importKwh: 0,
    exportKwh: 0,
    curtailedKwh: 0,
    dischargeKwh: 0,
    evKwh: 0,
    evShortfallKwh: 0,
    finalSocKwh: socKwh,
  };

  /** the car's session holding `ms`, if it is plugged in then */
  function sessionAt(ms: number): [number, number] | undefined {
    const ev = home.ev;
    if (!ev) return undefined;
    for (const offset of [-1, 0]) {
      const w = dailyWindow(ms, offset, ev.arrive, ev.depart, home.timeZone);
      if (w[0] <= ms && ms < w[1]) return w;
    }
    return undefined;
  }

  return {
    record(t, o) {
      const ms = a.startMs + t * stepMs;
      const imp = o.importKw * dt;
      const exp = o.exportKw * dt;
      totals.cost += a.importPrice[t] * imp - home.exportPricePerKwh * exp;
      if (a.carbon && totals.emissionsG !== undefined) totals.emissionsG += a.carbon[t] * imp;
      totals.importKwh += imp;
      totals.exportKwh += exp;
      totals.curtailedKwh += o.curtailKw * dt;
      totals.dischargeKwh += o.dischargeKw * dt;
      const intoCar = o.evKw * dt * (home.ev?.efficiency ?? 1);
      totals.evKwh += intoCar;
      const w = sessionAt(ms);
      if (w) {
        let s = sessions[sessions.length - 1];
        if (!s || s.arriveMs !== w[0]) {
          s = { arriveMs: w[0], departMs: w[1], deliveredKwh: 0 };
          sessions.push(s);
        }
        s.deliveredKwh += intoCar;
      }
      for (const id of o.appliancesOn) {
        const list = onSlots[id];
        list.push(ms);
        while (list.length > 0 && list[0] < ms - KEEP_MS) list.shift();
      }
      socKwh = o.socKwh;
      totals.finalSocKwh = socKwh;
    },
    state(t) {
      const ms = a.startMs + t * stepMs;
      const s = sessions[sessions.length - 1];
      const under = s && s.arriveMs <= ms && ms < s.departMs;
      return {
        ...(home.battery ? { socKwh } : {}),
        evDeliveredKwh: under ? s.deliveredKwh : 0,
        applianceOnSlots: onSlots,
      };
    },
    totals() {
      const need = home.ev?.energyNeededKwh ?? 0;
      // sessions wholly inside the period: one cut by its start or end cannot be held to the full energy
      const shortfall = sessions
        .filter((s) => s.arriveMs >= a.startMs && s.departMs <= endMs)
        .reduce((sum, s) => sum + Math.max(0, need - s.deliveredKwh), 0);
      return { ...totals, evShortfallKwh: shortfall < 1e-6 ? 0 : shortfall };
    },
  };
}
