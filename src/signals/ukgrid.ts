import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Metric, Point, Series } from '../core/series.ts';
import { ceilToStep, DAY_MS, floorToStep, MINUTE_MS } from '../core/time.ts';
import { CARBON_UNIT } from '../core/units.ts';
import { UK_REGION_ZONES, type Zone } from '../core/zones.ts';
import { expectShape, getJson } from './http.ts';
import { httpOptions } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

const NAME = 'ukgrid';
const TTL_MS = 15 * MINUTE_MS;
const DEFAULT_BASE_URL = 'https://api.carbonintensity.org.uk';
const STEP_MIN = 30;
const STEP_MS = STEP_MIN * MINUTE_MS;
/** The API answers at most 14 days per range request; longer ranges are asked for in pieces. */
export const UK_MAX_RANGE_MS = 14 * DAY_MS;
const NATIONAL_CODE = 'GB';

/**
 * The regions of the Carbon Intensity API (`regionid` 1..17: the 14 distribution network areas, then England,
 * Scotland and Wales), as zones `GB-NSCOT` .. `GB-WLS`; the list lives with the other zones in src/core/zones.ts.
 * The whole of Great Britain is zone `GB`, served by the national endpoints.
 */
export { UK_REGION_ZONES };

const REGION_BY_CODE = new Map(UK_REGION_ZONES.map((z) => [z.code, z.ids!.ukRegion!]));

/** `national` for GB, the API region id for a UK region zone, undefined for anything else. */
export function ukArea(zone: Zone): 'national' | number | undefined {
  const id = zone.ids?.ukRegion ?? REGION_BY_CODE.get(zone.code);
  if (id !== undefined) return Number.isInteger(id) && id >= 1 && id <= 17 ? id : undefined;
  return zone.code === NATIONAL_CODE ? 'national' : undefined;
}

export interface UkCarbonIntensityOptions {
  /** default https://api.carbonintensity.org.uk */
  baseUrl?: string;
  timeoutMs?: number;
  /** how long an answer stays fresh in the cache; default 15 min (the forecast is refreshed every half hour) */
  ttlMs?: number;
}

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');
const slotShape = z.object({
  from: isoTime,
  to: isoTime,
  intensity: z.object({
    forecast: z.number().nullable(),
    actual: z.number().nullable().optional(),
  }),
});
type Slot = z.infer<typeof slotShape>;
const nationalShape = z.object({ data: z.array(slotShape) });
const regionBlock = z.object({ regionid: z.number(), data: z.array(slotShape) });
/** The range endpoints answer with one region object; the documented examples wrap it in an array. */
const regionalShape = z.object({ data: z.union([regionBlock, z.array(regionBlock).length(1)]) });

const REGIONAL_PAST =
  'the API publishes no measured values for regions: past values are the last forecast for each half-hour';

/**
 * National Energy System Operator's Carbon Intensity API for Great Britain (no key): average carbon intensity
 * in half-hour slots, measured ("actual", national only) and forecast up to 48 h ahead, for GB and its 17
 * regions.
 */
export function ukCarbonIntensity(options: UkCarbonIntensityOptions = {}): SignalProvider {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');

  async function slots(path: string, area: 'national' | number): Promise<Slot[]> {
    const data = await getJson(`${baseUrl}${path}`, {
      provider: NAME,
      headers: { accept: 'application/json' },
      timeoutMs: options.timeoutMs,
    });
    if (area === 'national') return expectShape(nationalShape, data, NAME).data;
    const answer = expectShape(regionalShape, data, NAME).data;
    const block = Array.isArray(answer) ? answer[0] : answer;
    if (block.regionid !== area)
      throw new ProviderError(
        NAME,
        'malformed',
        `asked for region ${area}, the answer is for ${block.regionid}`,
      );
    return block.data;
  }

  const prefix = (area: 'national' | number) => (area === 'national' ? '/intensity' : '/regional/intensity');
  const suffix = (area: 'national' | number) => (area === 'national' ? '' : `/regionid/${area}`);

  async function range(area: 'national' | number, fromMs: number, toMs: number): Promise<Slot[]> {
    const out: Slot[] = [];
    const start = floorToStep(fromMs, STEP_MIN);
    const end = ceilToStep(toMs, STEP_MIN);
    for (let a = start; a < end; a += UK_MAX_RANGE_MS) {
      const b = Math.min(end, a + UK_MAX_RANGE_MS);
      out.push(...(await slots(`${prefix(area)}/${pathTime(a)}/${pathTime(b)}${suffix(area)}`, area)));
    }
    return out;
  }

  async function next48h(area: 'national' | number, fromMs: number): Promise<Slot[]> {
    return slots(`${prefix(area)}/${pathTime(floorToStep(fromMs, STEP_MIN))}/fw48h${suffix(area)}`, area);
  }

  return {
    name: NAME,
    ttlMs: options.ttlMs ?? TTL_MS,
    supports(zone: Zone, metric: Metric): boolean {
      return metric === 'carbon_average' && ukArea(zone) !== undefined;
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'carbon_average')
        throw new ProviderError(NAME, 'unsupported', `no ${req.metric} data (only carbon_average)`);
      const area = ukArea(req.zone);
      if (area === undefined)
        throw new ProviderError(
          NAME,
          'unsupported',
          `zone ${req.zone.code} is not GB or one of its regions (see UK_REGION_ZONES)`,
        );
      const actual: Point[] = [];
      const pastForecast: Point[] = [];
      const future: Point[] = [];

      const pastTo = Math.min(req.toMs, req.nowMs);
      if (pastTo > req.fromMs) {
        for (const s of await range(area, req.fromMs, pastTo)) {
          const start = Date.parse(s.from);
          const { actual: measured, forecast } = s.intensity;
          if (typeof measured === 'number') actual.push({ start, value: measured });
          else pastForecast.push({ start, value: forecast ?? Number.NaN });
        }
      }
      if (req.toMs > req.nowMs) {
        for (const s of await next48h(area, Math.max(req.fromMs, req.nowMs)))
          future.push({ start: Date.parse(s.from), value: s.intensity.forecast ?? Number.NaN });
      }

      const out: Series[] = [];
      const base: Pick<Series, 'zone' | 'metric' | 'unit' | 'resolutionMin' | 'source'> = {
        zone: req.zone.code,
        metric: 'carbon_average',
        unit: CARBON_UNIT,
        resolutionMin: STEP_MIN,
        source: NAME,
      };
      if (area !== 'national') {
        // Regions have forecasts only: the past is the closest estimate there is, and says so.
        if (pastTo > req.fromMs)
          out.push({ ...base, kind: 'actual', degraded: REGIONAL_PAST, points: inRange(pastForecast, req) });
        if (req.toMs > req.nowMs)
          out.push({ ...base, kind: 'forecast', issuedAt: issuedAt(req), points: inRange(future, req) });
        return out;
      }
      if (pastTo > req.fromMs) out.push({ ...base, kind: 'actual', points: inRange(actual, req) });
      // Recent slots without a measured value yet and the 48 h ahead form one forecast; later answers win.
      const forecast = inRange([...pastForecast, ...future], req);
      if (req.toMs > req.nowMs)
        out.push({ ...base, kind: 'forecast', issuedAt: issuedAt(req), points: forecast });
      else if (forecast.length > 0) out.push({ ...base, kind: 'forecast', points: forecast });
      return out;
    },
  };
}

/** The API refreshes its forecast every half hour and does not say when: the half-hour it was fetched in. */
function issuedAt(req: SignalRequest): number {
  return floorToStep(req.nowMs, STEP_MIN);
}

/** `2024-03-20T12:00Z`, the form the API documents for path times. */
function pathTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** Sorted, de-duplicated (the last answer for a slot wins) points overlapping the request. */
function inRange(points: Point[], req: SignalRequest): Point[] {
  const byStart = new Map<number, Point>();
  for (const p of points) byStart.set(p.start, p);
  return [...byStart.values()]
    .filter((p) => p.start < req.toMs && p.start + STEP_MS > req.fromMs)
    .sort((a, b) => a.start - b.start);
}

export const ukgridDescriptor = describeProvider({
  name: NAME,
  provides: ['carbon_average'],
  forecasts: true,
  options: z.strictObject(httpOptions),
  secrets: {},
  ttlMs: TTL_MS,
  create: (options) => ukCarbonIntensity(options as UkCarbonIntensityOptions),
});
