import { z } from 'zod';
import { InputError, ProviderError } from '../core/errors.ts';
import type { Metric, Series } from '../core/series.ts';
import { MINUTE_MS, parseIsoMs, toIso } from '../core/time.ts';
import { penceToPounds } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { expectShape, getJson } from './http.ts';
import { coverageGap, overlapping, toSteps, type ValueInterval } from './intervals.ts';
import { httpOptions } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';
import { AGILE_PUBLICATION, DAY_AHEAD_CEILING_MS } from './publication.ts';

/**
 * Octopus Energy Agile: the half-hourly unit rates of Octopus's wholesale-tracking tariff in Great Britain,
 * from the public REST API (no key needed). Rates for the next day are published around 16:00 UK time.
 */

const PROVIDER = 'octopus';
/** day-ahead prices: kept until the next publication, at most this long */
const TTL_MS = DAY_AHEAD_CEILING_MS;
export const OCTOPUS_BASE_URL = 'https://api.octopus.energy';
export const OCTOPUS_AGILE_PRODUCT = 'AGILE-24-10-01';
/** GSP group letters (the 14 former distribution regions); I and O are not used. */
export const OCTOPUS_REGIONS = [
  'A',
  'B',
  'C',
  'D',
  'E',
  'F',
  'G',
  'H',
  'J',
  'K',
  'L',
  'M',
  'N',
  'P',
] as const;
const DEFAULT_REGION = 'C'; // London
const SLOT_MIN = 30;
/** A year of half-hours at the default page size is ~176 pages; more than this means a loop. */
const MAX_PAGES = 400;

export interface OctopusAgileOptions {
  /** product code, e.g. `AGILE-24-10-01` */
  product?: string;
  /** GSP group letter A..P (default C, London); a zone's `ids.octopusRegion` overrides it */
  region?: string;
  /** report prices including VAT (default: excluding VAT, like wholesale prices elsewhere) */
  includeVat?: boolean;
  baseUrl?: string;
  timeoutMs?: number;
}

const unitRate = z.object({
  value_exc_vat: z.number(),
  value_inc_vat: z.number(),
  valid_from: z.string(),
  valid_to: z.string().nullable(),
  payment_method: z.string().nullable().optional(),
});
const page = z.object({
  next: z.string().nullable(),
  results: z.array(unitRate),
});
type UnitRate = z.infer<typeof unitRate>;
type Page = z.infer<typeof page>;

function checkRegion(region: string, where: string): string {
  const letter = region.trim().toUpperCase();
  if (!(OCTOPUS_REGIONS as readonly string[]).includes(letter))
    throw new InputError(
      `${where}: "${region}" is not an Octopus region letter (one of ${OCTOPUS_REGIONS.join('')})`,
    );
  return letter;
}

function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The API answers `next` as an absolute URL on its own host. Keep its path and query but send it to the configured
 * base URL, so that a proxy or a test server keeps receiving the requests.
 */
export function resolveNextPage(next: string, baseUrl: string): string {
  const base = trimBase(baseUrl);
  const resolved = new URL(next, `${base}/`);
  if (resolved.origin === new URL(base).origin) return resolved.toString();
  return `${base}${resolved.pathname}${resolved.search}`;
}

/** Some tariffs list a rate per payment method; Agile lists one (payment_method null). Prefer direct debit. */
function paymentRank(rate: UnitRate): number {
  const m = rate.payment_method ?? null;
  return m === null || m === 'DIRECT_DEBIT' ? 0 : 1;
}

export function octopusAgile(opts: OctopusAgileOptions = {}): SignalProvider {
  const product = (opts.product ?? OCTOPUS_AGILE_PRODUCT).trim().toUpperCase();
  if (!/^[A-Z0-9-]+$/.test(product))
    throw new InputError(
      `octopus.product: "${opts.product}" is not an Octopus product code (e.g. ${OCTOPUS_AGILE_PRODUCT})`,
    );
  const defaultRegion = checkRegion(opts.region ?? DEFAULT_REGION, 'octopus.region');
  const baseUrl = trimBase(opts.baseUrl ?? OCTOPUS_BASE_URL);
  const includeVat = opts.includeVat ?? false;

  function supportsZone(zone: Zone): boolean {
    if (zone.ids?.octopusRegion) return true;
    // Northern Ireland is part of the all-island market, not of GB retail tariffs.
    return zone.code === 'GB' || (zone.code.startsWith('GB-') && zone.code !== 'GB-NIR');
  }

  async function fetchRates(region: string, fromMs: number, toMs: number): Promise<UnitRate[]> {
    const tariff = `E-1R-${product}-${region}`;
    const query = new URLSearchParams({ period_from: toIso(fromMs), period_to: toIso(toMs) });
    let url: string | null =
      `${baseUrl}/v1/products/${product}/electricity-tariffs/${tariff}/standard-unit-rates/?${query}`;
    const seen = new Set<string>();
    const rates: UnitRate[] = [];
    while (url) {
      if (seen.has(url) || seen.size >= MAX_PAGES)
        throw new ProviderError(PROVIDER, 'malformed', `pagination does not end (after ${seen.size} pages)`);
      seen.add(url);
      const body: Page = expectShape(
        page,
        await getJson(url, { provider: PROVIDER, timeoutMs: opts.timeoutMs }),
        PROVIDER,
      );
      rates.push(...body.results);
      url = body.next ? resolveNextPage(body.next, baseUrl) : null;
    }
    return rates;
  }

  function toIntervals(rates: UnitRate[]): ValueInterval[] {
    const byStart = new Map<number, { rate: UnitRate; interval: ValueInterval }>();
    for (const rate of rates) {
      let startMs: number;
      let endMs: number;
      try {
        startMs = parseIsoMs(rate.valid_from, 'valid_from');
        endMs =
          rate.valid_to === null ? startMs + SLOT_MIN * MINUTE_MS : parseIsoMs(rate.valid_to, 'valid_to');
      } catch (cause) {
        throw new ProviderError(PROVIDER, 'malformed', (cause as Error).message, { cause });
      }
      const pence = includeVat ? rate.value_inc_vat : rate.value_exc_vat;
      const interval = { startMs, endMs, value: penceToPounds(pence) };
      const known = byStart.get(startMs);
      if (!known || paymentRank(rate) < paymentRank(known.rate)) byStart.set(startMs, { rate, interval });
    }
    return [...byStart.values()].map((v) => v.interval);
  }

  return {
    name: PROVIDER,
    ttlMs: TTL_MS,
    publication: AGILE_PUBLICATION,
    supports(zone: Zone, metric: Metric): boolean {
      return metric === 'price' && supportsZone(zone);
    },
    async fetch({ zone, metric, fromMs, toMs }: SignalRequest): Promise<Series[]> {
      if (metric !== 'price' || !supportsZone(zone))
        throw new ProviderError(
          PROVIDER,
          'unsupported',
          `no ${metric} for zone ${zone.code} (Agile prices cover GB only)`,
        );
      const region = zone.ids?.octopusRegion
        ? checkRegion(zone.ids.octopusRegion, `zone ${zone.code} ids.octopusRegion`)
        : defaultRegion;
      const intervals = overlapping(toIntervals(await fetchRates(region, fromMs, toMs)), fromMs, toMs);
      if (intervals.length === 0)
        throw new ProviderError(
          PROVIDER,
          'not_found',
          `no ${product} unit rates for region ${region} between ${toIso(fromMs)} and ${toIso(toMs)} (the next day's rates appear around 16:00 UK time)`,
        );
      const { points, resolutionMin } = toSteps(intervals, PROVIDER);
      return [
        {
          zone: zone.code,
          metric: 'price',
          unit: 'GBP/kWh',
          resolutionMin,
          // Published rates are fixed prices, not predictions: one series covers the past and the published future.
          kind: 'actual',
          source: PROVIDER,
          degraded: coverageGap(intervals, fromMs, toMs),
          points,
        },
      ];
    },
  };
}

export const octopusDescriptor = describeProvider({
  name: PROVIDER,
  provides: ['price'],
  forecasts: true,
  options: z.strictObject({
    ...httpOptions,
    product: z.string().min(1).optional(),
    region: z
      .string()
      .regex(/^[A-HJ-NP]$/, 'must be an Octopus region letter A..P (no I or O)')
      .optional(),
    includeVat: z.boolean().optional(),
  }),
  secrets: {},
  ttlMs: TTL_MS,
  publication: AGILE_PUBLICATION,
  create: (options) => octopusAgile(options as OctopusAgileOptions),
});
