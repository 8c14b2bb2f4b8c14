import {
  defaultConfig,
  type FailurePolicy,
  type GridshiftConfig,
  type ProviderName,
  type SignalKind,
  type SourceSpec,
  zoneConfig,
} from '../core/config.ts';
import { ProviderError, type ProviderFailure } from '../core/errors.ts';
import type { ZoneSignals } from '../core/load.ts';
import { assertSeries, type Grid, type Metric, resample, type Series } from '../core/series.ts';
import { ceilToStep, floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import { resolveZone, type Zone } from '../core/zones.ts';
import { createSignalCache, type SignalCache } from './cache.ts';
import {
  byPreference,
  extendPastHorizon,
  FORECAST_SOURCE,
  HORIZON_DEFAULTS,
  type HorizonOptions,
} from './extend.ts';
import type { SignalProvider, SignalRequest } from './provider.ts';
import { DEFAULT_FACTORIES, PER_ZONE, type ProviderFactory } from './sources.ts';
import { type Span, stitch } from './stitch.ts';

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
  provider: ProviderName;
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

/** Sources that answer for any range from a table or a formula: there is no horizon to extend. */
const COVERS_ANY_RANGE: ReadonlySet<ProviderName> = new Set<ProviderName>(['profile', 'annual', 'simulator']);

type Asked = { series: Series[] } | { kind: SourceFailure['kind']; message: string };

interface Source {
  name: ProviderName;
  id: string;
  /** built on first use, so that sources a chain never reaches cost nothing */
  provider(): SignalProvider;
}

const kindOf = (metric: Metric): SignalKind => (metric === 'price' ? 'price' : 'carbon');

export function createRegistry(options: RegistryOptions = {}): SignalRegistry {
  const config = options.config ?? defaultConfig();
  const factories = { ...DEFAULT_FACTORIES, ...options.factories };
  const cache =
    options.cache === false
      ? undefined
      : (options.cache ?? createSignalCache({ ttlMs: config.cache.ttlMs, file: config.cache.file }));
  const defaultRetryAfterMs = options.defaultRetryAfterMs ?? 60_000;
  const horizon = options.forecastPastHorizon === false ? undefined : (options.forecastPastHorizon ?? {});
  const instances = new Map<string, SignalProvider>();
  const resting = new Map<string, number>();

  const source = (spec: SourceSpec, zone: Zone, metric: Metric): Source => {
    const perZone = PER_ZONE.has(spec.provider);
    const id = `${spec.provider}${perZone ? `@${zone.code}` : ''}${optionsKey(spec.options)}`;
    return {
      name: spec.provider,
      id,
      provider() {
        let p = instances.get(id);
        if (!p) {
          const factory = factories[spec.provider];
          if (!factory) throw new Error(`no factory for provider "${spec.provider}"`);
          p = factory(spec.options, { credentials: config.credentials, zone, metric });
          instances.set(id, p);
        }
        return p;
      },
    };
  };

  const chainOf = (zone: Zone, metric: Metric): Source[] =>
    zoneConfig(config, zone.code)[kindOf(metric)].map((spec) => source(spec, zone, metric));

  async function getSignal(query: SignalQuery): Promise<SignalAnswer> {
    const zone = typeof query.zone === 'string' ? resolveZone(query.zone) : query.zone;
    const { metric, fromMs, toMs, nowMs } = query;
    if (!(toMs > fromMs)) throw new RangeError(`signal range is empty: ${toIso(fromMs)} .. ${toIso(toMs)}`);
    const chain = chainOf(zone, metric);
    const failures: SourceFailure[] = [];
    const layers: Series[] = [];
    const layerSource: number[] = [];
    let unit: string | undefined;
    const failedAt: number[] = [];
    /** why a source's forecast could not be extended past its horizon, for the answer's reasons */
    const notExtended: string[] = [];
    for (const [index, s] of chain.entries()) {
      const fail = (kind: SourceFailure['kind'], message: string) => {
        failures.push({ provider: s.name, kind, message });
        failedAt.push(index);
      };
      const provider = s.provider();
      if (!provider.supports(zone, metric)) {
        fail('unsupported', `does not cover ${metric} in ${zone.code}`);
        continue;
      }
      const asked = await ask(s, provider, { zone, metric, fromMs, toMs, nowMs });
      if (!('series' in asked)) {
        fail(asked.kind, asked.message);
        continue;
      }
      const series = asked.series;
      const useful = series.filter((x) => overlaps(x, fromMs, toMs));
      if (useful.length === 0) {
        fail('not_found', `no data for ${toIso(fromMs)} .. ${toIso(toMs)}`);
        continue;
      }
      if (unit !== undefined && useful[0].unit !== unit) {
        fail('unsupported', `values in ${useful[0].unit}, not ${unit} like the sources before it`);
        continue;
      }
      unit ??= useful[0].unit;
      // within one source: actual values first, then the most recently issued forecast
      for (const x of byPreference(useful)) {
        layers.push(x);
        layerSource.push(index);
      }
      let gaps = stitch(layers, fromMs, toMs).gaps;
      const tail = gaps[gaps.length - 1];
      if (horizon && !COVERS_ANY_RANGE.has(s.name) && tail?.endMs === toMs && toMs > nowMs) {
        const fill = await forecastPast(s, provider, layers, tail.startMs, query, zone, horizon);
        if (typeof fill === 'string') notExtended.push(`${s.name} not extended past its forecast: ${fill}`);
        else {
          layers.push(fill);
          // between the source it extends and the next one in the chain
          layerSource.push(index + 0.5);
          gaps = stitch(layers, fromMs, toMs).gaps;
        }
      }
      if (gaps.length === 0) break;
    }

    const policy = zoneConfig(config, zone.code).failurePolicy;
    if (layers.length === 0) {
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

    const stitched = stitch(layers, fromMs, toMs);
    // chain index of each contributing source; a built-in forecast fill sits at the index it extends + 0.5
    const nameOf = (key: number): string => (Number.isInteger(key) ? chain[key].name : FORECAST_SOURCE);
    const used = new Set<number>();
    const spansBySource = new Map<number, Span[]>();
    let forecastFromMs: number | undefined;
    stitched.spans.forEach((spans, layer) => {
      if (spans.length === 0) return;
      const index = layerSource[layer];
      used.add(index);
      spansBySource.set(index, [...(spansBySource.get(index) ?? []), ...spans]);
      if (layers[layer].kind === 'forecast')
        forecastFromMs = Math.min(forecastFromMs ?? Number.POSITIVE_INFINITY, spans[0].startMs);
    });
    const usedIndexes = [...used].sort((a, b) => a - b);
    const names = usedIndexes.map(nameOf);
    const primary = usedIndexes.find(Number.isInteger) ?? usedIndexes[0];
    const reasons: string[] = [];
    if (primary > 0) {
      const skipped = failures
        .filter((_, i) => failedAt[i] < primary)
        .map((f) => `${f.provider} (${f.kind})`);
      reasons.push(`fallback: ${chain[primary].name} answered; ${unique(skipped).join(', ')} did not`);
    }
    // a forecast fill explains itself through its own degraded note
    for (const i of usedIndexes)
      if (i !== primary && Number.isInteger(i))
        reasons.push(`${chain[i].name} fills ${describeSpans(spansBySource.get(i) ?? [])}`);
    for (const [layer, x] of layers.entries())
      if (x.degraded && stitched.spans[layer].length > 0)
        reasons.push(`${nameOf(layerSource[layer])}: ${x.degraded}`);
    reasons.push(...notExtended);
    if (stitched.gaps.length > 0) reasons.push(`no data for ${describeSpans(stitched.gaps)}`);
    const uniqueReasons = unique(reasons);

    const usedLayers = layers.filter((_, l) => stitched.spans[l].length > 0);
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
      ...(uniqueReasons.length > 0 ? { degraded: uniqueReasons.join('; ') } : {}),
      points: stitched.points,
    };
    return {
      zone: zone.code,
      metric,
      series,
      source: nameOf(primary),
      sources: names,
      failures,
      degraded: uniqueReasons.length > 0,
      reasons: uniqueReasons,
      ...(forecastFromMs === undefined ? {} : { forecastFromMs }),
    };
  }

  /** One source's answer for a request: from the cache, or fetched unless the source rests after a rate limit. */
  async function ask(s: Source, provider: SignalProvider, request: SignalRequest): Promise<Asked> {
    const until = resting.get(s.name);
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
          resting.set(s.name, request.nowMs + (err.retryAfterMs ?? defaultRetryAfterMs));
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
    s: Source,
    provider: SignalProvider,
    answer: readonly Series[],
    fillFromMs: number,
    query: SignalQuery,
    zone: Zone,
    horizon: HorizonOptions,
  ): Promise<Series | string> {
    const { metric, toMs, nowMs } = query;
    const lookbackMs = horizon.lookbackMs ?? HORIZON_DEFAULTS.lookbackMs;
    // whole hours up to the last one begun: the same request all hour long, so the cache answers it, and it
    // never reaches past now (a source asked past now would also fetch its forecast); the answer itself
    // holds the values since the hour began when the range starts there
    const endMs = floorToStep(nowMs, 60);
    const request = { zone, metric, fromMs: floorToStep(endMs - lookbackMs, 60), toMs: endMs, nowMs };
    const past = await ask(s, provider, request);
    // a source that cannot give its history is not a failure of the answer: the next source fills
    if (!('series' in past)) return `its history could not be fetched (${past.kind})`;
    const extension = extendPastHorizon(
      { provider: s.name, answer, past: past.series, fillFromMs, toMs, nowMs },
      horizon,
    );
    return extension.ok ? extension.series : extension.why;
  }

  async function getZoneSignals(
    zoneInput: string | Zone,
    query: ZoneSignalsQuery,
  ): Promise<ZoneSignalsResult> {
    const zone = typeof zoneInput === 'string' ? resolveZone(zoneInput) : zoneInput;
    const { fromMs, toMs, nowMs, stepMin } = query;
    const configured = zoneConfig(config, zone.code);
    const metrics = query.metrics ?? [configured.metric, 'price'];
    const carbonMetric = metrics.find((m) => m !== 'price') ?? configured.metric;
    const wantPrice = metrics.includes('price');
    const startMs = floorToStep(fromMs, stepMin);
    const endMs = ceilToStep(toMs, stepMin);
    const [carbon, priceAnswer] = await Promise.all([
      getSignal({ zone, metric: carbonMetric, fromMs: startMs, toMs: endMs, nowMs }),
      wantPrice ? getSignal({ zone, metric: 'price', fromMs: startMs, toMs: endMs, nowMs }) : undefined,
    ]);
    // a price wanted only to show the cost, that no source has, is left out rather than reported
    const optionalPrice = query.priceRequired === false;
    const price = optionalPrice && priceAnswer?.policy ? undefined : priceAnswer;
    const grid = (s: Series | undefined): Grid =>
      s
        ? resample(s, stepMin, { startMs, endMs })
        : resample({ points: [], resolutionMin: stepMin }, stepMin, { startMs, endMs });
    const degraded = [
      ...carbon.reasons.map((r) => `carbon: ${r}`),
      ...(price?.reasons.map((r) => `price: ${r}`) ?? []),
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
    const policy = carbon.policy ?? price?.policy;
    if (policy) result.policy = policy;
    return result;
  }

  return {
    config,
    cache,
    getSignal,
    getZoneSignals,
    chain(zoneInput, metric) {
      const zone = typeof zoneInput === 'string' ? resolveZone(zoneInput) : zoneInput;
      return chainOf(zone, metric).map((s) => ({ provider: s.name, id: s.id }));
    },
    restingUntil(provider, nowMs) {
      const until = resting.get(provider);
      return until !== undefined && until > nowMs ? until : undefined;
    },
  };
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
