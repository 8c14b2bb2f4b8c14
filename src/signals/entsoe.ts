import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Metric, Series } from '../core/series.ts';
import { DAY_MS, MINUTE_MS, toIso } from '../core/time.ts';
import { type Currency, perMwhToPerKwh } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { expectShape, getText } from './http.ts';
import { dayAheadSeries, type ValueInterval } from './intervals.ts';
import { httpOptions } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';
import { DAY_AHEAD_CEILING_MS, EU_DAY_AHEAD_PUBLICATION } from './publication.ts';

/**
 * ENTSO-E Transparency Platform: day-ahead prices (document type A44, "12.1.D Energy Prices") for the European
 * bidding zones. Needs a personal security token.
 */

const PROVIDER = 'entsoe';
/** day-ahead prices: kept until the next publication, at most this long */
const TTL_MS = DAY_AHEAD_CEILING_MS;
export const ENTSOE_BASE_URL = 'https://web-api.tp.entsoe.eu/api';
export const ENTSOE_TOKEN_ENV = 'GRIDSHIFT_ENTSOE_TOKEN';
/** The platform answers at most one year per request. */
const MAX_SPAN_MS = 365 * DAY_MS;

/**
 * Our zone codes (Electricity Maps style) -> EIC code of the day-ahead bidding zone. GB has no day-ahead prices
 * on the platform since it left the EU market coupling; Northern Ireland trades in the all-island SEM.
 */
export const ENTSOE_BIDDING_ZONES: Readonly<Record<string, string>> = {
  AT: '10YAT-APG------L',
  BE: '10YBE----------2',
  BG: '10YCA-BULGARIA-R',
  CH: '10YCH-SWISSGRIDZ',
  CZ: '10YCZ-CEPS-----N',
  DE: '10Y1001A1001A82H', // DE-LU
  LU: '10Y1001A1001A82H', // DE-LU
  'DK-DK1': '10YDK-1--------W',
  'DK-DK2': '10YDK-2--------M',
  EE: '10Y1001A1001A39I',
  ES: '10YES-REE------0',
  FI: '10YFI-1--------U',
  FR: '10YFR-RTE------C',
  GR: '10YGR-HTSO-----Y',
  HR: '10YHR-HEP------M',
  HU: '10YHU-MAVIR----U',
  IE: '10Y1001A1001A59C', // IE(SEM)
  'GB-NIR': '10Y1001A1001A59C', // IE(SEM)
  'IT-NO': '10Y1001A1001A73I',
  'IT-CNO': '10Y1001A1001A70O',
  'IT-CSO': '10Y1001A1001A71M',
  'IT-SO': '10Y1001A1001A788',
  'IT-CAL': '10Y1001C--00096J',
  'IT-SIC': '10Y1001A1001A75E',
  'IT-SAR': '10Y1001A1001A74G',
  LT: '10YLT-1001A0008Q',
  LV: '10YLV-1001A00074',
  ME: '10YCS-CG-TSO---S',
  MK: '10YMK-MEPSO----8',
  NL: '10YNL----------L',
  'NO-NO1': '10YNO-1--------2',
  'NO-NO2': '10YNO-2--------T',
  'NO-NO3': '10YNO-3--------J',
  'NO-NO4': '10YNO-4--------9',
  'NO-NO5': '10Y1001A1001A48H',
  PL: '10YPL-AREA-----S',
  PT: '10YPT-REN------W',
  RO: '10YRO-TEL------P',
  RS: '10YCS-SERBIATSOV',
  'SE-SE1': '10Y1001A1001A44P',
  'SE-SE2': '10Y1001A1001A45N',
  'SE-SE3': '10Y1001A1001A46L',
  'SE-SE4': '10Y1001A1001A47J',
  SI: '10YSI-ELES-----O',
  SK: '10YSK-SEPS-----K',
};

/**
 * Areas with an EIC code but no day-ahead price of their own: a country split into several bidding zones, or GB,
 * whose prices the platform stopped publishing when GB left the EU market coupling (2021).
 */
const NO_DAY_AHEAD_PRICE: Readonly<Record<string, string>> = {
  '10YGB----------A': 'GB has no day-ahead prices on ENTSO-E since 2021',
  '10Y1001A1001A65H': 'Denmark trades in two bidding zones: use DK-DK1 or DK-DK2',
  '10YSE-1--------K': 'Sweden trades in four bidding zones: use SE-SE1 .. SE-SE4',
  '10YNO-0--------C': 'Norway trades in five bidding zones: use NO-NO1 .. NO-NO5',
  '10YIT-GRTN-----B':
    'Italy trades in several bidding zones: use IT-NO, IT-CNO, IT-CSO, IT-SO, IT-CAL, IT-SIC or IT-SAR',
  '10Y1001A1001A83F': 'Germany trades in the DE-LU bidding zone: use 10Y1001A1001A82H',
};

/** The EIC code to ask ENTSO-E for: the zone's own `ids.entsoe`, else the table above. */
export function entsoeEic(zone: Zone): string | undefined {
  return zone.ids?.entsoe ?? ENTSOE_BIDDING_ZONES[zone.code];
}

/** Why ENTSO-E cannot give day-ahead prices for this zone, or undefined when it can. */
function whyUnsupported(zone: Zone, metric: Metric): string | undefined {
  if (metric !== 'price') return `no ${metric} (ENTSO-E gives day-ahead prices only)`;
  const eic = entsoeEic(zone);
  if (eic === undefined) return `no bidding zone known for ${zone.code}: set ids.entsoe to its EIC code`;
  const why = NO_DAY_AHEAD_PRICE[eic];
  return why ? `no day-ahead prices for ${zone.code} (${eic}): ${why}` : undefined;
}

export interface EntsoeOptions {
  /** the config layer reads it from GRIDSHIFT_ENTSOE_TOKEN */
  securityToken?: string;
  baseUrl?: string;
  timeoutMs?: number;
  /**
   * Which classification sequence to prefer where a zone publishes several day-ahead auctions (DE-LU and AT:
   * 1 = SDAC, the coupled auction; 2 = EXAA). Default 1. Another sequence only fills hours the preferred one lacks.
   */
  sequence?: number;
}

// ---- the XML documents ---------------------------------------------------------------------------------------

const ARRAY_TAGS = new Set(['TimeSeries', 'Period', 'Point', 'Reason']);
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  ignoreDeclaration: true,
  // keep every value a string: numbers are checked by the schema below, not guessed by the parser
  parseTagValue: false,
  processEntities: false,
  isArray: (tagName) => ARRAY_TAGS.has(tagName),
});

const decimal = z
  .string()
  .regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'not a number')
  .transform(Number);
const positionSchema = z.string().regex(/^\d+$/, 'not a position').transform(Number);
const pointSchema = z.object({ position: positionSchema, 'price.amount': decimal });
const periodSchema = z.object({
  timeInterval: z.object({ start: z.string(), end: z.string() }),
  resolution: z.string(),
  Point: z.array(pointSchema).min(1),
});
const timeSeriesSchema = z.object({
  'currency_Unit.name': z.string(),
  'price_Measure_Unit.name': z.string(),
  curveType: z.string().optional(),
  'classificationSequence_AttributeInstanceComponent.position': positionSchema.optional(),
  Period: z.array(periodSchema).min(1),
});
const publicationSchema = z.object({
  Publication_MarketDocument: z.object({ TimeSeries: z.array(timeSeriesSchema).optional() }),
});
const acknowledgementSchema = z.object({
  Acknowledgement_MarketDocument: z.object({
    Reason: z.array(z.object({ code: z.string().optional(), text: z.string().optional() })).optional(),
  }),
});
type TimeSeriesXml = z.infer<typeof timeSeriesSchema>;
type PeriodXml = z.infer<typeof periodSchema>;

const KNOWN_CURRENCIES: readonly Currency[] = [
  'EUR',
  'GBP',
  'USD',
  'SEK',
  'NOK',
  'DKK',
  'AUD',
  'JPY',
  'INR',
  'SGD',
];

/** Resolution as ISO-8601 duration: PT15M, PT30M, PT60M, PT1H, P1D. */
function resolutionMs(text: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(text);
  if (m && (m[1] || m[2])) return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * MINUTE_MS;
  if (text === 'P1D') return DAY_MS;
  throw new ProviderError(PROVIDER, 'malformed', `unknown resolution "${text}"`);
}

function instant(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new ProviderError(PROVIDER, 'malformed', `${what} "${text}" is not a time`);
  return ms;
}

/**
 * The intervals of one Period. Curve type A03 (variable-sized blocks) leaves out positions whose price equals
 * the one before: each point holds until the next given position or the end of the period. Under A01 every
 * position is listed, so a missing one is a gap.
 */
function periodIntervals(period: PeriodXml, curveType: string | undefined): ValueInterval[] {
  const startMs = instant(period.timeInterval.start, 'Period start');
  const endMs = instant(period.timeInterval.end, 'Period end');
  const stepMs = resolutionMs(period.resolution);
  const slots = (endMs - startMs) / stepMs;
  if (!Number.isInteger(slots) || slots <= 0)
    throw new ProviderError(
      PROVIDER,
      'malformed',
      `period ${period.timeInterval.start}..${period.timeInterval.end} is not a whole number of ${period.resolution}`,
    );
  const byPosition = new Map<number, number>();
  for (const p of period.Point) {
    if (p.position < 1 || p.position > slots)
      throw new ProviderError(
        PROVIDER,
        'malformed',
        `position ${p.position} outside a period of ${slots} slots`,
      );
    if (byPosition.has(p.position))
      throw new ProviderError(PROVIDER, 'malformed', `position ${p.position} appears twice in one period`);
    byPosition.set(p.position, perMwhToPerKwh(p['price.amount']));
  }
  const fill = curveType === 'A03';
  const out: ValueInterval[] = [];
  let current: number | undefined;
  for (let pos = 1; pos <= slots; pos++) {
    const given = byPosition.get(pos);
    if (given !== undefined) current = given;
    else if (!fill) continue;
    if (current === undefined) continue; // nothing to repeat before the first point
    const s = startMs + (pos - 1) * stepMs;
    out.push({ startMs: s, endMs: s + stepMs, value: current });
  }
  return out;
}

interface Candidate {
  sequence: number;
  currency: string;
  stepMs: number;
  intervals: ValueInterval[];
}

function candidate(ts: TimeSeriesXml): Candidate {
  const unit = ts['price_Measure_Unit.name'];
  if (unit !== 'MWH') throw new ProviderError(PROVIDER, 'malformed', `prices per "${unit}", expected MWH`);
  const intervals: ValueInterval[] = [];
  let stepMs = Number.POSITIVE_INFINITY;
  for (const period of ts.Period) {
    stepMs = Math.min(stepMs, resolutionMs(period.resolution));
    intervals.push(...periodIntervals(period, ts.curveType));
  }
  return {
    sequence: ts['classificationSequence_AttributeInstanceComponent.position'] ?? 1,
    currency: ts['currency_Unit.name'],
    stepMs,
    intervals,
  };
}

/** Whether [s, e) overlaps any of the sorted, disjoint `covered` ranges. */
function overlapsCovered(covered: readonly [number, number][], s: number, e: number): boolean {
  let lo = 0;
  let hi = covered.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (covered[mid][1] <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo < covered.length && covered[lo][0] < e;
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Collects intervals in rank order; each only where nothing ranked before it already holds a value. */
class Coverage {
  private covered: [number, number][] = [];
  readonly chosen: ValueInterval[] = [];
  add(intervals: readonly ValueInterval[]): void {
    const added = intervals.filter((iv) => !overlapsCovered(this.covered, iv.startMs, iv.endMs));
    this.chosen.push(...added);
    this.covered = mergeRanges([
      ...this.covered,
      ...added.map((iv): [number, number] => [iv.startMs, iv.endMs]),
    ]);
  }
}

/**
 * One price per instant from possibly overlapping TimeSeries: the preferred classification sequence first, then
 * finer resolutions (a zone that moved to 15-minute products may still publish an hourly series alongside).
 * A series only fills time that better-ranked ones leave empty. Mixed resolutions across days are normal.
 */
function chooseIntervals(
  series: TimeSeriesXml[],
  preferredSequence: number,
): { currency: Currency; intervals: ValueInterval[] } {
  const ranked = series
    .map(candidate)
    .sort(
      (a, b) =>
        Number(a.sequence !== preferredSequence) - Number(b.sequence !== preferredSequence) ||
        a.sequence - b.sequence ||
        Number(a.currency !== 'EUR') - Number(b.currency !== 'EUR') ||
        a.stepMs - b.stepMs,
    );
  const currency = ranked[0].currency;
  if (!(KNOWN_CURRENCIES as readonly string[]).includes(currency))
    throw new ProviderError(PROVIDER, 'malformed', `unsupported currency "${currency}"`);
  const coverage = new Coverage();
  for (const c of ranked) if (c.currency === currency) coverage.add(c.intervals);
  return { currency: currency as Currency, intervals: coverage.chosen };
}

/** The reasons an Acknowledgement_MarketDocument gives, or null when `doc` is not one. */
function acknowledgementReasons(doc: unknown): string[] | null {
  if (!(doc && typeof doc === 'object' && 'Acknowledgement_MarketDocument' in doc)) return null;
  const ack = expectShape(acknowledgementSchema, doc, PROVIDER).Acknowledgement_MarketDocument;
  return (ack.Reason ?? []).map((r) => `${r.code ?? '?'}: ${r.text ?? ''}`.trim());
}

const isNoData = (reason: string) => /no matching data/i.test(reason);

/**
 * Reads an A44 answer: a Publication_MarketDocument of prices, or an Acknowledgement_MarketDocument that says
 * why there are none. Returns null when ENTSO-E has no data for the request.
 */
export function parseDayAheadPrices(
  xml: string,
  preferredSequence = 1,
): { currency: Currency; intervals: ValueInterval[] } | null {
  if (XMLValidator.validate(xml) !== true)
    throw new ProviderError(PROVIDER, 'malformed', 'response is not well-formed XML');
  const doc: unknown = parser.parse(xml);
  const reasons = acknowledgementReasons(doc);
  if (reasons) {
    if (reasons.some(isNoData)) return null;
    throw new ProviderError(
      PROVIDER,
      'malformed',
      `request refused: ${reasons.join('; ') || 'no reason given'}`,
    );
  }
  if (!(doc && typeof doc === 'object' && 'Publication_MarketDocument' in doc))
    throw new ProviderError(PROVIDER, 'malformed', 'expected a Publication_MarketDocument');
  const series = expectShape(publicationSchema, doc, PROVIDER).Publication_MarketDocument.TimeSeries ?? [];
  if (series.length === 0) return null;
  return chooseIntervals(series, preferredSequence);
}

// ---- the provider --------------------------------------------------------------------------------------------

/** yyyyMMddHHmm in UTC, as the API wants periodStart/periodEnd. */
function entsoeTime(ms: number): string {
  return toIso(ms).replace(/[-:T]/g, '').slice(0, 12);
}

export function entsoe(opts: EntsoeOptions = {}): SignalProvider {
  const token = opts.securityToken || undefined;
  const baseUrl = opts.baseUrl ?? ENTSOE_BASE_URL;
  const preferredSequence = opts.sequence ?? 1;

  async function fetchWindow(eic: string, zone: Zone, fromMs: number, toMs: number, secret: string) {
    const query = new URLSearchParams({
      documentType: 'A44',
      in_Domain: eic,
      out_Domain: eic,
      periodStart: entsoeTime(Math.floor(fromMs / MINUTE_MS) * MINUTE_MS),
      periodEnd: entsoeTime(Math.ceil(toMs / MINUTE_MS) * MINUTE_MS),
      securityToken: secret,
    });
    let xml: string;
    try {
      xml = await getText(`${baseUrl}?${query}`, { provider: PROVIDER, timeoutMs: opts.timeoutMs });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const extra = { status: err.status, retryAfterMs: err.retryAfterMs, cause: err };
      if (err.kind === 'auth')
        throw new ProviderError(
          PROVIDER,
          'auth',
          `security token refused (HTTP ${err.status}): check ${ENTSOE_TOKEN_ENV}`,
          extra,
        );
      // The platform answers some requests it cannot serve with HTTP 400 and an acknowledgement document.
      if (err.status === 400) {
        // its reason decides: no data for the range, or a request refused for what it says
        const body = err.body ?? '';
        let reasons: string[] | null = null;
        try {
          if (XMLValidator.validate(body) === true) reasons = acknowledgementReasons(parser.parse(body));
        } catch {
          // not an acknowledgement that can be read: the general advice below
        }
        if (reasons?.some(isNoData))
          throw new ProviderError(PROVIDER, 'not_found', `no day-ahead prices for ${zone.code}`, extra);
        const why = reasons?.length ? reasons.join('; ') : 'check ids.entsoe and the range';
        throw new ProviderError(
          PROVIDER,
          'malformed',
          `request refused (HTTP 400) for zone ${zone.code}, EIC ${eic}: ${why}`,
          extra,
        );
      }
      throw err;
    }
    return parseDayAheadPrices(xml, preferredSequence);
  }

  return {
    name: PROVIDER,
    ttlMs: TTL_MS,
    publication: EU_DAY_AHEAD_PUBLICATION,
    supports(zone: Zone, metric: Metric): boolean {
      return whyUnsupported(zone, metric) === undefined;
    },
    async fetch({ zone, metric, fromMs, toMs }: SignalRequest): Promise<Series[]> {
      const unsupported = whyUnsupported(zone, metric);
      const eic = entsoeEic(zone);
      if (unsupported !== undefined || eic === undefined)
        throw new ProviderError(PROVIDER, 'unsupported', unsupported ?? `no bidding zone for ${zone.code}`);
      if (!token)
        throw new ProviderError(
          PROVIDER,
          'auth',
          `no security token: set ${ENTSOE_TOKEN_ENV} (see docs/providers/entsoe.md)`,
        );
      let currency: Currency | undefined;
      // The platform answers whole delivery days, so consecutive windows can repeat one.
      const coverage = new Coverage();
      for (let s = fromMs; s < toMs; s += MAX_SPAN_MS) {
        const answer = await fetchWindow(eic, zone, s, Math.min(toMs, s + MAX_SPAN_MS), token).catch(
          (err) => {
            if (err instanceof ProviderError && err.kind === 'not_found') return null;
            throw err;
          },
        );
        if (!answer) continue;
        if (currency && answer.currency !== currency)
          throw new ProviderError(
            PROVIDER,
            'malformed',
            `currency changed from ${currency} to ${answer.currency}`,
          );
        currency = answer.currency;
        coverage.add(answer.intervals);
      }
      return [dayAheadSeries(PROVIDER, zone.code, currency, coverage.chosen, fromMs, toMs)];
    },
  };
}

export const entsoeDescriptor = describeProvider({
  name: PROVIDER,
  provides: ['price'],
  forecasts: true,
  options: z.strictObject({ ...httpOptions, sequence: z.number().int().positive().optional() }),
  secrets: { securityToken: ENTSOE_TOKEN_ENV },
  ttlMs: TTL_MS,
  publication: EU_DAY_AHEAD_PUBLICATION,
  create: (options) => entsoe(options as EntsoeOptions),
});
