import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, toIso } from '../../src/core/time.ts';
import { childEnv, MAIN, NODE, okJson, ROOT, runChild } from '../cli/service-helpers.ts';

/**
 * The Python client (clients/python) against a real `gridshift serve`: the server runs as a child process
 * on an embedded store in a temporary directory on a free port, tokens come from `gridshift token create`,
 * and the machine's python3 runs the client's unittest suite, the Python examples of docs/client.md and
 * clients/python/README.md, a byte-compile of every file, a pip install of the package, and mypy (strict)
 * when mypy is installed.
 *
 * The server plans on CSV series: zone DE is 400 g/kWh except two clean hours (100 g/kWh) three hours
 * after the current hour began; zone FR is 100 g/kWh until six hours after it, 400 after.
 */

const PY_ROOT = join(ROOT, 'clients/python');
const PYTHON = process.env.PYTHON ?? 'python3';
const dir = mkdtempSync(join(tmpdir(), 'gridshift-python-'));
const dataDir = join(dir, 'data');
const env = childEnv({
  GRIDSHIFT_DATA_DIR: dataDir,
  GRIDSHIFT_CONFIG: join(dir, 'gridshift.config.json'),
  XDG_DATA_HOME: join(dir, 'xdg'),
  TZ: 'UTC',
});
const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
const cleanFrom = hourStart + 3 * HOUR_MS;
let server: ChildProcess | undefined;
let serverOut = '';
let url = '';
let writeToken = '';
let readToken = '';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, cwd = PY_ROOT): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, ...extraEnv }, timeout: 180_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

function writeSeries(file: string, carbonAt: (t: number) => number): void {
  const rows = ['timestamp,carbon_intensity'];
  for (let t = hourStart - 3 * HOUR_MS; t < hourStart + 30 * HOUR_MS; t += HOUR_MS / 2)
    rows.push(`${toIso(t)},${carbonAt(t)}`);
  writeFileSync(join(dir, file), `${rows.join('\n')}\n`);
}

beforeAll(async () => {
  writeSeries('DE-carbon.csv', (t) => (t >= cleanFrom && t < cleanFrom + 2 * HOUR_MS ? 100 : 400));
  writeSeries('FR-carbon.csv', (t) => (t < hourStart + 6 * HOUR_MS ? 100 : 400));
  writeFileSync(
    join(dir, 'gridshift.config.json'),
    JSON.stringify({
      defaults: { carbon: ['csv'], price: ['profile'], failurePolicy: 'open' },
      files: [
        { zone: 'DE', metric: 'carbon_average', path: 'DE-carbon.csv' },
        { zone: 'FR', metric: 'carbon_average', path: 'FR-carbon.csv' },
      ],
    }),
  );
  server = spawn(NODE, [MAIN, 'serve', '--port', '0', '--log-level', 'warn'], { env, cwd: dir });
  server.stdout?.on('data', (d) => {
    serverOut += d;
  });
  server.stderr?.on('data', (d) => {
    serverOut += d;
  });
  const serverFile = join(dataDir, 'server.json');
  for (let waited = 0; !existsSync(serverFile) || !serverOut.includes('Stop with'); waited += 100) {
    if (waited > 60_000) throw new Error(`the server did not start:\n${serverOut}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  url = JSON.parse(readFileSync(serverFile, 'utf8')).url;
  const token = async (name: string, scope: string): Promise<string> =>
    okJson(await runChild(['token', 'create', '--name', name, '--scope', scope, '--json'], env, dir)).secret;
  writeToken = await token('python-write', 'write');
  readToken = await token('python-read', 'read');
}, 120_000);

afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const clientEnv = (): NodeJS.ProcessEnv => ({
  PYTHONPATH: PY_ROOT,
  PYTHONDONTWRITEBYTECODE: '1',
  GRIDSHIFT_URL: url,
  GRIDSHIFT_TOKEN: writeToken,
});

describe('the Python client against gridshift serve', () => {
  it('passes its unittest suite, skipping nothing', async () => {
    const r = await run(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', 'tests', '-t', '.'], {
      ...clientEnv(),
      GRIDSHIFT_READ_TOKEN: readToken,
      GRIDSHIFT_TEST_CLEAN_FROM: toIso(cleanFrom),
    });
    expect(r.code, r.stderr).toBe(0);
    const ran = Number(/^Ran (\d+) tests? in/m.exec(r.stderr)?.[1] ?? 0);
    expect(ran).toBeGreaterThanOrEqual(36);
    expect(r.stderr).toMatch(/^OK$/m);
    expect(r.stderr).not.toMatch(/skipped/);
  }, 180_000);

  it('every Python example in the docs runs against the server', async () => {
    const pages = ['docs/client.md', 'clients/python/README.md'];
    const examples = pages.flatMap((page) =>
      [...readFileSync(join(ROOT, page), 'utf8').matchAll(/```python\n([\s\S]*?)```/g)].map((m) => ({
        page,
        code: m[1],
      })),
    );
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const outputs: string[] = [];
    for (const [i, { page, code }] of examples.entries()) {
      const file = join(dir, `example_${i}.py`);
      writeFileSync(file, code);
      const r = await run(PYTHON, [file], clientEnv(), dir);
      expect(r.code, `${page}, example ${i}:\n${code}\n${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
    }
    const all = outputs.join('\n');
    expect(all).toMatch(/^run now: /m);
    // 3.2 kW for 90 minutes at 100 g/kWh, now as later
    expect(all).toMatch(/^fine-tune starts \S+Z, expecting 480 g CO2eq \(0 g less than now\)$/m);
    expect(all).toMatch(/^fine-tune: its window has come \((running|succeeded)\): training$/m);
    expect(all).toMatch(/^answering with the large model \(clean: carbon 100 g\/kWh is below 150\)$/m);
    expect(all).toContain('nightly-eval: new -> planned\nnightly-eval: planned -> waiting\n');
    expect(all).toMatch(/^400 urn:gridshift:problem:validation body\.deadline: a 2h run starting at/m);
    expect(all).toMatch(/^no server: cannot reach the gridshift server at http:\/\/127\.0\.0\.1:9: /m);
    // the fine-tune load (3.2 kW for 90 minutes at 100 g/kWh) ran at once, when it was planned to
    expect(all).toContain('ml: 1 loads, 480 g CO2eq, 480 g had they run at once\n');
    // README: 2 kWh in DE's clean hours instead of now
    expect(all).toContain(`would start ${toIso(cleanFrom)}, 75% cleaner than now\n`);
  }, 180_000);

  it('every file compiles, and mypy --strict passes where mypy is installed', async () => {
    const files = ['gridshift_client', 'tests'].flatMap((d) =>
      readdirSync(join(PY_ROOT, d))
        .filter((f) => f.endsWith('.py'))
        .map((f) => join(d, f)),
    );
    expect(files).toContain('gridshift_client/client.py');
    // byte code goes to the temporary directory, not beside the sources
    const compiled = await run(PYTHON, ['-m', 'py_compile', ...files], {
      PYTHONPYCACHEPREFIX: join(dir, 'pyc'),
    });
    expect(compiled.code, compiled.stderr).toBe(0);
    const mypy = await run(PYTHON, ['-m', 'mypy', '--version']);
    if (mypy.code !== 0) return; // not installed: mypy is no requirement of the client
    const checked = await run(PYTHON, [
      '-m',
      'mypy',
      '--strict',
      '--cache-dir',
      join(dir, 'mypy-cache'),
      'gridshift_client',
      'tests',
    ]);
    expect(checked.code, checked.stdout).toBe(0);
  }, 180_000);

  it('installs with pip, with its type marker, and imports from the install', async () => {
    // from a copy: a build writes build/ and *.egg-info beside the sources
    const source = join(dir, 'source');
    cpSync(PY_ROOT, source, { recursive: true, filter: (f) => !f.includes('__pycache__') });
    const target = join(dir, 'site');
    const pip = await run(PYTHON, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-deps',
      '--target',
      target,
      source,
    ]);
    expect(pip.code, pip.stderr).toBe(0);
    expect(existsSync(join(target, 'gridshift_client/py.typed'))).toBe(true);
    const imported = await run(
      PYTHON,
      ['-c', 'import gridshift_client as g; print(g.__file__, g.__version__)'],
      { PYTHONPATH: target },
      dir,
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe(`${join(target, 'gridshift_client/__init__.py')} 0.1.0\n`);
  }, 180_000);
});
