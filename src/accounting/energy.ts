/**
 * Energy of a load from what users know about it: a power and a duration, a backup's size and
 * throughput, or a training run's GPUs. All results in kWh at the grid connection.
 */
import { InputError } from '../core/errors.ts';
import { energyKwh } from '../core/units.ts';

export type WorkloadKind = 'backup' | 'training' | 'device';

export interface EnergyEstimate {
  kind: WorkloadKind;
  /** how long the load runs, minutes */
  durationMin: number;
  /** average power drawn from the grid while it runs (kW), including any PUE overhead */
  powerKw: number;
  energyKwh: number;
}

function requirePositive(value: number, field: string, unit: string): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InputError(`${field} must be a positive number of ${unit}, got ${value}`);
  }
}

/** A device drawing `powerKw` for `durationMin`. */
export function deviceEnergy(input: { powerKw: number; durationMin: number }): EnergyEstimate {
  requirePositive(input.powerKw, 'power', 'kW');
  requirePositive(input.durationMin, 'duration', 'minutes');
  return {
    kind: 'device',
    durationMin: input.durationMin,
    powerKw: input.powerKw,
    energyKwh: energyKwh(input.powerKw, input.durationMin),
  };
}

/**
 * A backup (or any bulk copy) of `dataGb` gigabytes at `throughputMBps` megabytes per second on
 * machines drawing `powerW` watts in total. Decimal units (1 GB = 1000 MB), as storage vendors and
 * network tools count. Duration = size / throughput.
 */
export function backupEnergy(input: {
  dataGb: number;
  throughputMBps: number;
  powerW: number;
}): EnergyEstimate {
  requirePositive(input.dataGb, 'data size', 'GB');
  requirePositive(input.throughputMBps, 'throughput', 'MB/s');
  requirePositive(input.powerW, 'power', 'W');
  const durationMin = (input.dataGb * 1000) / input.throughputMBps / 60;
  const powerKw = input.powerW / 1000;
  return { kind: 'backup', durationMin, powerKw, energyKwh: energyKwh(powerKw, durationMin) };
}

/**
 * An ML training run: `gpus` × `gpuPowerW` for `hours`, scaled by the data centre's power usage
 * effectiveness (PUE = facility energy / IT energy, >= 1; 1 counts the GPUs only). CPUs, memory and
 * network are left to the PUE or to a higher per-GPU figure, as the ML CO2 Impact calculator does.
 */
export function trainingEnergy(input: {
  gpus: number;
  gpuPowerW: number;
  hours: number;
  pue?: number;
}): EnergyEstimate {
  const pue = input.pue ?? 1;
  requirePositive(input.gpus, 'GPU count', 'GPUs');
  requirePositive(input.gpuPowerW, 'GPU power', 'W');
  requirePositive(input.hours, 'training time', 'hours');
  if (!(Number.isFinite(pue) && pue >= 1)) {
    throw new InputError(`PUE must be a number >= 1 (facility energy / IT energy), got ${pue}`);
  }
  const powerKw = (input.gpus * input.gpuPowerW * pue) / 1000;
  const durationMin = input.hours * 60;
  return { kind: 'training', durationMin, powerKw, energyKwh: energyKwh(powerKw, durationMin) };
}
