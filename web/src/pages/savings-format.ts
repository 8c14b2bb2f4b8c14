import { formatCurrency, formatMass, formatNumber, formatPct } from '../../../src/core/format.ts';

/** The report's numbers for people, with the rounding the CLI's report uses; '–' for what is not known. */

const known = (x: number | null | undefined): x is number => x !== null && x !== undefined;

export const plain = (x: number | null | undefined) => (known(x) ? formatNumber(x) : '–');
export const kg = (g: number | null | undefined) => (known(g) ? formatNumber(g / 1000) : '–');
export const mass = (g: number | null | undefined) => (known(g) ? formatMass(g) : '–');
export const pct = (x: number | null | undefined) => (known(x) ? formatPct(x) : '–');
export const money = (x: number | null | undefined, currency: string | null) =>
  known(x) ? formatCurrency(x, currency ?? undefined) : '–';
