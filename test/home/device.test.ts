import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import {
  activeProtectedWindow,
  type Device,
  inProtectedWindow,
  parseDevice,
  parseWindow,
  patchDevice,
  windowContains,
} from '../../src/home/device.ts';

const at = (iso: string) => Date.parse(iso);
const windows = (...protectedWindows: string[]) => ({ protectedWindows });

const dishwasher = {
  name: 'dishwasher',
  kind: 'dishwasher',
  adapter: { type: 'shelly', url: 'http://192.168.1.20' },
  ratedPowerW: 2000,
  action: 'delay_start',
  runMin: 150,
  protectedWindows: ['22:00-06:00'],
};

function stored(input: ReturnType<typeof parseDevice>): Device {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    ...input,
    delegated: input.delegated ?? false,
    limitPct: input.limitPct ?? null,
    ecoMode: input.ecoMode ?? null,
    runMin: input.runMin ?? null,
    protectedWindows: input.protectedWindows ?? [],
    stateBefore: null,
    createdMs: 0,
    updatedMs: 0,
  };
}

function problem(raw: unknown): string {
  try {
    parseDevice(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('parsed');
}

describe('parseDevice', () => {
  it('reads a device with each adapter', () => {
    expect(parseDevice(dishwasher)).toEqual(dishwasher);
    for (const adapter of [
      { type: 'mqtt', convention: 'tasmota', topic: 'tasmota_8A1B2C', channel: 1, url: 'mqtt://broker:1883' },
      { type: 'mqtt', convention: 'shelly', topic: 'shellyplus1pm-a8032ab1c2d3' },
      { type: 'homeassistant', url: 'http://ha:8123', entityId: 'switch.dishwasher', tokenEnv: 'HA_TOKEN' },
      { type: 'virtual', on: true },
    ])
      expect(parseDevice({ ...dishwasher, adapter }).adapter).toEqual(adapter);
  });

  it('names the field of the first problem', () => {
    expect(problem({ ...dishwasher, protectedWindows: ['07:00-08:00', '7-8'] })).toMatch(
      /^protectedWindows\[1\]: must be HH:MM-HH:MM/,
    );
    expect(problem({ ...dishwasher, protectedWindows: ['08:00-08:00'] })).toBe(
      'protectedWindows[0]: start and end are equal: use 00:00-24:00 for the whole day',
    );
    expect(problem({ ...dishwasher, protectedWindows: ['24:00-06:00'] })).toMatch(/^protectedWindows\[0\]:/);
    expect(problem({ ...dishwasher, action: 'limit_power', runMin: undefined })).toBe(
      'limitPct: limit_power needs limitPct (0-100)',
    );
    expect(problem({ ...dishwasher, runMin: undefined })).toBe(
      'runMin: delay_start needs runMin (the run length)',
    );
    expect(problem({ ...dishwasher, ecoMode: 'eco' })).toBe('ecoMode: only for action eco_mode');
    expect(problem({ ...dishwasher, kind: 'toaster' })).toMatch(/^kind: /);
    expect(problem({ ...dishwasher, ratedPowerW: 0 })).toMatch(/^ratedPowerW: /);
    expect(problem({ ...dishwasher, adapter: { type: 'shelly', url: 'ftp://x' } })).toBe(
      'adapter.url: must be a http:// or https:// URL, e.g. http://192.168.1.20',
    );
    expect(problem({ ...dishwasher, adapter: { type: 'shelly', url: 'http://x', ip: '1.2.3.4' } })).toBe(
      'adapter.ip: unknown field',
    );
    expect(problem({ ...dishwasher, adapter: { type: 'mqtt', convention: 'tasmota', topic: 'a/+/b' } })).toBe(
      'adapter.topic: must not contain the MQTT wildcards + or #',
    );
    expect(
      problem({
        ...dishwasher,
        adapter: { type: 'homeassistant', url: 'http://ha', entityId: 'Dishwasher' },
      }),
    ).toBe('adapter.entityId: must be an entity id, e.g. switch.dishwasher');
    expect(problem({ ...dishwasher, adapter: { type: 'zigbee' } })).toMatch(/^adapter.type: /);
    expect(problem({ ...dishwasher, colour: 'red' })).toBe('colour: unknown field');
    expect(problem({ ...dishwasher, name: 'a/b' })).toBe('name: must not start with a space or contain /');
  });
});

describe('patchDevice', () => {
  const device = stored(
    parseDevice({ ...dishwasher, action: 'limit_power', runMin: undefined, limitPct: 50 }),
  );

  it('applies a patch and checks the result whole', () => {
    expect(patchDevice(device, { limitPct: 30, delegated: true })).toMatchObject({
      limitPct: 30,
      delegated: true,
    });
    expect(() => patchDevice(device, { limitPct: null })).toThrow('limitPct: limit_power needs limitPct');
    expect(() => patchDevice(device, { action: 'delay_start' })).toThrow('runMin: delay_start needs runMin');
    expect(() => patchDevice(device, { id: 'x' })).toThrow('id: unknown field');
  });

  it("drops the old action's fields when the action changes", () => {
    const next = patchDevice(device, { action: 'eco_mode', ecoMode: 'eco_plus' });
    expect(next.limitPct).toBeUndefined();
    expect(next.ecoMode).toBe('eco_plus');
    expect(patchDevice(device, { action: 'turn_off', protectedWindows: [] }).protectedWindows).toEqual([]);
  });
});

describe('protected windows (hand-computed)', () => {
  it('runs across midnight in the home time zone, start inclusive, end exclusive', () => {
    const d = windows('22:00-06:00');
    const tz = 'Europe/Berlin'; // UTC+1 in January
    expect(inProtectedWindow(d, at('2026-01-15T21:30:00Z'), tz)).toBe(true); // 22:30
    expect(inProtectedWindow(d, at('2026-01-15T20:59:59Z'), tz)).toBe(false); // 21:59:59
    expect(inProtectedWindow(d, at('2026-01-15T21:00:00Z'), tz)).toBe(true); // 22:00
    expect(inProtectedWindow(d, at('2026-01-15T04:59:00Z'), tz)).toBe(true); // 05:59
    expect(inProtectedWindow(d, at('2026-01-15T05:00:00Z'), tz)).toBe(false); // 06:00
    expect(inProtectedWindow(d, at('2026-01-15T05:00:00Z'), 'UTC')).toBe(true); // 05:00 in UTC
  });

  it('tells which of several windows holds', () => {
    const d = windows('07:00-08:00', '12:00-13:30', '18:00-24:00');
    const tz = 'America/New_York'; // UTC-4 in July
    expect(activeProtectedWindow(d, at('2026-07-01T11:30:00Z'), tz)).toBe('07:00-08:00');
    expect(activeProtectedWindow(d, at('2026-07-01T17:29:00Z'), tz)).toBe('12:00-13:30');
    expect(activeProtectedWindow(d, at('2026-07-01T17:30:00Z'), tz)).toBeNull();
    expect(activeProtectedWindow(d, at('2026-07-02T03:59:00Z'), tz)).toBe('18:00-24:00'); // 23:59
    expect(activeProtectedWindow(d, at('2026-07-02T04:00:00Z'), tz)).toBeNull(); // 00:00
    expect(activeProtectedWindow(windows(), at('2026-07-02T04:00:00Z'), tz)).toBeNull();
  });

  it('skips a window in the hour clocks jump over (spring, Europe/Berlin 2026-03-29 02:00 -> 03:00)', () => {
    const d = windows('02:00-03:00');
    const tz = 'Europe/Berlin';
    expect(inProtectedWindow(d, at('2026-03-28T01:30:00Z'), tz)).toBe(true); // the day before, 02:30 CET
    expect(inProtectedWindow(d, at('2026-03-29T00:59:59Z'), tz)).toBe(false); // 01:59:59 CET
    expect(inProtectedWindow(d, at('2026-03-29T01:00:00Z'), tz)).toBe(false); // 03:00 CEST
  });

  it('holds for both passes of the repeated hour (autumn, Europe/Berlin 2026-10-25 03:00 -> 02:00)', () => {
    const d = windows('02:00-03:00');
    const tz = 'Europe/Berlin';
    expect(inProtectedWindow(d, at('2026-10-24T23:59:00Z'), tz)).toBe(false); // 01:59 CEST
    expect(inProtectedWindow(d, at('2026-10-25T00:30:00Z'), tz)).toBe(true); // 02:30 CEST
    expect(inProtectedWindow(d, at('2026-10-25T01:30:00Z'), tz)).toBe(true); // 02:30 CET
    expect(inProtectedWindow(d, at('2026-10-25T02:00:00Z'), tz)).toBe(false); // 03:00 CET
  });
});

describe('protected windows (properties)', () => {
  const hhmm = fc.integer({ min: 0, max: 1439 });
  const text = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

  it('a-b and b-a split the day: each minute is in exactly one', () => {
    fc.assert(
      fc.property(hhmm, hhmm, hhmm, (a, b, m) => {
        fc.pre(a !== b);
        const ab = parseWindow(`${text(a)}-${text(b)}`);
        const ba = parseWindow(`${text(b)}-${text(a)}`);
        expect(windowContains(ab, m)).toBe(!windowContains(ba, m));
      }),
    );
  });

  it('covers (end - start) mod 24 h minutes of the day', () => {
    fc.assert(
      fc.property(hhmm, hhmm, (a, b) => {
        fc.pre(a !== b);
        const w = parseWindow(`${text(a)}-${text(b)}`);
        let covered = 0;
        for (let m = 0; m < 1440; m++) if (windowContains(w, m)) covered++;
        expect(covered).toBe((((b - a) % 1440) + 1440) % 1440);
      }),
      { numRuns: 50 },
    );
  });

  it('in UTC, reads the minute of the day of the instant', () => {
    fc.assert(
      fc.property(hhmm, hhmm, fc.integer({ min: 0, max: 4_000_000_000_000 }), (a, b, ms) => {
        fc.pre(a !== b);
        const w = `${text(a)}-${text(b)}`;
        const minute = Math.floor((ms % 86_400_000) / 60_000);
        expect(inProtectedWindow(windows(w), ms, 'UTC')).toBe(windowContains(parseWindow(w), minute));
      }),
    );
  });
});
