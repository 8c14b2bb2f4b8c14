/**
 * Checks a returned plan against every constraint of the contract, slot by slot, from the scenario
 * alone (not from the model): the balance, bounds, both exclusivities, the SoC dynamics and limits, the
 * final SoC, the EV's window, minimum power and energy, and each deferrable load's window, count and
 * contiguity. Returns the violations found (empty when the plan is valid).
 */
import type { HomePlan } from '../../src/optimize/home.ts';
import type { HomeScenario } from '../../src/optimize/scenario.ts';

const TOL = 1e-6;

export function planViolations(s: HomeScenario, plan: HomePlan, options: { soft?: boolean } = {}): string[] {
  const out: string[] = [];
  const bad = (cond: boolean, what: string) => {
    if (cond) out.push(what);
  };
  const b = s.battery;
  const ev = s.ev;
  let soc = b?.socInitKwh ?? 0;
  let evKwh = 0;
  bad(plan.slots.length !== s.slots, `slots: ${plan.slots.length} != ${s.slots}`);
  plan.slots.forEach((p, t) => {
    let deferrableKw = 0;
    for (const d of s.deferrable) deferrableKw += d.powerKw * (p.deferrable[d.id] ?? 0);
    const supply = s.pvKw[t] - p.curtailKw + p.importKw + p.dischargeKw;
    const demand = s.loadKw[t] + p.chargeKw + p.exportKw + p.evKw + deferrableKw;
    bad(Math.abs(supply - demand) > TOL, `slot ${t}: balance ${supply} != ${demand}`);
    bad(
      p.curtailKw < 0 || p.curtailKw > (s.allowCurtailment ? s.pvKw[t] : 0) + TOL,
      `slot ${t}: curtail ${p.curtailKw}`,
    );
    bad(p.importKw < 0 || p.importKw > s.maxImportKw + TOL, `slot ${t}: import ${p.importKw}`);
    bad(p.exportKw < 0 || p.exportKw > s.maxExportKw + TOL, `slot ${t}: export ${p.exportKw}`);
    bad(p.importKw > 0 && p.exportKw > 0, `slot ${t}: imports ${p.importKw} and exports ${p.exportKw}`);
    bad(
      p.chargeKw > 0 && p.dischargeKw > 0,
      `slot ${t}: charges ${p.chargeKw} and discharges ${p.dischargeKw}`,
    );
    if (b) {
      bad(p.chargeKw < 0 || p.chargeKw > b.maxChargeKw + TOL, `slot ${t}: charge ${p.chargeKw}`);
      bad(
        p.dischargeKw < 0 || p.dischargeKw > b.maxDischargeKw + TOL,
        `slot ${t}: discharge ${p.dischargeKw}`,
      );
      soc += s.dtH * (b.chargeEfficiency * p.chargeKw - p.dischargeKw / b.dischargeEfficiency);
      bad(Math.abs(soc - p.socKwh) > TOL, `slot ${t}: socKwh ${p.socKwh} != ${soc}`);
      bad(soc < b.socMinKwh - TOL || soc > b.socMaxKwh + TOL, `slot ${t}: soc ${soc} outside limits`);
    } else bad(p.chargeKw !== 0 || p.dischargeKw !== 0, `slot ${t}: battery flows without a battery`);
    const plugged = ev !== undefined && t >= ev.fromSlot && t < ev.toSlot;
    if (!plugged) bad(p.evKw !== 0, `slot ${t}: EV charges ${p.evKw} outside its window`);
    else if (p.evKw > 0)
      bad(p.evKw < ev.minChargeKw - TOL || p.evKw > ev.maxChargeKw + TOL, `slot ${t}: EV power ${p.evKw}`);
    evKwh += (ev?.efficiency ?? 1) * p.evKw * s.dtH;
  });
  if (b && !options.soft) bad(soc < b.socFinalMinKwh - TOL, `final soc ${soc} < ${b.socFinalMinKwh}`);
  if (ev && !options.soft) bad(evKwh < ev.energyNeededKwh - TOL, `EV gets ${evKwh} < ${ev.energyNeededKwh}`);
  for (const d of s.deferrable) {
    const on = plan.slots.map((p) => p.deferrable[d.id]);
    const runs = on.map((x, t) => (x === 1 ? t : -1)).filter((t) => t >= 0);
    bad(
      on.some((x) => x !== 0 && x !== 1),
      `${d.id}: on is not 0/1`,
    );
    bad(runs.length !== d.slotsNeeded, `${d.id}: runs ${runs.length} slots, needs ${d.slotsNeeded}`);
    bad(
      runs.some((t) => t < d.fromSlot || t >= d.toSlot),
      `${d.id}: runs outside its window`,
    );
    if (d.contiguous && runs.length > 0)
      bad(runs[runs.length - 1] - runs[0] !== runs.length - 1, `${d.id}: not contiguous`);
  }
  return out;
}
