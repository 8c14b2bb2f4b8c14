/**
 * The contract's objectives as per-kWh coefficients per slot, and the totals of a plan (optimised or
 * baseline) computed from its flows: one definition for the model, the baseline and the reports.
 */
import type { HomeScenario } from './scenario.ts';

/** Objective per kWh imported, exported (negative: a gain) and discharged in slot `t`. */
export interface SlotCoefficients {
  importPerKwh: number;
  exportPerKwh: number;
  dischargePerKwh: number;
}

export function slotCoefficients(s: HomeScenario, t: number): SlotCoefficients {
  const cycling = s.battery?.cyclingCostPerKwh ?? 0;
  if (s.objective === 'carbon')
    return { importPerKwh: s.carbon?.[t] ?? 0, exportPerKwh: 0, dischargePerKwh: 0 };
  const price = s.importPrice?.[t] ?? 0;
  const carbonPerKwh =
    s.objective === 'cost' ? 0 : (s.objective.carbonPricePerKg * (s.carbon?.[t] ?? 0)) / 1000;
  return { importPerKwh: price + carbonPerKwh, exportPerKwh: -s.exportPrice[t], dischargePerKwh: cycling };
}

/** Grid and battery flows per slot, kW. */
export interface Flows {
  importKw: ArrayLike<number>;
  exportKw: ArrayLike<number>;
  dischargeKw: ArrayLike<number>;
}

export interface FlowTotals {
  objectiveValue: number;
  importKwh: number;
  exportKwh: number;
  dischargeKwh: number;
  /** present when series.importPrice is given; excludes the cycling cost */
  cost?: number;
  /** present when series.carbon is given; imported energy only */
  emissionsG?: number;
}

export function flowTotals(s: HomeScenario, f: Flows): FlowTotals {
  const dt = s.dtH;
  let objectiveValue = 0;
  let importKwh = 0;
  let exportKwh = 0;
  let dischargeKwh = 0;
  let cost = 0;
  let emissionsG = 0;
  for (let t = 0; t < s.slots; t++) {
    const c = slotCoefficients(s, t);
    const imp = f.importKw[t] * dt;
    const exp = f.exportKw[t] * dt;
    const dis = f.dischargeKw[t] * dt;
    objectiveValue += c.importPerKwh * imp + c.exportPerKwh * exp + c.dischargePerKwh * dis;
    importKwh += imp;
    exportKwh += exp;
    dischargeKwh += dis;
    if (s.importPrice) cost += s.importPrice[t] * imp - s.exportPrice[t] * exp;
    if (s.carbon) emissionsG += s.carbon[t] * imp;
  }
  return {
    objectiveValue,
    importKwh,
    exportKwh,
    dischargeKwh,
    ...(s.importPrice ? { cost } : {}),
    ...(s.carbon ? { emissionsG } : {}),
  };
}
