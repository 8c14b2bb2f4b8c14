import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../client/harness.ts';
import { okJson as json, runIn } from './service-helpers.ts';

/**
 * The service commands against a server named with --server (or GRIDSHIFT_SERVER) and a token in
 * GRIDSHIFT_TOKEN: the same output as on the store, and the server's refusals as clear errors.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const gs = (args: string[], token = api.tokens.write) => runIn(args, { env: { GRIDSHIFT_TOKEN: token } });
describe('the service commands with --server', () => {
  it('submit, list, show and cancel through the API', async () => {
    const submitted = json(
      await gs([
        'submit',
        '--server',
        api.url,
        '--name',
        'remote',
        '--zone',
        'DE',
        '--duration',
        '1h',
        '--power',
        '2kW',
        '--max-delay',
        '6h',
        '--no-dispatch',
        '--tag',
        'remote',
        '--json',
      ]),
    );
    expect(submitted.created).toBe(true);
    // the harness grid is clean (100 g/kWh) three hours from now: 200 g instead of 800 g at once
    expect(submitted.plan.emissionsG).toBeCloseTo(200, 6);
    const list = await gs(['loads', '--server', api.url, '--tag', 'remote']);
    expect(list.stdout).toMatch(new RegExp(`^${submitted.load.id}\\s+remote\\s+waiting\\s+DE`, 'm'));
    const shown = await runIn(['loads', 'show', submitted.load.id], {
      env: { GRIDSHIFT_SERVER: api.url, GRIDSHIFT_TOKEN: api.tokens.read },
    });
    expect(shown.stdout).toContain(`Load ${submitted.load.id}: remote`);
    const cancelled = await gs(['loads', 'cancel', submitted.load.id, '--server', api.url]);
    expect(cancelled.stdout).toBe(`Load ${submitted.load.id} ("remote"): cancelled\n`);
    const again = await gs(['loads', 'cancel', submitted.load.id, '--server', api.url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: cannot cancel load .*: it is already cancelled/);
  });

  it('names the flag when the server refuses the input', async () => {
    const r = await gs([
      'submit',
      '--server',
      api.url,
      '--name',
      'x',
      '--zone',
      'DE',
      '--duration',
      '2h',
      '--power',
      '1kW',
      '--deadline',
      '+1h',
      '--no-dispatch',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --deadline: a 2h run starting at .* cannot finish/);
  });

  it('status says which server answers and whether it is ready', async () => {
    const r = await gs(['status', '--server', api.url], api.tokens.read);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Served by: the server at ${api.url}: ready`);
  });

  it('a token without the scope, or none, is refused with what to do', async () => {
    const pause = await gs(['pause', '--server', api.url], api.tokens.write);
    expect(pause.code).toBe(2);
    expect(pause.stderr).toBe(
      `error: the server at ${api.url} refused the request: this route needs a token with the admin scope; ` +
        'set GRIDSHIFT_TOKEN to a token with the needed scope (create one with `gridshift token create`)\n',
    );
    const none = await runIn(['token', 'list', '--server', api.url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/refused the request: this route needs an API token/);
    const created = json(
      await gs(
        ['token', 'create', '--server', api.url, '--name', 'x', '--scope', 'read', '--json'],
        api.tokens.admin,
      ),
    );
    expect(created.secret).toMatch(/^gs_/);
  });

  it('a --server that is not a URL is bad input', async () => {
    const r = await gs(['loads', '--server', 'localhost:8080']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: --server: "localhost:8080" is not an http(s) URL (e.g. http://127.0.0.1:8080)\n',
    );
  });
});

describe('the server of this machine, found through server.json', () => {
  let dataDir: string;
  beforeAll(() => {
    // what `gridshift serve` on the embedded store writes: its URL, its process, an admin token
    dataDir = mkdtempSync(join(tmpdir(), 'gridshift-local-'));
    writeFileSync(
      join(dataDir, 'server.json'),
      JSON.stringify({ url: api.url, pid: process.pid, token: api.tokens.admin }),
    );
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const local = (args: string[], env: Record<string, string> = {}) =>
    runIn(args, { env: { GRIDSHIFT_DATA_DIR: dataDir, ...env } });

  it('commands use it with its admin token; a new token is for HTTP clients', async () => {
    const r = await local(['token', 'create', '--name', 'local', '--scope', 'write']);
    expect(r.code, r.stderr).toBe(0);
    const secret = /^ {2}(gs_\S+)$/m.exec(r.stdout)?.[1];
    expect(r.stdout).toContain(`Use it: curl -H "Authorization: Bearer ${secret}" ${api.url}/v1/scheduler\n`);
    expect(r.stdout).toContain('gridshift commands on this machine need no token;');
    const status = await local(['status']);
    expect(status.stdout).toContain(`Served by: the server at ${api.url} (process ${process.pid}): ready`);
  });

  it('GRIDSHIFT_TOKEN replaces the local access: a refusal says to unset it', async () => {
    const r = await local(['token', 'list'], { GRIDSHIFT_TOKEN: api.tokens.write });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: the server at ${api.url} (process ${process.pid}) refused the request: this route needs a token ` +
        'with the admin scope; GRIDSHIFT_TOKEN is set and is sent instead of the local access server.json ' +
        'gives: unset it, or set it to a token with the needed scope\n',
    );
  });
});
