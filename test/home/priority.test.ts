import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OVERRIDE_MS, type DeviceSituation, decide } from '../../src/home/priority.ts';

const NOW = Date.parse('2026-06-01T18:00:00Z');
const HOUR = 3_600_000;

function situation(extra: Partial<DeviceSituation> = {}): DeviceSituation {
  return {
    delegated: true,
    action: 'turn_off',
    state: { on: true },
    heldAction: null,
    overrideUntilMs: null,
    protectedNow: false,
    criticalEvent: null,
    penalty: { value: 0.3, threshold: 0.6, aboveUntilMs: null },
    nowMs: NOW,
    ...extra,
  };
}

const high = { value: 0.8, threshold: 0.6, aboveUntilMs: NOW + 2 * HOUR };
const event = { id: 'e1', kind: 'load_shedding' };

describe('who decides what a delegated device does (the priority table)', () => {
  // one row per case: the situation, then what is done and by which rule
  const rows: [string, Partial<DeviceSituation>, string, string][] = [
    ['nothing on', {}, 'leave', 'none'],
    ['penalty above the threshold', { penalty: high }, 'hold', 'strategy'],
    ['penalty above, in a protected window', { penalty: high, protectedNow: true }, 'leave', 'none'],
    [
      'critical event, in a protected window',
      { criticalEvent: event, protectedNow: true },
      'hold',
      'grid_event',
    ],
    [
      'critical event, overridden by the household',
      { criticalEvent: event, overrideUntilMs: NOW + HOUR },
      'leave',
      'household',
    ],
    [
      'switched on by hand while held off',
      { heldAction: 'turn_off', penalty: high },
      'override',
      'household',
    ],
    ['held, penalty fell', { heldAction: 'turn_off', state: { on: false } }, 'release', 'strategy'],
    [
      'held, a protected window began',
      { heldAction: 'turn_off', state: { on: false }, penalty: high, protectedNow: true },
      'release',
      'protected_window',
    ],
    [
      'held for an event that ended, penalty still high',
      { heldAction: 'turn_off', state: { on: false }, penalty: high },
      'leave',
      'strategy',
    ],
    [
      'held, no penalty known',
      {
        heldAction: 'turn_off',
        state: { on: false },
        penalty: { value: Number.NaN, threshold: 0.6, aboveUntilMs: null },
      },
      'release',
      'strategy',
    ],
    ['not delegated, penalty high', { delegated: false, penalty: high }, 'leave', 'not_delegated'],
    [
      'not delegated any more, held',
      { delegated: false, heldAction: 'turn_off' },
      'release',
      'not_delegated',
    ],
    ['unreadable, penalty high', { state: null, penalty: high }, 'leave', 'unreadable'],
    ['off already, penalty high', { state: { on: false }, penalty: high }, 'leave', 'none'],
    [
      'eco mode while off, penalty high',
      { action: 'eco_mode', state: { on: false }, penalty: high },
      'hold',
      'strategy',
    ],
    [
      'limited and on, penalty high (no override seen from power)',
      { action: 'limit_power', heldAction: 'limit_power', penalty: high },
      'leave',
      'strategy',
    ],
  ];
  it.each(rows)('%s', (_name, extra, act, rule) => {
    expect(decide(situation(extra))).toMatchObject({ act, rule });
  });

  it('lets an override run to the end of the penalty window it came in, or an hour', () => {
    expect(decide(situation({ heldAction: 'delay_start', penalty: high }))).toMatchObject({
      untilMs: NOW + 2 * HOUR,
    });
    expect(decide(situation({ heldAction: 'turn_off', criticalEvent: event }))).toMatchObject({
      act: 'override',
      untilMs: NOW + DEFAULT_OVERRIDE_MS,
    });
  });

  it('never acts on a device that is not delegated, and never holds one overridden (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          delegated: fc.boolean(),
          action: fc.constantFrom('turn_off', 'eco_mode', 'delay_start', 'limit_power'),
          on: fc.option(fc.boolean()),
          held: fc.boolean(),
          overridden: fc.boolean(),
          protectedNow: fc.boolean(),
          critical: fc.boolean(),
          penalty: fc.double({ min: -1, max: 1, noNaN: true }),
        }),
        (r) => {
          const v = decide(
            situation({
              delegated: r.delegated,
              action: r.action,
              state: r.on === null ? null : { on: r.on },
              heldAction: r.held ? r.action : null,
              overrideUntilMs: r.overridden ? NOW + HOUR : null,
              protectedNow: r.protectedNow,
              criticalEvent: r.critical ? event : null,
              penalty: { value: r.penalty, threshold: 0.6, aboveUntilMs: null },
            }),
          );
          if (!r.delegated) expect(v.act === 'leave' || (v.act === 'release' && r.held)).toBe(true);
          if (r.overridden && r.delegated) expect(v.act).toBe('leave');
          if (v.act === 'hold') expect(r.held).toBe(false);
          if (v.act === 'release') expect(r.held).toBe(true);
          // protected windows stop the strategy, never a critical event
          if (v.act === 'hold' && r.protectedNow) expect(v.rule).toBe('grid_event');
        },
      ),
    );
  });
});
