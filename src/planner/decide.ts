/**
 * Small decisions for callers that act in the moment rather than plan ahead: "process this now or later?"
 * and "which model tier now?". Both fail open: with no usable signal they say run / large, so missing data
 * never stops work.
 */
import { formatNumber } from '../core/format.ts';

/** A forecast value that holds from `startMs`. */
export interface ForecastValue {
  startMs: number;
  value: number;
}

export interface DecideOptions {
  /** run now when the current value is within this percentage of the best upcoming value (default 5) */
  tolerancePct?: number;
  /** run now whenever the current value is at or below this (e.g. 100 g/kWh); off by default */
  runAtOrBelow?: number;
  /** consider only forecast values starting in [fromMs, toMs): the load's allowed horizon */
  fromMs?: number;
  toMs?: number;
}

export interface Decision {
  action: 'run' | 'defer';
  reason: string;
  /** the current value (null when there is none) */
  current: number | null;
  /** the lowest upcoming value within the horizon (null when there is none) */
  bestValue: number | null;
  /** when that value starts (epoch ms), the earliest on ties */
  bestAtMs: number | null;
  /**
   * what waiting for the best value would save, in % of |current|; 0 when nothing upcoming is lower or
   * current is 0
   */
  expectedSavingsPct: number;
}

/**
 * Process now or defer? Given the current value of a signal (carbon intensity or price) and its forecast
 * over the load's allowed horizon: run now when the current value is at or below `runAtOrBelow`, or within
 * `tolerancePct` of the best upcoming value; otherwise defer to the best upcoming value. Runs (fail-open)
 * when there is no current value or no forecast within the horizon.
 */
export function decideNow(
  current: number | null | undefined,
  forecast: readonly ForecastValue[],
  options: DecideOptions = {},
): Decision {
  const tolerancePct = options.tolerancePct ?? 5;
  if (!(tolerancePct >= 0)) throw new RangeError(`tolerancePct must be >= 0, got ${options.tolerancePct}`);
  const from = options.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = options.toMs ?? Number.POSITIVE_INFINITY;
  let bestValue: number | null = null;
  let bestAtMs: number | null = null;
  for (const f of forecast) {
    if (f.startMs < from || f.startMs >= to || !Number.isFinite(f.value)) continue;
    if (bestValue === null || f.value < bestValue || (f.value === bestValue && f.startMs < bestAtMs!)) {
      bestValue = f.value;
      bestAtMs = f.startMs;
    }
  }
  const now = current !== null && current !== undefined && Number.isFinite(current) ? current : null;
  const decision = (action: Decision['action'], reason: string, savingsPct = 0): Decision => ({
    action,
    reason,
    current: now,
    bestValue,
    bestAtMs,
    expectedSavingsPct: savingsPct,
  });
  if (now === null) return decision('run', 'no current signal: run now (fail-open)');
  const savingsPct =
    bestValue !== null && bestValue < now && now !== 0 ? (100 * (now - bestValue)) / Math.abs(now) : 0;
  if (options.runAtOrBelow !== undefined && now <= options.runAtOrBelow)
    return decision(
      'run',
      `current ${fmt(now)} is at or below the threshold ${fmt(options.runAtOrBelow)}`,
      savingsPct,
    );
  if (bestValue === null) return decision('run', 'no forecast within the horizon: run now (fail-open)');
  if (now - bestValue <= (tolerancePct / 100) * Math.abs(now))
    return decision(
      'run',
      bestValue >= now
        ? `current ${fmt(now)} is the best within the horizon`
        : `current ${fmt(now)} is within ${fmt(tolerancePct)}% of the best upcoming ${fmt(bestValue)}`,
      savingsPct,
    );
  return decision(
    'defer',
    `best upcoming ${fmt(bestValue)} is ${fmt(savingsPct)}% below current ${fmt(now)}`,
    savingsPct,
  );
}

export type ModelTier = 'large' | 'small';

/** What is known now, as plain numbers; leave out what is unknown. */
export interface TierSignal {
  /** carbon intensity now, g/kWh */
  carbon?: number;
  /** mean of the zone's carbon forecast (e.g. the next 24 h), g/kWh */
  carbonForecastMean?: number;
  /** price now, per kWh */
  price?: number;
  /** local solar output (or surplus) now, kW */
  solarKw?: number;
}

export interface TierOptions {
  /** clean when carbon is below this, g/kWh (default 200) */
  carbonBelow?: number;
  /** clean also when carbon is below the forecast mean (default true) */
  belowForecastMean?: boolean;
  /** cheap when price is below this (no default: the price rule is off unless set) */
  priceBelow?: number;
  /** solar counts as available from this output, kW (default 0.5) */
  minSolarKw?: number;
}

export interface TierChoice {
  tier: ModelTier;
  reason: string;
  /** set when no rule could be evaluated for lack of a signal: the tier is the fail-open one */
  failOpen?: true;
}

/**
 * Which model tier to use for an AI inference load now: `large` when the grid is clean (carbon below
 * `carbonBelow` or below the forecast mean), cheap (price below `priceBelow`) or local solar is available;
 * `small` otherwise. `large` (fail-open) when no rule can be evaluated for lack of a signal.
 */
export function chooseModelTier(signal: TierSignal, options: TierOptions = {}): TierChoice {
  const carbonBelow = options.carbonBelow ?? 200;
  const minSolarKw = options.minSolarKw ?? 0.5;
  const known = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);
  const { carbon, carbonForecastMean: mean, price, solarKw } = signal;
  const no: string[] = [];
  let evaluated = 0;
  if (known(carbon)) {
    evaluated++;
    if (carbon < carbonBelow)
      return { tier: 'large', reason: `clean: carbon ${fmt(carbon)} g/kWh is below ${fmt(carbonBelow)}` };
    if ((options.belowForecastMean ?? true) && known(mean)) {
      if (carbon < mean)
        return {
          tier: 'large',
          reason: `clean: carbon ${fmt(carbon)} g/kWh is below the forecast mean ${fmt(mean)}`,
        };
      no.push(
        `carbon ${fmt(carbon)} g/kWh is not below ${fmt(carbonBelow)} nor the forecast mean ${fmt(mean)}`,
      );
    } else no.push(`carbon ${fmt(carbon)} g/kWh is not below ${fmt(carbonBelow)}`);
  }
  if (known(price) && options.priceBelow !== undefined) {
    evaluated++;
    if (price < options.priceBelow)
      return { tier: 'large', reason: `cheap: price ${fmt(price)} is below ${fmt(options.priceBelow)}` };
    no.push(`price ${fmt(price)} is not below ${fmt(options.priceBelow)}`);
  }
  if (known(solarKw)) {
    evaluated++;
    if (solarKw >= minSolarKw) return { tier: 'large', reason: `local solar ${fmt(solarKw)} kW available` };
    no.push(`local solar ${fmt(solarKw)} kW is under ${fmt(minSolarKw)} kW`);
  }
  if (evaluated === 0)
    return { tier: 'large', reason: 'no usable signal: large model (fail-open)', failOpen: true };
  return { tier: 'small', reason: no.join('; ') };
}

/** Numbers in reasons as everywhere else they are shown (float noise reads 0). */
const fmt = (x: number): string => formatNumber(x);
