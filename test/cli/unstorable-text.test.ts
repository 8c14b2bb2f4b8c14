import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/db.ts';
import { embeddedBackend } from '../api/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { okJson as json, runIn } from './service-helpers.ts';

/**
 * The CLI on the store directly (no server) refuses text the store cannot hold (a NUL character, a lone
 * surrogate) with exit 2 naming the flag, before anything is written: the rule the API applies per field.
 */

const NOW = Date.parse('2024-03-27T06:00:00Z');
let backend: TestBackend;
let dataDir: string;

beforeAll(async () => {
  backend = embeddedBackend();
  const store = await backend.open();
  dataDir = (store as Store & { dataDir: string }).dataDir;
  await store.close();
});
afterAll(async () => {
  await backend?.cleanup();
});

const gs = (args: string[]) => runIn(args, { env: { GRIDSHIFT_DATA_DIR: dataDir }, nowMs: NOW });
const load = ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--deadline', '+12h'];

describe('text the store cannot hold, given to the CLI', () => {
  it.each([
    ['--name', ['submit', '--name', 'a\u0000b', ...load, '--no-dispatch'], /NUL/],
    ['--name', ['submit', '--name', 'x\ud800', ...load, '--no-dispatch'], /lone surrogate/],
    ['--tag', ['submit', '--name', 'ok', ...load, '--no-dispatch', '--tag', 'ok', '--tag', 'a\u0000'], /NUL/],
    ['--command', ['submit', '--name', 'ok', ...load, '--command', 'echo \u0000'], /NUL/],
    ['--env', ['submit', '--name', 'ok', ...load, '--command', 'env', '--env', 'A\u0000=1'], /NUL/],
    ['--name', ['plan', '--name', '\udc00', ...load], /lone surrogate/],
    ['--tag', ['loads', 'list', '--tag', 'a\u0000b'], /NUL/],
    ['--reason', ['pause', '--reason', 'maintenance \u0000'], /NUL/],
    ['<id>', ['loads', 'cancel', 'a\u0000b'], /NUL/],
    ['--name', ['token', 'create', '--name', 'ci\u0000', '--scope', 'read'], /NUL/],
  ])('is refused with exit 2 naming %s', async (flag, args, problem) => {
    const r = await gs(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${flag}: `);
    expect(r.stderr).toMatch(problem);
  });

  it('stores nothing, and the same text without the bad character is accepted', async () => {
    expect(json(await gs(['loads', 'list', '--json'])).loads).toEqual([]);
    expect(json(await gs(['status', '--json'])).paused).toBe(false);
    const ok = await gs(['submit', '--name', 'backup \ud83d\ude00', ...load, '--no-dispatch', '--json']);
    expect(json(ok).load.name).toBe('backup \ud83d\ude00');
  });
});
