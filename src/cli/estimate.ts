/**
 * `gridshift estimate`: the energy of a workload (a backup, an ML training run or any device) and, with
 * --zone, its emissions at the zone's current carbon intensity in everyday equivalents.
 */
import { Command } from 'commander';
import {
  backupEnergy,
  deviceEnergy,
  type EnergyEstimate,
  emissionsG,
  equivalents,
  trainingEnergy,
} from '../accounting/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDuration } from '../core/human-time.ts';
import { toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import {
  formatDuration,
  formatEnergy,
  formatIntensity,
  formatMass,
  formatNumber,
  formatPower,
  formatTable,
} from './format.ts';
import { parsePositive } from './quantities.ts';
import { currentSignal } from './signal-access.ts';

interface EstimateOptions {
  dataGb?: string;
  throughputMbps?: string;
  powerW?: string;
  gpus?: string;
  gpuPowerW?: string;
  hours?: string;
  pue?: string;
  powerKw?: string;
  duration?: string;
  zone?: string;
}

const KINDS = {
  backup: ['dataGb', 'throughputMbps', 'powerW'],
  training: ['gpus', 'gpuPowerW', 'hours', 'pue'],
  device: ['powerKw', 'duration'],
} as const;
const REQUIRED = {
  backup: ['dataGb', 'throughputMbps', 'powerW'],
  training: ['gpus', 'gpuPowerW', 'hours'],
  device: ['powerKw', 'duration'],
} as const;

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Which workload the flags describe; exactly one kind may be given, with all its required flags. */
export function estimateFromOptions(opts: EstimateOptions): EnergyEstimate {
  const given = (Object.keys(KINDS) as (keyof typeof KINDS)[]).filter((k) =>
    KINDS[k].some((key) => opts[key] !== undefined),
  );
  if (given.length === 0) {
    throw new InputError(
      'estimate: describe a workload: a backup (--data-gb, --throughput-mbps, --power-w), a training run ' +
        '(--gpus, --gpu-power-w, --hours [--pue]) or a device (--power-kw, --duration)',
    );
  }
  if (given.length > 1) {
    throw new InputError(
      `estimate: flags of different workloads given (${given.join(' and ')}); describe one`,
    );
  }
  const kind = given[0];
  const missing = REQUIRED[kind].filter((key) => opts[key] === undefined);
  if (missing.length > 0) {
    throw new InputError(`estimate: a ${kind} estimate also needs ${missing.map(flag).join(', ')}`);
  }
  if (kind === 'backup') {
    return backupEnergy({
      dataGb: parsePositive(opts.dataGb!, '--data-gb'),
      throughputMBps: parsePositive(opts.throughputMbps!, '--throughput-mbps'),
      powerW: parsePositive(opts.powerW!, '--power-w'),
    });
  }
  if (kind === 'training') {
    return trainingEnergy({
      gpus: parsePositive(opts.gpus!, '--gpus', { integer: true }),
      gpuPowerW: parsePositive(opts.gpuPowerW!, '--gpu-power-w'),
      hours: parsePositive(opts.hours!, '--hours'),
      pue: opts.pue === undefined ? undefined : parsePositive(opts.pue, '--pue', { min: 1 }),
    });
  }
  const durationMin = parseDuration(opts.duration!, '--duration');
  if (!(durationMin > 0)) throw new InputError(`--duration: must be longer than 0, got "${opts.duration}"`);
  return deviceEnergy({ powerKw: parsePositive(opts.powerKw!, '--power-kw'), durationMin });
}

function describeWorkload(e: EnergyEstimate, opts: EstimateOptions): string {
  if (e.kind === 'backup')
    return `backup of ${opts.dataGb} GB at ${opts.throughputMbps} MB/s, ${opts.powerW} W`;
  if (e.kind === 'training') {
    return `training on ${opts.gpus} GPU(s) x ${opts.gpuPowerW} W for ${opts.hours} h, PUE ${opts.pue ?? 1}`;
  }
  return `device at ${formatPower(e.powerKw)} for ${formatDuration(e.durationMin)}`;
}

async function runEstimate(cli: Cli, opts: EstimateOptions, globals: GlobalOptions): Promise<void> {
  const estimate = estimateFromOptions(opts);
  const result: Record<string, unknown> = { ...estimate };
  const rows: string[][] = [
    ['workload', describeWorkload(estimate, opts)],
    ['duration', formatDuration(estimate.durationMin)],
    ['power', formatPower(estimate.powerKw)],
    ['energy', formatEnergy(estimate.energyKwh)],
  ];
  const notes: string[] = [];
  if (opts.zone) {
    const zone = resolveZone(opts.zone);
    const nowMs = cli.nowMs(globals);
    const signal = await currentSignal(cli, globals, zone, nowMs);
    const known = Number.isFinite(signal.carbonGPerKwh);
    const grams = emissionsG(estimate.energyKwh, signal.carbonGPerKwh);
    const eq = equivalents(grams);
    Object.assign(result, {
      zone: zone.code,
      at: toIso(nowMs),
      carbonGPerKwh: known ? signal.carbonGPerKwh : null,
      source: signal.source,
      degraded: signal.degraded,
      emissionsG: known ? grams : null,
      equivalents: known ? eq : null,
    });
    if (known) {
      rows.push(
        [
          'zone',
          `${zone.code} (${zone.name}), now ${formatIntensity(signal.carbonGPerKwh)} from ${signal.source}`,
        ],
        ['emissions', `${formatMass(grams)} CO2eq`],
        [
          'that is about',
          `${formatNumber(eq.carKm)} km by petrol car, ${formatNumber(eq.treeDays)} tree-days of uptake, ` +
            `${formatNumber(eq.phoneCharges)} smartphone charges`,
        ],
      );
    } else {
      rows.push(['zone', `${zone.code} (${zone.name}): no carbon intensity for now, emissions unknown`]);
    }
    notes.push(...signal.degraded.map((d) => `note: ${d}`));
  }
  if (globals.json) return cli.printJson(result);
  cli.print(formatTable(rows));
  for (const n of notes) cli.print(cli.paint.yellow(n));
}

export function estimateCommand(cli: Cli): Command {
  return new Command('estimate')
    .description('estimate the energy of a workload, and with --zone its emissions now')
    .option('--data-gb <n>', 'backup: data to copy, in GB (decimal: 1 GB = 1000 MB)')
    .option('--throughput-mbps <n>', 'backup: copy speed in megabytes per second (MB/s)')
    .option('--power-w <n>', 'backup: power drawn while copying, in watts')
    .option('--gpus <n>', 'training: number of GPUs')
    .option('--gpu-power-w <n>', 'training: average power per GPU, in watts')
    .option('--hours <n>', 'training: run time in hours')
    .option('--pue <n>', 'training: power usage effectiveness of the data centre, >= 1 (default 1)')
    .option('--power-kw <n>', 'device: average power in kW')
    .option('--duration <d>', 'device: run time, e.g. 2h, 90m, 1h30m, PT2H')
    .option('--zone <zone>', 'zone or cloud region for emissions at its current carbon intensity')
    .action(async (opts: EstimateOptions, command: Command) => runEstimate(cli, opts, globalsOf(command)));
}
