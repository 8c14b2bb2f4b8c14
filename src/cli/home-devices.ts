/**
 * `gridshift home devices list|add|set|remove`: a home's devices, through the API's /v1/home/devices (on a
 * server, or built in this process over the store, as every service command). The flags become the
 * device's JSON; the API's schema checks it and names the field at fault (exit 2).
 */
import { Command, Option } from 'commander';
import type { HomeDevice, HomeDevicePatch, NewHomeDevice } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDuration, parseTime } from '../core/human-time.ts';
import { ADAPTER_TYPES, DEVICE_ACTIONS, DEVICE_KINDS, describeAddress } from '../home/device.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatTable } from './format.ts';
import { parsePositive, parsePowerKw } from './quantities.ts';
import { type AccessOptions, accessOptions, withAccess } from './scheduler-access.ts';

interface DeviceFlags extends AccessOptions {
  kind?: string;
  adapter?: string;
  power?: string;
  delegated?: boolean;
  action?: string;
  limit?: string;
  ecoMode?: string;
  run?: string;
  /** false from --no-protect (set): no windows */
  protect?: string[] | false;
  // adapter address
  url?: string;
  topic?: string;
  convention?: string;
  channel?: string;
  switchId?: string;
  passwordEnv?: string;
  entity?: string;
  tokenEnv?: string;
  powerEntity?: string;
  limitEntity?: string;
  limitUnit?: string;
  timeout?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `50`, `50%` -> 50. */
function parsePct(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const value = m ? Number(m[1]) : Number.NaN;
  if (!(value >= 0 && value <= 100))
    throw new InputError(`--limit: "${text}" is not a percentage 0-100 (e.g. 50%)`);
  return value;
}

const whole = (text: string, what: string) => parsePositive(text, what, { min: 0, integer: true });

/** The adapter fields the flags give (no type), with their API names. */
function adapterFlags(f: DeviceFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.url !== undefined) out.url = f.url;
  if (f.topic !== undefined) out.topic = f.topic;
  if (f.convention !== undefined) out.convention = f.convention;
  if (f.channel !== undefined) out.channel = whole(f.channel, '--channel');
  if (f.switchId !== undefined) out.switchId = whole(f.switchId, '--switch-id');
  if (f.passwordEnv !== undefined) out.passwordEnv = f.passwordEnv;
  if (f.entity !== undefined) out.entityId = f.entity;
  if (f.tokenEnv !== undefined) out.tokenEnv = f.tokenEnv;
  if (f.powerEntity !== undefined) out.powerEntityId = f.powerEntity;
  if (f.limitEntity !== undefined) out.limitEntityId = f.limitEntity;
  if (f.limitUnit !== undefined) out.limitUnit = f.limitUnit;
  if (f.timeout !== undefined) out.timeoutMs = Math.round(parseDuration(f.timeout, '--timeout') * 60_000);
  return out;
}

/** The device fields the flags give, except name and adapter. */
function deviceFlags(f: DeviceFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.kind !== undefined) out.kind = f.kind;
  if (f.power !== undefined) out.ratedPowerW = Math.round(parsePowerKw(f.power, '--power', 'W') * 1e6) / 1e3;
  if (f.delegated !== undefined) out.delegated = f.delegated;
  if (f.action !== undefined) out.action = f.action;
  if (f.limit !== undefined) out.limitPct = parsePct(f.limit);
  if (f.ecoMode !== undefined) out.ecoMode = f.ecoMode;
  if (f.run !== undefined) out.runMin = Math.round(parseDuration(f.run, '--run'));
  if (f.protect === false) out.protectedWindows = [];
  else if (f.protect !== undefined)
    out.protectedWindows = f.protect.flatMap((w) => w.split(',')).map((w) => w.trim());
  return out;
}

function addressOf(d: HomeDevice): string {
  return describeAddress(d.adapter);
}

function actionOf(d: HomeDevice): string {
  if (d.action === 'limit_power') return `limit_power ${d.limitPct}%`;
  if (d.action === 'eco_mode') return `eco_mode ${d.ecoMode ?? 'eco'}`;
  if (d.action === 'delay_start') return `delay_start ${d.runMin} min`;
  return d.action;
}

function printDevice(cli: Cli, verb: string, d: HomeDevice) {
  cli.print(`${verb} ${d.name} (${d.kind}, ${d.ratedPowerW} W): ${addressOf(d)}`);
  cli.print(`  ${d.delegated ? 'delegated' : 'not delegated (watched only)'}; in a peak: ${actionOf(d)}`);
  if (d.protectedWindows.length) cli.print(`  protected: ${d.protectedWindows.join(', ')} (home time)`);
  if (d.override) cli.print(`  override until ${d.override.until} (${d.override.reason}): left alone`);
}

async function override(
  cli: Cli,
  ref: string,
  f: AccessOptions & { until?: string; reason?: string; clear?: boolean },
  globals: GlobalOptions,
) {
  await withAccess(cli, globals, f, async (access) => {
    if (f.clear && (f.until || f.reason))
      throw new InputError('--clear: give it alone, without --until or --reason');
    const body = {
      ...(f.until
        ? {
            until: new Date(
              parseTime(f.until, { nowMs: Date.now(), timeZone: cli.timeZone(globals), what: '--until' }),
            ).toISOString(),
          }
        : {}),
      ...(f.reason ? { reason: f.reason } : {}),
    };
    const { device } = f.clear
      ? await access.homeDevices.clearOverride(ref)
      : await access.homeDevices.override(ref, body);
    if (globals.json) return cli.printJson({ device });
    if (f.clear) cli.print(`Override on ${device.name} cleared: the autopilot decides again.`);
    else printDevice(cli, 'Overridden', device);
  });
}

async function list(cli: Cli, opts: AccessOptions, globals: GlobalOptions) {
  await withAccess(cli, globals, opts, async (access) => {
    const { devices } = await access.homeDevices.list();
    if (globals.json) return cli.printJson({ devices });
    if (devices.length === 0) {
      cli.print(
        'No devices. Add one: gridshift home devices add NAME --kind plug --adapter shelly --url http://IP ...',
      );
      return;
    }
    const rows = devices.map((d) => [
      d.name,
      d.kind,
      `${d.ratedPowerW} W`,
      d.delegated ? 'yes' : 'no',
      actionOf(d),
      d.protectedWindows.join(',') || '-',
      addressOf(d),
    ]);
    cli.print(
      formatTable(rows, { header: ['NAME', 'KIND', 'RATED', 'DELEGATED', 'ACTION', 'PROTECTED', 'ADAPTER'] }),
    );
  });
}

async function add(cli: Cli, name: string, f: DeviceFlags, globals: GlobalOptions) {
  if (!f.adapter) throw new InputError(`--adapter: give one of ${ADAPTER_TYPES.join(', ')}`);
  const device = {
    name,
    ...deviceFlags(f),
    adapter: { type: f.adapter, ...adapterFlags(f) },
  } as NewHomeDevice;
  await withAccess(cli, globals, f, async (access) => {
    const { device: d } = await access.homeDevices.create(device);
    if (globals.json) return cli.printJson({ device: d });
    printDevice(cli, 'Added', d);
  });
}

async function set(cli: Cli, ref: string, f: DeviceFlags & { name?: string }, globals: GlobalOptions) {
  const patch: Record<string, unknown> = deviceFlags(f);
  if (f.name !== undefined) patch.name = f.name;
  const addressFlags = adapterFlags(f);
  await withAccess(cli, globals, f, async (access) => {
    if (f.adapter !== undefined || Object.keys(addressFlags).length > 0) {
      // the flags change the current address; a new adapter type starts a new one
      const { device } = await access.homeDevices.get(ref);
      const current =
        f.adapter === undefined || f.adapter === device.adapter.type ? device.adapter : { type: f.adapter };
      patch.adapter = { ...current, ...addressFlags };
    }
    if (Object.keys(patch).length === 0)
      throw new InputError('give at least one field to change (see --help)');
    const { device: d } = await access.homeDevices.update(ref, patch as HomeDevicePatch);
    if (globals.json) return cli.printJson({ device: d });
    printDevice(cli, 'Changed', d);
  });
}

async function remove(cli: Cli, ref: string, opts: AccessOptions, globals: GlobalOptions) {
  await withAccess(cli, globals, opts, async (access) => {
    await access.homeDevices.remove(ref);
    if (globals.json) return cli.printJson({ removed: ref });
    cli.print(`Removed device ${ref}.`);
  });
}

/** The flags of add and set; on set every one is optional. */
function deviceOptions(command: Command): Command {
  return accessOptions(command)
    .addOption(new Option('--kind <kind>', 'what it is').choices(DEVICE_KINDS))
    .addOption(new Option('--adapter <type>', 'how gridshift reaches it').choices(ADAPTER_TYPES))
    .option('--power <power>', 'rated power, e.g. 2000W or 2.2kW (a bare number is W)')
    .option('--delegated', 'gridshift may act on it (default: watched only)')
    .option('--no-delegated', 'gridshift never acts on it')
    .addOption(new Option('--action <action>', 'what gridshift does in a peak').choices(DEVICE_ACTIONS))
    .option('--limit <pct>', 'limit_power: the share of rated power it may draw, e.g. 50%')
    .option('--eco-mode <mode>', 'eco_mode: the mode to set (default eco)')
    .option('--run <duration>', 'delay_start: how long one run lasts, e.g. 2h30m')
    .option(
      '--protect <HH:MM-HH:MM>',
      'a daily window gridshift leaves it alone, home time (repeat)',
      collect,
    )
    .option(
      '--url <url>',
      'shelly, homeassistant: http://host; mqtt: the broker (default GRIDSHIFT_MQTT_URL)',
    )
    .addOption(
      new Option('--convention <firmware>', 'mqtt: the topic convention').choices(['tasmota', 'shelly']),
    )
    .option('--topic <topic>', 'mqtt: the Tasmota topic or the Shelly topic prefix (device id)')
    .option('--channel <n>', 'mqtt: Tasmota relay n (POWER<n>) or Shelly switch id')
    .option('--switch-id <n>', 'shelly: the switch id (default 0)')
    .option('--password-env <var>', "shelly: the variable holding the device's password")
    .option('--entity <entity_id>', 'homeassistant: the entity switched, e.g. switch.dishwasher')
    .option('--token-env <var>', 'homeassistant: the variable holding the token (default GRIDSHIFT_HA_TOKEN)')
    .option('--power-entity <entity_id>', 'homeassistant: a sensor reporting its power')
    .option('--limit-entity <entity_id>', 'homeassistant: a number entity limiting its power')
    .addOption(
      new Option('--limit-unit <unit>', 'homeassistant: what the limit entity counts').choices(['%', 'W']),
    )
    .option('--timeout <duration>', 'how long one call to the device may take, e.g. 3s (default 5s)');
}

export function homeDevicesCommand(cli: Cli): Command {
  const devices = new Command('devices').description(
    "a home's devices: what they are, how to reach them, what gridshift may do to them",
  );
  devices.addCommand(
    accessOptions(new Command('list').description('the devices, by name')).action(
      (opts: AccessOptions, cmd: Command) => list(cli, opts, globalsOf(cmd)),
    ),
  );
  devices.addCommand(
    deviceOptions(new Command('add').description('add a device').argument('<name>', 'a unique name'))
      .addHelpText(
        'after',
        '\nExamples:\n' +
          '  gridshift home devices add dishwasher --kind dishwasher --adapter shelly --url http://192.168.1.20 \\\n' +
          '    --power 2000W --action delay_start --run 2h30m --protect 22:00-06:00 --delegated\n' +
          '  gridshift home devices add boiler --kind water_heater --adapter homeassistant \\\n' +
          '    --url http://homeassistant.local:8123 --entity water_heater.boiler --power 3kW --action eco_mode\n' +
          '\nExit codes: 0 added, 2 bad input (the message names the field) or a name taken.',
      )
      .action((name: string, opts: DeviceFlags, cmd: Command) => add(cli, name, opts, globalsOf(cmd))),
  );
  devices.addCommand(
    deviceOptions(
      new Command('set')
        .description('change a device: only the fields given')
        .argument('<device>', 'name or id'),
    )
      .option('--name <name>', 'rename it')
      .option('--no-protect', 'no protected windows')
      .action((ref: string, opts: DeviceFlags, cmd: Command) => set(cli, ref, opts, globalsOf(cmd))),
  );
  devices.addCommand(
    accessOptions(
      new Command('override')
        .description('the household takes a device over: the autopilot leaves it alone until then')
        .argument('<device>', 'name or id')
        .option(
          '--until <time>',
          'when it ends, e.g. 21:00 or +2h (default: the end of the penalty window now)',
        )
        .option('--reason <text>', 'why, for the decision log')
        .option('--clear', 'end the override now'),
    ).action(
      (
        ref: string,
        opts: AccessOptions & { until?: string; reason?: string; clear?: boolean },
        cmd: Command,
      ) => override(cli, ref, opts, globalsOf(cmd)),
    ),
  );
  devices.addCommand(
    accessOptions(
      new Command('remove').description('remove a device').argument('<device>', 'name or id'),
    ).action((ref: string, opts: AccessOptions, cmd: Command) => remove(cli, ref, opts, globalsOf(cmd))),
  );
  return devices;
}
