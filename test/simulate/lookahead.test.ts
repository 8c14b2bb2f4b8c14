import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/time.ts';
import { runSimulation, type SeriesInput, type SimulationInput } from '../../src/simulate/engine.ts';
import type { WorkloadLoad } from '../../src/simulate/workload.ts';

// How `optimal` sees past the end of a forecast: the built-in forecaster, continued from the last known
// forecast values (a spell that shows at the end of the forecast lasts a while longer).

const T0 = Date.parse('2024-01-01T00:00:00Z');
const h = (hours: number) => T0 + hours * HOUR_MS;
const iso = (hours: number) => new Date(h(hours)).toISOString().replace('.000Z', 'Z');
const hourly = (values: number[]): SeriesInput => ({
  resolutionMin: 60,
  points: values.map((value, i) => ({ start: h(i), value })),
});

// Two ordinary days (400 g/kWh, 300 at noon) teach the forecaster the daily shape. On day three a windy
// spell starts at 06:00 and takes 200 off every hour: 200, and 100 at noon.
const ordinary = Array.from({ length: 24 }, (_, i) => (i === 12 ? 300 : 400));
const windy = ordinary.map((v, i) => (i >= 6 ? v - 200 : v));
const threeDays = [...ordinary, ...ordinary, ...windy];

// decided at 06:00 on day three with a 4-hour horizon: 06:00-09:00 are known (200 each), noon is not
const oneHourJob: WorkloadLoad = {
  id: 'A',
  submitMs: h(54),
  earliestMs: h(54),
  deadlineMs: h(72),
  baselineStartMs: h(54),
  durationMin: 60,
  powerKw: 1,
  interruptible: false,
  zones: ['DE'],
  source: 'w.jsonl, line 1',
};

const input = (carbon: number[], extra: Partial<SimulationInput> = {}): SimulationInput => ({
  carbon: { DE: hourly(carbon) },
  loads: [oneHourJob],
  policy: 'optimal',
  forecast: { kind: 'horizon', hours: 4, rel: 0, seed: 1 },
  stepMin: 60,
  ...extra,
});

describe('optimal past the end of a forecast', () => {
  it('carries a spell seen at the end of a limited horizon into the unknown slots', () => {
    // The actuals up to 06:00 are ordinary, so the forecaster alone expects about 300 at noon and the
    // known 200 at 06:00 would win. The known hours run about 200 below the forecaster: continued past the
    // horizon (fading with a 24-hour half-life), noon looks like ~130, so the job waits for it.
    for (const replan of [false, true]) {
      const r = runSimulation(input(threeDays, { replan }));
      expect(r.loads[0].runs).toEqual([{ start: iso(60), end: iso(61) }]);
      expect(r.loads[0].emissionsG).toBe(100);
    }
  });

  it('does the same after the end of an issued forecast', () => {
    const r = runSimulation(
      input(threeDays, {
        forecast: { kind: 'issued', path: 'forecasts.csv' },
        issued: {
          DE: [
            {
              issuedAtMs: h(54),
              points: [54, 55, 56, 57].map((s) => ({ start: h(s), value: 200 })),
              resolutionMin: 60,
            },
          ],
        },
      }),
    );
    expect(r.loads[0].runs).toEqual([{ start: iso(60), end: iso(61) }]);
  });

  it('without a spell at the edge the unknown slots keep the forecaster estimate', () => {
    // day three ordinary until 10:00, windy after: nothing of it is known at 06:00, so the job takes the
    // ordinary noon (300) it expects, not a known 400
    const lateWind = ordinary.map((v, i) => (i >= 10 ? v - 200 : v));
    const r = runSimulation(input([...ordinary, ...ordinary, ...lateWind]));
    expect(r.loads[0].runs).toEqual([{ start: iso(60), end: iso(61) }]);
    expect(r.loads[0].emissionsG).toBe(100);
  });

  it('never looks at actual values beyond what the forecast mode makes known', () => {
    // a decision at 06:00 with a 4-hour horizon may depend on the actuals before 10:00 only
    const values = fc.array(fc.integer({ min: 50, max: 600 }), { minLength: 72, maxLength: 72 });
    fc.assert(
      fc.property(values, values, (series, later) => {
        const changed = series.map((v, i) => (i >= 58 ? later[i] : v));
        const a = runSimulation(input(series));
        const b = runSimulation(input(changed));
        expect(b.loads[0].runs).toEqual(a.loads[0].runs);
      }),
      { numRuns: 50 },
    );
  });

  it('never looks ahead when it plans on the expected actuals of a noisy forecast either', () => {
    // told that the known forecast errs by 30 g/kWh, optimal smooths it with the actuals of the ended slots.
    // Decided once at 06:00 (4-hour horizon), the job may depend on the actuals before 10:00 only; replanned,
    // on the actuals before its start + 4 h (every decision up to the start knew no more). (The noise of the
    // `noise` and `horizon` modes scales with the whole series' mean, so the forecast is given exactly here
    // and only its error is declared.)
    const values = fc.array(fc.integer({ min: 50, max: 600 }), { minLength: 72, maxLength: 72 });
    fc.assert(
      fc.property(values, values, fc.boolean(), (series, later, replan) => {
        const extra = { forecastErrorSd: { DE: 30 }, replan };
        const a = runSimulation(input(series, extra));
        const start = (Date.parse(a.loads[0].runs[0].start) - T0) / HOUR_MS;
        const known = replan ? start + 4 : 58;
        const changed = series.map((v, i) => (i >= known ? later[i] : v));
        const b = runSimulation(input(changed, extra));
        expect(b.loads[0].runs).toEqual(a.loads[0].runs);
      }),
      { numRuns: 100 },
    );
  });
});
