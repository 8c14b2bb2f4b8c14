/**
 * Who decides what a delegated device does, highest first:
 *   1. the household: a device switched on by hand while gridshift held it off (or an override set in the
 *      app) is left alone until the override ends, at the end of the penalty window it came in;
 *   2. a critical grid event (with grid protection on): every delegated device is held, protected windows
 *      or not;
 *   3. protected windows: gridshift does not hold a device in them (and lets go of one it held for the
 *      strategy);
 *   4. the strategy: a device is held while the penalty now is above the home's threshold.
 * Holding means the device's action: off (`turn_off`, `delay_start`), `eco_mode` or `limit_power`. Letting
 * go puts back the state saved before. Pure: one device's situation in, what to do out.
 */
import type { DeviceAction } from './device.ts';

export interface DeviceSituation {
  delegated: boolean;
  action: DeviceAction;
  /** the state read now; null when the device could not be read */
  state: { on: boolean } | null;
  /** gridshift holds it: the action it took (its saved state before is in the store) */
  heldAction: DeviceAction | null;
  /** an override is on until then */
  overrideUntilMs: number | null;
  /** a protected window is on now */
  protectedNow: boolean;
  /** the critical grid event on now, when grid protection is on */
  criticalEvent: { id: string; kind: string } | null;
  /** the strategy's penalty now (NaN: no penalty known), the home's threshold, and when the run of slots above it ends */
  penalty: { value: number; threshold: number; aboveUntilMs: number | null };
  nowMs: number;
}

export type Rule =
  | 'household'
  | 'grid_event'
  | 'protected_window'
  | 'strategy'
  | 'not_delegated'
  | 'unreadable';

export type Verdict =
  | { act: 'hold'; rule: 'grid_event' | 'strategy'; reason: string }
  | { act: 'release'; rule: Rule; reason: string }
  /** switched on by hand while held: an override until `untilMs`; gridshift forgets its hold without restoring */
  | { act: 'override'; rule: 'household'; untilMs: number; reason: string }
  | { act: 'leave'; rule: Rule | 'none'; reason: string };

/** Actions that switch the device off: a device seen on while held so was switched on by someone. */
const OFF_ACTIONS: readonly DeviceAction[] = ['turn_off', 'delay_start'];

/** How long an override lasts when no penalty window gives its end. */
export const DEFAULT_OVERRIDE_MS = 60 * 60_000;

const shown = (x: number) => x.toFixed(2);

export function decide(s: DeviceSituation): Verdict {
  const held = s.heldAction !== null;
  if (!s.delegated)
    return held
      ? { act: 'release', rule: 'not_delegated', reason: 'no longer delegated: put back as it was' }
      : { act: 'leave', rule: 'not_delegated', reason: 'not delegated: watched, never touched' };
  // 1. the household
  if (s.overrideUntilMs !== null && s.overrideUntilMs > s.nowMs)
    return {
      act: 'leave',
      rule: 'household',
      reason: `override until ${new Date(s.overrideUntilMs).toISOString()}: left alone`,
    };
  if (held && s.state?.on === true && OFF_ACTIONS.includes(s.heldAction as DeviceAction)) {
    const untilMs = Math.max(
      s.penalty.aboveUntilMs ?? 0,
      s.nowMs + (s.penalty.aboveUntilMs ? 0 : DEFAULT_OVERRIDE_MS),
    );
    return {
      act: 'override',
      rule: 'household',
      untilMs,
      reason: `switched on by hand while held off: the household's choice stands until ${new Date(untilMs).toISOString()}`,
    };
  }
  // 2-4: should gridshift hold it now?
  const event = s.criticalEvent;
  const strategyHolds = Number.isFinite(s.penalty.value) && s.penalty.value > s.penalty.threshold;
  const want: Verdict | null = event
    ? { act: 'hold', rule: 'grid_event', reason: `critical ${event.kind} (${event.id}): grid protection` }
    : s.protectedNow
      ? null
      : strategyHolds
        ? {
            act: 'hold',
            rule: 'strategy',
            reason: `penalty ${shown(s.penalty.value)} is above the threshold ${shown(s.penalty.threshold)}`,
          }
        : null;
  if (want) {
    if (held) return { act: 'leave', rule: want.rule, reason: `held: ${want.reason}` };
    if (s.state === null)
      return { act: 'leave', rule: 'unreadable', reason: 'could not read its state: not touched' };
    // a device that is off already needs no switching off
    if (OFF_ACTIONS.includes(s.action) && !s.state.on)
      return { act: 'leave', rule: 'none', reason: `off already (${want.reason})` };
    return want;
  }
  if (!held)
    return { act: 'leave', rule: 'none', reason: s.protectedNow ? 'protected window' : 'nothing to hold' };
  const why = s.protectedNow
    ? { rule: 'protected_window' as const, reason: 'a protected window began: put back as it was' }
    : Number.isFinite(s.penalty.value)
      ? {
          rule: 'strategy' as const,
          reason: `penalty ${shown(s.penalty.value)} is at or below the threshold ${shown(s.penalty.threshold)}: put back`,
        }
      : {
          rule: 'strategy' as const,
          reason: 'no penalty known now (missing signals never hold a device): put back',
        };
  return { act: 'release', ...why };
}
