import { describe, expect, it } from 'vitest';
import { backupEnergy, deviceEnergy, trainingEnergy } from '../../src/accounting/energy.ts';
import { InputError } from '../../src/core/errors.ts';

describe('energy estimates', () => {
  it('device: power x duration', () => {
    // 1.5 kW for 2 h = 3 kWh
    expect(deviceEnergy({ powerKw: 1.5, durationMin: 120 })).toEqual({
      kind: 'device',
      durationMin: 120,
      powerKw: 1.5,
      energyKwh: 3,
    });
  });

  it('backup: 500 GB at 100 MB/s on 300 W', () => {
    // 500,000 MB / 100 MB/s = 5,000 s = 83.33 min; 0.3 kW x 5000/3600 h = 0.41667 kWh
    const e = backupEnergy({ dataGb: 500, throughputMBps: 100, powerW: 300 });
    expect(e.kind).toBe('backup');
    expect(e.durationMin).toBeCloseTo(5000 / 60, 10);
    expect(e.powerKw).toBe(0.3);
    expect(e.energyKwh).toBeCloseTo(0.3 * (5000 / 3600), 10);
  });

  it('training: GPUs x power x hours x PUE', () => {
    // 8 GPUs x 400 W x 1.2 PUE = 3.84 kW; x 24 h = 92.16 kWh
    const e = trainingEnergy({ gpus: 8, gpuPowerW: 400, hours: 24, pue: 1.2 });
    expect(e.powerKw).toBeCloseTo(3.84, 12);
    expect(e.durationMin).toBe(1440);
    expect(e.energyKwh).toBeCloseTo(92.16, 10);
    // PUE defaults to 1 (GPUs only)
    expect(trainingEnergy({ gpus: 1, gpuPowerW: 300, hours: 10 }).energyKwh).toBeCloseTo(3, 12);
  });

  it('rejects non-positive inputs and a PUE below 1, naming the field', () => {
    expect(() => deviceEnergy({ powerKw: 0, durationMin: 60 })).toThrow(
      /power must be a positive number of kW/,
    );
    expect(() => backupEnergy({ dataGb: 10, throughputMBps: -1, powerW: 100 })).toThrow(/throughput/);
    expect(() => backupEnergy({ dataGb: Number.NaN, throughputMBps: 1, powerW: 100 })).toThrow(InputError);
    expect(() => trainingEnergy({ gpus: 2, gpuPowerW: 300, hours: 1, pue: 0.9 })).toThrow(
      /PUE must be a number >= 1/,
    );
  });
});
