import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import type { LoadSpec, ZoneSignals } from '../../src/core/load.ts';
import { STRATEGIES } from '../../src/core/objective.ts';
import { planLoad, planMany } from '../../src/planner/plan.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const H = 3_600_000;
const at = (h: number) => T0 + h * H;
const NaN_ = Number.NaN;

function zone(
  code: string,
  carbon: number[],
  price?: number[],
  extra: Partial<ZoneSignals> = {},
): ZoneSignals {
  const sig: ZoneSignals = {
    zone: code,
    carbon: { startMs: T0, stepMin: 60, values: Float64Array.from(carbon) },
    carbonSource: `test:${code}`,
    ...extra,
  };
  if (price) {
    sig.price = { startMs: T0, stepMin: 60, values: Float64Array.from(price) };
    sig.priceSource = `test-price:${code}`;
    sig.currency ??= 'EUR';
  }
  return sig;
}

function load(over: Partial<LoadSpec> = {}): LoadSpec {
  return {
    id: 'job',
    durationMin: 120,
    powerKw: 2,
    earliestMs: at(0),
    deadlineMs: at(6),
    zones: ['A'],
    ...over,
  };
}

// 6 hourly slots; 2-slot windows: 500, 300, 150, 200, 550
const A = zone('A', [300, 200, 100, 50, 150, 400]);

describe('planLoad: one zone, contiguous', () => {
  it('chooses the lowest window and scores it against run-now (hand-computed)', () => {
    const p = planLoad(load(), [A]);
    expect(p.reason).toBe('best-window');
    expect(p.zone).toBe('A');
    expect(p.runs).toEqual([{ startMs: at(2), endMs: at(4) }]);
    expect(p.energyKwh).toBe(4);
    // 2 kW x 1 h x (100 + 50)
    expect(p.emissionsG).toBe(300);
    expect(p.baseline).toEqual({ zone: 'A', runs: [{ startMs: at(0), endMs: at(2) }], emissionsG: 1000 });
    expect(p.savings).toEqual({ emissionsG: 700, emissionsPct: 70 });
    expect(p.sources).toEqual({ carbon: 'test:A' });
    expect(p.cost).toBeUndefined();
    expect(p.degraded).toBeUndefined();
    expect(p.objective).toBe('carbon');
  });

  it('lists next-best windows that do not overlap the chosen one', () => {
    const p = planLoad(load(), [A], { alternatives: 3 });
    // starts 1 and 3 overlap 02:00-04:00; left: start 0 (500 -> 1000 g), start 4 (550 -> 1100 g)
    expect(p.alternatives).toEqual([
      { zone: 'A', runs: [{ startMs: at(0), endMs: at(2) }], emissionsG: 1000 },
      { zone: 'A', runs: [{ startMs: at(4), endMs: at(6) }], emissionsG: 1100 },
    ]);
    expect(planLoad(load(), [A], { alternatives: 0 }).alternatives).toEqual([]);
  });

  it('rounds the duration up to whole slots and starts on the first boundary at or after earliest', () => {
    const p = planLoad(load({ durationMin: 61, earliestMs: at(0) + 1, deadlineMs: at(6) }), [A]);
    expect(p.runs).toEqual([{ startMs: at(2), endMs: at(4) }]);
    // the energy is the load's own, 2 kW x 61 min, spread evenly over its two slots
    expect(p.energyKwh).toBeCloseTo(122 / 60, 12);
    // baseline from the first boundary after earliest: 01:00-03:00 = 61/60 kWh x (200 + 100)
    expect(p.baseline.emissionsG).toBeCloseTo((61 / 60) * 300, 9);
    expect(p.emissionsG).toBeCloseTo((61 / 60) * 150, 9);
    expect(p.savings.emissionsPct).toBeCloseTo(50, 9);
  });

  it('counts a load shorter than a slot at its own energy, not the whole slot', () => {
    const p = planLoad(load({ durationMin: 15, earliestMs: at(0), deadlineMs: at(6) }), [A]);
    expect(p.runs).toEqual([{ startMs: at(3), endMs: at(4) }]);
    expect(p.energyKwh).toBe(0.5); // 2 kW x 15 min
    expect(p.emissionsG).toBe(25); // 0.5 kWh x 50 g/kWh
    expect(p.baseline.emissionsG).toBe(150); // 0.5 kWh x 300 g/kWh
  });

  it('ends at the last boundary at or before the deadline', () => {
    const p = planLoad(load({ deadlineMs: at(4) - 1 }), [A]);
    // allowed slots 0..2: windows 500, 300
    expect(p.runs).toEqual([{ startMs: at(1), endMs: at(3) }]);
  });

  it('runs at once when the allowed time is shorter than the load (no-room)', () => {
    const p = planLoad(load({ earliestMs: at(0.5), deadlineMs: at(2) }), [A]);
    expect(p.reason).toBe('no-room');
    expect(p.runs).toEqual([{ startMs: at(1), endMs: at(3) }]);
    expect(p.emissionsG).toBe(600);
    expect(p.savings).toEqual({ emissionsG: 0, emissionsPct: 0 });
    expect(p.alternatives).toEqual([]);
  });

  it('runs at once when no complete window has data (no-data)', () => {
    const Z = zone('A', [100, NaN_, 100, NaN_, 100, NaN_]);
    const p = planLoad(load(), [Z]);
    expect(p.reason).toBe('no-data');
    expect(p.runs).toEqual([{ startMs: at(0), endMs: at(2) }]);
    expect(p.emissionsG).toBeNaN();
    expect(p.degraded?.some((d) => /baseline/.test(d))).toBe(true);
  });

  it('prefers running at once when it ties the best (already-best)', () => {
    const flat = zone('A', [100, 100, 100, 100, 300, 300]);
    const p = planLoad(load({ baselineStartMs: at(2) }), [flat]);
    expect(p.reason).toBe('already-best');
    expect(p.runs).toEqual([{ startMs: at(2), endMs: at(4) }]);
    expect(p.savings.emissionsG).toBe(0);
    expect(planLoad(load(), [flat]).reason).toBe('already-best');
  });

  it('carries the zone’s degraded notes and sources', () => {
    const Z = zone('A', [300, 200, 100, 50, 150, 400], undefined, {
      degraded: ['annual average, no live data'],
    });
    expect(planLoad(load(), [Z]).degraded).toEqual(['annual average, no live data']);
  });
});

describe('planLoad: time and place', () => {
  const B = zone('B', [60, 60, 20, 500, 500, 500]);

  it('moves to the zone with the best window and keeps the home-zone baseline', () => {
    const p = planLoad(load({ zones: ['A', 'B'] }), [A, B]);
    expect(p.zone).toBe('B');
    // B: window at 01:00 = 60 + 20 = 80 -> 160 g
    expect(p.runs).toEqual([{ startMs: at(1), endMs: at(3) }]);
    expect(p.emissionsG).toBe(160);
    expect(p.baseline.zone).toBe('A');
    expect(p.baseline.emissionsG).toBe(1000);
    expect(p.savings.emissionsPct).toBe(84);
    expect(p.sources.carbon).toBe('test:B');
    // A's best is the first runner-up
    expect(p.alternatives[0]).toEqual({
      zone: 'A',
      runs: [{ startMs: at(2), endMs: at(4) }],
      emissionsG: 300,
    });
  });

  it('handles zones whose grids start at different times', () => {
    // B's grid starts at 02:00: its slot 0 is A's slot 2
    const late: ZoneSignals = {
      zone: 'B',
      carbon: { startMs: at(2), stepMin: 60, values: Float64Array.from([500, 500, 10, 10]) },
      carbonSource: 'test:B',
    };
    const p = planLoad(load({ zones: ['A', 'B'] }), [A, late]);
    expect(p.zone).toBe('B');
    expect(p.runs).toEqual([{ startMs: at(4), endMs: at(6) }]);
    expect(p.emissionsG).toBe(40);
  });

  it('aligns a price grid that starts earlier than its carbon grid', () => {
    const Z = zone('A', [100, 100, 100]);
    Z.price = { startMs: at(-1), stepMin: 60, values: Float64Array.from([9, 0.3, 0.1, 0.2]) };
    Z.currency = 'EUR';
    const p = planLoad(load({ durationMin: 60, deadlineMs: at(3), objective: { kind: 'cost' } }), [Z]);
    expect(p.runs).toEqual([{ startMs: at(1), endMs: at(2) }]);
    expect(p.cost).toBeCloseTo(0.2, 12);
    Z.price = { startMs: at(-0.5), stepMin: 60, values: Float64Array.from([1, 1, 1]) };
    expect(() => planLoad(load(), [Z])).toThrow(/not aligned/);
  });

  it('keeps the home zone on ties', () => {
    const A2 = zone('B', [300, 200, 100, 50, 150, 400]);
    expect(planLoad(load({ zones: ['A', 'B'] }), [A, A2]).zone).toBe('A');
    expect(planLoad(load({ zones: ['B', 'A'] }), [A, A2]).zone).toBe('B');
  });

  it('compares zones on one normaliser for weighted objectives', () => {
    // per-zone normalisation would score both at 1 and tie; on a shared scale B is half of A
    const X = zone('X', [200, 200], [0.2, 0.2]);
    const Y = zone('Y', [100, 100], [0.1, 0.1]);
    const p = planLoad(
      load({ durationMin: 60, deadlineMs: at(2), zones: ['X', 'Y'], objective: STRATEGIES.balanced }),
      [X, Y],
    );
    expect(p.zone).toBe('Y');
    expect(p.emissionsG).toBe(200);
    expect(p.cost).toBeCloseTo(0.2, 12);
    expect(p.currency).toBe('EUR');
  });

  it('leaves out zones priced in another currency for cost objectives', () => {
    const X = zone('X', [200, 200], [0.2, 0.2]);
    const Y = zone('Y', [100, 100], [0.01, 0.01], { currency: 'GBP' });
    const p = planLoad(
      load({ durationMin: 60, deadlineMs: at(2), zones: ['X', 'Y'], objective: { kind: 'cost' } }),
      [X, Y],
    );
    expect(p.zone).toBe('X');
    expect(p.degraded).toEqual(['Y prices are in GBP, not EUR; left out']);
  });

  it('plans for carbon, flagged, when a cost objective has no prices at all', () => {
    const p = planLoad(load({ objective: { kind: 'cost' } }), [A]);
    expect(p.objective).toBe('carbon');
    expect(p.runs).toEqual([{ startMs: at(2), endMs: at(4) }]);
    expect(p.degraded).toEqual(['no price signal: planned for carbon instead of cost']);
  });
});

describe('planLoad: objectives and caps', () => {
  const carbon = [100, 400, 200, 300];
  const price = [0.3, 0.1, 0.2, 0.25];
  const P = zone('P', carbon, price);
  const one = (over: Partial<LoadSpec>) =>
    load({ durationMin: 60, powerKw: 1, deadlineMs: at(4), zones: ['P'], ...over });

  it('cost objective takes the cheapest slot and reports cost and savings', () => {
    const p = planLoad(one({ objective: { kind: 'cost' } }), [P]);
    expect(p.runs).toEqual([{ startMs: at(1), endMs: at(2) }]);
    expect(p.cost).toBeCloseTo(0.1, 12);
    expect(p.emissionsG).toBe(400);
    expect(p.baseline.cost).toBeCloseTo(0.3, 12);
    expect(p.savings.cost).toBeCloseTo(0.2, 12);
    expect(p.savings.costPct).toBeCloseTo(66.6667, 3);
    expect(p.savings.emissionsPct).toBe(-300);
    expect(p.sources).toEqual({ carbon: 'test:P', price: 'test-price:P' });
  });

  it('a weighted objective can differ from carbon-only', () => {
    const W = zone('W', [100, 110], [0.4, 0.1]);
    const l = load({ durationMin: 60, deadlineMs: at(2), zones: ['W'] });
    expect(planLoad(l, [W]).runs[0].startMs).toBe(at(0));
    const b = planLoad({ ...l, objective: STRATEGIES.balanced }, [W]);
    expect(b.runs[0].startMs).toBe(at(1));
    expect(b.objective).toBe('balanced');
  });

  it('cheapest plan under a carbon cap', () => {
    const p = planLoad(one({ objective: { kind: 'cost' }, carbonCapG: 250 }), [P]);
    expect(p.runs).toEqual([{ startMs: at(2), endMs: at(3) }]);
    expect(p.emissionsG).toBe(200);
    expect(p.capExceeded).toBeUndefined();
    // runner-ups also meet the cap: only slot 0 (100 g) is left
    expect(p.alternatives.map((a) => a.emissionsG)).toEqual([100]);
  });

  it('lowest-emission plan, flagged, when nothing meets the cap', () => {
    const p = planLoad(one({ objective: { kind: 'cost' }, carbonCapG: 50 }), [P]);
    expect(p.runs).toEqual([{ startMs: at(0), endMs: at(1) }]);
    expect(p.emissionsG).toBe(100);
    expect(p.capExceeded).toBe(true);
  });

  it('interruptible cost plan under a cap', () => {
    const l = one({ durationMin: 120, interruptible: true, objective: { kind: 'cost' } });
    expect(planLoad(l, [P]).slots).toEqual([at(1), at(2)]);
    const capped = planLoad({ ...l, carbonCapG: 300 }, [P]);
    expect(capped.slots).toEqual([at(0), at(2)]);
    expect(capped.runs).toEqual([
      { startMs: at(0), endMs: at(1) },
      { startMs: at(2), endMs: at(3) },
    ]);
    expect(capped.cost).toBeCloseTo(0.5, 12);
    expect(capped.emissionsG).toBe(300);
  });

  it('with a carbon objective the cap is only checked', () => {
    expect(planLoad(one({ carbonCapG: 50 }), [P]).capExceeded).toBe(true);
    expect(planLoad(one({ carbonCapG: 100 }), [P]).capExceeded).toBeUndefined();
  });
});

describe('planLoad: interruptible', () => {
  const I = zone('I', [10, 10, 500, 10, 500, 10, 10, 500]);
  const l = load({ durationMin: 240, powerKw: 1, deadlineMs: at(8), zones: ['I'], interruptible: true });

  it('takes the cheapest slots, as maximal pieces', () => {
    const p = planLoad(l, [I]);
    expect(p.slots).toEqual([at(0), at(1), at(3), at(5)]);
    expect(p.runs).toEqual([
      { startMs: at(0), endMs: at(2) },
      { startMs: at(3), endMs: at(4) },
      { startMs: at(5), endMs: at(6) },
    ]);
    expect(p.emissionsG).toBe(40);
    expect(p.baseline.emissionsG).toBe(530);
    // the best unbroken window is offered as a runner-up
    expect(p.alternatives[0]).toEqual({
      zone: 'I',
      runs: [{ startMs: at(0), endMs: at(4) }],
      emissionsG: 530,
    });
  });

  it('honours the shortest piece and the most pieces', () => {
    const p = planLoad({ ...l, minPieceMin: 120 }, [I]);
    expect(p.runs).toEqual([
      { startMs: at(0), endMs: at(2) },
      { startMs: at(5), endMs: at(7) },
    ]);
    const one = planLoad({ ...l, maxPieces: 1 }, [I]);
    expect(one.runs).toEqual([{ startMs: at(0), endMs: at(4) }]);
    expect(one.reason).toBe('already-best');
  });
});

describe('planLoad: bad input', () => {
  it('names the problem', () => {
    expect(() => planLoad(load({ zones: ['Q'] }), [A])).toThrow(InputError);
    expect(() => planLoad(load({ zones: ['Q'] }), [A])).toThrow(/zone Q/);
    expect(() => planLoad(load({ deadlineMs: at(-1) }), [A])).toThrow(/deadline is before/);
    expect(() => planLoad(load({ durationMin: 0 }), [A])).toThrow(/durationMin/);
    expect(() => planLoad(load(), [A], { stepMin: 30 })).toThrow(/60-minute grid, expected 30/);
    expect(() => planLoad(load({ maxPieces: 0 }), [A])).toThrow(/maxPieces/);
  });
});

describe('planMany', () => {
  it('equals planLoad load by load (property)', () => {
    const n = 48;
    const series = fc.array(
      fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 800 }) },
        { weight: 1, arbitrary: fc.constant(NaN_) },
      ),
      {
        minLength: n,
        maxLength: n,
      },
    );
    const prices = fc.array(
      fc.integer({ min: -5, max: 60 }).map((x) => x / 100),
      { minLength: n, maxLength: n },
    );
    const loadArb = fc.record({
      earliest: fc.integer({ min: -2, max: 47 }),
      span: fc.integer({ min: 0, max: 30 }),
      durationMin: fc.integer({ min: 1, max: 400 }),
      interruptible: fc.boolean(),
      minPieceMin: fc.option(fc.integer({ min: 30, max: 180 }), { nil: undefined }),
      maxPieces: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      zones: fc.shuffledSubarray(['A', 'B', 'C'], { minLength: 1 }),
      objective: fc.constantFrom(undefined, { kind: 'cost' } as const, STRATEGIES.balanced),
      cap: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        series,
        series,
        series,
        prices,
        prices,
        fc.array(loadArb, { minLength: 1, maxLength: 12 }),
        (a, b, c, pa, pb, specs) => {
          const signals = [zone('A', a, pa), zone('B', b, pb), zone('C', c)];
          const loads: LoadSpec[] = specs.map((s, i) => ({
            id: `l${i}`,
            durationMin: s.durationMin,
            powerKw: 1.5,
            earliestMs: at(s.earliest),
            deadlineMs: at(s.earliest + s.span),
            interruptible: s.interruptible,
            minPieceMin: s.minPieceMin,
            maxPieces: s.maxPieces,
            zones: s.zones,
            objective: s.objective,
            carbonCapG: s.cap,
          }));
          const many = planMany(loads, signals);
          expect(many).toEqual(loads.map((l) => planLoad(l, signals)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never emits more than run-now under a carbon objective when run-now is allowed (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 800 }), { minLength: 24, maxLength: 24 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 30, max: 300 }),
        fc.boolean(),
        (values, earliest, span, durationMin, interruptible) => {
          const l = load({
            earliestMs: at(earliest),
            deadlineMs: at(earliest + span),
            durationMin,
            interruptible,
            zones: ['A'],
          });
          const p = planLoad(l, [zone('A', values)]);
          expect(p.emissionsG).toBeLessThanOrEqual(p.baseline.emissionsG);
          expect(p.savings.emissionsG).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
