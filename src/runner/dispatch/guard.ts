import { spawn } from 'node:child_process';

/**
 * A guard for a command's process group: a tiny shell, child of the worker, that reads one line from a pipe
 * the worker holds. The worker writes `release` when the run is over; when the worker dies instead (kill -9,
 * a crash, the OOM killer), the kernel closes the pipe, the read ends without that line, and the guard kills
 * the whole group. So a command never outlives its worker to be started again by another one.
 *
 * The guard has a session of its own (a terminal's Ctrl-C does not reach it) and ignores the signals that
 * stop a service gracefully: while its worker lives, only its worker ends it.
 */

// `kill -9 -PGID`: the one spelling of "signal the group" that dash, bash and zsh all accept
const GUARD_SCRIPT = `trap '' INT TERM HUP
IFS= read -r line
[ "$line" = release ] || kill -9 "-$1" 2>/dev/null
exit 0`;

export interface GroupGuard {
  /** the guard's own process id */
  readonly pid: number | undefined;
  /** the run is over: the guard exits and leaves the group alone */
  release(): void;
}

/** Starts a guard that kills process group `pgid` when this process dies before releasing it. */
export function guardGroup(pgid: number): GroupGuard {
  const guard = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'gridshift-guard', String(pgid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // a guard that could not start or was killed by someone else: the recorded group is ended on restart
  guard.on('error', () => {});
  guard.stdin?.on('error', () => {});
  let released = false;
  return {
    pid: guard.pid,
    release() {
      if (released) return;
      released = true;
      guard.stdin?.end('release\n');
    },
  };
}
