/**
 * Puts a grid series (prices, carbon) onto another period's slots, as is or shifted by whole years of
 * 52 weeks. A price year and a household year rarely coincide; shifting by 364 days keeps each weekday a
 * weekday and each season its season (the date moves by a day or two per year shifted). Pure.
 */
import { InputError } from '../core/errors.ts';
import type { Grid } from '../core/series.ts';
import { DAY_MS, MINUTE_MS, toIso } from '../core/time.ts';

/** 52 weeks: the whole-week shift closest to a year. */
export const YEAR_OF_WEEKS_MS = 364 * DAY_MS;
/** the most years of 52 weeks a value is looked for away from its slot */
const MAX_YEARS = 10;

/** Consecutive slots that took their values from the same shift. */
export interface AlignedSpan {
  from: string;
  to: string;
  /** how many weeks later the values are used than the series says (52 = a year later); 0 = as is */
  shiftWeeks: number;
}

export interface Aligned {
  values: Float64Array;
  spans: AlignedSpan[];
}

export interface AlignTarget {
  startMs: number;
  stepMin: number;
  slots: number;
}

/** Shifts tried, in order: as is, then one year of 52 weeks either way, then two, ... */
function shiftsInOrder(allowShift: boolean): number[] {
  if (!allowShift) return [0];
  const out = [0];
  for (let n = 1; n <= MAX_YEARS; n++) out.push(n, -n);
  return out;
}

function coverage(source: Grid): string {
  let first = -1;
  let last = -1;
  source.values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (first < 0) first = i;
    last = i;
  });
  if (first < 0) return 'no values';
  const stepMs = source.stepMin * MINUTE_MS;
  return `values from ${toIso(source.startMs + first * stepMs)} to ${toIso(source.startMs + (last + 1) * stepMs)}`;
}

/**
 * Each slot of `target` takes the value of `source` (already on the target's step) at its own time, or, with
 * `allowShift`, at the nearest whole number of 52-week years away where `source` has one (the unshifted
 * value first). `what` names the file and `hint` the flag for errors.
 */
export function alignSeries(
  source: Grid,
  target: AlignTarget,
  opts: { allowShift: boolean; what: string; hint: string },
): Aligned {
  if (source.stepMin !== target.stepMin)
    throw new RangeError(`align: source step ${source.stepMin} is not the target step ${target.stepMin}`);
  const stepMs = target.stepMin * MINUTE_MS;
  const shifts = shiftsInOrder(opts.allowShift);
  const values = new Float64Array(target.slots);
  const spans: AlignedSpan[] = [];
  for (let t = 0; t < target.slots; t++) {
    const ms = target.startMs + t * stepMs;
    let found: number | undefined;
    for (const n of shifts) {
      const i = Math.round((ms - n * YEAR_OF_WEEKS_MS - source.startMs) / stepMs);
      const v = i >= 0 && i < source.values.length ? source.values[i] : Number.NaN;
      if (Number.isFinite(v)) {
        values[t] = v;
        found = n;
        break;
      }
    }
    if (found === undefined)
      throw new InputError(
        opts.allowShift
          ? `${opts.what} has no value for ${toIso(ms)}, even shifted by whole years of 52 weeks (it has ${coverage(source)})`
          : `${opts.what} does not cover ${toIso(ms)}, inside the household's period (it has ${coverage(source)}): ${opts.hint}`,
      );
    const last = spans[spans.length - 1];
    if (last && last.shiftWeeks === found * 52) last.to = toIso(ms + stepMs);
    else spans.push({ from: toIso(ms), to: toIso(ms + stepMs), shiftWeeks: found * 52 });
  }
  return { values, spans };
}
