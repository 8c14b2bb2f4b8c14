import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.ts';
import { toIso } from '../../src/core/time.ts';
import { childEnv, okJson as json, MAIN, NODE, type Ran, runChild } from './service-helpers.ts';

/**
 * The newcomer's path, end to end, with real processes and the real clock: `gridshift serve` on an
 * embedded store in a child process, `gridshift token create`, `gridshift submit` of a shell load with a
 * deadline, `gridshift loads show` watching it wait, run and succeed, `gridshift report` showing what it
 * saved, and SIGTERM stopping the server cleanly.
 *
 * The server plans on a 1-minute grid (--step 1) over a CSV series written just before the submit: 400
 * g/kWh up to the next 5-minute boundary, 100 g/kWh for the 5 minutes after it, 400 after that. With a
 * deadline 6 minutes out, the load waits for the boundary (at most 5 minutes) and runs in the clean
 * minutes; against running at once (400 g/kWh) it saves 75 %, in the plan and in the accounting, which
 * weighs what ran on a 5-minute grid.
 */

const BLOCK_MS = 5 * 60_000;
const dir = mkdtempSync(join(tmpdir(), 'gridshift-e2e-'));
const dataDir = join(dir, 'data');
const config = join(dir, 'gridshift.config.json');
const csv = join(dir, 'DE-carbon.csv');
// the default data directory (where a server records itself) in the test's directory too
const env = childEnv({
  GRIDSHIFT_DATA_DIR: dataDir,
  GRIDSHIFT_CONFIG: config,
  XDG_DATA_HOME: join(dir, 'xdg'),
  TZ: 'UTC',
});
let server: ChildProcess | undefined;
let serverOut = '';
let serverExit: Promise<number | null>;

const gs = (...args: string[]): Promise<Ran> => runChild(args, env, dir);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 400 g/kWh everywhere but the 5 minutes from `cleanFromMs` (100), per minute, two hours either side. */
function writeSeries(cleanFromMs: number): void {
  const rows = ['timestamp,carbon_intensity'];
  for (let t = cleanFromMs - 2 * 3_600_000; t < cleanFromMs + 3 * 3_600_000; t += 60_000)
    rows.push(`${toIso(t)},${t >= cleanFromMs && t < cleanFromMs + BLOCK_MS ? 100 : 400}`);
  writeFileSync(csv, `${rows.join('\n')}\n`);
}

beforeAll(async () => {
  writeFileSync(
    config,
    JSON.stringify({
      defaults: { carbon: ['csv'], price: ['profile'], failurePolicy: 'open' },
      files: [{ zone: 'DE', metric: 'carbon_average', path: 'DE-carbon.csv' }],
    }),
  );
  writeSeries(Math.ceil(Date.now() / BLOCK_MS) * BLOCK_MS);
  server = spawn(NODE, [MAIN, 'serve', '--port', '0', '--step', '1', '--log-level', 'warn'], {
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
  // server.json is written once it listens, the banner right after
  for (
    let waited = 0;
    !existsSync(join(dataDir, 'server.json')) || !serverOut.includes('Stop with');
    waited += 100
  ) {
    if (waited > 60_000) throw new Error(`the server did not start:\n${serverOut}`);
    await sleep(100);
  }
}, 90_000);

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('gridshift serve, end to end', () => {
  it('serve, token create, submit, watch it wait, run and succeed, report its savings, stop', async () => {
    const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.pid).toBe(server?.pid);
    expect(serverOut).toContain(`serving ${info.url}`);
    expect(serverOut).toContain('No API tokens yet');

    // a token for HTTP clients, made through the running server (the store is its)
    const created = json(await gs('token', 'create', '--name', 'e2e', '--scope', 'write', '--json'));
    expect(created.token).toMatchObject({ name: 'e2e', scopes: ['write'] });
    const client = createClient({ baseUrl: info.url, token: created.secret });
    expect((await client.scheduler.status()).running).toBe(true);

    // not too close to a 5-minute boundary: the load must be submitted before it
    const untilBoundary = Math.ceil(Date.now() / BLOCK_MS) * BLOCK_MS - Date.now();
    if (untilBoundary < 15_000) await sleep(untilBoundary + 1000);
    const cleanFromMs = Math.ceil(Date.now() / BLOCK_MS) * BLOCK_MS;
    writeSeries(cleanFromMs);
    const submitted = json(
      await gs(
        'submit',
        '--name',
        'hello',
        '--zone',
        'DE',
        '--duration',
        '1m',
        '--power',
        '100kW',
        '--deadline',
        '+6m',
        '--command',
        'sleep 3; echo hello from gridshift',
        '--json',
      ),
    );
    const id: string = submitted.load.id;
    expect(submitted.load.state).toBe('waiting');
    expect(submitted.load.plannedStart).toBe(toIso(cleanFromMs));
    expect(submitted.plan.savings.emissionsPct).toBeCloseTo(75, 9);

    // while it waits
    const waiting = await gs('loads', 'show', id);
    expect(waiting.stdout).toMatch(/^State: {5}waiting$/m);
    const status = await gs('status');
    expect(status.stdout).toContain(`Store:     the embedded store in ${dataDir}\n`);
    expect(status.stdout).toContain(`Served by: the server at ${info.url} (process ${info.pid}): ready`);
    expect(status.stdout).toMatch(/^waiting\s+1$/m);
    const refused = await runChild(['loads'], { ...env, GRIDSHIFT_TOKEN: 'gs_not-a-token' }, dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /refused the request: the token is unknown or revoked; GRIDSHIFT_TOKEN is set and is sent instead of the local access server\.json gives: unset it/,
    );
    const tokens = json(await gs('token', 'list', '--json')).tokens.map((t: { name: string }) => t.name);
    expect(tokens).toEqual(expect.arrayContaining(['e2e', 'gridshift serve (local CLI)']));
    expect((await gs('audit', 'verify')).code).toBe(0);

    // watch it wait and run: --watch returns once the load has ended, with its timeline and what it saved
    const watched = await runChild(['loads', 'show', id, '--watch', '--interval', '0.5s'], env, dir, 400_000);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/^State: {5}waiting$/m);
    expect(watched.stdout).toMatch(/^ {2}.* {2}waiting -> running {4}#1 {3}/m);
    expect(watched.stdout).toMatch(/^ {2}.* {2}running -> succeeded {2}#1 {3}exit code 0; ran 3(\.\d)?s$/m);
    expect(watched.stdout).toMatch(/^Saved: {5}.* CO2eq \(75%\)$/m);
    const detail: {
      load: { state: string };
      events: { to: string; at: string; detail: Record<string, unknown> }[];
    } = json(await gs('loads', 'show', id, '--json'));
    expect(detail.load.state).toBe('succeeded');
    expect(detail.events.map((e) => e.to)).toEqual(['planned', 'waiting', 'running', 'succeeded']);
    const started = detail.events[2];
    expect(Date.parse(started.at)).toBeGreaterThanOrEqual(cleanFromMs);
    expect(detail.events[3].detail).toMatchObject({ exitCode: 0 });

    const shown = await gs('loads', 'show', id);
    expect(shown.stdout).toMatch(/waiting -> running\s+#1/);
    expect(shown.stdout).toMatch(/running -> succeeded\s+#1\s+exit code 0; ran 3(\.\d)?s/);
    expect(shown.stdout).toContain('  hello from gridshift');
    expect(shown.stdout).toMatch(/^Saved: {5}.* CO2eq \(75%\)$/m);
    expect(shown.stdout).toContain('Basis:     measured values from csv');

    // what it saved: the same energy at 100 instead of 400 g/kWh
    const report = json(await gs('report', '--json'));
    expect(report.totals.loads).toBe(1);
    expect(report.totals.savingsPct).toBeCloseTo(75, 6);
    expect(report.totals.baselineEmissionsG).toBeCloseTo(4 * report.totals.emissionsG, 6);
    expect(report.totals.energyKwh).toBeCloseTo(report.totals.emissionsG / 100, 9);
    const text = await gs('report');
    expect(text.stdout).toMatch(/^total\s+1\s.*\s75%/m);

    // SIGTERM: the server drains and goes, and with it server.json and the local CLI token
    server?.kill('SIGTERM');
    expect(await serverExit).toBe(0);
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
    expect(serverOut).toContain('SIGTERM: draining');
    const after = json(await gs('token', 'list', '--all', '--json')).tokens;
    const local = after.find((t: { name: string }) => t.name === 'gridshift serve (local CLI)');
    expect(local.revokedAt).not.toBeNull();
    // the store is free again: commands use it directly
    const direct = json(await gs('loads', 'list', '--json'));
    expect(direct.loads.map((l: { id: string; state: string }) => [l.id, l.state])).toEqual([
      [id, 'succeeded'],
    ]);
  }, 480_000);
});
