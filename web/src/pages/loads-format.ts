import type { Load, LoadAccounting } from '../../../src/client/index.ts';
import { timeIn } from '../format.ts';

/** The Loads page's numbers and times for people. */

/** Grams of CO2eq, in g, kg or t by size: `412 g`, `3.25 kg`, `1.2 t`. */
export function mass(grams: number | null | undefined): string {
  if (grams === null || grams === undefined || !Number.isFinite(grams)) return '–';
  const abs = Math.abs(grams);
  if (abs < 1000) return `${Math.round(grams)} g`;
  if (abs < 1e6) return `${(grams / 1000).toLocaleString('en', { maximumFractionDigits: 2 })} kg`;
  return `${(grams / 1e6).toLocaleString('en', { maximumFractionDigits: 2 })} t`;
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${value.toLocaleString('en', { maximumFractionDigits: 1 })} %`;
}

export function money(value: number | null | undefined, currency: string | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${value.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 4 })} ${currency ?? ''}`.trim();
}

/** `Fri 4 Dec 02:00–03:00`, several runs joined by commas. */
export function runsText(runs: { start: string; end: string }[], timeZone: string): string {
  if (runs.length === 0) return 'no run';
  return runs.map((r) => `${timeIn(r.start, timeZone, true)}–${timeIn(r.end, timeZone)}`).join(', ');
}

/** The zone a load runs (or ran) in: its plan's, else its first candidate. */
export function loadZone(load: Load): string {
  return load.plan?.zone ?? load.zones[0] ?? load.cloudRegion ?? '–';
}

/** Expected savings against running at once, from the stored plan; null when either side is unknown. */
export function expectedSavingsG(load: Load): number | null {
  const p = load.plan;
  if (!p || p.baselineEmissionsG === null || p.expectedEmissionsG === null) return null;
  return p.baselineEmissionsG - p.expectedEmissionsG;
}

/** What a load saved: measured once it ran (the accounting), else what its plan expects. */
export function savingsText(load: Load, accounting: LoadAccounting | null | undefined): string {
  if (accounting) return mass(accounting.savingsG);
  const expected = expectedSavingsG(load);
  return expected === null ? '–' : `${mass(expected)} expected`;
}

/** The states in which each action is allowed (the API answers 409 otherwise). */
export const CAN = {
  runNow: (load: Load) => ['planned', 'waiting', 'failed'].includes(load.state),
  cancel: (load: Load) => !['succeeded', 'dead', 'cancelled'].includes(load.state),
  retry: (load: Load) => load.state === 'dead',
};
