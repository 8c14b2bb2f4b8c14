import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../src/store/tokens.ts';
import { skipPostgres } from '../store/backends.ts';
import { type FuzzTarget, fuzz, type StoreKind, startFuzzTarget, storedSnapshot } from './fuzz-harness.ts';

/**
 * Random and hostile requests at every route of /openapi.json on a live server, on each store: wrong types,
 * huge and tiny numbers, far dates, NUL and lone surrogates, deep nesting, long strings, duplicate keys and
 * other content types. None may get a 5xx, a refused one may not change what is stored, the heap stays
 * bounded and the server still answers. A fixed seed and a bounded count here; `npm run fuzz` runs longer.
 */

const SEED = 20_261_203;
const RUNS = 400;

describe.each([
  ['embedded PGlite', 'embedded', false],
  ['PostgreSQL', 'postgres', skipPostgres],
] as [string, StoreKind, boolean][])('fuzzing the API on %s', (_name, kind, skip) => {
  let target: FuzzTarget;
  beforeAll(async () => {
    if (!skip) target = await startFuzzTarget(kind);
  }, 120_000);
  afterAll(async () => {
    await target?.close();
  });

  it.skipIf(skip)('sees any change to what is stored, and none when nothing was stored', async () => {
    const before = await storedSnapshot(target.store);
    expect(await storedSnapshot(target.store)).toEqual(before);
    const { token } = await createToken(target.store, { name: 'probe', scopes: ['read'] });
    const added = await storedSnapshot(target.store);
    expect(added).not.toEqual(before);
    await revokeToken(target.store, token.id);
    expect(await storedSnapshot(target.store)).not.toEqual(added);
  });

  it.skipIf(skip)(
    'answers every request below 500, changes nothing it refuses, and keeps its heap bounded',
    async () => {
      const report = await fuzz(target, { seed: SEED, numRuns: RUNS, heapBoundMb: 512 });
      expect(report.requests).toBe(RUNS);
      // the requests reached the handlers, not only the first check
      const ok = Object.entries(report.byStatus)
        .filter(([status]) => Number(status) < 300)
        .reduce((n, [, count]) => n + count, 0);
      expect(ok).toBeGreaterThan(RUNS / 10);
    },
    180_000,
  );
});
