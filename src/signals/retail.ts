import type { Series } from '../core/series.ts';

/**
 * What a household pays per kWh when its supplier passes the wholesale price on (Tibber, Octopus Agile and
 * the like): the spot price times a factor, plus a fee per kWh (network charges, levies, the supplier's
 * margin), plus VAT on the sum. The same shape as evcc's tariff `charges` and `tax`, with a factor.
 */
export interface RetailTariff {
  /** multiplies the spot price (default 1) */
  factor: number;
  /** added per kWh, in the price's currency (default 0) */
  feePerKwh: number;
  /** value-added tax on the sum, % (default 0) */
  vatPct: number;
}

/** (spot x factor + fee) x (1 + VAT): a negative spot price stays negative only while the fee does not cover it. */
export function retailPrice(spot: number, t: RetailTariff): number {
  return (spot * t.factor + t.feePerKwh) * (1 + t.vatPct / 100);
}

/** How a source's name reads once its prices are made retail prices: `entsoe (retail)`. */
export const retailSourceName = (source: string): string => `${source} (retail)`;

/** The series with every value as the retail price, saying so in its source. */
export function retailSeries(series: Series, t: RetailTariff): Series {
  return {
    ...series,
    source: retailSourceName(series.source),
    points: series.points.map((p) => ({ ...p, value: retailPrice(p.value, t) })),
  };
}
