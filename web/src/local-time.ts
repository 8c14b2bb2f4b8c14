/** Times on the pages that are not about one zone (queue, reports, settings): in the browser's time zone. */

export const LOCAL_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function localTime(iso: string | null | undefined, empty = '–'): string {
  if (!iso) return empty;
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: LOCAL_TIME_ZONE,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

/** A calendar day in the browser's time zone, YYYY-MM-DD (what `<input type="date">` holds). */
export function localDay(ms: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: LOCAL_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}
