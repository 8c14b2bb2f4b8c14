import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGone, isRunning } from '../runner/dispatch/helpers.ts';
import { childEnv, MAIN, NODE, okJson, runChild, until } from './service-helpers.ts';

/**
 * `gridshift serve` on the embedded store killed with SIGKILL while a 4-hour load runs: the command dies
 * with it, and the server started again retries the load at once (one process owns the store, so an
 * attempt still marked running is lost), instead of after the 4 hours and more the attempt may run.
 */

const cwd = mkdtempSync(join(tmpdir(), 'gridshift-crash-'));
const dataDir = join(cwd, 'data');
const marker = join(cwd, 'first-attempt.pid');
const out = join(cwd, 'ran.txt');
const servers: ChildProcess[] = [];

afterAll(() => {
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  if (existsSync(marker)) {
    const pid = Number(readFileSync(marker, 'utf8'));
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(cwd, { recursive: true, force: true });
});

/** Starts `gridshift serve` on the data directory; resolves with its URL once it serves. */
async function serve(
  env: NodeJS.ProcessEnv,
): Promise<{ proc: ChildProcess; base: string; log: () => string }> {
  const proc = spawn(NODE, [MAIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    env,
    cwd,
  });
  servers.push(proc);
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  await until('gridshift serve to start', async () => (/Stop with/.test(log) ? true : undefined));
  return { proc, base: /serving (http:\/\/\S+)/.exec(log)?.[1] as string, log: () => log };
}

interface Detail {
  load: { state: string; attempt: number };
  events: { to: string; at: string; detail: Record<string, unknown> }[];
  accounting: { energyKwh: number; failedEnergyKwh: number } | null;
}

describe('gridshift serve killed mid-run on the embedded store', () => {
  it('takes the command down with it, and retries the load at once when started again', async () => {
    const env = childEnv({ TZ: 'UTC' });
    const token = okJson(
      await runChild(
        ['token', 'create', '--name', 'ops', '--scope', 'admin', '--data-dir', dataDir, '--json'],
        env,
        cwd,
      ),
    );
    const headers = { authorization: `Bearer ${token.secret}`, 'content-type': 'application/json' };
    const first = await serve(env);
    // no room to move, so it runs at once: the deadline leaves no room for a start at the next 30-minute
    // boundary (a start there would end after it); too close to a boundary, wait until it has passed
    const SLOT_MS = 30 * 60_000;
    const boundaryMs = () => Math.ceil(Date.now() / SLOT_MS) * SLOT_MS;
    if (boundaryMs() - Date.now() < 10_000)
      await new Promise((r) => setTimeout(r, boundaryMs() - Date.now() + 1000));
    const nowMs = Date.now();
    const deadlineMs = boundaryMs() + 240 * 60_000 - 1000;
    const res = await fetch(`${first.base}/v1/loads`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'four hours',
        zones: ['DE'],
        durationMin: 240,
        powerKw: 1,
        earliest: new Date(nowMs).toISOString(),
        deadline: new Date(deadlineMs).toISOString(),
        dispatch: {
          kind: 'shell',
          command: `if [ "$GRIDSHIFT_ATTEMPT" = 1 ]; then echo $$ > ${marker}; exec sleep 600; else echo "$GRIDSHIFT_ATTEMPT" >> ${out}; fi`,
        },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = ((await res.json()) as { load: { id: string } }).load.id;
    await until('the first attempt to run', async () =>
      existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n') ? true : undefined,
    );
    const command = Number(readFileSync(marker, 'utf8'));
    expect(isRunning(command), 'the command runs').toBe(true);

    await new Promise((r) => setTimeout(r, 6_000)); // a heartbeat while it runs: it was seen running
    const killedMs = Date.now();
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    expect(await isGone(command, 15_000), 'the command died with the server').toBe(true);

    const second = await serve(env);
    const get = async (): Promise<Detail> =>
      (await (await fetch(`${second.base}/v1/loads/${id}`, { headers })).json()) as Detail;
    // marked lost as the server starts, not when the attempt expires (4 hours and 5 minutes after it began)
    const failed = (await get()).events.find((e) => e.to === 'failed');
    expect(failed?.detail).toMatchObject({ error: 'worker lost', attempt: 1 });
    const done = await until(
      'the retry to succeed',
      async () => {
        const d = await get();
        return d.load.state === 'succeeded' ? d : undefined;
      },
      90_000,
    );
    expect(done.load.attempt).toBe(2);
    expect(done.events.map((e) => e.to)).toEqual([
      'planned',
      'waiting',
      'running',
      'failed',
      'waiting',
      'running',
      'succeeded',
    ]);
    expect(readFileSync(out, 'utf8')).toBe('2\n');
    // the lost attempt ran (1 kW) from its start until the server was last seen: part of the accounting
    const accounted = await until('the accounting', async () => (await get()).accounting ?? undefined);
    const startedMs = Date.parse(done.events[2].at);
    expect(accounted.failedEnergyKwh).toBeGreaterThan(0);
    expect(accounted.failedEnergyKwh).toBeLessThanOrEqual((killedMs - startedMs) / 3_600_000);
    expect(accounted.energyKwh).toBeGreaterThan(accounted.failedEnergyKwh);
    second.proc.kill('SIGTERM');
    await new Promise((r) => second.proc.once('exit', r));
  }, 150_000);
});
