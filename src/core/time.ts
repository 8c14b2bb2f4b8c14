/** Time helpers. All instants are epoch milliseconds (UTC); time zones matter only for display and local-hour lookups. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** First grid boundary at or after `ms` for a grid of `stepMin` minutes aligned to the UTC epoch. */
export function ceilToStep(ms: number, stepMin: number): number {
  const step = stepMin * MINUTE_MS;
  return Math.ceil(ms / step) * step;
}

/** Last grid boundary at or before `ms`. */
export function floorToStep(ms: number, stepMin: number): number {
  const step = stepMin * MINUTE_MS;
  return Math.floor(ms / step) * step;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Parses an ISO-8601 instant; throws a clear error naming the text if it is not one. */
export function parseIsoMs(text: string, what = 'time'): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new RangeError(`${what}: "${text}" is not an ISO-8601 time`);
  return ms;
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes (e.g. +60 for Europe/Berlin in winter). */
export function tzOffsetMin(ms: number, timeZone: string): number {
  const parts = zonedParts(ms, timeZone);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE_MS);
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Wall-clock parts of instant `ms` in `timeZone` (IANA name). */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS.indexOf(out.weekday),
  };
}
