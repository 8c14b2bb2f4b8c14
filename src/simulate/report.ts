/** The human summary of a simulation: baseline against policy, savings, and a breakdown by home zone. */
import { formatEnergy, formatMass, formatNumber, formatPct, formatTable } from '../core/format.ts';
import { type SimulationResult, savingsPct } from './engine.ts';
import type { WorkloadLoad } from './workload.ts';

export interface ZoneSummary {
  /** home zone of the loads (the first candidate, where their baseline runs) */
  zone: string;
  loads: number;
  energyKwh: number;
  baselineEmissionsG: number;
  emissionsG: number;
  savingsPct: number;
  /** loads the policy ran in another zone */
  ranElsewhere: number;
  baselineCost?: number;
  cost?: number;
  costSavingsPct?: number;
}

/** Totals per home zone, in the order the zones first appear in the workload. */
export function zoneBreakdown(result: SimulationResult, loads: readonly WorkloadLoad[]): ZoneSummary[] {
  const byId = new Map(loads.map((l) => [l.id, l]));
  const byZone = new Map<string, ZoneSummary>();
  for (const r of result.loads) {
    const load = byId.get(r.id);
    const home = load?.zones[0] ?? r.zone;
    let z = byZone.get(home);
    if (!z) {
      z = {
        zone: home,
        loads: 0,
        energyKwh: 0,
        baselineEmissionsG: 0,
        emissionsG: 0,
        savingsPct: 0,
        ranElsewhere: 0,
      };
      byZone.set(home, z);
    }
    z.loads++;
    if (load)
      z.energyKwh +=
        (load.powerKw * Math.ceil(load.durationMin / result.stepMin - 1e-9) * result.stepMin) / 60;
    z.baselineEmissionsG += r.baselineEmissionsG;
    z.emissionsG += r.emissionsG;
    if (r.zone !== home) z.ranElsewhere++;
    if (r.cost !== undefined) {
      z.cost = (z.cost ?? 0) + r.cost;
      z.baselineCost = (z.baselineCost ?? 0) + (r.baselineCost ?? 0);
    }
  }
  for (const z of byZone.values()) {
    z.savingsPct = savingsPct(z.baselineEmissionsG, z.emissionsG);
    if (z.cost !== undefined) z.costSavingsPct = savingsPct(z.baselineCost ?? 0, z.cost);
  }
  return [...byZone.values()];
}

function money(x: number): string {
  return formatNumber(x, Math.abs(x) >= 100 ? 0 : 2);
}

/** The summary printed by `gridshift simulate` without --json. */
export function formatReport(result: SimulationResult, loads: readonly WorkloadLoad[]): string {
  const t = result.totals;
  const lines: string[] = [];
  lines.push(
    `${t.loads} load${t.loads === 1 ? '' : 's'}, ${formatEnergy(t.energyKwh)} · policy ${result.policy} · ` +
      `forecast ${result.forecast} · objective ${result.objective} · ${result.stepMin}-min slots`,
  );
  lines.push('');
  const rows: string[][] = [
    ['emissions', formatMass(t.baselineEmissionsG), formatMass(t.emissionsG), formatPct(t.savingsPct)],
  ];
  if (t.cost !== undefined && t.baselineCost !== undefined)
    rows.push(['cost', money(t.baselineCost), money(t.cost), formatPct(t.costSavingsPct ?? 0)]);
  lines.push(
    formatTable(rows, {
      header: ['', 'BASELINE', 'POLICY', 'SAVED'],
      align: ['left', 'right', 'right', 'right'],
    }),
  );
  const zones = zoneBreakdown(result, loads);
  if (zones.length > 0) {
    const withCost = zones.some((z) => z.cost !== undefined);
    const header = ['HOME ZONE', 'LOADS', 'ENERGY', 'BASELINE', 'POLICY', 'SAVED', 'RAN ELSEWHERE'];
    if (withCost) header.push('COST SAVED');
    const table = zones.map((z) => {
      const row = [
        z.zone,
        String(z.loads),
        formatEnergy(z.energyKwh),
        formatMass(z.baselineEmissionsG),
        formatMass(z.emissionsG),
        formatPct(z.savingsPct),
        String(z.ranElsewhere),
      ];
      if (withCost) row.push(formatPct(z.costSavingsPct ?? 0));
      return row;
    });
    lines.push('');
    lines.push(
      formatTable(table, { header, align: ['left', ...header.slice(1).map(() => 'right' as const)] }),
    );
  }
  lines.push('');
  lines.push(`simulated in ${formatNumber(result.elapsedMs / 1000, 2)} s`);
  return lines.join('\n');
}
