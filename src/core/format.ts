/**
 * Plain-text formatting of quantities, local times and aligned tables, shared by the CLI, explanations and
 * reports. No colour here: src/cli/format.ts adds that for terminals.
 */
import { zonedParts } from './time.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

/** Length of `text` as shown on a terminal (ANSI escapes do not count). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

// ---------------------------------------------------------------- numbers and units

/**
 * The one display rounding rule: `x` rounded to `decimals` places, and a result of zero is 0, never -0.
 * Rounding is symmetric (half away from zero), so -x shows as the mirror of x. Stored values are never
 * rounded: this is for text and metrics only.
 */
export function roundForDisplay(x: number, decimals: number): number {
  const r = Number(x.toFixed(decimals));
  return r === 0 ? 0 : r;
}

/** A number with about three significant digits, trailing zeros dropped: 1234 -> "1,234", 1.50 -> "1.5". */
export function formatNumber(x: number, maxDecimals?: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  const decimals = maxDecimals ?? (a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 3 : 4);
  return roundForDisplay(x, decimals).toLocaleString('en-US', {
    maximumFractionDigits: decimals,
    minimumFractionDigits: 0,
  });
}

/** Grams of CO2eq in g, kg or t. */
export function formatMass(g: number): string {
  if (!Number.isFinite(g)) return '-';
  const a = Math.abs(g);
  if (a >= 1e6) return `${formatNumber(g / 1e6)} t`;
  if (a >= 1e3) return `${formatNumber(g / 1e3)} kg`;
  return `${formatNumber(g)} g`;
}

/** kWh in Wh, kWh or MWh. */
export function formatEnergy(kwh: number): string {
  if (!Number.isFinite(kwh)) return '-';
  const a = Math.abs(kwh);
  if (a >= 1000) return `${formatNumber(kwh / 1000)} MWh`;
  if (a < 1 && a > 0) return `${formatNumber(kwh * 1000)} Wh`;
  return `${formatNumber(kwh)} kWh`;
}

/** kW in W, kW or MW. */
export function formatPower(kw: number): string {
  if (!Number.isFinite(kw)) return '-';
  const a = Math.abs(kw);
  if (a >= 1000) return `${formatNumber(kw / 1000)} MW`;
  if (a < 1 && a > 0) return `${formatNumber(kw * 1000)} W`;
  return `${formatNumber(kw)} kW`;
}

export function formatIntensity(gPerKwh: number): string {
  return Number.isFinite(gPerKwh) ? `${formatNumber(gPerKwh, 0)} g/kWh` : '-';
}

/** Money is shown to at most four decimals ("£0.0456"); anything smaller is 0. */
const MONEY_DECIMALS = 4;

/** An amount of money: "€1.23", "£0.0456", "SEK 12.30"; the code itself when Intl does not know it. */
export function formatCurrency(amount: number, currency: string | undefined): string {
  if (!Number.isFinite(amount)) return '-';
  const shown = roundForDisplay(amount, MONEY_DECIMALS);
  // small is judged after rounding to 3 significant digits: 0.0999999 is shown as 0.10, like 0.1
  const small = shown !== 0 && Math.abs(Number(shown.toPrecision(3))) < 0.1;
  const digits = small
    ? { maximumSignificantDigits: 3 }
    : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  if (!currency) return formatNumber(shown, small ? MONEY_DECIMALS : 2);
  try {
    return shown.toLocaleString('en-US', { style: 'currency', currency, ...digits });
  } catch {
    return `${formatNumber(shown, small ? MONEY_DECIMALS : 2)} ${currency}`;
  }
}

/** A price per kWh with fixed decimals, so columns line up: "0.1230 EUR/kWh", "12.50 SEK/kWh". */
export function formatPrice(perKwh: number, currency: string | undefined): string {
  if (!Number.isFinite(perKwh)) return '-';
  const decimals = Math.abs(perKwh) < 10 ? 4 : 2;
  return `${roundForDisplay(perKwh, decimals).toFixed(decimals)} ${currency ? `${currency}/kWh` : 'per kWh'}`;
}

export function formatPct(pct: number): string {
  return Number.isFinite(pct) ? `${formatNumber(pct, 1)}%` : '-';
}

/**
 * A duration given in minutes, to the precision that matters at its size: "9ms" below a second, "1.9s"
 * below ten seconds, "45s" and "1m 30s" below an hour, "2h 30m" and "1d 2h" from an hour on. Zero is "0s".
 */
export function formatDuration(minutes: number): string {
  if (!Number.isFinite(minutes)) return '-';
  const a = Math.abs(minutes);
  const text = durationText(a);
  return minutes < 0 && text !== '0s' ? `-${text}` : text;
}

function durationText(minutes: number): string {
  const ms = Math.round(minutes * 60_000);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const tenths = Math.round(minutes * 600);
  if (tenths < 100) return `${tenths / 10}s`;
  const seconds = Math.round(minutes * 60);
  if (seconds < 3600) return unitParts([Math.floor(seconds / 60), 'm'], [seconds % 60, 's']);
  const m = Math.round(minutes);
  return unitParts([Math.floor(m / 1440), 'd'], [Math.floor((m % 1440) / 60), 'h'], [m % 60, 'm']);
}

/** "1d 2h": the non-zero amounts with their units. */
function unitParts(...parts: [number, string][]): string {
  return parts
    .filter(([n]) => n !== 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Local clock time in `timeZone`: "Wed 2024-03-27 14:30", or "Wed 14:30" with `short`, or "14:30" with
 * `clockOnly`.
 */
export function formatLocalTime(
  ms: number,
  timeZone: string,
  options: { clockOnly?: boolean; short?: boolean } = {},
): string {
  const p = zonedParts(ms, timeZone);
  const clock = `${pad2(p.hour)}:${pad2(p.minute)}`;
  if (options.clockOnly) return clock;
  if (options.short) return `${WEEKDAY[p.weekday]} ${clock}`;
  return `${WEEKDAY[p.weekday]} ${p.year}-${pad2(p.month)}-${pad2(p.day)} ${clock}`;
}

// ---------------------------------------------------------------- tables

export type Align = 'left' | 'right';

/**
 * Rows as columns aligned on visible width, two spaces apart; a header gets a rule under it.
 * Columns default to left alignment; pass `align` per column (numbers read best right-aligned).
 */
export function formatTable(
  rows: readonly (readonly string[])[],
  options: { header?: string[]; align?: Align[] } = {},
): string {
  const all = options.header ? [options.header, ...rows] : [...rows];
  const cols = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) =>
    Math.max(0, ...all.map((r) => visibleLength(r[c] ?? ''))),
  );
  const line = (r: readonly string[]) =>
    widths
      .map((w, c) => {
        const cell = r[c] ?? '';
        const padding = ' '.repeat(w - visibleLength(cell));
        return options.align?.[c] === 'right' ? padding + cell : cell + padding;
      })
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  if (options.header) {
    out.push(line(options.header));
    out.push(widths.map((w) => '─'.repeat(w)).join('  '));
  }
  for (const r of rows) out.push(line(r));
  return out.join('\n');
}
