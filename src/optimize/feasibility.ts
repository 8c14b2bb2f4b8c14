/**
 * The plain reasons a scenario has no plan, found before solving so the message can name the
 * constraint (HiGHS only says "infeasible"). Hard goals (EV energy, final SoC) are not checked with
 * `soft`: there they are targets.
 */
import { formatNumber } from '../core/format.ts';
import { InfeasibleError } from './errors.ts';
import type { HomeScenario } from './scenario.ts';

const n = (x: number) => formatNumber(x, 3);

function checkBattery(s: HomeScenario, soft: boolean): void {
  const b = s.battery;
  if (!b) return;
  const slotGainKwh = s.dtH * b.chargeEfficiency * b.maxChargeKw;
  if (b.socMinKwh - b.socInitKwh > slotGainKwh + 1e-9)
    throw new InfeasibleError(
      `battery.socInitKwh ${n(b.socInitKwh)} is below battery.socMinKwh ${n(b.socMinKwh)}, and one slot of charging at battery.maxChargeKw adds at most ${n(slotGainKwh)} kWh`,
    );
  if (soft) return;
  if (b.socFinalMinKwh > b.socMaxKwh)
    throw new InfeasibleError(
      `battery.socFinalMinKwh ${n(b.socFinalMinKwh)} is above battery.socMaxKwh ${n(b.socMaxKwh)}: the final state of charge cannot be reached`,
    );
  const reachable = b.socInitKwh + s.slots * slotGainKwh;
  if (b.socFinalMinKwh > reachable + 1e-9)
    throw new InfeasibleError(
      `battery.socFinalMinKwh ${n(b.socFinalMinKwh)} cannot be reached: charging at battery.maxChargeKw in every slot gets to ${n(reachable)} kWh`,
    );
}

function checkEv(s: HomeScenario, soft: boolean): void {
  const ev = s.ev;
  if (!ev || soft) return;
  const plugged = Math.max(0, ev.toSlot - ev.fromSlot);
  const most = plugged * s.dtH * ev.maxChargeKw * ev.efficiency;
  if (ev.energyNeededKwh > most + 1e-9)
    throw new InfeasibleError(
      `ev.energyNeededKwh ${n(ev.energyNeededKwh)} cannot be delivered between ev.arrive and ev.depart: ${plugged} slot${plugged === 1 ? '' : 's'} at ev.maxChargeKw x ev.efficiency give at most ${n(most)} kWh`,
    );
}

function checkDeferrable(s: HomeScenario): void {
  s.deferrable.forEach((d, i) => {
    const room = Math.max(0, d.toSlot - d.fromSlot);
    if (room < d.slotsNeeded)
      throw new InfeasibleError(
        `deferrable[${i}] "${d.id}" needs ${d.slotsNeeded} slot${d.slotsNeeded === 1 ? '' : 's'} of ${s.stepMin} min, but only ${room} lie between its earliest and latestEnd`,
      );
  });
}

/** A slot whose load the import limit and the battery cannot cover, or whose PV cannot go anywhere. */
function checkSlots(s: HomeScenario): void {
  const b = s.battery;
  for (let t = 0; t < s.slots; t++) {
    const deficit = s.loadKw[t] - s.pvKw[t] - (b?.maxDischargeKw ?? 0);
    if (deficit > s.maxImportKw + 1e-9)
      throw new InfeasibleError(
        `grid.maxImportKw ${n(s.maxImportKw)} cannot cover slot ${t}: load minus PV minus the battery's maxDischargeKw is ${n(deficit)} kW`,
      );
    if (s.allowCurtailment) continue;
    let sinkKw = s.maxExportKw + (b?.maxChargeKw ?? 0);
    if (s.ev && t >= s.ev.fromSlot && t < s.ev.toSlot) sinkKw += s.ev.maxChargeKw;
    for (const d of s.deferrable) if (t >= d.fromSlot && t < d.toSlot) sinkKw += d.powerKw;
    const surplus = s.pvKw[t] - s.loadKw[t];
    if (surplus > sinkKw + 1e-9)
      throw new InfeasibleError(
        `allowCurtailment is false and slot ${t} has ${n(surplus)} kW of PV beyond its load, more than grid.maxExportKw, the battery, the EV and the appliances can take (${n(sinkKw)} kW)`,
      );
  }
}

/** Throws an InfeasibleError naming the first constraint that plainly cannot be met. */
export function checkFeasible(s: HomeScenario, soft: boolean): void {
  checkBattery(s, soft);
  checkEv(s, soft);
  checkDeferrable(s);
  checkSlots(s);
}
