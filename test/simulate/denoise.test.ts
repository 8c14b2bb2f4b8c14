import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import type { PolicyName } from '../../src/planner/policies.ts';
import { runSimulation, type SeriesInput, type SimulationInput } from '../../src/simulate/engine.ts';
import type { WorkloadLoad } from '../../src/simulate/workload.ts';

// `optimal` plans on the expected actual values when the forecast has a known white error; the other
// policies see the forecast as it is.

const T0 = Date.parse('2024-01-01T00:00:00Z');
const h = (hours: number) => T0 + hours * HOUR_MS;
const iso = (hours: number) => new Date(h(hours)).toISOString().replace('.000Z', 'Z');
const hourly = (values: number[]): SeriesInput => ({
  resolutionMin: 60,
  points: values.map((value, i) => ({ start: h(i), value })),
});

// two days of 300 + 100 cos: cleanest (200) at noon. The first day is the history the smoother learns from.
const actual = Array.from({ length: 48 }, (_, t) => 300 + 100 * Math.cos((2 * Math.PI * t) / 24));
// the forecast issued at the start of day two is right but for 03:00 (371), which it puts 180 too low
const forecast = actual.map((v, t) => (t === 27 ? v - 180 : v));

const job: WorkloadLoad = {
  id: 'A',
  submitMs: h(24),
  earliestMs: h(24),
  deadlineMs: h(48),
  baselineStartMs: h(24),
  durationMin: 60,
  powerKw: 1,
  interruptible: false,
  zones: ['DE'],
  source: 'w.jsonl, line 1',
};

const input = (policy: PolicyName, extra: Partial<SimulationInput> = {}): SimulationInput => ({
  carbon: { DE: hourly(actual) },
  loads: [job],
  policy,
  forecast: { kind: 'issued', path: 'forecast.csv' },
  issued: {
    DE: [
      {
        issuedAtMs: h(24),
        resolutionMin: 60,
        points: forecast.slice(24).map((value, i) => ({ start: h(24 + i), value })),
      },
    ],
  },
  stepMin: 60,
  ...extra,
});

describe('optimal on a forecast with a known error', () => {
  it('picks the truly cleanest slot where the raw forecast points at a slot with a large error', () => {
    // raw: 03:00 forecast 191 < the noon trough 200, actually 371
    expect(runSimulation(input('cheapest-slots')).loads[0].runs).toEqual([{ start: iso(27), end: iso(28) }]);
    // told the forecast errs by 20 g/kWh from slot to slot, optimal sees 03:00 as about 340 and takes noon
    for (const replan of [false, true]) {
      const r = runSimulation(input('optimal', { forecastErrorSd: { DE: 20 }, replan }));
      expect(r.loads[0].runs).toEqual([{ start: iso(36), end: iso(37) }]);
      expect(r.loads[0].emissionsG).toBeCloseTo(200, 9);
    }
  });

  it('with no error (the default for issued forecasts) plans on the forecast as it is', () => {
    for (const forecastErrorSd of [undefined, { DE: 0 }]) {
      const r = runSimulation(input('optimal', { forecastErrorSd }));
      expect(r.loads[0].runs).toEqual([{ start: iso(27), end: iso(28) }]);
    }
  });

  it('leaves the other policies on the raw forecast', () => {
    for (const policy of ['threshold', 'rolling-min', 'cheapest-slots'] as const) {
      const a = runSimulation(input(policy));
      const b = runSimulation(input(policy, { forecastErrorSd: { DE: 20 } }));
      expect(b.loads).toEqual(a.loads);
    }
  });

  it('under noise, decides on the expected actuals and still at submit time only', () => {
    // 12 one-hour jobs over a smooth week; the noise is as large as the daily swing's bottom differences
    const week = Array.from(
      { length: 7 * 24 },
      (_, t) => 300 + 100 * Math.cos((2 * Math.PI * t) / 24) + t / 10,
    );
    const loads = Array.from({ length: 12 }, (_, i) => ({
      ...job,
      id: String(i),
      submitMs: h(30 + 10 * i),
      earliestMs: h(30 + 10 * i),
      baselineStartMs: h(30 + 10 * i),
      deadlineMs: h(54 + 10 * i),
    }));
    const run = (policy: PolicyName, replan: boolean) =>
      runSimulation({
        carbon: { DE: hourly(week) },
        loads,
        policy,
        forecast: { kind: 'noise', rel: 0.05, seed: 3 },
        replan,
        stepMin: 60,
      });
    const optimal = run('optimal', false);
    // nothing new arrives under noise: replanning changes nothing
    expect(run('optimal', true).loads).toEqual(optimal.loads);
    // with the noise smoothed out it emits no more than the raw forecast's choice, load by load here
    const raw = run('cheapest-slots', false);
    for (let i = 0; i < loads.length; i++)
      expect(optimal.loads[i].emissionsG).toBeLessThanOrEqual(raw.loads[i].emissionsG + 1e-9);
    expect(optimal.totals.emissionsG).toBeLessThan(raw.totals.emissionsG);
  });

  it('rejects a negative error and an error for an unknown zone', () => {
    expect(() => runSimulation(input('optimal', { forecastErrorSd: { DE: -1 } }))).toThrow(InputError);
    expect(() => runSimulation(input('optimal', { forecastErrorSd: { DE: Number.NaN } }))).toThrow(
      /forecast error of zone DE/,
    );
    expect(() => runSimulation(input('optimal', { forecastErrorSd: { FR: 5 } }))).toThrow(/zone FR/);
  });
});
