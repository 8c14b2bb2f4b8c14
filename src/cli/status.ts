/**
 * `gridshift status`: is the scheduler running or paused, who serves it, when the planner ran and runs
 * next, and how many loads are in each state. `gridshift pause` and `gridshift resume` flip the switch
 * every process sharing the store obeys.
 */
import { Command } from 'commander';
import type { Readiness, SchedulerStatus } from '../client/index.ts';
import { LOAD_STATES } from '../core/load.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatTable } from './format.ts';
import { when } from './load-view.ts';
import { type AccessOptions, accessOptions, type SchedulerAccess, withAccess } from './scheduler-access.ts';

type StatusAccess = Pick<SchedulerAccess, 'kind' | 'where' | 'store'>;

function servedBy(access: StatusAccess, ready: Readiness | undefined): string {
  if (access.kind === 'server') {
    const failing = ready?.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? 'failing'}`);
    const readiness = ready
      ? ready.status === 'ready'
        ? 'ready'
        : `not ready (${failing?.join('; ')})`
      : '';
    return `${access.where}${readiness ? `: ${readiness}` : ''}`;
  }
  if (access.kind === 'embedded') return 'no server: this command reads the store directly';
  return 'this command reads the database directly; workers are the `gridshift serve` and `gridshift worker` processes on it';
}

/**
 * Whether loads are dispatched: by a server when one answers; on the embedded store without one, by no
 * process at all; on PostgreSQL read directly, by whatever workers run on it (not visible from here).
 */
function schedulerLine(status: SchedulerStatus, kind: SchedulerAccess['kind'], tz: string): string {
  const paused = status.paused
    ? `paused since ${when(status.pausedAt, tz)}${status.pausedReason ? ` (${status.pausedReason})` : ''}`
    : '';
  if (kind === 'embedded')
    return `Scheduler: not running (no \`gridshift serve\` on this store: nothing is dispatched until one starts)${paused ? `; ${paused}` : ''}`;
  if (paused) return `Scheduler: ${paused}; nothing new is dispatched`;
  return kind === 'server' ? 'Scheduler: running' : 'Scheduler: not paused';
}

export function statusLines(
  status: SchedulerStatus,
  access: StatusAccess,
  ready: Readiness | undefined,
  tz: string,
): string[] {
  const lines: string[] = [schedulerLine(status, access.kind, tz)];
  if (access.store) lines.push(`Store:     ${access.store}`);
  lines.push(`Served by: ${servedBy(access, ready)}`);
  if (access.kind === 'server' && status.roles.length) lines.push(`Roles:     ${status.roles.join(', ')}`);
  // on the embedded store without a server no process plans: the recorded next run is not going to happen
  const next = status.paused
    ? '(paused)'
    : access.kind === 'embedded'
      ? 'once `gridshift serve` runs'
      : when(status.nextPlannerRun, tz);
  lines.push(`Planner:   last run ${when(status.lastPlannerRun, tz)}, next run ${next} (${tz})`);
  const rows = LOAD_STATES.map((s) => [s, String(status.loads[s] ?? 0)]);
  lines.push('');
  lines.push(formatTable(rows, { header: ['STATE', 'LOADS'], align: ['left', 'right'] }));
  return lines;
}

async function status(cli: Cli, opts: AccessOptions, globals: GlobalOptions): Promise<void> {
  await withAccess(cli, globals, opts, async (access) => {
    const s = await access.scheduler.status();
    const ready = access.health ? await access.health.ready().catch(() => undefined) : undefined;
    if (globals.json)
      return cli.printJson({
        ...s,
        servedBy: {
          kind: access.kind,
          where: access.where,
          ...(access.store ? { store: access.store } : {}),
          ...(ready ? { readiness: ready } : {}),
        },
      });
    for (const line of statusLines(s, access, ready, cli.timeZone(globals))) cli.print(line);
  });
}

async function pause(
  cli: Cli,
  opts: AccessOptions & { reason?: string },
  globals: GlobalOptions,
): Promise<void> {
  await withAccess(cli, globals, opts, async (access) => {
    const s = await access.scheduler.pause(opts.reason ? { reason: opts.reason } : {});
    if (globals.json) return cli.printJson(s);
    cli.print(
      `Scheduler paused${s.pausedReason ? ` (${s.pausedReason})` : ''}: no process dispatches anything new until ` +
        '`gridshift resume`; running loads finish, due loads wait (even past their deadlines).',
    );
  });
}

async function resume(cli: Cli, opts: AccessOptions, globals: GlobalOptions): Promise<void> {
  await withAccess(cli, globals, opts, async (access) => {
    const s = await access.scheduler.resume();
    if (globals.json) return cli.printJson(s);
    const due = s.loads.waiting ?? 0;
    cli.print(
      `Scheduler running again; ${due} waiting load${due === 1 ? '' : 's'} (those already due start now).`,
    );
  });
}

export function statusCommand(cli: Cli): Command {
  return accessOptions(
    new Command('status').description('the scheduler: running or paused, planner runs, loads by state'),
  ).action(async (opts: AccessOptions, cmd: Command) => status(cli, opts, globalsOf(cmd)));
}

export function pauseCommand(cli: Cli): Command {
  return accessOptions(
    new Command('pause')
      .description('pause the scheduler: nothing new is dispatched, by any process, until resumed (admin)')
      .option('--reason <text>', 'why (shown in status, kept in the audit log)'),
  ).action(async (opts: AccessOptions & { reason?: string }, cmd: Command) =>
    pause(cli, opts, globalsOf(cmd)),
  );
}

export function resumeCommand(cli: Cli): Command {
  return accessOptions(new Command('resume').description('resume a paused scheduler (admin)')).action(
    async (opts: AccessOptions, cmd: Command) => resume(cli, opts, globalsOf(cmd)),
  );
}
