import { describe, expect, it } from 'vitest';
import {
  ADHOC_ZONES,
  adhocWorkload,
  createRng,
  mlWorkload,
  nightlyWorkload,
  toJsonLines,
  type WorkloadRecord,
  workloadFromArgs,
} from '../../bench/workloads.ts';
import { parseWorkload } from '../../src/simulate/workload.ts';

const MIN = 60_000;
const ms = (iso: string) => Date.parse(iso);

function checkWindows(loads: WorkloadRecord[], year: number): void {
  const from = Date.UTC(year, 0, 1);
  const to = Date.UTC(year + 1, 0, 1);
  for (const l of loads) {
    expect(ms(l.earliest)).toBeGreaterThanOrEqual(ms(l.submit));
    expect(ms(l.deadline)).toBeGreaterThanOrEqual(ms(l.earliest) + l.durationMin * MIN);
    expect(ms(l.baselineStart)).toBeGreaterThanOrEqual(ms(l.earliest));
    expect(ms(l.baselineStart) + l.durationMin * MIN).toBeLessThanOrEqual(ms(l.deadline));
    expect(ms(l.submit)).toBeGreaterThanOrEqual(from);
    expect(ms(l.deadline)).toBeLessThanOrEqual(to);
  }
}

describe('createRng', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = createRng(1);
    const b = createRng(1);
    const c = createRng(2);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws in range and covers the range roughly evenly', () => {
    const r = createRng(42);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      counts[r.int(0, 5)]++;
    }
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('rejects a seed that is not an integer', () => {
    expect(() => createRng(1.5)).toThrow(/seed/);
  });
});

describe('nightlyWorkload', () => {
  it('has one job a day with a window from 17:00 the day before to 09:30', () => {
    const loads = nightlyWorkload({ year: 2020, zones: ['GB'] });
    expect(loads).toHaveLength(366); // leap year
    expect(nightlyWorkload({ year: 2023 })).toHaveLength(365);
    expect(loads[10]).toEqual({
      id: 'nightly-2020-01-11',
      submit: '2020-01-10T17:00:00Z',
      earliest: '2020-01-10T17:00:00Z',
      deadline: '2020-01-11T09:30:00Z',
      baselineStart: '2020-01-11T01:00:00Z',
      durationMin: 30,
      powerKw: 1,
      interruptible: false,
      zones: ['GB'],
    });
    // the first window starts with the year, not the day before
    expect(loads[0].earliest).toBe('2020-01-01T00:00:00Z');
    expect(loads[365].baselineStart).toBe('2020-12-31T01:00:00Z');
    checkWindows(loads, 2020);
  });
});

describe('mlWorkload', () => {
  const opts = { year: 2020, seed: 3, count: 200, zones: ['DE'] };

  it('is deterministic by seed', () => {
    expect(mlWorkload(opts)).toEqual(mlWorkload(opts));
    expect(mlWorkload({ ...opts, seed: 4 })).not.toEqual(mlWorkload(opts));
  });

  it('submits on workdays between 09:00 and 16:30 UTC, in order', () => {
    const loads = mlWorkload(opts);
    expect(loads).toHaveLength(200);
    expect(loads.map((l) => l.id)).toEqual(loads.map((_, i) => `ml-${i + 1}`));
    for (let i = 0; i < loads.length; i++) {
      const d = new Date(loads[i].submit);
      expect([1, 2, 3, 4, 5]).toContain(d.getUTCDay());
      const minuteOfDay = d.getUTCHours() * 60 + d.getUTCMinutes();
      expect(minuteOfDay).toBeGreaterThanOrEqual(9 * 60);
      expect(minuteOfDay).toBeLessThanOrEqual(16 * 60 + 30);
      expect(minuteOfDay % 30).toBe(0);
      if (i > 0) expect(ms(loads[i].submit)).toBeGreaterThanOrEqual(ms(loads[i - 1].submit));
    }
  });

  it('draws 4..89.5 h durations and 12..72 h of slack, half interruptible', () => {
    const loads = mlWorkload({ ...opts, count: 501 });
    for (const l of loads) {
      expect(l.durationMin % 30).toBe(0);
      expect(l.durationMin).toBeGreaterThanOrEqual(240);
      expect(l.durationMin).toBeLessThanOrEqual(5370);
      const slackMin = (ms(l.deadline) - ms(l.earliest)) / MIN - l.durationMin;
      expect(slackMin).toBeGreaterThanOrEqual(12 * 60);
      expect(slackMin).toBeLessThanOrEqual(72 * 60);
      expect(l.baselineStart).toBe(l.submit);
    }
    expect(loads.filter((l) => l.interruptible)).toHaveLength(251);
    expect(mlWorkload({ ...opts, interruptibleShare: 0 }).some((l) => l.interruptible)).toBe(false);
    checkWindows(loads, 2020);
  });

  it('keeps every window inside the year', () => {
    checkWindows(mlWorkload({ year: 2023, seed: 9, count: 300 }), 2023);
  });

  it('rejects bad options', () => {
    expect(() => mlWorkload({ ...opts, count: -1 })).toThrow(/count/);
    expect(() => mlWorkload({ ...opts, zones: [] })).toThrow(/zones/);
    expect(() => mlWorkload({ ...opts, interruptibleShare: 2 })).toThrow(/interruptibleShare/);
    expect(() => mlWorkload({ ...opts, year: 20.5 })).toThrow(/year/);
  });
});

describe('adhocWorkload', () => {
  const opts = { year: 2023, seed: 11, count: 300 };

  it('is deterministic by seed and has the asked count', () => {
    const a = adhocWorkload(opts);
    expect(a).toHaveLength(300);
    expect(adhocWorkload(opts)).toEqual(a);
    expect(adhocWorkload({ ...opts, seed: 12 })).not.toEqual(a);
  });

  it('draws 15 min..8 h, 0..24 h slack and 1-3 distinct zones from the list', () => {
    const loads = adhocWorkload(opts);
    const sizes = new Set<number>();
    for (const l of loads) {
      expect(Number.isInteger(l.durationMin)).toBe(true);
      expect(l.durationMin).toBeGreaterThanOrEqual(15);
      expect(l.durationMin).toBeLessThanOrEqual(480);
      const slackMin = (ms(l.deadline) - ms(l.earliest)) / MIN - l.durationMin;
      expect(slackMin).toBeGreaterThanOrEqual(0);
      expect(slackMin).toBeLessThanOrEqual(24 * 60);
      expect(l.zones.length).toBeGreaterThanOrEqual(1);
      expect(l.zones.length).toBeLessThanOrEqual(3);
      expect(new Set(l.zones).size).toBe(l.zones.length);
      for (const z of l.zones) expect(ADHOC_ZONES).toContain(z);
      sizes.add(l.zones.length);
    }
    expect([...sizes].sort()).toEqual([1, 2, 3]);
    // log-uniform: about half the loads are shorter than the geometric middle, 15 * sqrt(32) = 85 min
    const short = loads.filter((l) => l.durationMin < 85).length;
    expect(short).toBeGreaterThan(120);
    expect(short).toBeLessThan(180);
    checkWindows(loads, 2023);
  });

  it('draws only from a given zone list, at most as many as it has', () => {
    const loads = adhocWorkload({ ...opts, zones: ['FR', 'ES'] });
    for (const l of loads) {
      expect(l.zones.length).toBeLessThanOrEqual(2);
      for (const z of l.zones) expect(['FR', 'ES']).toContain(z);
    }
  });
});

describe('workload files', () => {
  it('are accepted by the simulate workload parser', () => {
    const loads = [
      ...nightlyWorkload({ year: 2020 }).slice(0, 3),
      ...mlWorkload({ year: 2020, seed: 1, count: 5 }),
      ...adhocWorkload({ year: 2023, seed: 1, count: 5 }),
    ];
    const parsed = parseWorkload(toJsonLines(loads), 'gen.jsonl');
    expect(parsed).toHaveLength(13);
    expect(parsed[3].durationMin).toBe(loads[3].durationMin);
    expect(parsed[3].deadlineMs).toBe(ms(loads[3].deadline));
  });

  it('come from command-line arguments', () => {
    const r = workloadFromArgs([
      '--workload',
      'ml',
      '--zone',
      'GB',
      '--year',
      '2020',
      '--seed',
      '5',
      '--count',
      '4',
    ]);
    expect(r.name).toBe('ml');
    expect(r.out).toBeUndefined();
    expect(r.loads).toEqual(mlWorkload({ year: 2020, seed: 5, count: 4, zones: ['GB'] }));
    const a = workloadFromArgs([
      '--workload',
      'adhoc',
      '--zones',
      'DE,GB',
      '--count',
      '3',
      '--out',
      'x.jsonl',
    ]);
    expect(a.out).toBe('x.jsonl');
    expect(a.loads).toEqual(adhocWorkload({ year: 2023, seed: 1, count: 3, zones: ['DE', 'GB'] }));
    expect(workloadFromArgs(['--workload', 'nightly']).loads).toHaveLength(366);
  });

  it('reject bad arguments, naming them', () => {
    expect(() => workloadFromArgs(['--workload', 'weekly'])).toThrow(/--workload must be one of/);
    expect(() => workloadFromArgs(['--workload', 'ml', '--count', 'many'])).toThrow(/--count/);
    expect(() => workloadFromArgs(['--workload', 'ml', '--bogus', '1'])).toThrow(/bogus/);
  });
});
