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

/** A number with about three significant digits, trailing zeros dropped: 1234 -> "1,234", 1.50 -> "1.5". */
export function formatNumber(x: number, maxDecimals?: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  const decimals = maxDecimals ?? (a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 3 : a === 0 ? 0 : 4);
  return x.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
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

/** An amount of money: "€1.23", "£0.0456", "SEK 12.30"; the code itself when Intl does not know it. */
export function formatCurrency(amount: number, currency: string | undefined): string {
  if (!Number.isFinite(amount)) return '-';
  // small is judged after rounding to 3 significant digits: 0.0999999 is shown as 0.10, like 0.1
  const small = amount !== 0 && Math.abs(Number(amount.toPrecision(3))) < 0.1;
  const digits = small
    ? { maximumSignificantDigits: 3 }
    : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  if (!currency) return formatNumber(amount, small ? 4 : 2);
  try {
    return amount.toLocaleString('en-US', { style: 'currency', currency, ...digits });
  } catch {
    return `${formatNumber(amount, small ? 4 : 2)} ${currency}`;
  }
}

/** A price per kWh with fixed decimals, so columns line up: "0.1230 EUR/kWh", "12.50 SEK/kWh". */
export function formatPrice(perKwh: number, currency: string | undefined): string {
  if (!Number.isFinite(perKwh)) return '-';
  const decimals = Math.abs(perKwh) < 10 ? 4 : 2;
  return `${perKwh.toFixed(decimals)} ${currency ? `${currency}/kWh` : 'per kWh'}`;
}

export function formatPct(pct: number): string {
  return Number.isFinite(pct) ? `${formatNumber(pct, 1)}%` : '-';
}

/** Minutes as "45m", "2h", "2h 30m", "1d 2h". */
export function formatDuration(minutes: number): string {
  if (!Number.isFinite(minutes)) return '-';
  const sign = minutes < 0 ? '-' : '';
  let m = Math.round(Math.abs(minutes));
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m || parts.length === 0) parts.push(`${m}m`);
  return sign + parts.join(' ');
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
