/**
 * `gridshift worker`: a process that runs loads (and, unless told not to, takes its turn at planning) on
 * the PostgreSQL database that `gridshift serve` and the other workers share. Not on the embedded store,
 * which serves one process: there `gridshift serve` runs the worker itself.
 */
import { Command, Option } from 'commander';
import { InputError } from '../core/errors.ts';
import type { Role } from '../runner/context.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { parsePositive } from './quantities.ts';
import { durationMs, logTo, periodText } from './serve.ts';
import { registryFor } from './signal-access.ts';

interface WorkerOptions {
  concurrency: string;
  /** false with --no-planner */
  planner: boolean;
  plannerInterval: string;
  grace: string;
  /** accepted only to refuse it clearly: a worker never opens the embedded store */
  dataDir?: string;
}

const NEEDS_POSTGRES =
  'gridshift worker needs PostgreSQL: set DATABASE_URL=postgres://user:password@host:5432/database. ' +
  'The embedded store serves one process, so separate workers cannot share it; ' +
  'on one machine `gridshift serve` runs the worker itself (see docs/deployment.md)';

async function worker(cli: Cli, opts: WorkerOptions, globals: GlobalOptions): Promise<void> {
  if (opts.dataDir !== undefined) throw new InputError(`--data-dir: ${NEEDS_POSTGRES}`);
  const databaseUrl = cli.io.env.DATABASE_URL?.trim();
  if (!databaseUrl) throw new InputError(NEEDS_POSTGRES);
  const concurrency = parsePositive(opts.concurrency, '--concurrency', { integer: true });
  const plannerIntervalMs = durationMs(opts.plannerInterval, '--planner-interval');
  const graceMs = durationMs(opts.grace, '--grace', 0);
  const roles: Role[] = ['worker', ...(opts.planner ? (['planner'] as const) : [])];
  const [{ startService }, { createAccounting }, { redactUrl }] = await Promise.all([
    import('../runner/process.ts'),
    import('../accounting/ledger.ts'),
    import('../store/db.ts'),
  ]);
  const service = await startService({
    accounting: createAccounting,
    store: { databaseUrl },
    config: cli.config(globals),
    registry: registryFor(cli, globals),
    roles,
    concurrency,
    plannerIntervalMs,
    graceMs,
    log: logTo(cli, globals),
  });
  const where = redactUrl(databaseUrl);
  if (globals.json)
    cli.printJson({ pid: process.pid, store: { kind: 'postgres', url: where }, roles, concurrency });
  else {
    cli.print(
      `gridshift worker (process ${process.pid}) running up to ${concurrency} loads at once on PostgreSQL at ${where}`,
    );
    cli.print(
      `Roles: ${roles.join(', ')}${opts.planner ? ` (planner every ${periodText(plannerIntervalMs)})` : ''}`,
    );
    cli.print(`Stop with SIGTERM: running loads get ${periodText(graceMs)} to finish.`);
  }
  await service.stopped;
}

export function workerCommand(cli: Cli): Command {
  return new Command('worker')
    .description('run loads from the shared PostgreSQL database (DATABASE_URL); start any number of them')
    .option('--concurrency <n>', 'loads run at once by this process', '4')
    .option('--no-planner', 'do not take part in planner runs (run loads only)')
    .option('--planner-interval <d>', 'how often the planner runs in this process', '5m')
    .option('--grace <d>', 'on SIGTERM, how long running loads may go on', '30s')
    .addOption(new Option('--data-dir <dir>', 'refused: a worker uses PostgreSQL only').hideHelp())
    .action(async (opts: WorkerOptions, cmd: Command) => worker(cli, opts, globalsOf(cmd)));
}
