import { z } from 'zod';
import { InputError, ProviderError } from '../core/errors.ts';
import type { Metric, Series } from '../core/series.ts';
import { DAY_MS, toIso, zonedParts } from '../core/time.ts';
import { perMwhToPerKwh } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { expectShape, request } from './http.ts';
import { dayAheadSeries, type ValueInterval } from './intervals.ts';
import { httpOptions } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';
import { DAY_AHEAD_CEILING_MS, EU_DAY_AHEAD_PUBLICATION } from './publication.ts';

/**
 * Nord Pool day-ahead prices from the public data portal API (the one behind data.nordpoolgroup.com; no key).
 * One request per delivery day; the next day's prices appear after about 13:00 CET.
 */

const PROVIDER = 'nordpool';
/** day-ahead prices: kept until the next publication, at most this long */
const TTL_MS = DAY_AHEAD_CEILING_MS;
export const NORDPOOL_BASE_URL = 'https://dataportal-api.nordpoolgroup.com';
export type NordPoolCurrency = 'EUR' | 'SEK' | 'NOK' | 'DKK';
const CURRENCIES: readonly NordPoolCurrency[] = ['EUR', 'SEK', 'NOK', 'DKK'];
/** Delivery days are CET/CEST days for every area. */
const DELIVERY_TZ = 'Europe/Berlin';

/** Our zone codes -> Nord Pool delivery areas. Germany (the DE-LU bidding zone) is `GER` there. */
export const NORDPOOL_AREAS: Readonly<Record<string, string>> = {
  'SE-SE1': 'SE1',
  'SE-SE2': 'SE2',
  'SE-SE3': 'SE3',
  'SE-SE4': 'SE4',
  'NO-NO1': 'NO1',
  'NO-NO2': 'NO2',
  'NO-NO3': 'NO3',
  'NO-NO4': 'NO4',
  'NO-NO5': 'NO5',
  'DK-DK1': 'DK1',
  'DK-DK2': 'DK2',
  FI: 'FI',
  EE: 'EE',
  LV: 'LV',
  LT: 'LT',
  DE: 'GER',
  LU: 'GER',
  AT: 'AT',
  BE: 'BE',
  FR: 'FR',
  NL: 'NL',
  PL: 'PL',
  BG: 'BG',
  RO: 'TEL',
};

/** The delivery area to ask for: the zone's own `ids.nordpool`, else the table above. */
export function nordPoolArea(zone: Zone): string | undefined {
  return zone.ids?.nordpool ?? NORDPOOL_AREAS[zone.code];
}

export interface NordPoolOptions {
  baseUrl?: string;
  /** currency the prices are quoted in (default EUR) */
  currency?: NordPoolCurrency;
  timeoutMs?: number;
}

const dayAheadPrices = z.object({
  deliveryDateCET: z.string(),
  currency: z.string(),
  multiAreaEntries: z.array(
    z.object({
      deliveryStart: z.string(),
      deliveryEnd: z.string(),
      entryPerArea: z.record(z.string(), z.number().nullable()),
    }),
  ),
});

/** YYYY-MM-DD of the CET delivery day that contains `ms`. */
export function deliveryDate(ms: number): string {
  const p = zonedParts(ms, DELIVERY_TZ);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Every delivery date from the one containing `fromMs` to the one containing `lastMs`, inclusive. */
function deliveryDates(fromMs: number, lastMs: number): string[] {
  const last = deliveryDate(lastMs);
  const dates: string[] = [];
  // Walk calendar dates (noon UTC keeps clear of any day boundary), not 24-hour steps: DST days are 23 or 25 h.
  let day = Date.parse(`${deliveryDate(fromMs)}T12:00:00Z`);
  for (let d = toIso(day).slice(0, 10); d <= last; day += DAY_MS, d = toIso(day).slice(0, 10)) dates.push(d);
  return dates;
}

function instant(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new ProviderError(PROVIDER, 'malformed', `${what} "${text}" is not a time`);
  return ms;
}

export function nordPool(opts: NordPoolOptions = {}): SignalProvider {
  const currency = opts.currency ?? 'EUR';
  if (!CURRENCIES.includes(currency))
    throw new InputError(`nordpool.currency: "${currency}" is not one of ${CURRENCIES.join(', ')}`);
  const baseUrl = (opts.baseUrl ?? NORDPOOL_BASE_URL).replace(/\/+$/, '');

  /** The day's intervals, or null when the day is not (yet) published (HTTP 204 or no entries). */
  async function fetchDay(area: string, date: string): Promise<ValueInterval[] | null> {
    const query = new URLSearchParams({ date, market: 'DayAhead', deliveryArea: area, currency });
    const response = await request(`${baseUrl}/api/DayAheadPrices?${query}`, {
      provider: PROVIDER,
      timeoutMs: opts.timeoutMs,
    });
    if (response.status === 204) return null;
    const text = await response.text();
    if (text.trim() === '') return null;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (cause) {
      throw new ProviderError(PROVIDER, 'malformed', 'response is not JSON', { cause });
    }
    const day = expectShape(dayAheadPrices, data, PROVIDER);
    if (day.currency !== currency)
      throw new ProviderError(PROVIDER, 'malformed', `asked for ${currency} prices, got ${day.currency}`);
    const out: ValueInterval[] = [];
    for (const entry of day.multiAreaEntries) {
      const price = entry.entryPerArea[area];
      // An area can be absent from an entry (or null) when it has no price for it: leave a gap.
      if (price === undefined || price === null) continue;
      out.push({
        startMs: instant(entry.deliveryStart, 'deliveryStart'),
        endMs: instant(entry.deliveryEnd, 'deliveryEnd'),
        value: perMwhToPerKwh(price),
      });
    }
    return out.length > 0 ? out : null;
  }

  return {
    name: PROVIDER,
    ttlMs: TTL_MS,
    publication: EU_DAY_AHEAD_PUBLICATION,
    supports(zone: Zone, metric: Metric): boolean {
      return metric === 'price' && nordPoolArea(zone) !== undefined;
    },
    async fetch({ zone, metric, fromMs, toMs, nowMs }: SignalRequest): Promise<Series[]> {
      const area = nordPoolArea(zone);
      if (metric !== 'price' || area === undefined)
        throw new ProviderError(
          PROVIDER,
          'unsupported',
          metric !== 'price'
            ? `no ${metric} (Nord Pool gives day-ahead prices only)`
            : `no delivery area known for ${zone.code}: set ids.nordpool (e.g. SE3)`,
        );
      // Nothing beyond tomorrow can have been auctioned yet: don't ask.
      const lastPublishable = deliveryDate(nowMs + DAY_MS);
      const dates = toMs > fromMs ? deliveryDates(fromMs, toMs - 1).filter((d) => d <= lastPublishable) : [];
      const all: ValueInterval[] = [];
      for (const date of dates) {
        const day = await fetchDay(area, date);
        if (day) all.push(...day);
      }
      return [dayAheadSeries(PROVIDER, zone.code, currency, all, fromMs, toMs, area)];
    },
  };
}

export const nordPoolDescriptor = describeProvider({
  name: PROVIDER,
  provides: ['price'],
  forecasts: true,
  options: z.strictObject({
    ...httpOptions,
    currency: z.enum(['EUR', 'SEK', 'NOK', 'DKK'], { message: 'must be EUR, SEK, NOK or DKK' }).optional(),
  }),
  secrets: {},
  ttlMs: TTL_MS,
  publication: EU_DAY_AHEAD_PUBLICATION,
  create: (options) => nordPool(options as NordPoolOptions),
});
