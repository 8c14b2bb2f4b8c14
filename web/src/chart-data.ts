import type { Dashboard } from '../../src/client/index.ts';

/**
 * The Now page's series as the chart draws them: seconds on x, and each signal split at the point where
 * its forecast begins into a measured line and a forecast line, drawn differently. Values hold for their
 * whole slot (stepped lines); one more x at the end closes the last slot.
 */
export interface ChartData {
  xs: number[];
  carbonActual: (number | null)[];
  carbonForecast: (number | null)[];
  priceActual: (number | null)[];
  priceForecast: (number | null)[];
  /** the 10-90 % band of the carbon forecast (null outside it); absent when no slot has one */
  carbonBand?: { low: (number | null)[]; high: (number | null)[] };
  /** the waiting loads' runs, clipped to the chart, seconds */
  windows: { fromS: number; toS: number; name: string }[];
  nowS: number;
  hasPrice: boolean;
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

function split(values: (number | null)[], xs: number[], forecastFrom: string | undefined) {
  const fromS = forecastFrom === undefined ? Number.POSITIVE_INFINITY : seconds(forecastFrom);
  const found = xs.findIndex((x) => x >= fromS);
  const cut = found < 0 ? values.length : found;
  // a stepped line draws each value up to the next point: the measured line gets one more point, where
  // the forecast begins, holding its last value
  const actual = values.map((v, i) => (i < cut ? v : i === cut ? (values[cut - 1] ?? null) : null));
  const forecast = values.map((v, i) => (i >= cut ? v : null));
  return { actual, forecast };
}

export function chartData(d: Dashboard): ChartData {
  const starts = d.series.map((p) => seconds(p.start));
  const xs = [...starts, seconds(d.to)];
  const closed = <T>(values: T[]) => [...values, values[values.length - 1] ?? null];
  const carbon = split(closed(d.series.map((p) => p.carbon)), xs, d.carbon?.forecastFrom);
  const price = split(closed(d.series.map((p) => p.price)), xs, d.price?.forecastFrom);
  const fromS = seconds(d.from);
  const toS = seconds(d.to);
  const windows = d.loads.flatMap((load) =>
    load.runs
      .map((r) => ({
        fromS: Math.max(fromS, seconds(r.start)),
        toS: Math.min(toS, seconds(r.end)),
        name: load.name,
      }))
      .filter((w) => w.toS > w.fromS),
  );
  const bandOf = (k: 0 | 1) => closed(d.series.map((p) => p.carbonBand?.[k] ?? null));
  const hasBand = d.series.some((p) => p.carbonBand !== undefined);
  return {
    xs,
    ...(hasBand ? { carbonBand: { low: bandOf(0), high: bandOf(1) } } : {}),
    carbonActual: carbon.actual,
    carbonForecast: carbon.forecast,
    priceActual: price.actual,
    priceForecast: price.forecast,
    windows,
    nowS: seconds(d.at),
    hasPrice: d.series.some((p) => p.price !== null),
  };
}
