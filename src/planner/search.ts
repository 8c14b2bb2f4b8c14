import {
  bestContiguous,
  bestContiguousUnderCap,
  bestInterruptible,
  bestInterruptibleUnderCap,
  lowestSlots,
  type PieceOptions,
  type Prefix,
} from './windows.ts';

/**
 * The planner's search: where a load of `k` slots goes across its candidate zones, the best contiguous
 * window or the best slots of an interruptible load, within the allowed slots and under a carbon cap.
 * `planLoad` runs it for every load it plans, and the simulator's `optimal` policy for every decision it
 * replays; it allocates nothing but the chosen slots of an interruptible load, so the simulator's speed
 * holds. Pure.
 */

/** One candidate zone as the search sees it, on the planning grid. */
export interface SearchZone {
  /** per-slot scores to minimise; NaN = unknown or unusable */
  scores: ArrayLike<number>;
  /** prefix sums of `scores` */
  prefix: Prefix;
  /** carbon intensity per slot (g/kWh): needed only under a cap */
  carbon?: ArrayLike<number>;
  /** prefix sums of `carbon`: needed only under a cap on a contiguous load */
  carbonPrefix?: () => Prefix;
}

export interface SearchShape {
  /** slots the load needs */
  k: number;
  /** the allowed slots [from, to) of zone `i`, on its grid */
  range(i: number): { from: number; to: number };
  /** an interruptible load's piece rules; absent for one contiguous run */
  pieces?: PieceOptions;
  /** the carbon cap as a sum of slot intensities */
  capSum?: number;
}

/** A choice in one zone: `k` slots from `start`, or the given slots (time order) of an interruptible load. */
export interface ZoneChoice {
  /** index into the zones searched */
  zone: number;
  start: number;
  slots?: Int32Array;
  total: number;
}

/** Float noise: a later zone must be lower by more than this to win. */
export function tolerance(x: number): number {
  return 1e-10 * Math.max(1, Math.abs(x));
}

/** Whether piece rules can bind: without them the `k` lowest slots are the answer. */
const bindingPieces = (p: PieceOptions, k: number) =>
  (p.minPieceSlots ?? 1) > 1 || (p.maxPieces ?? Number.POSITIVE_INFINITY) < k;

/** The best choice in one zone, or null when no complete choice with values fits. */
export function bestInZone(z: SearchZone, i: number, shape: SearchShape): ZoneChoice | null {
  const { k, pieces, capSum } = shape;
  const { from, to } = shape.range(i);
  if (pieces) {
    const found =
      capSum !== undefined
        ? bestInterruptibleUnderCap(z.scores, z.carbon ?? [], from, to, k, capSum, pieces)
        : bindingPieces(pieces, k)
          ? bestInterruptible(z.scores, from, to, k, pieces)
          : lowestSlots(z.scores, from, to, k);
    return found ? { zone: i, start: found.slots[0], slots: found.slots, total: found.total } : null;
  }
  const found =
    capSum !== undefined && z.carbonPrefix
      ? bestContiguousUnderCap(z.prefix, z.carbonPrefix(), from, to, k, capSum)
      : bestContiguous(z.prefix, from, to, k);
  return found ? { zone: i, start: found.start, total: found.total } : null;
}

/**
 * The best choice across the zones (ties keep the earlier zone: the home zone first), or null. Each zone's
 * own best goes to `onZoneBest` when given (the planner's alternatives).
 */
export function searchZones(
  zones: readonly SearchZone[],
  shape: SearchShape,
  onZoneBest?: (choice: ZoneChoice) => void,
): ZoneChoice | null {
  let best: ZoneChoice | null = null;
  for (let i = 0; i < zones.length; i++) {
    const c = bestInZone(zones[i], i, shape);
    if (!c) continue;
    onZoneBest?.(c);
    if (!best || c.total < best.total - tolerance(best.total)) best = c;
  }
  return best;
}
