/** Numbers and times for people, in the zone's own time zone. */

export function grams(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${Math.round(value)}`;
}

export function price(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
}

export function timeIn(iso: string, timeZone: string, withDay = false): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    ...(withDay ? { weekday: 'short', day: 'numeric', month: 'short' } : {}),
  }).format(new Date(iso));
}

/** The zone's time zone as people read it: `Europe/Berlin` -> `Berlin time`. */
export function zoneTimeName(timeZone: string): string {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
  return `${timeZone.split('/').pop()?.replace(/_/g, ' ') ?? timeZone} time`;
}
