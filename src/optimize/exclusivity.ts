/**
 * Where the model needs a binary for "never import and export in the same slot" and "never charge and
 * discharge in the same slot", and how a plan of the tightened model is made to obey both where it has
 * none. The `full` formulation puts both binaries in every slot; `tightened` only where they can bind.
 *
 * Notation per slot t: `ci` the objective per kWh imported, `ce` per kWh exported (negative: a gain),
 * `cd >= 0` per kWh discharged (the cycling cost), `eta = chargeEfficiency * dischargeEfficiency`.
 *
 * Import/export. Take a plan with imp = a > 0 and exp = b > 0 in slot t and lower both by m = min(a, b):
 * the balance holds (imp and exp enter it with opposite signs), both stay within their bounds, nothing
 * else changes, and the objective changes by -(ci + ce) * m * dt. So when ci + ce >= 0 (exporting earns
 * no more than importing costs) an optimal plan without simultaneous flows exists and the tightened model
 * nets them out after solving. Only slots with ci + ce < 0 (cost: exportPrice > importPrice; carbon: a
 * negative intensity; weighted: exportPrice > importPrice + carbonPrice * carbon / 1000) need the binary.
 *
 * Charge/discharge. Charging c and discharging d at once (both > 0) burns energy: it draws bus energy
 * with a smaller change of SoC than the net flow c - d would. It can pay only where bus energy can have
 * a negative value now or later: call slot t "safe" when (1) importing does not earn (ci >= 0, or no
 * import is possible), (2) PV can be curtailed (or there is none in t), and (3) the cycling cost is not
 * negative. Let K be the last slot that is not safe; slots t > K need no binary, because a plan that burns
 * in such a t can be changed, without raising the objective or breaking a constraint, into one that does
 * not (the repair `netCharging` below does exactly this):
 *  a. lower c by x and d by eta * x: the SoC path is unchanged and the bus gains x * (1 - eta) kW, which
 *     goes to less import (saves ci >= 0) or more curtailment (free), as far as those have room;
 *  b. if both are still > 0, room ran out: imp = 0 and all PV is curtailed, so the balance gives
 *     d >= c + load and the SoC falls in t. Replace (c, d) by their net (c - d, 0) or (0, d - c): the
 *     balance is unchanged and the SoC from t + 1 on is higher by some D > 0, still <= socMax at t + 1
 *     (it falls in t);
 *  c. walking forward from t + 1, in each slot where the SoC rises remove up to D of that rise by
 *     charging less; the freed bus energy again goes to less import or more curtailment, and there is
 *     room for it because the balance gives imp + (pv - cur) >= c - d >= the charge removed. The SoC path
 *     stays between the old one and the old one + D, so socMin, socMax and socFinalMin still hold, and
 *     the later slots are safe too (they come after K).
 * Less discharge never raises the cycling cost. When eta = 1 step a nets completely with nothing to
 * absorb, so lossless batteries need no binary at all. Slots t <= K keep the binary: there burning energy before a
 * slot with forced PV surplus or paid import can make room in the battery.
 */
import { slotCoefficients } from './objective.ts';
import type { HomeScenario } from './scenario.ts';

export type Formulation = 'tightened' | 'full';

export interface BinaryPlacement {
  importExport: boolean[];
  chargeDischarge: boolean[];
}

function importExportCanBind(s: HomeScenario, t: number): boolean {
  const c = slotCoefficients(s, t);
  return c.importPerKwh + c.exportPerKwh < 0;
}

function slotIsSafe(s: HomeScenario, t: number): boolean {
  const importEarns = s.maxImportKw > 0 && slotCoefficients(s, t).importPerKwh < 0;
  const forcedPv = !s.allowCurtailment && s.pvKw[t] > 0;
  return !importEarns && !forcedPv && (s.battery?.cyclingCostPerKwh ?? 0) >= 0;
}

/** Which slots get which binary (before the model drops those whose flows cannot both be non-zero). */
export function binaryPlacement(s: HomeScenario, formulation: Formulation): BinaryPlacement {
  const T = s.slots;
  if (formulation === 'full')
    return { importExport: new Array(T).fill(true), chargeDischarge: new Array(T).fill(true) };
  const b = s.battery;
  const lossless =
    b !== undefined && b.chargeEfficiency * b.dischargeEfficiency === 1 && b.cyclingCostPerKwh >= 0;
  let lastUnsafe = -1;
  if (b && !lossless) for (let t = 0; t < T; t++) if (!slotIsSafe(s, t)) lastUnsafe = t;
  return {
    importExport: Array.from({ length: T }, (_, t) => importExportCanBind(s, t)),
    chargeDischarge: Array.from({ length: T }, (_, t) => t <= lastUnsafe),
  };
}

/** Flows per slot, kW, changed in place by the repairs. */
export interface SlotFlows {
  importKw: number[];
  exportKw: number[];
  chargeKw: number[];
  dischargeKw: number[];
  curtailKw: number[];
}

/** Import and export at once in a slot without the binary: lower both by the smaller (see above). */
export function netImportExport(f: SlotFlows): void {
  for (let t = 0; t < f.importKw.length; t++) {
    const m = Math.min(f.importKw[t], f.exportKw[t]);
    if (m > 0) {
      f.importKw[t] -= m;
      f.exportKw[t] -= m;
    }
  }
}

/** Puts `kw` of surplus bus power in slot t into less import, then more curtailment; returns what is left. */
function absorb(s: HomeScenario, f: SlotFlows, t: number, kw: number): number {
  const lessImport = Math.min(kw, f.importKw[t]);
  f.importKw[t] -= lessImport;
  let left = kw - lessImport;
  if (s.allowCurtailment) {
    const more = Math.min(left, Math.max(0, s.pvKw[t] - f.curtailKw[t]));
    f.curtailKw[t] += more;
    left -= more;
  }
  return left;
}

function roomToAbsorb(s: HomeScenario, f: SlotFlows, t: number): number {
  return f.importKw[t] + (s.allowCurtailment ? Math.max(0, s.pvKw[t] - f.curtailKw[t]) : 0);
}

/** Steps a-c above for every slot without the charge/discharge binary that charges and discharges. */
export function netCharging(s: HomeScenario, f: SlotFlows, hasBinary: boolean[]): void {
  const b = s.battery;
  if (!b) return;
  const dt = s.dtH;
  const ec = b.chargeEfficiency;
  const ed = b.dischargeEfficiency;
  const eta = ec * ed;
  for (let t = 0; t < s.slots; t++) {
    if (hasBinary[t] || !(f.chargeKw[t] > 0 && f.dischargeKw[t] > 0)) continue;
    // a. same SoC path, the burnt power goes to less import or more curtailment
    const most = Math.min(f.chargeKw[t], f.dischargeKw[t] / eta);
    const x = eta < 1 ? Math.min(most, roomToAbsorb(s, f, t) / (1 - eta)) : most;
    f.chargeKw[t] -= x;
    f.dischargeKw[t] -= eta * x;
    absorb(s, f, t, x * (1 - eta));
    if (!(f.chargeKw[t] > 0 && f.dischargeKw[t] > 0)) continue;
    // b. same balance, the SoC ends higher by `raise`
    const before = ec * f.chargeKw[t] - f.dischargeKw[t] / ed;
    const net = f.chargeKw[t] - f.dischargeKw[t];
    f.chargeKw[t] = Math.max(0, net);
    f.dischargeKw[t] = Math.max(0, -net);
    let raise = dt * (ec * f.chargeKw[t] - f.dischargeKw[t] / ed - before);
    // c. later rises of the SoC give the raise back
    for (let j = t + 1; j < s.slots && raise > 1e-12; j++) {
      const rise = dt * (ec * f.chargeKw[j] - f.dischargeKw[j] / ed);
      if (rise <= 0) continue;
      const removed = Math.min(rise, raise);
      const lessChargeKw = removed / (ec * dt);
      f.chargeKw[j] -= lessChargeKw;
      absorb(s, f, j, lessChargeKw);
      raise -= removed;
    }
  }
}
