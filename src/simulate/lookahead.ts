import { MINUTE_MS } from '../core/time.ts';
import { FORECAST_DEFAULTS } from '../signals/forecast.ts';
import {
  ANCHOR_BACK_HOURS,
  anchoredPaths,
  createProbabilisticForecaster,
  type ProbabilisticForecaster,
} from '../signals/forecast-errors.ts';
import type { ZoneActuals } from './forecast-modes.ts';

/**
 * The `optimal` policy's view past the end of a forecast (a limited horizon, the end of an issued forecast):
 * the built-in forecaster, fitted on the actuals of the slots that ended by the decision time, continued from
 * the last known forecast values rather than from the last actual value. The deviation of the known values
 * from the forecaster just before the gap (smoothed and fading as the forecaster smooths and fades its own
 * deviation) carries on into the gap: a windy spell at the end of a 24-hour forecast is likely to last a while
 * longer. Only what the forecast mode makes known at the decision time is used.
 *
 * It also samples how wrong that estimate may be (errorPaths): the forecaster's own past errors at the same
 * lead times, for the stopping rule of planner/stopping.ts.
 */
export interface LookAhead {
  /** moves the decision time to `tMs` (never back): the forecasters learn the slots that ended by then */
  advanceTo(tMs: number): void;
  /** fills the unknown (NaN) slots of `out` within [from, to) that start at or after the decision time */
  fillUnknown(z: number, from: number, to: number, out: Float64Array): void;
  /**
   * The first slot of zone `z` that the last `fillUnknown` since the decision time moved to estimated
   * (-1 when none): where the forecast's uncertainty begins.
   */
  unknownFrom(z: number): number;
  /**
   * `count` sampled errors of the estimate over [from, to) (`from` = unknownFrom), index s - from: past
   * errors of the forecaster at the same lead times and time of day, each anchored like the estimate at the
   * known values before `from` (see forecast-errors.ts). Empty before enough past errors are known.
   */
  errorPaths(z: number, from: number, to: number, count: number, seed: number): Float64Array[];
}

/** How far ahead the forecaster's errors are learned: a week covers every window the benchmarks plan. */
const ERROR_LEAD_HOURS = 168;

export function lookAhead(startMs: number, stepMin: number, zones: readonly ZoneActuals[]): LookAhead {
  const stepMs = stepMin * MINUTE_MS;
  const slotsPerHour = 60 / stepMin;
  const smoothing = 1 - 2 ** (-1 / (FORECAST_DEFAULTS.deviationSmoothingHours * slotsPerHour));
  const fade = 2 ** (-1 / (FORECAST_DEFAULTS.deviationHalfLifeHours * slotsPerHour));
  const backSlots = ANCHOR_BACK_HOURS * slotsPerHour;
  const n = zones[0]?.carbon.length ?? 0;
  // created on first use: a zone no decision looks past the forecast in costs nothing
  const models: (ProbabilisticForecaster | undefined)[] = zones.map(() => undefined);
  const gapFrom = zones.map(() => -1);
  let observed = 0;
  let model = new Float64Array(0);
  const forecaster = (z: number): ProbabilisticForecaster => {
    let m = models[z];
    if (!m) {
      m = createProbabilisticForecaster({ stepMin, startMs, leadSlots: ERROR_LEAD_HOURS * slotsPerHour });
      for (let s = 0; s < observed; s++) m.observe(zones[z].carbon[s]);
      models[z] = m;
    }
    return m;
  };
  return {
    advanceTo(tMs) {
      const target = Math.max(observed, Math.min(n, Math.floor((tMs - startMs) / stepMs)));
      for (let z = 0; z < zones.length; z++) {
        const m = models[z];
        if (m) for (let s = m.observed; s < target; s++) m.observe(zones[z].carbon[s]);
      }
      if (target !== observed) gapFrom.fill(-1);
      observed = target;
    },
    fillUnknown(z, from, to, out) {
      for (let a = Math.max(from, observed); a < to; a++) {
        if (Number.isFinite(out[a])) continue;
        let b = a + 1;
        while (b < to && !Number.isFinite(out[b])) b++;
        // the known forecast values just before the gap (none when the gap starts at the decision time)
        let known = a;
        while (known > observed && known > a - backSlots && Number.isFinite(out[known - 1])) known--;
        if (gapFrom[z] < 0 || a < gapFrom[z]) gapFrom[z] = a;
        if (model.length < b - known) model = new Float64Array(2 * (b - known));
        forecaster(z).predictInto(model, known, b, 0);
        let deviation = 0;
        for (let s = known; s < a; s++) {
          const m = model[s - known];
          if (Number.isFinite(m)) deviation += smoothing * (out[s] - m - deviation);
        }
        for (let s = a; s < b; s++) {
          deviation *= fade;
          out[s] = model[s - known] + deviation;
        }
        a = b;
      }
    },
    unknownFrom: (z) => gapFrom[z],
    errorPaths(z, from, to, count, seed) {
      const m = forecaster(z);
      const lead = (s: number) => s - observed + 1; // lead 1 = the slot in progress
      const maxLead = Math.min(m.errors.leadSlots, lead(to - 1));
      const raw = m.errors.samplePaths(observed, maxLead, count, seed);
      // the known values before `from` tell how far off the forecaster was there: that part is taken out
      return anchoredPaths(raw, lead(from), to - from, stepMin);
    },
  };
}
