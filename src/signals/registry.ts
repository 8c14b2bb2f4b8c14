import {
  defaultConfig,
  type FailurePolicy,
  type GridshiftConfig,
  type SignalKind,
  type SourceSpec,
  zoneConfig,
} from '../core/config.ts';
import { ProviderError, type ProviderFailure } from '../core/errors.ts';
import type { ZoneSignals } from '../core/load.ts';
import { assertSeries, type Grid, type Metric, resample, type Series, slotStart } from '../core/series.ts';
import { ceilToStep, floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import { resolveZone, type Zone } from '../core/zones.ts';
import { createSignalCache, type SignalCache } from './cache.ts';
import { type CarbonErrors, sampleCarbonErrors } from './carbon-errors.ts';
import {
  byPreference,
  extendPastHorizon,
  FORECAST_SOURCE,
  HORIZON_DEFAULTS,
  type HorizonOptions,
} from './extend.ts';
import type { ProviderDescriptor, ProviderFactory, SignalProvider, SignalRequest } from './provider.ts';
import { PROVIDERS, type ProviderName, providerDescriptor } from './providers.ts';
import { retailSeries, retailSourceName } from './retail.ts';
import { type Span, type Stitched, stitch } from './stitch.ts';

/**
 * Turns the configured source chains into answers. For a zone and metric it asks the zone's sources in
 * order; a source that fails or has nothing for the range is skipped and the next one asked; later sources
 * fill only what earlier ones leave uncovered. When no source has anything, the zone's failure policy
 * decides what the caller should do. Rate-limited sources rest until their Retry-After has passed.
 * Where a live source's answer ends before the range does, the built-in forecaster fills the rest, fitted on
 * that source's recent measured values (see extend.ts).
 */

/** Why a source did not answer. `error` = an unexpected failure that is not a provider error. */
export interface SourceFailure {
  provider: string;
  kind: ProviderFailure | 'error';
  message: string;
}

export interface SignalQuery {
  /** zone code, alias, name or cloud region; or a Zone */
  zone: string | Zone;
  metric: Metric;
  fromMs: number;
  toMs: number;
  nowMs: number;
}

export interface SignalAnswer {
  zone: string;
  metric: Metric;
  /** actual values, then forecast after the last actual, then fallbacks filling gaps; absent when no source answered */
  series?: Series;
  /** the preferred source that answered (the earliest in the chain that contributed) */
  source?: string;
  /** every source that contributed, in chain order */
  sources: string[];
  /** sources skipped, in the order they were tried */
  failures: SourceFailure[];
  /** a fallback answered, the data is itself degraded, or part of the range is missing */
  degraded: boolean;
  /** why it is degraded; empty when not */
  reasons: string[];
  /** where forecast values begin (epoch ms); absent when the series has no forecast part */
  forecastFromMs?: number;
  /**
   * When the built-in forecaster extended a source past its horizon: the measured values (then the answer's
   * values) it was fitted on, and the first slot it fills (where the source's own forecast ends).
   */
  extension?: { history: Grid; fromMs: number };
  /**
   * Set only when no source answered: `open` = run loads at their baseline, `closed` = hold loads
   * (never past their deadline).
   */
  policy?: FailurePolicy;
}

export interface ZoneSignalsQuery {
  fromMs: number;
  toMs: number;
  nowMs: number;
  stepMin: number;
  /**
   * Metrics wanted: the carbon metric (default the zone's configured one) and `price`. Default: the
   * zone's carbon metric and price.
   */
  metrics?: Metric[];
  /**
   * Whether a missing price triggers the failure policy (default true when price is wanted). False when the
   * objective does not need prices and they are wanted only to show the cost.
   */
  priceRequired?: boolean;
}

export interface ZoneSignalsResult extends ZoneSignals {
  /** set when a wanted metric has no source at all: what to do instead of planning */
  policy?: FailurePolicy;
  /** every source skipped, carbon first */
  failures: SourceFailure[];
  answers: { carbon: SignalAnswer; price?: SignalAnswer };
}

export interface ChainEntry {
  provider: string;
  /** identity of the instance (provider and options), as used by the cache */
  id: string;
}

export interface SignalRegistry {
  readonly config: GridshiftConfig;
  readonly cache?: SignalCache;
  getSignal(query: SignalQuery): Promise<SignalAnswer>;
  getZoneSignals(zone: string | Zone, query: ZoneSignalsQuery): Promise<ZoneSignalsResult>;
  /** the sources a zone would ask for a metric, in order */
  chain(zone: string | Zone, metric: Metric): ChainEntry[];
  /** until when (epoch ms) a provider rests after a rate limit; undefined when it is not resting */
  restingUntil(provider: string, nowMs: number): number | undefined;
}

export interface RegistryOptions {
  /** default: the offline configuration (built-in profile and annual averages) */
  config?: GridshiftConfig;
  /** replace how named providers are built (tests, embedding) */
  factories?: Partial<Record<ProviderName, ProviderFactory>>;
  /** a shared cache; `false` turns caching off; default a new in-memory cache with the configured TTLs */
  cache?: SignalCache | false;
  /** how long a rate-limited provider rests when it gave no Retry-After; default 60 s */
  defaultRetryAfterMs?: number;
  /**
   * Filling the slots past a live source's horizon with the built-in forecaster: its look-back window,
   * least history and forecaster settings; `false` turns it off (the next sources fill instead).
   */
  forecastPastHorizon?: HorizonOptions | false;
}

type Asked = { series: Series[] } | { kind: SourceFailure['kind']; message: string };

interface Source {
  name: string;
  id: string;
  /** what the provider says about itself; absent for a name only a test factory knows */
  descriptor?: ProviderDescriptor;
  /** built on first use, so that sources a chain never reaches cost nothing */
  provider(): SignalProvider;
}

/** What the steps of answering share: the configuration, the cache, built providers, rate-limit rests. */
interface Registry {
  config: GridshiftConfig;
  cache?: SignalCache;
  factories: Record<string, ProviderFactory>;
  defaultRetryAfterMs: number;
  horizon?: HorizonOptions;
  /** built providers by instance id */
  instances: Map<string, SignalProvider>;
  /** until when each provider rests after a rate limit */
  resting: Map<string, number>;
  /** sampled carbon error paths by zone, history and forecast range: the same all hour long */
  carbonErrors: Map<string, CarbonErrors | undefined>;
  /** look-back requests a source could not answer this hour, by source, zone, metric and hour */
  pastMisses: Map<string, Asked>;
}

/** how many sampled error-path sets the registry keeps (one per zone and question shape) */
const CARBON_ERRORS_KEPT = 64;
/** how many failed look-back requests the registry remembers */
const PAST_MISSES_KEPT = 256;

/** The sources asked so far for one answer: their layers (best first) and why the others did not count. */
interface Collected {
  layers: Series[];
  /** chain index of each layer's source; a built-in forecast fill sits at the index it extends + 0.5 */
  layerSource: number[];
  failures: SourceFailure[];
  /** chain index of each failure */
  failedAt: number[];
  /** why a source's forecast could not be extended past its horizon, for the answer's reasons */
  notExtended: string[];
  /**
   * when the built-in forecast extended a source past its horizon: the values it was fitted on, and the
   * first slot it fills
   */
  extension?: { history: Grid; fromMs: number };
  unit?: string;
}

const kindOf = (metric: Metric): SignalKind => (metric === 'price' ? 'price' : 'carbon');
const zoneOf = (zone: string | Zone): Zone => (typeof zone === 'string' ? resolveZone(zone) : zone);

export function createRegistry(options: RegistryOptions = {}): SignalRegistry {
  const config = options.config ?? defaultConfig();
  const r: Registry = {
    config,
    cache:
      options.cache === false
        ? undefined
        : (options.cache ?? createSignalCache({ ttlMs: config.cache.ttlMs, file: config.cache.file })),
    factories: {
      ...Object.fromEntries(PROVIDERS.map((p) => [p.name, p.create])),
      ...(options.factories as Record<string, ProviderFactory> | undefined),
    },
    defaultRetryAfterMs: options.defaultRetryAfterMs ?? 60_000,
    horizon: options.forecastPastHorizon === false ? undefined : (options.forecastPastHorizon ?? {}),
    instances: new Map(),
    resting: new Map(),
    carbonErrors: new Map(),
    pastMisses: new Map(),
  };
  return {
    config,
    cache: r.cache,
    getSignal: (query) => getSignal(r, query),
    getZoneSignals: (zone, query) => getZoneSignals(r, zoneOf(zone), query),
    chain: (zone, metric) => chainOf(r, zoneOf(zone), metric).map((s) => ({ provider: s.name, id: s.id })),
    restingUntil(provider, nowMs) {
      const until = r.resting.get(provider);
      return until !== undefined && until > nowMs ? until : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// the chain

function chainOf(r: Registry, zone: Zone, metric: Metric): Source[] {
  return zoneConfig(r.config, zone.code)[kindOf(metric)].map((spec) => sourceOf(r, spec, zone, metric));
}

/** One chain entry as a source; instances are shared by id (per zone for per-zone providers). */
function sourceOf(r: Registry, spec: SourceSpec, zone: Zone, metric: Metric): Source {
  const descriptor = providerDescriptor(spec.provider);
  const id = `${spec.provider}${descriptor?.perZone ? `@${zone.code}` : ''}${optionsKey(spec.options)}`;
  return {
    name: spec.provider,
    id,
    descriptor,
    provider() {
      let p = r.instances.get(id);
      if (!p) {
        const factory = r.factories[spec.provider];
        if (!factory) throw new Error(`no factory for provider "${spec.provider}"`);
        p = factory({ ...spec.options, ...secretOptions(descriptor, r.config) }, { zone, metric });
        r.instances.set(id, p);
      }
      return p;
    },
  };
}

/** The provider's secrets that are set, under its own option names. */
function secretOptions(descriptor: ProviderDescriptor | undefined, config: GridshiftConfig) {
  const out: Record<string, string> = {};
  for (const [option, env] of Object.entries(descriptor?.secrets ?? {}))
    if (config.secrets[env] !== undefined) out[option] = config.secrets[env];
  return out;
}

// ---------------------------------------------------------------------------------------------------
// one signal

async function getSignal(r: Registry, query: SignalQuery): Promise<SignalAnswer> {
  const zone = zoneOf(query.zone);
  const { metric, fromMs, toMs } = query;
  if (!(toMs > fromMs)) throw new RangeError(`signal range is empty: ${toIso(fromMs)} .. ${toIso(toMs)}`);
  const chain = chainOf(r, zone, metric);
  const collected = await collectLayers(r, chain, zone, query);
  const zoneSettings = zoneConfig(r.config, zone.code);
  if (collected.layers.length === 0)
    return unanswered(zone, metric, collected.failures, zoneSettings.failurePolicy);
  const answer = assembleAnswer(chain, collected, zone, query);
  // prices as the household pays them, when the zone has a retail tariff (after the cache: it keeps the spot)
  const tariff = metric === 'price' ? zoneSettings.retail : undefined;
  if (!tariff || !answer.series) return answer;
  return {
    ...answer,
    series: retailSeries(answer.series, tariff),
    source: retailSourceName(answer.source ?? answer.series.source),
  };
}

/** Asks the chain in order until the range is covered; each source fills only what the ones before left. */
async function collectLayers(
  r: Registry,
  chain: Source[],
  zone: Zone,
  query: SignalQuery,
): Promise<Collected> {
  const { metric, fromMs, toMs, nowMs } = query;
  const c: Collected = { layers: [], layerSource: [], failures: [], failedAt: [], notExtended: [] };
  for (const [index, s] of chain.entries()) {
    const fail = (kind: SourceFailure['kind'], message: string) => {
      c.failures.push({ provider: s.name, kind, message });
      c.failedAt.push(index);
    };
    const provider = s.provider();
    if (!provider.supports(zone, metric)) {
      fail('unsupported', `does not cover ${metric} in ${zone.code}`);
      continue;
    }
    const asked = await ask(r, s, provider, { zone, metric, fromMs, toMs, nowMs });
    if (!('series' in asked)) {
      fail(asked.kind, asked.message);
      continue;
    }
    const useful = asked.series.filter((x) => overlaps(x, fromMs, toMs));
    if (useful.length === 0) {
      fail('not_found', `no data for ${toIso(fromMs)} .. ${toIso(toMs)}`);
      continue;
    }
    if (c.unit !== undefined && useful[0].unit !== c.unit) {
      fail('unsupported', `values in ${useful[0].unit}, not ${c.unit} like the sources before it`);
      continue;
    }
    c.unit ??= useful[0].unit;
    // within one source: actual values first, then the most recently issued forecast
    for (const x of byPreference(useful)) {
      c.layers.push(x);
      c.layerSource.push(index);
    }
    await extendSource(r, s, provider, index, c, query, zone);
    if (stitch(c.layers, fromMs, toMs).gaps.length === 0) break;
  }
  return c;
}

/** Where a live source's answer ends before a range reaching past now does, the built-in forecast fills on. */
async function extendSource(
  r: Registry,
  s: Source,
  provider: SignalProvider,
  index: number,
  c: Collected,
  query: SignalQuery,
  zone: Zone,
): Promise<void> {
  const { fromMs, toMs, nowMs } = query;
  if (!r.horizon || s.descriptor?.anyRange || !(toMs > nowMs)) return;
  const gaps = stitch(c.layers, fromMs, toMs).gaps;
  const tail = gaps[gaps.length - 1];
  if (tail?.endMs !== toMs) return;
  const fill = await forecastPast(r, s, provider, c.layers, tail.startMs, query, zone, r.horizon);
  if (typeof fill === 'string') {
    c.notExtended.push(`${s.name} not extended past its forecast: ${fill}`);
    return;
  }
  c.layers.push(fill.series);
  c.extension ??= { history: fill.history, fromMs: fill.series.points[0]?.start ?? tail.startMs };
  // between the source it extends and the next one in the chain
  c.layerSource.push(index + 0.5);
}

/** No source had anything: the failure policy decides what the caller does. */
function unanswered(
  zone: Zone,
  metric: Metric,
  failures: SourceFailure[],
  policy: FailurePolicy,
): SignalAnswer {
  return {
    zone: zone.code,
    metric,
    sources: [],
    failures,
    degraded: true,
    reasons: [
      `no source answered; failure policy ${policy}: ${policy === 'open' ? 'run at baseline' : 'hold loads'}`,
    ],
    policy,
  };
}

/** The layers stitched into one series, with which sources contributed and why the answer is degraded. */
function assembleAnswer(chain: Source[], c: Collected, zone: Zone, query: SignalQuery): SignalAnswer {
  const { metric, fromMs, toMs } = query;
  const stitched = stitch(c.layers, fromMs, toMs);
  const nameOf = (key: number): string => (Number.isInteger(key) ? chain[key].name : FORECAST_SOURCE);
  const spansBySource = new Map<number, Span[]>();
  let forecastFromMs: number | undefined;
  stitched.spans.forEach((spans, layer) => {
    if (spans.length === 0) return;
    const index = c.layerSource[layer];
    spansBySource.set(index, [...(spansBySource.get(index) ?? []), ...spans]);
    if (c.layers[layer].kind === 'forecast')
      forecastFromMs = Math.min(forecastFromMs ?? Number.POSITIVE_INFINITY, spans[0].startMs);
  });
  const usedIndexes = [...spansBySource.keys()].sort((a, b) => a - b);
  const names = usedIndexes.map(nameOf);
  const primary = usedIndexes.find(Number.isInteger) ?? usedIndexes[0];
  const reasons = explain({ chain, c, stitched, nameOf, usedIndexes, primary, spansBySource });

  const usedLayers = c.layers.filter((_, l) => stitched.spans[l].length > 0);
  const issued = usedLayers
    .filter((x) => x.kind === 'forecast' && x.issuedAt !== undefined)
    .map((x) => x.issuedAt!);
  const series: Series = {
    zone: zone.code,
    metric,
    unit: usedLayers[0].unit,
    resolutionMin:
      stitched.points.length === 1
        ? stitched.lastLengthMs / MINUTE_MS
        : Math.min(...usedLayers.map((x) => x.resolutionMin)),
    kind: forecastFromMs === undefined ? 'actual' : 'forecast',
    ...(issued.length > 0 ? { issuedAt: Math.max(...issued) } : {}),
    source: names.join('+'),
    ...(reasons.length > 0 ? { degraded: reasons.join('; ') } : {}),
    points: stitched.points,
  };
  return {
    zone: zone.code,
    metric,
    series,
    source: nameOf(primary),
    sources: names,
    failures: c.failures,
    degraded: reasons.length > 0,
    reasons,
    ...(forecastFromMs === undefined ? {} : { forecastFromMs }),
    ...(c.extension ? { extension: c.extension } : {}),
  };
}

/** Why an answer is degraded: a fallback answered, later sources filled parts, degraded data, gaps. */
function explain(a: {
  chain: Source[];
  c: Collected;
  stitched: Stitched;
  nameOf: (key: number) => string;
  usedIndexes: number[];
  primary: number;
  spansBySource: Map<number, Span[]>;
}): string[] {
  const { chain, c, stitched, nameOf, primary } = a;
  const reasons: string[] = [];
  if (primary > 0) {
    const skipped = c.failures
      .filter((_, i) => c.failedAt[i] < primary)
      .map((f) => `${f.provider} (${f.kind})`);
    reasons.push(`fallback: ${chain[primary].name} answered; ${unique(skipped).join(', ')} did not`);
  }
  // a forecast fill explains itself through its own degraded note
  for (const i of a.usedIndexes)
    if (i !== primary && Number.isInteger(i))
      reasons.push(`${chain[i].name} fills ${describeSpans(a.spansBySource.get(i) ?? [])}`);
  for (const [layer, x] of c.layers.entries())
    if (x.degraded && stitched.spans[layer].length > 0)
      reasons.push(`${nameOf(c.layerSource[layer])}: ${x.degraded}`);
  reasons.push(...c.notExtended);
  if (stitched.gaps.length > 0) reasons.push(`no data for ${describeSpans(stitched.gaps)}`);
  return unique(reasons);
}

/** One source's answer for a request: from the cache, or fetched unless the source rests after a rate limit. */
async function ask(r: Registry, s: Source, provider: SignalProvider, request: SignalRequest): Promise<Asked> {
  const { cache } = r;
  const until = r.resting.get(s.name);
  if (until !== undefined && until > request.nowMs) {
    // resting after a rate limit: a fresh cached answer may still serve, the provider is not called
    const cached = cache?.peek(provider, request, { name: s.name, id: s.id });
    if (!cached)
      return { kind: 'rate_limit', message: `rate limited: not asked again before ${toIso(until)}` };
    return { series: cached.filter((x) => x.metric === request.metric) };
  }
  try {
    const answer = cache
      ? await cache.fetch(provider, request, { name: s.name, id: s.id })
      : await provider.fetch(request);
    const series = answer.filter((x) => x.metric === request.metric);
    for (const x of series) assertSeries(x);
    return { series };
  } catch (err) {
    if (err instanceof ProviderError) {
      if (err.kind === 'rate_limit')
        r.resting.set(s.name, request.nowMs + (err.retryAfterMs ?? r.defaultRetryAfterMs));
      return { kind: err.kind, message: err.message };
    }
    if (err instanceof RangeError) return { kind: 'malformed', message: err.message };
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The built-in forecast for [fillFromMs, toMs), fitted on the source's measured values of the look-back
 * window (asked through the same cache) and the answer so far; why not when the source cannot give enough
 * history, so that the next source fills instead.
 */
async function forecastPast(
  r: Registry,
  s: Source,
  provider: SignalProvider,
  answer: readonly Series[],
  fillFromMs: number,
  query: SignalQuery,
  zone: Zone,
  horizon: HorizonOptions,
): Promise<{ series: Series; history: Grid } | string> {
  const { toMs, nowMs } = query;
  const past = await askPast(r, s, provider, query, zone, horizon);
  // a source that cannot give its history is not a failure of the answer: the next source fills
  if (!('series' in past)) return `its history could not be fetched (${past.kind})`;
  const extension = extendPastHorizon(
    { provider: s.name, answer, past: past.series, fillFromMs, toMs, nowMs },
    horizon,
  );
  return extension.ok ? { series: extension.series, history: extension.history } : extension.why;
}

/**
 * The source's values of the look-back window: whole hours up to the last one begun, so the same request all
 * hour long (the cache answers it), never reaching past now (a source asked past now would also fetch its
 * forecast); the answer itself holds the values since the hour began when the range starts there. A source
 * that could not give it is not asked again before the next hour.
 */
async function askPast(
  r: Registry,
  s: Source,
  provider: SignalProvider,
  query: SignalQuery,
  zone: Zone,
  horizon: HorizonOptions,
): Promise<Asked> {
  const lookbackMs = horizon.lookbackMs ?? HORIZON_DEFAULTS.lookbackMs;
  const endMs = floorToStep(query.nowMs, 60);
  const fromMs = floorToStep(endMs - lookbackMs, 60);
  const key = `${s.id}|${zone.code}|${query.metric}|${endMs}`;
  const missed = r.pastMisses.get(key);
  if (missed) return missed;
  const asked = await ask(r, s, provider, {
    zone,
    metric: query.metric,
    fromMs,
    toMs: endMs,
    nowMs: query.nowMs,
  });
  if (!('series' in asked)) {
    if (r.pastMisses.size >= PAST_MISSES_KEPT) r.pastMisses.delete(r.pastMisses.keys().next().value!);
    r.pastMisses.set(key, asked);
  }
  return asked;
}

// ---------------------------------------------------------------------------------------------------
// a zone's signals on the planning grid

async function getZoneSignals(r: Registry, zone: Zone, query: ZoneSignalsQuery): Promise<ZoneSignalsResult> {
  const { fromMs, toMs, nowMs, stepMin } = query;
  const configured = zoneConfig(r.config, zone.code);
  const metrics = query.metrics ?? [configured.metric, 'price'];
  const carbonMetric = metrics.find((m) => m !== 'price') ?? configured.metric;
  const wantPrice = metrics.includes('price');
  const startMs = floorToStep(fromMs, stepMin);
  const endMs = ceilToStep(toMs, stepMin);
  const [carbon, priceAnswer] = await Promise.all([
    getSignal(r, { zone, metric: carbonMetric, fromMs: startMs, toMs: endMs, nowMs }),
    wantPrice ? getSignal(r, { zone, metric: 'price', fromMs: startMs, toMs: endMs, nowMs }) : undefined,
  ]);
  // a price wanted only to show the cost, that no source has, is left out rather than reported
  const optionalPrice = query.priceRequired === false;
  const price = optionalPrice && priceAnswer?.policy ? undefined : priceAnswer;
  const grid = (s: Series | undefined): Grid =>
    s
      ? resample(s, stepMin, { startMs, endMs })
      : resample({ points: [], resolutionMin: stepMin }, stepMin, { startMs, endMs });
  const degraded = [
    ...carbon.reasons.map((reason) => `carbon: ${reason}`),
    ...(price?.reasons.map((reason) => `price: ${reason}`) ?? []),
  ];
  const result: ZoneSignalsResult = {
    zone: zone.code,
    carbon: grid(carbon.series),
    carbonSource: carbon.source ?? 'none',
    degraded,
    failures: [...carbon.failures, ...(price?.failures ?? [])],
    answers: priceAnswer ? { carbon, price: priceAnswer } : { carbon },
  };
  if (price?.series) {
    result.price = grid(price.series);
    result.priceSource = price.source;
    result.currency = price.series.unit.split('/')[0];
  }
  const errors = carbonErrorsOf(r, zone, carbon, result.carbon);
  if (errors) result.carbonErrors = errors;
  const policy = carbon.policy ?? price?.policy;
  if (policy) result.policy = policy;
  return result;
}

/**
 * Sampled error paths of the built-in forecast that extended the carbon answer past its source's horizon,
 * from the history it was fitted on; the source's own forecast before that counts as known, as the simulator
 * treats a forecast's horizon. Fitting them costs tens of milliseconds, and the history is the same all hour
 * long (whole hours, answered by the cache), so they are kept per zone, history and forecast range.
 */
function carbonErrorsOf(r: Registry, zone: Zone, answer: SignalAnswer, grid: Grid): CarbonErrors | undefined {
  const fromMs = answer.forecastFromMs;
  const { extension } = answer;
  if (!extension || fromMs === undefined) return undefined;
  const { history } = extension;
  const stepMs = grid.stepMin * MINUTE_MS;
  const from = Math.ceil(fromMs / stepMs) * stepMs;
  const anchorMs = Math.max(from, Math.ceil(extension.fromMs / stepMs) * stepMs);
  const forecastSlots = Math.floor((grid.startMs + grid.values.length * stepMs - anchorMs) / stepMs);
  let measuredSum = 0;
  for (let i = 0; i < history.values.length && slotStart(history, i) < from; i++)
    if (Number.isFinite(history.values[i])) measuredSum += history.values[i];
  const key = [
    zone.code,
    history.startMs,
    history.stepMin,
    measuredSum,
    from,
    anchorMs,
    grid.stepMin,
    forecastSlots,
  ].join('|');
  if (r.carbonErrors.has(key)) return r.carbonErrors.get(key);
  const forecast = r.horizon?.forecast;
  const errors = sampleCarbonErrors({
    zone: zone.code,
    measured: history,
    fromMs: from,
    anchorMs,
    stepMin: grid.stepMin,
    forecastSlots,
    ...(forecast ? { forecast } : {}),
  });
  if (r.carbonErrors.size >= CARBON_ERRORS_KEPT) r.carbonErrors.delete(r.carbonErrors.keys().next().value!);
  r.carbonErrors.set(key, errors);
  return errors;
}

/** Whether a series has a valued point whose interval overlaps [fromMs, toMs). */
function overlaps(series: Series, fromMs: number, toMs: number): boolean {
  const pts = series.points;
  for (let i = 0; i < pts.length; i++) {
    const end = i + 1 < pts.length ? pts[i + 1].start : pts[i].start + series.resolutionMin * MINUTE_MS;
    if (pts[i].start < toMs && end > fromMs && Number.isFinite(pts[i].value)) return true;
  }
  return false;
}

function optionsKey(options: Record<string, unknown>): string {
  const keys = Object.keys(options).sort();
  if (keys.length === 0) return '';
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, options[k]])));
}

function describeSpans(spans: Span[]): string {
  const shown = spans.slice(0, 3).map((s) => `${toIso(s.startMs)} .. ${toIso(s.endMs)}`);
  return spans.length > 3 ? `${shown.join(', ')} and ${spans.length - 3} more` : shown.join(', ');
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)];
}
