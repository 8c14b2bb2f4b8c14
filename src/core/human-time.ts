/**
 * Times and durations as people type them on a command line: ISO-8601, `now`, `+4h`, `in 90 minutes`,
 * `2h ago`, `tomorrow 07:00`, `07:00`, `monday 09:00`; durations like `2h30m`, `1.5h`, `PT2H`, `45`.
 * Wall-clock forms are read in an explicit IANA time zone, DST-correct: a time that does not exist
 * (the spring-forward gap) moves forward by the gap, an ambiguous one (the fall-back hour) takes the
 * earlier instant, as Temporal's `compatible` disambiguation does.
 */
import { InputError } from './errors.ts';
import { DAY_MS, MINUTE_MS, tzOffsetMin, zonedParts } from './time.ts';

export interface ParseTimeOptions {
  /** the current instant (epoch ms); relative forms count from it */
  nowMs: number;
  /** IANA time zone for wall-clock forms, e.g. `Europe/Berlin` */
  timeZone: string;
  /** what the value is, for error messages, e.g. `--deadline` */
  what?: string;
}

export const TIME_FORMS = [
  'ISO-8601 (2024-03-31T07:00:00Z, 2024-03-31T09:00+02:00, or 2024-03-31 09:00 in the time zone)',
  'now',
  '+4h, +90m, +1d2h (from now), -30m',
  'in 4 hours, in 90 minutes',
  '2h ago, 3 days ago',
  'today 18:30, tomorrow 07:00, tomorrow',
  '07:00, 7am, 7:30pm (the next occurrence)',
  'monday 09:00, mon 9am (the next occurrence)',
];

export const DURATION_FORMS = ['2h30m', '90m', '1.5h', '1d', '2 hours', 'PT2H30M (ISO-8601)', '45 (minutes)'];

const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Minutes per duration unit, keyed by every spelling accepted. */
const UNIT_MIN: Record<string, number> = {};
for (const [min, names] of [
  [1 / 60, ['s', 'sec', 'secs', 'second', 'seconds']],
  [1, ['m', 'min', 'mins', 'minute', 'minutes']],
  [60, ['h', 'hr', 'hrs', 'hour', 'hours']],
  [1440, ['d', 'day', 'days']],
  [10080, ['w', 'wk', 'week', 'weeks']],
] as const) {
  for (const n of names) UNIT_MIN[n] = min;
}

function timeError(text: string, what: string | undefined, why?: string): InputError {
  const label = what ? `${what}: ` : '';
  const reason = why ? ` (${why})` : '';
  return new InputError(
    `${label}cannot read "${text}" as a time${reason}; accepted forms: ${TIME_FORMS.join('; ')}`,
  );
}

function durationError(text: string, what: string | undefined, why?: string): InputError {
  const label = what ? `${what}: ` : '';
  const reason = why ? ` (${why})` : '';
  return new InputError(
    `${label}cannot read "${text}" as a duration${reason}; accepted forms: ${DURATION_FORMS.join(', ')}`,
  );
}

/** Throws unless `timeZone` is an IANA time zone name this runtime knows. Returns it unchanged. */
export function assertTimeZone(timeZone: string, what = 'time zone'): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    throw new InputError(`${what}: "${timeZone}" is not an IANA time zone name (e.g. Europe/Berlin, UTC)`);
  }
}

/** The time zone of this machine (IANA name), UTC when the runtime cannot tell. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export interface WallTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

/**
 * The instant at which clocks in `timeZone` show `wall`. Day, hour and minute may overflow (day 32,
 * hour 24) and roll over as `Date.UTC` does. Gap times move forward by the gap; ambiguous times take
 * the earlier instant.
 */
export function zonedTimeToMs(wall: WallTime, timeZone: string): number {
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
  // Offsets a day either side bracket any single transition near this wall time.
  const offBefore = tzOffsetMin(wallMs - DAY_MS, timeZone);
  const offAfter = tzOffsetMin(wallMs + DAY_MS, timeZone);
  const candidates: number[] = [];
  for (const off of offBefore === offAfter ? [offBefore] : [offBefore, offAfter]) {
    const t = wallMs - off * MINUTE_MS;
    if (tzOffsetMin(t, timeZone) === off) candidates.push(t);
  }
  if (candidates.length > 0) return Math.min(...candidates);
  // In the gap: reading the wall time with the offset in force before it lands after the transition.
  return wallMs - offBefore * MINUTE_MS;
}

/** Adds `days` calendar days to the date of `ms` in `timeZone` and returns that date at `hour:minute`. */
function atLocalTime(ms: number, timeZone: string, days: number, hour: number, minute: number): number {
  const p = zonedParts(ms, timeZone);
  return zonedTimeToMs({ year: p.year, month: p.month, day: p.day + days, hour, minute }, timeZone);
}

/** `07:00`, `7:00`, `7`, `07:00:30`, `7am`, `7:30pm`, `12am` -> [hour, minute], or null. */
function parseClock(text: string): [number, number] | null {
  const m = /^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?$/.exec(text);
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  const meridiem = m[4];
  if (m[2] === undefined && !meridiem) return null; // a bare number is not a clock time
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return null;
  return [hour, minute];
}

/**
 * Sums a sequence of `<number><unit>` terms (`1d2h`, `2 hours 30 minutes`, `1.5h`) into minutes.
 * Returns null when the text is not such a sequence.
 */
function parseUnitTerms(text: string): number | null {
  const re = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*(?:,|and)?\s*/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null = re.exec(text);
  while (m) {
    const unit = UNIT_MIN[m[2]];
    if (unit === undefined) return null;
    total += Number(m[1]) * unit;
    matched = re.lastIndex;
    m = re.exec(text);
  }
  return matched === text.length && matched > 0 ? total : null;
}

/** ISO-8601 duration: `PT2H30M`, `P1DT2H`, `PT90M`, `PT0.5H`, `P1W`. Returns null when not one. */
function parseIsoDuration(text: string): number | null {
  const m =
    /^p(?:(\d+(?:\.\d+)?)w)?(?:(\d+(?:\.\d+)?)d)?(?:t(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?)?$/.exec(
      text,
    );
  if (!m || text === 'p' || text === 'pt' || text.endsWith('t')) return null;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return w * 10080 + d * 1440 + h * 60 + min + s / 60;
}

/**
 * Parses a duration into minutes: `2h30m`, `90m`, `1.5h`, `1d`, `2 hours`, `PT2H`, or a bare number of
 * minutes (`45`). Throws an InputError naming the text and the accepted forms.
 */
export function parseDuration(text: string, what?: string): number {
  const t = String(text).trim().toLowerCase();
  if (t === '') throw durationError(text, what, 'empty');
  let minutes: number | null;
  if (/^\d+(?:\.\d+)?$/.test(t)) minutes = Number(t);
  else if (t.startsWith('p')) minutes = parseIsoDuration(t);
  else minutes = parseUnitTerms(t);
  if (minutes === null || !Number.isFinite(minutes)) throw durationError(text, what);
  return minutes;
}

/** An instant in ISO-8601 form; without an offset it is wall-clock time in `timeZone`. Null when not ISO. */
function parseIsoTime(text: string, timeZone: string): number | null {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text,
    );
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fracMs = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  // Reject 2024-02-30 and the like rather than rolling over silently.
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return Number.NaN;
  const zone = m[8];
  if (zone === undefined) return zonedTimeToMs({ year, month, day, hour, minute, second }, timeZone) + fracMs;
  let offsetMin = 0;
  if (zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) + fracMs - offsetMin * MINUTE_MS;
}

/**
 * Parses a time as typed by a person into epoch ms. See TIME_FORMS for what is accepted. Wall-clock
 * forms (`tomorrow 07:00`, ISO without an offset) are read in `timeZone`. Throws an InputError naming the
 * text and listing the accepted forms.
 */
export function parseTime(text: string, options: ParseTimeOptions): number {
  const { nowMs, timeZone, what } = options;
  const t = String(text).trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === '') throw timeError(text, what, 'empty');
  if (t === 'now') return nowMs;

  // +4h, -30m, +1d2h, +PT2H
  const signed = /^([+-])\s*(.+)$/.exec(t);
  if (signed) {
    const minutes = tryDuration(signed[2]);
    if (minutes === null) throw timeError(text, what);
    return nowMs + (signed[1] === '-' ? -1 : 1) * minutes * MINUTE_MS;
  }
  // in 4 hours
  const inMatch = /^in (.+)$/.exec(t);
  if (inMatch) {
    const minutes = tryDuration(inMatch[1]);
    if (minutes === null) throw timeError(text, what);
    return nowMs + minutes * MINUTE_MS;
  }
  // 2h ago
  const agoMatch = /^(.+) ago$/.exec(t);
  if (agoMatch) {
    const minutes = tryDuration(agoMatch[1]);
    if (minutes === null) throw timeError(text, what);
    return nowMs - minutes * MINUTE_MS;
  }

  const iso = parseIsoTime(t, timeZone);
  if (iso !== null) {
    if (!Number.isFinite(iso)) throw timeError(text, what, 'no such date or time');
    return iso;
  }

  // [today|tomorrow|<weekday>] [clock]
  const dayMatch = /^(today|tomorrow|[a-z]+)(?: (?:at )?(.+))?$/.exec(t);
  if (dayMatch && (dayMatch[1] === 'today' || dayMatch[1] === 'tomorrow' || weekdayIndex(dayMatch[1]) >= 0)) {
    const clock = dayMatch[2] === undefined ? ([0, 0] as [number, number]) : parseClock(dayMatch[2]);
    if (!clock) throw timeError(text, what);
    const [hour, minute] = clock;
    if (dayMatch[1] === 'today') return atLocalTime(nowMs, timeZone, 0, hour, minute);
    if (dayMatch[1] === 'tomorrow') return atLocalTime(nowMs, timeZone, 1, hour, minute);
    const target = weekdayIndex(dayMatch[1]);
    const today = zonedParts(nowMs, timeZone).weekday;
    let days = (target - today + 7) % 7;
    let ms = atLocalTime(nowMs, timeZone, days, hour, minute);
    if (ms < nowMs) {
      days += 7;
      ms = atLocalTime(nowMs, timeZone, days, hour, minute);
    }
    return ms;
  }

  // 07:00 -> the next time the clock shows it (today if still ahead, else tomorrow)
  const clock = parseClock(t);
  if (clock) {
    const today = atLocalTime(nowMs, timeZone, 0, clock[0], clock[1]);
    return today >= nowMs ? today : atLocalTime(nowMs, timeZone, 1, clock[0], clock[1]);
  }
  throw timeError(text, what);
}

function tryDuration(text: string): number | null {
  try {
    return parseDuration(text);
  } catch {
    return null;
  }
}

/** 0 = Sunday; accepts full names and three-letter abbreviations. -1 when not a weekday. */
function weekdayIndex(word: string): number {
  if (word.length < 3) return -1;
  return WEEKDAY_NAMES.findIndex((name) => name === word || name.slice(0, 3) === word);
}
