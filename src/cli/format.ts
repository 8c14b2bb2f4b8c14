/**
 * Terminal output: units, aligned tables, a sparkline of a forecast with the chosen window marked.
 * Colour only on a TTY and never when NO_COLOR is set (https://no-color.org).
 */
import { zonedParts } from '../core/time.ts';

// ---------------------------------------------------------------- colour

export function shouldUseColor(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const SGR = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] };
export type Paint = (text: string) => string;
export type Palette = Record<keyof typeof SGR, Paint>;

/** Colour functions; identity functions when `enabled` is false. */
export function palette(enabled: boolean): Palette {
  const out = {} as Palette;
  for (const [name, [on, off]] of Object.entries(SGR)) {
    out[name as keyof typeof SGR] = enabled ? (t) => `\x1b[${on}m${t}\x1b[${off}m` : (t) => t;
  }
  return out;
}

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
  const small = Math.abs(amount) < 0.1 && amount !== 0;
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

// ---------------------------------------------------------------- sparkline

const BARS = '▁▂▃▄▅▆▇█';

export interface SparklineOptions {
  /** slots to mark (the chosen window), same indexing as `values` */
  marked?: ArrayLike<boolean>;
  /** most characters; longer series are averaged in buckets of whole slots. Default 96 */
  width?: number;
  /** colour the marked bars (the marker line is printed either way) */
  color?: boolean;
}

export interface Sparkline {
  /** the bars; NaN buckets are blank */
  bars: string;
  /** `^` under each bucket that holds a marked slot, spaces elsewhere (trailing spaces trimmed) */
  marks: string;
  /** slots per character */
  slotsPerChar: number;
}

/**
 * A one-line chart of `values` scaled between their minimum and maximum (▁ = lowest, █ = highest),
 * with a second line of `^` under the marked slots.
 */
export function sparkline(values: ArrayLike<number>, options: SparklineOptions = {}): Sparkline {
  const width = Math.max(1, options.width ?? 96);
  const n = values.length;
  const per = Math.max(1, Math.ceil(n / width));
  const buckets: number[] = [];
  const flags: boolean[] = [];
  for (let i = 0; i < n; i += per) {
    let sum = 0;
    let count = 0;
    let mark = false;
    for (let j = i; j < Math.min(n, i + per); j++) {
      if (Number.isFinite(values[j])) {
        sum += values[j];
        count++;
      }
      if (options.marked?.[j]) mark = true;
    }
    buckets.push(count > 0 ? sum / count : Number.NaN);
    flags.push(mark);
  }
  const finite = buckets.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const green = palette(options.color === true).green;
  let bars = '';
  for (let b = 0; b < buckets.length; b++) {
    const v = buckets[b];
    let ch = ' ';
    if (Number.isFinite(v)) {
      const level = hi > lo ? Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1)) : 3;
      ch = BARS[level];
    }
    bars += flags[b] ? green(ch) : ch;
  }
  const marks = flags
    .map((f) => (f ? '^' : ' '))
    .join('')
    .trimEnd();
  return { bars, marks, slotsPerChar: per };
}

/** A line `width` wide with `left` at the start and `right` flush at the end (or just `left` if no room). */
export function spreadLine(left: string, right: string, width: number): string {
  const gap = width - visibleLength(left) - visibleLength(right);
  return gap >= 1 ? left + ' '.repeat(gap) + right : left;
}
