/** The readable form of `gridshift home simulate`: the three strategies side by side, the share kept, the solve times. */
import type { HomeSimulationResult } from '../simulate/home-simulate.ts';
import { formatEnergy, formatMass, formatNumber, formatPct, formatTable } from './format.ts';

const money = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

function alignmentLine(what: string, spans: HomeSimulationResult['inputs']['alignment']['prices']): string {
  const shifted = spans.filter((s) => s.shiftWeeks !== 0);
  if (shifted.length === 0) return `${what}: as in the file`;
  return `${what}: shifted by whole weeks onto the period (weekdays kept): ${spans
    .map(
      (s) =>
        `${s.from.slice(0, 10)}..${s.to.slice(0, 10)} ${s.shiftWeeks >= 0 ? '+' : ''}${s.shiftWeeks} weeks`,
    )
    .join(', ')}`;
}

export function homeSimulationText(r: HomeSimulationResult): string[] {
  const lines = [
    `Home replay ${r.period.start} .. ${r.period.end}: ${r.period.slots} slots of ${r.period.stepMin} min, objective ${typeof r.objective === 'string' ? r.objective : `cost + ${r.objective.carbonPricePerKg} per kg CO2`}`,
  ];
  const hasCarbon = r.baseline.emissionsG !== undefined;
  const rows = (
    [
      ['baseline rule', r.baseline, r.storageAdjustedCost.baseline, undefined],
      ['MPC (forecasts)', r.mpc, r.storageAdjustedCost.mpc, r.savings.mpc],
      ['perfect foresight', r.perfect, r.storageAdjustedCost.perfect, r.savings.perfect],
    ] as const
  ).map(([label, t, adjusted, saved]) => [
    label,
    money(t.cost),
    money(adjusted),
    saved ? money(saved.cost) : '',
    ...(hasCarbon ? [formatMass(t.emissionsG ?? 0)] : []),
    formatEnergy(t.importKwh),
    formatEnergy(t.exportKwh),
    formatEnergy(t.evShortfallKwh),
    formatNumber(t.finalSocKwh, 2),
  ]);
  const header = [
    '',
    'cost',
    'less stored',
    'saved',
    ...(hasCarbon ? ['emissions'] : []),
    'import',
    'export',
    'EV short',
    'final SoC',
  ];
  lines.push(
    '',
    formatTable(rows, { header, align: header.map((_, i) => (i === 0 ? 'left' : 'right')) }),
    '',
  );
  const share = r.shareOfOptimum.cost;
  lines.push(
    share === null
      ? 'Perfect foresight saves nothing against the baseline here: no share of the optimum to report'
      : `MPC keeps ${formatPct(100 * share)} of the perfect-foresight cost savings`,
  );
  if (r.shareOfOptimum.emissions !== undefined && r.shareOfOptimum.emissions !== null)
    lines.push(`and ${formatPct(100 * r.shareOfOptimum.emissions)} of its emission savings`);
  const s = r.mpcSolve;
  lines.push(
    `MPC: ${s.steps} solves, median ${formatNumber(s.medianMs)} ms, p99 ${formatNumber(s.p99Ms)} ms, mean horizon ${formatNumber(s.meanHorizonHours)} h` +
      (s.unplannedSlots > 0 ? `; ${s.unplannedSlots} slots had no feasible plan (battery idle, no EV)` : ''),
    `Perfect foresight: ${r.perfectForesight.blocks} day blocks from ${r.perfectForesight.blockStart} local time${r.perfectForesight.windowsSplit ? ' (every time of day is inside some window: blocks split them)' : ''}; a lower bound on the whole period's optimum savings`,
    `Stored energy at the end is worth ${formatNumber(r.storedEnergyValuePerKwh, 4)} per kWh of SoC ("less stored")`,
    alignmentLine('Prices', r.inputs.alignment.prices),
  );
  if (r.inputs.alignment.carbon) lines.push(alignmentLine('Carbon', r.inputs.alignment.carbon));
  if (r.inputs.filledLoadSlots > 0)
    lines.push(
      `${r.inputs.filledLoadSlots} slots without a measured load were filled in between their neighbours`,
    );
  return lines;
}
