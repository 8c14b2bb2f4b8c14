/**
 * The contract's MILP for one home as a LinearModel (variables in kW per slot, SoC in kWh at slot ends).
 * `soft` turns the EV's energy and the final SoC into targets: a shortfall column each, priced at
 * `penaltyPerKwh`, instead of hard constraints.
 */

import { type BinaryPlacement, binaryPlacement, type Formulation } from './exclusivity.ts';
import { addColumn, addRow, emptyModel, type LinearModel } from './lp.ts';
import { slotCoefficients } from './objective.ts';
import type { HomeScenario } from './scenario.ts';

export interface HomeModelOptions {
  formulation?: Formulation;
  soft?: boolean;
  /**
   * Which integrality constraints of the EV and the appliances to impose (default: all). Leaving some
   * out gives a relaxation: `optimizeHome` adds them back where its plan needs them.
   */
  integral?: { evSlot: boolean[]; deferrable: boolean[] };
}

/** Column indices of the model's variables; -1 where a variable does not exist. */
export interface HomeColumns {
  imp: number[];
  exp: number[];
  cur: number[];
  ch: number[];
  dis: number[];
  /** soc[t] is the SoC at the end of slot t */
  soc: number[];
  ev: number[];
  /** per deferrable load (scenario order), per slot */
  on: number[][];
  /** per deferrable load, the start indicators of a contiguous one (slot fromSlot + k) */
  starts: number[][];
  evShortfall: number;
  socShortfall: number;
}

export interface HomeModel {
  model: LinearModel;
  columns: HomeColumns;
  /** where the exclusivity binaries are (after dropping those that cannot matter) */
  binaries: BinaryPlacement;
  penaltyPerKwh: number;
}

/** A shortfall costs more than any kWh can be worth in the objective, so targets are met when they can be. */
export function shortfallPenalty(s: HomeScenario): number {
  let most = 1;
  for (let t = 0; t < s.slots; t++) {
    const c = slotCoefficients(s, t);
    most = Math.max(most, Math.abs(c.importPerKwh), Math.abs(c.exportPerKwh), Math.abs(c.dischargePerKwh));
  }
  return 1000 * most;
}

function deferrableKwCap(s: HomeScenario, t: number): number {
  let kw = 0;
  for (const d of s.deferrable) if (t >= d.fromSlot && t < d.toSlot) kw += d.powerKw;
  return kw;
}

function evWindow(s: HomeScenario, t: number): boolean {
  return s.ev !== undefined && t >= s.ev.fromSlot && t < s.ev.toSlot;
}

/** `x <= upper * z` with a new binary `z` (and `x >= lower * z` when given); returns z. */
function onOff(m: LinearModel, name: string, x: number, upper: number, lower = 0): number {
  const z = addColumn(m, name, { upper: 1, integer: true });
  addRow(
    m,
    `${name}_up`,
    [
      [x, 1],
      [z, -upper],
    ],
    { upper: 0 },
  );
  if (lower > 0)
    addRow(
      m,
      `${name}_lo`,
      [
        [x, 1],
        [z, -lower],
      ],
      { lower: 0 },
    );
  return z;
}

/** `a <= upperA * z` and `b <= upperB * (1 - z)` with a new binary `z`: never both in the same slot. */
function eitherOr(m: LinearModel, name: string, a: number, upperA: number, b: number, upperB: number): void {
  const z = onOff(m, name, a, upperA);
  addRow(
    m,
    `${name}_not`,
    [
      [b, 1],
      [z, upperB],
    ],
    { upper: upperB },
  );
}

/** The columns of slot t (flows, the EV's on/off) and the exclusivity binaries it needs. */
function addSlot(
  m: LinearModel,
  s: HomeScenario,
  t: number,
  h: { cols: HomeColumns; placement: BinaryPlacement; binaries: BinaryPlacement; evOnOff: boolean },
): void {
  const { cols, placement, binaries } = h;
  const dt = s.dtH;
  const b = s.battery;
  const ev = s.ev;
  const c = slotCoefficients(s, t);
  const evMaxKw = ev && evWindow(s, t) ? ev.maxChargeKw : 0;
  // Where import and export exclude each other, each is bounded by what the balance allows while the
  // other is 0: import by the most the slot can consume, export by PV plus the most the battery gives.
  // A bound of 0 fixes that flow at 0 and needs no binary.
  const exclusive = placement.importExport[t];
  const bigImp = Math.min(
    s.maxImportKw,
    s.loadKw[t] + (b?.maxChargeKw ?? 0) + evMaxKw + deferrableKwCap(s, t),
  );
  const bigExp = Math.min(s.maxExportKw, s.pvKw[t] + (b?.maxDischargeKw ?? 0));
  const upper = (exclusiveBound: number, limit: number) => (exclusive ? exclusiveBound : limit);
  const imp = addColumn(m, `imp_${t}`, { upper: upper(bigImp, s.maxImportKw), cost: dt * c.importPerKwh });
  const exp = addColumn(m, `exp_${t}`, { upper: upper(bigExp, s.maxExportKw), cost: dt * c.exportPerKwh });
  const cur = addColumn(m, `cur_${t}`, { upper: s.allowCurtailment ? s.pvKw[t] : 0 });
  const ch = b ? addColumn(m, `ch_${t}`, { upper: b.maxChargeKw }) : -1;
  const dis = b ? addColumn(m, `dis_${t}`, { upper: b.maxDischargeKw, cost: dt * c.dischargePerKwh }) : -1;
  const evKw = ev ? addColumn(m, `ev_${t}`, { upper: evMaxKw }) : -1;
  cols.imp.push(imp);
  cols.exp.push(exp);
  cols.cur.push(cur);
  cols.ch.push(ch);
  cols.dis.push(dis);
  cols.ev.push(evKw);
  // ev = 0 or minChargeKw <= ev <= maxChargeKw
  if (ev && evMaxKw > 0 && ev.minChargeKw > 0 && h.evOnOff)
    onOff(m, `evon_${t}`, evKw, evMaxKw, ev.minChargeKw);
  const needIE = exclusive && bigImp > 0 && bigExp > 0;
  binaries.importExport.push(needIE);
  if (needIE) eitherOr(m, `ie_${t}`, imp, bigImp, exp, bigExp);
  const needCD = b !== undefined && placement.chargeDischarge[t] && b.maxChargeKw > 0 && b.maxDischargeKw > 0;
  binaries.chargeDischarge.push(needCD);
  if (b && needCD) eitherOr(m, `cd_${t}`, ch, b.maxChargeKw, dis, b.maxDischargeKw);
}

/** pv - cur + imp + dis = load + ch + exp + ev + sum_j powerKw_j * on_j, per slot. */
function addBalance(m: LinearModel, s: HomeScenario, cols: HomeColumns): void {
  for (let t = 0; t < s.slots; t++) {
    const terms: [number, number][] = [
      [cols.imp[t], 1],
      [cols.exp[t], -1],
      [cols.cur[t], -1],
    ];
    if (s.battery) terms.push([cols.dis[t], 1], [cols.ch[t], -1]);
    if (s.ev) terms.push([cols.ev[t], -1]);
    s.deferrable.forEach((d, j) => {
      if (cols.on[j][t] >= 0) terms.push([cols.on[j][t], -d.powerKw]);
    });
    const rhs = s.loadKw[t] - s.pvKw[t];
    addRow(m, `bal_${t}`, terms, { lower: rhs, upper: rhs });
  }
}

/** sum_t efficiency * ev * dt >= energyNeededKwh (with `soft`: plus a priced shortfall). */
function addEvEnergy(
  m: LinearModel,
  s: HomeScenario,
  cols: HomeColumns,
  soft: boolean,
  penaltyPerKwh: number,
): void {
  const ev = s.ev;
  if (!ev) return;
  const terms: [number, number][] = cols.ev.map((j) => [j, ev.efficiency * s.dtH]);
  if (soft) {
    cols.evShortfall = addColumn(m, 'ev_short', { cost: penaltyPerKwh });
    terms.push([cols.evShortfall, 1]);
  }
  addRow(m, 'ev_energy', terms, { lower: ev.energyNeededKwh });
}

export function buildHomeModel(s: HomeScenario, options: HomeModelOptions = {}): HomeModel {
  const m = emptyModel();
  const soft = options.soft === true;
  const placement = binaryPlacement(s, options.formulation ?? 'tightened');
  const binaries: BinaryPlacement = { importExport: [], chargeDischarge: [] };
  const cols: HomeColumns = {
    ...{ imp: [], exp: [], cur: [], ch: [], dis: [], soc: [], ev: [] },
    on: s.deferrable.map(() => []),
    starts: s.deferrable.map(() => []),
    evShortfall: -1,
    socShortfall: -1,
  };
  const penaltyPerKwh = shortfallPenalty(s);
  for (let t = 0; t < s.slots; t++)
    addSlot(m, s, t, { cols, placement, binaries, evOnOff: options.integral?.evSlot[t] ?? true });
  addDeferrable(m, s, cols, options.integral?.deferrable);
  addBalance(m, s, cols);
  if (s.battery) addBattery(m, s, s.battery, cols, soft, penaltyPerKwh);
  addEvEnergy(m, s, cols, soft, penaltyPerKwh);
  return { model: m, columns: cols, binaries, penaltyPerKwh };
}

function addBattery(
  m: LinearModel,
  s: HomeScenario,
  b: NonNullable<HomeScenario['battery']>,
  cols: HomeColumns,
  soft: boolean,
  penaltyPerKwh: number,
): void {
  const dt = s.dtH;
  for (let t = 0; t < s.slots; t++) {
    const last = t === s.slots - 1;
    const lower = last && !soft ? Math.max(b.socMinKwh, b.socFinalMinKwh) : b.socMinKwh;
    cols.soc.push(addColumn(m, `soc_${t + 1}`, { lower, upper: b.socMaxKwh }));
  }
  for (let t = 0; t < s.slots; t++) {
    // soc_{t+1} = soc_t + dt * (chargeEfficiency * ch - dis / dischargeEfficiency)
    const terms: [number, number][] = [
      [cols.soc[t], 1],
      [cols.ch[t], -dt * b.chargeEfficiency],
      [cols.dis[t], dt / b.dischargeEfficiency],
    ];
    if (t > 0) terms.push([cols.soc[t - 1], -1]);
    const rhs = t === 0 ? b.socInitKwh : 0;
    addRow(m, `dyn_${t}`, terms, { lower: rhs, upper: rhs });
  }
  if (soft) {
    cols.socShortfall = addColumn(m, 'soc_short', { cost: penaltyPerKwh });
    addRow(
      m,
      'soc_final',
      [
        [cols.soc[s.slots - 1], 1],
        [cols.socShortfall, 1],
      ],
      { lower: b.socFinalMinKwh },
    );
  }
}

/** on_j per slot of its window: binaries, or (contiguous) the sum of binary start indicators. */
function addDeferrable(m: LinearModel, s: HomeScenario, cols: HomeColumns, integral?: boolean[]): void {
  s.deferrable.forEach((d, j) => {
    const integer = integral?.[j] ?? true;
    const n = d.slotsNeeded;
    const on = new Array<number>(s.slots).fill(-1);
    for (let t = d.fromSlot; t < d.toSlot; t++)
      on[t] = addColumn(m, `on_${j}_${t}`, { upper: 1, integer: integer && !d.contiguous });
    cols.on[j] = on;
    if (!d.contiguous) {
      addRow(
        m,
        `runs_${j}`,
        on.filter((c) => c >= 0).map((c) => [c, 1]),
        { lower: n, upper: n },
      );
      return;
    }
    const starts: number[] = [];
    for (let t = d.fromSlot; t + n <= d.toSlot; t++)
      starts.push(addColumn(m, `start_${j}_${t}`, { upper: 1, integer }));
    cols.starts[j] = starts;
    addRow(
      m,
      `once_${j}`,
      starts.map((c) => [c, 1]),
      { lower: 1, upper: 1 },
    );
    for (let t = d.fromSlot; t < d.toSlot; t++) {
      // on_t = sum of the starts s with s <= t < s + n
      const terms: [number, number][] = [[on[t], 1]];
      for (let k = 0; k < starts.length; k++) {
        const st = d.fromSlot + k;
        if (st <= t && t < st + n) terms.push([starts[k], -1]);
      }
      addRow(m, `link_${j}_${t}`, terms, { lower: 0, upper: 0 });
    }
  });
}
