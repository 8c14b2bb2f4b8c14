import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, okJson as json, MAIN, NODE, type Ran, runChild } from './service-helpers.ts';

/**
 * A real `gridshift serve --data-dir D` in a child process, and commands run without `--data-dir`: they
 * find the server through its record in `servers/` of the default data directory (XDG_DATA_HOME here), say
 * which store they read, refuse to guess between two servers, ignore and remove stale records, and once
 * the server has stopped read the default store directly, saying that no scheduler runs.
 */

const dir = mkdtempSync(join(tmpdir(), 'gridshift-discovery-'));
const dataDir = join(dir, 'served');
const defaultDir = join(dir, 'xdg', 'gridshift');
const serversDir = join(defaultDir, 'servers');
const env = childEnv({ XDG_DATA_HOME: join(dir, 'xdg'), TZ: 'UTC' });
let server: ChildProcess | undefined;
let serverOut = '';
let serverExit: Promise<number | null>;

const gs = (...args: string[]): Promise<Ran> => runChild(args, env, dir);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = spawn(NODE, [MAIN, 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {
    env,
    cwd: dir,
  });
  server.stdout?.on('data', (d) => {
    serverOut += d;
  });
  server.stderr?.on('data', (d) => {
    serverOut += d;
  });
  serverExit = new Promise((resolve) => server?.on('exit', (code) => resolve(code)));
  for (let waited = 0; !serverOut.includes('Stop with'); waited += 100) {
    if (waited > 60_000 || server.exitCode !== null)
      throw new Error(`the server did not start:\n${serverOut}`);
    await sleep(100);
  }
}, 90_000);

afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('commands find the server of this machine whatever its data directory', () => {
  it('use it without --data-dir, say which store they read, and read the default store once it stops', async () => {
    const pid = server?.pid as number;
    expect(readdirSync(serversDir)).toEqual([`${pid}.json`]);

    // submitted and listed without --data-dir: both through the server on D, not an empty default store
    const submitted = await gs(
      'submit',
      '--name',
      'found',
      '--zone',
      'DE',
      '--duration',
      '1h',
      '--power',
      '1kW',
      '--deadline',
      '+12h',
      '--no-dispatch',
      '--json',
    );
    const note = `gridshift: no server runs on the default data directory ${defaultDir}; using the one on ${dataDir} (process ${pid}); --data-dir chooses another store\n`;
    expect(submitted.stderr).toBe(note);
    const id = json(submitted).load.id;
    const listed = await gs('loads', '--json');
    expect(listed.stderr).toBe(note);
    expect(json(listed).loads.map((l: { id: string }) => l.id)).toEqual([id]);
    expect(readdirSync(defaultDir)).toEqual(['servers']);

    const status = await gs('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Scheduler: running$/m);
    expect(status.stdout).toContain(`Store:     the embedded store in ${dataDir}\n`);
    expect(status.stdout).toMatch(
      /^Served by: the server at http:\/\/127\.0\.0\.1:\d+ \(process \d+\): ready$/m,
    );

    // a record whose process is gone is ignored and removed
    const gone = spawnSync('true').pid;
    writeFileSync(join(serversDir, `${gone}.json`), JSON.stringify({ pid: gone, dataDir: join(dir, 'old') }));
    expect((await gs('loads', '--json')).stderr).toBe(note);
    expect(readdirSync(serversDir)).toEqual([`${pid}.json`]);

    // two servers elsewhere: the command does not guess (this test process stands in for the second one)
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(
      join(other, 'server.json'),
      JSON.stringify({ url: 'http://127.0.0.1:9', pid: process.pid }),
    );
    writeFileSync(
      join(serversDir, `${process.pid}.json`),
      JSON.stringify({ pid: process.pid, dataDir: other }),
    );
    const ambiguous = await gs('loads');
    expect(ambiguous.code).toBe(2);
    const [first, second] = [dataDir, other].sort();
    const pidOf = (d: string) => (d === dataDir ? pid : process.pid);
    expect(ambiguous.stderr).toBe(
      `error: 2 gridshift servers run on this machine (process ${pidOf(first)} on ${first}, process ${pidOf(second)} on ${second}) ` +
        `and none on the default data directory ${defaultDir}: choose one with --data-dir DIR (or GRIDSHIFT_DATA_DIR)\n`,
    );
    // --data-dir chooses
    expect(json(await gs('loads', '--data-dir', dataDir, '--json')).loads).toHaveLength(1);
    rmSync(join(serversDir, `${process.pid}.json`));

    // SIGTERM: the server goes, and its record with it; commands read the default store, saying no scheduler runs
    server?.kill('SIGTERM');
    expect(await serverExit).toBe(0);
    expect(readdirSync(serversDir)).toEqual([]);
    const after = await gs('status');
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toBe('');
    expect(after.stdout).toMatch(
      /^Scheduler: not running \(no `gridshift serve` on this store: nothing is dispatched until one starts\)$/m,
    );
    expect(after.stdout).not.toMatch(/Scheduler: running/);
    expect(after.stdout).toContain(`Store:     the embedded store in ${defaultDir}\n`);
    expect(after.stdout).toMatch(/^Served by: no server: this command reads the store directly$/m);
    expect(json(await gs('loads', '--json')).loads).toEqual([]);
  }, 240_000);
});
