import { describe, expect, it } from 'vitest';
import { parseObjective, STRATEGIES } from '../../src/core/objective.ts';
import { normaliseByDailyMax, slotScores } from '../../src/planner/objectives.ts';

const day = Date.parse('2024-01-01T00:00:00Z');

describe('objectives', () => {
  it('parses names, strategies and weights', () => {
    expect(parseObjective('carbon')).toEqual({ kind: 'carbon' });
    expect(parseObjective('max-savings')).toEqual({ kind: 'cost' });
    expect(parseObjective('balanced')).toEqual({ kind: 'weighted', carbonWeight: 0.3, costWeight: 0.7 });
    expect(parseObjective('weights:1,2')).toEqual({ kind: 'weighted', carbonWeight: 1, costWeight: 2 });
    expect(() => parseObjective('greenest')).toThrow(/greenest/);
    expect(() => parseObjective('weights:0,0')).toThrow(/weights/);
  });

  it('normalises by the maximum of each UTC day', () => {
    // 12-hour slots: two per day
    const out = normaliseByDailyMax([100, 200, 50, 25], day, 720);
    expect(Array.from(out)).toEqual([0.5, 1, 1, 0.5]);
  });

  it('balanced = 0.7 normalised price + 0.3 normalised carbon', () => {
    const s = slotScores(STRATEGIES.balanced, {
      startMs: day,
      stepMin: 720,
      carbon: [100, 200],
      price: [0.3, 0.1],
    });
    expect(s[0]).toBeCloseTo(0.3 * 0.5 + 0.7 * 1, 12);
    expect(s[1]).toBeCloseTo(0.3 * 1 + 0.7 * (0.1 / 0.3), 12);
  });

  it('refuses a cost objective without prices', () => {
    expect(() => slotScores({ kind: 'cost' }, { startMs: day, stepMin: 60, carbon: [1] })).toThrow(/price/);
  });
});
