/**
 * What the home does without gridshift, computed exactly as the contract says: the EV charges at once,
 * each deferrable load runs at the start of its window, surplus PV charges the battery, then is exported,
 * then curtailed; a deficit is met by the battery, then by import (without the import limit). The
 * baseline never charges from the grid.
 */
import { type FlowTotals, flowTotals } from './objective.ts';
import type { HomeScenario } from './scenario.ts';

export interface BaselineSlot {
  importKw: number;
  exportKw: number;
  chargeKw: number;
  dischargeKw: number;
  curtailKw: number;
  evKw: number;
  /** state of charge at the end of the slot */
  socKwh: number;
}

export interface Baseline extends FlowTotals {
  slots: BaselineSlot[];
  finalSocKwh: number;
}

/** Power of the deferrable loads in slot `t` when each runs in the first slots of its window. */
function deferrableKw(s: HomeScenario, t: number): number {
  let kw = 0;
  for (const d of s.deferrable)
    if (t >= d.fromSlot && t < d.fromSlot + d.slotsNeeded && t < d.toSlot) kw += d.powerKw;
  return kw;
}

export function baseline(s: HomeScenario): Baseline {
  const dt = s.dtH;
  const b = s.battery;
  let soc = b?.socInitKwh ?? 0;
  let evRemainingKwh = s.ev?.energyNeededKwh ?? 0;
  const slots: BaselineSlot[] = [];
  for (let t = 0; t < s.slots; t++) {
    let evKw = 0;
    const ev = s.ev;
    if (ev && t >= ev.fromSlot && t < ev.toSlot && evRemainingKwh > 0) {
      evKw = Math.min(ev.maxChargeKw, evRemainingKwh / (ev.efficiency * dt));
      evRemainingKwh -= ev.efficiency * evKw * dt;
    }
    const net = s.loadKw[t] + evKw + deferrableKw(s, t) - s.pvKw[t];
    const slot: BaselineSlot = {
      importKw: 0,
      exportKw: 0,
      chargeKw: 0,
      dischargeKw: 0,
      curtailKw: 0,
      evKw,
      socKwh: 0,
    };
    if (net < 0) {
      const surplus = -net;
      slot.chargeKw = b
        ? Math.max(0, Math.min(surplus, b.maxChargeKw, (b.socMaxKwh - soc) / (b.chargeEfficiency * dt)))
        : 0;
      slot.exportKw = Math.min(surplus - slot.chargeKw, s.maxExportKw);
      slot.curtailKw = surplus - slot.chargeKw - slot.exportKw;
    } else if (net > 0) {
      slot.dischargeKw = b
        ? Math.max(0, Math.min(net, b.maxDischargeKw, ((soc - b.socMinKwh) * b.dischargeEfficiency) / dt))
        : 0;
      slot.importKw = net - slot.dischargeKw;
    }
    if (b) soc += dt * (b.chargeEfficiency * slot.chargeKw - slot.dischargeKw / b.dischargeEfficiency);
    slot.socKwh = soc;
    slots.push(slot);
  }
  const pick = (key: keyof BaselineSlot) => slots.map((x) => x[key]);
  const totals = flowTotals(s, {
    importKw: pick('importKw'),
    exportKw: pick('exportKw'),
    dischargeKw: pick('dischargeKw'),
  });
  return { ...totals, slots, finalSocKwh: soc };
}
