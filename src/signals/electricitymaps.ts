import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Metric, Point, Series } from '../core/series.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, toIso } from '../core/time.ts';
import { CARBON_UNIT } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { expectShape, getJson } from './http.ts';
import { httpOptions } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

const NAME = 'electricitymaps';
export const ELECTRICITYMAPS_TOKEN_ENV = 'GRIDSHIFT_ELECTRICITYMAPS_TOKEN';
const DEFAULT_BASE_URL = 'https://api.electricitymap.org';
const TTL_MS = 15 * MINUTE_MS;
/** /history covers the last 24 hours; older data needs /past-range (not in the free tier). */
const HISTORY_SPAN_MS = DAY_MS;
/** /past-range accepts at most 10 days per request at hourly granularity. */
const PAST_RANGE_HOURLY_MAX_MS = 10 * DAY_MS;
/** Finer granularities have tighter limits that are not published; one day per request stays well inside them. */
const PAST_RANGE_FINE_MAX_MS = DAY_MS;

export type EmissionFactorType = 'lifecycle' | 'direct';
export type TemporalGranularity = '5_minutes' | '15_minutes' | 'hourly';

export interface ElectricityMapsOptions {
  /** API token; the config layer reads it from GRIDSHIFT_ELECTRICITYMAPS_TOKEN */
  apiKey?: string;
  /** default https://api.electricitymap.org */
  baseUrl?: string;
  timeoutMs?: number;
  /** `lifecycle` (the API default: life-cycle emissions) or `direct` (combustion only) */
  emissionFactorType?: EmissionFactorType;
  /** data resolution to ask for; the API default is hourly (finer resolutions depend on the plan) */
  temporalGranularity?: TemporalGranularity;
  /**
   * forecast horizon to ask for (the API offers 6, 24, 48 or 72 h); unset = the shortest that reaches the
   * requested range's end, at most 72 h
   */
  forecastHorizonHours?: number;
  /** how long an answer stays fresh in the cache; default 15 min */
  ttlMs?: number;
}

const GRANULARITY_MIN: Record<string, number> = { '5_minutes': 5, '15_minutes': 15, hourly: 60 };

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');

const pointShape = z.object({
  carbonIntensity: z.number().nullable(),
  datetime: isoTime,
  updatedAt: isoTime.nullish(),
  temporalGranularity: z.string().nullish(),
});
type EmPoint = z.infer<typeof pointShape>;

const latestShape = pointShape.extend({ zone: z.string() });
const historyShape = z.object({ zone: z.string(), history: z.array(pointShape) });
const pastRangeShape = z.object({ zone: z.string(), data: z.array(pointShape) });
const forecastShape = z.object({
  zone: z.string(),
  forecast: z.array(pointShape),
  updatedAt: isoTime.nullish(),
});

/** The forecast lengths the API offers, in hours. */
const FORECAST_HORIZONS_H = [6, 24, 48, 72] as const;

/**
 * The shortest forecast the API offers that reaches `hoursAhead`, or its longest (72 h): a range past that is
 * filled by the built-in forecaster.
 */
export function forecastHorizonFor(hoursAhead: number): number {
  return (
    FORECAST_HORIZONS_H.find((h) => h >= hoursAhead) ?? FORECAST_HORIZONS_H[FORECAST_HORIZONS_H.length - 1]
  );
}

const NO_FORECAST =
  'no forecast for this API key (free tier): only measured values are available; ' +
  'a plan with forecast access or a fallback source fills the future';
const NO_PAST_RANGE =
  'no past-range access for this API key (free tier): measured values cover only the last 24 h';

/**
 * Electricity Maps (v3 API): flow-traced average carbon intensity of consumption for the zones it covers,
 * measured (last 24 h through /history, older through /past-range) and forecast (/forecast).
 * Zone codes are Electricity Maps zone keys, which is what `Zone.code` already is.
 */
export function electricityMaps(options: ElectricityMapsOptions = {}): SignalProvider {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const apiKey = options.apiKey?.trim() || undefined;
  const granularity = options.temporalGranularity;

  function url(endpoint: string, zone: string, extra: Record<string, string> = {}): string {
    const q = new URLSearchParams({ zone, ...extra });
    if (options.emissionFactorType) q.set('emissionFactorType', options.emissionFactorType);
    if (granularity) q.set('temporalGranularity', granularity);
    return `${baseUrl}/v3/carbon-intensity/${endpoint}?${q}`;
  }

  async function get<S extends z.ZodType<{ zone: string }>>(
    schema: S,
    address: string,
    zone: string,
  ): Promise<z.infer<S>> {
    const data = await getJson(address, {
      provider: NAME,
      headers: { 'auth-token': apiKey!, accept: 'application/json' },
      timeoutMs: options.timeoutMs,
    });
    const parsed = expectShape(schema, data, NAME);
    // Unknown zones must not silently come back as another zone's data.
    if (parsed.zone !== zone)
      throw new ProviderError(NAME, 'malformed', `asked for zone ${zone}, the answer is for ${parsed.zone}`);
    return parsed;
  }

  async function history(zone: string): Promise<EmPoint[]> {
    return (await get(historyShape, url('history', zone), zone)).history;
  }

  async function pastRange(zone: string, fromMs: number, toMs: number): Promise<EmPoint[]> {
    const maxMs = granularity && granularity !== 'hourly' ? PAST_RANGE_FINE_MAX_MS : PAST_RANGE_HOURLY_MAX_MS;
    const out: EmPoint[] = [];
    for (let start = fromMs; start < toMs; start += maxMs) {
      const end = Math.min(toMs, start + maxMs);
      const address = url('past-range', zone, { start: toIso(start), end: toIso(end) });
      out.push(...(await get(pastRangeShape, address, zone)).data);
    }
    return out;
  }

  async function forecast(zone: string, hoursAhead: number) {
    const horizon = options.forecastHorizonHours ?? forecastHorizonFor(hoursAhead);
    return get(forecastShape, url('forecast', zone, { horizonHours: String(horizon) }), zone);
  }

  async function latest(zone: string): Promise<EmPoint[]> {
    return [await get(latestShape, url('latest', zone), zone)];
  }

  return {
    name: NAME,
    ttlMs: options.ttlMs ?? TTL_MS,
    supports(_zone: Zone, metric: Metric): boolean {
      // Coverage is only known to the API; a zone it does not know answers not_found.
      return metric === 'carbon_average';
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'carbon_average')
        throw new ProviderError(NAME, 'unsupported', `no ${req.metric} data (only carbon_average)`);
      if (!apiKey)
        throw new ProviderError(
          NAME,
          'auth',
          `no API key: set ${ELECTRICITYMAPS_TOKEN_ENV} (get a key at https://portal.electricitymaps.com)`,
        );
      const zone = req.zone.code;
      const notes: string[] = [];
      const actual: EmPoint[] = [];
      let answered = false;
      let wantActual = false;

      const actualTo = Math.min(req.toMs, req.nowMs);
      if (actualTo > req.fromMs) {
        wantActual = true;
        const historyStart = req.nowMs - HISTORY_SPAN_MS;
        if (req.fromMs < historyStart) {
          const pastOk = await optional(() => pastRange(zone, req.fromMs, Math.min(actualTo, historyStart)));
          if (pastOk) {
            actual.push(...pastOk);
            answered = true;
          } else notes.push(NO_PAST_RANGE);
        }
        if (actualTo > historyStart) {
          actual.push(...(await required(() => history(zone))));
          answered = true;
        }
      }

      let forecastSeries: Series | undefined;
      if (req.toMs > req.nowMs) {
        const f = await optional(() => forecast(zone, (req.toMs - req.nowMs) / HOUR_MS));
        if (f) {
          answered = true;
          const issued = f.updatedAt ?? latestUpdate(f.forecast);
          forecastSeries = {
            ...toSeries(zone, f.forecast, req, 'forecast'),
            ...(issued ? { issuedAt: Date.parse(issued) } : {}),
          };
        } else notes.push(NO_FORECAST);
      }

      // Every call was refused: a key that works for the free endpoints lacks a plan, any other key is wrong.
      if (!answered) {
        wantActual = true;
        actual.push(...(await required(() => latest(zone))));
      }

      const out: Series[] = [];
      if (wantActual) {
        const series = toSeries(zone, actual, req, 'actual');
        if (notes.length) series.degraded = notes.join('; ');
        out.push(series);
      }
      if (forecastSeries) out.push(forecastSeries);
      return out;
    },
  };
}

/** A call whose refusal (auth) means "not in this plan": returns undefined instead of failing. */
async function optional<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError && err.kind === 'auth') return undefined;
    throw err;
  }
}

/** A call every valid key may make: a refusal means the key itself is wrong. */
async function required<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError && err.kind === 'auth')
      throw new ProviderError(
        NAME,
        'auth',
        `API key refused (HTTP ${err.status}): check ${ELECTRICITYMAPS_TOKEN_ENV}`,
        { status: err.status, cause: err },
      );
    throw err;
  }
}

function latestUpdate(points: EmPoint[]): string | undefined {
  let best: string | undefined;
  for (const p of points)
    if (p.updatedAt && (!best || Date.parse(p.updatedAt) > Date.parse(best))) best = p.updatedAt;
  return best;
}

/** Sorted, de-duplicated points overlapping the request; a missing value (null) stays as NaN so gaps stay gaps. */
function toSeries(zone: string, raw: EmPoint[], req: SignalRequest, kind: Series['kind']): Series {
  const byStart = new Map<number, Point>();
  for (const p of raw) {
    const start = Date.parse(p.datetime);
    byStart.set(start, { start, value: p.carbonIntensity ?? Number.NaN });
  }
  const sorted = [...byStart.values()].sort((a, b) => a.start - b.start);
  const resolutionMin = resolutionOf(raw, sorted);
  const lenMs = resolutionMin * MINUTE_MS;
  const points = sorted.filter((p) => p.start < req.toMs && p.start + lenMs > req.fromMs);
  return { zone, metric: 'carbon_average', unit: CARBON_UNIT, resolutionMin, kind, source: NAME, points };
}

/** The granularity the answer states, else the smallest spacing of its points, else hourly. */
function resolutionOf(raw: EmPoint[], sorted: Point[]): number {
  const stated = raw.find((p) => p.temporalGranularity)?.temporalGranularity;
  if (stated && GRANULARITY_MIN[stated]) return GRANULARITY_MIN[stated];
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) min = Math.min(min, sorted[i].start - sorted[i - 1].start);
  return Number.isFinite(min) && min > 0 ? min / MINUTE_MS : 60;
}

export const electricityMapsDescriptor = describeProvider({
  name: NAME,
  provides: ['carbon_average'],
  forecasts: true,
  options: z.strictObject({
    ...httpOptions,
    emissionFactorType: z.enum(['lifecycle', 'direct']).optional(),
    temporalGranularity: z.enum(['5_minutes', '15_minutes', 'hourly']).optional(),
    forecastHorizonHours: z.union([z.literal(6), z.literal(24), z.literal(48), z.literal(72)]).optional(),
  }),
  secrets: { apiKey: ELECTRICITYMAPS_TOKEN_ENV },
  ttlMs: TTL_MS,
  create: (options) => electricityMaps(options as ElectricityMapsOptions),
});
