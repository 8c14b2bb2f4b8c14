import { readdirSync, readFileSync } from 'node:fs';

/** Whether a process with this id runs (one of another user's counts: signalling it is refused, not failed). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The fields of /proc/<pid>/stat after the command name (field 3 on), or null without it (gone, not Linux). */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * When a process started, in clock ticks after boot (field 22 of /proc/<pid>/stat), or null when it is gone
 * or the system has no /proc. With the pid it names one process: a pid used again later starts later.
 */
export function processStartTicks(pid: number): number | null {
  const fields = procStat(pid);
  const ticks = fields ? Number(fields[19]) : Number.NaN;
  return Number.isFinite(ticks) ? ticks : null;
}

/** This boot of the machine (start times in ticks compare only within one), or null without /proc. */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Whether process `pid` is the one that started at `startTicks` and still runs. */
export function isSameProcess(pid: number, startTicks: number | null): boolean {
  return startTicks !== null && processStartTicks(pid) === startTicks && isProcessAlive(pid);
}

/**
 * Kills (SIGKILL) what is left of process group `pgid`, whose leader started at `leaderStartTicks`, and
 * returns how many processes it signalled. A pid used again by an unrelated process is left alone: the
 * leader must still be the one recorded; once the leader is gone, the members of its group that started
 * after it are killed one by one (found in /proc). Without /proc nothing can be checked and nothing is done.
 */
export function endProcessGroup(pgid: number, leaderStartTicks: number | null): number {
  if (leaderStartTicks === null || !(Number.isInteger(pgid) && pgid > 1)) return 0;
  const leaderTicks = processStartTicks(pgid);
  if (leaderTicks !== null) {
    if (leaderTicks !== leaderStartTicks) return 0; // the pid belongs to another process now
    return signal(-pgid) ? 1 : 0;
  }
  let killed = 0;
  for (const entry of safeReaddir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const fields = procStat(pid);
    // field 5 is the process group, field 22 the start time
    if (!fields || Number(fields[2]) !== pgid || Number(fields[19]) < leaderStartTicks) continue;
    if (signal(pid)) killed++;
  }
  return killed;
}

function signal(target: number): boolean {
  try {
    process.kill(target, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
