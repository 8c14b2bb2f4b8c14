import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { parseWorkload, readWorkload } from '../../src/simulate/workload.ts';

const t = (iso: string) => Date.parse(iso);
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const base = { id: 'a', submit: '2024-01-01T00:00:00Z', durationMin: 90, powerKw: 2, zones: ['DE'] };

describe('parseWorkload', () => {
  it('fills the defaults: earliest = submit, deadline = earliest + duration, baseline = earliest', () => {
    const [l] = parseWorkload(line(base), 'w.jsonl');
    expect(l).toEqual({
      id: 'a',
      submitMs: t('2024-01-01T00:00:00Z'),
      earliestMs: t('2024-01-01T00:00:00Z'),
      deadlineMs: t('2024-01-01T01:30:00Z'),
      baselineStartMs: t('2024-01-01T00:00:00Z'),
      durationMin: 90,
      powerKw: 2,
      interruptible: false,
      zones: ['DE'],
      source: 'w.jsonl, line 1',
    });
  });

  it('reads every field, skips blank lines, takes offsets and reads times without one as UTC', () => {
    const text = [
      '',
      line({
        ...base,
        earliest: '2024-01-01T02:00:00+01:00',
        deadline: '2024-01-02T00:00',
        baselineStart: '2024-01-01T03:00:00Z',
        interruptible: true,
        zones: ['DE', 'FR'],
        note: 'extra fields are kept out of the way',
      }),
      '   ',
    ].join('\n');
    const [l] = parseWorkload(text, 'w.jsonl');
    expect(l.earliestMs).toBe(t('2024-01-01T01:00:00Z'));
    expect(l.deadlineMs).toBe(t('2024-01-02T00:00:00Z'));
    expect(l.baselineStartMs).toBe(t('2024-01-01T03:00:00Z'));
    expect(l.interruptible).toBe(true);
    expect(l.zones).toEqual(['DE', 'FR']);
    expect(l.source).toBe('w.jsonl, line 2');
  });

  const bad: [string, string, RegExp][] = [
    ['bad JSON', '{"id": "a",', /w\.jsonl, line 2: not valid JSON/],
    ['not an object', '[1, 2]', /w\.jsonl, line 2: each line must be a JSON object, got array/],
    ['missing field', line({ ...base, powerKw: undefined }), /w\.jsonl, line 2: missing field "powerKw"/],
    [
      'wrong type',
      line({ ...base, durationMin: '90' }),
      /w\.jsonl, line 2: load "a": field "durationMin" must be a number, got string/,
    ],
    [
      'bad time',
      line({ ...base, submit: 'yesterday' }),
      /w\.jsonl, line 2: load "a": field "submit": "yesterday" is not an ISO-8601 time/,
    ],
    [
      'bad zones',
      line({ ...base, zones: 'DE' }),
      /line 2: load "a": field "zones" must be a non-empty array/,
    ],
    [
      'zero duration',
      line({ ...base, durationMin: 0 }),
      /line 2: load "a": field "durationMin" must be more than 0/,
    ],
    [
      'negative power',
      line({ ...base, powerKw: -1 }),
      /line 2: load "a": field "powerKw" must not be negative/,
    ],
    [
      'interruptible type',
      line({ ...base, interruptible: 'yes' }),
      /line 2: .*"interruptible" must be true or false/,
    ],
    [
      'misspelt field',
      line({ ...base, deadine: '2024-01-02T00:00:00Z' }),
      /line 2: unknown field "deadine" \(did you mean "deadline"\?\)/,
    ],
    [
      'deadline before earliest',
      line({ ...base, earliest: '2024-01-01T05:00:00Z', deadline: '2024-01-01T04:00:00Z' }),
      /w\.jsonl, line 2: load "a": deadline 2024-01-01T04:00:00.000Z is before the earliest start 2024-01-01T05:00:00.000Z/,
    ],
    ['duplicate id', line(base), /w\.jsonl, line 2: duplicate id "a" \(first on line 1\)/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} naming the file and line`, () => {
      const first = what === 'duplicate id' ? line(base) : line({ ...base, id: 'first' });
      const run = () => parseWorkload(`${first}\n${text}`, 'w.jsonl');
      expect(run).toThrow(InputError);
      expect(run).toThrow(message);
    });
  }

  it('accepts a deadline equal to the earliest start (no room: the load runs at its baseline)', () => {
    const [l] = parseWorkload(line({ ...base, deadline: base.submit }), 'w.jsonl');
    expect(l.deadlineMs).toBe(l.earliestMs);
  });
});

describe('readWorkload', () => {
  it('names the file when it cannot be read', async () => {
    await expect(readWorkload('/nonexistent/w.jsonl')).rejects.toThrow(
      /\/nonexistent\/w\.jsonl: cannot read the workload \(ENOENT\)/,
    );
  });
});
