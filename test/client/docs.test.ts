import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness.ts';

/**
 * Every TypeScript example in docs/client.md, run as its own program (`gridshift/client` pointing at this
 * checkout's source) against a real server, with GRIDSHIFT_URL and GRIDSHIFT_TOKEN set as the page says.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLIENT = join(ROOT, 'src/client/index.ts');
const examples = [
  ...readFileSync(join(ROOT, 'docs/client.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g),
].map((m) => m[1]);
const dir = mkdtempSync(join(tmpdir(), 'gridshift-docs-'));
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const exec = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(file, args, { env, cwd: dir, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

const files = examples.map((code, i) => {
  const file = join(dir, `example-${i}.mts`);
  writeFileSync(file, code.replaceAll("from 'gridshift/client'", `from '${CLIENT}'`));
  return file;
});

describe('docs/client.md', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it('every example compiles against the client types (strict)', async () => {
    const r = await exec(join(ROOT, 'node_modules/.bin/tsc'), [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2023',
      '--lib',
      'es2023,dom',
      '--allowImportingTsExtensions',
      '--skipLibCheck',
      '--types',
      'node',
      '--typeRoots',
      join(ROOT, 'node_modules/@types'),
      ...files,
      join(ROOT, 'src/signals/tgwf-co2.d.ts'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 60_000);

  it('every example runs against a server', async () => {
    const outputs: string[] = [];
    const env = { ...process.env, GRIDSHIFT_URL: api.url, GRIDSHIFT_TOKEN: api.tokens.admin };
    for (const [i, file] of files.entries()) {
      const r = await exec(NODE, [file], env);
      expect(r.code, `example ${i}:\n${examples[i]}\n${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
    }
    const all = outputs.join('\n');
    expect(outputs[0]).toMatch(
      /^[0-9a-f-]{36} waiting, starts \S+Z\nexpected 50 g CO2eq, 150 g less than running now\n$/,
    );
    expect(all).toContain('nightly backup');
    expect(all).toMatch(/^wait until \S+: about \d+% cleaner$/m);
    expect(all).toMatch(/^use the small model/m);
    expect(all).toMatch(/^batch batch_[0-9a-f]{24} of 2: runs at \S+Z$/m);
    expect(all).toContain('dishwasher: new -> planned\ndishwasher: planned -> waiting\n');
    expect(all).toMatch(/^400 urn:gridshift:problem:validation body\.deadline: a 2h run starting at/m);
    expect(all).toMatch(/^audit log intact \(\d+ entries\)$/m);
  }, 120_000);
});
