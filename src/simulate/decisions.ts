/**
 * Where and when each load runs under a policy: one decision per load at its submit time, or, with
 * replanning, a step through time slot by slot that re-decides every pending load whenever the forecast it
 * depends on changed. Per-step work is proportional to the pending loads and to the span of their windows.
 */

import { hash32 } from '../core/random.ts';
import {
  choiceSlots,
  type Decision,
  decide,
  type PolicyName,
  type ThresholdOptions,
} from '../planner/policies.ts';
import { startOrWait } from '../planner/stopping.ts';
import { type SimGrid, slotMs } from './grid.ts';
import type { Prepared } from './placement.ts';
import type { ForecastView } from './views.ts';

export interface DecisionContext {
  grid: SimGrid;
  view: ForecastView;
  policy: PolicyName;
  threshold: ThresholdOptions;
  /** re-decide every pending load at every step (replanning; slower, same result) */
  redecideEveryStep?: boolean;
  /**
   * replanning `optimal`: before a one-piece load starts, weigh starting now against waiting on this many
   * sampled paths of the estimated part of its window (planner/stopping.ts); 0 or absent: start when planned
   */
  waitPaths?: number;
  /** how many slots of waiting a later start may learn from (planner/stopping.ts) */
  waitLookSlots?: number;
  onProgress?: (done: number, total: number) => void;
}

function decisionFor(
  ctx: DecisionContext,
  p: Prepared,
  zoneIdx: readonly number[],
  from: number,
  k: number,
): Decision {
  return {
    zones: zoneIdx.map((zi) => ctx.grid.zones[zi].view),
    from,
    to: p.to,
    k,
    interruptible: p.load.interruptible,
  };
}

/** One decision per load, at its submit time. */
export function decideAtSubmit(ctx: DecisionContext, loads: Prepared[]): void {
  const { view, onProgress } = ctx;
  const order = loads.slice().sort((a, b) => a.load.submitMs - b.load.submitMs);
  const every = Math.max(1, Math.floor(order.length / 100));
  for (let i = 0; i < order.length; i++) {
    const p = order[i];
    if (view.perDecision) {
      view.at(p.load.submitMs);
      for (const zi of p.zones) view.refresh(zi, p.from, p.to);
    }
    const choice = decide(ctx.policy, decisionFor(ctx, p, p.zones, p.from, p.k), ctx.threshold);
    p.zone = p.zones[choice.zone];
    p.slots = choiceSlots(choice, p.k);
    if (onProgress && i % every === 0) onProgress(i, order.length);
  }
  onProgress?.(order.length, order.length);
}

interface Pending {
  p: Prepared;
  need: number;
  /** zone index once an interruptible load has run a slot */
  locked: number;
  dirty: boolean;
  planZone: number;
  planStart: number;
  done: number[];
}

/**
 * Steps through the slots from the first allowed slot of any load to the last deadline. A load joins at
 * its first allowed slot (nothing can run earlier, and the forecast then knows at least what it knew at
 * submit), is re-decided whenever the forecast of a candidate zone changed within its remaining window,
 * and commits when its plan starts at the current slot.
 */
export function decideWithReplanning(ctx: DecisionContext, loads: Prepared[]): void {
  const { grid, view, onProgress } = ctx;
  const zoneCount = grid.zones.length;
  const byFrom = loads.slice().sort((a, b) => a.from - b.from || a.load.submitMs - b.load.submitMs);
  let active: Pending[] = [];
  let next = 0;
  const lastTo = loads.reduce((m, p) => Math.max(m, p.to), 0);
  const firstFrom = byFrom.length ? byFrom[0].from : 0;
  const total = Math.max(1, lastTo - firstFrom);
  const every = Math.max(1, Math.floor(total / 100));
  const needTo = new Int32Array(zoneCount);
  const fresh = new Uint8Array(zoneCount);
  const changedLo = new Int32Array(zoneCount);
  const changedHi = new Int32Array(zoneCount);
  let j = firstFrom;
  while (next < byFrom.length || active.length > 0) {
    if (active.length === 0 && byFrom[next].from > j) j = byFrom[next].from;
    view.at(slotMs(grid, j));
    while (next < byFrom.length && byFrom[next].from <= j) {
      const p = byFrom[next++];
      active.push({ p, need: p.k, locked: -1, dirty: true, planZone: p.zones[0], planStart: j, done: [] });
    }
    // how far each zone's view is needed, and what changed in it
    needTo.fill(0);
    for (const a of active) {
      if (a.locked >= 0) needTo[a.locked] = Math.max(needTo[a.locked], a.p.to);
      else for (const zi of a.p.zones) needTo[zi] = Math.max(needTo[zi], a.p.to);
    }
    for (let zi = 0; zi < zoneCount; zi++) {
      fresh[zi] = 0;
      const c = view.changed(zi, j);
      changedLo[zi] = c.lo;
      changedHi[zi] = c.hi;
    }
    let finished = 0;
    for (const a of active) {
      redecideIfChanged(ctx, a, j, { needTo, fresh, changedLo, changedHi });
      if (a.planStart === j && waitsForBetter(ctx, a, j)) {
        a.planStart = -1;
        a.dirty = true;
      }
      if (commitSlot(a, j)) finished++;
    }
    if (finished > 0) active = active.filter((a) => a.need > 0);
    if (onProgress && (j - firstFrom) % every === 0) onProgress(j - firstFrom, total);
    j++;
  }
  onProgress?.(total, total);
}

interface StepState {
  needTo: Int32Array;
  fresh: Uint8Array;
  changedLo: Int32Array;
  changedHi: Int32Array;
}

const single: number[] = [0];

/** Re-decides a pending load when its forecast changed within its remaining window (or always, when asked). */
function redecideIfChanged(ctx: DecisionContext, a: Pending, j: number, step: StepState): void {
  const p = a.p;
  let cands: readonly number[] = p.zones;
  if (a.locked >= 0) {
    single[0] = a.locked;
    cands = single;
  }
  let redecide = a.dirty || ctx.policy === 'threshold' || ctx.redecideEveryStep === true;
  if (!redecide)
    for (const zi of cands)
      if (step.changedLo[zi] < p.to && step.changedHi[zi] > j && step.changedHi[zi] > step.changedLo[zi])
        redecide = true;
  if (!redecide) return;
  for (const zi of cands) {
    if (!step.fresh[zi]) {
      ctx.view.refresh(zi, j, step.needTo[zi]);
      step.fresh[zi] = 1;
    }
  }
  const choice = decide(ctx.policy, decisionFor(ctx, p, cands, j, a.need), ctx.threshold);
  a.planZone = cands[choice.zone];
  a.planStart = choice.start;
  a.dirty = false;
}

/** Whether a one-piece load planned to start at `j` should wait instead (see planner/stopping.ts). */
function waitsForBetter(ctx: DecisionContext, a: Pending, j: number): boolean {
  const p = a.p;
  const count = ctx.waitPaths ?? 0;
  if (count <= 0 || p.load.interruptible || p.to - j <= a.need) return false;
  // seeded by load and slot: a run repeats exactly, and loads do not share their draws
  const seed = hash32(`${p.load.id}:${j}`);
  const errors = ctx.view.errorPaths(a.planZone, p.to, count, seed);
  if (!errors) return false;
  return startOrWait({
    expected: ctx.grid.zones[a.planZone].scores,
    from: j,
    to: p.to,
    k: a.need,
    uncertainFrom: errors.from,
    paths: errors.paths,
    lookSlots: ctx.waitLookSlots ?? 0,
  }).wait;
}

/**
 * Runs slot `j` of a pending load when its plan starts there, or when the remaining slots are all needed to
 * meet the deadline. True when the load is then done.
 */
function commitSlot(a: Pending, j: number): boolean {
  const p = a.p;
  if (!(a.planStart === j || p.to - j <= a.need)) return false;
  if (!p.load.interruptible) {
    for (let s = j; s < j + p.k; s++) a.done.push(s);
    a.need = 0;
  } else {
    a.done.push(j);
    a.need--;
    a.locked = a.planZone;
    a.dirty = true;
  }
  p.zone = a.planZone;
  if (a.need > 0) return false;
  p.slots = a.done;
  return true;
}
