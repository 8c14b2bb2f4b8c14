/**
 * The API fuzz suite (test/api/fuzz.test.ts) at length: random and hostile requests at every route of
 * /openapi.json on a live server, on each store, checking that none gets a 5xx, that a refused one changes
 * nothing stored, and that the heap stays bounded.
 *
 *   npm run fuzz -- --runs 5000 --seed 7 --store embedded
 *
 * `--runs` (FUZZ_RUNS, default 2000), `--seed` (FUZZ_SEED, default the time), `--store embedded|postgres|both`
 * (FUZZ_STORE, default both; PostgreSQL from GRIDSHIFT_TEST_DATABASE_URL or 127.0.0.1:5432/test, where it makes
 * a database of its own and drops it after). Prints a table per store and writes bench/out/fuzz.json; exits 1
 * with the smallest failing request when a check fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type FuzzReport, fuzz, type StoreKind, startFuzzTarget } from '../test/api/fuzz-harness.ts';

function option(name: string, env: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : process.env[env];
}

function whole(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${what}: expected a whole number, got "${text}"`);
    process.exit(2);
  }
  return n;
}

const runs = whole(option('runs', 'FUZZ_RUNS'), 2000, 'runs');
const seed = whole(option('seed', 'FUZZ_SEED'), Date.now() % 2 ** 31, 'seed');
const storeChoice = option('store', 'FUZZ_STORE') ?? 'both';
const stores: StoreKind[] = storeChoice === 'both' ? ['embedded', 'postgres'] : [storeChoice as StoreKind];
if (!stores.every((s) => s === 'embedded' || s === 'postgres')) {
  console.error(`--store: expected embedded, postgres or both, got "${storeChoice}"`);
  process.exit(2);
}

const results: Record<string, FuzzReport & { seconds: number }> = {};
let failed = false;
console.log(`Fuzzing the API: ${runs} requests per store, seed ${seed}\n`);
for (const kind of stores) {
  const target = await startFuzzTarget(kind);
  const startedMs = Date.now();
  try {
    const report = await fuzz(target, { seed, numRuns: runs, heapBoundMb: 1024 });
    results[kind] = { ...report, seconds: (Date.now() - startedMs) / 1000 };
  } catch (err) {
    failed = true;
    const cause = (err as Error).cause as Error | undefined;
    console.error(`${kind}: ${(err as Error).message}\n${cause?.message ?? ''}\n`);
  } finally {
    await target.close();
  }
}

console.log('| store | requests | seconds | 2xx | 4xx | 5xx | heap growth (MB) | peak heap (MB) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [kind, r] of Object.entries(results)) {
  const count = (lo: number) =>
    Object.entries(r.byStatus)
      .filter(([s]) => Number(s) >= lo && Number(s) < lo + 100)
      .reduce((n, [, c]) => n + c, 0);
  console.log(
    `| ${kind} | ${r.requests} | ${r.seconds.toFixed(0)} | ${count(200)} | ${count(400)} | ${count(500)} | ` +
      `${r.heapGrowthMb.toFixed(0)} | ${r.peakHeapMb.toFixed(0)} |`,
  );
}
const out = fileURLToPath(new URL('out/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}fuzz.json`, `${JSON.stringify({ runs, seed, results }, null, 2)}\n`);
process.exit(failed ? 1 : 0);
