import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipPostgres, TEST_DATABASE_URL } from '../store/backends.ts';
import { scratchDatabase } from '../store/scratch-database.ts';
import { childEnv, okJson as json, MAIN, NODE, type Ran, runChild, runIn } from './service-helpers.ts';

/**
 * The service commands on PostgreSQL, as separate processes: an API-only `gridshift serve --no-worker`,
 * a `gridshift worker` that runs the loads, and CLI commands both through the server (`--server`,
 * GRIDSHIFT_TOKEN) and directly on the database (DATABASE_URL). Each run gets a database of its own.
 */

const scratch = scratchDatabase('gridshift_cli', TEST_DATABASE_URL);
const database = scratch.name;
const DATABASE_URL = scratch.url;
const cwd = mkdtempSync(join(tmpdir(), 'gridshift-pg-cli-'));
const env = childEnv({ DATABASE_URL, TZ: 'UTC' });
const children: ChildProcess[] = [];

/** Starts a long-running `gridshift` and resolves once its output matches `ready`. */
function start(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; output: () => string; exit: Promise<number | null> }> {
  const child = spawn(NODE, [MAIN, ...args], { env, cwd });
  children.push(child);
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gridshift ${args.join(' ')} did not start:\n${out}`)),
      60_000,
    );
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out, exit });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then((code) => reject(new Error(`gridshift ${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

const gs = (args: string[], extra: Record<string, string> = {}): Promise<Ran> =>
  runChild(args, { ...env, ...extra }, cwd);
beforeAll(async () => {
  if (!skipPostgres) await scratch.create();
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!skipPostgres) await scratch.drop();
  rmSync(cwd, { recursive: true, force: true });
}, 30_000);

describe.skipIf(skipPostgres)('gridshift serve and worker on PostgreSQL', () => {
  it('an API replica without a worker, a worker, and the CLI through either', async () => {
    // the first admin token, made on the database before any server runs
    const token = json(await gs(['token', 'create', '--name', 'ops', '--scope', 'admin', '--json']));
    const api = await start(['serve', '--no-worker', '--port', '0', '--log-level', 'warn'], /Stop with/);
    const serverUrl = /serving (http:\/\/\S+)/.exec(api.output())?.[1] as string;
    expect(api.output()).toContain('Store: PostgreSQL at postgres://');
    expect(api.output()).toContain('Roles: api, planner');
    const worker = await start(['worker', '--concurrency', '2', '--no-planner'], /Stop with SIGTERM/);
    expect(worker.output()).toMatch(
      /^gridshift worker \(process \d+\) running up to 2 loads at once on PostgreSQL/m,
    );
    expect(worker.output()).toContain('Roles: worker\n');

    // through the API replica
    const viaServer = { GRIDSHIFT_SERVER: serverUrl, GRIDSHIFT_TOKEN: token.secret };
    const submitted = json(
      await gs(
        [
          'submit',
          '--name',
          'now',
          '--zone',
          'DE',
          '--duration',
          '1m',
          '--power',
          '1kW',
          '--max-delay',
          '0',
          '--command',
          'echo ran on the worker',
          '--json',
        ],
        viaServer,
      ),
    );
    const id: string = submitted.load.id;

    // directly on the database
    let detail: { load: { state: string }; events: { to: string; detail: Record<string, unknown> }[] };
    const until = Date.now() + 60_000;
    for (;;) {
      detail = json(await gs(['loads', 'show', id, '--json']));
      if (detail.load.state === 'succeeded' || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(detail.load.state).toBe('succeeded');
    const started = detail.events.find((e) => e.to === 'running');
    expect(started?.detail.worker).toMatch(new RegExp(`:${worker.child.pid}$`));

    const status = await gs(['status']);
    expect(status.stdout).toMatch(/^Store: {5}PostgreSQL at postgres:\/\//m);
    expect(status.stdout).toMatch(/^Served by: this command reads the database directly; workers are/m);
    expect(status.stdout).toMatch(/^succeeded\s+1$/m);
    const viaApi = await gs(['status'], viaServer);
    expect(viaApi.stdout).toContain(`Served by: the server at ${serverUrl}: ready`);
    expect(viaApi.stdout).toMatch(/^Roles: {5}api, planner$/m);

    // SIGTERM drains both
    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(await api.exit).toBe(0);
  }, 180_000);
});

describe.skipIf(skipPostgres)('DATABASE_URL naming a database that is not there', () => {
  it('says which database, without the password (exit 1)', async () => {
    const missing = new URL(TEST_DATABASE_URL);
    missing.pathname = `/${database}_missing`;
    missing.password = 'hunter2';
    const r = await runIn(['loads'], { env: { DATABASE_URL: missing.toString() } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: cannot open PostgreSQL at postgres://[^ ]*:\\*\\*\\*@[^ ]*/${database}_missing \\(DATABASE_URL\\): `,
      ),
    );
    expect(r.stderr).not.toContain('hunter2');
  });
});
