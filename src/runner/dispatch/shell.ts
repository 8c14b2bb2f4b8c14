import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { guardGroup } from './guard.ts';
import { TailBuffer } from './tail.ts';
import type { DispatchContext, DispatchOutcome, ShellTarget } from './types.ts';

export interface ShellOptions {
  /** time between SIGTERM and SIGKILL when a run is stopped (default 5 s) */
  killGraceMs?: number;
  /** limit for targets without `timeoutSec` (default 24 h); the worker passes one that ends before the job expires */
  defaultTimeoutMs?: number;
  /** where PATH, HOME and LANG are taken from (default process.env) */
  parentEnv?: NodeJS.ProcessEnv;
}

export const DEFAULT_SHELL_TIMEOUT_MS = 24 * 3_600_000;
const DEFAULT_KILL_GRACE_MS = 5_000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** how long output of background processes is still read after the command itself exited */
const DRAIN_MS = 500;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The environment a command runs with: only PATH, HOME and LANG from the worker's own environment (so the
 * worker's secrets, such as DATABASE_URL, do not leak into loads), the target's `env`, and the GRIDSHIFT_*
 * variables describing the attempt, which the target cannot override.
 */
export function shellEnv(
  target: ShellTarget,
  ctx: DispatchContext,
  parentEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  return {
    PATH: parentEnv.PATH ?? DEFAULT_PATH,
    HOME: parentEnv.HOME ?? homedir(),
    LANG: parentEnv.LANG ?? 'C.UTF-8',
    ...target.env,
    GRIDSHIFT_LOAD_ID: ctx.loadId,
    GRIDSHIFT_ATTEMPT: String(ctx.attempt),
    GRIDSHIFT_LOAD_NAME: ctx.name,
    GRIDSHIFT_ZONE: ctx.zone,
    GRIDSHIFT_PLANNED_START: new Date(ctx.plannedStartMs).toISOString(),
    GRIDSHIFT_DEADLINE: new Date(ctx.deadlineMs).toISOString(),
  };
}

/**
 * Runs a shell target: a string through `/bin/sh -c`, an argv array directly (no shell, no expansion).
 * The command gets its own process group, so a timeout or abort (SIGTERM, then SIGKILL after the grace
 * period) reaches every process it started, and a guard kills that group should this process die while
 * the command runs (guard.ts). Succeeds when the command exits with code 0 in time.
 */
export async function runShell(
  target: ShellTarget,
  ctx: DispatchContext,
  options: ShellOptions = {},
): Promise<DispatchOutcome> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  const notStarted = (error: string, extra: Partial<DispatchOutcome> = {}): DispatchOutcome => ({
    ok: false,
    durationMs: elapsedMs(),
    exitCode: null,
    signal: null,
    error,
    ...extra,
  });

  if (ctx.signal.aborted) return notStarted('aborted before the command started', { aborted: true });
  if (target.cwd !== undefined) {
    const dir = await stat(target.cwd).catch(() => null);
    if (!dir?.isDirectory()) return notStarted(`working directory ${target.cwd} does not exist`);
  }

  const timeoutMs = target.timeoutSec !== undefined ? target.timeoutSec * 1000 : options.defaultTimeoutMs;
  // setTimeout fires at once for delays past 2^31-1 ms (24.8 days): cap instead
  const limitMs = Math.min(timeoutMs ?? DEFAULT_SHELL_TIMEOUT_MS, MAX_TIMER_MS);
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const [file, args] =
    typeof target.command === 'string'
      ? ['/bin/sh', ['-c', target.command]]
      : [target.command[0], target.command.slice(1)];

  const child = spawn(file, args, {
    cwd: target.cwd,
    env: shellEnv(target, ctx, options.parentEnv),
    // a new session and process group led by the child: kill(-pid) then reaches its children too
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = child.pid === undefined ? undefined : guardGroup(child.pid);
  if (child.pid !== undefined) ctx.onProcessGroup?.(child.pid);
  const tail = new TailBuffer();
  child.stdout.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));

  return new Promise<DispatchOutcome>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    let timedOut = false;
    let aborted = false;
    let stopping = false;
    let killSent = false;
    let drainedAfterKill = false;
    let killTimer: NodeJS.Timeout | undefined;
    let pipesClosed = false;
    let done = false;
    const timers: NodeJS.Timeout[] = [];

    const signalGroup = (sig: NodeJS.Signals | 0): boolean => {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, sig);
        return true;
      } catch (err) {
        // ESRCH: nobody left in the group; EPERM: someone is, but not ours to signal any more
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    };

    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      if (killTimer && !killSent && !signalGroup(0)) {
        clearTimeout(killTimer);
        killTimer = undefined;
      }
      // a SIGKILL still to come (a process that ignores SIGTERM holds the group) keeps the guard until sent
      if (!killTimer || killSent) guard?.release();
      ctx.signal.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(outcome());
    };

    // once stopping, the run is over when the leader has exited and nothing holds its output open any
    // more, or shortly after SIGKILL went out at the end of the grace period
    const settleStopped = () => {
      if (!done && exit && (pipesClosed || drainedAfterKill)) finish();
    };

    const stop = () => {
      if (stopping || done) return;
      stopping = true;
      signalGroup('SIGTERM');
      // finish leaves this timer running while the group exists: a process that closed its output but
      // ignores SIGTERM still gets SIGKILL
      killTimer = setTimeout(() => {
        signalGroup('SIGKILL');
        killSent = true;
        guard?.release();
        // the pipes close as the killed processes die; one that left the group yet holds them is not waited for
        const drained = setTimeout(() => {
          drainedAfterKill = true;
          settleStopped();
        }, DRAIN_MS);
        drained.unref();
        timers.push(drained);
      }, graceMs);
      killTimer.unref();
    };

    function onAbort() {
      aborted = true;
      stop();
    }

    function outcome(): DispatchOutcome {
      const exitCode = exit?.code ?? null;
      const signal = exit?.signal ?? null;
      const ok = !spawnError && !timedOut && !aborted && exitCode === 0;
      const result: DispatchOutcome = {
        ok,
        durationMs: elapsedMs(),
        exitCode,
        signal,
        outputTail: tail.text(),
        outputBytes: tail.totalBytes,
      };
      if (timedOut) result.timedOut = true;
      if (aborted) result.aborted = true;
      if (spawnError) result.error = `could not start ${file}: ${spawnError.message}`;
      else if (timedOut)
        result.error = `timed out after ${limitMs / 1000} s${signal ? `, ended by ${signal}` : ''}`;
      else if (aborted) result.error = `aborted (shutdown or cancel)${signal ? `, ended by ${signal}` : ''}`;
      else if (signal) result.error = `killed by ${signal}`;
      else if (exitCode !== 0) result.error = `exited with code ${exitCode}`;
      return result;
    }

    child.on('error', (err) => {
      // also emitted when a kill fails; only a failed spawn (no pid) ends the run
      if (child.pid === undefined) {
        spawnError = err;
        finish();
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (stopping) settleStopped();
      // background processes may keep the pipes open: read what they still write, briefly
      else timers.push(setTimeout(finish, DRAIN_MS));
    });
    child.on('close', () => {
      pipesClosed = true;
      if (stopping) settleStopped();
      else finish();
    });

    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, limitMs),
    );
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}
