import { DAY_MS, MINUTE_MS, tzOffsetMin, zonedParts } from '../core/time.ts';
import type { PublicationTime } from './provider.ts';

/**
 * When day-ahead prices appear, as pure time computation. Each publication time is a little after the usual
 * one, so that the fetch after it finds the new day.
 */

/** The EU day-ahead auction (SDAC: ENTSO-E, Nord Pool) publishes around 12:45-13:00 CET. */
export const EU_DAY_AHEAD_PUBLICATION: PublicationTime = {
  timeZone: 'Europe/Brussels',
  hour: 13,
  minute: 15,
};

/** Octopus Agile rates for the next day appear around 16:00 UK time. */
export const AGILE_PUBLICATION: PublicationTime = { timeZone: 'Europe/London', hour: 16, minute: 15 };

/** The first publication instant strictly after `nowMs`. */
export function nextPublicationMs(publication: PublicationTime, nowMs: number): number {
  const { timeZone, hour, minute } = publication;
  const today = zonedParts(nowMs, timeZone);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    const wall = Date.UTC(today.year, today.month - 1, today.day + dayOffset, hour, minute);
    // the wall-clock time as an instant: subtract the zone's offset, re-checked across a DST change
    let at = wall - tzOffsetMin(wall, timeZone) * MINUTE_MS;
    at = wall - tzOffsetMin(at, timeZone) * MINUTE_MS;
    if (at > nowMs) return at;
  }
  return nowMs + DAY_MS;
}
