import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runShell, shellEnv } from '../../../src/runner/dispatch/shell.ts';
import type { ShellTarget } from '../../../src/runner/dispatch/types.ts';
import { OUTPUT_TAIL_BYTES } from '../../../src/runner/dispatch/types.ts';
import { context, isGone, isRunning, T0 } from './helpers.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'dispatch');
const spawnChild = join(fixtures, 'spawn-child.sh');
const root = join(fixtures, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'gridshift-shell-'));
const leftovers: number[] = [];

afterAll(() => {
  for (const pid of leftovers) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function shell(command: ShellTarget['command'], extra: Partial<ShellTarget> = {}): ShellTarget {
  return { kind: 'shell', command, ...extra };
}

function envOf(output: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return vars;
}

function pidFrom(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

describe('runShell', () => {
  it('succeeds on exit code 0 and records the output', async () => {
    const out = await runShell(shell('echo hello; echo oops >&2'), context());
    expect(out.ok).toBe(true);
    expect(out.exitCode).toBe(0);
    expect(out.signal).toBeNull();
    expect(out.error).toBeUndefined();
    expect(out.outputTail).toBe('hello\noops\n');
    expect(out.outputBytes).toBe(11);
    expect(out.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on a non-zero exit code and keeps the code', async () => {
    const out = await runShell(shell('echo failing; exit 3'), context());
    expect(out.ok).toBe(false);
    expect(out.exitCode).toBe(3);
    expect(out.error).toBe('exited with code 3');
    expect(out.outputTail).toBe('failing\n');
  });

  it('reports a command killed by a signal it did not get from gridshift', async () => {
    const out = await runShell(shell('kill -9 $$'), context());
    expect(out.ok).toBe(false);
    expect(out.exitCode).toBeNull();
    expect(out.signal).toBe('SIGKILL');
    expect(out.timedOut).toBeUndefined();
    expect(out.error).toBe('killed by SIGKILL');
  });

  it('passes the attempt in GRIDSHIFT_* variables, the target env, and only PATH/HOME/LANG of the parent', async () => {
    const parentEnv = {
      PATH: process.env.PATH,
      HOME: '/home/worker',
      LANG: 'en_GB.UTF-8',
      DATABASE_URL: 'postgres://secret@db/gridshift',
    };
    const target = shell('env', { env: { BACKUP_SET: 'photos', GRIDSHIFT_LOAD_ID: 'spoofed' } });
    const out = await runShell(target, context(), { parentEnv });
    expect(out.ok).toBe(true);
    const vars = envOf(out.outputTail ?? '');
    expect(vars.get('GRIDSHIFT_LOAD_ID')).toBe('0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b');
    expect(vars.get('GRIDSHIFT_ATTEMPT')).toBe('2');
    expect(vars.get('GRIDSHIFT_LOAD_NAME')).toBe('nightly backup');
    expect(vars.get('GRIDSHIFT_ZONE')).toBe('DE');
    expect(vars.get('GRIDSHIFT_PLANNED_START')).toBe('2025-04-01T02:00:00.000Z');
    expect(vars.get('GRIDSHIFT_DEADLINE')).toBe('2025-04-01T08:00:00.000Z');
    expect(vars.get('BACKUP_SET')).toBe('photos');
    expect(vars.get('HOME')).toBe('/home/worker');
    expect(vars.get('LANG')).toBe('en_GB.UTF-8');
    expect(vars.has('DATABASE_URL')).toBe(false);
  });

  it('lets the target env override PATH but not the attempt variables', () => {
    const env = shellEnv(
      shell('true', { env: { PATH: '/opt/bin', GRIDSHIFT_ATTEMPT: '99' } }),
      context({ attempt: 1 }),
      { PATH: '/usr/bin' },
    );
    expect(env.PATH).toBe('/opt/bin');
    expect(env.GRIDSHIFT_ATTEMPT).toBe('1');
    expect(env.LANG).toBe('C.UTF-8');
  });

  it('runs in the working directory', async () => {
    const out = await runShell(shell('pwd -P'), context(), {});
    expect(out.outputTail?.trim()).not.toBe(realpathSync(work));
    const inWork = await runShell(shell('pwd -P', { cwd: work }), context());
    expect(inWork.outputTail?.trim()).toBe(realpathSync(work));
  });

  it('refuses a working directory that does not exist, naming it', async () => {
    const missing = join(work, 'no-such-dir');
    const out = await runShell(shell('true', { cwd: missing }), context());
    expect(out.ok).toBe(false);
    expect(out.exitCode).toBeNull();
    expect(out.error).toBe(`working directory ${missing} does not exist`);
  });

  it('runs an argv array without a shell: no expansion, arguments kept whole', async () => {
    const out = await runShell(shell(['/bin/echo', '$HOME', 'a b', '*']), context());
    expect(out.ok).toBe(true);
    expect(out.outputTail).toBe('$HOME a b *\n');
  });

  it('fails clearly when the program of an argv array does not exist', async () => {
    const out = await runShell(shell(['/no/such/program', 'x']), context());
    expect(out.ok).toBe(false);
    expect(out.exitCode).toBeNull();
    expect(out.error).toMatch(/could not start \/no\/such\/program: .*ENOENT/);
  });

  it('on timeout sends SIGTERM to the whole process group, children included', async () => {
    const pidFile = join(work, 'timeout.pid');
    const out = await runShell(shell([spawnChild, pidFile], { timeoutSec: 0.5 }), context());
    const childPid = pidFrom(pidFile);
    leftovers.push(childPid);
    expect(out.ok).toBe(false);
    expect(out.timedOut).toBe(true);
    expect(out.exitCode).toBeNull();
    expect(out.signal).toBe('SIGTERM');
    expect(out.error).toBe('timed out after 0.5 s, ended by SIGTERM');
    expect(out.outputTail).toBe('started\n');
    expect(await isGone(childPid)).toBe(true);
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const pidFile = join(work, 'stubborn.pid');
    const out = await runShell(shell([spawnChild, pidFile, 'ignore-term'], { timeoutSec: 0.3 }), context(), {
      killGraceMs: 300,
    });
    const childPid = pidFrom(pidFile);
    leftovers.push(childPid);
    expect(out.ok).toBe(false);
    expect(out.timedOut).toBe(true);
    expect(out.signal).toBe('SIGKILL');
    expect(await isGone(childPid)).toBe(true);
  });

  it('still sends SIGKILL after the grace period to a process that ignores SIGTERM and left the output pipes', async () => {
    const pidFile = join(work, 'detached-output.pid');
    const command = `(trap '' TERM; exec sleep 60) >/dev/null 2>&1 & echo $! > ${pidFile}; wait`;
    const out = await runShell(shell(command, { timeoutSec: 0.3 }), context(), { killGraceMs: 300 });
    const childPid = pidFrom(pidFile);
    leftovers.push(childPid);
    // the shell died of SIGTERM and nothing held its output: the outcome does not wait for the straggler
    expect(out.timedOut).toBe(true);
    expect(out.signal).toBe('SIGTERM');
    expect(await isGone(childPid, 5_000)).toBe(true);
  });

  it('uses the default limit from the options when the target has none', async () => {
    const out = await runShell(shell('sleep 30'), context(), { defaultTimeoutMs: 200 });
    expect(out.timedOut).toBe(true);
    expect(out.error).toBe('timed out after 0.2 s, ended by SIGTERM');
  });

  it('keeps only the last 4 KB of a 1 MB output', async () => {
    const command = "head -c 1048576 /dev/zero | tr '\\0' x; echo; echo tail-end >&2";
    const out = await runShell(shell(command), context());
    expect(out.ok).toBe(true);
    expect(out.outputBytes).toBe(1_048_576 + 1 + 9);
    expect(out.outputTail).toHaveLength(OUTPUT_TAIL_BYTES);
    expect(out.outputTail?.endsWith('x\ntail-end\n')).toBe(true);
    expect(out.outputTail?.startsWith('xxxx')).toBe(true);
  });

  it('stops a running command and its children when the signal is aborted', async () => {
    const pidFile = join(work, 'abort.pid');
    const controller = new AbortController();
    const running = runShell(shell([spawnChild, pidFile]), context({ signal: controller.signal }));
    // abort once the child is known to be running
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
      await new Promise((r) => setTimeout(r, 20));
    }
    const childPid = pidFrom(pidFile);
    leftovers.push(childPid);
    controller.abort();
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.aborted).toBe(true);
    expect(out.timedOut).toBeUndefined();
    expect(out.signal).toBe('SIGTERM');
    expect(out.error).toBe('aborted (shutdown or cancel), ended by SIGTERM');
    expect(await isGone(childPid)).toBe(true);
  });

  it('does not start a command when the signal is already aborted', async () => {
    const marker = join(work, 'never-created');
    const controller = new AbortController();
    controller.abort();
    const out = await runShell(shell(['touch', marker]), context({ signal: controller.signal }));
    expect(out.ok).toBe(false);
    expect(out.aborted).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('finishes when the command exits, even if a background process keeps its output open', async () => {
    const pidFile = join(work, 'background.pid');
    const out = await runShell(shell(`sleep 60 & echo $! > ${pidFile}; echo main done`), context());
    const background = pidFrom(pidFile);
    leftovers.push(background);
    expect(out.ok).toBe(true);
    expect(out.outputTail).toBe('main done\n');
    // the guard was released with the run: it leaves what the command left behind alone
    await new Promise((r) => setTimeout(r, 300));
    expect(isRunning(background)).toBe(true);
  });

  it('a command dies with the process that dispatched it (kill -9), children and SIGTERM-ignoring ones included', async () => {
    const pidFile = join(work, 'orphan.pid');
    const worker = spawn(
      join(root, 'node_modules', '.bin', 'node'),
      [join(fixtures, 'run-shell.ts'), JSON.stringify([spawnChild, pidFile, 'ignore-term'])],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let printed = '';
    worker.stdout?.on('data', (d) => (printed += d));
    while (
      !/group \d+\n/.test(printed) ||
      !existsSync(pidFile) ||
      readFileSync(pidFile, 'utf8').trim() === ''
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const leader = Number(/group (\d+)/.exec(printed)?.[1]);
    const childPid = pidFrom(pidFile);
    leftovers.push(leader, childPid);
    expect(isRunning(leader) && isRunning(childPid)).toBe(true);
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await exited;
    expect(await isGone(childPid, 5_000)).toBe(true);
    expect(await isGone(leader, 5_000)).toBe(true);
  });

  it('uses the planned start of the context, not the clock', async () => {
    const out = await runShell(
      shell('echo $GRIDSHIFT_PLANNED_START'),
      context({ plannedStartMs: T0 + 900_000 }),
    );
    expect(out.outputTail).toBe('2025-04-01T02:15:00.000Z\n');
  });
});
