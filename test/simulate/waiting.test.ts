import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { runSimulation, type SimulationInput } from '../../src/simulate/engine.ts';
import type { WorkloadLoad } from '../../src/simulate/workload.ts';

// The `optimal` policy's stopping rule under replanning (planner/stopping.ts): before a one-piece load starts,
// starting now is weighed against waiting on sampled paths of the part of its window past the forecast.

const T0 = Date.parse('2024-01-01T00:00:00Z');
const h = (hours: number) => T0 + hours * HOUR_MS;
const DAYS = 45;
const H = 12; // forecast horizon, hours

/** A daily cycle with weather: an AR(1) spell that lasts a day or two, hourly, seeded. */
function weather(seed: number): number[] {
  const next = mulberry32(seed);
  let spell = 0;
  return Array.from({ length: DAYS * 24 }, (_, i) => {
    spell = 0.97 * spell + 25 * (next() - 0.5);
    return 300 + 80 * Math.sin((2 * Math.PI * (i % 24)) / 24) + 4 * spell;
  });
}

/** 30 one-piece jobs of 20 h from day 30 on, each with 40 h of slack. */
const jobs: WorkloadLoad[] = Array.from({ length: 30 }, (_, i) => ({
  id: `J${i}`,
  submitMs: h(30 * 24 + 7 * i),
  earliestMs: h(30 * 24 + 7 * i),
  deadlineMs: h(30 * 24 + 7 * i + 60),
  baselineStartMs: h(30 * 24 + 7 * i),
  durationMin: 20 * 60,
  powerKw: 1,
  interruptible: false,
  zones: ['DE'],
  source: 'w.jsonl',
}));

const input = (values: number[], extra: Partial<SimulationInput> = {}): SimulationInput => ({
  carbon: { DE: { resolutionMin: 60, points: values.map((value, i) => ({ start: h(i), value })) } },
  loads: jobs,
  policy: 'optimal',
  forecast: { kind: 'horizon', hours: H, rel: 0.05, seed: 1 },
  replan: true,
  stepMin: 60,
  ...extra,
});

const starts = (values: number[], extra: Partial<SimulationInput> = {}) =>
  runSimulation(input(values, extra)).loads.map((l) => Date.parse(l.runs[0].start));

describe('optimal: start now or wait, on sampled paths', () => {
  const values = weather(7);
  const withRule = starts(values);

  it('changes some starts against starting when planned (the rule is at work here)', () => {
    const planned = starts(values, { waitPaths: 0 });
    const moved = withRule.filter((s, i) => s !== planned[i]);
    expect(moved.length).toBeGreaterThan(0);
    // it only ever waits: a start it moves is later than planned
    for (let i = 0; i < jobs.length; i++) expect(withRule[i]).toBeGreaterThanOrEqual(planned[i]);
  });

  it('is deterministic for a seed', () => {
    expect(starts(values)).toEqual(withRule);
  });

  it('never looks at values the forecast mode has not revealed when the load starts', () => {
    // a load starting at S decided at S and before with actuals up to S and the forecast up to S + H:
    // changing every actual from S + H on (and so every noisy forecast value there) keeps S
    for (let i = 0; i < jobs.length; i++) {
      const hidden = Math.round((withRule[i] - T0) / HOUR_MS) + H;
      const changed = values.map((v, s) => (s >= hidden ? v / 4 : v));
      expect(starts(changed)[i]).toBe(withRule[i]);
    }
  });

  it('leaves perfect foresight and a whole-window forecast untouched', () => {
    for (const forecast of [{ kind: 'perfect' } as const, { kind: 'noise', rel: 0.05, seed: 1 } as const])
      expect(starts(values, { forecast })).toEqual(starts(values, { forecast, waitPaths: 0 }));
  });
});
