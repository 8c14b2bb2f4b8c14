/**
 * Seeded benchmark workloads in the `gridshift simulate` JSON Lines shape.
 *
 *   node bench/workloads.ts --workload nightly|ml|adhoc [--zone DE] [--zones DE,GB,...] [--year 2020]
 *                           [--seed 1] [--count N] [--power-kw 1] [--out bench/out/ml-DE.jsonl]
 *
 * - nightly: one 30-minute job every day of the year, normally at 01:00 UTC, free to move up to 8 hours
 *   either way: submit = earliest = 17:00 the day before, baselineStart = 01:00, deadline = 09:30.
 * - ml: the ML-training scenario of "Let's Wait Awhile" (Wiesner et al., Middleware '21): 3,387 jobs spread
 *   uniformly over the workdays (Mon-Fri, UTC) of the year, starting on the half hour between 09:00 and 16:30,
 *   lasting 4 to 89.5 hours (uniform on a 30-minute grid, as in the study's published generator), half of them
 *   interruptible; each may finish up to 12..72 hours (uniform, 30-minute grid) after it would have without
 *   waiting.
 * - adhoc: 5,000 loads submitted at random times over the year, 15 minutes to 8 hours long (log-uniform, whole
 *   minutes), with 0..24 hours of slack (uniform, whole minutes) and 1-3 candidate zones drawn from a list
 *   (default the seven 2023 zones of the shared data).
 * Every window lies inside the year (UTC), so the year's grid data covers every load: nightly's first job may
 * not start before 1 January 00:00, and ml/adhoc draws that would end after 31 December are drawn again.
 * The same options and seed always give the same file.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../src/core/random.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, toIso } from '../src/core/time.ts';

/** One load as written to the workload file (see the simulate contract). */
export interface WorkloadRecord {
  id: string;
  submit: string;
  earliest: string;
  deadline: string;
  baselineStart: string;
  durationMin: number;
  powerKw: number;
  interruptible: boolean;
  zones: string[];
}

/** The seven zones of the 2023 data set. */
export const ADHOC_ZONES: readonly string[] = [
  'DE',
  'GB',
  'US-CAL-CISO',
  'AU-NSW',
  'US-TEX-ERCO',
  'JP-TK',
  'ZA',
];

/** A small seeded PRNG (mulberry32): fast, 32-bit state, good enough to draw benchmark workloads. */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform integer in [lo, hi] */
  int(lo: number, hi: number): number;
}

export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  // spread nearby seeds apart before use
  const next = mulberry32(Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1));
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

function yearRange(year: number): [number, number] {
  if (!(Number.isInteger(year) && year >= 1970 && year < 10000))
    throw new RangeError(`year must be a whole year such as 2020, got ${year}`);
  return [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1)];
}

function checkZones(zones: readonly string[], what: string): void {
  if (zones.length === 0 || zones.some((z) => typeof z !== 'string' || z.trim() === ''))
    throw new RangeError(`${what} must be a non-empty list of zone codes`);
  if (new Set(zones).size !== zones.length) throw new RangeError(`${what} lists a zone twice`);
}

function checkPositive(value: number, what: string): void {
  if (!(value > 0 && Number.isFinite(value)))
    throw new RangeError(`${what} must be a positive number, got ${value}`);
}

function checkCount(value: number): void {
  if (!(Number.isInteger(value) && value >= 0))
    throw new RangeError(`count must be a whole number, got ${value}`);
}

export interface NightlyOptions {
  year: number;
  /** candidate zones, home zone first (default ['DE']) */
  zones?: string[];
  powerKw?: number;
}

/** A 30-minute job every day at 01:00 UTC that may run anywhere from 17:00 the day before to 09:30. */
export function nightlyWorkload(options: NightlyOptions): WorkloadRecord[] {
  const [from, to] = yearRange(options.year);
  const zones = options.zones ?? ['DE'];
  checkZones(zones, 'zones');
  const powerKw = options.powerKw ?? 1;
  checkPositive(powerKw, 'powerKw');
  const loads: WorkloadRecord[] = [];
  for (let day = from; day < to; day += DAY_MS) {
    const baseline = day + HOUR_MS;
    const earliest = Math.max(from, baseline - 8 * HOUR_MS);
    loads.push({
      id: `nightly-${toIso(day).slice(0, 10)}`,
      submit: toIso(earliest),
      earliest: toIso(earliest),
      deadline: toIso(baseline + 8 * HOUR_MS + 30 * MINUTE_MS),
      baselineStart: toIso(baseline),
      durationMin: 30,
      powerKw,
      interruptible: false,
      zones: [...zones],
    });
  }
  return loads;
}

export interface MlOptions {
  year: number;
  seed: number;
  /** default 3,387 */
  count?: number;
  /** candidate zones, home zone first (default ['DE']) */
  zones?: string[];
  powerKw?: number;
  /** share of interruptible jobs (default 0.5) */
  interruptibleShare?: number;
}

/** ML training jobs submitted on workdays 09:00-17:00 UTC (Let's Wait Awhile's scenario II). */
export function mlWorkload(options: MlOptions): WorkloadRecord[] {
  const [from, to] = yearRange(options.year);
  const count = options.count ?? 3387;
  checkCount(count);
  const zones = options.zones ?? ['DE'];
  checkZones(zones, 'zones');
  const powerKw = options.powerKw ?? 1;
  checkPositive(powerKw, 'powerKw');
  const share = options.interruptibleShare ?? 0.5;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`interruptibleShare must be in 0..1, got ${share}`);
  const rng = createRng(options.seed);
  const workdays: number[] = [];
  for (let day = from; day < to; day += DAY_MS) {
    const wd = new Date(day).getUTCDay();
    if (wd >= 1 && wd <= 5) workdays.push(day);
  }
  const drawn: { start: number; durationMin: number; slackMin: number }[] = [];
  while (drawn.length < count) {
    const day = workdays[rng.int(0, workdays.length - 1)];
    const start = day + 9 * HOUR_MS + rng.int(0, 15) * 30 * MINUTE_MS; // 09:00 .. 16:30
    const durationMin = rng.int(8, 179) * 30; // 4 h .. 89.5 h
    const slackMin = rng.int(24, 144) * 30; // 12 h .. 72 h
    if (start + (durationMin + slackMin) * MINUTE_MS > to) continue; // would end after the year: draw again
    drawn.push({ start, durationMin, slackMin });
  }
  drawn.sort((a, b) => a.start - b.start);
  const interruptible = pickShare(rng, count, Math.round(count * share));
  return drawn.map((d, i) => ({
    id: `ml-${i + 1}`,
    submit: toIso(d.start),
    earliest: toIso(d.start),
    deadline: toIso(d.start + (d.durationMin + d.slackMin) * MINUTE_MS),
    baselineStart: toIso(d.start),
    durationMin: d.durationMin,
    powerKw,
    interruptible: interruptible[i],
    zones: [...zones],
  }));
}

/** Exactly `k` of `n` flags set, at random places (partial Fisher-Yates). */
function pickShare(rng: Rng, n: number, k: number): boolean[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const flags = new Array<boolean>(n).fill(false);
  for (let i = 0; i < k; i++) {
    const j = rng.int(i, n - 1);
    [order[i], order[j]] = [order[j], order[i]];
    flags[order[i]] = true;
  }
  return flags;
}

export interface AdhocOptions {
  year: number;
  seed: number;
  /** default 5,000 */
  count?: number;
  /** zones to draw 1-3 candidates from (default ADHOC_ZONES) */
  zones?: readonly string[];
  powerKw?: number;
  /** share of interruptible loads (default 0) */
  interruptibleShare?: number;
}

/** Loads at random times of the year with random length, slack and candidate zones. */
export function adhocWorkload(options: AdhocOptions): WorkloadRecord[] {
  const [from, to] = yearRange(options.year);
  const count = options.count ?? 5000;
  checkCount(count);
  const pool = options.zones ?? ADHOC_ZONES;
  checkZones(pool, 'zones');
  const powerKw = options.powerKw ?? 1;
  checkPositive(powerKw, 'powerKw');
  const share = options.interruptibleShare ?? 0;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`interruptibleShare must be in 0..1, got ${share}`);
  const rng = createRng(options.seed);
  const yearMin = (to - from) / MINUTE_MS;
  const drawn: { start: number; durationMin: number; slackMin: number; zones: string[] }[] = [];
  while (drawn.length < count) {
    const durationMin = Math.round(15 * 32 ** rng.next()); // log-uniform 15 min .. 8 h
    const slackMin = rng.int(0, 24 * 60);
    const start = from + rng.int(0, yearMin - 1) * MINUTE_MS;
    if (start + (durationMin + slackMin) * MINUTE_MS > to) continue; // would end after the year: draw again
    const k = Math.min(pool.length, rng.int(1, 3));
    const zones = [...pool];
    for (let i = 0; i < k; i++) {
      const j = rng.int(i, zones.length - 1);
      [zones[i], zones[j]] = [zones[j], zones[i]];
    }
    drawn.push({ start, durationMin, slackMin, zones: zones.slice(0, k) });
  }
  drawn.sort((a, b) => a.start - b.start);
  const interruptible = pickShare(rng, count, Math.round(count * share));
  return drawn.map((d, i) => ({
    id: `adhoc-${i + 1}`,
    submit: toIso(d.start),
    earliest: toIso(d.start),
    deadline: toIso(d.start + (d.durationMin + d.slackMin) * MINUTE_MS),
    baselineStart: toIso(d.start),
    durationMin: d.durationMin,
    powerKw,
    interruptible: interruptible[i],
    zones: d.zones,
  }));
}

export function toJsonLines(loads: readonly WorkloadRecord[]): string {
  return loads.map((l) => JSON.stringify(l)).join('\n') + (loads.length > 0 ? '\n' : '');
}

export const WORKLOADS = ['nightly', 'ml', 'adhoc'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Builds the workload the command-line arguments ask for. Throws a RangeError naming a bad argument. */
export function workloadFromArgs(argv: string[]): {
  name: WorkloadName;
  loads: WorkloadRecord[];
  out?: string;
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      workload: { type: 'string' },
      zone: { type: 'string' },
      zones: { type: 'string' },
      year: { type: 'string' },
      seed: { type: 'string', default: '1' },
      count: { type: 'string' },
      'power-kw': { type: 'string' },
      'interruptible-share': { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const name = values.workload as WorkloadName;
  if (!WORKLOADS.includes(name))
    throw new RangeError(
      `--workload must be one of ${WORKLOADS.join(', ')}, got ${values.workload ?? 'nothing'}`,
    );
  const num = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v))
      throw new RangeError(`--${flag} must be a number, got "${text}"`);
    return v;
  };
  const list = values.zones?.split(',').map((z) => z.trim());
  const zones = list ?? (values.zone ? [values.zone] : undefined);
  const year = num('year', values.year) ?? (name === 'adhoc' ? 2023 : 2020);
  const seed = num('seed', values.seed) ?? 1;
  const common = {
    year,
    seed,
    count: num('count', values.count),
    powerKw: num('power-kw', values['power-kw']),
    interruptibleShare: num('interruptible-share', values['interruptible-share']),
  };
  const loads =
    name === 'nightly'
      ? nightlyWorkload({ year, zones, powerKw: common.powerKw })
      : name === 'ml'
        ? mlWorkload({ ...common, zones })
        : adhocWorkload({ ...common, zones });
  return { name, loads, out: values.out };
}

function main(): void {
  let result: ReturnType<typeof workloadFromArgs>;
  try {
    result = workloadFromArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`workloads: ${(err as Error).message}`);
    process.exit(2);
  }
  const text = toJsonLines(result.loads);
  if (result.out) {
    mkdirSync(dirname(result.out), { recursive: true });
    writeFileSync(result.out, text);
    console.error(`wrote ${result.loads.length} ${result.name} loads to ${result.out}`);
  } else {
    process.stdout.write(text);
  }
}

if (import.meta.main) main();
