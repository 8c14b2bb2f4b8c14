import { MINUTE_MS } from '../core/time.ts';
import { createForecaster, FORECAST_DEFAULTS, type Forecaster } from '../signals/forecast.ts';
import type { ZoneActuals } from './forecast-modes.ts';

/**
 * The `optimal` policy's view past the end of a forecast (a limited horizon, the end of an issued forecast):
 * the built-in forecaster, fitted on the actuals of the slots that ended by the decision time, continued from
 * the last known forecast values rather than from the last actual value. The deviation of the known values
 * from the forecaster just before the gap (smoothed and fading as the forecaster smooths and fades its own
 * deviation) carries on into the gap: a windy spell at the end of a 24-hour forecast is likely to last a while
 * longer. Only what the forecast mode makes known at the decision time is used.
 */
export interface LookAhead {
  /** moves the decision time to `tMs` (never back): the forecasters learn the slots that ended by then */
  advanceTo(tMs: number): void;
  /** fills the unknown (NaN) slots of `out` within [from, to) that start at or after the decision time */
  fillUnknown(z: number, from: number, to: number, out: Float64Array): void;
}

export function lookAhead(startMs: number, stepMin: number, zones: readonly ZoneActuals[]): LookAhead {
  const stepMs = stepMin * MINUTE_MS;
  const slotsPerHour = 60 / stepMin;
  const smoothing = 1 - 2 ** (-1 / (FORECAST_DEFAULTS.deviationSmoothingHours * slotsPerHour));
  const fade = 2 ** (-1 / (FORECAST_DEFAULTS.deviationHalfLifeHours * slotsPerHour));
  // how far back the known values count: older ones have faded out of the smoothed deviation
  const backSlots = 24 * slotsPerHour;
  const n = zones[0]?.carbon.length ?? 0;
  // created on first use: a zone no decision looks past the forecast in costs nothing
  const models: (Forecaster | undefined)[] = zones.map(() => undefined);
  let observed = 0;
  let model = new Float64Array(0);
  const forecaster = (z: number): Forecaster => {
    let m = models[z];
    if (!m) {
      m = createForecaster({ stepMin, startMs });
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
  };
}
