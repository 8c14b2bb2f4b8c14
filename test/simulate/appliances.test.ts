import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { parseDevicesFile, simulateAppliances } from '../../src/simulate/appliances.ts';

const DAY = Date.parse('2026-06-01T00:00:00Z'); // a Monday
const hourly = (days: number, f: (h: number) => number) => ({
  startMs: DAY,
  stepMin: 60,
  values: Float64Array.from({ length: 24 * days }, (_, i) => f(i)),
});

describe('simulateAppliances', () => {
  const file = parseDevicesFile({
    timeZone: 'UTC',
    appliances: [{ name: 'dishwasher', powerKw: 1, runMin: 60, startsAt: '18:00', latestEnd: '23:00' }],
  });
  // carbon 400 at 18:00-20:00 each day, 100 otherwise; price 0.30 at 18:00-20:00, 0.10 otherwise
  const peak = (i: number) => i % 24 >= 18 && i % 24 < 20;
  const carbon = hourly(2, (i) => (peak(i) ? 400 : 100));
  const price = hourly(2, (i) => (peak(i) ? 0.3 : 0.1));

  it('starts each run when the penalty falls to the threshold, against starting at once', () => {
    const r = simulateAppliances(file, { carbon, price });
    // two days, one run each: at once 18:00 (400 g, 0.30); the penalty at 20:00 is 100/400 and 0.1/0.3
    expect(r.atOnce).toMatchObject({ runs: 2, energyKwh: 2, emissionsG: 800, delayedRuns: 0 });
    expect(r.atOnce.cost).toBeCloseTo(0.6, 12);
    for (const s of ['eco', 'max_savings', 'balanced'] as const) {
      expect(r.byStrategy[s]).toMatchObject({
        runs: 2,
        delayedRuns: 2,
        forcedRuns: 0,
        meanDelayMin: 120,
        emissionsG: 200,
      });
      expect(r.byStrategy[s].cost).toBeCloseTo(0.2, 12);
      expect(r.byStrategy[s].savedEmissionsPct).toBeCloseTo(75, 9);
    }
  });

  it('starts by hand at the last moment a run held too long (the household overrides)', () => {
    const flat = hourly(2, () => 0.2); // a flat price has the penalty 1 everywhere: above 0.6
    const r = simulateAppliances(file, { carbon, price: flat }, { strategies: ['max_savings'] });
    // latest end 23:00, one hour to run: started at 22:00
    expect(r.byStrategy.max_savings).toMatchObject({ forcedRuns: 2, meanDelayMin: 240, emissionsG: 200 });
  });

  it('runs only on the days asked, and leaves out runs without signals', () => {
    const weekends = parseDevicesFile({
      appliances: [
        { name: 'washer', powerKw: 2, runMin: 90, startsAt: '09:00', latestEnd: '18:00', days: 'weekends' },
      ],
    });
    const week = { carbon: hourly(7, () => 100), price: hourly(7, () => 0.1) };
    expect(simulateAppliances(weekends, week).atOnce.runs).toBe(2); // Saturday and Sunday
    week.price.values[24 * 5 + 9] = Number.NaN; // Saturday 09:00
    const r = simulateAppliances(weekends, week);
    expect([r.atOnce.runs, r.skippedRuns]).toEqual([1, 1]);
    // 90 minutes: a whole hourly slot and half the next
    expect(r.atOnce.energyKwh).toBe(3);
  });

  it('names the field of a bad devices file', () => {
    expect(() => parseDevicesFile({ appliances: [] })).toThrow(/^appliances: give at least one/);
    expect(() =>
      parseDevicesFile({
        appliances: [{ name: 'x', powerKw: 1, runMin: 60, startsAt: '7pm', latestEnd: '23:00' }],
      }),
    ).toThrow(/^appliances\[0\]\.startsAt: must be a time of day/);
    expect(() =>
      parseDevicesFile({
        timeZone: 'Mars/Base',
        appliances: [{ name: 'x', powerKw: 1, runMin: 60, startsAt: '19:00', latestEnd: '23:00' }],
      }),
    ).toThrow(InputError);
  });
});
