/**
 * What a replayed MPC is measured against, on the actual series of the period: the contract's baseline rule
 * (the home without gridshift) and the perfect-foresight optimum. Both run over day blocks, each a scenario
 * built by `homeStep` from the actual series, the SoC and what has happened carried from block to block:
 * one scenario holds one car session, so a block holds one day. Blocks start at a time of day inside no
 * window of the car or the appliances when there is one, so that no window is split. Pure apart from the
 * solver.
 */
import type { HomeConfig } from '../core/home-config.ts';
import { zonedTimeToMs } from '../core/human-time.ts';
import { MINUTE_MS, zonedParts } from '../core/time.ts';
import { baseline } from '../optimize/baseline.ts';
import { optimizeHome } from '../optimize/home.ts';
import { type HomeStep, homeStep } from '../optimize/home-horizon.ts';
import { type HomeScenario, parseScenario } from '../optimize/scenario.ts';
import type { Solver } from '../optimize/solve.ts';
import { createLedger, type HomeActuals, type HomeTotals, type SlotOutcome } from './home-ledger.ts';

const minutesOf = (clock: string): number => {
  const [h, m] = clock.split(':').map(Number);
  return h * 60 + m;
};

/** Strictly inside the daily window from-to (wrapping past midnight when to <= from). */
function inside(minute: number, from: string, to: string): boolean {
  const f = minutesOf(from);
  const e = minutesOf(to);
  return e > f ? minute > f && minute < e : minute > f || minute < e;
}

export interface BlockBoundary {
  /** the local time of day the blocks start at, HH:MM */
  clock: string;
  /** false when every time of day is inside some window: blocks then split a window each day */
  quiet: boolean;
}

/** Midnight if no window holds it, else the car's departure, else the first quiet slot boundary of the day. */
export function blockBoundary(home: HomeConfig): BlockBoundary {
  const windows: [string, string][] = [
    ...(home.ev ? [[home.ev.arrive, home.ev.depart] as [string, string]] : []),
    ...home.appliances.map((a) => [a.earliest, a.latestEnd] as [string, string]),
  ];
  const quiet = (m: number) => windows.every(([f, t]) => !inside(m, f, t));
  const clock = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const candidates = [0, ...(home.ev ? [minutesOf(home.ev.depart)] : [])];
  for (let m = 0; m < 24 * 60; m += home.stepMin) candidates.push(m);
  const found = candidates.find(quiet);
  return found === undefined
    ? { clock: clock(candidates[0]), quiet: false }
    : { clock: clock(found), quiet: true };
}

/** Slot indices where blocks start: 0, then each local day at the boundary's clock time. */
export function blockStarts(home: HomeConfig, a: HomeActuals, boundary: BlockBoundary): number[] {
  const stepMs = a.stepMin * MINUTE_MS;
  const endMs = a.startMs + a.slots * stepMs;
  const [hour, minute] = boundary.clock.split(':').map(Number);
  const starts = [0];
  const p = zonedParts(a.startMs, home.timeZone);
  for (let day = 0; ; day++) {
    const ms = zonedTimeToMs({ year: p.year, month: p.month, day: p.day + day, hour, minute }, home.timeZone);
    if (ms >= endMs) break;
    const t = Math.round((ms - a.startMs) / stepMs);
    if (t > starts[starts.length - 1]) starts.push(t);
  }
  return starts;
}

/** The scenario of block [from, to) on the actual series. */
function blockStep(
  home: HomeConfig,
  a: HomeActuals,
  from: number,
  to: number,
  state: ReturnType<ReturnType<typeof createLedger>['state']>,
): HomeStep {
  const sub = (v: Float64Array) => v.subarray(from, to);
  return homeStep(
    { ...home, horizonHours: ((to - from) * a.stepMin) / 60 },
    a.startMs + from * a.stepMin * MINUTE_MS,
    {
      loadKw: sub(a.loadKw),
      pvKw: sub(a.pvKw),
      importPrice: sub(a.importPrice),
      ...(a.carbon ? { carbon: sub(a.carbon) } : {}),
    },
    state,
  );
}

/** Which appliances a block's plan or rule runs in its slot k. */
function appliancesIn(
  step: HomeStep,
  s: HomeScenario,
  k: number,
  on: (id: string, j: number) => boolean,
): string[] {
  const ids: string[] = [];
  for (const run of step.appliances) {
    const j = s.deferrable.findIndex((d) => d.id === run.scenarioId);
    if ((run.committedSlots ?? 0) > k || (j >= 0 && on(run.scenarioId, j))) ids.push(run.applianceId);
  }
  return ids;
}

export interface ReferenceResult {
  totals: HomeTotals;
  blocks: number;
  /** perfect foresight: the largest relative MIP gap of a block's solve (0 = every block proven optimal) */
  mipGap: number;
}

/** The baseline rule over the period, block by block (the rule is slot by slot, so blocks change nothing). */
export function replayBaseline(
  home: HomeConfig,
  a: HomeActuals,
  boundary = blockBoundary(home),
): ReferenceResult {
  const ledger = createLedger(home, a);
  const starts = blockStarts(home, a, boundary);
  starts.forEach((from, i) => {
    const to = starts[i + 1] ?? a.slots;
    const step = blockStep(home, a, from, to, ledger.state(from));
    const s = parseScenario(step.scenario);
    const base = baseline(s);
    base.slots.forEach((slot, k) => {
      const on = (_: string, j: number) => {
        const d = s.deferrable[j];
        return k >= d.fromSlot && k < d.fromSlot + d.slotsNeeded && k < d.toSlot;
      };
      ledger.record(from + k, { ...slot, appliancesOn: appliancesIn(step, s, k, on) } satisfies SlotOutcome);
    });
  });
  return { totals: ledger.totals(), blocks: starts.length, mipGap: 0 };
}

/**
 * The exact optimum of each day block with every series known; a block may end at any SoC (what is left
 * is the next block's start). Its savings are a lower bound on those of the optimum over the whole period,
 * which may also carry energy from one day into the next on purpose.
 */
export function replayPerfect(
  home: HomeConfig,
  a: HomeActuals,
  solver: Solver,
  boundary = blockBoundary(home),
): ReferenceResult {
  const ledger = createLedger(home, a);
  const starts = blockStarts(home, a, boundary);
  const free = home.battery
    ? { ...home, battery: { ...home.battery, finalSocKwh: home.battery.socMinKwh } }
    : home;
  let mipGap = 0;
  starts.forEach((from, i) => {
    const to = starts[i + 1] ?? a.slots;
    const step = blockStep(free, a, from, to, ledger.state(from));
    const s = parseScenario(step.scenario);
    const plan = optimizeHome(s, solver, { soft: true });
    mipGap = Math.max(mipGap, plan.mipGap);
    plan.slots.forEach((slot, k) => {
      const on = (id: string) => slot.deferrable[id] === 1;
      ledger.record(from + k, { ...slot, appliancesOn: appliancesIn(step, s, k, on) });
    });
  });
  return { totals: ledger.totals(), blocks: starts.length, mipGap };
}
