/**
 * ASP.NET's routing and model binding, as the Carbon Aware SDK's clients rely on them: paths and query
 * keys match whatever their case (`/emissions/byLocation?Location=eastus`), and a list can be bound from
 * indexed keys (`location[0]=eastus&location[1]=westus`). gridshift's own routes stay case-sensitive; only
 * URLs whose path is one of the SDK's are rewritten, to the spelling the routes declare. Pure.
 */

/** The SDK's paths, as the routes declare them. */
export const CARBON_AWARE_PATHS = [
  '/emissions/bylocation',
  '/emissions/bylocations',
  '/emissions/bylocations/best',
  '/emissions/forecasts/current',
  '/emissions/forecasts/batch',
  '/emissions/average-carbon-intensity',
  '/emissions/average-carbon-intensity/batch',
  '/locations',
  '/health',
] as const;

/** The SDK's query parameters, as the routes declare them. */
const QUERY_KEYS = [
  'location',
  'time',
  'toTime',
  'durationMinutes',
  'dataStartAt',
  'dataEndAt',
  'windowSize',
  'startTime',
  'endTime',
];

const PATH_BY_LOWER = new Map(CARBON_AWARE_PATHS.map((p) => [p, p]));
const KEY_BY_LOWER = new Map(QUERY_KEYS.map((k) => [k.toLowerCase(), k]));

/** `location[3]` (or `location%5B3%5D`) -> the key and its index; a plain key has no index. */
function splitIndexedKey(rawKey: string): { key: string; index?: number } {
  let key = rawKey;
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    return { key: rawKey };
  }
  const m = /^(.*)\[(\d{1,6})\]$/.exec(key);
  return m ? { key: m[1], index: Number(m[2]) } : { key };
}

/** The query with SDK keys in their declared spelling and indexed keys bound in index order. */
function normaliseQuery(query: string): string {
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((pair, position) => {
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      const { key, index } = splitIndexedKey(rawKey);
      const known = KEY_BY_LOWER.get(key.toLowerCase());
      if (!known) return { text: pair, key: rawKey, order: position, index: undefined };
      return { text: `${known}=${value}`, key: known, order: position, index };
    });
  // indexed entries of one key take the place of its first one, in index order, as ASP.NET binds them
  // (the sort is stable: everything else keeps its order)
  const firstOf = new Map<string, number>();
  for (const p of pairs) if (!firstOf.has(p.key)) firstOf.set(p.key, p.order);
  const place = (p: (typeof pairs)[number]) => firstOf.get(p.key) ?? p.order;
  return pairs
    .sort((a, b) => place(a) - place(b) || (a.index ?? -1) - (b.index ?? -1))
    .map((p) => p.text)
    .join('&');
}

/** The URL as the SDK routes are declared, or the URL unchanged when its path is not one of theirs. */
export function normaliseCarbonAwareUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const declared = PATH_BY_LOWER.get(trimmed.toLowerCase() as (typeof CARBON_AWARE_PATHS)[number]);
  if (!declared) return url;
  return q < 0 ? declared : `${declared}?${normaliseQuery(url.slice(q + 1))}`;
}
