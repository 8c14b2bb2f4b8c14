/**
 * A frequency meter as a grid-event source: the grid's frequency read from a meter (50 Hz nominal in
 * Europe). Readings below `thresholdHz` start a critical `frequency_drop`; it ends once a reading is back
 * at `clearHz` or above. The gap between the two keeps a frequency hovering at the threshold from starting
 * and ending events reading after reading. Pure: readings in, what to record out.
 */
import type { NewGridEvent } from '../grid-events.ts';

export interface FrequencyRule {
  thresholdHz: number;
  clearHz: number;
  /** the zones the meter's grid serves */
  zones: string[];
}

export interface FrequencyState {
  /** the open event's start, when a drop is on */
  dropSinceMs: number | null;
  lowestHz: number | null;
}

export const NO_DROP: FrequencyState = { dropSinceMs: null, lowestHz: null };

export interface FrequencyStep {
  state: FrequencyState;
  /** a drop began (or deepened): record this event */
  record?: NewGridEvent;
  /** the drop ended at this instant */
  endMs?: number;
}

/** The meter event's external id: one per drop, by its start. */
export const dropId = (startMs: number): string => `frequency-drop-${startMs}`;

function dropEvent(rule: FrequencyRule, startMs: number, lowestHz: number, hz: number): NewGridEvent {
  return {
    kind: 'frequency_drop',
    severity: 'critical',
    startMs,
    endMs: null,
    zones: rule.zones,
    source: 'meter',
    externalId: dropId(startMs),
    raw: { frequencyHz: hz, lowestHz, thresholdHz: rule.thresholdHz },
  };
}

export function readFrequency(
  rule: FrequencyRule,
  state: FrequencyState,
  hz: number,
  atMs: number,
): FrequencyStep {
  if (state.dropSinceMs === null) {
    if (hz >= rule.thresholdHz) return { state };
    const next = { dropSinceMs: atMs, lowestHz: hz };
    return { state: next, record: dropEvent(rule, atMs, hz, hz) };
  }
  if (hz >= rule.clearHz) return { state: NO_DROP, endMs: atMs };
  if (state.lowestHz !== null && hz < state.lowestHz) {
    const next = { dropSinceMs: state.dropSinceMs, lowestHz: hz };
    return { state: next, record: dropEvent(rule, state.dropSinceMs, hz, hz) };
  }
  return { state };
}

/** A meter's payload as Hz: a bare number, or JSON with `frequency`, `freq`, `hz` or `Frequency`. */
export function frequencyOf(payload: string): number | null {
  const text = payload.trim();
  const bare = Number(text);
  if (text !== '' && Number.isFinite(bare)) return bare;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['frequency', 'freq', 'hz', 'Frequency', 'Hz']) {
      const x = Number(v?.[key]);
      if (v?.[key] !== undefined && Number.isFinite(x)) return x;
    }
  } catch {
    // not JSON
  }
  return null;
}
