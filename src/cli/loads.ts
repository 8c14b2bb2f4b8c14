/**
 * `gridshift loads` (alias `jobs`): list loads, show one with its timeline and accounting, and the operator
 * actions cancel, run-now, retry and purge. Through a server or directly on the store.
 */
import { Command } from 'commander';
import type { LoadDetail, LoadState } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDuration } from '../core/human-time.ts';
import { LOAD_STATES } from '../core/load.ts';
import { resolveZone } from '../core/zones.ts';
import { FINAL_STATES } from '../store/loads.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { LoadEndedError } from './errors.ts';
import {
  accountingLines,
  eventLine,
  lastOutputLines,
  loadDetailLines,
  loadHeaderLines,
  loadTable,
  when,
} from './load-view.ts';
import { parsePositive } from './quantities.ts';
import { type AccessOptions, accessOptions, withAccess } from './scheduler-access.ts';

interface ListOptions extends AccessOptions {
  state?: string[];
  tag?: string;
  zone?: string;
  limit: string;
  cursor?: string;
}

/** `--state waiting,running` or `--state waiting --state running`, each checked. */
export function parseStates(values: string[] | undefined): LoadState[] | undefined {
  if (!values?.length) return undefined;
  const states = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const s of states) {
    if (!(LOAD_STATES as readonly string[]).includes(s))
      throw new InputError(`--state: "${s}" is not a load state (${LOAD_STATES.join(', ')})`);
  }
  return states as LoadState[];
}

async function list(cli: Cli, opts: ListOptions, globals: GlobalOptions): Promise<void> {
  const state = parseStates(opts.state);
  const limit = parsePositive(opts.limit, '--limit', { integer: true });
  if (limit > 1000) throw new InputError(`--limit: at most 1000, got ${limit}`);
  await withAccess(cli, globals, opts, async (access) => {
    const page = await access.loads.list({
      ...(state ? { state } : {}),
      ...(opts.tag ? { tag: opts.tag } : {}),
      ...(opts.zone ? { zone: opts.zone } : {}),
      ...(opts.cursor ? { cursor: opts.cursor } : {}),
      limit,
    });
    if (globals.json) return cli.printJson(page);
    if (page.loads.length === 0) {
      cli.print(opts.cursor ? 'No more loads.' : 'No loads match.');
      return;
    }
    const tz = cli.timeZone(globals);
    cli.print(loadTable(page.loads, tz));
    cli.print();
    cli.print(
      `Times in ${tz}.${page.nextCursor ? ` More: gridshift loads list --cursor ${page.nextCursor}` : ''}`,
    );
  });
}

interface ShowOptions extends AccessOptions {
  watch?: boolean;
  interval: string;
}

/** How long `--watch` waits for the accounting that follows a run that succeeded. */
const ACCOUNTING_WAIT_MS = 30_000;

async function show(cli: Cli, id: string, opts: ShowOptions, globals: GlobalOptions): Promise<void> {
  const intervalMs = parseDuration(opts.interval, '--interval') * 60_000;
  if (!(intervalMs >= 99.9)) throw new InputError('--interval: at least 0.1s, e.g. 2s');
  await withAccess(cli, globals, opts, async (access) => {
    const detail = await access.loads.get(id);
    const tz = cli.timeZone(globals, homeTimeZone(detail.load.zones[0] ?? detail.load.cloudRegion));
    if (opts.watch) return watch(cli, () => access.loads.get(id), detail, tz, intervalMs, globals.json);
    if (globals.json) return cli.printJson(detail);
    for (const line of loadDetailLines(detail, tz)) cli.print(line);
  });
}

/**
 * `loads show --watch`: the load, then each state change as `get` shows it, until the load has ended; then
 * its output and accounting (or, with `json`, the final detail). Throws LoadEndedError unless it succeeded.
 */
async function watch(
  cli: Cli,
  get: () => Promise<LoadDetail>,
  first: LoadDetail,
  tz: string,
  intervalMs: number,
  json: boolean | undefined,
): Promise<void> {
  const sleep = () => new Promise((r) => setTimeout(r, intervalMs));
  let detail = first;
  if (!json) {
    for (const line of loadHeaderLines(detail, tz)) cli.print(line);
    cli.print('');
    cli.print('Timeline (watching until the load ends; Ctrl-C stops watching, not the load):');
  }
  let shown = 0;
  for (;;) {
    if (!json) for (const e of detail.events.slice(shown)) cli.print(eventLine(e, tz));
    shown = detail.events.length;
    if (FINAL_STATES.includes(detail.load.state)) break;
    await sleep();
    detail = await get();
  }
  // a load that succeeded is accounted just after its run
  const until = Date.now() + ACCOUNTING_WAIT_MS;
  while (detail.load.state === 'succeeded' && !detail.accounting && Date.now() < until) {
    await sleep();
    detail = await get();
  }
  if (json) cli.printJson(detail);
  else {
    for (const line of lastOutputLines(detail.events)) cli.print(line);
    cli.print('');
    for (const line of accountingLines(detail.accounting, detail.load.state)) cli.print(line);
  }
  if (detail.load.state !== 'succeeded') {
    const why = detail.load.lastError ? `: ${detail.load.lastError}` : '';
    throw new LoadEndedError(`load ${detail.load.id} ended ${detail.load.state}${why}`);
  }
}

/** The time zone of a load's home zone (its times read best there), if it is known. */
function homeTimeZone(zone: string | null | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    return resolveZone(zone).timeZone;
  } catch {
    return undefined;
  }
}

type Action = 'cancel' | 'run-now' | 'retry';

async function act(
  cli: Cli,
  action: Action,
  id: string,
  opts: AccessOptions & { reason?: string },
  globals: GlobalOptions,
): Promise<void> {
  await withAccess(cli, globals, opts, async (access) => {
    const { load } =
      action === 'cancel'
        ? await access.loads.cancel(id, opts.reason ? { reason: opts.reason } : {})
        : action === 'run-now'
          ? await access.loads.runNow(id)
          : await access.loads.retry(id);
    if (globals.json) return cli.printJson({ load });
    const tz = cli.timeZone(globals, homeTimeZone(load.zones[0] ?? load.cloudRegion));
    const due =
      load.plannedStart === null
        ? ''
        : Date.parse(load.plannedStart) <= cli.nowMs(globals)
          ? ', due now'
          : `, due ${when(load.plannedStart, tz)} (${tz})`;
    cli.print(
      `Load ${load.id} ("${load.name}"): ${action === 'cancel' ? 'cancelled' : `${load.state}${due}`}`,
    );
  });
}

async function purge(
  cli: Cli,
  opts: AccessOptions & { olderThan: string },
  globals: GlobalOptions,
): Promise<void> {
  const minutes = parseDuration(opts.olderThan, '--older-than');
  if (!(minutes > 0)) throw new InputError(`--older-than: must be longer than 0, got "${opts.olderThan}"`);
  await withAccess(cli, globals, opts, async (access) => {
    const { purged } = await access.loads.purge({ olderThanDays: minutes / 1440 });
    if (globals.json) return cli.printJson({ purged });
    cli.print(
      `Purged ${purged} finished load${purged === 1 ? '' : 's'} last changed more than ${opts.olderThan} ago ` +
        '(their decisions stay in the audit log, their accounting in reports).',
    );
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function loadsCommand(cli: Cli): Command {
  const loads = new Command('loads')
    .alias('jobs')
    .description('list loads, show one, cancel, run now, retry, purge');

  loads.addCommand(
    accessOptions(
      new Command('list')
        .description('loads, newest first')
        .option(
          '--state <state>',
          `only loads in this state (${LOAD_STATES.join(', ')}); repeat or comma-separate`,
          collect,
        )
        .option('--tag <tag>', 'only loads with this tag')
        .option('--zone <zone>', 'only loads that may run in this zone')
        .option('--limit <n>', 'how many', '20')
        .option('--cursor <cursor>', 'the next page (printed under a full page)'),
    ).action(async (opts: ListOptions, cmd: Command) => list(cli, opts, globalsOf(cmd))),
    { isDefault: true },
  );

  loads.addCommand(
    accessOptions(
      new Command('show')
        .description('a load: its plan, its timeline and what it saved')
        .argument('<id>', 'load id')
        .option(
          '--watch',
          'print its state changes as they happen, until it ends (exit 5 unless it succeeds)',
        )
        .option('--interval <d>', '--watch: how often to look', '2s'),
    ).action(async (id: string, opts: ShowOptions, cmd: Command) => show(cli, id, opts, globalsOf(cmd))),
  );

  const actions: [Action, string][] = [
    ['cancel', 'cancel a load that has not finished (a running one is stopped)'],
    ['run-now', 'run a planned or waiting load now instead of at its planned start'],
    ['retry', 'give a dead load a new attempt now'],
  ];
  for (const [action, description] of actions) {
    const sub = new Command(action).description(description).argument('<id>', 'load id');
    if (action === 'cancel') sub.option('--reason <text>', 'why (kept in the audit log)');
    loads.addCommand(
      accessOptions(sub).action(async (id: string, opts: AccessOptions & { reason?: string }, cmd: Command) =>
        act(cli, action, id, opts, globalsOf(cmd)),
      ),
    );
  }

  loads.addCommand(
    accessOptions(
      new Command('purge')
        .description('delete finished loads (succeeded, dead, cancelled) older than a cutoff (admin)')
        .requiredOption('--older-than <d>', 'last changed longer ago than this, e.g. 30d, 12h'),
    ).action(async (opts: AccessOptions & { olderThan: string }, cmd: Command) =>
      purge(cli, opts, globalsOf(cmd)),
    ),
  );
  return loads;
}
