import type { LoadAccounting, Report, ReportQuery, ReportRow } from '../runner/service.ts';
import { type AccountingRecord, getAccounting, type ReportSum, reportSums } from '../store/accounting.ts';
import type { Store } from '../store/db.ts';

/** A load's accounting as the scheduler shows it, and the report: sums of what ran, grouped. */

function toLoadAccounting(a: AccountingRecord): LoadAccounting {
  return {
    energyKwh: a.energyKwh,
    emissionsG: a.emissionsG ?? Number.NaN,
    failedEnergyKwh: a.failedEnergyKwh,
    failedEmissionsG: a.failedEmissionsG ?? Number.NaN,
    baselineEmissionsG: a.baselineEmissionsG ?? Number.NaN,
    cost: a.cost,
    baselineCost: a.baselineCost,
    currency: a.currency,
    basis: a.basis,
    source: a.source,
  };
}

export async function loadAccounting(store: Store, loadId: string): Promise<LoadAccounting | null> {
  const a = await getAccounting(store, loadId);
  return a ? toLoadAccounting(a) : null;
}

/** Energy, emissions, cost and savings of what ran, grouped; totals count each load once. */
export async function buildReport(store: Store, query: ReportQuery): Promise<Report> {
  const { groupBy: group = 'none', ...filter } = query;
  const [sums, totals] = await Promise.all([
    reportSums(store, group, filter),
    group === 'none' ? Promise.resolve(null) : reportSums(store, 'none', filter),
  ]);
  const rows = sums.map(toRow);
  const total = totals ? totals[0] : sums[0];
  const { key: _key, ...totalsRow } = total ? toRow(total) : emptyRow();
  return { query, rows, totals: totalsRow };
}

function toRow(s: ReportSum): ReportRow {
  const savingsG = s.baselineEmissionsG - s.emissionsG;
  const costSaved = s.cost !== null && s.baselineCost !== null ? s.baselineCost - s.cost : null;
  return {
    key: s.key,
    loads: s.loads,
    energyKwh: s.energyKwh,
    emissionsG: s.emissionsG,
    baselineEmissionsG: s.baselineEmissionsG,
    savingsG,
    savingsPct: s.baselineEmissionsG > 0 ? (100 * savingsG) / s.baselineEmissionsG : 0,
    cost: s.cost,
    baselineCost: s.baselineCost,
    costSavingsPct:
      costSaved !== null && s.baselineCost !== null && s.baselineCost !== 0
        ? (100 * costSaved) / Math.abs(s.baselineCost)
        : null,
    currency: s.currency,
    forecastBasis: s.forecastBasis,
    failedEnergyKwh: s.failedEnergyKwh,
    failedEmissionsG: s.failedEmissionsG,
  };
}

function emptyRow(): ReportRow {
  return {
    key: 'all',
    loads: 0,
    energyKwh: 0,
    emissionsG: 0,
    baselineEmissionsG: 0,
    savingsG: 0,
    savingsPct: 0,
    cost: null,
    baselineCost: null,
    costSavingsPct: null,
    currency: null,
    forecastBasis: 0,
    failedEnergyKwh: 0,
    failedEmissionsG: 0,
  };
}
