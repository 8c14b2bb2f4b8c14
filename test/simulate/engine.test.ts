import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { POLICY_NAMES, type PolicyName } from '../../src/planner/policies.ts';
import { runSimulation, type SeriesInput, type SimulationInput } from '../../src/simulate/engine.ts';
import type { WorkloadLoad } from '../../src/simulate/workload.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const h = (hours: number) => T0 + hours * HOUR_MS;
const iso = (hours: number) => new Date(h(hours)).toISOString().replace('.000Z', 'Z');

/** An hourly series from T0 (or `fromHour`). */
const hourly = (values: number[], fromHour = 0): SeriesInput => ({
  resolutionMin: 60,
  points: values.map((value, i) => ({ start: h(fromHour + i), value })),
});

const load = (l: Partial<WorkloadLoad> & { id: string }): WorkloadLoad => ({
  submitMs: T0,
  earliestMs: l.submitMs ?? T0,
  deadlineMs: h(8),
  baselineStartMs: l.earliestMs ?? l.submitMs ?? T0,
  durationMin: 60,
  powerKw: 1,
  interruptible: false,
  zones: ['DE'],
  source: `w.jsonl, line ${l.id}`,
  ...l,
});

const DE = [300, 100, 200, 50, 400, 60, 70, 500];
// A: 2 slots anywhere in the 8 hours, 2 kW. B: interruptible, 2 slots within 01:00..07:00, 1 kW.
const tiny = (policy: PolicyName, extra: Partial<SimulationInput> = {}): SimulationInput => ({
  carbon: { DE: hourly(DE) },
  loads: [
    load({ id: 'A', durationMin: 120, powerKw: 2 }),
    load({ id: 'B', earliestMs: h(1), deadlineMs: h(7), durationMin: 120, interruptible: true }),
  ],
  policy,
  stepMin: 60,
  ...extra,
});

describe('runSimulation on a hand-computed trace', () => {
  // baselines: A slots 0,1 = 2 kW x (300 + 100) = 800 g; B slots 1,2 = 100 + 200 = 300 g
  const expected: Record<PolicyName, { A: number; B: number; runsB: [number, number][] }> = {
    'run-now': { A: 800, B: 300, runsB: [[1, 2]] },
    // 300 >= 200: best start within 4 h is 02:00 (250 < 400); B: 100 < 200 runs at once
    threshold: { A: 2 * 250, B: 300, runsB: [[1, 2]] },
    // lowest contiguous windows: A 05:00-07:00 (130), B 05:00-07:00 (130)
    'rolling-min': { A: 2 * 130, B: 130, runsB: [[5, 6]] },
    // B takes its two lowest slots 03:00 (50) and 05:00 (60)
    'cheapest-slots': {
      A: 2 * 130,
      B: 110,
      runsB: [
        [3, 3],
        [5, 5],
      ],
    },
    optimal: {
      A: 2 * 130,
      B: 110,
      runsB: [
        [3, 3],
        [5, 5],
      ],
    },
  };
  for (const policy of POLICY_NAMES) {
    it(`${policy}: choices, emissions and savings`, () => {
      const r = runSimulation(tiny(policy));
      const want = expected[policy];
      expect(r).toMatchObject({ policy, forecast: 'perfect', objective: 'carbon', stepMin: 60 });
      expect(r.loads.map((l) => l.emissionsG)).toEqual([want.A, want.B]);
      expect(r.loads.map((l) => l.baselineEmissionsG)).toEqual([800, 300]);
      expect(r.loads[1].runs).toEqual(want.runsB.map(([a, b]) => ({ start: iso(a), end: iso(b + 1) })));
      expect(r.totals.loads).toBe(2);
      expect(r.totals.energyKwh).toBe(6);
      expect(r.totals.baselineEmissionsG).toBe(1100);
      expect(r.totals.emissionsG).toBe(want.A + want.B);
      expect(r.totals.savingsPct).toBeCloseTo((100 * (1100 - want.A - want.B)) / 1100, 12);
      expect(r.totals.cost).toBeUndefined();
      expect(r.loads[0]).not.toHaveProperty('cost');
    });
  }

  it('writes the result with exactly the contract keys, in order', () => {
    const r = runSimulation(tiny('optimal', { prices: { DE: hourly([1, 1, 1, 1, 1, 1, 1, 1]) } }));
    expect(Object.keys(r)).toEqual([
      'policy',
      'forecast',
      'objective',
      'stepMin',
      'totals',
      'loads',
      'elapsedMs',
    ]);
    expect(Object.keys(r.totals)).toEqual([
      'loads',
      'energyKwh',
      'emissionsG',
      'baselineEmissionsG',
      'savingsPct',
      'cost',
      'baselineCost',
      'costSavingsPct',
    ]);
    expect(Object.keys(r.loads[0])).toEqual([
      'id',
      'zone',
      'runs',
      'emissionsG',
      'baselineEmissionsG',
      'cost',
      'baselineCost',
    ]);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('counts whole slots: a 90-minute load on a 60-minute grid runs two slots', () => {
    const r = runSimulation({
      ...tiny('optimal'),
      loads: [load({ id: 'A', durationMin: 90, deadlineMs: h(8) })],
    });
    expect(r.loads[0].runs).toEqual([{ start: iso(5), end: iso(7) }]);
    expect(r.totals.energyKwh).toBe(2);
  });

  it('runs a load with fewer allowed slots than it needs at its baseline', () => {
    const r = runSimulation({
      ...tiny('optimal'),
      loads: [load({ id: 'A', durationMin: 180, deadlineMs: h(2), baselineStartMs: h(3) })],
    });
    expect(r.loads[0].runs).toEqual([{ start: iso(3), end: iso(6) }]);
    expect(r.loads[0].emissionsG).toBe(50 + 400 + 60);
    expect(r.totals.savingsPct).toBe(0);
  });

  it('puts allowed slots at the first boundary at or after earliest and the last at or before the deadline', () => {
    // earliest 00:10 -> 01:00; deadline 03:50 -> 03:00: allowed slots 1 and 2 only
    const r = runSimulation({
      ...tiny('optimal'),
      loads: [load({ id: 'A', submitMs: h(0), earliestMs: h(1 / 6), deadlineMs: h(3 + 5 / 6) })],
    });
    expect(r.loads[0].runs).toEqual([{ start: iso(1), end: iso(2) }]);
  });

  it('moves loads to the cleanest candidate zone; the baseline stays in the home zone', () => {
    const r = runSimulation({
      carbon: { DE: hourly(DE), FR: hourly([40, 40, 40, 40, 40, 40, 40, 40]) },
      loads: [
        load({ id: 'A', durationMin: 120, zones: ['DE', 'FR'] }),
        load({ id: 'B', durationMin: 60, zones: ['FR', 'DE'] }),
      ],
      policy: 'rolling-min',
      stepMin: 60,
    });
    expect(r.loads[0]).toMatchObject({ zone: 'FR', emissionsG: 80, baselineEmissionsG: 400 });
    expect(r.loads[1]).toMatchObject({ zone: 'FR', emissionsG: 40, baselineEmissionsG: 40 });
    // run-now and threshold stay home
    expect(
      runSimulation({ ...tiny('threshold'), carbon: { DE: hourly(DE), FR: hourly(Array(8).fill(1)) } })
        .loads[0].zone,
    ).toBe('DE');
  });

  it('decides on the cost objective and reports cost only when prices are given', () => {
    const prices = hourly([0.3, 0.3, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5]);
    const r = runSimulation({ ...tiny('optimal'), prices: { DE: prices }, objective: { kind: 'cost' } });
    // A (2 kW, 2 slots): cheapest window 02:00-04:00 = 0.2/kWh-slot -> cost 0.4, emissions 2 x (200 + 50)
    expect(r.loads[0].runs).toEqual([{ start: iso(2), end: iso(4) }]);
    expect(r.loads[0].cost).toBeCloseTo(0.4, 12);
    expect(r.loads[0].baselineCost).toBeCloseTo(1.2, 12);
    expect(r.loads[0].emissionsG).toBe(500);
    expect(r.objective).toBe('cost');
    expect(r.totals.costSavingsPct).toBeCloseTo((100 * (1.2 + 0.4 - 0.4 - 0.2)) / 1.6, 9);
  });

  it('balances carbon and price with weights normalised by the daily maximum', () => {
    // carbon / 500 and price / 1: slot 0 = 0.5*0.6 + 0.5*0 = 0.3; slot 1 = 0.5*0.2 + 0.5*1 = 0.6
    const r = runSimulation({
      carbon: { DE: hourly([300, 100, 500]) },
      prices: { DE: hourly([0, 1, 0.5]) },
      loads: [load({ id: 'A', deadlineMs: h(3) })],
      policy: 'optimal',
      objective: { kind: 'weighted', carbonWeight: 0.5, costWeight: 0.5 },
      stepMin: 60,
    });
    expect(r.loads[0].runs[0].start).toBe(iso(0));
    expect(r.objective).toBe('weights:0.5,0.5');
  });
});

describe('runSimulation: resampling', () => {
  it('puts every zone on one grid from the earliest first boundary, by the time-weighted mean', () => {
    // GB starts at 00:10: its own first boundary is 01:00; 15-min values average into hourly slots
    const gb: SeriesInput = {
      resolutionMin: 15,
      points: [10, 70, 85, 100, 115, 130, 145].map((min, i) => ({
        start: T0 + min * 60_000,
        value: [9, 100, 200, 300, 400, 500, 600][i],
      })),
    };
    const r = runSimulation({
      carbon: { DE: hourly([1, 1, 1, 1]), GB: gb },
      loads: [load({ id: 'A', zones: ['GB'], baselineStartMs: h(1), deadlineMs: h(3) })],
      policy: 'run-now',
      stepMin: 60,
    });
    // slot 01:00-02:00: 01:00-01:10 = 100 (from 00:10-... no: 00:10 holds 9 until 01:10), 01:10 100, 01:25 200, 01:40 300, 01:55 400
    const want = (9 * 10 + 100 * 15 + 200 * 15 + 300 * 15 + 400 * 5) / 60;
    expect(r.loads[0].emissionsG).toBeCloseTo(want, 9);
  });
});

describe('runSimulation: errors', () => {
  it('rejects a load naming a zone without a carbon series, with file and line', () => {
    const input = { ...tiny('optimal'), loads: [load({ id: '7', zones: ['DE', 'XX'] })] };
    expect(() => runSimulation(input)).toThrow(InputError);
    expect(() => runSimulation(input)).toThrow(
      /w\.jsonl, line 7: load "7": zone "XX" has no --carbon series \(zones: DE\)/,
    );
  });

  it('rejects a baseline outside the carbon data', () => {
    const input = { ...tiny('optimal'), loads: [load({ id: '3', baselineStartMs: h(7), durationMin: 120 })] };
    expect(() => runSimulation(input)).toThrow(
      /w\.jsonl, line 3: load "3": its baseline .* not covered by the carbon series of zone DE/,
    );
  });

  it('asks for prices for the cost objective and for every zone once prices are given', () => {
    expect(() => runSimulation({ ...tiny('optimal'), objective: { kind: 'cost' } })).toThrow(/needs prices/);
    expect(() =>
      runSimulation({
        ...tiny('optimal'),
        carbon: { DE: hourly(DE), FR: hourly(DE) },
        prices: { DE: hourly(DE) },
        loads: [load({ id: '2', zones: ['DE', 'FR'] })],
      }),
    ).toThrow(/line 2: load "2": zone "FR" has no --prices series/);
  });

  it('rejects a step that is not a whole number of minutes', () => {
    expect(() => runSimulation({ ...tiny('optimal'), stepMin: 0 })).toThrow(InputError);
    expect(() => runSimulation({ ...tiny('optimal'), stepMin: 7.5 })).toThrow(/--step/);
  });
});

/** Brute-force optimum of one load over one zone's actual values. */
function bruteForce(values: number[], from: number, to: number, k: number, interruptible: boolean): number {
  let best = Number.POSITIVE_INFINITY;
  if (!interruptible) {
    for (let s = from; s + k <= to; s++)
      best = Math.min(
        best,
        values.slice(s, s + k).reduce((a, b) => a + b, 0),
      );
    return best;
  }
  const pick = (i: number, left: number, sum: number) => {
    if (left === 0) {
      best = Math.min(best, sum);
      return;
    }
    for (let s = i; s <= to - left; s++) pick(s + 1, left - 1, sum + values[s]);
  };
  pick(from, k, 0);
  return best;
}

describe('runSimulation: properties', () => {
  const series = fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 4, maxLength: 14 });
  const loadArb = fc.record({
    from: fc.nat(13),
    span: fc.nat(13),
    k: fc.integer({ min: 1, max: 4 }),
    interruptible: fc.boolean(),
    twoZones: fc.boolean(),
  });

  it('optimal under perfect foresight equals the brute-force optimum', () => {
    fc.assert(
      fc.property(series, series, fc.array(loadArb, { minLength: 1, maxLength: 3 }), (de, fr, specs) => {
        const n = Math.min(de.length, fr.length);
        const loads = specs.map((s, i) => {
          const from = s.from % n;
          const to = Math.min(n, from + s.span);
          return load({
            id: String(i),
            earliestMs: h(from),
            deadlineMs: h(to),
            baselineStartMs: h(0),
            durationMin: 60 * s.k,
            interruptible: s.interruptible,
            zones: s.twoZones ? ['DE', 'FR'] : ['DE'],
          });
        });
        const r = runSimulation({
          carbon: { DE: hourly(de.slice(0, n)), FR: hourly(fr.slice(0, n)) },
          loads: loads.filter((l) => l.durationMin / 60 <= n),
          policy: 'optimal',
          stepMin: 60,
        });
        r.loads.forEach((res, i) => {
          const l = loads.filter((x) => x.durationMin / 60 <= n)[i];
          const from = (l.earliestMs - T0) / HOUR_MS;
          const to = (l.deadlineMs - T0) / HOUR_MS;
          const k = l.durationMin / 60;
          if (to - from < k) {
            expect(res.emissionsG).toBe(res.baselineEmissionsG);
            return;
          }
          const best = Math.min(
            ...l.zones.map((z) => bruteForce(z === 'DE' ? de : fr, from, to, k, l.interruptible)),
          );
          expect(res.emissionsG).toBeCloseTo(best, 9);
        });
      }),
    );
  });

  const modes = ['perfect', 'horizon:2', 'horizon:3:0.2:4', 'model', 'noise:0.3:9'] as const;
  it('never misses a deadline, with or without replanning, for every policy and forecast mode', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 72, maxLength: 80 }),
        fc.array(loadArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...POLICY_NAMES),
        fc.constantFrom(...modes),
        fc.boolean(),
        fc.nat(60),
        (values, specs, policy, mode, replan, offset) => {
          const loads = specs.map((s, i) =>
            load({
              id: String(i),
              submitMs: h(offset),
              earliestMs: h(offset + (s.from % 4)),
              deadlineMs: h(offset + (s.from % 4) + s.span),
              durationMin: 60 * s.k,
              interruptible: s.interruptible,
              zones: s.twoZones ? ['DE', 'FR'] : ['DE'],
            }),
          );
          const forecast = mode === 'perfect' ? undefined : parseMode(mode);
          const r = runSimulation({
            carbon: { DE: hourly(values), FR: hourly(values.map((v) => 500 - v)) },
            loads,
            policy,
            forecast,
            replan,
            stepMin: 60,
          });
          r.loads.forEach((res, i) => {
            const l = loads[i];
            const k = l.durationMin / 60;
            const slots = res.runs.flatMap((run) => {
              const a = (Date.parse(run.start) - T0) / HOUR_MS;
              const b = (Date.parse(run.end) - T0) / HOUR_MS;
              return Array.from({ length: b - a }, (_, j) => a + j);
            });
            expect(slots.length).toBe(k);
            const from = (l.earliestMs - T0) / HOUR_MS;
            const to = (l.deadlineMs - T0) / HOUR_MS;
            if (to - from < k) return; // runs at its baseline
            expect(slots[0]).toBeGreaterThanOrEqual(from);
            expect(slots[slots.length - 1]).toBeLessThan(to);
            if (!l.interruptible) expect(res.runs.length).toBe(1);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('runSimulation: incremental replanning', () => {
  it('re-deciding only when the forecast changed gives the same result as re-deciding every step (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 72, maxLength: 80 }),
        fc.array(
          fc.record({
            at: fc.nat(40),
            k: fc.integer({ min: 1, max: 5 }),
            span: fc.nat(30),
            interruptible: fc.boolean(),
            twoZones: fc.boolean(),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.constantFrom(...POLICY_NAMES),
        fc.constantFrom('horizon:3', 'horizon:8:0.3:2', 'model', 'issued'),
        fc.constantFrom<SimulationInput['objective']>(
          { kind: 'carbon' },
          { kind: 'weighted', carbonWeight: 0.5, costWeight: 0.5 },
        ),
        (values, specs, policy, mode, objective) => {
          const input: SimulationInput = {
            // small integer values make ties common, which is where an incremental shortcut would go wrong
            carbon: { DE: hourly(values), FR: hourly(values.map((v) => 9 - v)) },
            prices: {
              DE: hourly(values.map((v) => (v * 7) % 10)),
              FR: hourly(values.map((v) => (v * 3) % 10)),
            },
            loads: specs.map((s, i) =>
              load({
                id: String(i),
                submitMs: h(s.at),
                deadlineMs: h(s.at + s.span),
                durationMin: 60 * s.k,
                interruptible: s.interruptible,
                zones: s.twoZones ? ['DE', 'FR'] : ['DE'],
              }),
            ),
            policy,
            forecast: mode === 'issued' ? { kind: 'issued', path: 'f.csv' } : parseMode(mode),
            // every third hour, a forecast of 1..4 hours starting two hours ahead (values a bit off): the
            // slot in progress is sometimes known only from an earlier forecast
            issued: {
              DE: Array.from({ length: Math.floor(values.length / 3) }, (_, i) => ({
                issuedAtMs: h(3 * i),
                resolutionMin: 60,
                points: Array.from({ length: 1 + (i % 4) }, (_, j) => ({
                  start: h(3 * i + 2 + j),
                  value: (values[Math.min(values.length - 1, 3 * i + 2 + j)] + i + j) % 10,
                })),
              })),
            },
            objective,
            replan: true,
            stepMin: 60,
          };
          const fast = runSimulation(input);
          const full = runSimulation({ ...input, redecideEveryStep: true });
          expect(fast.loads).toEqual(full.loads);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function parseMode(text: string): SimulationInput['forecast'] {
  const [kind, a, b, c] = text.split(':');
  if (kind === 'model') return { kind: 'model' };
  if (kind === 'noise') return { kind: 'noise', rel: Number(a), seed: Number(b) };
  return { kind: 'horizon', hours: Number(a), rel: Number(b ?? 0), seed: Number(c ?? 1) };
}

describe('runSimulation: forecast modes', () => {
  it('noise: the same seed gives the same result; every policy sees the same forecast', () => {
    const values = Array.from({ length: 48 }, (_, i) => 200 + 100 * Math.sin(i / 3));
    const input = (policy: PolicyName, seed: number): SimulationInput => ({
      carbon: { DE: hourly(values) },
      loads: Array.from({ length: 10 }, (_, i) =>
        load({
          id: String(i),
          submitMs: h(i),
          deadlineMs: h(i + 30),
          durationMin: 120,
          interruptible: i % 2 === 0,
        }),
      ),
      policy,
      forecast: { kind: 'noise', rel: 0.3, seed },
      stepMin: 60,
    });
    const a = runSimulation(input('optimal', 3));
    const b = runSimulation(input('optimal', 3));
    expect(b.loads).toEqual(a.loads);
    expect(a.forecast).toBe('noise:0.3:3');
    // cheapest-slots and optimal apply the same rule: on the same forecast they choose the same
    expect(runSimulation(input('cheapest-slots', 3)).loads).toEqual(a.loads);
    // a different seed gives a different forecast (and here different choices)
    const c = runSimulation(input('optimal', 4));
    expect(c.loads.map((l) => l.runs)).not.toEqual(a.loads.map((l) => l.runs));
    // with noise the policy can only do as well as perfect foresight
    const perfect = runSimulation({ ...input('optimal', 3), forecast: undefined });
    expect(a.totals.emissionsG).toBeGreaterThanOrEqual(perfect.totals.emissionsG);
  });

  // two days that teach the forecaster a clean noon, then a third day
  const day = Array.from({ length: 24 }, (_, i) => (i === 12 ? 100 : 400));
  const threeDays = [...day, ...day, ...day];
  const dayThree = (policy: PolicyName, replan = false): SimulationInput => ({
    carbon: { DE: hourly(threeDays) },
    loads: [load({ id: 'A', submitMs: h(48), deadlineMs: h(72) })],
    policy,
    forecast: { kind: 'horizon', hours: 4, rel: 0, seed: 1 },
    replan,
    stepMin: 60,
  });

  it('horizon: a best slot beyond the horizon is out of reach of the known-window policies, not of optimal', () => {
    for (const policy of ['rolling-min', 'cheapest-slots', 'threshold'] as const) {
      expect(runSimulation(dayThree(policy)).loads[0].emissionsG).toBe(400);
    }
    // optimal fills the unknown slots with the forecaster's estimate and waits for noon
    const r = runSimulation(dayThree('optimal'));
    expect(r.loads[0].runs).toEqual([{ start: iso(60), end: iso(61) }]);
    expect(r.loads[0].emissionsG).toBe(100);
    expect(runSimulation(dayThree('optimal', true)).loads[0].emissionsG).toBe(100);
  });

  it('model: the forecaster fitted on the past finds the clean hour', () => {
    const r = runSimulation({ ...dayThree('cheapest-slots'), forecast: { kind: 'model' } });
    expect(r.loads[0].emissionsG).toBe(100);
    expect(r.forecast).toBe('model');
  });

  it('replan: a load moves when new information arrives', () => {
    // horizon 4 h: at 00:00 slots 0-3 are known and 01:00 (300) is best; at 01:00 slot 4 (100) appears
    const values = [400, 300, 350, 350, 100, 400, 400, 400];
    const input = (replan: boolean): SimulationInput => ({
      carbon: { DE: hourly(values) },
      loads: [load({ id: 'A', deadlineMs: h(8) })],
      policy: 'rolling-min',
      forecast: { kind: 'horizon', hours: 4, rel: 0, seed: 1 },
      replan,
      stepMin: 60,
    });
    expect(runSimulation(input(false)).loads[0].runs).toEqual([{ start: iso(1), end: iso(2) }]);
    expect(runSimulation(input(true)).loads[0].runs).toEqual([{ start: iso(4), end: iso(5) }]);
  });

  it('replan: interruptible loads run a slot at a time, stay in one zone, and finish by the deadline', () => {
    const values = [400, 100, 350, 350, 100, 400, 90, 400];
    const r = runSimulation({
      carbon: { DE: hourly(values), FR: hourly(values.map((v) => v + 1)) },
      loads: [
        load({ id: 'A', durationMin: 180, interruptible: true, deadlineMs: h(8), zones: ['DE', 'FR'] }),
      ],
      policy: 'cheapest-slots',
      forecast: { kind: 'horizon', hours: 2, rel: 0, seed: 1 },
      replan: true,
      stepMin: 60,
    });
    // known slots at 00:00: 0, 1 (needs 3: falls back to run 00:00); then slot 1 (100) at once;
    // at 02:00 known 2, 3 (350): best 2 of [2, 8) known = 2, 3 -> runs 02:00
    expect(r.loads[0].zone).toBe('DE');
    expect(r.loads[0].runs).toEqual([{ start: iso(0), end: iso(3) }]);
    // with a longer view it waits for the clean hours
    const longer = runSimulation({
      carbon: { DE: hourly(values) },
      loads: [load({ id: 'A', durationMin: 180, interruptible: true, deadlineMs: h(8) })],
      policy: 'cheapest-slots',
      forecast: { kind: 'horizon', hours: 6, rel: 0, seed: 1 },
      replan: true,
      stepMin: 60,
    });
    expect(longer.loads[0].runs).toEqual([
      { start: iso(1), end: iso(2) },
      { start: iso(4), end: iso(5) },
      { start: iso(6), end: iso(7) },
    ]);
  });

  it('a horizon that sees everything decides like perfect foresight, for every objective (scores computed per step)', () => {
    const values = Array.from({ length: 24 * 8 }, (_, i) => 200 + 150 * Math.sin(i / 5) + (i % 7) * 10);
    const prices = values.map((v, i) => ((v * 13 + i * 7) % 100) / 100);
    for (const stepMin of [60, 45]) {
      for (const objective of [
        { kind: 'carbon' },
        { kind: 'cost' },
        { kind: 'weighted', carbonWeight: 0.3, costWeight: 0.7 },
      ] as const) {
        const input: SimulationInput = {
          carbon: { DE: hourly(values) },
          prices: { DE: hourly(prices) },
          loads: Array.from({ length: 12 }, (_, i) =>
            load({
              id: String(i),
              submitMs: h(i * 11),
              deadlineMs: h(i * 11 + 40),
              durationMin: 150,
              interruptible: i % 3 === 0,
            }),
          ),
          policy: 'cheapest-slots',
          objective,
          stepMin,
        };
        const perfect = runSimulation(input);
        for (const replan of [false, true]) {
          const wide = runSimulation({
            ...input,
            forecast: { kind: 'horizon', hours: 10_000, rel: 0, seed: 1 },
            replan,
          });
          expect(wide.loads).toEqual(perfect.loads);
        }
      }
    }
  });

  it('replan with perfect or noisy forecasts is the same as no replan', () => {
    for (const forecast of [undefined, { kind: 'noise', rel: 0.2, seed: 2 } as const]) {
      for (const policy of POLICY_NAMES) {
        const a = runSimulation({ ...tiny(policy), forecast });
        const b = runSimulation({ ...tiny(policy), forecast, replan: true });
        expect(b.loads).toEqual(a.loads);
      }
    }
  });

  it('issued: decides on the latest issued forecast and scores on the actuals', () => {
    // the forecast issued at 00:00 wrongly says 02:00 is clean; actually 01:00 is
    const r = runSimulation({
      carbon: { DE: hourly([300, 100, 250, 300]) },
      loads: [load({ id: 'A', deadlineMs: h(4) })],
      policy: 'rolling-min',
      forecast: { kind: 'issued', path: 'f.csv' },
      issued: {
        DE: [
          {
            issuedAtMs: h(0),
            resolutionMin: 60,
            points: [0, 1, 2, 3].map((i) => ({ start: h(i), value: [300, 200, 50, 300][i] })),
          },
        ],
      },
      stepMin: 60,
    });
    expect(r.loads[0].runs).toEqual([{ start: iso(2), end: iso(3) }]);
    expect(r.loads[0].emissionsG).toBe(250);
    expect(r.forecast).toBe('issued:f.csv');
  });
});
