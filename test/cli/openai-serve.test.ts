import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, toIso } from '../../src/core/time.ts';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-api.ts';
import { waitFor } from '../runner/helpers.ts';
import { childEnv, MAIN, NODE, okJson, runChild } from './service-helpers.ts';

/**
 * The OpenAI-compatible gateway in a real `gridshift serve` (a child process on an embedded store, its
 * configuration from a file, the upstream's key from its environment) in front of an OpenAI-compatible
 * double: a completion answered now on the tier of the grid, counted in /metrics, and a deferred request
 * run by the server's own worker. DE is a flat 150 g/kWh: clean (large tier), and the best window is now.
 */

const dir = mkdtempSync(join(tmpdir(), 'gridshift-openai-'));
const dataDir = join(dir, 'data');
const env = childEnv({
  GRIDSHIFT_DATA_DIR: dataDir,
  GRIDSHIFT_CONFIG: join(dir, 'gridshift.config.json'),
  XDG_DATA_HOME: join(dir, 'xdg'),
  GATEWAY_UPSTREAM_KEY: 'sk-from-env',
  TZ: 'UTC',
});
let upstream: OpenAiDouble;
let server: ChildProcess | undefined;
let serverOut = '';
let url = '';
let token = '';

beforeAll(async () => {
  upstream = await startOpenAiDouble({ models: ['big', 'tiny'], apiKey: 'sk-from-env' });
  const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const rows = ['timestamp,carbon_intensity'];
  for (let t = hourStart - 3 * HOUR_MS; t < hourStart + 30 * HOUR_MS; t += HOUR_MS / 2)
    rows.push(`${toIso(t)},150`);
  writeFileSync(join(dir, 'DE-carbon.csv'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(dir, 'gridshift.config.json'),
    JSON.stringify({
      defaults: { carbon: ['csv'], price: ['profile'], failurePolicy: 'open' },
      files: [{ zone: 'DE', metric: 'carbon_average', path: 'DE-carbon.csv' }],
      openai: {
        zone: 'DE',
        upstreams: [
          {
            name: 'double',
            baseUrl: upstream.baseUrl,
            apiKeyEnv: 'GATEWAY_UPSTREAM_KEY',
            tiers: { large: 'big', small: 'tiny' },
          },
        ],
        deferred: { durationMin: 5, powerKw: 0.2 },
      },
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
  token = okJson(
    await runChild(['token', 'create', '--name', 'gateway', '--scope', 'write', '--json'], env, dir),
  ).secret;
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const getJson = async (path: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: the fields of OpenAI's JSON the test checks
  (await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
const messages = (content: string) => [{ role: 'user', content }];

describe('gridshift serve with an openai section', () => {
  it('answers a completion on the tier of the grid, with the key from the environment, and counts it', async () => {
    const res = await post('/openai/v1/chat/completions', { model: 'auto', messages: messages('hello') });
    expect(res.status, serverOut).toBe(200);
    expect(res.headers.get('x-gridshift-tier')).toBe('large');
    expect(res.headers.get('x-gridshift-tier-reason')).toBe('clean: carbon 150 g/kWh is below 200');
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content,
    ).toBe('big answers: hello');
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-from-env');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'gridshift_openai_requests_total{endpoint="chat/completions",tier="large",decision="signal",outcome="ok"} 1',
    );
  });

  it("runs a deferred request with the server's own worker and keeps the answer", async () => {
    const res = await post(
      '/openai/v1/chat/completions',
      { model: 'auto', messages: messages('later') },
      { 'x-gridshift-deadline': 'PT2H' },
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const done = await waitFor(
      async () => {
        const b = await getJson(`/openai/v1/batches/${id}`);
        return b.status === 'completed' ? b : undefined;
      },
      'the deferred request to be answered',
      60_000,
    );
    expect(done.request_counts).toEqual({ total: 1, completed: 1, failed: 0 });
    const output = await (
      await fetch(`${url}/openai/v1/files/${done.output_file_id}/content`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    const [line] = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line.custom_id).toBe('request-1');
    expect(line.response.body.choices[0].message.content).toBe('big answers: later');
    const load = await getJson(`/v1/loads/${done.gridshift.load_id}`);
    expect(load.load.state).toBe('succeeded');
    expect(load.load.dispatch).toEqual({ kind: 'openai', batchId: id });
  }, 90_000);
});
