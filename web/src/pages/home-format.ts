/** The Home page's numbers in words: power, energy, money and emissions, and why a plan was solved. */

const fixed = (value: number, digits: number): string => {
  const f = 10 ** digits;
  // no "-0.0" for a value that rounds to nothing
  return (Math.round(value * f) / f || 0).toFixed(digits);
};

export const kw = (value: number): string => `${fixed(value, 1)} kW`;
export const kwh = (value: number): string => `${fixed(value, 1)} kWh`;
export const amps = (value: number): string => `${fixed(value, 0)} A`;

/** A cost in the tariff's currency (the plan does not name it), two decimals; '–' when unknown. */
export function money(value: number | undefined | null): string {
  return value === undefined || value === null ? '–' : fixed(value, 2);
}

/** Emissions: grams below a kilogram, else kilograms. */
export function emissions(grams: number | undefined | null): string {
  if (grams === undefined || grams === null) return '–';
  return Math.abs(grams) < 1000 ? `${fixed(grams, 0)} g` : `${fixed(grams / 1000, 2)} kg`;
}

export function percent(value: number | undefined | null): string {
  return value === undefined || value === null ? '' : ` (${fixed(value, 1)} %)`;
}

/**
 * A saving in words: "0.45 saved (30.0 %)", or "0.20 more" when the plan costs more than the baseline;
 * the share of the baseline, when given, is said without its sign.
 */
export function saving(
  value: number | undefined | null,
  show: (v: number) => string,
  pct?: number | null,
): string {
  if (value === undefined || value === null) return 'not known';
  if (Math.abs(value) < 1e-9) return 'the same as the baseline';
  const share = pct === undefined || pct === null ? undefined : Math.abs(pct);
  return value > 0 ? `${show(value)} saved${percent(share)}` : `${show(-value)} more${percent(share)}`;
}

const REASONS: Record<string, string> = {
  start: 'the service started',
  slot: 'a new slot began',
  inputs: 'a forecast or a reading changed',
  request: 'it was asked to solve again',
};

export function reasonText(reason: string): string {
  return REASONS[reason] ?? reason;
}

export function objectiveText(objective: 'cost' | 'carbon' | { carbonPricePerKg: number }): string {
  if (objective === 'cost') return 'the least cost';
  if (objective === 'carbon') return 'the least emissions';
  return `the least cost, with carbon at ${objective.carbonPricePerKg} per kg`;
}
