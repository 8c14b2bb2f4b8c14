import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { assertTimeZone, parseDuration, parseTime, zonedTimeToMs } from '../../src/core/human-time.ts';
import { tzOffsetMin, zonedParts } from '../../src/core/time.ts';

const iso = (s: string) => Date.parse(s);
// Wednesday 2024-03-27 10:15 UTC = 11:15 in Berlin (CET, +01:00)
const now = iso('2024-03-27T10:15:00Z');
const berlin = { nowMs: now, timeZone: 'Europe/Berlin' };
const utc = { nowMs: now, timeZone: 'UTC' };

describe('parseDuration', () => {
  it('reads compact, spelled-out, ISO and bare-number forms in minutes', () => {
    expect(parseDuration('2h30m')).toBe(150);
    expect(parseDuration('90m')).toBe(90);
    expect(parseDuration('1.5h')).toBe(90);
    expect(parseDuration('PT2H')).toBe(120);
    expect(parseDuration('pt1h30m')).toBe(90);
    expect(parseDuration('P1DT2H')).toBe(1560);
    expect(parseDuration('45')).toBe(45);
    expect(parseDuration('1d')).toBe(1440);
    expect(parseDuration('2 hours 30 minutes')).toBe(150);
    expect(parseDuration('1 hour and 15 min')).toBe(75);
    expect(parseDuration('1w')).toBe(10080);
    expect(parseDuration('90s')).toBe(1.5);
  });

  it('rejects other text with an InputError naming it and listing the forms', () => {
    for (const bad of ['', 'soon', '2x', 'h', 'PT', 'P1DT', '-5m', '2h 3 bananas']) {
      expect(() => parseDuration(bad, '--duration')).toThrow(InputError);
    }
    expect(() => parseDuration('2 fortnights', '--duration')).toThrow(
      /--duration: cannot read "2 fortnights" as a duration.*2h30m.*PT2H30M/,
    );
  });

  it('round-trips any whole number of hours and minutes written as XhYm', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 59 }), (h, m) => {
        expect(parseDuration(`${h}h${m}m`)).toBe(h * 60 + m);
        expect(parseDuration(`PT${h}H${m}M`)).toBe(h * 60 + m);
      }),
    );
  });
});

describe('parseTime: relative forms', () => {
  it('now and signed offsets', () => {
    expect(parseTime('now', berlin)).toBe(now);
    expect(parseTime('+4h', berlin)).toBe(now + 4 * 3_600_000);
    expect(parseTime('+90m', berlin)).toBe(now + 90 * 60_000);
    expect(parseTime('+1d2h', berlin)).toBe(now + 26 * 3_600_000);
    expect(parseTime('-30m', berlin)).toBe(now - 30 * 60_000);
  });

  it('in ... and ... ago', () => {
    expect(parseTime('in 4 hours', berlin)).toBe(now + 4 * 3_600_000);
    expect(parseTime('in 90 minutes', berlin)).toBe(now + 90 * 60_000);
    expect(parseTime('2h ago', berlin)).toBe(now - 2 * 3_600_000);
    expect(parseTime('3 days ago', berlin)).toBe(now - 3 * 86_400_000);
  });
});

describe('parseTime: absolute forms', () => {
  it('ISO with Z or an offset is that instant, whatever the time zone', () => {
    expect(parseTime('2024-03-31T07:00:00Z', berlin)).toBe(iso('2024-03-31T07:00:00Z'));
    expect(parseTime('2024-03-31T09:00+02:00', utc)).toBe(iso('2024-03-31T07:00:00Z'));
    expect(parseTime('2024-03-31T09:00:00.500-0130', utc)).toBe(iso('2024-03-31T10:30:00.500Z'));
  });

  it('ISO without an offset is wall-clock time in the given zone', () => {
    expect(parseTime('2024-03-28T09:00', berlin)).toBe(iso('2024-03-28T08:00:00Z'));
    expect(parseTime('2024-03-28 09:00', utc)).toBe(iso('2024-03-28T09:00:00Z'));
    expect(parseTime('2024-04-02T09:00', berlin)).toBe(iso('2024-04-02T07:00:00Z')); // CEST
    expect(parseTime('2024-03-28', berlin)).toBe(iso('2024-03-27T23:00:00Z'));
  });

  it('today, tomorrow, a bare clock time and weekdays, in the zone', () => {
    expect(parseTime('today 18:30', berlin)).toBe(iso('2024-03-27T17:30:00Z'));
    expect(parseTime('tomorrow 07:00', berlin)).toBe(iso('2024-03-28T06:00:00Z'));
    expect(parseTime('tomorrow at 7am', berlin)).toBe(iso('2024-03-28T06:00:00Z'));
    expect(parseTime('tomorrow', berlin)).toBe(iso('2024-03-27T23:00:00Z'));
    // 11:15 local now: 12:00 is still today, 07:00 is tomorrow
    expect(parseTime('12:00', berlin)).toBe(iso('2024-03-27T11:00:00Z'));
    expect(parseTime('07:00', berlin)).toBe(iso('2024-03-28T06:00:00Z'));
    expect(parseTime('7:30pm', berlin)).toBe(iso('2024-03-27T18:30:00Z'));
    // Wednesday now: Friday is in two days, Monday is after the DST change (CEST), Wednesday 09:00 has passed
    expect(parseTime('friday 09:00', berlin)).toBe(iso('2024-03-29T08:00:00Z'));
    expect(parseTime('monday 09:00', berlin)).toBe(iso('2024-04-01T07:00:00Z'));
    expect(parseTime('wed 09:00', berlin)).toBe(iso('2024-04-03T07:00:00Z'));
    expect(parseTime('wednesday 12:00', berlin)).toBe(iso('2024-03-27T11:00:00Z'));
  });

  it('rejects impossible dates and unknown words, naming the text and the accepted forms', () => {
    for (const bad of [
      '2024-02-30',
      '2024-13-01T00:00Z',
      '25:00',
      'tomorrow 25:00',
      'someday',
      'in a bit',
      '',
    ]) {
      expect(() => parseTime(bad, { ...berlin, what: '--deadline' })).toThrow(InputError);
    }
    expect(() => parseTime('next blue moon', { ...berlin, what: '--deadline' })).toThrow(
      /--deadline: cannot read "next blue moon" as a time.*\+4h.*tomorrow 07:00/,
    );
  });
});

describe('parseTime across DST transitions', () => {
  it('Europe/Berlin spring forward 2024-03-31: 02:00-03:00 does not exist', () => {
    const sat = { nowMs: iso('2024-03-30T12:00:00Z'), timeZone: 'Europe/Berlin' };
    expect(parseTime('tomorrow 01:30', sat)).toBe(iso('2024-03-31T00:30:00Z')); // CET
    expect(parseTime('tomorrow 03:30', sat)).toBe(iso('2024-03-31T01:30:00Z')); // CEST
    // the gap time moves forward by the gap: 02:30 -> 03:30 CEST
    expect(parseTime('tomorrow 02:30', sat)).toBe(iso('2024-03-31T01:30:00Z'));
    expect(parseTime('2024-03-31T02:30', sat)).toBe(iso('2024-03-31T01:30:00Z'));
    // a calendar day, not 24 hours: tomorrow 12:00 is 23 h after today 12:00
    const today = parseTime('today 12:00', sat);
    expect(parseTime('tomorrow 12:00', sat) - today).toBe(23 * 3_600_000);
    // relative offsets stay exact durations
    expect(parseTime('+1d', sat) - sat.nowMs).toBe(24 * 3_600_000);
  });

  it('America/Los_Angeles fall back 2024-11-03: 01:00-02:00 happens twice', () => {
    const sat = { nowMs: iso('2024-11-02T19:00:00Z'), timeZone: 'America/Los_Angeles' }; // 12:00 PDT
    expect(parseTime('tomorrow 00:30', sat)).toBe(iso('2024-11-03T07:30:00Z')); // PDT
    // the ambiguous hour takes the earlier instant (PDT, -07:00)
    expect(parseTime('tomorrow 01:30', sat)).toBe(iso('2024-11-03T08:30:00Z'));
    expect(parseTime('tomorrow 02:30', sat)).toBe(iso('2024-11-03T10:30:00Z')); // PST
    const today = parseTime('today 12:00', sat);
    expect(parseTime('tomorrow 12:00', sat) - today).toBe(25 * 3_600_000);
    expect(parseTime('sunday 09:00', sat)).toBe(iso('2024-11-03T17:00:00Z'));
  });

  it('zonedTimeToMs shows the same wall time again, except in gaps (property)', () => {
    const zones = ['Europe/Berlin', 'America/Los_Angeles', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 2020, max: 2030 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (tz, year, month, day, hour, minute) => {
          const ms = zonedTimeToMs({ year, month, day, hour, minute }, tz);
          const p = zonedParts(ms, tz);
          const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
          const asked = Date.UTC(year, month - 1, day, hour, minute);
          // equal, or (in a spring-forward gap) later by the gap of at most an hour
          expect(shown - asked).toBeGreaterThanOrEqual(0);
          expect(shown - asked).toBeLessThanOrEqual(3_600_000);
          if (shown !== asked) {
            // only inside a gap: the offset changed within the hour before the instant
            expect(tzOffsetMin(ms, tz)).not.toBe(tzOffsetMin(ms - 3_600_000, tz));
          }
        },
      ),
    );
  });
});

describe('assertTimeZone', () => {
  it('accepts IANA names and rejects others', () => {
    expect(assertTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(() => assertTimeZone('Mars/Olympus', '--tz')).toThrow(/--tz: "Mars\/Olympus" is not an IANA/);
  });
});
