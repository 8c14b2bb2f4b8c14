/**
 * `optimizeHome`: a checked scenario in, the contract's plan out (../shared/contracts/home-optimize.md).
 * Pure apart from the solver it is given: checks feasibility, builds the MILP, solves it with HiGHS,
 * makes the plan obey both exclusivities where the tightened model has no binary, and reports it
 * against the baseline.
 */
import { MINUTE_MS, toIso } from '../core/time.ts';
import { type BaselineSlot, baseline } from './baseline.ts';
import { InfeasibleError } from './errors.ts';
import { type Formulation, netCharging, netImportExport, type SlotFlows } from './exclusivity.ts';
import { checkFeasible } from './feasibility.ts';
import { buildHomeModel, type HomeColumns } from './home-model.ts';
import { flowTotals } from './objective.ts';
import type { HomeObjective, HomeScenario } from './scenario.ts';
import { type Solver, type SolveStatus, solveModel } from './solve.ts';

/** One slot of the plan: the baseline's flows (kW) and state of charge, its start, and the appliances' runs. */
export interface HomeSlot extends BaselineSlot {
  start: string;
  /** 1 when the load runs in the slot, else 0 */
  deferrable: Record<string, number>;
}

export interface HomePlan {
  status: Exclude<SolveStatus, 'infeasible' | 'unbounded' | 'not_solved'>;
  objective: HomeObjective;
  objectiveValue: number;
  totals: {
    importKwh: number;
    exportKwh: number;
    cost?: number;
    emissionsG?: number;
    dischargeKwh: number;
    curtailedKwh: number;
  };
  baseline: {
    objectiveValue: number;
    importKwh: number;
    exportKwh: number;
    cost?: number;
    emissionsG?: number;
    finalSocKwh: number;
  };
  savings: { cost?: number; costPct?: number; emissionsG?: number; emissionsPct?: number };
  /** with --soft: what the plan misses of each target, kWh (0 when met) */
  shortfalls?: { evKwh: number; finalSocKwh: number };
  slots: HomeSlot[];
  /** relative MIP gap HiGHS proved (at most 1e-6 when optimal) */
  mipGap: number;
}

export interface OptimizeOptions {
  /** `full`: every binary in every slot, imposed at once (for checking); default `tightened` */
  formulation?: Formulation;
  soft?: boolean;
  timeLimitS?: number;
  /**
   * Tightened only (default true): solve first without the EV's on/off binaries and with the appliances'
   * start indicators continuous, then impose them where that plan breaks them, and solve again. Each
   * round solves a relaxation of the full model, so the first plan that breaks none is optimal for it.
   */
  lazyIntegrality?: boolean;
}

/** Solver noise below this (kW) is taken as zero. */
const ZERO_KW = 1e-9;

function valuesOf(x: Float64Array, cols: number[]): number[] {
  return cols.map((j) => (j < 0 ? 0 : x[j] < ZERO_KW ? 0 : x[j]));
}

function flowsOf(x: Float64Array, c: HomeColumns): SlotFlows {
  return {
    importKw: valuesOf(x, c.imp),
    exportKw: valuesOf(x, c.exp),
    chargeKw: valuesOf(x, c.ch),
    dischargeKw: valuesOf(x, c.dis),
    curtailKw: valuesOf(x, c.cur),
  };
}

/** SoC at the end of each slot, from the flows (so it agrees with them exactly). */
function socPath(s: HomeScenario, f: SlotFlows): number[] {
  const b = s.battery;
  if (!b) return new Array(s.slots).fill(0);
  let soc = b.socInitKwh;
  return f.chargeKw.map((ch, t) => {
    soc += s.dtH * (b.chargeEfficiency * ch - f.dischargeKw[t] / b.dischargeEfficiency);
    return soc;
  });
}

function pct(saved: number, of: number): number {
  return of === 0 ? 0 : (100 * saved) / Math.abs(of);
}

export function optimizeHome(s: HomeScenario, solver: Solver, options: OptimizeOptions = {}): HomePlan {
  const soft = options.soft === true;
  checkFeasible(s, soft);
  const { built, solved } = solveHome(s, solver, options);
  const c = built.columns;
  const f = flowsOf(solved.values, c);
  netImportExport(f);
  netCharging(s, f, built.binaries.chargeDischarge);
  const evKw = valuesOf(solved.values, c.ev);
  const soc = socPath(s, f);
  const stepMs = s.stepMin * MINUTE_MS;
  const slots: HomeSlot[] = f.importKw.map((_, t) => ({
    start: toIso(s.startMs + t * stepMs),
    importKw: f.importKw[t],
    exportKw: f.exportKw[t],
    chargeKw: f.chargeKw[t],
    dischargeKw: f.dischargeKw[t],
    curtailKw: f.curtailKw[t],
    evKw: evKw[t],
    socKwh: soc[t],
    deferrable: Object.fromEntries(
      s.deferrable.map((d, j) => [d.id, c.on[j][t] >= 0 && solved.values[c.on[j][t]] > 0.5 ? 1 : 0]),
    ),
  }));
  const totals = flowTotals(s, f);
  const base = baseline(s);
  const savings: HomePlan['savings'] = {};
  if (totals.cost !== undefined && base.cost !== undefined) {
    savings.cost = base.cost - totals.cost;
    savings.costPct = pct(savings.cost, base.cost);
  }
  if (totals.emissionsG !== undefined && base.emissionsG !== undefined) {
    savings.emissionsG = base.emissionsG - totals.emissionsG;
    savings.emissionsPct = pct(savings.emissionsG, base.emissionsG);
  }
  const plan: HomePlan = {
    status: solved.status === 'optimal' ? 'optimal' : 'time_limit',
    objective: s.objective,
    objectiveValue: totals.objectiveValue,
    totals: {
      importKwh: totals.importKwh,
      exportKwh: totals.exportKwh,
      ...(totals.cost !== undefined ? { cost: totals.cost } : {}),
      ...(totals.emissionsG !== undefined ? { emissionsG: totals.emissionsG } : {}),
      dischargeKwh: totals.dischargeKwh,
      curtailedKwh: f.curtailKw.reduce((a, x) => a + x * s.dtH, 0),
    },
    baseline: {
      objectiveValue: base.objectiveValue,
      importKwh: base.importKwh,
      exportKwh: base.exportKwh,
      ...(base.cost !== undefined ? { cost: base.cost } : {}),
      ...(base.emissionsG !== undefined ? { emissionsG: base.emissionsG } : {}),
      finalSocKwh: base.finalSocKwh,
    },
    savings,
    slots,
    mipGap: solved.mipGap,
  };
  if (soft) plan.shortfalls = shortfalls(s, evKw, soc);
  return plan;
}

const NO_PLAN = 'no plan meets every constraint at once (HiGHS proved the model infeasible)';

/**
 * Why HiGHS found no plan, as far as the goals tell: the same scenario with soft goals says which goal
 * falls short, and by how much, once every limit is met.
 */
function infeasibleReason(s: HomeScenario, solver: Solver, options: OptimizeOptions): string {
  const generic = `${NO_PLAN}: check the grid limits, the battery limits and the windows of the EV and the appliances together`;
  if (options.soft) return generic;
  let short: HomePlan['shortfalls'];
  try {
    short = optimizeHome(s, solver, { ...options, soft: true }).shortfalls;
  } catch (err) {
    if (err instanceof InfeasibleError) return generic;
    throw err;
  }
  const n = (x: number) => Math.round(x * 1000) / 1000;
  const evShort = s.ev && short ? short.evKwh : 0;
  const socShort = s.battery && short ? short.finalSocKwh : 0;
  const soft = '(--soft plans with the shortfall)';
  if (s.ev && s.battery && evShort > 0 && socShort > 0)
    return `${NO_PLAN}: ev.energyNeededKwh and battery.socFinalMinKwh cannot both be met within the other limits: the best plan with soft goals misses ${n(evShort)} kWh and ${n(socShort)} kWh ${soft}`;
  if (s.ev && evShort > 0)
    return `${NO_PLAN}: ev.energyNeededKwh ${s.ev.energyNeededKwh} cannot be met within the other limits: at most ${n(s.ev.energyNeededKwh - evShort)} kWh reach the car ${soft}`;
  if (s.battery && socShort > 0)
    return `${NO_PLAN}: battery.socFinalMinKwh ${s.battery.socFinalMinKwh} cannot be met within the other limits: the battery ends at ${n(s.battery.socFinalMinKwh - socShort)} kWh at most ${soft}`;
  return generic;
}

/**
 * Rounds of relaxations before every integrality constraint is imposed at once: the LP, then one round
 * with what it broke. More rounds were slower on a 4-day plan (each is a MILP of its own).
 */
const LAZY_ROUNDS = 2;
const FRACTION = 1e-6;

function solveHome(s: HomeScenario, solver: Solver, options: OptimizeOptions) {
  const build = (integral: Integrality) =>
    buildHomeModel(s, { formulation: options.formulation, soft: options.soft === true, integral });
  const all = (value: boolean): Integrality => ({
    evSlot: new Array<boolean>(s.slots).fill(value),
    deferrable: new Array<boolean>(s.deferrable.length).fill(value),
  });
  let integral = all(true);
  let built = build(integral);
  if (options.formulation !== 'full' && options.lazyIntegrality !== false) {
    const relaxed = build(all(false));
    // the relaxation pays only when it is a plain LP (a few ms); with exclusivity binaries left in,
    // HiGHS measured faster with every integrality constraint at once
    if (!relaxed.model.columns.some((c) => c.integer)) {
      integral = all(false);
      built = relaxed;
    }
  }
  for (let round = 1; ; round++) {
    const solved = solveModel(solver, built.model, { timeLimitS: options.timeLimitS });
    if (solved.status === 'infeasible' || solved.status === 'unbounded')
      throw new InfeasibleError(infeasibleReason(s, solver, options));
    if (solved.values.length === 0) throw new Error(`HiGHS stopped without a plan (status ${solved.status})`);
    if (solved.status !== 'optimal' || !imposeBroken(s, built.columns, solved.values, integral))
      return { built, solved };
    if (round >= LAZY_ROUNDS) integral = all(true);
    built = build(integral);
  }
}

type Integrality = { evSlot: boolean[]; deferrable: boolean[] };

/** Marks the integrality constraints the relaxed plan `x` breaks; true when there were any. */
function imposeBroken(s: HomeScenario, c: HomeColumns, x: Float64Array, integral: Integrality): boolean {
  let broken = false;
  const ev = s.ev;
  if (ev && ev.minChargeKw > 0) {
    const below = (j: number) => j >= 0 && x[j] > ZERO_KW && x[j] < ev.minChargeKw - ZERO_KW;
    // a slot below the minimum power: impose on/off there and in every slot charged at part power,
    // where the next plan would otherwise move the fraction
    if (c.ev.some((j, t) => !integral.evSlot[t] && below(j)))
      c.ev.forEach((j, t) => {
        if (!integral.evSlot[t] && j >= 0 && x[j] > ZERO_KW && x[j] < ev.maxChargeKw - ZERO_KW) {
          integral.evSlot[t] = true;
          broken = true;
        }
      });
  }
  s.deferrable.forEach((_, j) => {
    if (integral.deferrable[j]) return;
    const fractional = [...c.on[j], ...c.starts[j]].some(
      (k) => k >= 0 && Math.min(x[k], 1 - x[k]) > FRACTION,
    );
    if (fractional) {
      integral.deferrable[j] = true;
      broken = true;
    }
  });
  return broken;
}

function shortfalls(s: HomeScenario, evKw: number[], soc: number[]): { evKwh: number; finalSocKwh: number } {
  const delivered = evKw.reduce((a, kw) => a + kw * s.dtH * (s.ev?.efficiency ?? 1), 0);
  const evKwh = s.ev ? Math.max(0, s.ev.energyNeededKwh - delivered) : 0;
  const finalSocKwh = s.battery ? Math.max(0, s.battery.socFinalMinKwh - soc[soc.length - 1]) : 0;
  const tidy = (x: number) => (x < 1e-6 ? 0 : x);
  return { evKwh: tidy(evKwh), finalSocKwh: tidy(finalSocKwh) };
}
