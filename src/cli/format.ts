/**
 * Terminal output: colour and a sparkline of a forecast with the chosen window marked (units and tables
 * come from src/core/format.ts and are re-exported here).
 * Colour only on a TTY and never when NO_COLOR is set (https://no-color.org).
 */
import { visibleLength } from '../core/format.ts';

export * from '../core/format.ts';

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
