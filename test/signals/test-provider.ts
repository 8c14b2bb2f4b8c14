import type { Metric, Point, Series } from '../../src/core/series.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import type { Zone } from '../../src/core/zones.ts';
import type { PublicationTime, SignalProvider, SignalRequest } from '../../src/signals/provider.ts';

/** A provider for tests: answers with what `answer` returns (or throws it) and records each call. */
export interface TestProvider extends SignalProvider {
  calls: SignalRequest[];
}

export function testProvider(
  name: string,
  answer: (req: SignalRequest) => Series[] | Promise<Series[]>,
  options: {
    ttlMs?: number;
    supports?: (zone: Zone, metric: Metric) => boolean;
    publication?: PublicationTime;
  } = {},
): TestProvider {
  const calls: SignalRequest[] = [];
  return {
    name,
    ttlMs: options.ttlMs ?? 15 * 60_000,
    ...(options.publication ? { publication: options.publication } : {}),
    calls,
    supports: options.supports ?? (() => true),
    async fetch(req) {
      calls.push(req);
      return answer(req);
    },
  };
}

export const t = (iso: string) => Date.parse(iso);

/** Hourly points from `startIso` with the given values. */
export function hourly(startIso: string, values: number[]): Point[] {
  const start = t(startIso);
  return values.map((value, i) => ({ start: start + i * HOUR_MS, value }));
}

export function carbonSeries(source: string, points: Point[], extra: Partial<Series> = {}): Series {
  return {
    zone: 'DE',
    metric: 'carbon_average',
    unit: 'gCO2eq/kWh',
    resolutionMin: 60,
    kind: 'actual',
    source,
    points,
    ...extra,
  };
}

export function priceSeries(source: string, points: Point[], extra: Partial<Series> = {}): Series {
  return carbonSeries(source, points, { metric: 'price', unit: 'EUR/kWh', ...extra });
}
