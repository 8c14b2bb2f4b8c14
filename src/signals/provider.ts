import type { ConfigProvider } from '../core/config.ts';
import type { Metric, Series } from '../core/series.ts';
import type { Zone } from '../core/zones.ts';

export interface SignalRequest {
  zone: Zone;
  metric: Metric;
  /** start of the range wanted (epoch ms); providers return what they have that overlaps it */
  fromMs: number;
  /** end of the range wanted (exclusive) */
  toMs: number;
  /** the current time, so that sources can split history from forecast; tests pass a fixed value */
  nowMs: number;
}

/** When a day-ahead market publishes the next day's prices, and what they cover, in the market's local time. */
export interface PublicationTime {
  /** IANA time zone of the market */
  timeZone: string;
  /** the daily publication, a little after the usual time */
  hour: number;
  minute: number;
  /** the published values reach this hour of the next day (24 = its end) */
  coversToHour: number;
}

/**
 * One source of grid signals: an HTTP API, a file, a table or a simulator. One file per source in
 * src/signals implements this. `fetch` returns the actual and forecast series it has for the range
 * (a provider may return one of each) and throws `ProviderError` when it cannot answer.
 */
export interface SignalProvider {
  readonly name: string;
  /** whether the source can answer for this zone and metric at all (without I/O) */
  supports(zone: Zone, metric: Metric): boolean;
  fetch(request: SignalRequest): Promise<Series[]>;
  /** how long an answer stays fresh in the cache */
  readonly ttlMs: number;
  /** for day-ahead prices: when the next day's values are published (the cache keeps answers until then) */
  readonly publication?: PublicationTime;
}

/** What a factory knows besides the configured options: the zone and metric the source is first needed for. */
export interface FactoryContext {
  /** per-zone sources (csv) answer only for this zone */
  zone: Zone;
  metric: Metric;
}

/**
 * Builds a provider from its configured options: the file's options with the provider's secrets (read from
 * the environment) added under their option names.
 */
export type ProviderFactory = (options: Record<string, unknown>, context: FactoryContext) => SignalProvider;

/**
 * How a provider describes itself to the configuration, the registry and the cache: one per provider
 * file, collected in providers.ts. Adding a provider is that file, its test and its docs page.
 */
export interface ProviderDescriptor<Name extends string = string> extends ConfigProvider {
  readonly name: Name;
  /** whether its answers reach into the future (a forecast, or published day-ahead prices) */
  readonly forecasts: boolean;
  /** how long an answer stays fresh in the cache, unless `cache.ttl.<name>` says otherwise */
  readonly ttlMs: number;
  /** day-ahead prices: when the next day's values are published */
  readonly publication?: PublicationTime;
  /** answers any range from a table or a formula: there is no horizon for the built-in forecast to extend */
  readonly anyRange?: boolean;
  /** instances answer for one zone only (a file): the registry keeps one per zone */
  readonly perZone?: boolean;
  readonly create: ProviderFactory;
}

/** Keeps the literal name of a descriptor, so that the list of providers gives the type of their names. */
export function describeProvider<const Name extends string>(
  descriptor: ProviderDescriptor<Name>,
): ProviderDescriptor<Name> {
  return descriptor;
}
