/**
 * Planner throughput over a week of 5-minute slots (2016 per zone) with random load windows, against a naive
 * scan that recomputes every window sum from scratch (and a full sort for interruptible loads).
 * Run: node_modules/.bin/node bench/planner.ts   (Node 24; writes bench/out/planner.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadSpec, ZoneSignals } from '../src/core/load.ts';
import { mulberry32 } from '../src/core/random.ts';
import { planLoad, planMany } from '../src/planner/plan.ts';
import { bestContiguous, bestInterruptible, cheapestSlots, prefixSums } from '../src/planner/windows.ts';

const STEP_MIN = 5;
const SLOTS = 7 * 24 * 12; // one week
const T0 = Date.parse('2024-03-04T00:00:00Z');
const STEP_MS = STEP_MIN * 60_000;

/** A carbon-like daily shape plus noise, and a price loosely following it. */
function zoneSignals(code: string, seed: number): ZoneSignals {
  const r = mulberry32(seed);
  const carbon = new Float64Array(SLOTS);
  const price = new Float64Array(SLOTS);
  for (let i = 0; i < SLOTS; i++) {
    const h = (i * STEP_MIN) / 60;
    const day = Math.sin((2 * Math.PI * (h - 6)) / 24);
    carbon[i] = 300 + 120 * day + 40 * (r() - 0.5) + 60 * Math.sin((2 * Math.PI * h) / 83);
    price[i] = 0.12 + 0.08 * day + 0.03 * (r() - 0.5);
  }
  return {
    zone: code,
    carbon: { startMs: T0, stepMin: STEP_MIN, values: carbon },
    price: { startMs: T0, stepMin: STEP_MIN, values: price },
    currency: 'EUR',
    carbonSource: 'synthetic',
    priceSource: 'synthetic',
  };
}

interface Window {
  from: number;
  to: number;
  k: number;
}

/** Random windows: `minSpan` to `maxSpan` slots of allowed time, a run of 1 slot up to `maxK` (within the window). */
function randomWindows(n: number, seed: number, minSpan: number, maxSpan: number, maxK: number): Window[] {
  const r = mulberry32(seed);
  const out: Window[] = [];
  for (let i = 0; i < n; i++) {
    const span = minSpan + Math.floor(r() * (maxSpan - minSpan + 1));
    const from = Math.floor(r() * (SLOTS - span + 1));
    const k = 1 + Math.floor(r() * Math.min(span, maxK));
    out.push({ from, to: from + span, k });
  }
  return out;
}

function toLoads(
  ws: Window[],
  zones: string[],
  interruptible: boolean,
  pieces?: { minPieceMin: number; maxPieces: number },
): LoadSpec[] {
  return ws.map((w, i) => ({
    id: `l${i}`,
    durationMin: w.k * STEP_MIN,
    powerKw: 1,
    earliestMs: T0 + w.from * STEP_MS,
    deadlineMs: T0 + w.to * STEP_MS,
    zones,
    interruptible,
    ...(pieces ?? {}),
  }));
}

function naiveContiguous(values: Float64Array, w: Window): number {
  let best = -1;
  let bestTotal = Number.POSITIVE_INFINITY;
  for (let s = w.from; s + w.k <= w.to; s++) {
    let t = 0;
    for (let i = s; i < s + w.k; i++) t += values[i];
    if (t < bestTotal) {
      bestTotal = t;
      best = s;
    }
  }
  return best;
}

function naiveCheapest(values: Float64Array, w: Window): number[] {
  const idx: number[] = [];
  for (let i = w.from; i < w.to; i++) if (Number.isFinite(values[i])) idx.push(i);
  idx.sort((a, b) => values[a] - values[b] || a - b);
  return idx.slice(0, w.k).sort((a, b) => a - b);
}

/** Best of `repeats` timed runs (after one warm-up), in ms. */
function time(fn: () => unknown, repeats = 5): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

interface Row {
  case: string;
  loads: number;
  ms: number;
  loadsPerSec: number;
  vsNaive?: number;
}

const rows: Row[] = [];
function record(name: string, loads: number, ms: number, naiveMs?: number): Row {
  const row: Row = { case: name, loads, ms: round(ms, 1), loadsPerSec: Math.round((loads / ms) * 1000) };
  if (naiveMs !== undefined) row.vsNaive = round(naiveMs / ms, 1);
  rows.push(row);
  return row;
}
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

const A = zoneSignals('A', 1);
const B = zoneSignals('B', 2);
const carbon = A.carbon.values;
const prefix = prefixSums(carbon);
let sink = 0;

/** Kernels and whole plans on one set of windows; `x naive` is measured against the naive scans of this run. */
function scenario(label: string, ws: Window[]): void {
  const naive = time(() => {
    for (const w of ws) sink += naiveContiguous(carbon, w);
  });
  record(`${label}: naive contiguous scan (window sums from scratch)`, ws.length, naive);
  record(
    `${label}: bestContiguous (prefix sums)`,
    ws.length,
    time(() => {
      for (const w of ws) sink += bestContiguous(prefix, w.from, w.to, w.k)?.start ?? 0;
    }),
    naive,
  );
  const contiguous = toLoads(ws, ['A'], false);
  record(
    `${label}: planMany contiguous, whole plans, no alternatives`,
    ws.length,
    time(() => planMany(contiguous, [A], { alternatives: 0 })),
    naive,
  );
  record(
    `${label}: planMany contiguous, whole plans, 3 alternatives`,
    ws.length,
    time(() => planMany(contiguous, [A])),
    naive,
  );
  const naiveSort = time(() => {
    for (const w of ws) sink += naiveCheapest(carbon, w).length;
  });
  record(`${label}: naive interruptible (full sort)`, ws.length, naiveSort);
  record(
    `${label}: cheapestSlots (quickselect)`,
    ws.length,
    time(() => {
      for (const w of ws) sink += cheapestSlots(carbon, w.from, w.to, w.k)?.length ?? 0;
    }),
    naiveSort,
  );
  const interruptible = toLoads(ws, ['A'], true);
  record(
    `${label}: planMany interruptible, whole plans, 3 alternatives`,
    ws.length,
    time(() => planMany(interruptible, [A])),
    naiveSort,
  );
}

// windows of 1 to 24 hours, runs up to 8 hours
const dayWindows = randomWindows(20_000, 11, 12, 288, 96);
scenario('day windows', dayWindows);
// the whole week allowed, runs up to 24 hours: where rescanning every window from scratch hurts
scenario('week windows', randomWindows(2_000, 12, SLOTS - 288, SLOTS, 288));

{
  const dp = dayWindows.slice(0, 2_000);
  record(
    'day windows: bestInterruptible, pieces >= 30 min, <= 3 pieces (exact DP)',
    dp.length,
    time(() => {
      for (const w of dp)
        sink += bestInterruptible(carbon, w.from, w.to, w.k, { minPieceSlots: 6, maxPieces: 3 })?.total ?? 0;
    }, 1),
  );
  const single = toLoads(dayWindows.slice(0, 5_000), ['A'], false);
  record(
    'day windows: planLoad per call (validation and prefix sums per call)',
    single.length,
    time(() => single.map((l) => planLoad(l, [A]))),
  );
  const twoZones = toLoads(dayWindows, ['A', 'B'], false);
  record(
    'day windows: planMany contiguous, 2 zones',
    twoZones.length,
    time(() => planMany(twoZones, [A, B])),
  );
  const balanced = twoZones.map((l) => ({
    ...l,
    objective: { kind: 'weighted' as const, carbonWeight: 0.3, costWeight: 0.7 },
  }));
  record(
    'day windows: planMany contiguous, 2 zones, balanced',
    balanced.length,
    time(() => planMany(balanced, [A, B])),
  );
}

// the batch: 100,000 loads (4 in 5 contiguous), one zone, a week of 5-minute slots
const batch = randomWindows(100_000, 13, 12, 288, 96).map((w, i) => toLoads([w], ['A'], i % 5 === 0)[0]);
const batchMs = time(() => planMany(batch, [A]), 2);
const batchNoAltMs = time(() => planMany(batch, [A], { alternatives: 0 }), 2);
record('batch: 100,000 loads, planMany, 3 alternatives', batch.length, batchMs);
record('batch: 100,000 loads, planMany, no alternatives', batch.length, batchNoAltMs);

const lines = [
  `Planner benchmark: ${SLOTS} slots of ${STEP_MIN} min (one week); Node ${process.version}; ${cpus()[0]?.model ?? 'unknown CPU'}`,
  '',
  '| case | loads | ms | loads/s | x naive |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.case} | ${r.loads} | ${r.ms} | ${r.loadsPerSec} | ${r.vsNaive ?? ''} |`),
];
console.log(lines.join('\n'));

const outDir = join(dirname(fileURLToPath(import.meta.url)), 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'planner.json'),
  `${JSON.stringify(
    {
      bench: 'planner',
      slots: SLOTS,
      stepMin: STEP_MIN,
      node: process.version,
      cpu: cpus()[0]?.model ?? null,
      batch100kMs: round(batchMs, 1),
      batch100kNoAlternativesMs: round(batchNoAltMs, 1),
      rows,
    },
    null,
    2,
  )}\n`,
);
if (sink === 42) console.log('');
