/**
 * `gridshift submit`: hand a load to the scheduler. The flags become the same LoadInput the API takes
 * (times read in the home zone's time zone, or --tz, and sent as ISO-8601), checked with the API's own
 * schema before anything is sent, then submitted through a server or directly on the store.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { NewLoad, PlanPreview, SubmitResult } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDuration } from '../core/human-time.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatLocalTime } from './format.ts';
import { checkLoadFlags, homeTimeZone, type LoadFlags, loadFields, withFlagNames } from './load-flags.ts';
import { planLines } from './load-view.ts';
import { accessOptions, type SchedulerAccess, withAccess } from './scheduler-access.ts';

export interface SubmitCliOptions extends LoadFlags {
  name: string;
  region?: string;
  priority?: string;
  tag?: string[];
  command?: string;
  cwd?: string;
  env?: string[];
  timeout?: string;
  webhook?: string;
  secretEnv?: string;
  mqttTopic?: string;
  mqttUrl?: string;
  k8sJob?: string;
  k8sNamespace?: string;
  kubeconfig?: string;
  kubeContext?: string;
  /** false with --no-dispatch */
  dispatch?: boolean;
  cron?: string;
  flex?: string;
  idempotencyKey?: string;
  maxRetries?: string;
  dryRun?: boolean;
  server?: string;
  dataDir?: string;
}

function keyValues(pairs: string[] | undefined, what: string): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`${what}: "${pair}" is not NAME=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** A Job template file (JSON or YAML), read now: the load carries the Job, whichever worker runs it. */
function readJobFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`--k8s-job: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    return parseYaml(text) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`--k8s-job: ${path} is not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * The dispatch target the flags describe: exactly one of --command, --webhook, --mqtt-topic, --k8s-job,
 * --no-dispatch. Paths are read relative to `cwd`.
 */
function dispatchOf(opts: SubmitCliOptions, cwd: string): NewLoad['dispatch'] {
  const chosen = [
    opts.command !== undefined && '--command',
    opts.webhook !== undefined && '--webhook',
    opts.mqttTopic !== undefined && '--mqtt-topic',
    opts.k8sJob !== undefined && '--k8s-job',
    opts.dispatch === false && '--no-dispatch',
  ].filter((x): x is string => typeof x === 'string');
  if (chosen.length === 0) {
    throw new InputError(
      'submit: say what runs the load: --command "..." (a shell command), --webhook URL, --mqtt-topic TOPIC, ' +
        '--k8s-job FILE (a Kubernetes Job), or --no-dispatch (gridshift only plans it and tells when, through ' +
        'events and the API)',
    );
  }
  if (chosen.length > 1) throw new InputError(`submit: give one of ${chosen.join(', ')}, not several`);
  const misplaced = (flags: [string, unknown][], target: string) => {
    for (const [flag, value] of flags)
      if (value !== undefined) throw new InputError(`${flag}: applies only with ${target}`);
  };
  if (opts.command === undefined)
    misplaced(
      [
        ['--cwd', opts.cwd],
        ['--env', opts.env],
      ],
      '--command',
    );
  if (opts.webhook === undefined) misplaced([['--secret-env', opts.secretEnv]], '--webhook');
  if (opts.mqttTopic === undefined) misplaced([['--mqtt-url', opts.mqttUrl]], '--mqtt-topic');
  if (opts.k8sJob === undefined)
    misplaced(
      [
        ['--k8s-namespace', opts.k8sNamespace],
        ['--kubeconfig', opts.kubeconfig],
        ['--kube-context', opts.kubeContext],
      ],
      '--k8s-job',
    );
  if (opts.timeout !== undefined && opts.dispatch === false)
    throw new InputError('--timeout: applies only with --command, --webhook, --mqtt-topic or --k8s-job');
  const timeoutSec = opts.timeout === undefined ? undefined : parseDuration(opts.timeout, '--timeout') * 60;
  if (opts.command !== undefined) {
    const env = keyValues(opts.env, '--env');
    return {
      kind: 'shell',
      command: opts.command,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(env ? { env } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec } : {}),
    };
  }
  if (opts.webhook !== undefined) {
    return {
      kind: 'webhook',
      url: opts.webhook,
      ...(opts.secretEnv !== undefined ? { secretEnv: opts.secretEnv } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec } : {}),
    };
  }
  if (opts.mqttTopic !== undefined) {
    return {
      kind: 'mqtt',
      topic: opts.mqttTopic,
      ...(opts.mqttUrl !== undefined ? { url: opts.mqttUrl } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec } : {}),
    };
  }
  if (opts.k8sJob !== undefined) {
    return {
      kind: 'kubernetes',
      namespace: opts.k8sNamespace ?? 'default',
      template: readJobFile(resolve(cwd, opts.k8sJob)),
      ...(opts.kubeconfig !== undefined ? { kubeconfig: resolve(cwd, opts.kubeconfig) } : {}),
      ...(opts.kubeContext !== undefined ? { context: opts.kubeContext } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec: Math.ceil(timeoutSec) } : {}),
    } as NewLoad['dispatch'];
  }
  return { kind: 'none' };
}

export interface SubmitRequest {
  input: NewLoad;
  /** the time zone times were read in, and are shown in */
  timeZone: string;
}

/** The LoadInput the flags describe; every problem is an InputError naming the flag. */
export function submitRequestFromOptions(
  opts: SubmitCliOptions,
  cli: Cli,
  globals: GlobalOptions,
): SubmitRequest {
  const zones = opts.zone ?? [];
  const timeZone = cli.timeZone(globals, homeTimeZone(opts));
  const nowMs = cli.nowMs(globals);
  if (opts.flex !== undefined && opts.cron === undefined)
    throw new InputError('--flex: applies only with --cron (a recurring load)');

  // with both --zone and --region, the first given is home: the region goes into the zones in its place
  const ordered = opts.candidates?.length
    ? opts.candidates
    : [...zones, ...(opts.region ? [opts.region] : [])];
  const raw: Record<string, unknown> = {
    name: opts.name,
    ...(opts.tag?.length ? { tags: opts.tag } : {}),
    ...(zones.length ? { zones: ordered } : {}),
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...loadFields(opts, { nowMs, timeZone }),
    ...(opts.priority !== undefined ? { priority: integer(opts.priority, '--priority') } : {}),
    dispatch: dispatchOf(opts, cli.io.cwd),
    ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}),
    ...(opts.maxRetries !== undefined ? { maxRetries: integer(opts.maxRetries, '--max-retries') } : {}),
    ...(opts.cron !== undefined
      ? {
          recurrence: {
            cron: opts.cron,
            flexMin: opts.flex === undefined ? 0 : parseDuration(opts.flex, '--flex'),
            ...(globals.tz ? { timeZone: timeZone } : {}),
          },
        }
      : {}),
  };
  return { input: checkLoadFlags(raw), timeZone };
}

function integer(text: string, what: string): number {
  const value = Number(String(text).trim());
  if (!Number.isInteger(value)) throw new InputError(`${what}: "${text}" is not a whole number`);
  return value;
}

function printResult(
  cli: Cli,
  result: SubmitResult | PlanPreview,
  req: SubmitRequest,
  access: SchedulerAccess,
  dryRun: boolean,
): void {
  const { paint } = cli;
  const zones = req.input.zones ?? (req.input.region ? [req.input.region] : []);
  const show = (iso: string | null) => (iso ? formatLocalTime(Date.parse(iso), req.timeZone) : '-');
  if (dryRun || !('load' in result)) {
    for (const line of planLines(
      result.plan,
      { name: req.input.name, zones, interruptible: req.input.interruptible },
      req.timeZone,
    ))
      cli.print(line);
    cli.print();
    cli.print('Dry run: nothing was stored.');
    return;
  }
  const { load, plan } = result;
  if (result.templateId)
    cli.print(
      paint.bold(`Recurring load ${result.templateId} ("${load.name}", cron ${req.input.recurrence?.cron})`),
    );
  const headline = result.created
    ? `Submitted "${load.name}" as load ${load.id}: ${load.state}`
    : `Load ${load.id} ("${load.name}") already exists with idempotency key ${load.idempotencyKey}: ${load.state}`;
  cli.print(paint.bold(headline));
  if (load.plannedStart) cli.print(`Planned start: ${show(load.plannedStart)} (${req.timeZone})`);
  cli.print();
  for (const line of planLines(
    plan,
    { name: load.name, zones: load.zones, interruptible: load.interruptible },
    req.timeZone,
  )) {
    if (line.startsWith('Saves:')) cli.print(paint.green(line));
    else if (line.startsWith('Degraded:')) cli.print(paint.yellow(line));
    else cli.print(line);
  }
  cli.print();
  cli.print(`Follow it: gridshift loads show ${load.id}`);
  if (access.kind === 'embedded') {
    cli.print(
      paint.yellow(
        `Note: no gridshift server runs on ${access.where.replace(/^the embedded store in /, '')}; the load waits in the store until \`gridshift serve\` runs.`,
      ),
    );
  }
}

async function runSubmit(cli: Cli, opts: SubmitCliOptions, globals: GlobalOptions): Promise<void> {
  const req = submitRequestFromOptions(opts, cli, globals);
  const kind = req.input.dispatch?.kind;
  await withAccess(cli, globals, opts, async (access) => {
    let result: SubmitResult | PlanPreview;
    try {
      result = opts.dryRun ? await access.loads.preview(req.input) : await access.loads.create(req.input);
    } catch (err) {
      // bad input the scheduler found (an unknown zone, an impossible deadline): name the flag
      if (err instanceof InputError) throw new InputError(withFlagNames(err.message, kind));
      const apiDetail = (err as { status?: number; problem?: { detail?: string } }).problem?.detail;
      if ((err as { status?: number }).status === 400 && apiDetail)
        throw new InputError(withFlagNames(apiDetail, kind));
      throw err;
    }
    if (globals.json) return cli.printJson(result);
    printResult(cli, result, req, access, opts.dryRun === true);
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function submitCommand(cli: Cli): Command {
  const candidates: string[] = [];
  const remember = (value: string, previous: string[] = []) => {
    candidates.push(value);
    return [...previous, value];
  };
  const command = new Command('submit')
    .description('submit a load: gridshift plans it, holds it until its window, runs it and accounts it')
    .requiredOption('--name <name>', 'name of the load')
    .option(
      '--zone <zone>',
      'zone code, alias or name (repeat for candidate zones; the first is home)',
      remember,
    )
    .option('--region <region>', 'cloud region, e.g. eu-west-1, azure:westeurope', (value: string) => {
      candidates.push(value);
      return value;
    })
    .option('--duration <d>', 'run time: 2h, 90m, 1h30m')
    .option('--power <p>', 'average power while running: 1.5kW, 800W')
    .option('--energy <e>', 'energy of the whole run: 3kWh (instead of --power)')
    .option('--earliest <time>', 'earliest start (default now)')
    .option('--deadline <time>', 'latest finish (default 24 hours after the earliest start)')
    .option('--max-delay <d>', 'latest start as a delay after the earliest start (instead of --deadline)')
    .option('--interruptible', 'the load may run in separate pieces')
    .option('--min-piece <d>', 'interruptible: shortest piece')
    .option('--max-pieces <n>', 'interruptible: most pieces')
    .option(
      '--objective <name>',
      'carbon | cost | balanced | max_savings | eco | weights:WC,WP (default carbon)',
    )
    .option('--carbon-cap <mass>', 'most CO2 the run may emit, e.g. 500g, 2kg')
    .option('--priority <n>', 'queue priority, -1000..1000 (higher first)')
    .option('--tag <tag>', 'a label for reports (repeatable)', collect)
    .option('--command <cmd>', 'run this shell command (with /bin/sh -c)')
    .option('--cwd <dir>', '--command: working directory')
    .option('--env <NAME=VALUE>', '--command: an environment variable (repeatable)', collect)
    .option(
      '--timeout <d>',
      'give up on the run after this long (default: the command runs as long as it runs)',
    )
    .option('--webhook <url>', 'POST the dispatch as JSON to this URL, HMAC-signed')
    .option('--secret-env <NAME>', '--webhook: environment variable of gridshift holding the HMAC secret')
    .option('--mqtt-topic <topic>', 'publish the dispatch to this MQTT topic (QoS 1)')
    .option(
      '--mqtt-url <url>',
      '--mqtt-topic: the broker (default GRIDSHIFT_MQTT_URL or mqtt://127.0.0.1:1883)',
    )
    .option(
      '--k8s-job <file>',
      'run this Kubernetes Job (a JSON or YAML file), created suspended until its window',
    )
    .option('--k8s-namespace <ns>', '--k8s-job: the namespace of the Job (default: default)')
    .option(
      '--kubeconfig <file>',
      '--k8s-job: the kubeconfig the workers use (default KUBECONFIG, ~/.kube/config, the pod)',
    )
    .option('--kube-context <name>', "--k8s-job: the kubeconfig's context (default its current one)")
    .option('--no-dispatch', 'run nothing: gridshift plans the load and tells when (events, API)')
    .option('--cron <expr>', 'a recurring load: cron expression of its usual start, e.g. "0 1 * * *"')
    .option('--flex <d>', '--cron: how far each run may move either side of its usual start, e.g. 8h')
    .option('--idempotency-key <key>', 'a repeated submit with the same key returns the first load')
    .option('--max-retries <n>', 'retries of a failed run before the load is dead (default 2)')
    .option('--dry-run', 'show the plan only; store nothing');
  return accessOptions(command)
    .addHelpText(
      'after',
      "\nTimes: now, +4h, in 90 minutes, today 18:30, tomorrow 07:00, ISO-8601; read in the zone's time zone (or --tz).\n" +
        'Example: gridshift submit --name backup --zone DE --duration 1h --power 500W --deadline "tomorrow 07:00" \\\n' +
        '           --command "restic backup /srv"',
    )
    .action(async (opts: SubmitCliOptions, cmd: Command) =>
      runSubmit(cli, { ...opts, candidates }, globalsOf(cmd)),
    );
}
