/**
 * `gridshift serve`: one process with the API, a worker and the planner, on the embedded store (a data
 * directory) or on PostgreSQL (DATABASE_URL). On the embedded store it writes `server.json` into the data
 * directory so that CLI commands on this machine use its API (the store serves one process), and removes
 * it when it stops. SIGTERM and SIGINT drain: the API closes, running loads get the grace period, then the
 * queue and the store close.
 */
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { parseDuration } from '../core/human-time.ts';
import { MINUTE_MS } from '../core/time.ts';
import { VERSION } from '../core/version.ts';
import { controllerConfigOf } from '../integrations/kubernetes/start.ts';
import type { Role } from '../runner/context.ts';
import type { Store } from '../store/db.ts';
import { createToken, listTokens, revokeToken } from '../store/tokens.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatDuration } from './format.ts';
import { parsePositive } from './quantities.ts';
import { dataDirOf, serversDirOf } from './scheduler-access.ts';
import { LOCAL_TOKEN_NAME, liveServer, removeServerFile, writeServerFile } from './server-file.ts';
import { registryFor } from './signal-access.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

interface ServeOptions {
  host: string;
  port: string;
  dataDir?: string;
  openRead?: boolean;
  /** false with --no-worker */
  worker: boolean;
  concurrency: string;
  plannerInterval: string;
  grace: string;
  step: string;
  logLevel?: string;
  k8sController?: boolean;
}

/** A port number 0..65535 (0: any free port). */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InputError(`--port: "${text}" is not a port number (0..65535; 0 picks a free one)`);
  return port;
}

/** A duration option in milliseconds, at least `minMs`. */
export function durationMs(text: string, what: string, minMs = 1000): number {
  const ms = parseDuration(text, what) * 60_000;
  if (!(ms >= minMs)) throw new InputError(`${what}: must be at least ${minMs / 1000} s, got "${text}"`);
  return ms;
}

/** Where this machine reaches a server listening on `address` (a wildcard address is reached on loopback). */
export function localUrl(address: AddressInfo): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** Scheduler messages to stderr: warnings and errors, the drain notice, and everything with --verbose. */
export function logTo(cli: Cli, globals: GlobalOptions) {
  return (level: string, message: string, data?: Record<string, unknown>) => {
    if (level === 'info' && !globals.verbose && !/draining/.test(message)) return;
    const label = level === 'info' ? 'gridshift' : `gridshift ${level}`;
    cli.io.stderr.write(`${label}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
  };
}

/** A grace period or interval for people: `30s`, `5m`. */
export function periodText(ms: number): string {
  return formatDuration(ms / MINUTE_MS);
}

/**
 * The local CLI's token (embedded store only): tokens of earlier runs that did not stop cleanly are revoked
 * first. Returns the secret, its id and whether any other live token exists.
 */
async function localToken(store: Store): Promise<{ secret: string; id: string; othersLive: number }> {
  const tokens = await listTokens(store);
  for (const t of tokens)
    if (t.name === LOCAL_TOKEN_NAME && t.revokedMs === null) await revokeToken(store, t.id);
  const othersLive = tokens.filter((t) => t.revokedMs === null && t.name !== LOCAL_TOKEN_NAME).length;
  const { token, secret } = await createToken(store, { name: LOCAL_TOKEN_NAME, scopes: ['admin'] });
  return { secret, id: token.id, othersLive };
}

async function serve(cli: Cli, opts: ServeOptions, globals: GlobalOptions): Promise<void> {
  const port = parsePort(opts.port);
  const concurrency = parsePositive(opts.concurrency, '--concurrency', { integer: true });
  const plannerIntervalMs = durationMs(opts.plannerInterval, '--planner-interval');
  const graceMs = durationMs(opts.grace, '--grace', 0);
  const stepMin = parsePositive(opts.step, '--step', { integer: true });
  if (stepMin > 1440) throw new InputError(`--step: at most 1440 minutes, got ${stepMin}`);
  // a terminal shows what gridshift prints, not a JSON line per request; log collectors get the requests
  const logLevel = opts.logLevel ?? (cli.io.stdout.isTTY === true ? 'warn' : 'info');
  if (!LOG_LEVELS.includes(logLevel))
    throw new InputError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const databaseUrl = cli.io.env.DATABASE_URL?.trim() || undefined;
  const dataDir = databaseUrl ? undefined : await dataDirOf(cli, opts.dataDir);
  const serversDir = await serversDirOf(cli);
  if (dataDir) {
    const running = liveServer(dataDir);
    // a file naming this very process was left by an earlier run whose process id this one reuses (in a
    // container, each run may be process 1): stale
    if (running && running.pid !== process.pid)
      throw new InputError(
        `a gridshift server (process ${running.pid}) already serves ${dataDir} at ${running.url}; ` +
          'the embedded store serves one process (use --data-dir for another, or DATABASE_URL to share PostgreSQL)',
      );
  }
  const config = cli.config(globals);
  const controllerSettings = opts.k8sController ? controllerConfigOf(config) : undefined;
  const registry = registryFor(cli, globals);
  const roles: Role[] = ['api', ...(opts.worker ? (['worker'] as const) : []), 'planner'];
  const log = logTo(cli, globals);
  // loaded here, not at start-up: other commands do not need the server
  const [
    { buildServer },
    { startService },
    { createAccounting },
    { redactUrl },
    { startHomeController },
    { startGridWatch },
  ] = await Promise.all([
    import('../api/server.ts'),
    import('../runner/process.ts'),
    import('../accounting/ledger.ts'),
    import('../store/db.ts'),
    import('../home/service.ts'),
    import('../home/grid-watch.ts'),
  ]);
  let draining = false;
  let url = '';
  let local: { secret: string; id: string; othersLive: number } | undefined;

  const service = await startService({
    accounting: createAccounting,
    store: databaseUrl ? { databaseUrl } : { dataDir },
    config,
    registry,
    roles,
    concurrency,
    plannerIntervalMs,
    graceMs,
    stepMin,
    log,
    attach: async (scheduler) => {
      const { store, queue, bus, now } = scheduler.context;
      const home = config.home
        ? startHomeController(config.home, { store, registry, bus, log, now })
        : undefined;
      const gridWatch = Object.keys(config.gridEvents).length
        ? startGridWatch(config.gridEvents, { store, bus, log, now })
        : undefined;
      const app = await buildServer({
        scheduler,
        ...(home ? { home } : {}),
        registry,
        store,
        config,
        auth: { openRead: opts.openRead === true },
        readiness: {
          queueRunning: async () => !draining && (await queue.boss.getQueue(queue.name)) !== null,
        },
        logger: logLevel === 'silent' ? false : { level: logLevel },
        version: VERSION,
        dashboard: {},
      });
      try {
        await app.listen({ host: opts.host, port });
      } catch (err) {
        await app.close().catch(() => {});
        await home?.close();
        await gridWatch?.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new InputError(
            `--port: ${opts.host}:${port} is in use by another process; choose another --port`,
          );
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
          throw new InputError(`--host: cannot listen on "${opts.host}" (${code}); try 127.0.0.1 or 0.0.0.0`);
        throw err;
      }
      url = localUrl(app.server.address() as AddressInfo);
      let controller: { stop(): Promise<void> } | undefined;
      if (controllerSettings) {
        const [{ runController }, { buildController }] = await Promise.all([
          import('../integrations/kubernetes/controller.ts'),
          import('../integrations/kubernetes/start.ts'),
        ]);
        const ctl = await buildController(config, registry, store, {
          log,
          env: cli.io.env as NodeJS.ProcessEnv,
        }).catch(async (err) => {
          await app.close().catch(() => {});
          throw err;
        });
        controller = runController(ctl, { intervalMs: controllerSettings.intervalMs, log });
      }
      if (dataDir && store.kind === 'embedded') {
        local = await localToken(store);
        writeServerFile(
          dataDir,
          {
            url,
            pid: process.pid,
            startedAt: new Date().toISOString(),
            version: VERSION,
            token: local.secret,
          },
          serversDir,
        );
      }
      return {
        close: async () => {
          draining = true;
          await controller?.stop();
          // first stop pointing CLI commands here, while the store is still open
          if (dataDir) removeServerFile(dataDir, process.pid, serversDir);
          if (local) await revokeToken(store, local.id).catch(() => {});
          await app.close();
          await home?.close();
          await gridWatch?.close();
        },
      };
    },
  });

  const othersLive =
    local?.othersLive ?? (await listTokens(service.store)).filter((t) => t.revokedMs === null).length;
  const where = databaseUrl ? `PostgreSQL at ${redactUrl(databaseUrl)}` : `the embedded store in ${dataDir}`;
  if (globals.json) {
    cli.printJson({
      url,
      pid: process.pid,
      store: databaseUrl ? { kind: 'postgres', url: redactUrl(databaseUrl) } : { kind: 'embedded', dataDir },
      roles,
      k8sController: controllerSettings !== undefined,
      concurrency: opts.worker ? concurrency : 0,
      plannerIntervalMs,
      stepMin,
      openRead: opts.openRead === true,
      tokens: othersLive,
    });
  } else {
    const worker = opts.worker ? `worker (${concurrency} at once), ` : '';
    cli.print(`gridshift ${VERSION} serving ${url} (dashboard ${url}/, API docs ${url}/docs)`);
    cli.print(`Store: ${where}`);
    cli.print(
      `Roles: api, ${worker}planner (every ${periodText(plannerIntervalMs)}), on a ${stepMin}-minute grid`,
    );
    if (controllerSettings)
      cli.print(
        `Kubernetes controller: ${controllerSettings.rules.length} taint rules, ${controllerSettings.caps.targets.length} replica caps, a round every ${periodText(controllerSettings.intervalMs)}${controllerSettings.dryRun ? ' (dry run)' : ''}`,
      );
    if (config.home) {
      const h = config.home;
      const outputs = [...(h.publish.mqtt ? ['MQTT'] : []), ...(h.publish.webhook ? ['webhook'] : []), 'SSE'];
      cli.print(
        `Home: planned over ${h.horizonHours} h in ${h.stepMin}-minute slots (${h.zone}); setpoints at /v1/home/plan and to ${outputs.join(', ')}`,
      );
    }
    if (!opts.worker && dataDir)
      cli.print(
        'Note: --no-worker on the embedded store: no process runs loads; they wait until a server with a worker runs.',
      );
    if (opts.openRead) cli.print('Read access without a token is open (--open-read); writes need a token.');
    if (othersLive === 0) {
      cli.print('No API tokens yet. HTTP clients need one; create it with');
      cli.print('  gridshift token create --name my-client --scope write');
      if (dataDir) cli.print('(gridshift commands on this machine use this server without one.)');
    }
    cli.print(`Stop with Ctrl-C or SIGTERM: running loads get ${periodText(graceMs)} to finish.`);
  }
  await service.stopped;
}

export function serveCommand(cli: Cli): Command {
  return new Command('serve')
    .description('run the scheduler: API, worker and planner in one process')
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option(
      '--data-dir <dir>',
      'embedded store directory (default GRIDSHIFT_DATA_DIR, else the data directory); ignored with DATABASE_URL',
    )
    .option('--open-read', 'allow read routes without a token (writes always need one)')
    .option(
      '--no-worker',
      'do not run loads in this process (API and planner only; PostgreSQL with workers elsewhere)',
    )
    .option('--concurrency <n>', 'loads run at once by this process', '4')
    .option('--planner-interval <d>', 'how often the planner refreshes signals and replans', '5m')
    .option('--grace <d>', 'on SIGTERM, how long running loads may go on', '30s')
    .option('--step <minutes>', 'planning grid: loads start on these boundaries (or at once)', '30')
    .option(
      '--k8s-controller',
      'also run the Kubernetes controller (kubernetes.controller in the configuration: taints, replica caps)',
    )
    .option(
      '--log-level <level>',
      `request log level: ${LOG_LEVELS.join(', ')} (default info, or warn when the output is a terminal)`,
    )
    .addHelpText(
      'after',
      '\nStore: DATABASE_URL=postgres://... selects PostgreSQL (many processes); otherwise the embedded store.\n' +
        'Then: gridshift token create --name me --scope write; gridshift submit ...; gridshift loads',
    )
    .action(async (opts: ServeOptions, cmd: Command) => serve(cli, opts, globalsOf(cmd)));
}
