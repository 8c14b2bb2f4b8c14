import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCurrency,
  formatDuration,
  formatEnergy,
  formatLocalTime,
  formatMass,
  formatNumber,
  formatPct,
  formatPower,
  formatPrice,
  formatTable,
  palette,
  roundForDisplay,
  shouldUseColor,
  sparkline,
  spreadLine,
  visibleLength,
} from '../../src/cli/format.ts';

describe('units', () => {
  it('mass in g, kg and t', () => {
    expect(formatMass(850)).toBe('850 g');
    expect(formatMass(3.456)).toBe('3.46 g');
    expect(formatMass(1250)).toBe('1.25 kg');
    expect(formatMass(-45_600)).toBe('-45.6 kg');
    expect(formatMass(3_400_000)).toBe('3.4 t');
    expect(formatMass(Number.NaN)).toBe('-');
  });

  it('energy, power, durations and numbers', () => {
    expect(formatEnergy(0.4167)).toBe('417 Wh');
    expect(formatEnergy(3)).toBe('3 kWh');
    expect(formatEnergy(92.16)).toBe('92.2 kWh');
    expect(formatEnergy(2500)).toBe('2.5 MWh');
    expect(formatPower(0.3)).toBe('300 W');
    expect(formatPower(1.5)).toBe('1.5 kW');
    expect(formatDuration(45)).toBe('45m');
    expect(formatDuration(150)).toBe('2h 30m');
    expect(formatDuration(1560)).toBe('1d 2h');
    expect(formatDuration(0)).toBe('0s');
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(0.012345)).toBe('0.012');
  });

  it('money and prices', () => {
    expect(formatCurrency(0.3, 'EUR')).toBe('€0.30');
    expect(formatCurrency(12.3456, 'GBP')).toBe('£12.35');
    expect(formatCurrency(0.01234, 'USD')).toBe('$0.0123');
    expect(formatCurrency(0.6 - 0.5, 'EUR')).toBe('€0.10'); // 0.09999999999999998: cents, like 0.1
    expect(formatCurrency(0.0996, 'EUR')).toBe('€0.0996');
    expect(formatCurrency(5, 'SEK')).toMatch(/^SEK\s5\.00$/);
    expect(formatCurrency(1.5, undefined)).toBe('1.5');
    expect(formatPrice(0.09, 'EUR')).toBe('0.0900 EUR/kWh');
    expect(formatPrice(12.5, 'SEK')).toBe('12.50 SEK/kWh');
  });

  it('durations to the precision that matters at their size', () => {
    expect(formatDuration(1.5)).toBe('1m 30s'); // a 90 s run
    expect(formatDuration(0.75)).toBe('45s');
    expect(formatDuration(1.9 / 60)).toBe('1.9s');
    expect(formatDuration(0.009 / 60)).toBe('9ms');
    expect(formatDuration(9.96 / 60)).toBe('10s'); // 9.96 s: to the tenth it is 10.0, shown in seconds
    expect(formatDuration(59.6 / 60)).toBe('1m'); // 59.6 s rounds to a whole minute
    expect(formatDuration(59 + 59.6 / 60)).toBe('1h'); // 3599.6 s: from an hour on, whole minutes
    expect(formatDuration(61.4)).toBe('1h 1m');
    expect(formatDuration(1443)).toBe('1d 3m');
    expect(formatDuration(-1.5)).toBe('-1m 30s');
    expect(formatDuration(-1e-9)).toBe('0s');
  });

  it('float noise is shown as zero, never as -0 or a long tail of digits', () => {
    // 0.1 + 0.2 - 0.3 = 5.55e-17: the noise a difference of sums leaves where the answer is 0
    expect(formatCurrency(-6.94e-18, 'EUR')).toBe('€0.00');
    expect(formatCurrency(0.1 + 0.2 - 0.3, 'EUR')).toBe('€0.00');
    expect(formatCurrency(-0.00004, 'EUR')).toBe('€0.00'); // below the fourth decimal
    expect(formatCurrency(-0.00006, 'EUR')).toBe('-€0.0001');
    expect(formatCurrency(-6.94e-18, undefined)).toBe('0');
    expect(formatMass(1.7763568394002505e-15)).toBe('0 g');
    expect(formatMass(-1.7763568394002505e-15)).toBe('0 g');
    expect(formatPct(-0.04)).toBe('0%');
    expect(formatPct(-0.05)).toBe('-0.1%'); // half away from zero, like 0.05 -> 0.1%
    expect(formatPct(0.05)).toBe('0.1%');
    expect(formatNumber(-0.00004)).toBe('0');
    expect(formatPrice(-0.00001, 'EUR')).toBe('0.0000 EUR/kWh');
    expect(formatEnergy(-1e-15)).toBe('0 Wh');
    expect(roundForDisplay(-0.4, 0)).toBe(0);
    expect(Object.is(roundForDisplay(-0.4, 0), -0)).toBe(false);
    expect(roundForDisplay(1.23456, 2)).toBe(1.23);
  });

  it('-x is shown as the mirror of x, and what rounds to zero has no sign', () => {
    const formats: [string, (x: number) => string][] = [
      ['number', (x) => formatNumber(x)],
      ['mass', formatMass],
      ['energy', formatEnergy],
      ['power', formatPower],
      ['pct', formatPct],
      ['money', (x) => formatCurrency(x, 'EUR')],
      ['money without currency', (x) => formatCurrency(x, undefined)],
      ['price', (x) => formatPrice(x, 'EUR')],
      ['duration', formatDuration],
    ];
    const magnitudes = fc.oneof(
      fc.double({ min: 0, max: 1e-3, noNaN: true }),
      fc.double({ min: 0, max: 1e7, noNaN: true }),
    );
    fc.assert(
      fc.property(magnitudes, fc.constantFrom(...formats), (x, [, format]) => {
        const plus = format(x);
        const minus = format(-x);
        expect(plus.startsWith('-')).toBe(false);
        if (/^[^1-9]*$/.test(plus))
          expect(minus).toBe(plus); // shows zero: no sign
        else expect(minus).toBe(`-${plus}`);
      }),
      { seed: 8, numRuns: 2000 },
    );
  });

  it('local times in a time zone, across a DST change', () => {
    const ms = Date.parse('2024-03-31T00:30:00Z');
    expect(formatLocalTime(ms, 'Europe/Berlin')).toBe('Sun 2024-03-31 01:30');
    expect(formatLocalTime(ms + 3_600_000, 'Europe/Berlin')).toBe('Sun 2024-03-31 03:30');
    expect(formatLocalTime(ms, 'UTC', { short: true })).toBe('Sun 00:30');
    expect(formatLocalTime(ms, 'UTC', { clockOnly: true })).toBe('00:30');
  });
});

describe('tables', () => {
  it('aligns columns on visible width, with a rule under the header', () => {
    const out = formatTable(
      [
        ['DE', '380 g/kWh'],
        ['FR', '56 g/kWh'],
      ],
      { header: ['ZONE', 'CARBON'], align: ['left', 'right'] },
    );
    expect(out.split('\n')).toEqual([
      'ZONE     CARBON',
      '────  ─────────',
      'DE    380 g/kWh',
      'FR     56 g/kWh',
    ]);
  });

  it('ignores colour codes when measuring', () => {
    const green = palette(true).green;
    const out = formatTable([
      [green('yes'), 'x'],
      ['no', 'y'],
    ]);
    expect(out.split('\n').map(visibleLength)).toEqual([6, 6]);
    expect(out).toContain('\x1b[32myes\x1b[39m  x');
  });
});

describe('sparkline', () => {
  it('scales values between min and max onto eight bars, NaN blank', () => {
    const s = sparkline([0, 1, 2, 3, 4, 5, 6, 7, Number.NaN, 7]);
    expect(s.bars).toBe('▁▂▃▄▅▆▇█ █');
    expect(s.marks).toBe('');
    expect(s.slotsPerChar).toBe(1);
  });

  it('marks the chosen slots with ^ on a second line', () => {
    const marked = [false, false, true, true, false];
    const s = sparkline([5, 4, 1, 1, 3], { marked });
    expect(s.bars).toBe('█▆▁▁▅');
    expect(s.marks).toBe('  ^^');
  });

  it('colours the chosen bars only when asked', () => {
    const marked = [false, true];
    expect(sparkline([1, 2], { marked, color: true }).bars).toBe('▁\x1b[32m█\x1b[39m');
    expect(sparkline([1, 2], { marked, color: false }).bars).toBe('▁█');
  });

  it('averages long series into buckets and keeps marks', () => {
    const values = Array.from({ length: 200 }, (_, i) => i);
    const marked = values.map((_, i) => i === 150);
    const s = sparkline(values, { marked, width: 50 });
    expect(s.slotsPerChar).toBe(4);
    expect([...s.bars]).toHaveLength(50);
    expect(s.marks.indexOf('^')).toBe(37);
    expect(s.bars[0]).toBe('▁');
    expect(s.bars[49]).toBe('█');
  });

  it('a flat series shows a middle bar', () => {
    expect(sparkline([3, 3, 3]).bars).toBe('▄▄▄');
  });

  it('spreads two labels over a width', () => {
    expect(spreadLine('Wed 07:00', 'Wed 19:00', 24)).toBe('Wed 07:00      Wed 19:00');
    expect(spreadLine('a', 'b', 1)).toBe('a');
  });
});

describe('colour', () => {
  it('on a TTY only, never with NO_COLOR or TERM=dumb', () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(shouldUseColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(palette(false).green('x')).toBe('x');
  });
});
