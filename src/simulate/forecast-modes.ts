/**
 * What a policy knows of the carbon intensity at a decision time, in each forecast mode of `gridshift
 * simulate`: perfect foresight, actuals with noise, a limited horizon, real issued forecasts, or the built-in
 * forecaster fitted on the past. Policies decide on these values; the simulator scores on the actuals.
 */
import { InputError } from '../core/errors.ts';
import { hash32, mulberry32 } from '../core/random.ts';
import { type Point, resample } from '../core/series.ts';
import { HOUR_MS, MINUTE_MS } from '../core/time.ts';
import { createForecaster, type Forecaster } from '../signals/forecast.ts';

export type ForecastMode =
  | { kind: 'perfect' }
  | { kind: 'noise'; rel: number; seed: number }
  | { kind: 'horizon'; hours: number; rel: number; seed: number }
  | { kind: 'issued'; path: string; zone?: string }
  | { kind: 'model' };

export const DEFAULT_SEED = 1;

const FORMS = 'perfect, noise:REL[:SEED], horizon:HOURS[:REL[:SEED]], issued:PATH, model';

function nonNegative(text: string | undefined, what: string, mode: string): number {
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(v) || v < 0)
    throw new InputError(`--forecast ${mode}: ${what} must be a number >= 0, got "${text ?? ''}"`);
  return v;
}

function seedOf(text: string | undefined, mode: string): number {
  if (text === undefined) return DEFAULT_SEED;
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v))
    throw new InputError(`--forecast ${mode}: SEED must be a whole number, got "${text}"`);
  return v;
}

/** Parses a `--forecast` value. `issued:ZONE=PATH` names the zone the forecasts are for. */
export function parseForecastMode(text: string): ForecastMode {
  const t = text.trim();
  if (t === 'perfect') return { kind: 'perfect' };
  if (t === 'model') return { kind: 'model' };
  const colon = t.indexOf(':');
  const head = colon < 0 ? t : t.slice(0, colon);
  const rest = colon < 0 ? '' : t.slice(colon + 1);
  if (head === 'issued') {
    if (rest.trim() === '')
      throw new InputError('--forecast issued:PATH needs the path of the forecast file');
    const eq = /^([A-Za-z][A-Za-z0-9_-]*)=(.+)$/.exec(rest);
    return eq ? { kind: 'issued', zone: eq[1], path: eq[2] } : { kind: 'issued', path: rest };
  }
  const parts = rest === '' ? [] : rest.split(':');
  if (head === 'noise') {
    if (parts.length < 1 || parts.length > 2)
      throw new InputError(`--forecast "${text}": expected noise:REL[:SEED]`);
    return { kind: 'noise', rel: nonNegative(parts[0], 'REL', t), seed: seedOf(parts[1], t) };
  }
  if (head === 'horizon') {
    if (parts.length < 1 || parts.length > 3)
      throw new InputError(`--forecast "${text}": expected horizon:HOURS[:REL[:SEED]]`);
    const hours = nonNegative(parts[0], 'HOURS', t);
    const rel = parts[1] === undefined ? 0 : nonNegative(parts[1], 'REL', t);
    return { kind: 'horizon', hours, rel, seed: seedOf(parts[2], t) };
  }
  throw new InputError(`--forecast "${text}" is not one of ${FORMS}`);
}

/** The canonical text of a mode, as the result JSON reports it (noise seeds always written out). */
export function forecastModeName(mode: ForecastMode): string {
  switch (mode.kind) {
    case 'perfect':
    case 'model':
      return mode.kind;
    case 'noise':
      return `noise:${mode.rel}:${mode.seed}`;
    case 'horizon':
      return mode.rel > 0 ? `horizon:${mode.hours}:${mode.rel}:${mode.seed}` : `horizon:${mode.hours}`;
    case 'issued':
      return mode.zone ? `issued:${mode.zone}=${mode.path}` : `issued:${mode.path}`;
  }
}

// ---------------------------------------------------------------- seeded noise

/**
 * `n` standard normal draws (Box-Muller) for one zone and seed. Draw i belongs to the zone's i-th slot
 * counted from its own first slot, so adding another zone to a simulation does not change them.
 */
export function gaussianDraws(zone: string, seed: number, n: number): Float64Array {
  const next = mulberry32(hash32(`${seed}:${zone}`));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - next(); // (0, 1]: log is finite
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

// ---------------------------------------------------------------- knowledge over time

/** A zone's actual carbon intensity on the simulation grid. */
export interface ZoneActuals {
  zone: string;
  /** g/kWh per slot of the common grid, NaN where the zone has no data */
  carbon: Float64Array;
  /** the zone's own first slot on the common grid */
  firstSlot: number;
}

/** One issued forecast: the values it gave for target times, as a step function. */
export interface IssuedForecast {
  issuedAtMs: number;
  points: Point[];
  /** how long the last point holds */
  resolutionMin: number;
}

export interface KnowledgeOptions {
  startMs: number;
  stepMin: number;
  zones: readonly ZoneActuals[];
  /** issued forecasts per zone index (issued mode); zones without any have no forecast */
  issued?: readonly (readonly IssuedForecast[] | undefined)[];
}

/**
 * The forecast known at the current decision time. The simulator moves time forward with `advanceTo` and
 * reads values with `fill`.
 */
export interface Knowledge {
  /** false when the forecast is the same at every decision time (perfect, noise) */
  readonly dynamic: boolean;
  /** moves the decision time to `tMs`; it never goes back */
  advanceTo(tMs: number): void;
  /** Writes zone `z`'s forecast for slots [from, to) into `out` (indexed like the grid). NaN = unknown. */
  fill(z: number, from: number, to: number, out: Float64Array): void;
  /** the slots [lo, hi) of zone `z` whose forecast may differ from what it was before the last advance */
  changed(z: number): { lo: number; hi: number };
}

const NOTHING = { lo: 0, hi: 0 };

/** Builds the knowledge of a mode over the zones' actuals. */
export function createKnowledge(mode: ForecastMode, options: KnowledgeOptions): Knowledge {
  switch (mode.kind) {
    case 'perfect':
      return staticKnowledge(options.zones.map((z) => z.carbon));
    case 'noise':
      return staticKnowledge(noisy(options.zones, mode.rel, mode.seed));
    case 'horizon':
      return horizonKnowledge(
        options,
        mode.rel > 0 ? noisy(options.zones, mode.rel, mode.seed) : null,
        mode.hours,
      );
    case 'issued':
      return issuedKnowledge(options);
    case 'model':
      return modelKnowledge(options);
  }
}

/** Mean of the finite values (0 when there are none). */
function meanOf(values: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (const v of values)
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  return count > 0 ? sum / count : 0;
}

/**
 * The standard deviation (g/kWh) of each zone's white forecast error in a mode: `REL × mean(actual)` for
 * `noise` and `horizon` (the error those modes add), 0 for `perfect`. Real forecasts (`issued`, `model`)
 * err smoothly over hours, not slot by slot, so they count as 0 here: a white-noise smoother cannot tell
 * such an error from the signal.
 */
export function forecastErrorSd(mode: ForecastMode, zones: readonly ZoneActuals[]): number[] {
  const rel = mode.kind === 'noise' || mode.kind === 'horizon' ? mode.rel : 0;
  return zones.map((z) => (rel > 0 ? rel * meanOf(z.carbon) : 0));
}

/** Actuals plus noise of standard deviation `rel * mean(actual)`, one fixed draw per (zone, slot). */
export function noisy(zones: readonly ZoneActuals[], rel: number, seed: number): Float64Array[] {
  return zones.map((z) => {
    const out = Float64Array.from(z.carbon);
    const sd = rel * meanOf(z.carbon);
    if (sd === 0) return out;
    const draws = gaussianDraws(z.zone, seed, z.carbon.length - z.firstSlot);
    for (let i = z.firstSlot; i < out.length; i++) out[i] += sd * draws[i - z.firstSlot];
    return out;
  });
}

function staticKnowledge(values: Float64Array[]): Knowledge {
  return {
    dynamic: false,
    advanceTo() {},
    fill(z, from, to, out) {
      out.set(values[z].subarray(from, to), from);
    },
    changed: () => NOTHING,
  };
}

/**
 * Forecasters per zone, fed the actuals of every slot that has ended by the decision time. Created on
 * first use: a zone no decision asks about costs nothing.
 */
function estimators(options: KnowledgeOptions) {
  const { startMs, stepMin, zones } = options;
  const stepMs = stepMin * MINUTE_MS;
  const models: (Forecaster | undefined)[] = zones.map(() => undefined);
  let observed = 0;
  return {
    /** slots that ended by the decision time */
    get observed() {
      return observed;
    },
    advanceTo(tMs: number): void {
      const n = zones[0]?.carbon.length ?? 0;
      const target = Math.max(observed, Math.min(n, Math.floor((tMs - startMs) / stepMs)));
      for (let z = 0; z < zones.length; z++) {
        const m = models[z];
        if (m) for (let s = m.observed; s < target; s++) m.observe(zones[z].carbon[s]);
      }
      observed = target;
    },
    /** estimates for slots [from, to), all at or after `observed` */
    predictInto(z: number, from: number, to: number, out: Float64Array): void {
      let m = models[z];
      if (!m) {
        m = createForecaster({ stepMin, startMs });
        for (let s = 0; s < observed; s++) m.observe(zones[z].carbon[s]);
        models[z] = m;
      }
      m.predictInto(out, from, to);
    },
  };
}

function horizonKnowledge(
  options: KnowledgeOptions,
  noisyValues: Float64Array[] | null,
  hours: number,
): Knowledge {
  const { startMs, stepMin, zones } = options;
  const values = noisyValues ?? zones.map((z) => z.carbon);
  const n = zones[0]?.carbon.length ?? 0;
  const stepMs = stepMin * MINUTE_MS;
  let knownEnd = 0;
  let prevKnownEnd = 0;
  return {
    dynamic: true,
    advanceTo(tMs) {
      // slot s is known when it starts before t + HOURS
      const end = Math.max(knownEnd, Math.min(n, Math.ceil((tMs + hours * HOUR_MS - startMs) / stepMs)));
      prevKnownEnd = knownEnd;
      knownEnd = end;
    },
    fill(z, from, to, out) {
      const k = Math.max(from, Math.min(to, knownEnd));
      out.set(values[z].subarray(from, k), from);
      if (k < to) out.fill(Number.NaN, k, to);
    },
    changed() {
      return { lo: prevKnownEnd, hi: knownEnd };
    },
  };
}

interface Segment {
  issuedAtMs: number;
  /** first grid slot the forecast covers */
  first: number;
  values: Float64Array;
}

/**
 * Issued forecasts resampled onto the grid: every slot a forecast overlaps gets the time-weighted mean of
 * the part it covers. At time t the latest forecast issued at or before t is known; other slots are not,
 * with one exception: forecasts start ahead of their issue time, so the latest never covers the slot in
 * progress; that slot keeps the value of the latest earlier forecast that covered it (what a scheduler
 * deciding "run now or not" has in hand).
 */
function issuedKnowledge(options: KnowledgeOptions): Knowledge {
  const { startMs, stepMin, zones } = options;
  const n = zones[0]?.carbon.length ?? 0;
  const stepMs = stepMin * MINUTE_MS;
  const segments: Segment[][] = zones.map((_, z) => {
    const list = [...(options.issued?.[z] ?? [])].sort((a, b) => a.issuedAtMs - b.issuedAtMs);
    return list
      .filter((f) => f.points.length > 0)
      .map((f) => {
        const first = Math.floor((f.points[0].start - startMs) / stepMs);
        const grid = resample(f, stepMin, { startMs: startMs + first * stepMs });
        return { issuedAtMs: f.issuedAtMs, first, values: grid.values };
      });
  });
  const current = zones.map(() => -1);
  const previous = zones.map(() => -1);
  // per slot, the latest forecast issued so far that covers it (-1 = none)
  const latestCover = zones.map(() => new Int32Array(n).fill(-1));
  let present = -1;
  let previousPresent = -1;
  const span = (z: number, i: number) => {
    const seg = segments[z][i];
    return seg ? { lo: seg.first, hi: seg.first + seg.values.length } : { lo: 0, hi: 0 };
  };
  const covers = (seg: Segment | undefined, s: number) =>
    seg !== undefined &&
    s >= seg.first &&
    s < seg.first + seg.values.length &&
    Number.isFinite(seg.values[s - seg.first]);
  return {
    dynamic: true,
    advanceTo(tMs) {
      for (let z = 0; z < zones.length; z++) {
        previous[z] = current[z];
        let i = current[z];
        while (i + 1 < segments[z].length && segments[z][i + 1].issuedAtMs <= tMs) {
          i++;
          const seg = segments[z][i];
          const cover = latestCover[z];
          for (let s = Math.max(0, seg.first); s < Math.min(n, seg.first + seg.values.length); s++)
            if (Number.isFinite(seg.values[s - seg.first])) cover[s] = i;
        }
        current[z] = i;
      }
      previousPresent = present;
      present = Math.floor((tMs - startMs) / stepMs);
    },
    fill(z, from, to, out) {
      const seg = segments[z][current[z]];
      const a = seg ? seg.first : 0;
      const b = seg ? seg.first + seg.values.length : 0;
      for (let s = from; s < to; s++) out[s] = s >= a && s < b ? seg.values[s - a] : Number.NaN;
      if (present >= from && present < to && present < n && !covers(seg, present)) {
        const earlier = segments[z][latestCover[z][present]];
        if (earlier) out[present] = earlier.values[present - earlier.first];
      }
    },
    changed(z) {
      const movedPresent = present !== previousPresent;
      if (previous[z] === current[z] && !movedPresent) return NOTHING;
      const p = span(z, previous[z]);
      const c = span(z, current[z]);
      let lo = n;
      let hi = 0;
      if (previous[z] !== current[z]) {
        for (const r of [p, c])
          if (r.hi > r.lo) {
            lo = Math.min(lo, r.lo);
            hi = Math.max(hi, r.hi);
          }
      }
      if (movedPresent && present >= 0 && present < n) {
        lo = Math.min(lo, present);
        hi = Math.max(hi, present + 1);
      }
      return hi > lo ? { lo: Math.max(0, lo), hi: Math.min(n, hi) } : NOTHING;
    },
  };
}

/** The built-in forecaster: actuals for slots that have ended, its estimate for every later slot. */
function modelKnowledge(options: KnowledgeOptions): Knowledge {
  const { zones } = options;
  const n = zones[0]?.carbon.length ?? 0;
  const est = estimators(options);
  let before = 0;
  return {
    dynamic: true,
    advanceTo(tMs) {
      before = est.observed;
      est.advanceTo(tMs);
    },
    fill(z, from, to, out) {
      const observed = est.observed;
      const k = Math.max(from, Math.min(to, observed));
      out.set(zones[z].carbon.subarray(from, k), from);
      if (k < to) est.predictInto(z, k, to, out);
    },
    changed() {
      return before === est.observed ? NOTHING : { lo: before, hi: n };
    },
  };
}
