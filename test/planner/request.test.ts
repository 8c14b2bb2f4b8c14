import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_MIN } from '../../src/core/limits.ts';
import type { ZoneSignals } from '../../src/core/load.ts';
import { parseLoadInput } from '../../src/core/load-input.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { whyText } from '../../src/planner/explain.ts';
import {
  fitRuns,
  type PlanningRequest,
  planningRange,
  planRequest,
  requestFromInput,
} from '../../src/planner/request.ts';

const T0 = Date.UTC(2025, 5, 2, 6, 0);

describe('fitting planner slots to the real load', () => {
  it('starts a load planned in the current slot now, and cuts the slots to its duration', () => {
    const runs = [{ startMs: T0, endMs: T0 + HOUR_MS }];
    expect(fitRuns(runs, T0 + 10 * MINUTE_MS, 45 * MINUTE_MS, false)).toEqual([
      { startMs: T0 + 10 * MINUTE_MS, endMs: T0 + 55 * MINUTE_MS },
    ]);
    // a later window is kept as planned
    expect(fitRuns([{ startMs: T0 + HOUR_MS, endMs: T0 + 2 * HOUR_MS }], T0, 45 * MINUTE_MS, false)).toEqual([
      { startMs: T0 + HOUR_MS, endMs: T0 + HOUR_MS + 45 * MINUTE_MS },
    ]);
  });

  it('shifts pieces of an interruptible load that would start before now, merging what then touches', () => {
    const runs = [
      { startMs: T0, endMs: T0 + 30 * MINUTE_MS },
      { startMs: T0 + 30 * MINUTE_MS + 0, endMs: T0 + 60 * MINUTE_MS },
      { startMs: T0 + 2 * HOUR_MS, endMs: T0 + 2.5 * HOUR_MS },
    ];
    expect(fitRuns(runs, T0 + 5 * MINUTE_MS, 80 * MINUTE_MS, true)).toEqual([
      { startMs: T0 + 5 * MINUTE_MS, endMs: T0 + 65 * MINUTE_MS },
      { startMs: T0 + 2 * HOUR_MS, endMs: T0 + 2 * HOUR_MS + 20 * MINUTE_MS },
    ]);
  });

  it('never starts before now, keeps order, and lasts exactly the duration', () => {
    const slot = 30 * MINUTE_MS;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 47 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: slot - 1 }),
        fc.boolean(),
        (slots, offset, interruptible) => {
          const sorted = [...slots].sort((a, b) => a - b);
          const runs = sorted.map((i) => ({ startMs: T0 + i * slot, endMs: T0 + (i + 1) * slot }));
          const durationMs = Math.max(1, sorted.length * slot - offset - 1);
          const startFrom = T0 + sorted[0] * slot + offset;
          const fitted = fitRuns(runs, startFrom, durationMs, interruptible);
          expect(fitted[0].startMs).toBeGreaterThanOrEqual(startFrom);
          expect(fitted.reduce((s, r) => s + r.endMs - r.startMs, 0)).toBe(durationMs);
          for (let i = 1; i < fitted.length; i++)
            expect(fitted[i].startMs).toBeGreaterThan(fitted[i - 1].endMs);
          if (!interruptible) expect(fitted).toHaveLength(1);
        },
      ),
    );
  });
});

/** `input` read by the schema, then prepared at `nowMs`; the InputError's message when refused. */
function prepared(input: Record<string, unknown>, nowMs = T0): PlanningRequest | string {
  try {
    return requestFromInput(parseLoadInput(input), nowMs);
  } catch (err) {
    return (err as Error).message;
  }
}

const base = { name: 'job', zones: ['DE'], durationMin: 90, powerKw: 1.5 };

describe('a load request: bounds', () => {
  it('refuses a deadline past the longest planning window, naming the field and the limit', () => {
    expect(prepared({ ...base, deadline: '9999-12-31T00:00:00Z' })).toMatch(
      /^deadline: 9999-12-31T00:00:00Z is \d+ days after now; the planning window may be at most 60 days$/,
    );
    const limit = T0 + MAX_WINDOW_MIN * MINUTE_MS;
    expect(prepared({ ...base, deadline: new Date(limit).toISOString() })).toMatchObject({
      deadlineMs: limit,
    });
    expect(prepared({ ...base, deadline: new Date(limit + MINUTE_MS).toISOString() })).toMatch(
      /^deadline: .* is 60 days after now; the planning window may be at most 60 days$/,
    );
    // the window counts from the earliest start when that is later than now
    const earliest = T0 + 10 * DAY_MS;
    expect(
      prepared({
        ...base,
        earliest: new Date(earliest).toISOString(),
        deadline: new Date(earliest + 61 * DAY_MS).toISOString(),
      }),
    ).toMatch(/is 61 days after the earliest start; the planning window may be at most 60 days$/);
  });

  it('refuses an earliest start more than a year away, either way', () => {
    expect(prepared({ ...base, earliest: '2027-06-02T06:00:00Z' })).toMatch(
      /^earliest: 2027-06-02T06:00:00Z is 730 days after now; times may be at most 366 days from now$/,
    );
    expect(prepared({ ...base, earliest: '0001-01-01T00:00:00Z', deadline: '2025-06-03T00:00:00Z' })).toMatch(
      /^earliest: 0001-01-01T00:00:00Z is \d+ days before now/,
    );
    // a past earliest start within the year is now
    expect(
      prepared({ ...base, earliest: '2025-05-01T00:00:00Z', deadline: '2025-06-02T12:00:00Z' }),
    ).toMatchObject({ baselineStartMs: T0 });
  });

  it('bounds every number and string of the schema', () => {
    const problem = (input: Record<string, unknown>) => {
      const r = parseLoadInput.bind(null, input);
      try {
        r();
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(problem({ ...base, durationMin: 30 * 1440 + 1 })).toMatch(/^durationMin: Too big/);
    expect(problem({ ...base, maxDelayMin: 30 * 1440 + 1 })).toMatch(/^maxDelayMin: Too big/);
    expect(problem({ ...base, interruptible: true, maxPieces: 10_001 })).toMatch(/^maxPieces: Too big/);
    expect(problem({ ...base, interruptible: true, minPieceMin: 1e12 })).toMatch(/^minPieceMin: Too big/);
    expect(problem({ ...base, carbonCapG: 1e300 })).toMatch(/^carbonCapG: Too big/);
    expect(problem({ ...base, objective: 'x'.repeat(65) })).toMatch(/^objective: Too big/);
    expect(problem({ ...base, dispatch: { kind: 'shell', command: 'x'.repeat(65_537) } })).toMatch(
      /^dispatch\.command: /,
    );
    const env = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`V${i}`, 'x']));
    expect(problem({ ...base, dispatch: { kind: 'shell', command: 'x', env } })).toBe(
      'dispatch.env: at most 256 environment variables',
    );
    expect(
      problem({ ...base, dispatch: { kind: 'mqtt', topic: 't', payload: { big: 'x'.repeat(70_000) } } }),
    ).toBe('dispatch.payload: payload may be at most 64 KiB as JSON');
    expect(problem({ ...base, recurrence: { cron: 'x'.repeat(257), flexMin: 0 } })).toMatch(
      /^recurrence\.cron: Too big/,
    );
  });
});

describe('a load request: duration, power and energy', () => {
  it('takes any two of the three, and refuses one or all three', () => {
    // 20 kWh at 7 kW: 171.4 minutes, rounded up to 172; the power spreads the energy exactly over them
    const ev = prepared({ name: 'ev', zones: ['GB'], energyKwh: 20, powerKw: 7 }) as PlanningRequest;
    expect(ev.durationMin).toBe(172);
    expect((ev.powerKw * ev.durationMin) / 60).toBeCloseTo(20, 12);
    const byEnergy = prepared({ name: 'x', zones: ['DE'], durationMin: 30, energyKwh: 3 }) as PlanningRequest;
    expect(byEnergy.powerKw).toBeCloseTo(6, 12);
    expect(prepared({ ...base, energyKwh: 3 })).toBe(
      'energyKwh: give two of durationMin, powerKw and energyKwh, not all three: the third follows from them',
    );
    expect(prepared({ name: 'x', zones: ['DE'], durationMin: 30 })).toBe(
      'powerKw: give two of durationMin, powerKw and energyKwh (e.g. durationMin and powerKw)',
    );
    expect(prepared({ name: 'x', zones: ['DE'], powerKw: 1 })).toBe(
      'durationMin: give two of durationMin, powerKw and energyKwh (e.g. durationMin and powerKw)',
    );
  });

  it('refuses a run time that cannot be worked out or is too long', () => {
    expect(prepared({ name: 'x', zones: ['DE'], powerKw: 0, energyKwh: 3 })).toBe(
      'powerKw: must be greater than 0 to work out the run time from energyKwh',
    );
    expect(prepared({ name: 'x', zones: ['DE'], powerKw: 1, energyKwh: 0 })).toBe(
      'energyKwh: must be greater than 0 to work out the run time',
    );
    // 1,000 kWh at 1 kW is 41.7 days
    expect(prepared({ name: 'x', zones: ['DE'], powerKw: 1, energyKwh: 1000, interruptible: true })).toBe(
      'energyKwh: at 1 kW the run would take 42 days, longer than the 30 days a load may run',
    );
  });
});

/** A flat series of `values` on a 30-minute grid from `startMs`. */
function flat(zone: string, startMs: number, values: number[]): ZoneSignals {
  return {
    zone,
    carbon: { startMs, stepMin: 30, values: Float64Array.from(values) },
    carbonSource: 'test',
  };
}

describe('planning a request', () => {
  it('a window shorter than a planning slot runs at once, and says why truthfully', () => {
    const now = T0 + 7 * MINUTE_MS;
    const req = prepared(
      {
        name: 'quick',
        zones: ['DE'],
        durationMin: 1,
        powerKw: 1,
        deadline: new Date(now + 10 * MINUTE_MS).toISOString(),
      },
      now,
    ) as PlanningRequest;
    const { fromMs, toMs } = planningRange(req, now, 30);
    expect([fromMs, toMs]).toEqual([T0, T0 + 30 * MINUTE_MS]);
    const plan = planRequest(req, [flat('DE', fromMs, [300])], { nowMs: now, stepMin: 30 });
    expect(plan.runs).toEqual([{ startMs: now, endMs: now + MINUTE_MS }]);
    expect(plan.reason).toBe('no-room');
    expect(whyText(plan)).toBe(
      'the time to the deadline leaves no other start on the 30-minute planning grid, so it runs at once',
    );
    // 300 g/kWh for 1 kWh/60
    expect(plan.emissionsG).toBeCloseTo(5, 12);
  });

  it('asks for signals over the longest planning window at most, whatever a stored deadline says', () => {
    // a load stored before the bound existed, with a deadline thousands of years away
    const stored: PlanningRequest = {
      name: 'old',
      zones: ['DE'],
      durationMin: 60,
      powerKw: 1,
      earliestMs: T0,
      deadlineMs: Date.parse('9999-12-31T00:00:00Z'),
      baselineStartMs: T0 - 400 * DAY_MS,
      interruptible: false,
      objective: { kind: 'carbon' },
    };
    const { fromMs, toMs } = planningRange(stored, T0, 30);
    expect(fromMs).toBe(T0 - MAX_WINDOW_MIN * MINUTE_MS);
    expect(toMs).toBe(T0 + MAX_WINDOW_MIN * MINUTE_MS);
    const slots = (toMs - fromMs) / (30 * MINUTE_MS);
    const plan = planRequest(
      stored,
      [
        flat(
          'DE',
          fromMs,
          Array.from({ length: slots }, (_, i) => 100 + (i % 48)),
        ),
      ],
      {
        nowMs: T0,
        stepMin: 30,
      },
    );
    expect(plan.runs[0].startMs).toBeGreaterThanOrEqual(T0);
    expect(plan.runs[0].endMs).toBeLessThanOrEqual(toMs);
  });

  it('runs lie between now and the deadline and last the duration (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 0, max: 600 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 50, max: 500 }), { minLength: 48, maxLength: 48 }),
        (durationMin, offsetMin, slackMin, interruptible, values) => {
          const now = T0 + offsetMin * MINUTE_MS;
          const deadlineMs = now + (durationMin + slackMin) * MINUTE_MS;
          const req = prepared(
            {
              name: 'p',
              zones: ['DE'],
              durationMin,
              powerKw: 2,
              deadline: new Date(deadlineMs).toISOString(),
              ...(interruptible ? { interruptible: true } : {}),
            },
            now,
          ) as PlanningRequest;
          const { fromMs, toMs } = planningRange(req, now, 30);
          const n = (toMs - fromMs) / (30 * MINUTE_MS);
          const series = Array.from({ length: n }, (_, i) => values[i % 48]);
          const plan = planRequest(req, [flat('DE', fromMs, series)], { nowMs: now, stepMin: 30 });
          const total = plan.runs.reduce((s, r) => s + r.endMs - r.startMs, 0);
          expect(total).toBe(durationMin * MINUTE_MS);
          expect(plan.runs[0].startMs).toBeGreaterThanOrEqual(now);
          expect(plan.runs[plan.runs.length - 1].endMs).toBeLessThanOrEqual(deadlineMs);
          if (!interruptible) expect(plan.runs).toHaveLength(1);
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });
});
