import { describe, expect, it } from 'vitest';
import type { LoadSpec, ZoneSignals } from '../../src/core/load.ts';
import { explainPlan, planToJson } from '../../src/planner/explain.ts';
import { planLoad } from '../../src/planner/plan.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z'); // a Monday
const H = 3_600_000;
const at = (h: number) => T0 + h * H;

function zone(code: string, carbon: number[], price?: number[]): ZoneSignals {
  return {
    zone: code,
    carbon: { startMs: T0, stepMin: 60, values: Float64Array.from(carbon) },
    carbonSource: 'electricitymaps',
    ...(price
      ? {
          price: { startMs: T0, stepMin: 60, values: Float64Array.from(price) },
          priceSource: 'entsoe',
          currency: 'EUR',
        }
      : {}),
  };
}

const load: LoadSpec = {
  id: 'backup',
  durationMin: 120,
  powerKw: 2,
  earliestMs: at(0),
  deadlineMs: at(6),
  zones: ['DE', 'FR'],
};
const DE = zone('DE', [300, 200, 100, 50, 150, 400], [0.3, 0.2, 0.1, 0.1, 0.2, 0.3]);
const FR = zone('FR', [300, 300, 300, 300, 300, 300]);

describe('explainPlan', () => {
  it('reads the window, expectations, baseline, savings, why and runner-ups', () => {
    const lines = explainPlan(planLoad(load, [DE, FR]));
    expect(lines[0]).toBe('Run backup in DE Mon 1 Jan 02:00–04:00 (UTC)');
    expect(lines[1]).toBe('Expected: 300 g CO2eq for 4 kWh, cost €0.40');
    expect(lines[2]).toBe('Run now: Mon 1 Jan 00:00–02:00 in DE: 1 kg CO2eq, cost €1.00');
    expect(lines[3]).toBe('Saves: 700 g CO2eq (70%) and €0.60 (60%)');
    expect(lines[4]).toBe(
      'Why: the lowest-carbon window between the earliest start and the deadline across 2 zones',
    );
    expect(lines[5]).toBe('Alternatives:');
    expect(lines[6]).toBe('  1. DE Mon 1 Jan 00:00–02:00: 1 kg CO2eq (+700 g), cost €1.00');
    expect(lines.at(-1)).toBe('Signals: carbon from electricitymaps, price from entsoe');
  });

  it('shows local time in the given time zone', () => {
    const lines = explainPlan(planLoad(load, [DE, FR]), { timeZone: 'Europe/Berlin' });
    expect(lines[0]).toBe('Run backup in DE Mon 1 Jan 03:00–05:00 (Europe/Berlin)');
  });

  it('says why it runs at once, pieces, caps and degraded sources', () => {
    const noRoom = explainPlan(planLoad({ ...load, deadlineMs: at(1) }, [DE, FR]));
    expect(noRoom[0]).toMatch(/^Run backup at once in DE/);
    expect(noRoom.find((l) => l.startsWith('Why:'))).toMatch(/shorter than the run/);

    const pieces = explainPlan(
      planLoad({ ...load, zones: ['DE'], interruptible: true, carbonCapG: 100 }, [DE]),
    );
    expect(pieces[0]).toBe('Run backup in DE Mon 1 Jan 02:00–04:00 (UTC)');
    expect(pieces.find((l) => l.startsWith('Why:'))).toMatch(/no plan meets the carbon cap of 100 g/);

    const split = zone('DE', [10, 500, 10, 500]);
    const p = planLoad({ ...load, zones: ['DE'], deadlineMs: at(4), interruptible: true }, [
      { ...split, degraded: ['forecast missing: persistence used'] },
    ]);
    const lines = explainPlan(p);
    expect(lines[0]).toBe('Run backup in DE in 2 pieces: Mon 1 Jan 00:00–01:00, Mon 1 Jan 02:00–03:00 (UTC)');
    expect(lines).toContain('Degraded: forecast missing: persistence used');
  });
});

describe('planToJson', () => {
  it('gives ISO times and nulls for unknown numbers', () => {
    const j = planToJson(planLoad(load, [DE, FR]));
    expect(j).toMatchObject({
      id: 'backup',
      zone: 'DE',
      objective: 'carbon',
      reason: 'best-window',
      runs: [{ start: '2024-01-01T02:00:00Z', end: '2024-01-01T04:00:00Z' }],
      emissionsG: 300,
      currency: 'EUR',
      baseline: {
        zone: 'DE',
        runs: [{ start: '2024-01-01T00:00:00Z', end: '2024-01-01T02:00:00Z' }],
        emissionsG: 1000,
      },
      savings: { emissionsG: 700, emissionsPct: 70 },
      sources: { carbon: 'electricitymaps', price: 'entsoe' },
    });
    expect(j.cost).toBeCloseTo(0.4, 12);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);

    const empty = zone('DE', [Number.NaN, Number.NaN, Number.NaN]);
    const nd = planToJson(planLoad({ ...load, zones: ['DE'], deadlineMs: at(3) }, [empty]));
    expect(nd.reason).toBe('no-data');
    expect(nd.emissionsG).toBeNull();
    expect(nd.savings.emissionsPct).toBeNull();
  });
});
