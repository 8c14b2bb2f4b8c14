/** Where the tightened model puts its exclusivity binaries (the rules argued in src/optimize/exclusivity.ts). */
import { describe, expect, it } from 'vitest';
import { binaryPlacement } from '../../src/optimize/exclusivity.ts';
import { parseScenario } from '../../src/optimize/scenario.ts';

const battery = {
  socInitKwh: 2,
  socMinKwh: 0,
  socMaxKwh: 8,
  maxChargeKw: 3,
  maxDischargeKw: 3,
  chargeEfficiency: 0.9,
  dischargeEfficiency: 0.9,
};
const scenario = (extra: Record<string, unknown> = {}, series: Record<string, unknown> = {}) =>
  parseScenario({
    start: '2026-01-01T00:00:00Z',
    stepMin: 60,
    slots: 4,
    series: {
      loadKw: [1, 1, 1, 1],
      pvKw: [0, 0, 2, 0],
      importPrice: [0.2, 0.2, 0.2, 0.2],
      exportPrice: [0.1, 0.1, 0.1, 0.1],
      ...series,
    },
    battery,
    ...extra,
  });

describe('binaryPlacement', () => {
  it('none where nothing can bind: export earns less than import costs, prices positive, PV curtailable', () => {
    expect(binaryPlacement(scenario(), 'tightened')).toEqual({
      importExport: [false, false, false, false],
      chargeDischarge: [false, false, false, false],
    });
  });

  it('import/export only where exporting earns more than importing costs', () => {
    const s = scenario({}, { exportPrice: [0.1, 0.2, 0.25, 0.1] });
    // slot 1: 0.2 + (-0.2) = 0 is not below 0 (netting changes nothing); slot 2: 0.2 - 0.25 < 0
    expect(binaryPlacement(s, 'tightened').importExport).toEqual([false, false, true, false]);
    // weighted: 0.2 + 0.5 * 100 / 1000 = 0.25 per kWh imported, so 0.25 for export no longer beats it
    const weighted = scenario(
      { objective: { carbonPricePerKg: 0.5 } },
      { exportPrice: [0.1, 0.2, 0.25, 0.1], carbon: [100, 100, 100, 100] },
    );
    expect(binaryPlacement(weighted, 'tightened').importExport).toEqual([false, false, false, false]);
    // carbon: export is worth nothing, import costs its intensity: only a negative intensity binds
    const carbon = scenario(
      { objective: 'carbon' },
      { carbon: [100, -5, 100, 100], exportPrice: [1, 1, 1, 1] },
    );
    expect(binaryPlacement(carbon, 'tightened').importExport).toEqual([false, true, false, false]);
  });

  it('charge/discharge in every slot up to the last one where energy can be worth burning', () => {
    // importing pays in slot 2: burning before it can make room in the battery
    expect(
      binaryPlacement(scenario({}, { importPrice: [0.2, 0.2, -0.1, 0.2] }), 'tightened').chargeDischarge,
    ).toEqual([true, true, true, false]);
    // PV in slot 2 that cannot be curtailed
    expect(binaryPlacement(scenario({ allowCurtailment: false }), 'tightened').chargeDischarge).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // a negative cycling cost pays for discharging everywhere
    expect(
      binaryPlacement(scenario({ battery: { ...battery, cyclingCostPerKwh: -0.01 } }), 'tightened')
        .chargeDischarge,
    ).toEqual([true, true, true, true]);
    // a lossless battery never needs it: netting keeps the balance and the SoC path
    const lossless = scenario({
      battery: { ...battery, chargeEfficiency: 1, dischargeEfficiency: 1 },
      allowCurtailment: false,
    });
    expect(binaryPlacement(lossless, 'tightened').chargeDischarge).toEqual([false, false, false, false]);
    // a negative import price does not matter when nothing can be imported
    const noImport = scenario(
      { grid: { maxImportKw: 0 } },
      { importPrice: [0.2, 0.2, -0.1, 0.2], loadKw: [0, 0, 0, 0] },
    );
    expect(binaryPlacement(noImport, 'tightened').chargeDischarge).toEqual([false, false, false, false]);
  });

  it('the full formulation has both in every slot', () => {
    expect(binaryPlacement(scenario(), 'full')).toEqual({
      importExport: [true, true, true, true],
      chargeDischarge: [true, true, true, true],
    });
  });
});
