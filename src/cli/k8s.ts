/**
 * `gridshift k8s controller`: the Kubernetes controller on its own (node taints and replica caps from the
 * `kubernetes.controller` configuration), with `--once` for one round and `--dry-run` to change nothing.
 * It writes its decisions into the store's decision log: PostgreSQL with DATABASE_URL, else the embedded
 * store, which a running `gridshift serve` holds (then run the controller in it: `serve --k8s-controller`).
 */
import { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import type { RoundResult } from '../integrations/kubernetes/controller.ts';
import { buildController, controllerConfigOf } from '../integrations/kubernetes/start.ts';
import type { Store } from '../store/db.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { dataDirOf } from './scheduler-access.ts';
import { durationMs, logTo, periodText } from './serve.ts';
import { liveServer } from './server-file.ts';
import { registryFor } from './signal-access.ts';

interface ControllerOptions {
  once?: boolean;
  dryRun?: boolean;
  interval?: string;
  dataDir?: string;
}

const fmt = (v: number | null, unit = '') =>
  v === null ? 'unknown' : `${Math.round(v * 1000) / 1000}${unit}`;

/** A round for people: what each zone read, then each change (or would-be change) and each held one. */
export function roundText(r: RoundResult): string[] {
  const lines = [`${r.at}${r.dryRun ? ' (dry run: nothing is changed)' : ''}`];
  for (const z of r.readings)
    lines.push(
      `  ${z.zone}: carbon ${fmt(z.carbon, ' g/kWh')}, price ${fmt(z.price)}${z.currency ? ` ${z.currency}/kWh` : ''}, ` +
        `${z.clean === null ? 'clean unknown' : z.clean ? 'clean' : 'not clean'}` +
        `${z.carbonSource ? ` (${z.carbonSource})` : ''}`,
    );
  for (const c of r.changes)
    lines.push(`  ${r.dryRun ? `would ${c.kind}` : c.kind} ${c.object} [${c.by}]: ${c.reason}`);
  for (const h of r.held) lines.push(`  held ${h.object} [${h.by}]: ${h.reason}`);
  if (r.changes.length === 0 && r.held.length === 0 && r.errors.length === 0) lines.push('  no change');
  return lines;
}

async function openControllerStore(cli: Cli, dataDir: string | undefined): Promise<Store> {
  const { openStore } = await import('../store/db.ts');
  const databaseUrl = cli.io.env.DATABASE_URL?.trim();
  if (databaseUrl) return openStore({ databaseUrl });
  const dir = await dataDirOf(cli, dataDir);
  const running = liveServer(dir);
  if (running)
    throw new InputError(
      `a gridshift server (process ${running.pid}) holds the embedded store in ${dir}: run the controller in it ` +
        '(gridshift serve --k8s-controller), or use PostgreSQL (DATABASE_URL) to run it on its own',
    );
  return openStore({ dataDir: dir });
}

async function controller(cli: Cli, opts: ControllerOptions, globals: GlobalOptions): Promise<void> {
  const config = cli.config(globals);
  const settings = controllerConfigOf(config);
  const intervalMs = opts.interval ? durationMs(opts.interval, '--interval', 5000) : settings.intervalMs;
  const dryRun = opts.dryRun === true ? true : undefined;
  const log = logTo(cli, globals);
  const store = await openControllerStore(cli, opts.dataDir);
  try {
    const ctl = await buildController(config, registryFor(cli, globals), store, {
      ...(dryRun ? { dryRun } : {}),
      log,
      env: cli.io.env as NodeJS.ProcessEnv,
    });
    const show = (r: RoundResult) => {
      if (globals.json) cli.io.stdout.write(`${JSON.stringify(r)}\n`);
      else for (const line of roundText(r)) cli.print(line);
      for (const e of r.errors) cli.io.stderr.write(`gridshift warn: ${e}\n`);
    };
    if (opts.once) {
      const r = await ctl.round(cli.nowMs(globals));
      show(r);
      if (r.errors.length > 0) throw new Error(`${r.errors.length} of the round's steps failed (see above)`);
      return;
    }
    const { runController } = await import('../integrations/kubernetes/controller.ts');
    if (!globals.json)
      cli.print(
        `gridshift k8s controller: a round every ${periodText(intervalMs)}${(dryRun ?? settings.dryRun) ? ', dry run' : ''}; stop with Ctrl-C or SIGTERM`,
      );
    const running = runController(ctl, { intervalMs, now: () => cli.nowMs(globals), onRound: show });
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await running.stop();
  } finally {
    await store.close();
  }
}

export function k8sCommand(cli: Cli): Command {
  const k8s = new Command('k8s').description('Kubernetes: node taints and replica caps by grid signal');
  k8s.addCommand(
    new Command('controller')
      .description('taint nodes and cap replicas by the configured rules (kubernetes.controller)')
      .option('--once', 'run one round, print it and exit (1 when a step failed)')
      .option('--dry-run', 'change nothing in the cluster; log what would change')
      .option('--interval <d>', 'time between rounds (default kubernetes.controller.interval, 1m)')
      .option('--data-dir <dir>', 'embedded store for the decision log, without DATABASE_URL')
      .action(async (opts: ControllerOptions, cmd: Command) => controller(cli, opts, globalsOf(cmd))),
  );
  return k8s;
}
