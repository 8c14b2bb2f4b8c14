/**
 * Loads on the simulator's grid (docs/simulate.md): `k = ceil(durationMin / step)` slots, allowed from the
 * first boundary at or after the earliest start (and the submit time: a load cannot start before it is
 * known) to the last boundary at or before the deadline; the baseline `k` slots from the first boundary at or
 * after the baseline start, in the home zone.
 */
import { InputError } from '../core/errors.ts';
import { ceilToStep, floorToStep, toIso } from '../core/time.ts';
import { type SimGrid, slotMs } from './grid.ts';
import type { WorkloadLoad } from './workload.ts';

/** A load placed on the grid. */
export interface Prepared {
  load: WorkloadLoad;
  /** zone indices, home first */
  zones: number[];
  k: number;
  /** allowed slots [from, to) */
  from: number;
  to: number;
  baseStart: number;
  /** fewer allowed slots than needed: runs at its baseline */
  noRoom: boolean;
  /** chosen zone and slots: the baseline until a policy decides */
  zone: number;
  slots: ArrayLike<number>;
}

export function placeLoads(loads: readonly WorkloadLoad[], g: SimGrid): Prepared[] {
  return loads.map((load) => placeLoad(load, g));
}

function placeLoad(load: WorkloadLoad, g: SimGrid): Prepared {
  const { zones, stepMin, stepMs, startMs, n, withPrices } = g;
  const names = zones.map((z) => z.name);
  const at = `${load.source}: load "${load.id}"`;
  const zi = load.zones.map((z) => {
    const i = g.zoneIndex.get(z);
    if (i === undefined)
      throw new InputError(`${at}: zone "${z}" has no --carbon series (zones: ${names.join(', ')})`);
    if (withPrices && !zones[i].price)
      throw new InputError(
        `${at}: zone "${z}" has no --prices series (prices were given, so every zone a load uses needs one)`,
      );
    return i;
  });
  const k = Math.ceil(load.durationMin / stepMin - 1e-9);
  // a load cannot start before it is known
  const firstMs = Math.max(ceilToStep(load.earliestMs, stepMin), ceilToStep(load.submitMs, stepMin));
  const from = Math.max(0, Math.round((firstMs - startMs) / stepMs));
  const to = Math.min(n, Math.round((floorToStep(load.deadlineMs, stepMin) - startMs) / stepMs));
  const baseStart = Math.round((ceilToStep(load.baselineStartMs, stepMin) - startMs) / stepMs);
  const home = zones[zi[0]];
  for (let s = baseStart; s < baseStart + k; s++) {
    if (s < 0 || s >= n || !home.usable[s])
      throw new InputError(
        `${at}: its baseline (${k} slot${k > 1 ? 's' : ''} from ${toIso(slotMs(g, baseStart))}) is not covered by the ${withPrices && s >= 0 && s < n && Number.isFinite(home.carbon[s]) ? 'price' : 'carbon'} series of zone ${home.name} (no value at ${toIso(slotMs(g, s))})`,
      );
  }
  return {
    load,
    zones: zi,
    k,
    from,
    to,
    baseStart,
    noRoom: to - from < k,
    zone: zi[0],
    slots: range(baseStart, k),
  };
}

function range(start: number, k: number): Int32Array {
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = start + i;
  return out;
}
