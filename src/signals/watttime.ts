import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Metric, Point, Series } from '../core/series.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, toIso } from '../core/time.ts';
import { CARBON_UNIT, lbsPerMwhToGPerKwh } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { expectShape, getJson } from './http.ts';
import { httpOptions } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

const NAME = 'watttime';
const TTL_MS = 5 * MINUTE_MS;
export const WATTTIME_USERNAME_ENV = 'GRIDSHIFT_WATTTIME_USERNAME';
export const WATTTIME_PASSWORD_ENV = 'GRIDSHIFT_WATTTIME_PASSWORD';
const DEFAULT_BASE_URL = 'https://api.watttime.org';
const SIGNAL_TYPE = 'co2_moer';
/** WattTime tokens are valid for 30 minutes; renewing a little early avoids using one as it expires. */
const TOKEN_LIFETIME_MS = 30 * MINUTE_MS;
const TOKEN_RENEW_MARGIN_MS = 2 * MINUTE_MS;
/** /v3/historical answers at most about a month per request; 30-day pieces stay inside it. */
const HISTORICAL_MAX_MS = 30 * DAY_MS;
const FORECAST_MAX_HOURS = 72;
/** The free plan covers this region in full. */
export const WATTTIME_FREE_REGION = 'CAISO_NORTH';

/**
 * Electricity Maps zone codes of the main US grids -> the WattTime region used for them. WattTime splits the
 * big ISOs into sub-regions, so an ISO maps to a representative one; set `zone.ids.watttime` (or look it up
 * with `regionFromLocation`) to use the sub-region where the load actually is.
 */
export const WATTTIME_REGIONS: Readonly<Record<string, string>> = {
  'US-CAL-CISO': 'CAISO_NORTH',
  'US-NE-ISNE': 'ISONE_NEMA',
  'US-NY-NYIS': 'NYISO_NYC',
  'US-MIDA-PJM': 'PJM_DC',
  'US-MIDW-MISO': 'MISO_INDIANAPOLIS',
  'US-TEX-ERCO': 'ERCOT_NORTHCENTRAL',
  'US-CENT-SWPP': 'SPP_OKCTY',
  'US-NW-BPAT': 'BPA',
  'US-NW-PACW': 'PACW',
  'US-NW-PACE': 'PACE',
  'US-NW-PGE': 'PGE',
  'US-NW-PSEI': 'PSEI',
  'US-NW-IPCO': 'IPCO',
  'US-NW-NEVP': 'NEVP',
  'US-NW-PSCO': 'PSCO',
  'US-CAL-LDWP': 'LDWP',
  'US-CAL-BANC': 'BANC',
  'US-CAL-IID': 'IID',
  'US-SW-AZPS': 'AZPS',
  'US-SW-SRP': 'SRP',
  'US-SW-PNM': 'PNM',
  'US-SW-TEPC': 'TEPC',
  'US-SE-SOCO': 'SOCO',
  'US-TEN-TVA': 'TVA',
  'US-CAR-DUK': 'DUK',
  'US-CAR-CPLE': 'CPLE',
  'US-FLA-FPL': 'FPL',
  'US-FLA-FPC': 'FPC',
  'US-FLA-TEC': 'TEC',
  'US-FLA-JEA': 'JEA',
  'US-MIDW-LGEE': 'LGEE',
  'US-MIDW-AECI': 'AECI',
};

const KNOWN_REGIONS = new Set(Object.values(WATTTIME_REGIONS));

/**
 * The WattTime region for a zone: `zone.ids.watttime` if set, else the table above, else the zone code
 * itself when it is a WattTime region (they are upper case with underscores, like `CAISO_NORTH`, which
 * Electricity Maps codes never are, or one of the single-authority names in the table, like `BPA`).
 */
export function watttimeRegion(zone: Zone): string | undefined {
  if (zone.ids?.watttime) return zone.ids.watttime;
  const mapped = WATTTIME_REGIONS[zone.code];
  if (mapped) return mapped;
  if (KNOWN_REGIONS.has(zone.code) || /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(zone.code)) return zone.code;
  return undefined;
}

export interface WattTimeOptions {
  /** account name; the config layer reads it from GRIDSHIFT_WATTTIME_USERNAME */
  username?: string;
  /** the config layer reads it from GRIDSHIFT_WATTTIME_PASSWORD */
  password?: string;
  /**
   * WattTime region for every zone this instance answers for, over the table and `zone.ids.watttime`;
   * set it on a zone's chain entry to pick the sub-region where the load is (`CAISO_SANDIEGO`)
   */
  region?: string;
  /** default https://api.watttime.org */
  baseUrl?: string;
  timeoutMs?: number;
  /** how long an answer stays fresh in the cache; default 5 min (WattTime publishes every 5 min) */
  ttlMs?: number;
  /** wall clock for token expiry (epoch ms); tests pass a fake one */
  clock?: () => number;
}

export interface RegionAtLocation {
  region: string;
  regionFullName?: string;
}

export interface WattTimeProvider extends SignalProvider {
  /** The WattTime region that covers a point (GET /v3/region-from-loc). */
  regionFromLocation(latitude: number, longitude: number): Promise<RegionAtLocation>;
}

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');

const loginShape = z.object({ token: z.string().min(1) });
const signalShape = z.object({
  data: z.array(z.object({ point_time: isoTime, value: z.number().nullable() })),
  meta: z.object({
    region: z.string().optional(),
    signal_type: z.string().optional(),
    units: z.string(),
    data_point_period_seconds: z.number().positive().optional(),
    generated_at: isoTime.nullish(),
  }),
});
type SignalAnswer = z.infer<typeof signalShape>;
const regionShape = z.object({ region: z.string(), region_full_name: z.string().optional() });

/** Values in a unit we do not know must fail loudly rather than be converted wrongly. */
const TO_G_PER_KWH: Record<string, (v: number) => number> = {
  lbs_co2_per_mwh: lbsPerMwhToGPerKwh,
};

/**
 * WattTime (v3 API): marginal operating emission rate (MOER, signal `co2_moer`) for US grid regions and
 * more, every 5 minutes, historical and forecast (up to 72 h). Values come in lbs CO2/MWh and are
 * converted to gCO2/kWh.
 */
export function watttime(options: WattTimeOptions = {}): WattTimeProvider {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const clock = options.clock ?? Date.now;
  let token: { value: string; renewAtMs: number } | undefined;
  let loginInFlight: Promise<string> | undefined;
  const regionOf = (zone: Zone) => options.region?.trim() || watttimeRegion(zone);

  async function login(): Promise<string> {
    const { username, password } = options;
    if (!username || !password)
      throw new ProviderError(
        NAME,
        'auth',
        `no credentials: set ${WATTTIME_USERNAME_ENV} and ${WATTTIME_PASSWORD_ENV} ` +
          '(to register, see https://docs.watttime.org)',
      );
    const basic = Buffer.from(`${username}:${password}`).toString('base64');
    const startedMs = clock();
    let data: unknown;
    try {
      data = await getJson(`${baseUrl}/login`, {
        provider: NAME,
        headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
        timeoutMs: options.timeoutMs,
      });
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'auth')
        throw new ProviderError(
          NAME,
          'auth',
          `login refused (HTTP ${err.status}): check ${WATTTIME_USERNAME_ENV} and ${WATTTIME_PASSWORD_ENV}`,
          { status: err.status, cause: err },
        );
      throw err;
    }
    const { token: value } = expectShape(loginShape, data, NAME);
    token = { value, renewAtMs: startedMs + TOKEN_LIFETIME_MS - TOKEN_RENEW_MARGIN_MS };
    return value;
  }

  /** A valid token; concurrent callers share one login. */
  function currentToken(): Promise<string> {
    if (token && clock() < token.renewAtMs) return Promise.resolve(token.value);
    if (!loginInFlight)
      loginInFlight = login().finally(() => {
        loginInFlight = undefined;
      });
    return loginInFlight;
  }

  /** GET with the bearer token; a 401 means the token died early, so log in again once. */
  async function authorisedGet(path: string, params: Record<string, string>, region?: string) {
    const address = `${baseUrl}${path}?${new URLSearchParams(params)}`;
    for (let attempt = 0; ; attempt++) {
      const used = await currentToken();
      try {
        return await getJson(address, {
          provider: NAME,
          headers: { authorization: `Bearer ${used}`, accept: 'application/json' },
          timeoutMs: options.timeoutMs,
        });
      } catch (err) {
        if (!(err instanceof ProviderError) || err.kind !== 'auth') throw err;
        if (err.status === 401 && attempt === 0) {
          if (token?.value === used) token = undefined;
          continue;
        }
        if (err.status === 403)
          throw new ProviderError(
            NAME,
            'auth',
            region
              ? `your WattTime plan does not cover region ${region} (HTTP 403); ` +
                  `free plans cover ${WATTTIME_FREE_REGION} only`
              : `your WattTime plan does not include ${path} (HTTP 403)`,
            { status: 403, cause: err },
          );
        throw new ProviderError(
          NAME,
          'auth',
          `not authorised (HTTP ${err.status}) even after logging in again: check ` +
            `${WATTTIME_USERNAME_ENV} and ${WATTTIME_PASSWORD_ENV}`,
          { status: err.status, cause: err },
        );
      }
    }
  }

  async function signal(path: string, params: Record<string, string>, region: string) {
    const answer = expectShape(signalShape, await authorisedGet(path, params, region), NAME);
    if (answer.meta.region && answer.meta.region !== region)
      throw new ProviderError(
        NAME,
        'malformed',
        `asked for region ${region}, the answer is for ${answer.meta.region}`,
      );
    return answer;
  }

  async function historical(region: string, fromMs: number, toMs: number): Promise<SignalAnswer[]> {
    const answers: SignalAnswer[] = [];
    for (let start = fromMs; start < toMs; start += HISTORICAL_MAX_MS) {
      const end = Math.min(toMs, start + HISTORICAL_MAX_MS);
      answers.push(
        await signal(
          '/v3/historical',
          { region, start: toIso(start), end: toIso(end), signal_type: SIGNAL_TYPE },
          region,
        ),
      );
    }
    return answers;
  }

  return {
    name: NAME,
    ttlMs: options.ttlMs ?? TTL_MS,
    supports(zone: Zone, metric: Metric): boolean {
      return metric === 'carbon_marginal' && regionOf(zone) !== undefined;
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'carbon_marginal')
        throw new ProviderError(NAME, 'unsupported', `no ${req.metric} data (only carbon_marginal)`);
      const region = regionOf(req.zone);
      if (!region)
        throw new ProviderError(
          NAME,
          'unsupported',
          `no WattTime region for zone ${req.zone.code}: set ids.watttime on the zone`,
        );
      const out: Series[] = [];
      const actualTo = Math.min(req.toMs, req.nowMs);
      if (actualTo > req.fromMs) {
        const answers = await historical(region, req.fromMs, actualTo);
        out.push(toSeries(req, answers, 'actual'));
      }
      if (req.toMs > req.nowMs) {
        const hours = Math.ceil((req.toMs - req.nowMs) / HOUR_MS);
        const horizon = Math.min(FORECAST_MAX_HOURS, Math.max(1, hours));
        const answer = await signal(
          '/v3/forecast',
          { region, signal_type: SIGNAL_TYPE, horizon_hours: String(horizon) },
          region,
        );
        const series = toSeries(req, [answer], 'forecast');
        if (answer.meta.generated_at) series.issuedAt = Date.parse(answer.meta.generated_at);
        out.push(series);
      }
      return out;
    },
    async regionFromLocation(latitude: number, longitude: number): Promise<RegionAtLocation> {
      if (!(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180))
        throw new RangeError(`not a location: latitude ${latitude}, longitude ${longitude}`);
      const data = await authorisedGet('/v3/region-from-loc', {
        latitude: String(latitude),
        longitude: String(longitude),
        signal_type: SIGNAL_TYPE,
      });
      const answer = expectShape(regionShape, data, NAME);
      return { region: answer.region, regionFullName: answer.region_full_name };
    },
  };
}

function toSeries(req: SignalRequest, answers: SignalAnswer[], kind: Series['kind']): Series {
  const byStart = new Map<number, Point>();
  let periodS: number | undefined;
  for (const answer of answers) {
    const convert = TO_G_PER_KWH[answer.meta.units];
    if (!convert)
      throw new ProviderError(NAME, 'malformed', `values in unknown units "${answer.meta.units}"`);
    periodS ??= answer.meta.data_point_period_seconds;
    for (const p of answer.data) {
      const start = Date.parse(p.point_time);
      byStart.set(start, { start, value: p.value === null ? Number.NaN : convert(p.value) });
    }
  }
  const resolutionMin = periodS ? periodS / 60 : 5;
  const lenMs = resolutionMin * MINUTE_MS;
  const points = [...byStart.values()]
    .sort((a, b) => a.start - b.start)
    .filter((p) => p.start < req.toMs && p.start + lenMs > req.fromMs);
  return {
    zone: req.zone.code,
    metric: 'carbon_marginal',
    unit: CARBON_UNIT,
    resolutionMin,
    kind,
    source: NAME,
    points,
  };
}

export const wattTimeDescriptor = describeProvider({
  name: NAME,
  provides: ['carbon_marginal'],
  forecasts: true,
  options: z.strictObject(httpOptions),
  secrets: { username: WATTTIME_USERNAME_ENV, password: WATTTIME_PASSWORD_ENV },
  ttlMs: TTL_MS,
  create: (options) => watttime(options as WattTimeOptions),
});
