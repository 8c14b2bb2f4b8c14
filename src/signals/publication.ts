import { DAY_MS, HOUR_MS, MINUTE_MS, tzOffsetMin, zonedParts } from '../core/time.ts';
import type { PublicationTime } from './provider.ts';

/**
 * When day-ahead prices appear and how long a fetched series stays current, as pure time computation.
 * Each publication time is a little after the usual one, so that the fetch after it finds the new day.
 */

/** The EU day-ahead auction (SDAC: ENTSO-E, Nord Pool) publishes around 12:45-13:00 CET for the next CET day. */
export const EU_DAY_AHEAD_PUBLICATION: PublicationTime = {
  timeZone: 'Europe/Brussels',
  hour: 13,
  minute: 15,
  coversToHour: 24,
};

/** Octopus Agile rates appear around 16:00 UK time, for 23:00 that day to 23:00 the next. */
export const AGILE_PUBLICATION: PublicationTime = {
  timeZone: 'Europe/London',
  hour: 16,
  minute: 15,
  coversToHour: 23,
};

/** The longest a day-ahead series stays cached, should a publication time be missed. */
export const DAY_AHEAD_CEILING_MS = 25 * HOUR_MS;

/** A series fetched after publication that still lacks the next day (a late auction) is asked again this soon. */
export const LATE_RETRY_MS = 30 * MINUTE_MS;

/** The instant a wall-clock time in `timeZone` names; days and hours past their range roll over (hour 24 = next midnight). */
function wallTimeMs(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // subtract the zone's offset, re-checked at the instant found in case a DST change lies between
  const at = wall - tzOffsetMin(wall, timeZone) * MINUTE_MS;
  return wall - tzOffsetMin(at, timeZone) * MINUTE_MS;
}

/** The publication instant on the local day `dayOffset` days from the one holding `ms`. */
function publicationOn(publication: PublicationTime, ms: number, dayOffset: number): number {
  const { timeZone, hour, minute } = publication;
  const day = zonedParts(ms, timeZone);
  return wallTimeMs(timeZone, day.year, day.month, day.day + dayOffset, hour, minute);
}

/** The first publication instant strictly after `nowMs`. */
export function nextPublicationMs(publication: PublicationTime, nowMs: number): number {
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    const at = publicationOn(publication, nowMs, dayOffset);
    if (at > nowMs) return at;
  }
  return nowMs + DAY_MS;
}

/** The last publication instant at or before `nowMs`. */
export function lastPublicationMs(publication: PublicationTime, nowMs: number): number {
  for (let dayOffset = 0; dayOffset >= -2; dayOffset--) {
    const at = publicationOn(publication, nowMs, dayOffset);
    if (at <= nowMs) return at;
  }
  return nowMs - DAY_MS;
}

/** Where the values published by `nowMs` end: the delivery day after the last publication, at its end. */
export function publishedUntilMs(publication: PublicationTime, nowMs: number): number {
  const { timeZone, coversToHour } = publication;
  const day = zonedParts(lastPublicationMs(publication, nowMs), timeZone);
  return wallTimeMs(timeZone, day.year, day.month, day.day + 1, coversToHour);
}

/**
 * The end to fetch a day-ahead range to: a range reaching past now is asked for everything published, so
 * that one answer serves the windows that slide on until the next publication.
 */
export function dayAheadFetchEndMs(publication: PublicationTime, toMs: number, nowMs: number): number {
  return toMs > nowMs ? Math.max(toMs, publishedUntilMs(publication, nowMs)) : toMs;
}

export interface DayAheadFetch {
  /** when the series was fetched */
  fetchedAtMs: number;
  /** the end of the range asked for */
  toMs: number;
  /** where the fetched values end; -Infinity when there are none */
  dataEndMs: number;
  /** the time to live that applies (the ceiling, or a configured one); 0 = not cached */
  ttlMs: number;
}

export interface DayAheadFreshness {
  expiresAtMs: number;
  /** the series holds everything published for the range: nothing newer exists before it expires */
  complete: boolean;
  /**
   * it also answers ranges reaching past its end: the range reached past what is published, and the series
   * holds all of that
   */
  openEnded: boolean;
}

/**
 * How long a fetched day-ahead series stays current: until the next publication (at most the TTL) when it
 * holds everything published for the range; when it lacks part of that (the auction is late), only for a
 * short while, to ask again soon.
 */
export function dayAheadFreshness(publication: PublicationTime, f: DayAheadFetch): DayAheadFreshness {
  const publishedUntil = publishedUntilMs(publication, f.fetchedAtMs);
  const complete = f.dataEndMs >= Math.min(f.toMs, publishedUntil);
  const keepMs = complete ? f.ttlMs : Math.min(f.ttlMs, LATE_RETRY_MS);
  return {
    expiresAtMs: Math.min(f.fetchedAtMs + keepMs, nextPublicationMs(publication, f.fetchedAtMs)),
    complete,
    openEnded: complete && f.toMs >= publishedUntil,
  };
}
