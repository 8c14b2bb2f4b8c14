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
}
